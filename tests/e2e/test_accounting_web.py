"""What an accountant sees in the web client: the channel payouts and the channel
profitability report under Accounting, channels read-only, no listings or credentials to change;
and the accounting demo data built on a small generated retailer."""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import TransactionCase


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).resolve().parents[2] / "tools" / ("%s.py" % name)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@tagged("post_install", "-at_install")
class TestAccountingDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo_data = _load("demo_data")
        cls.generator = demo_data.DemoGenerator(
            cls.env, days=24, scale=0.15, today=date(2026, 3, 2)
        )
        # run() ends with the demo data of the installed addons (tools/demo_data_<area>.py).
        cls.generator.run()

    def test_channels_are_set_up(self):
        for channel, _share, _services in self.generator.channels:
            self.assertTrue(channel.fee_account_id)
            self.assertTrue(channel.clearing_account_id.reconcile)
            self.assertTrue(channel.team_id)

    def test_invoices_and_payouts(self):
        counts = self.generator.counts
        self.assertGreater(counts["channel_invoices"] + counts["payouts"], 0)
        payouts = self.env["ecom.payout"].search([])
        self.assertTrue(payouts, counts)
        self.assertFalse(payouts.filtered(lambda p: p.state == "error"), payouts.mapped("error"))
        reconciled = payouts.filtered(lambda p: p.state == "reconciled")
        self.assertTrue(reconciled)
        self.assertTrue(all(reconciled.statement_line_id.mapped("is_reconciled")))
        self.assertEqual(
            set(reconciled.invoice_ids.mapped("payment_state")) - {"paid", "in_payment"}, set()
        )
        self.assertNotIn("woocommerce", set(payouts.channel_id.mapped("channel_type")))

    def test_profitability_has_every_channel(self):
        rows = self.env["ecom.channel.profit.report"]._read_group(
            [], ["channel_id"], ["revenue:sum", "fees:sum", "cogs:sum", "margin:sum"]
        )
        channels = {channel for channel, *_figures in rows}
        self.assertEqual(channels, {c for c, _s, _v in self.generator.channels})
        fees = {channel.channel_type: figures[1] for channel, *figures in rows}
        self.assertGreater(fees["amazon"], 0)
        self.assertEqual(fees["woocommerce"], 0)
