# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Replenishment",
    "summary": "Reorder rules from daily sales in stock, order interval and supplier lead time",
    "version": "18.0.1.0.0",
    "category": "Inventory/Purchase",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["purchase_stock"],
    "external_dependencies": {"python": []},
    "data": [
        "security/ecom_replenishment_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/stock_warehouse_orderpoint_views.xml",
        "views/res_company_views.xml",
        "views/res_partner_views.xml",
        "views/product_template_views.xml",
        "views/ecom_replenishment_menus.xml",
    ],
}
