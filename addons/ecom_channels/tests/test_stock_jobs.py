# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The stock push as queue jobs: what a stock change enqueues, the riskiest listings first under
a channel's quota, linking starts the link, the dynamic buffer, and the sync log of pushes."""

from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..ecom_channels_core import registry
from . import test_stock_sync
from .test_channel_jobs import JOB_LOGGERS
from .test_channel_publishing import ChannelEmulatorCase


@tagged("post_install", "-at_install")
class TestStockJobs(ChannelEmulatorCase):
    set_stock = test_stock_sync.TestStockSync.set_stock
    deliver = test_stock_sync.TestStockSync.deliver
    published = test_stock_sync.TestStockSync.published
    remote_qty = test_stock_sync.TestStockSync.remote_qty
    push = test_stock_sync.TestStockSync.push

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.active = False  # only the emulated channels
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.stock_products = cls.env["product.product"].create(
            [
                {
                    "name": "Burner %d" % i,
                    "default_code": "BURNER-%03d" % i,
                    "barcode": "590000500%04d" % i,
                    "list_price": 30.0 + i,
                    "weight": 0.5,
                    "categ_id": cls.categ.id,
                    "is_storable": True,
                }
                for i in range(2)
            ]
        )
        cls.many = cls.env["product.product"].create(
            [
                {
                    "name": "Gas canister %d" % i,
                    "default_code": "GAS-%03d" % i,
                    "barcode": "590000400%04d" % i,
                    "list_price": 5.0 + i,
                    "weight": 0.2,
                    "categ_id": cls.categ.id,
                    "is_storable": True,
                }
                for i in range(12)
            ]
        )

    def emulated(self, channel_type):
        if channel_type not in self.channels:
            self.skipTest("no %s client" % channel_type)
        return self.channels[channel_type].with_user(self.backoffice)

    # ------------------------------------------------------------------ enqueueing
    def test_stock_change_enqueues_the_push_job_once_per_channel(self):
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        product = self.stock_products[0]
        self.set_stock(product, 10)
        self.published(shopify, product)
        self.published(woo, product)
        self.push()
        with trap_jobs() as trap:
            self.deliver(product, 1)
            self.deliver(product, 2)
            trap.assert_jobs_count(2)
            for channel in (shopify, woo):
                trap.assert_enqueued_job(
                    channel.sudo()._job_push_stock,
                    properties={
                        "channel": "root.ecom.%s.%s" % (channel.channel_type, channel.id),
                        "priority": 5,
                    },
                )
            self.assertFalse(self.emulator.calls("woocommerce", "PUT"), "nothing sent yet")
            trap.perform_enqueued_jobs()
        self.assertEqual(self.remote_qty(shopify, product), 7)
        self.assertEqual(self.remote_qty(woo, product), 7)

    def test_crons_only_enqueue(self):
        channel = self.emulated("woocommerce")
        product = self.stock_products[1]
        self.set_stock(product, 4)
        listing = self.published(channel, product)
        self.env["ecom.stock.outbox"]._enqueue_listings(listing.ids, wake=False)
        listing.sudo().qty_published = 0
        calls = len(self.emulator.calls("woocommerce"))
        with trap_jobs() as trap:
            Channel = self.env["ecom.channel"]
            self.assertEqual(Channel._cron_push_stock(), channel)
            Channel._cron_push_stock()
            Channel._cron_reconcile_stock()
            trap.assert_jobs_count(1, only=channel.sudo()._job_push_stock)
            reconciles = [
                job for job in trap.enqueued_jobs if job.method_name == "_job_reconcile_stock"
            ]
            self.assertEqual(len(reconciles), len(self.channel_types))
            self.assertEqual(len(self.emulator.calls("woocommerce")), calls)
            trap.perform_enqueued_jobs()
        self.assertEqual(listing.qty_published, 4)
        self.assertEqual(self.remote_qty(channel, product), 4)

    # ------------------------------------------------------------------ quota priority
    @mute_logger(*JOB_LOGGERS)
    def test_quota_of_one_ebay_call_sends_the_four_lowest_quantities_first(self):
        """12 changed listings, a quota of one ReviseInventoryStatus call (4 items): the first
        call carries the 4 lowest quantities; the other 8 follow when the quota allows."""
        channel = self.emulated("ebay")
        self.channels["ebay"].retry_max_attempts = 1
        for product in self.many:
            self.set_stock(product, 50)
        listings = self.published(channel, self.many)
        self.push()
        # Sales take the stock down to 1..12 units, in an order unrelated to the quantities.
        left = [7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6]
        for product, qty in zip(self.many, left, strict=True):
            self.deliver(product, 50 - qty)
        self.assertTrue(all(listings.mapped("stock_pending")))
        # The quota: this one call goes through, every further one is refused (eBay 518).
        self.emulator.inject("ebay", "slow", delay=0, match="ReviseInventoryStatus")
        self.emulator.inject("ebay", "throttled", count=1000, match="ReviseInventoryStatus")
        client_class = registry.client_class("ebay")
        original = client_class._set_quantity_batch
        batches = []

        def record(client, batch):
            batches.append(list(batch))
            return original(client, batch)

        with patch.object(client_class, "_set_quantity_batch", record):
            self.push()
        self.assertEqual(len(batches), 2, "no call spent after the channel said no")
        by_ref = {lst.external_ref: lst for lst in listings}
        first = [by_ref[key] for key, _qty in batches[0]]
        self.assertEqual(sorted(lst.qty_to_publish for lst in first), [1, 2, 3, 4])
        self.assertEqual([qty for _key, qty in batches[0]], [1, 2, 3, 4], "lowest first")
        sent = listings.filtered(lambda lst: not lst.stock_pending)
        self.assertEqual(sorted(sent.mapped("qty_published")), [1, 2, 3, 4])
        rest = listings - sent
        self.assertEqual(len(rest), 8)
        self.assertEqual(set(rest.mapped("qty_published")), {50})
        # The rest waits for the quota (no attempt counted), in a job due then.
        rows = self.env["ecom.stock.outbox"].search([("listing_id", "in", rest.ids)])
        self.assertEqual(set(rows.mapped("attempts")), {0})
        self.assertTrue(all(row.next_attempt > fields.Datetime.now() for row in rows))
        self.assertTrue(channel.stock_push_retry_at)
        log = self.logs(channel, operation="push stock", status="ok")
        self.assertIn("4 quantities accepted", log.message)
        # The quota allows again: the 8 others go in the next job run.
        self.emulator.clear_faults("ebay")
        self.env["ecom.stock.outbox"].search([("listing_id", "in", rest.ids)]).write(
            {"next_attempt": fields.Datetime.subtract(fields.Datetime.now(), seconds=1)}
        )
        self.jobs_due_now(channel)
        self.push()
        self.assertFalse(listings.filtered("stock_pending"))
        for product, qty in zip(self.many, left, strict=True):
            self.assertEqual(self.remote_qty(channel, product), qty)
        self.channels["ebay"].retry_max_attempts = 5

    def test_risk_order_uses_days_of_cover(self):
        """With sales history, the fewest days of cover goes first, not the lowest quantity."""
        channel = self.emulated("woocommerce")
        fast, slow = self.many[:2]
        for product in (fast, slow):
            self.set_stock(product, 100)
        listings = self.published(channel, fast | slow)
        self.push()
        self.deliver(fast, 60)  # sells: 40 left, 60 sold in the window
        self.deliver(slow, 95)  # 5 left, 95 sold
        Outbox = self.env["ecom.stock.outbox"].sudo()
        # fast: 40 / (60/28) = 18.7 days; slow: 5 / (95/28) = 1.5 days: slow first
        ordered = Outbox._by_risk(
            self.channels["woocommerce"], listings, {lst.id: 0 for lst in listings}
        )
        self.assertEqual(ordered.product_id, slow | fast)

    # ------------------------------------------------------------------ linking
    def test_linking_pushes_the_quantity_at_once(self):
        for channel_type in ("woocommerce", "ebay"):
            with self.subTest(channel=channel_type):
                channel = self.emulated(channel_type)
                product = self.many[5 if channel_type == "ebay" else 6]
                self.set_stock(product, 10)
                with channel._get_client() as client:
                    payload = self.seed_payload(channel_type, product.default_code, "Gas", 9)
                    payload.quantity = 0
                    client.publish(payload)
                self.assertEqual(self.remote_qty(channel, product), 0)
                with trap_jobs() as trap:
                    action = channel.action_import_listings()
                    self.assertEqual(action["params"]["type"], "success")
                    trap.assert_jobs_count(1, only=channel.sudo()._job_push_stock)
                    trap.perform_enqueued_jobs()
                listing = self.env["ecom.channel.listing"].search(
                    [("channel_id", "=", channel.id), ("product_id", "=", product.id)]
                )
                self.assertEqual(listing.qty_published, 10)
                self.assertEqual(self.remote_qty(channel, product), 10, "not 0 until some move")
                self.assertTrue(self.logs(channel, operation="import listings", status="ok"))

    def test_manual_link_and_reactivation_push_the_quantity(self):
        channel = self.emulated("woocommerce")
        product = self.many[7]
        self.set_stock(product, 6)
        listing = self.published(channel, product)
        self.push()
        ref = listing.external_ref
        listing.sudo().write({"external_ref": False, "state": "ended"})
        self.env["ecom.stock.outbox"].sudo().search([]).unlink()
        with trap_jobs() as trap:
            listing.sudo().write({"external_ref": ref, "state": "published"})  # linked by hand
            trap.assert_jobs_count(1)
        self.assertTrue(listing.stock_pending)
        self.env["ecom.stock.outbox"].sudo().search([]).unlink()
        self.channels["woocommerce"].active = False
        with trap_jobs() as trap:
            self.channels["woocommerce"].active = True
            trap.assert_jobs_count(1, only=self.channels["woocommerce"].sudo()._job_push_stock)
        self.assertTrue(listing.stock_pending)

    # ------------------------------------------------------------------ dynamic buffer
    def test_dynamic_buffer_holds_back_what_sells_during_the_sync_delay(self):
        channel = self.emulated("shopify")
        product = self.many[8]
        self.set_stock(product, 200)
        listing = self.published(channel, product)
        self.deliver(product, 56)  # 2 a day over the 28-day window: 144 left
        self.push()
        record = self.channels["shopify"]
        self.assertTrue(record.stock_push_latency_p90 is not None)
        record.sudo().write(
            {"stock_latency_samples": [10.0] * 9 + [3600.0], "stock_push_latency_p90": 3600.0}
        )
        with patch.object(type(record), "_order_poll_seconds", lambda self: 9 * 3600.0):
            self.assertEqual(listing.qty_to_publish, 144, "off by default")
            record.stock_dynamic_buffer = True
            listing.invalidate_recordset()
            # 2 a day x (1 h p90 latency + 9 h order polling) = 0.83: 1 unit held back
            self.assertEqual(listing.expected_sync_delay, 36000.0)
            self.assertAlmostEqual(listing.daily_sales, 2.0)
            self.assertEqual(listing.dynamic_buffer_qty, 1)
            self.assertEqual(listing.qty_to_publish, 143)
            self.assertTrue(listing.stock_pending, "the new rule queues every listing")

    def test_push_latency_is_measured(self):
        channel = self.emulated("woocommerce")
        product = self.many[9]
        self.set_stock(product, 5)
        self.published(channel, product)
        self.deliver(product, 1)
        self.env.cr.execute(
            "UPDATE ecom_stock_outbox SET date = now() AT TIME ZONE 'UTC' - interval '90 seconds'"
        )
        self.push()
        record = self.channels["woocommerce"]
        self.assertGreaterEqual(record.stock_push_latency_p90, 90)
        self.assertLess(record.stock_push_latency_p90, 300)

    # ------------------------------------------------------------------ visibility
    def test_push_writes_one_sync_log_line_per_batch_naming_the_items(self):
        channel = self.emulated("woocommerce")
        products = self.many[10:12]
        for product in products:
            self.set_stock(product, 3)
        listings = self.published(channel, products)
        for product in products:
            self.deliver(product, 1)
        logs = self.logs(channel, operation="push stock", status="ok")
        self.push()
        (line,) = self.logs(channel, operation="push stock", status="ok") - logs
        self.assertIn("2 quantities accepted", line.message)
        for listing in listings:
            self.assertIn("%s=2" % listing.external_ref, line.message)

    def test_publish_of_nothing_is_a_neutral_notification(self):
        channel = self.emulated("woocommerce")
        listing = self.make_ready(channel, self.many[:1])
        listing.action_reset_draft()
        action = listing.action_publish()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("1 skipped", action["params"]["message"])
