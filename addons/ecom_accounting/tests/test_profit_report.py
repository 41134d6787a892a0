# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channel profitability over a period, against figures computed by hand."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AccountingCase

MEASURES = ["revenue:sum", "fees:sum", "shipping_cost:sum", "cogs:sum", "margin:sum"]


@tagged("post_install", "-at_install")
class TestProfitReport(AccountingCase):
    def order(self, channel_type, **seed_kwargs):
        lines = [
            {"sku": self.mug.default_code, "quantity": 2, "price": seed_kwargs.pop("mug")},
            {"sku": self.bottle.default_code, "quantity": 1, "price": seed_kwargs.pop("bottle")},
        ]
        return self.seed(channel_type, lines, seed_kwargs.pop("shipping"), **seed_kwargs)

    def figures(self, domain, groupby):
        Report = self.env["ecom.channel.profit.report"].with_user(self.accountant)
        return {
            key: tuple(round(v, 2) for v in values)
            for key, *values in Report._read_group(domain, [groupby], MEASURES)
        }

    def test_profitability_matches_hand_computation(self):
        if not {"amazon", "shopify"} <= set(self.channel_types):
            self.skipTest("the Amazon and Shopify clients are needed")
        today = fields.Date.context_today(self.env.user)
        # Amazon: two orders of 2 mugs at 12.00 and a bottle at 8.40 + 4.80 shipping, with
        # 20 % VAT included: 31.00 without tax each; fees 5.58 and 5.60 in today's payout and
        # 9.99 in a payout of last month (outside the period).
        amazon = [self.order("amazon", mug=12.0, bottle=8.4, shipping=4.8, tax_rate=0.2)]
        amazon.append(self.order("amazon", mug=12.0, bottle=8.4, shipping=4.8, tax_rate=0.2))
        old = self.order("amazon", mug=12.0, bottle=8.4, shipping=4.8, tax_rate=0.2)
        # Shopify: one order of the same basket without tax (31.00), no payout yet.
        self.order("shopify", mug=10.0, bottle=7.0, shipping=4.0, tax_rate=0.2)
        for channel_type in ("amazon", "shopify"):
            for order in self.import_orders(channel_type):
                self.ship(order)
        app = self.emulator.apps["amazon"]
        stamp = today.strftime("%Y-%m-%dT06:00:00Z")
        last_month = (today - timedelta(days=40)).strftime("%Y-%m-%dT06:00:00Z")
        app.seed_payout([old], fees={old: 9.99}, date=last_month)
        app.seed_payout(amazon, fees={amazon[0]: 5.58, amazon[1]: 5.6}, date=stamp)
        channel = self.channels["amazon"].with_user(self.billing)
        channel.sudo().payouts_imported_until = fields.Datetime.to_datetime(today) - timedelta(
            days=60
        )
        channel.action_import_payouts()
        self.assertEqual(
            set(self.env["ecom.payout"].search([]).mapped("state")), {"settled"}, "no bank line"
        )

        period = [("date", ">=", today), ("date", "<=", today)]
        by_channel = self.figures(period, "channel_id")
        # revenue 3 x 31.00; fees 5.58 + 5.60; carrier 3 x 3.10; goods 3 x (2 x 4.00 + 2.50)
        amazon_channel, shopify_channel = self.channels["amazon"], self.channels["shopify"]
        self.assertEqual(by_channel[amazon_channel], (93.0, 11.18, 9.3, 31.5, 41.02))
        # revenue 31.00; carrier 3.10; goods 10.50
        self.assertEqual(by_channel[shopify_channel], (31.0, 0.0, 3.1, 10.5, 17.4))

        amazon_period = [*period, ("channel_id", "=", amazon_channel.id)]
        by_product = self.figures(amazon_period, "product_id")
        shipping_product = amazon_channel.shipping_product_id
        self.assertEqual(by_product[self.mug], (60.0, 0.0, 0.0, 24.0, 36.0))
        self.assertEqual(by_product[self.bottle], (21.0, 0.0, 0.0, 7.5, 13.5))
        self.assertEqual(by_product[shipping_product], (12.0, 0.0, 0.0, 0.0, 12.0))
        # fees and carrier cost belong to no product
        empty = self.env["product.product"]
        self.assertEqual(by_product[empty], (0.0, 11.18, 9.3, 0.0, -20.48))

        # the old payout's fee counts in its own month
        old_period = [("date", "=", today - timedelta(days=40))]
        self.assertEqual(self.figures(old_period, "channel_id")[amazon_channel][1], 9.99)

    def test_standard_reports_split_by_channel(self):
        """Each channel is a sales team: Odoo's sales and invoicing analyses group by it."""
        if not {"amazon", "shopify"} <= set(self.channel_types):
            self.skipTest("the Amazon and Shopify clients are needed")
        self.order("amazon", mug=12.0, bottle=8.4, shipping=4.8, tax_rate=0.2)
        self.order("shopify", mug=10.0, bottle=7.0, shipping=4.0, tax_rate=0.2)
        for channel_type in ("amazon", "shopify"):
            for order in self.import_orders(channel_type):
                self.ship(order)
        teams = {t: self.channels[t].team_id for t in ("amazon", "shopify")}
        self.assertNotEqual(teams["amazon"], teams["shopify"])
        self.env.flush_all()
        sales = dict(
            self.env["sale.report"]._read_group(
                [("team_id", "in", [t.id for t in teams.values()])],
                ["team_id"],
                ["price_subtotal:sum"],
            )
        )
        invoiced = dict(
            self.env["account.invoice.report"]._read_group(
                [("team_id", "in", [t.id for t in teams.values()])],
                ["team_id"],
                ["price_subtotal:sum"],
            )
        )
        for team in teams.values():
            self.assertAlmostEqual(sales[team], 31.0)
            self.assertAlmostEqual(invoiced[team], 31.0)

    def test_report_views_and_menus(self):
        action = self.env.ref("ecom_accounting.ecom_channel_profit_report_action")
        self.assertIn("pivot", action.view_mode)
        self.assertIn("graph", action.view_mode)
        Report = self.env["ecom.channel.profit.report"].with_user(self.accountant)
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertTrue(Report.get_view(view_type=view_type)["arch"])
