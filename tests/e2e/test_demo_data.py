"""The demo retailer generator (tools/demo_data.py), run small: what make run shows is there."""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

_SPEC = importlib.util.spec_from_file_location(
    "ecom_demo_data", Path(__file__).resolve().parents[2] / "tools" / "demo_data.py"
)
demo_data = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(demo_data)


def ean13_ok(code):
    digits = [int(c) for c in code]
    return (
        len(digits) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    )


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generator = demo_data.DemoGenerator(
            cls.env, days=24, scale=0.15, today=date(2026, 3, 2)
        )
        cls.generated = cls.generator.run()

    def test_runs_once_per_database(self):
        self.assertTrue(self.generated)
        again = demo_data.DemoGenerator(self.env, days=24, scale=0.15, today=date(2026, 3, 2))
        self.assertFalse(again.run(), "a second run must not duplicate the retailer")

    def test_catalogue(self):
        products = self.generator.products
        self.assertGreater(len(products), 30)
        self.assertEqual(
            len(set(products.mapped("default_code"))), len(products), "SKUs are unique"
        )
        self.assertTrue(all(ean13_ok(p.barcode) for p in products), "barcodes are valid EAN-13")
        self.assertTrue(all(p.weight > 0 and p.image_1920 for p in products))
        self.assertTrue(all(p.standard_price > 0 for p in products), "every variant has a cost")
        self.assertTrue(any(len(p.product_template_attribute_value_ids) == 2 for p in products))
        putaways = self.env["stock.putaway.rule"].search([("product_id", "in", products.ids)])
        self.assertEqual(len(putaways), len(products), "one home bin per product")
        self.assertRegex(putaways[0].location_out_id.name, r"^[A-D]-\d\d-\d$")

    def test_history_has_sales_stockouts_spikes_and_returns(self):
        env = self.env
        counts = self.generator.counts
        customer = env.ref("stock.stock_location_customers")
        sales = env["stock.move"].search(
            [("state", "=", "done"), ("location_dest_id", "=", customer.id)]
        )
        self.assertGreater(len(sales), 50)
        days = {move.date.date() for move in sales}
        self.assertGreater(len(days), 15, "sales spread over the history")
        self.assertLessEqual(max(days), date(2026, 3, 2))
        self.assertGreater(counts["stock_out_days"], 0)
        self.assertGreaterEqual(counts["spikes"], 1)
        self.assertGreaterEqual(counts.get("returns", 0), 1)
        returned = env["stock.move"].search(
            [("state", "=", "done"), ("location_id", "=", customer.id)]
        )
        self.assertEqual(len(returned.picking_id), counts["returns"])

    def test_purchases_open_and_orders_waiting_to_ship(self):
        env = self.env
        purchases = env["purchase.order"].search([("state", "=", "purchase")])
        self.assertTrue(purchases)
        self.assertTrue(purchases.filtered(lambda p: p.receipt_status != "full"), "some are open")
        waiting = env["sale.order"].search(
            [("state", "=", "sale"), ("delivery_status", "!=", "full")]
        )
        self.assertEqual(len(waiting), self.generator.counts["orders_to_ship"])
        channel_orders = waiting.filtered("ecom_channel_id")
        self.assertTrue(channel_orders)
        for order in channel_orders:
            self.assertTrue(order.ecom_external_ref and order.ecom_service_level)
            rule = env["ecom.shipping.rule"]._select_for_order(order)
            self.assertTrue(rule, "every demo order has a carrier through the rules")

    def test_channels_and_users(self):
        env = self.env
        channels = env["ecom.channel"].search([])
        self.assertEqual(
            sorted(channels.mapped("channel_type")), ["amazon", "ebay", "shopify", "woocommerce"]
        )
        for channel in channels:
            self.assertTrue(channel.api_base_url.startswith("http://127.0.0.1:"))
            # The credentials the local emulator accepts, so the demo works offline.
            self.assertTrue(channel.sudo().access_token or channel.sudo().api_key)
            self.assertTrue(channel.listing_ids)
            self.assertTrue(channel.category_map_ids, "every category is mapped on every channel")
            for listing in channel.listing_ids:
                self.assertTrue(listing.image_ids and listing.keywords)
                self.assertFalse(listing.keyword_issues, listing.name)
            # Complete enough for the channel: ready to publish as generated.
            ready = channel.listing_ids.filtered(lambda listing: not listing.missing_requirements)
            self.assertEqual(
                ready, channel.listing_ids, channel.listing_ids.mapped("missing_requirements")
            )
        users = {u.login: u for u in env["res.users"].search([])}
        self.assertTrue(users["backoffice"].has_group("ecom_channels.ecom_channels_group_manager"))
        self.assertTrue(users["warehouse"].has_group("ecom_fulfilment.ecom_fulfilment_group_user"))
        self.assertFalse(users["warehouse"].has_group("ecom_channels.ecom_channels_group_manager"))
        self.assertTrue(users["accountant"].has_group("account.group_account_readonly"))
        self.assertFalse(users["accountant"].has_group("ecom_channels.ecom_channels_group_user"))
