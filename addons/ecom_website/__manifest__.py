# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Website Channel",
    "summary": "The Odoo website shop as a sales channel: listings, channel stock rules, "
    "shipping rules, labels and accounting of its orders",
    "version": "18.0.1.0.0",
    "category": "Website/eCommerce",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["website_sale", "website_sale_stock", "ecom_fulfilment"],
    "data": ["views/ecom_channel_views.xml"],
    "assets": {
        "web.assets_tests": ["ecom_website/static/tests/tours/*.js"],
    },
}
