# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Warehouse",
    "summary": "Barcode screens to receive, pick, pack and cycle-count, with pick lists, "
    "discrepancy and variance reports",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": [
        "ecom_fulfilment",
        "stock_picking_batch",
        "stock_delivery",
        "purchase_stock",
        "barcodes",
        "web",
    ],
    "external_dependencies": {"python": []},
    "post_init_hook": "post_init_hook",
    "data": [
        "security/ecom_warehouse_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "report/ecom_warehouse_reports.xml",
        "report/report_pick_list.xml",
        "report/report_receipt_discrepancy.xml",
        "report/report_count_variance.xml",
        "views/ecom_warehouse_receipt_views.xml",
        "views/ecom_warehouse_count_views.xml",
        "views/stock_location_views.xml",
        "views/stock_picking_views.xml",
        "views/stock_picking_batch_views.xml",
        "views/res_partner_views.xml",
        "views/res_company_views.xml",
        "views/ecom_warehouse_actions.xml",
        "views/ecom_warehouse_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ecom_warehouse/static/src/**/*",
        ],
        "web.assets_tests": [
            "ecom_warehouse/static/tests/tours/**/*",
        ],
    },
}
