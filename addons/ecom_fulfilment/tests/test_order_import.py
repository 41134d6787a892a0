# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channel orders imported from the local emulator over real HTTP: exactly once, matched,
confirmed with stock reserved, flagged when they cannot be matched, cancelled when the channel
cancels them."""

from datetime import datetime
from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from odoo.addons.ecom_channels.ecom_channels_core.jobs import (
    LOCAL_JOB_CHANNEL,
    RESERVATION_JOB_CHANNEL,
)
from odoo.addons.ecom_channels.tests.test_channel_publishing import ChannelEmulatorCase
from odoo.addons.queue_job.tests.common import trap_jobs

from ..ecom_fulfilment_core.order_jobs import order_chunks
from .common import ensure_rate

#: Channel types whose order import is tested (those the emulator and the clients both have).
IMPORT_TYPES = ("shopify", "woocommerce", "ebay", "amazon")
#: The import mark each test starts from, and the date of the seeded orders.
START = datetime(2024, 2, 28, 12, 0, 0)
ORDER_DATE = "2024-03-01T10:00:00Z"
ADDRESS = {
    "name": "Jane Doe",
    "street": "1 High Street",
    "city": "Bristol",
    "zip": "BS1 4DJ",
    "country_code": "GB",
    "phone": "+44 117 496 0000",
}
CUSTOMER = {"name": "Jane Doe", "email": "jane.doe@example.com"}


@tagged("post_install", "-at_install")
class TestOrderImport(ChannelEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_rate(cls.env, cls.env.ref("base.GBP"))
        cls.importer = new_test_user(
            cls.env,
            "ecom_order_importer",
            groups="ecom_channels.ecom_channels_group_user,ecom_fulfilment.ecom_fulfilment_group_user,"
            "base.group_partner_manager",
        )
        cls.mug, cls.bottle = cls.products[:2]
        cls.products[:2].is_storable = True
        stock = cls.warehouse.lot_stock_id
        for product in (cls.mug, cls.bottle):
            cls.env["stock.quant"]._update_available_quantity(product, stock, 100)
        ship_product = cls.env["product.product"].create(
            {"name": "Carrier", "type": "service", "list_price": 0.0}
        )
        cls.tracked48 = cls.env["delivery.carrier"].create(
            {"name": "Tracked 48", "product_id": ship_product.id, "delivery_type": "fixed"}
        )
        cls.rule = cls.env["ecom.shipping.rule"].create(
            {
                "country_ids": [(6, 0, cls.env.ref("base.uk").ids)],
                "carrier_id": cls.tracked48.id,
            }
        )
        cls.import_types = [t for t in IMPORT_TYPES if t in cls.channel_types]

    def each_importing_channel(self):
        if not self.import_types:
            self.skipTest("no channel client is available")
        for channel_type in self.import_types:
            channel = self.channels[channel_type]
            channel.sudo().orders_imported_until = START
            yield channel_type, channel.with_user(self.importer)

    def seed(self, channel_type, sku=None, created_at=ORDER_DATE, **kwargs):
        values = {
            "lines": [
                {"sku": sku or self.mug.default_code, "quantity": 2, "price": 12.5},
                {"sku": self.bottle.default_code, "quantity": 1, "price": 8.0},
            ],
            "customer": CUSTOMER,
            "address": ADDRESS,
            "shipping": 3.95,
            "created_at": created_at,
        }
        values.update(kwargs)
        return str(self.emulator.apps[channel_type].seed_order(**values)["id"])

    def cancel_on_channel(self, channel_type, ref, stamp):
        app = self.emulator.apps[channel_type]
        with app.lock:
            if channel_type == "shopify":
                app.orders[ref].update(cancelledAt=stamp, updatedAt=stamp)
            elif channel_type == "woocommerce":
                app.orders[int(ref)].update(status="cancelled", date_modified_gmt=stamp[:-1])
            elif channel_type == "ebay":
                app.orders[ref]["OrderStatus"] = "Cancelled"
                app.orders[ref]["CheckoutStatus"]["LastModifiedTime"] = stamp
            else:
                app.orders[ref].update(OrderStatus="Canceled", LastUpdateDate=stamp)

    def orders(self, channel):
        return self.env["sale.order"].search([("ecom_channel_id", "=", channel.id)])

    def test_import_creates_confirmed_orders_once(self):
        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                ref = self.seed(channel_type)
                action = channel.action_import_orders()
                self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
                order = self.orders(channel)
                self.assertEqual(order.ecom_external_ref, ref)
                self.assertEqual(order.state, "sale")
                self.assertFalse(order.ecom_needs_attention)
                # customer, and the delivery address as its own contact
                self.assertEqual(order.partner_id.email, CUSTOMER["email"])
                self.assertEqual(order.partner_invoice_id, order.partner_id)
                delivery = order.partner_shipping_id
                self.assertEqual(delivery.parent_id, order.partner_id)
                self.assertEqual(delivery.type, "delivery")
                self.assertEqual(
                    (delivery.street, delivery.city, delivery.zip, delivery.country_id.code),
                    ("1 High Street", "Bristol", "BS1 4DJ", "GB"),
                )
                # lines with the channel's prices, and the shipping charge
                lines = {line.product_id: line for line in order.order_line}
                self.assertEqual(lines[self.mug].product_uom_qty, 2)
                self.assertEqual(lines[self.mug].price_unit, 12.5)
                self.assertEqual(lines[self.bottle].price_unit, 8.0)
                shipping = lines[channel.shipping_product_id]
                self.assertEqual(shipping.price_unit, 3.95)
                self.assertTrue(order.ecom_service_level)
                self.assertEqual(order.ecom_shipping_rule_id, self.rule)
                self.assertEqual(order.carrier_id, self.tracked48)
                # stock reserved
                moves = order.picking_ids.move_ids
                self.assertEqual(set(moves.mapped("state")), {"assigned"})
                self.assertEqual(sum(moves.mapped("quantity")), 3)
                # the mark moves to the newest order seen, not to now
                self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 10, 0, 0))
                # a second import (same window, overlap included) creates nothing
                channel.action_import_orders()
                self.assertEqual(self.orders(channel), order)
                self.assertEqual(
                    self.env["res.partner"].search_count([("email", "=", CUSTOMER["email"])]), 1
                )

    def test_concurrent_import_counts_as_existing(self):
        Order = self.registry["sale.order"]
        original = Order._ecom_existing_orders
        calls = []

        def stale(model, channel, refs):
            # the first lookup misses the order another process has just created
            calls.append(refs)
            return {} if len(calls) == 1 else original(model, channel, refs)

        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                self.seed(channel_type)
                channel.action_import_orders()
                order = self.orders(channel)
                calls.clear()
                channel.sudo().orders_imported_until = START
                with patch.object(Order, "_ecom_existing_orders", stale):
                    result = channel._import_orders()
                self.assertFalse(result["created"])
                self.assertFalse(result["failed"])
                self.assertEqual(self.orders(channel), order)

    def test_unknown_sku_needs_attention(self):
        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                self.seed(channel_type, sku="NO-SUCH-SKU")
                action = channel.action_import_orders()
                self.assertEqual(action["params"]["type"], "warning")
                order = self.orders(channel)
                self.assertEqual(order.state, "draft")
                self.assertTrue(order.ecom_needs_attention)
                self.assertIn("no product for SKU NO-SUCH-SKU", order.ecom_attention_reason)
                # nothing dropped: the known line and the unknown one (as a note) are there
                self.assertEqual(
                    order.order_line.filtered("product_id").product_id,
                    self.bottle | channel.shipping_product_id,
                )
                self.assertIn("NO-SUCH-SKU", order.order_line.filtered("display_type").name)
                log = self.env["ecom.sync.log"].search(
                    [("channel_id", "=", channel.id), ("res_id", "=", order.id)]
                )
                self.assertEqual(log.status, "warning")
                self.assertIn("NO-SUCH-SKU", log.message)
                menu = self.env.ref("ecom_fulfilment.sale_order_attention_action")
                self.assertIn("filter_ecom_needs_attention", menu.context)

    def test_missing_address_needs_attention(self):
        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                self.seed(channel_type, address={"name": "Jane Doe"})
                channel.action_import_orders()
                order = self.orders(channel)
                self.assertEqual(order.state, "draft")
                self.assertTrue(order.ecom_needs_attention)
                self.assertIn("delivery address lacks", order.ecom_attention_reason)

    def test_channel_cancellation_cancels_order(self):
        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                ref = self.seed(channel_type)
                channel.action_import_orders()
                order = self.orders(channel)
                self.assertEqual(order.state, "sale")
                self.cancel_on_channel(channel_type, ref, "2024-03-01T11:00:00Z")
                channel.action_import_orders()
                self.assertEqual(order.state, "cancel")
                self.assertEqual(set(order.picking_ids.mapped("state")), {"cancel"})
                self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 11, 0, 0))

    def test_cancellation_after_shipping_is_only_logged(self):
        channel_type, channel = next(self.each_importing_channel())
        ref = self.seed(channel_type)
        channel.action_import_orders()
        order = self.orders(channel)
        picking = order.picking_ids
        picking.move_ids.picked = True
        picking._action_done()
        self.cancel_on_channel(channel_type, ref, "2024-03-01T11:00:00Z")
        channel.action_import_orders()
        self.assertEqual(order.state, "sale")
        log = self.env["ecom.sync.log"].search(
            [("channel_id", "=", channel.id), ("res_id", "=", order.id)]
        )
        self.assertEqual(log.status, "warning")
        self.assertIn("already shipped", log.message)

    def test_overlap_catches_orders_at_the_boundary(self):
        for channel_type, channel in self.each_importing_channel():
            with self.subTest(channel=channel_type):
                self.seed(channel_type)
                channel.action_import_orders()
                mark = channel.orders_imported_until
                # dated exactly at the mark, and one the channel showed a few minutes late
                self.seed(channel_type, created_at=ORDER_DATE)
                self.seed(channel_type, created_at="2024-03-01T09:55:00Z")
                channel.action_import_orders()
                self.assertEqual(len(self.orders(channel)), 3)
                self.assertEqual(channel.orders_imported_until, mark)

    def test_cron_imports_every_channel(self):
        """The cron only queues one fetch job per channel, in the channel's own job channel
        and never twice; each fetch job queues the import of the orders it read in the local
        job channel, and moves the mark at once."""
        self.channel.active = False  # the base class's channel points at no server
        refs = {}
        for channel_type, channel in self.each_importing_channel():
            refs[channel] = self.seed(channel_type)
        with trap_jobs() as trap:
            self.env["ecom.channel"]._cron_import_orders()
            self.env["ecom.channel"]._cron_import_orders()
            trap.assert_jobs_count(len(refs))
            for channel in refs:
                trap.assert_enqueued_job(
                    channel.sudo()._ecom_job_fetch_orders,
                    properties={"channel": channel.sudo()._ecom_job_channel()},
                )
                self.assertFalse(self.orders(channel))
            trap.perform_enqueued_jobs()  # the fetch jobs
            for channel in refs:
                self.assertFalse(self.orders(channel))
                self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 10, 0, 0))
            imports = [job for job in trap.enqueued_jobs]
            self.assertEqual(len(imports), len(refs))
            self.assertEqual({job.channel for job in imports}, {LOCAL_JOB_CHANNEL})
            self.assertEqual({job.method_name for job in imports}, {"_ecom_job_import_orders"})
            trap.perform_enqueued_jobs()  # the imports
            for channel, ref in refs.items():
                order = self.orders(channel)
                self.assertEqual(order.ecom_external_ref, ref)
                self.assertEqual(order.state, "sale")
                # the reservation is left to a job of its own (one at a time)
                self.assertEqual(order.picking_ids.state, "confirmed")
            reservations = list(trap.enqueued_jobs)
            self.assertEqual(len(reservations), len(refs))
            self.assertEqual({job.method_name for job in reservations}, {"_ecom_job_reserve"})
            self.assertEqual({job.channel for job in reservations}, {RESERVATION_JOB_CHANNEL})
            trap.perform_enqueued_jobs()
        for channel in refs:
            self.assertEqual(self.orders(channel).picking_ids.state, "assigned")
        cron = self.env.ref("ecom_fulfilment.ecom_channel_cron_import_orders")
        self.assertEqual((cron.interval_number, cron.interval_type), (5, "minutes"))

    def test_reservation_job_keeps_the_operation_types_choice(self):
        """The reservation job of imported orders reserves what Odoo's confirmation would
        have: an operation type set to reserve manually keeps its deliveries unreserved."""
        channel = self.channels.get("woocommerce")
        if not channel:
            self.skipTest("no WooCommerce client")
        channel = channel.sudo()
        channel.warehouse_id.out_type_id.reservation_method = "manual"
        ref = self.seed("woocommerce")
        channel._import_orders()
        order = self.orders(channel).filtered(lambda o: o.ecom_external_ref == ref)
        self.assertEqual(order.picking_ids.state, "confirmed")
        channel._ecom_job_reserve(order.picking_ids.move_ids.ids)
        self.assertEqual(order.picking_ids.state, "confirmed")
        channel.warehouse_id.out_type_id.reservation_method = "at_confirm"
        channel._ecom_job_reserve(order.picking_ids.move_ids.ids)
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_reservation_job_reserves_what_the_confirmation_started(self):
        """A resupply transfer that an automatic reordering rule starts while an import job
        confirms its orders is reserved by the reservation job, as Odoo's confirmation would
        have reserved it at once; without the job it would wait for the scheduler."""
        channel = self.channels.get("woocommerce")
        if not channel:
            self.skipTest("no WooCommerce client")
        channel = channel.sudo()
        home = channel.warehouse_id
        overflow = self.env["stock.warehouse"].create(
            {"name": "Overflow", "code": "OVF", "company_id": home.company_id.id}
        )
        home.resupply_wh_ids = [(6, 0, overflow.ids)]
        route = self.env["stock.route"].search(
            [("supplied_wh_id", "=", home.id), ("supplier_wh_id", "=", overflow.id)]
        )
        self.assertEqual(len(route), 1)
        mug = self.mug
        self.env["stock.quant"]._update_available_quantity(mug, overflow.lot_stock_id, 500)
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": mug.id,
                "warehouse_id": home.id,
                "location_id": home.lot_stock_id.id,
                "trigger": "auto",
                # 100 on hand, 2 sold: the rule asks the overflow for about 100 (it has 500)
                "product_min_qty": 200,
                "product_max_qty": 200,
                "route_id": route.id,
            }
        )
        channel.orders_imported_until = START
        self.seed("woocommerce")
        with trap_jobs() as trap:
            channel._ecom_job_fetch_orders()
            trap.perform_enqueued_jobs()  # the import job
            resupply = self.env["stock.move"].search(
                [("product_id", "=", mug.id), ("location_id", "=", overflow.lot_stock_id.id)]
            )
            self.assertEqual(len(resupply), 1)
            self.assertEqual(resupply.state, "confirmed")  # left to the reservation job
            (reservation,) = trap.enqueued_jobs
            self.assertIn(resupply.id, reservation.args[0])
            trap.perform_enqueued_jobs()
        self.assertEqual(resupply.state, "assigned")
        self.assertEqual(self.orders(channel).picking_ids.state, "assigned")

    def test_import_jobs_split_the_orders_and_finish_in_any_order(self):
        """The orders read are imported in chunks of ORDER_JOB_CHUNK, one job each; the jobs
        may finish in any order (the last one first here): every order is imported once, and
        the mark (moved by the fetch job) does not move back."""
        channel = self.channels.get("woocommerce")
        if not channel:
            self.skipTest("no WooCommerce client")
        channel = channel.sudo()
        channel.orders_imported_until = START
        refs = {self.seed("woocommerce") for _i in range(5)}
        with (
            patch(
                "odoo.addons.ecom_fulfilment.models.ecom_channel.order_chunks",
                lambda orders: order_chunks(orders, size=2),
            ),
            trap_jobs() as trap,
        ):
            channel._ecom_job_fetch_orders()
            imports = list(trap.enqueued_jobs)
            self.assertEqual([len(job.args[0]) for job in imports], [2, 2, 1])
            mark = channel.orders_imported_until
            self.assertEqual(mark, datetime(2024, 3, 1, 10, 0, 0))
            for job in reversed(imports):
                job.perform()
            # the same order read again by an overlapping fetch: imported once
            imports[0].perform()
        self.assertEqual(set(self.orders(channel).mapped("ecom_external_ref")), refs)
        self.assertEqual(len(self.orders(channel)), 5)
        self.assertEqual(channel.orders_imported_until, mark)
