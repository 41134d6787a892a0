# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock sync: quantities computed from quants and the channel rules, the outbox fed by stock
moves, pushed by the channels' push jobs to the local emulator, with faults."""

from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..ecom_channels_core import registry
from .test_channel_publishing import CLIENT_LOGGERS, ChannelEmulatorCase

#: A listing id each channel type does not know (for partial failures).
UNKNOWN_REFS = {
    "shopify": "gid://shopify/ProductVariant/999999999",
    "woocommerce": "999999",
}


@tagged("post_install", "-at_install")
class TestStockSync(ChannelEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.shelf = cls.env["stock.location"].create(
            {"name": "Shelf 1", "location_id": cls.stock_location.id}
        )
        cls.outside = cls.env["stock.location"].create(
            {"name": "Quarantine", "location_id": cls.warehouse.view_location_id.id}
        )
        cls.stock_products = cls.env["product.product"].create(
            [
                {
                    "name": "Stove %d" % i,
                    "default_code": "STOVE-%03d" % i,
                    "barcode": "590000200%04d" % i,
                    "list_price": 40.0 + i,
                    "weight": 0.5,
                    "categ_id": cls.categ.id,
                    "is_storable": True,
                }
                for i in range(3)
            ]
        )

    # ------------------------------------------------------------------ helpers
    def set_stock(self, product, qty, location=None):
        self.env["stock.quant"]._update_available_quantity(
            product, location or self.stock_location, qty
        )

    def deliver(self, product, qty, validate=True):
        """A delivery of ``qty`` units from the warehouse, confirmed and reserved (and validated),
        as the warehouse user."""
        Picking = self.env["stock.picking"].with_user(self.warehouse_user)
        picking = Picking.create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": self.stock_location.id,
                            "location_dest_id": self.customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        if validate:
            picking.move_ids.write({"quantity": qty, "picked": True})
            picking.button_validate()
            self.assertEqual(picking.state, "done")
        return picking

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

    def push(self):
        """The job runner: perform the push jobs that are due."""
        return self.run_jobs(("_job_push_stock",))

    def pending_jobs(self):
        return self.env["queue.job"].search_count(
            [("method_name", "=", "_job_push_stock"), ("state", "=", "pending")]
        )

    # ------------------------------------------------------------------ tests
    def test_rules_from_quants_with_reservations(self):
        product = self.stock_products[0]
        self.set_stock(product, 10)
        self.set_stock(product, 3, self.shelf)  # in the stock tree: counted
        self.set_stock(product, 50, self.outside)  # outside the tree: not counted
        self.deliver(product, 2, validate=False)  # reserves 2
        channel = self.channels[self.channel_types[0]]
        listing = self.env["ecom.channel.listing"].create(self.listing_values(channel, product))
        listing = listing.with_user(self.backoffice)
        cases = [
            ({}, 11),
            ({"stock_buffer_qty": 1}, 10),
            ({"stock_buffer_qty": 1, "stock_percent": 55}, 5),  # 5.5 rounded down
            ({"stock_buffer_qty": 1, "stock_percent": 55, "stock_max_qty": 4}, 4),
            ({"stock_buffer_qty": 1, "stock_percent": 55, "stock_zero_below": 5}, 0),
            ({"stock_buffer_qty": 1, "stock_percent": 55, "stock_zero_below": 4}, 5),
            ({"stock_buffer_qty": 20}, 0),  # never negative
            ({"stock_max_qty": 30}, 11),
        ]
        defaults = {
            "stock_buffer_qty": 0,
            "stock_percent": 100,
            "stock_max_qty": 0,
            "stock_zero_below": 0,
        }
        for rules, expected in cases:
            with self.subTest(rules=rules):
                channel.write(dict(defaults, **rules))
                listing.invalidate_recordset(["qty_to_publish"])
                self.assertEqual(listing.qty_to_publish, expected)

    def test_free_stock_of_many_listings_in_one_query(self):
        channel = self.channels[self.channel_types[0]]
        listings = self.env["ecom.channel.listing"].create(
            self.listing_values(channel, self.stock_products)
        )
        for i, product in enumerate(self.stock_products):
            self.set_stock(product, 5 + i)
        listings.invalidate_recordset(["qty_to_publish"])
        self.env.invalidate_all()
        listings = listings.browse(listings.ids)
        listings.channel_id.mapped("stock_percent")
        listings.product_id.mapped("is_storable")
        listings.channel_id.warehouse_id.lot_stock_id.mapped("parent_path")
        with self.assertQueryCount(2):  # the quants' read_group + their locations
            self.assertEqual(listings.mapped("qty_to_publish"), [5, 6, 7])

    def test_delivery_pushes_to_every_channel(self):
        product = self.stock_products[0]
        self.set_stock(product, 10)
        listings = self.env["ecom.channel.listing"]
        for _channel_type, channel in self.each_channel():
            listings |= self.published(channel, product)
        for _channel_type, channel in self.each_channel():
            channel.action_push_stock()
        self.assertEqual(listings.mapped("qty_published"), [10] * len(listings))
        self.assertFalse(any(listings.mapped("stock_pending")))
        self.push()  # nothing left from the publication
        self.assertEqual(self.pending_jobs(), 0)

        self.deliver(product, 3)

        self.assertTrue(all(listings.mapped("stock_pending")))
        # one push job per channel, however many moves the delivery made
        self.assertEqual(self.pending_jobs(), len(listings))
        self.push()
        self.assertEqual(listings.mapped("qty_published"), [7] * len(listings))
        self.assertFalse(any(listings.mapped("stock_pending")))
        for _channel_type, channel in self.each_channel():
            self.assertEqual(self.remote_qty(channel, product), 7, channel.channel_type)

        # A sale order confirmed, its delivery reserved (not yet shipped): 5 are left to sell.
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Walk-in buyer"}).id,
                "warehouse_id": self.warehouse.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertTrue(all(listings.mapped("stock_pending")))
        self.push()
        for _channel_type, channel in self.each_channel():
            self.assertEqual(self.remote_qty(channel, product), 5, channel.channel_type)

        # Cancelled: the reservation comes back.
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertTrue(all(listings.mapped("stock_pending")))
        self.push()
        self.assertEqual(listings.mapped("qty_published"), [7] * len(listings))

    def test_inventory_adjustment_and_channel_rules_are_pushed(self):
        product = self.stock_products[1]
        channel_type, channel = self.each_channel()[0]
        listing = self.published(channel, product)
        self.channels[channel_type].write({"stock_buffer_qty": 2, "stock_max_qty": 20})
        quant = self.env["stock.quant"].create(
            {"product_id": product.id, "location_id": self.stock_location.id}
        )
        quant.inventory_quantity = 30
        quant.action_apply_inventory()
        self.assertTrue(listing.stock_pending)
        self.push()
        self.assertEqual(listing.qty_published, 20)
        self.assertEqual(self.remote_qty(channel, product), 20)

    def test_only_differing_listings_are_sent(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel_type):
                self.emulator.reset()
                for product in self.stock_products:
                    self.set_stock(product, 4)
                listings = self.published(channel, self.stock_products)
                channel.action_push_stock()
                before = listings[1].qty_published
                self.deliver(self.stock_products[1], 1)
                self.assertTrue(listings[1].stock_pending)
                client_class = registry.client_class(channel_type)
                original = client_class.set_quantities
                with patch.object(
                    client_class, "set_quantities", autospec=True, side_effect=original
                ) as sent:
                    channel.action_push_stock()  # marks every published listing pending
                (call,) = sent.call_args_list
                self.assertEqual(
                    call.args[1], [(listings[1].external_ref, listings[1].qty_published)]
                )
                self.assertFalse(any(listings.mapped("stock_pending")))
                self.assertEqual(listings[1].qty_published, before - 1)
                self.assertEqual(self.remote_qty(channel, self.stock_products[1]), before - 1)
                listings.sudo().unlink()

    @mute_logger(*CLIENT_LOGGERS)
    def test_channel_down_keeps_listings_pending_then_recovers(self):
        for kind in ("500", "429"):
            for channel_type, channel in self.each_channel():
                with self.subTest(channel=channel_type, fault=kind):
                    self.emulator.reset()
                    self.channels[channel_type].retry_max_attempts = 2
                    product = self.stock_products[2]
                    self.set_stock(product, 6)
                    listing = self.published(channel, product)
                    channel.action_push_stock()
                    published = listing.qty_published
                    self.emulator.inject(channel_type, kind, count=1000, retry_after=0)
                    self.deliver(product, 1)

                    (job,) = self.push()

                    self.assertTrue(listing.stock_pending)
                    self.assertEqual(listing.qty_published, published)
                    # queue_job's backoff: the job waits, the change stays queued; a quota
                    # (429) never uses up an attempt, a server error does.
                    self.assertEqual(job.state, "pending")
                    self.assertTrue(job.result)
                    self.assertEqual(channel.stock_push_failures, 1 if kind == "500" else 0)
                    self.assertGreater(channel.stock_push_retry_at, fields.Datetime.now())
                    self.emulator.clear_faults(channel_type)
                    calls = len(self.emulator.calls(channel_type))
                    self.push()
                    self.assertEqual(len(self.emulator.calls(channel_type)), calls)
                    self.assertTrue(listing.stock_pending)

                    # The backoff is over: the quantity arrives, once.
                    self.jobs_due_now(channel)
                    self.push()
                    self.assertFalse(listing.stock_pending)
                    self.assertEqual(listing.qty_published, published - 1)
                    self.assertEqual(self.remote_qty(channel, product), published - 1)
                    self.assertFalse(channel.stock_push_failures)
                    calls = len(self.emulator.calls(channel_type))
                    self.push()
                    channel.action_push_stock()
                    self.assertEqual(len(self.emulator.calls(channel_type)), calls)
                    self.channels[channel_type].retry_max_attempts = 5
                    listing.sudo().unlink()

    @mute_logger(*CLIENT_LOGGERS)
    def test_one_channel_down_does_not_hold_the_others(self):
        product = self.stock_products[0]
        self.set_stock(product, 9)
        listings = self.env["ecom.channel.listing"]
        for _channel_type, channel in self.each_channel():
            listings |= self.published(channel, product)
        down_type, down = self.each_channel()[0]
        self.channels[down_type].retry_max_attempts = 1
        self.emulator.inject(down_type, "500", count=1000)
        self.deliver(product, 4)
        self.push()
        for channel_type, channel in self.each_channel():
            listing = listings.filtered(lambda lst, c=channel: lst.channel_id == c)
            if channel_type == down_type:
                self.assertTrue(listing.stock_pending)
                self.assertEqual(listing.qty_published, 9)
            else:
                self.assertFalse(listing.stock_pending, channel_type)
                self.assertEqual(self.remote_qty(channel, product), 5, channel_type)
        self.emulator.clear_faults(down_type)
        self.assertTrue(down.stock_push_retry_at)
        down.action_push_stock()  # by hand: does not wait for the backoff
        self.assertEqual(self.remote_qty(down, product), 5)
        self.assertFalse(listings.filtered("stock_pending"))

    def test_partial_failure_keeps_failed_listings_pending(self):
        for channel_type, channel in self.each_channel():
            if channel_type not in UNKNOWN_REFS:
                continue
            with self.subTest(channel=channel_type):
                self.emulator.reset()
                for product in self.stock_products[:2]:
                    self.set_stock(product, 8)
                listings = self.published(channel, self.stock_products[:2])
                self.assertEqual(  # sent with the first publication
                    listings.mapped("qty_published"), listings.mapped("qty_to_publish")
                )
                listings[1].sudo().external_ref = UNKNOWN_REFS[channel_type]
                listings.sudo().qty_published = 0  # as if the channel had shown 0
                channel.action_push_stock()

                self.assertFalse(listings[0].stock_pending)
                self.assertEqual(listings[0].qty_published, listings[0].qty_to_publish)
                self.assertTrue(listings[1].stock_pending)
                self.assertEqual(listings[1].qty_published, 0)
                # (two rows: the new reference queued the quantity too, as a manual link)
                rows = self.env["ecom.stock.outbox"].search([("listing_id", "=", listings[1].id)])
                self.assertEqual(set(rows.mapped("attempts")), {1})
                self.assertTrue(all(row.next_attempt > fields.Datetime.now() for row in rows))
                self.assertTrue(
                    self.logs(
                        channel, operation="push stock", status="error", listing_id=listings[1].id
                    )
                )
                listings.sudo().unlink()

    def test_job_works_in_chunks_and_access(self):
        channel_type, channel = self.each_channel()[0]
        for product in self.stock_products:
            self.set_stock(product, 2)
        listings = self.published(channel, self.stock_products)
        self.push()
        self.env["ecom.stock.outbox"]._enqueue_listings(listings.ids)
        listings.sudo().qty_published = 0
        self.channels[channel_type].sudo()._job_push_stock(limit=2)
        self.assertEqual(listings.filtered("stock_pending"), listings[2])
        self.assertEqual(self.pending_jobs(), 1, "the next job is queued for the rest")
        self.push()
        self.assertFalse(any(listings.mapped("stock_pending")))
        self.assertEqual(listings.mapped("qty_published"), [2, 2, 2])
        self.assertEqual(self.pending_jobs(), 0)
        with self.assertRaises(AccessError):
            self.channels[channel_type].with_user(self.accountant).action_push_stock()

    def test_reconcile_reports_drift_and_corrects_it(self):
        product = self.stock_products[1]
        self.set_stock(product, 12)
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel_type):
                listing = self.published(channel, product)
                expected = listing.qty_to_publish
                self.assertEqual(self.remote_qty(channel, product), expected)
                result = channel._reconcile_stock()
                self.assertEqual(result, {"checked": 1, "drift": 0, "queued": 0, "skipped": 0})
                self.assertTrue(self.logs(channel, operation="reconcile stock", status="ok"))

                # Someone changes the quantity on the channel itself.
                with channel._get_client() as client:
                    client.set_quantities([(listing.external_ref, expected + 30)])
                result = channel._reconcile_stock()
                self.assertEqual(result, {"checked": 1, "drift": 1, "queued": 1, "skipped": 0})
                (log,) = self.logs(channel, operation="reconcile stock", status="warning")
                self.assertIn("channel shows %d" % (expected + 30), log.message)
                self.assertIn("should be %d" % expected, log.message)
                self.assertEqual(listing.qty_published, expected + 30)
                self.assertTrue(listing.stock_pending)
                self.push()
                self.assertEqual(self.remote_qty(channel, product), expected)
                self.assertEqual(listing.qty_published, expected)
                self.assertFalse(listing.stock_pending)
                listing.sudo().unlink()
