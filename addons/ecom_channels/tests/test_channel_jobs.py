# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile input in the channel jobs: a bad item or a broken channel is recorded and the rest
goes on; crons only enqueue one job per channel, and a job never waits for a channel in its
transaction (queue_job postpones it instead)."""

import time
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..ecom_channels_core import registry
from ..ecom_channels_core.errors import ChannelError
from . import test_stock_sync
from .test_channel_publishing import CLIENT_LOGGERS, ChannelEmulatorCase

#: Loggers of the expected errors: clients, jobs, and Odoo's cron runner.
JOB_LOGGERS = (
    *CLIENT_LOGGERS,
    "odoo.addons.ecom_channels.models.ecom_channel",
    "odoo.addons.ecom_channels.models.ecom_channel_listing",
    "odoo.addons.ecom_channels.models.ecom_stock_feed",
    "odoo.addons.ecom_channels.models.ecom_stock_outbox",
    "odoo.addons.ecom_channels.models.ecom_channel_jobs",
    "odoo.addons.base.models.ir_cron",
)


@tagged("post_install", "-at_install")
class TestChannelJobs(ChannelEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.stock_products = cls.env["product.product"].create(
            [
                {
                    "name": "Lantern %d" % i,
                    "default_code": "LANTERN-%03d" % i,
                    "barcode": "590000300%04d" % i,
                    "list_price": 20.0 + i,
                    "weight": 0.4,
                    "categ_id": cls.categ.id,
                    "is_storable": True,
                }
                for i in range(4)
            ]
        )
        # Only the emulated channels: the common one points at a port nothing answers.
        cls.channel.active = False

    # ------------------------------------------------------------------ helpers
    def emulated(self, channel_type):
        if channel_type not in self.channels:
            self.skipTest("no %s client" % channel_type)
        return self.channels[channel_type].with_user(self.backoffice)

    def set_stock(self, product, qty):
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, qty)

    def deliver(self, product, qty):
        """A delivery validated by the warehouse user (queues the stock push)."""
        return test_stock_sync.TestStockSync.deliver(self, product, qty)

    def published(self, channel, products):
        listings = self.make_ready(channel, products)
        channel.action_publish_listings()
        self.assertEqual(
            set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
        )
        return listings

    def remote_qty(self, channel, product):
        (item,) = self.remote(channel)[product.default_code]
        return item.quantity

    # ------------------------------------------------------------------ publishing
    @mute_logger(*JOB_LOGGERS)
    def test_publish_unexpected_error_stays_on_its_listing(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel_type):
                self.emulator.reset()
                listings = self.make_ready(channel, self.products[:3])
                client_class = registry.client_class(channel_type)
                original = client_class.publish
                bad_sku = listings[1].default_code

                def publish(client, payload, original=original, bad_sku=bad_sku):
                    if payload.sku == bad_sku:
                        raise KeyError("variants")  # a bug, or an answer the client misread
                    return original(client, payload)

                with patch.object(client_class, "publish", publish):
                    action = channel.action_publish_listings()

                self.assertEqual((listings - listings[1]).mapped("state"), ["published"] * 2)
                self.assertEqual(listings[1].state, "error")
                self.assertIn("unexpected error (KeyError)", listings[1].last_error)
                self.assertEqual(action["params"]["type"], "warning")
                self.assertIn(bad_sku, action["params"]["message"])
                log = self.logs(channel, operation="publish", status="error")
                self.assertEqual(log.listing_id, listings[1])
                self.assertIn(bad_sku, log.message)
                self.assertIn(bad_sku, log.payload, "the listing sent is kept (redacted)")
                listings.sudo().unlink()

    @mute_logger(*JOB_LOGGERS)
    def test_concurrency_errors_are_not_swallowed(self):
        """PostgreSQL asks to run the transaction again: Odoo's retry must see the error."""
        channel_type, channel = self.each_channel()[0]
        listings = self.make_ready(channel, self.products[:2])
        client_class = registry.client_class(channel_type)
        with patch.object(
            client_class,
            "publish",
            side_effect=pg_errors.SerializationFailure("could not serialize access"),
        ):
            with self.assertRaises(pg_errors.SerializationFailure):
                listings._publish()
            with self.assertRaises(pg_errors.SerializationFailure):
                channel.sudo()._job_publish()

    @mute_logger(*JOB_LOGGERS)
    def test_rate_limited_channel_keeps_the_rest_for_later(self):
        channel = self.emulated("shopify")
        listings = self.make_ready(channel, self.products[:4])
        client_class = registry.client_class("shopify")
        original = client_class.publish
        limited = listings[1].default_code

        def publish(client, payload):
            if payload.sku == limited:
                raise ChannelError("Shopify: rate limit reached", retryable=True, retry_after=120)
            return original(client, payload)

        with patch.object(client_class, "publish", publish):
            action = channel.action_publish_listings()
            self.assertEqual(listings[0].state, "published")
            self.assertEqual(listings[1].state, "error")
            self.assertIn("rate limit", listings[1].last_error)
            self.assertEqual(listings[2:].mapped("state"), ["ready", "ready"], "not even tried")
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("2 left for later", action["params"]["message"])
            # The channel's publishing job is queued for when the channel allows it.
            retry_at = channel.publish_retry_at
            self.assertGreaterEqual(
                retry_at, fields.Datetime.add(fields.Datetime.now(), seconds=110)
            )
            self.assertIn(
                "publishing job sends them",
                self.logs(channel, operation="publish", status="warning").message,
            )
            # Until then the cron enqueues nothing more and no job runs.
            calls = len(self.emulator.calls("shopify"))
            self.env["ecom.channel"]._cron_publish_listings()
            self.assertEqual(
                self.env["queue.job"].search_count(
                    [("ecom_channel_id", "=", channel.id), ("method_name", "=", "_job_publish")]
                ),
                1,
            )
            self.assertFalse(self.run_jobs())
            self.assertEqual(len(self.emulator.calls("shopify")), calls)
            self.assertEqual(listings[2:].mapped("state"), ["ready", "ready"])
        self.jobs_due_now(channel)
        self.run_jobs()
        self.assertEqual(listings[2:].mapped("state"), ["published"] * 2)
        # The listing that failed in this run waits for the next one.
        self.assertEqual(listings[1].state, "error")

    @mute_logger(*JOB_LOGGERS)
    def test_publish_cron_enqueues_one_job_per_channel(self):
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        bad = self.make_ready(shopify, self.products[:2])
        good = self.make_ready(woo, self.products[:2])
        client_class = registry.client_class("shopify")
        attempts = []

        def publish(client, payload):
            attempts.append(payload.sku)
            raise ChannelError("Shopify: Product is invalid: %s" % payload.sku)

        with trap_jobs() as trap:
            self.env["ecom.channel"]._cron_publish_listings()
            self.env["ecom.channel"]._cron_publish_listings()
            trap.assert_jobs_count(2)
            for channel in (shopify, woo):
                trap.assert_enqueued_job(
                    channel.sudo()._job_publish,
                    kwargs={"limit": 200},
                    properties={"channel": channel._ecom_job_channel(), "priority": 10},
                )
            self.assertFalse(self.emulator.calls("shopify"), "the cron only enqueues")
            with patch.object(client_class, "publish", publish):
                trap.perform_enqueued_jobs()

        self.assertEqual(set(good.mapped("state")), {"published"}, good.mapped("last_error"))
        self.assertEqual(set(bad.mapped("state")), {"error"})
        self.assertEqual(sorted(attempts), sorted(bad.mapped("default_code")), "once each")
        # Every publication is in the sync log (issue 18).
        ok = self.logs(woo, operation="publish", status="ok")
        self.assertEqual(ok.listing_id, good)
        self.assertIn("published as", ok[0].message)

    # ------------------------------------------------------------------ ending
    @mute_logger(*JOB_LOGGERS)
    def test_end_failure_keeps_the_listing_published(self):
        channel = self.emulated("woocommerce")
        listings = self.published(channel, self.products[:3])
        client_class = registry.client_class("woocommerce")
        original = client_class.end_listing
        stuck = listings[1].external_ref

        def end_listing(client, ref):
            if ref == stuck:
                raise ChannelError("WooCommerce: request refused (HTTP 400): locked product")
            return original(client, ref)

        with patch.object(client_class, "end_listing", end_listing):
            action = listings.action_end()
        self.assertEqual(listings.mapped("state"), ["ended", "published", "ended"])
        self.assertIn("locked product", listings[1].last_error)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(listings[1].default_code, action["params"]["message"])
        self.assertEqual(
            self.logs(channel, operation="end listing", status="error").listing_id, listings[1]
        )
        # Nothing left to end among the ended ones: said neutrally.
        action = (listings - listings[1]).action_end()
        self.assertEqual(action["params"]["type"], "info")
        # Not published again by the publishing job (it is still on the channel).
        self.assertNotIn(
            listings[1], self.env["ecom.channel.listing"].search(channel._publish_domain())
        )

    # ------------------------------------------------------------------ import
    @mute_logger(*JOB_LOGGERS)
    def test_import_links_the_good_items_and_reports_the_bad(self):
        channel = self.emulated("woocommerce")
        with channel._get_client() as client:
            for product in self.products[:4]:
                client.publish(
                    self.seed_payload("woocommerce", product.default_code, product.name, 9)
                )
        client_class = registry.client_class("woocommerce")
        original = client_class.list_listings
        broken = self.products[1].default_code

        def list_listings(client):
            for item in original(client):
                if item.sku == broken:
                    item.price = "nine pounds"  # cannot be stored
                yield item

        with patch.object(client_class, "list_listings", list_listings):
            action = channel.action_import_listings()
        listings = self.env["ecom.channel.listing"].search([("channel_id", "=", channel.id)])
        self.assertEqual(
            set(listings.mapped("default_code")),
            set((self.products[:4] - self.products[1]).mapped("default_code")),
        )
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("1 failed", action["params"]["message"])
        self.assertIn(broken, action["params"]["message"])
        errors = self.logs(channel, operation="import listings", status="error")
        item_log = errors.filtered(lambda log: "could not be linked" in log.message)
        self.assertIn(broken, item_log.message)
        self.assertIn(broken, item_log.payload)

        # The channel stops answering after two listings: those two are linked.
        listings.sudo().unlink()

        def list_two(client):
            for number, item in enumerate(original(client)):
                if number == 2:
                    raise ChannelError("WooCommerce: the channel had a server error (HTTP 500)")
                yield item

        with patch.object(client_class, "list_listings", list_two):
            action = channel.action_import_listings()
        self.assertEqual(
            self.env["ecom.channel.listing"].search_count([("channel_id", "=", channel.id)]), 2
        )
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("server error", action["params"]["message"])

    # ------------------------------------------------------------------ stock push
    def job_of(self, channel, method="_job_push_stock"):
        return self.env["queue.job"].search(
            [("ecom_channel_id", "=", channel.id), ("method_name", "=", method)],
            order="id desc",
            limit=1,
        )

    @mute_logger(*JOB_LOGGERS)
    def test_push_unexpected_error_on_one_channel(self):
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        product = self.stock_products[0]
        self.set_stock(product, 9)
        good, bad = self.published(shopify, product), self.published(woo, product)
        self.deliver(product, 2)
        client_class = registry.client_class("woocommerce")
        with patch.object(client_class, "set_quantities", side_effect=RuntimeError("boom")):
            self.run_jobs()
        self.assertFalse(good.stock_pending)
        self.assertEqual(good.qty_published, 7)
        self.assertEqual(self.remote_qty(shopify, product), 7)
        self.assertTrue(bad.stock_pending)
        self.assertEqual(bad.qty_published, 9)
        # A bug is a dead letter at once, named by its type, shown on the channel.
        self.assertEqual(woo.failed_job_count, 1)
        job = self.job_of(woo)
        self.assertEqual(job.state, "failed")
        self.assertIn("unexpected error (RuntimeError): boom", job.exc_message)
        # Retry once fixed: the change was kept in the outbox.
        job.with_user(self.manager).action_ecom_retry()
        self.run_jobs()
        self.assertFalse(bad.stock_pending)
        self.assertEqual(self.remote_qty(woo, product), 7)

    @mute_logger(*JOB_LOGGERS)
    def test_push_job_one_broken_channel_one_good(self):
        """End to end, as the job runner runs it: one channel answers 500, the other works;
        each channel is its own job (its own transaction)."""
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        self.channels["woocommerce"].retry_max_attempts = 1
        product = self.stock_products[1]
        self.set_stock(product, 10)
        good, bad = self.published(shopify, product), self.published(woo, product)
        self.emulator.inject("woocommerce", "500", count=1000)
        self.deliver(product, 3)

        performed = self.run_jobs()

        self.assertEqual(performed.ecom_channel_id, shopify | woo, "one job per channel")
        self.assertFalse(good.stock_pending)
        self.assertEqual(self.remote_qty(shopify, product), 7)
        self.assertTrue(bad.stock_pending)
        self.assertEqual(bad.qty_published, 10)
        self.assertEqual(woo.stock_push_failures, 1)
        self.assertGreater(woo.stock_push_retry_at, fields.Datetime.now())
        self.assertIn("server error", self.job_of(woo).result)

        # Once the channel is back and the backoff over, the job sends the quantity.
        self.emulator.clear_faults("woocommerce")
        self.jobs_due_now(woo)
        self.run_jobs()
        self.assertFalse(bad.stock_pending)
        self.assertEqual(self.remote_qty(woo, product), 7)
        self.assertFalse(woo.stock_push_failures)
        self.channels["woocommerce"].retry_max_attempts = 5

    @mute_logger(*JOB_LOGGERS)
    def test_push_cron_hostile_answers_do_not_hold_the_others(self):
        """One channel redirects to another host, another answers a gzip bomb: both are
        recorded and kept for a retry, no credential reaches the other host, and the third
        channel gets its quantity."""
        shopify, woo, ebay = (self.emulated(t) for t in ("shopify", "woocommerce", "ebay"))
        product = self.stock_products[0]
        self.set_stock(product, 12)
        good = self.published(shopify, product)
        redirected, bombed = self.published(woo, product), self.published(ebay, product)
        self.emulator.inject("woocommerce", "redirect", count=1000)
        self.emulator.inject("ebay", "gzip_bomb", count=1000, size=30 * 1024 * 1024)
        self.deliver(product, 2)

        self.run_jobs()

        self.assertFalse(good.stock_pending)
        self.assertEqual(self.remote_qty(shopify, product), 10)
        now = fields.Datetime.now()
        for channel, listing in ((woo, redirected), (ebay, bombed)):
            with self.subTest(channel=channel.channel_type):
                self.assertTrue(listing.stock_pending)
                self.assertEqual(listing.qty_published, 12)
                rows = self.env["ecom.stock.outbox"].search([("listing_id", "=", listing.id)])
                waits = (channel.stock_push_retry_at or now) > now or all(
                    row.next_attempt and row.next_attempt > now for row in rows
                )
                self.assertTrue(waits, "kept for a retry after a backoff")
                self.assertTrue(
                    self.logs(channel, operation="push stock", status="error")
                    or self.job_of(channel).result
                    or self.job_of(channel).exc_message
                )
        self.assertFalse(self.emulator.trap.requests, "nothing was sent to the other host")
        secrets = self.emulator.credentials["woocommerce"].values()
        for log in self.logs(woo):
            for secret in secrets:
                self.assertNotIn(secret, "%s %s" % (log.message, log.payload or ""))

    @mute_logger(*JOB_LOGGERS)
    def test_publish_error_echoing_the_secret_is_redacted(self):
        channel = self.emulated("woocommerce")
        listing = self.make_ready(channel, self.products[:1])
        self.emulator.inject("woocommerce", "echo_secret", count=1000)
        action = channel.action_publish_listings()
        self.assertEqual(listing.state, "error")
        log = self.logs(channel, operation="publish", status="error")
        self.assertTrue(log.payload or log.message)
        secret = self.emulator.credentials["woocommerce"]["api_secret"]
        for text in (listing.last_error, log.message, log.payload or "", str(action)):
            self.assertNotIn(secret, text)

    @mute_logger(*JOB_LOGGERS)
    def test_push_jobs_commit_each_channel_separately(self):
        """A concurrency error in the second channel's job rolls back that job only, which
        queue_job retries; the first channel's push is done."""
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        product = self.stock_products[2]
        self.set_stock(product, 6)
        first, second = self.published(shopify, product), self.published(woo, product)
        self.deliver(product, 1)
        client_class = registry.client_class("woocommerce")
        with patch.object(
            client_class,
            "set_quantities",
            side_effect=pg_errors.SerializationFailure("could not serialize access"),
        ):
            self.run_jobs()
        self.assertFalse(first.stock_pending)
        self.assertEqual(first.qty_published, 5)
        self.assertTrue(second.stock_pending)
        self.assertEqual(second.qty_published, 6)
        self.assertEqual(self.job_of(woo).state, "pending", "retried, not a dead letter")

    @mute_logger(*JOB_LOGGERS)
    def test_job_never_waits_for_a_rate_limited_channel(self):
        """The channel asks to wait 30 s: the job does not sleep in its transaction; queue_job
        postpones it by that delay without using up an attempt (never parked early)."""
        channel = self.emulated("shopify")
        self.channels["shopify"].write({"retry_max_delay": 300, "retry_max_attempts": 2})
        product = self.stock_products[3]
        self.set_stock(product, 4)
        listing = self.published(channel, product)
        self.deliver(product, 1)
        self.emulator.inject("shopify", "429", count=1000, retry_after=30)
        start = time.monotonic()
        for _attempt in range(3):
            self.jobs_due_now(channel)
            self.run_jobs()
        self.assertLess(time.monotonic() - start, 20, "the job waited for the channel")
        self.assertTrue(listing.stock_pending)
        job = self.job_of(channel)
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.retry, 0, "a quota never uses up an attempt")
        self.assertGreaterEqual(job.eta, fields.Datetime.add(fields.Datetime.now(), seconds=25))
        self.assertEqual(channel.stock_push_retry_at, job.eta)
        self.channels["shopify"].write({"retry_max_delay": 0.05, "retry_max_attempts": 5})

    def test_push_notification_is_neutral_when_nothing_happens(self):
        channel = self.emulated("shopify")
        action = channel.action_push_stock()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("no published listing", action["params"]["message"])
        product = self.stock_products[0]
        self.set_stock(product, 3)
        self.published(channel, product)
        action = channel.action_push_stock()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("right quantity", action["params"]["message"])

    @mute_logger(*JOB_LOGGERS)
    def test_amazon_feed_submitted_then_results_read_by_a_later_run(self):
        channel = self.emulated("amazon")
        products = self.stock_products[:3]
        for product in products:
            self.set_stock(product, 5)
        listings = self.published(channel, products)
        self.assertEqual(listings.mapped("qty_published"), [5, 5, 5])
        ghost = listings[2]
        ghost.sudo().external_ref = "GHOST-SKU-1"  # Amazon does not know this SKU
        for product in products:
            self.set_stock(product, 3)  # 8 now, changed without a stock move
        self.env["ecom.stock.outbox"]._enqueue_listings(listings.ids)
        Channel = self.env["ecom.channel"]
        Feed = self.env["ecom.stock.feed"]

        with patch.object(type(Channel), "_client_options", lambda self: {"feed_threshold": 2}):
            self.run_jobs()
            # Submitted: nothing waits for Amazon to process it.
            self.assertTrue(self.emulator.calls("amazon", "createFeed"))
            self.assertFalse(self.emulator.calls("amazon", "getFeed"))
            feed = Feed.search([("channel_id", "=", channel.id)])
            self.assertEqual(feed.item_count, 3)
            self.assertEqual(feed.outbox_ids.listing_id, listings)
            self.assertGreater(feed.next_check, fields.Datetime.now())
            # a later job reads the results when they are due
            later = self.env["queue.job"].search(
                [("ecom_channel_id", "=", channel.id), ("state", "=", "pending")]
            )
            self.assertEqual(later.mapped("eta"), [feed.next_check])
            self.assertEqual(later.kwargs, {"later": True})
            self.assertTrue(all(listings.mapped("stock_pending")))
            self.assertEqual(listings.mapped("qty_published"), [5, 5, 5])

            # A run before the results are due sends nothing, even for a new change.
            self.deliver(products[0], 1)
            calls = len(self.emulator.calls("amazon"))
            self.run_jobs()
            self.assertEqual(len(self.emulator.calls("amazon")), calls)

            # Due, still processing: read once, checked again a minute later.
            feed.sudo().next_check = fields.Datetime.subtract(fields.Datetime.now(), seconds=1)
            self.jobs_due_now(channel)
            self.run_jobs()
            self.assertEqual(len(self.emulator.calls("amazon", "getFeed")), 1)
            self.assertEqual(feed.checks, 1)
            self.assertGreater(feed.next_check, fields.Datetime.now())

            # Done: accepted quantities recorded, the refused one queued again with a backoff;
            # the change made meanwhile is pushed in the same run.
            feed.sudo().next_check = fields.Datetime.subtract(fields.Datetime.now(), seconds=1)
            self.jobs_due_now(channel)
            self.run_jobs()
        self.assertFalse(feed.exists())
        self.assertEqual(listings[0].qty_published, 7)
        self.assertEqual(self.remote_qty(channel, products[0]), 7)
        self.assertEqual(listings[1].qty_published, 8)
        self.assertEqual(self.remote_qty(channel, products[1]), 8)
        self.assertFalse(listings[:2].filtered("stock_pending"))
        self.assertEqual(ghost.qty_published, 5)
        self.assertTrue(ghost.stock_pending)
        # (two rows: the new reference queued the quantity too, as a manual link does)
        rows = self.env["ecom.stock.outbox"].search([("listing_id", "=", ghost.id)])
        self.assertEqual(set(rows.mapped("attempts")), {1})
        self.assertFalse(rows.feed_id)
        self.assertTrue(all(row.next_attempt > fields.Datetime.now() for row in rows))
        self.assertIn("GHOST-SKU-1", ghost.last_error)
        log = self.logs(channel, operation="push stock", status="error", listing_id=ghost.id)
        self.assertIn("GHOST-SKU-1", log.message)

    # ------------------------------------------------------------------ reconcile
    @mute_logger(*JOB_LOGGERS)
    def test_reconcile_job_one_channel_broken(self):
        shopify, woo = self.emulated("shopify"), self.emulated("woocommerce")
        product = self.stock_products[0]
        self.set_stock(product, 5)
        self.published(shopify, product)
        self.published(woo, product)
        client_class = registry.client_class("woocommerce")
        self.env["ecom.channel"]._cron_reconcile_stock()
        with patch.object(client_class, "list_listings", side_effect=RuntimeError("boom")):
            self.run_jobs(("_job_reconcile_stock",))
        self.assertTrue(shopify.stock_last_reconcile_date)
        self.assertTrue(self.logs(shopify, operation="reconcile stock", status="ok"))
        self.assertFalse(woo.stock_last_reconcile_date)
        job = self.job_of(woo, "_job_reconcile_stock")
        self.assertEqual(job.state, "failed", "a bug: a dead letter at once")
        self.assertIn("unexpected error (RuntimeError): boom", job.exc_message)
        # The cron does not queue the same work twice while a job waits, and the failed job
        # is retried by a manager once the cause is fixed.
        job.with_user(self.manager).action_ecom_retry()
        self.env["ecom.channel"]._cron_reconcile_stock()
        self.assertEqual(
            self.env["queue.job"].search_count(
                [("ecom_channel_id", "=", woo.id), ("state", "=", "pending")]
            ),
            1,
        )
        self.run_jobs(("_job_reconcile_stock",))
        self.assertTrue(woo.stock_last_reconcile_date)

    @mute_logger(*JOB_LOGGERS)
    def test_reconcile_job_retries_an_unreachable_channel(self):
        woo = self.emulated("woocommerce")
        self.channels["woocommerce"].retry_max_attempts = 1
        self.emulator.inject("woocommerce", "503", count=1000)
        self.env["ecom.channel"]._cron_reconcile_stock()
        self.run_jobs(("_job_reconcile_stock",))
        job = self.job_of(woo, "_job_reconcile_stock")
        self.assertEqual((job.state, job.retry), ("pending", 1))
        self.assertGreater(woo.stock_reconcile_retry_at, fields.Datetime.now())
        self.emulator.clear_faults("woocommerce")
        self.jobs_due_now(woo)
        self.run_jobs(("_job_reconcile_stock",))
        self.assertTrue(woo.stock_last_reconcile_date)
        self.channels["woocommerce"].retry_max_attempts = 5

    @mute_logger(*JOB_LOGGERS)
    def test_reconcile_leaves_out_an_unreadable_quantity(self):
        channel = self.emulated("shopify")
        products = self.stock_products[:2]
        for product in products:
            self.set_stock(product, 4)
        self.published(channel, products)
        client_class = registry.client_class("shopify")
        original = client_class.list_listings
        odd = products[0].default_code

        def list_listings(client):
            for item in original(client):
                if item.sku == odd:
                    item.quantity = "lots"
                yield item

        with patch.object(client_class, "list_listings", list_listings):
            action = channel.action_reconcile_stock()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 channel items could not be read", action["params"]["message"])
        logs = self.logs(channel, operation="reconcile stock", status="warning")
        (odd_log,) = logs.filtered(lambda log: "'lots'" in log.message)
        self.assertIn(odd, odd_log.message)
        (summary,) = logs - odd_log
        self.assertIn("1 listings checked", summary.message)
        self.assertTrue(channel.stock_last_reconcile_date)

    def test_reconcile_cron_enqueues_one_job_per_channel(self):
        channels = [self.emulated(t) for t in ("shopify", "woocommerce")]
        self.env["ecom.channel"]._cron_reconcile_stock()
        performed = self.run_jobs(("_job_reconcile_stock",))
        self.assertEqual(len(performed), len(self.channel_types))
        self.assertEqual(set(performed.mapped("state")), {"done"})
        for channel in channels:
            self.assertTrue(channel.stock_last_reconcile_date)
