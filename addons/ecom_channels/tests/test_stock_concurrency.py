# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock changes in parallel transactions while two workers push: every channel ends with the
final free stock. Unlike the other tests, this one commits (in its own cursors, on records of
its own that it archives at the end), because only committed transactions can race."""

import random
import threading
import time
import uuid

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_channel_publishing import CLIENT_LOGGERS, ChannelEmulatorCase

#: Errors after which PostgreSQL asks to retry the transaction (as Odoo's RPC layer does).
RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
WORKERS = 4
CHANGES_PER_WORKER = 6


@tagged("post_install", "-at_install")
class TestStockPushConcurrency(ChannelEmulatorCase):
    def in_new_transaction(self, func, attempts=20):
        """Run ``func(env)`` in a new cursor and commit (races need committed transactions);
        retry on serialization failures."""
        for attempt in range(attempts):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                try:
                    result = func(env)
                    cr.commit()  # pylint: disable=invalid-commit
                    return result
                except RETRYABLE:
                    cr.rollback()
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("transaction still conflicting after %d attempts" % attempts)

    def setup_committed(self, env):
        tag = uuid.uuid4().hex[:8]
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        product = env["product.product"].create(
            {
                "name": "Race stove %s" % tag,
                "default_code": "RACE-%s" % tag,
                "barcode": "59%011d" % random.randrange(10**11),
                "list_price": 30.0,
                "is_storable": True,
            }
        )
        shelves = env["stock.location"].create(
            [
                {"name": "Race %s shelf %d" % (tag, i), "location_id": warehouse.lot_stock_id.id}
                for i in range(WORKERS)
            ]
        )
        for shelf in shelves:
            env["stock.quant"]._update_available_quantity(product, shelf, 10)
        # Not activated here: the test transaction holds that row (it activated GBP itself).
        gbp = env.ref("base.GBP")
        channels = env["ecom.channel"]
        for channel_type in self.channel_types:
            connection = self.emulator.connection(channel_type)
            channels |= channels.create(
                {
                    "name": "Race %s %s" % (channel_type, tag),
                    "channel_type": channel_type,
                    "warehouse_id": warehouse.id,
                    "api_base_url": self.emulator.url(channel_type),
                    "currency_id": gbp.id,
                    "api_key": connection["api_key"],
                    "api_secret": connection["api_secret"],
                    "access_token": connection["access_token"],
                    "refresh_token": connection["refresh_token"],
                    "token_url": connection.get("token_url", False),
                    "account_ref": connection["account_ref"],
                    "timeout_seconds": 5.0,
                    "retry_backoff": 0.01,
                    "retry_max_delay": 0.05,
                    "rate_limit": 500.0,
                    "stock_buffer_qty": 1 if channel_type == "ebay" else 0,
                }
            )
        listings = env["ecom.channel.listing"].create(
            [self.listing_values(channel, product)[0] for channel in channels]
        )
        listings.action_mark_ready()
        listings._publish()
        assert set(listings.mapped("state")) == {"published"}, listings.mapped("last_error")
        return product.id, shelves.ids, channels.ids

    def cleanup(self, env, product_id, channel_ids):
        channels = env["ecom.channel"].browse(channel_ids)
        env["ecom.channel.listing"].search([("channel_id", "in", channel_ids)]).unlink()
        channels.action_archive()
        env["queue.job"].search([("ecom_channel_id", "in", channel_ids)]).unlink()
        env["product.product"].browse(product_id).action_archive()

    @mute_logger(*CLIENT_LOGGERS, "odoo.sql_db")
    def test_parallel_stock_changes_during_pushes(self):
        if not self.channel_types:
            self.skipTest("no channel client is available")
        product_id, shelf_ids, channel_ids = self.in_new_transaction(self.setup_committed)
        try:
            self.race(product_id, shelf_ids, channel_ids)
            self.in_new_transaction(lambda env: self.check_final(env, product_id, channel_ids))
        finally:
            self.in_new_transaction(lambda env: self.cleanup(env, product_id, channel_ids))

    @staticmethod
    def push_jobs(channel_ids):
        """What the push jobs of these channels do, in the caller's transaction."""

        def run(env):
            for channel in env["ecom.channel"].browse(channel_ids):
                channel._job_push_stock()

        return run

    def race(self, product_id, shelf_ids, channel_ids):
        done = threading.Event()
        failures = []

        def change(worker):
            rng = random.Random(worker)
            for _i in range(CHANGES_PER_WORKER):

                def adjust(env):
                    product = env["product.product"].browse(product_id)
                    quant = env["stock.quant"].search(
                        [("product_id", "=", product_id), ("location_id", "=", shelf_ids[worker])]
                    ) or env["stock.quant"].create(
                        {"product_id": product.id, "location_id": shelf_ids[worker]}
                    )
                    quant.inventory_quantity = rng.randint(0, 25)
                    quant.action_apply_inventory()

                self.in_new_transaction(adjust)
                time.sleep(rng.uniform(0, 0.05))

        def push():
            while not done.is_set():
                try:
                    self.in_new_transaction(self.push_jobs(channel_ids))
                except Exception as exc:  # noqa: BLE001 - reported by the test below
                    failures.append(exc)
                    return

        def guarded(func, *args):
            try:
                func(*args)
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)

        pushers = [threading.Thread(target=push) for _i in range(2)]
        workers = [threading.Thread(target=guarded, args=(change, w)) for w in range(WORKERS)]
        for thread in pushers + workers:
            thread.start()
        for thread in workers:
            thread.join(120)
        done.set()
        for thread in pushers:
            thread.join(120)
        self.assertFalse(failures, failures)
        # What is still queued goes out at the next runs of the jobs.
        for _run in range(5):
            self.in_new_transaction(self.push_jobs(channel_ids))

    def check_final(self, env, product_id, channel_ids):
        channels = env["ecom.channel"].browse(channel_ids)
        warehouse = channels[0].warehouse_id
        quants = env["stock.quant"].search(
            [
                ("product_id", "=", product_id),
                ("location_id", "child_of", warehouse.lot_stock_id.id),
            ]
        )
        free = sum(quants.mapped("quantity")) - sum(quants.mapped("reserved_quantity"))
        listings = env["ecom.channel.listing"].search([("channel_id", "in", channel_ids)])
        self.assertFalse(listings.filtered("stock_pending"), "the outbox is empty")
        for channel in channels:
            listing = listings.filtered(lambda lst, c=channel: lst.channel_id == c)
            expected = channel._sellable_quantity(free)
            with channel._get_client() as client:
                shown = {item.sku: item.quantity for item in client.list_listings()}
            self.assertEqual(shown[listing.default_code], expected, channel.channel_type)
            self.assertEqual(listing.qty_published, expected, channel.channel_type)
