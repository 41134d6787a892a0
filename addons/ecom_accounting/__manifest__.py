# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Accounting",
    "summary": "Channel sales to invoices, marketplace fees and payouts reconciled with the bank, "
    "channel profitability",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/ecom-backoffice/ecom-backoffice",
    "author": "ecom-backoffice",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ecom_fulfilment", "sale_stock", "stock_account", "account"],
    "post_init_hook": "post_init_hook",
    "data": [
        "security/ecom_accounting_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/ecom_channel_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_views.xml",
        "views/ecom_payout_views.xml",
        "report/ecom_channel_profit_report_views.xml",
        "views/ecom_accounting_menus.xml",
    ],
}
