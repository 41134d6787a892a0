# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Fulfilment",
    "summary": "Channel service levels to carriers, pick lists, labels, packing and dispatch",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["ecom_channels", "stock_delivery", "stock_picking_batch", "barcodes"],
    "external_dependencies": {"python": ["python-barcode", "pypdf"]},
    "data": [
        "security/ecom_fulfilment_security.xml",
        "security/ir.model.access.csv",
        "data/product_data.xml",
        "data/ir_cron_data.xml",
        "views/ecom_shipping_rule_views.xml",
        "views/ecom_channel_views.xml",
        "views/sale_order_views.xml",
        "views/ecom_fulfilment_menus.xml",
    ],
}
