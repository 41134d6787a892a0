"""What an accountant sees in the web client: the channel payouts and the channel
profitability report under Accounting, channels read-only, no listings or credentials to change.
(The accounting demo data are checked in test_demo_data.py, on the one generated retailer.)"""

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestAccountantWebClient(HttpCase):
    def test_accountant_menus_and_rights(self):
        accountant = self.env["res.users"].create(
            {
                "name": "Accountant",
                "login": "acc_web",
                "password": "acc_web_pass",
                "groups_id": [(6, 0, [self.env.ref("account.group_account_readonly").id])],
            }
        )
        self.authenticate("acc_web", "acc_web_pass")
        menus = self.url_open("/web/webclient/load_menus/1").json()
        xmlids = {menu["xmlid"] for key, menu in menus.items() if key != "root"}
        self.assertIn("ecom_accounting.ecom_payout_menu", xmlids)
        self.assertIn("ecom_accounting.ecom_channel_profit_report_menu", xmlids)
        self.assertIn("ecom_channels.ecom_channels_menu_root", xmlids)
        # the channel form opens (read-only) with its accounting tab; credentials are hidden
        channel = self.env["ecom.channel"].create(
            {"name": "Web shop", "channel_type": "woocommerce", "api_key": "ck_secret_123"}
        )
        as_accountant = channel.with_user(accountant)
        arch = as_accountant.get_view(view_type="form")["arch"]
        self.assertIn('name="accounting"', arch)
        self.assertNotIn('name="api_key"', arch)
        self.assertEqual(as_accountant.invoice_policy, "ship")
        for model, vals in (
            ("ecom.channel", {"invoice_policy": "manual"}),
            ("ecom.channel.listing", {"channel_id": channel.id}),
        ):
            with self.assertRaises(AccessError):
                self.env[model].with_user(accountant).create(vals)
        with self.assertRaises(AccessError):
            as_accountant.write({"fee_account_id": False})
        with self.assertRaises(AccessError):
            self.env["stock.quant"].with_user(accountant).create({})
