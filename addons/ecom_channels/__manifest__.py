# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Channels",
    "summary": "Sales channels (Shopify, WooCommerce, eBay, Amazon), listings and their sync log",
    "version": "18.0.1.1.0",
    "category": "Sales/Sales",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["sale_stock", "mail", "queue_job"],
    "external_dependencies": {
        "python": ["cryptography", "psycopg2", "requests", "urllib3", "xmltodict"]
    },
    "data": [
        "security/ecom_channels_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/ecom_channel_views.xml",
        "views/ecom_channel_listing_views.xml",
        "views/ecom_channel_listing_image_views.xml",
        "views/ecom_channel_category_map_views.xml",
        "views/ecom_sync_log_views.xml",
        "views/ecom_stock_outbox_views.xml",
        "views/queue_job_views.xml",
        "views/sale_order_views.xml",
        "views/res_config_settings_views.xml",
        "views/ecom_channels_menus.xml",
        "wizard/ecom_listing_create_wizard_views.xml",
        "wizard/ecom_channel_connect_views.xml",
    ],
}
