"""The demo retailer generator (tools/demo_data.py), run small: what make run shows is there.

``DemoGenerator.run()`` ends with the demo data of the installed addons
(tools/demo_data_<area>.py: fulfilment carriers and rules, the warehouse's receipt, wave and
count, the accounting invoices and payouts). Generating the retailer is what takes the time, so
one class generates it once and holds every check of the generated data.
"""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

TOOLS = Path(__file__).resolve().parents[2] / "tools"
#: The one set of generator parameters of the run (history days, catalogue scale, today).
DAYS, SCALE, TODAY = 24, 0.15, date(2026, 3, 2)


def _load(name):
    spec = importlib.util.spec_from_file_location("ecom_%s" % name, TOOLS / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_data = _load("demo_data")
demo_data_fulfilment = _load("demo_data_fulfilment")


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
        cls.generator = demo_data.DemoGenerator(cls.env, days=DAYS, scale=SCALE, today=TODAY)
        cls.generated = cls.generator.run()
        # run() made the carriers already; generate() again returns them (and changes nothing)
        cls.carriers = demo_data_fulfilment.generate(cls.generator)

    # ------------------------------------------------------------------ the retailer
    def test_runs_once_per_database(self):
        self.assertTrue(self.generated)
        again = demo_data.DemoGenerator(self.env, days=DAYS, scale=SCALE, today=TODAY)
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
        self.assertLessEqual(max(days), TODAY)
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
        channels = env["ecom.channel"].search([("channel_type", "!=", "website")])
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

    # ------------------------------------------------------------------ ecom_fulfilment
    def test_carriers_and_rules(self):
        carriers = self.carriers
        self.assertEqual(carriers["tracked24"].delivery_type, "ecom_selfprint")
        self.assertEqual(carriers["tracked48"].delivery_type, "ecom_selfprint")
        cnd = carriers["clickanddrop"]
        self.assertEqual(cnd.delivery_type, "clickanddrop")
        self.assertEqual(cnd.cnd_api_url, "http://127.0.0.1:8079/clickanddrop")
        self.assertEqual(cnd.sudo().cnd_api_key, demo_data_fulfilment.EMULATOR_KEY)
        Rule = self.env["ecom.shipping.rule"]
        amazon = self.env["ecom.channel"].search([("channel_type", "=", "amazon")], limit=1)
        ebay = self.env["ecom.channel"].search([("channel_type", "=", "ebay")], limit=1)
        buyer = self.env["res.partner"].create(
            {"name": "Demo buyer", "country_id": self.env.ref("base.uk").id}
        )
        for channel, service, carrier in (
            (amazon, "Standard", carriers["tracked48"]),
            (ebay, "Express", carriers["tracked24"]),
        ):
            order = self.env["sale.order"].new(
                {
                    "partner_id": buyer.id,
                    "ecom_channel_id": channel.id,
                    "ecom_service_level": service,
                    "company_id": channel.company_id.id,
                }
            )
            self.assertEqual(Rule._select_for_order(order).carrier_id, carrier)
        # a second run changes nothing
        again = demo_data_fulfilment.generate(self.generator)
        self.assertEqual(again["tracked48"], carriers["tracked48"])

    def test_waiting_orders_print(self):
        pickings = self.env["stock.picking"].search(
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "not in", ("draft", "done", "cancel")),
                ("sale_id.ecom_channel_id", "!=", False),
            ],
            limit=5,
        )
        self.assertTrue(pickings, "the demo has channel orders waiting to ship")
        # the emulator does not run under the tests: the self-printed service labels them
        pickings.carrier_id = self.carriers["tracked48"]
        run = self.env["ecom.label.batch"]._create_for_pickings(
            pickings, include_packing_slips=False
        )
        run.action_print()
        self.assertEqual(run.done_count, len(pickings), run.line_ids.mapped("message"))
        self.assertTrue(all(p.carrier_tracking_ref.startswith("NW48") for p in pickings))

    # ------------------------------------------------------------------ ecom_warehouse
    def test_warehouse_demo(self):
        env = self.env
        self.assertTrue(self.generated)
        counts = self.generator.counts
        self.assertIn("warehouse_receipts", counts, "run() generated the warehouse demo data")
        warehouse_user = env["res.users"].search([("login", "=", "warehouse")])
        self.assertTrue(warehouse_user.has_group("ecom_warehouse.ecom_warehouse_group_user"))
        self.assertFalse(warehouse_user.has_group("ecom_warehouse.ecom_warehouse_group_manager"))
        report = env["ecom.warehouse.receipt"].search([("date_done", "!=", False)])
        self.assertEqual(len(report), counts["warehouse_receipts"])
        self.assertEqual(len(report), 1)
        self.assertIn("short", report.line_ids.mapped("status"))
        self.assertTrue(report.backorder_id)
        batch = env["stock.picking.batch"].search([("description", "=", "Morning wave")])
        self.assertEqual(len(batch.picking_ids), counts["warehouse_batch_orders"])
        bins = batch.ecom_pick_list()
        self.assertEqual(len({b["location_id"] for b in bins}), len(bins), "each bin once")
        count = env["ecom.warehouse.count"].search([("state", "=", "review")])
        self.assertEqual(len(count), 1)
        self.assertLess(count.variance_qty, 0)
        self.assertIn(
            "a", self.generator.products.mapped("ecom_abc_class"), "best sellers are class A"
        )

    # ------------------------------------------------------------------ ecom_accounting
    def test_accounting_channels_are_set_up(self):
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
        # an order whose goods came back: its invoice is settled with the credit note
        self.assertEqual(
            set(reconciled.invoice_ids.mapped("payment_state"))
            - {"paid", "in_payment", "reversed"},
            set(),
        )
        self.assertNotIn("woocommerce", set(payouts.channel_id.mapped("channel_type")))

    def test_channel_orders_are_as_imported(self):
        """Every generated channel order has its channel's sales team and the channel's
        total; the sales and invoicing reports split the history by channel."""
        orders = self.env["sale.order"].search([("ecom_channel_id", "!=", False)])
        self.assertTrue(orders)
        for order in orders:
            self.assertEqual(order.team_id, order.ecom_channel_id.team_id, order.name)
            self.assertTrue(order.ecom_channel_total, order.name)
            self.assertFalse(order.ecom_total_mismatch, order.name)
        teams = {c.team_id for c, _s, _v in self.generator.channels}
        rows = self.env["sale.report"]._read_group(
            [("team_id", "in", [t.id for t in teams])], ["team_id"], ["__count"]
        )
        self.assertEqual({team for team, _count in rows}, teams)

    def test_shipped_orders_are_invoiced_as_their_channel_says(self):
        orders = self.env["sale.order"].search(
            [("ecom_channel_id.invoice_policy", "=", "ship"), ("state", "=", "sale")]
        )
        shipped = orders.filtered(
            lambda o: o.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state == "done"
            )
        )
        self.assertTrue(shipped)
        # nothing is left to invoice: the orders waiting to ship have nothing shipped yet
        self.assertFalse(orders.filtered(lambda o: o.invoice_status == "to invoice"))
        for order in shipped:
            posted = order.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state == "posted"
            )
            self.assertTrue(posted, order.name)
            self.assertEqual(posted.team_id, order.ecom_channel_id.team_id)
        # the marketplaces paid out what they sold (all but the current week)
        invoices = shipped.invoice_ids.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.ecom_channel_id.channel_type != "woocommerce"
                and (self.generator.today - m.invoice_date).days >= 7
            )
        )
        self.assertTrue(invoices)
        self.assertEqual(
            set(invoices.mapped("payment_state")) - {"paid", "in_payment", "reversed"}, set()
        )

    def test_carriers_print_labels_and_cost_is_recorded(self):
        rules = self.env["ecom.shipping.rule"].search([])
        self.assertEqual(
            set(rules.carrier_id.mapped("delivery_type")) - {"ecom_selfprint", "clickanddrop"},
            set(),
        )
        shipped = self.env["stock.picking"].search(
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "=", "done"),
                ("sale_id.ecom_channel_id", "!=", False),
            ]
        )
        self.assertTrue(shipped)
        self.assertTrue(all(p.carrier_id and p.carrier_price > 0 for p in shipped))

    def test_profitability_margin_is_positive_for_every_channel(self):
        rows = self.env["ecom.channel.profit.report"]._read_group(
            [], ["channel_id"], ["revenue:sum", "shipping_cost:sum", "cogs:sum", "margin:sum"]
        )
        for channel, revenue, shipping, cogs, margin in rows:
            with self.subTest(channel=channel.name):
                self.assertGreater(revenue, cogs)
                self.assertGreater(shipping, 0)
                self.assertGreater(margin, 0)

    def test_profitability_has_every_channel(self):
        rows = self.env["ecom.channel.profit.report"]._read_group(
            [], ["channel_id"], ["revenue:sum", "fees:sum", "cogs:sum", "margin:sum"]
        )
        channels = {channel for channel, *_figures in rows}
        expected = {c for c, _s, _v in self.generator.channels}
        expected |= set(self.env["ecom.channel"].search([("channel_type", "=", "website")]))
        self.assertEqual(channels, expected)
        fees = {channel.channel_type: figures[1] for channel, *figures in rows}
        self.assertGreater(fees["amazon"], 0)
        self.assertEqual(fees["woocommerce"], 0)

    # ------------------------------------------------------------------ ecom_website
    def test_website_channel(self):
        env = self.env
        if "website orders" not in self.generator.counts:
            self.skipTest("ecom_website is not installed")
        channel = env["ecom.channel"].search([("channel_type", "=", "website")])
        self.assertEqual(len(channel), 1)
        self.assertTrue(channel.website_id)
        listings = channel.listing_ids
        self.assertEqual(len(listings), self.generator.counts["website listings"])
        self.assertEqual(
            set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
        )
        self.assertTrue(all(listings.product_tmpl_id.mapped("is_published")))
        orders = env["sale.order"].search([("ecom_channel_id", "=", channel.id)])
        self.assertEqual(len(orders), self.generator.counts["website orders"])
        for order in orders:
            rule = env["ecom.shipping.rule"]._select_for_order(order)
            self.assertEqual(order.carrier_id, rule.carrier_id)
            self.assertEqual(order.team_id, channel.team_id)
        self.assertTrue(orders.invoice_ids.filtered(lambda move: move.state == "posted"))
