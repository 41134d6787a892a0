# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Channels",
    "summary": "Sales channels (Shopify, WooCommerce, eBay, Amazon), listings and their sync log",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["sale_stock", "mail"],
    "external_dependencies": {"python": ["requests", "xmltodict"]},
    "data": [
        "security/ecom_channels_security.xml",
        "security/ir.model.access.csv",
        "views/ecom_channel_views.xml",
        "views/ecom_channel_listing_views.xml",
        "views/ecom_sync_log_views.xml",
        "views/sale_order_views.xml",
        "views/ecom_channels_menus.xml",
    ],
}
