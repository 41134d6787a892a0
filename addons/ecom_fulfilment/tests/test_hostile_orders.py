# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile channel data is normal input: orders the channel sends wrong (bad dates, unknown
currency, negative quantities, dates in the future, no address, no id) are kept for a human and
never booked; one failing order, channel or dispatch never stops the others; the import marks
cannot be poisoned; customers are matched in the channel's company only, never to staff."""

from datetime import datetime
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.ecom_channels_core.payloads import (
    Address,
    RemoteOrder,
    RemoteOrderLine,
)
from odoo.addons.ecom_channels.models.ecom_channel_jobs import EcomJobFailed
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.ecom_order_failure import PARK_AFTER
from .common import ADDRESS, START, FulfilmentCase

IMPORT_LOGGERS = (
    "odoo.addons.ecom_fulfilment.models.sale_order",
    "odoo.addons.ecom_fulfilment.models.ecom_channel",
    "odoo.addons.ecom_fulfilment.models.stock_picking",
    "odoo.sql_db",
)


@tagged("post_install", "-at_install")
class TestHostileOrders(FulfilmentCase):
    def need(self, *types):
        missing = [t for t in types if t not in self.channels]
        if missing:
            self.skipTest("no channel client for %s" % ", ".join(missing))

    def woo(self):
        self.need("woocommerce")
        channel = self.channels["woocommerce"]
        channel.sudo().orders_imported_until = START
        return channel.with_user(self.importer)

    def orders(self, channel):
        orders = self.env["sale.order"].search([("ecom_channel_id", "=", channel.id)])
        return {order.ecom_external_ref: order for order in orders}

    def order_picking(self, channel_type, **seed):
        ref = self.seed(channel_type, **seed)
        order = self.import_orders(channel_type).filtered(lambda o: o.ecom_external_ref == ref)
        self.assertEqual(order.state, "sale", order.ecom_attention_reason)
        return ref, order, order.picking_ids

    # ------------------------------------------------------------------ acceptance
    def test_six_orders_only_the_good_one_is_booked_and_the_next_comes_once(self):
        channel = self.woo()
        if "invoice_policy" in channel._fields:  # ecom_accounting: invoiced when imported
            channel.sudo().invoice_policy = "import"
        app = self.emulator.apps["woocommerce"]
        good = self.seed("woocommerce")
        bad_dates = self.seed("woocommerce")
        with app.lock:
            app.orders[int(bad_dates)]["date_created_gmt"] = "2024-13-45T99:99:99"
        xyz = self.seed("woocommerce", currency="XYZ")
        negative = self.seed(
            "woocommerce",
            lines=[
                {"sku": self.mug.default_code, "quantity": 2, "price": 12.5},
                {"sku": self.bottle.default_code, "quantity": -2, "price": 8.0},
            ],
        )
        future = self.seed("woocommerce", created_at="2031-01-01T10:00:00Z")
        no_address = self.seed(
            "woocommerce",
            address={"name": ""},
            customer={"name": "Nobody", "email": "nobody@example.com"},
        )
        action = channel.action_import_orders()  # neither raises nor stops at the bad ones
        self.assertEqual(action["params"]["type"], "warning")
        orders = self.orders(channel)
        self.assertEqual(set(orders), {good, bad_dates, xyz, negative, future, no_address})
        self.assertEqual(orders[good].state, "sale")
        self.assertFalse(orders[good].ecom_needs_attention)
        reasons = {
            bad_dates: "date",
            xyz: "currency XYZ is unknown",
            negative: "quantity -2",
            future: "in the future",
            no_address: "delivery address lacks",
        }
        bad = self.env["sale.order"].browse([orders[ref].id for ref in reasons])
        for ref, words in reasons.items():
            order = orders[ref]
            with self.subTest(order=ref):
                self.assertEqual(order.state, "draft")
                self.assertTrue(order.ecom_needs_attention)
                self.assertIn(words, order.ecom_attention_reason)
        # nothing booked for them: no delivery, no return, no invoice, no credit note
        self.assertFalse(bad.picking_ids)
        self.assertFalse(self.env["stock.move"].search([("sale_line_id.order_id", "in", bad.ids)]))
        self.assertFalse(bad.invoice_ids)
        refunds = self.env["account.move"].search(
            [
                ("move_type", "=", "out_refund"),
                ("invoice_line_ids.sale_line_ids.order_id", "in", list(orders_ids(orders))),
            ]
        )
        self.assertFalse(refunds)
        self.assertFalse(
            orders[good].picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        )
        # the line of quantity -2 is kept as read, as a note, never as a product line
        lines = orders[negative].order_line
        self.assertTrue(all(line.product_uom_qty > 0 for line in lines if not line.display_type))
        self.assertNotIn(self.bottle, lines.product_id)
        self.assertIn(self.bottle.default_code, lines.filtered("display_type").name)
        # the mark: the newest real date read, never the one in 2031
        self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 10, 0, 0))
        if "invoice_policy" in channel._fields:
            self.assertEqual(orders[good].invoice_ids.state, "posted")
            self.assertEqual(orders[good].invoice_ids.currency_id, self.env.ref("base.GBP"))
        # a new order placed afterwards comes with the next run, once
        later = self.seed("woocommerce", created_at="2024-03-02T09:00:00Z")
        channel.action_import_orders()
        channel.action_import_orders()
        orders = self.orders(channel)
        self.assertEqual(len(orders), 7)
        self.assertEqual(orders[later].state, "sale")
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("ecom_channel_id", "=", channel.id), ("ecom_external_ref", "=", later)]
            ),
            1,
        )
        self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 2, 9, 0, 0))
        self.assertEqual(len(self.orders(channel)[future]), 1)

    def test_currency_without_rate_waits_for_one(self):
        channel = self.woo()
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", eur.id)]).unlink()
        ref = self.seed("woocommerce", currency="EUR")
        channel.action_import_orders()
        order = self.orders(channel)[ref]
        self.assertEqual(order.state, "draft")
        self.assertIn("EUR has no exchange rate", order.ecom_attention_reason)
        self.assertEqual(order.currency_id, eur)  # kept in its currency, for when it has a rate
        # with a rate, the next order in EUR is booked in EUR
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "rate": 1.17, "name": "2024-01-01"}
        )
        ref2 = self.seed("woocommerce", currency="EUR")
        channel.action_import_orders()
        order2 = self.orders(channel)[ref2]
        self.assertEqual(order2.state, "sale", order2.ecom_attention_reason)
        self.assertEqual(order2.currency_id, eur)

    def test_postcode_and_name_only_where_needed_prices_never_negative(self):
        channel = self.woo()
        ireland = self.seed(
            "woocommerce", address=dict(ADDRESS, city="Galway", zip="", country_code="IE")
        )
        no_postcode = self.seed("woocommerce", address=dict(ADDRESS, zip=""))
        no_name = self.seed(
            "woocommerce", address=dict(ADDRESS, name=""), customer={"email": "x@example.com"}
        )
        negative_price = self.seed(
            "woocommerce", lines=[{"sku": self.mug.default_code, "quantity": 1, "price": -5.0}]
        )
        channel.action_import_orders()
        orders = self.orders(channel)
        self.assertEqual(orders[ireland].state, "sale", orders[ireland].ecom_attention_reason)
        self.assertIn("a postcode", orders[no_postcode].ecom_attention_reason)
        self.assertIn("a name", orders[no_name].ecom_attention_reason)
        self.assertIn("price -5.0", orders[negative_price].ecom_attention_reason)
        for ref in (no_postcode, no_name, negative_price):
            self.assertEqual(orders[ref].state, "draft")
        self.assertFalse(
            orders[negative_price].order_line.filtered(lambda line: line.price_unit < 0)
        )

    def test_unreadable_and_unidentified_orders(self):
        """What the client could not read (its ``problems``) keeps the order for a human; an
        order without an id is logged with its data, secrets removed."""
        channel = self.woo()
        api_key = channel.sudo().api_key
        readable_address = Address(**dict(ADDRESS, name="Ann Lee"))
        unreadable = RemoteOrder(
            external_ref="W-1",
            name="W-1",
            currency="GBP",
            buyer_email="ann@example.com",
            shipping_address=readable_address,
            lines=[RemoteOrderLine("1", sku=self.mug.default_code, quantity=1, unit_price=5.0)],
            problems=["date_created_gmt '31/02/2024' is not a date"],
        )
        anonymous = RemoteOrder(
            external_ref="",
            name="77",
            problems=["the order has no id"],
            raw={"number": "77", "note": "key %s" % api_key, "consumer_secret": "cs_live_99"},
        )
        result = (
            self.env["sale.order"]
            .with_user(self.importer)
            ._ecom_import_remote_orders(channel, [unreadable, anonymous])
        )
        order = self.orders(channel)["W-1"]
        self.assertEqual(order.state, "draft")
        self.assertIn("'31/02/2024' is not a date", order.ecom_attention_reason)
        self.assertEqual(result["unidentified"], [anonymous])
        log = self.env["ecom.sync.log"].search(
            [("channel_id", "=", channel.id), ("message", "ilike", "no channel reference")]
        )
        self.assertEqual(log.status, "error")
        self.assertIn("77", log.message)
        self.assertIn('"number": "77"', log.payload)
        self.assertNotIn(api_key, log.payload)
        self.assertNotIn("cs_live_99", log.payload)

    def test_order_without_id_is_logged_with_its_data(self):
        channel = self.woo()
        api_key = channel.sudo().api_key
        good = self.seed("woocommerce")
        self.emulator.add_raw_order(
            "woocommerce",
            {
                "number": "W-555",
                "status": "processing",
                "date_modified_gmt": "2024-03-01T10:00:00",
                "billing": {"email": "anon@example.com"},
                "customer_note": "key %s" % api_key,
                "line_items": [],
            },
        )
        action = channel.action_import_orders()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(set(self.orders(channel)), {good})
        log = self.env["ecom.sync.log"].search(
            [("channel_id", "=", channel.id), ("message", "ilike", "no channel reference")]
        )
        self.assertEqual(log.status, "error")
        self.assertIn("W-555", log.message)
        self.assertIn("anon@example.com", log.payload)
        self.assertNotIn(api_key, log.payload)
        self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 10))

    # ------------------------------------------------------------------ isolation
    def test_failing_order_is_parked_and_retried(self):
        channel = self.woo()
        app = self.emulator.apps["woocommerce"]
        api_key = channel.sudo().api_key
        first = self.seed("woocommerce", created_at="2024-03-01T10:00:00Z")
        broken = self.seed("woocommerce", created_at="2024-03-01T11:00:00Z")
        later = self.seed("woocommerce", created_at="2024-03-01T12:00:00Z")
        with app.lock:
            app.orders[int(broken)]["customer_note"] = "my key is %s" % api_key
        Order = self.registry["sale.order"]
        original = Order._ecom_order_vals

        def failing(model, channel, remote, *args):
            if remote.external_ref == broken:
                model.env.cr.execute("SELECT 1/0")  # a database error, in this order only
            return original(model, channel, remote, *args)

        Failure = self.env["ecom.order.failure"]
        with patch.object(Order, "_ecom_order_vals", failing), mute_logger(*IMPORT_LOGGERS):
            for attempt in range(1, PARK_AFTER + 1):
                channel.action_import_orders()
                failure = Failure.search([("channel_id", "=", channel.id)])
                self.assertEqual(failure.external_ref, broken)
                self.assertEqual(failure.attempt_count, attempt)
                if attempt < PARK_AFTER:
                    # the mark waits for it: the next import reads it again
                    self.assertEqual(failure.state, "retrying")
                    self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 11))
            self.assertEqual(failure.state, "parked")
            # parked: the mark moves on, the others are in, each once
            self.assertEqual(channel.orders_imported_until, datetime(2024, 3, 1, 12))
            orders = self.orders(channel)
            self.assertEqual(set(orders), {first, later})
            self.assertEqual({o.state for o in orders.values()}, {"sale"})
            channel.action_import_orders()
            self.assertEqual(failure.attempt_count, PARK_AFTER)
        self.assertIn("division by zero", failure.last_error)
        self.assertIn('"customer_note"', failure.payload)
        self.assertNotIn(api_key, failure.payload)
        self.assertEqual(channel.order_failure_count, 1)
        # the problem is fixed: Retry fetches it again and imports it
        failure.with_user(self.importer).action_retry()
        self.assertEqual(failure.state, "done")
        self.assertEqual(failure.sale_order_id.ecom_external_ref, broken)
        self.assertEqual(failure.sale_order_id.state, "sale")
        with self.assertRaises(UserError):
            failure.with_user(self.importer).action_retry()
        self.assertEqual(len(self.orders(channel)), 3)

    def test_channel_read_to_the_middle_imports_what_was_read(self):
        channel = self.woo()
        first = self.seed("woocommerce")
        second = self.seed("woocommerce", created_at="2024-03-01T11:00:00Z")
        client_class = type(channel._get_client())
        original = client_class.fetch_orders

        def cut(client, since=None):
            for index, remote in enumerate(original(client, since=since)):
                if index == 1:
                    raise ChannelError("WooCommerce: the connection was reset")
                yield remote

        with patch.object(client_class, "fetch_orders", cut):
            action = channel.action_import_orders()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("connection was reset", action["params"]["message"])
        self.assertEqual(set(self.orders(channel)), {first})
        self.assertEqual(channel.orders_imported_until, START)  # the rest is read again
        channel.action_import_orders()
        self.assertEqual(set(self.orders(channel)), {first, second})

    def test_failing_import_job_fails_alone(self):
        """An import job that breaks is a failed job (a dead letter holding its orders: *Retry*
        imports them); the other channels' jobs import theirs."""
        self.channel.active = False  # the base class's channel points at no server
        refs = {}
        for channel_type, channel in self.channels.items():
            channel.sudo().orders_imported_until = START
            refs[channel] = self.seed(channel_type)
        broken = self.channels.get("woocommerce") or next(iter(self.channels.values()))
        Order = self.registry["sale.order"]
        original = Order._ecom_import_remote_orders

        def failing(model, channel, remote_orders):
            if channel == broken:
                raise RuntimeError("unexpected answer")
            return original(model, channel, remote_orders)

        with (
            patch.object(Order, "_ecom_import_remote_orders", failing),
            mute_logger(*IMPORT_LOGGERS),
            trap_jobs() as trap,
        ):
            self.env["ecom.channel"]._cron_import_orders()
            trap.perform_enqueued_jobs()  # the fetch jobs
            failed = []
            for job in trap.enqueued_jobs:
                try:
                    with self.env.cr.savepoint():
                        job.perform()
                except RuntimeError as exc:
                    failed.append((job.recordset, str(exc)))
        self.assertEqual(failed, [(broken, "unexpected answer")])
        for channel, ref in refs.items():
            orders = self.orders(channel)
            if channel == broken:
                self.assertFalse(orders)
            else:
                self.assertEqual(orders[ref].state, "sale")

    def test_unreadable_channel_follows_the_retry_rule(self):
        """The fetch job of a channel that cannot be read: retried later (uncounted with the
        channel's delay under a quota, with a backoff after a server error), or failed at once
        when the channel refuses (a dead letter with the reason)."""
        channel = self.woo().sudo()

        class Unreadable:
            error = None

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def fetch_orders(self, since=None):
                raise self.error
                yield  # pylint: disable=unreachable

        client = Unreadable()
        with patch.object(
            self.registry["ecom.channel"], "_get_client", lambda channel, **kw: client
        ):
            client.error = ChannelError("slow down", status=429, retry_after=60)
            with self.assertRaises(RetryableJobError) as caught:
                channel._ecom_job_fetch_orders()
            self.assertTrue(caught.exception.ignore_retry)
            self.assertEqual(caught.exception.seconds, 60)
            client.error = ChannelError("down", status=503, retryable=True)
            with self.assertRaises(RetryableJobError) as caught:
                channel._ecom_job_fetch_orders()
            self.assertFalse(caught.exception.ignore_retry)
            client.error = ChannelError("WooCommerce refused the request (HTTP 403)", status=403)
            with self.assertRaisesRegex(EcomJobFailed, "HTTP 403"):
                channel._ecom_job_fetch_orders()
        self.assertEqual(channel.orders_imported_until, START)

    # ------------------------------------------------------------------ marks
    def test_mark_in_the_future_heals(self):
        channel = self.woo()
        first = self.seed("woocommerce")
        channel.action_import_orders()
        channel.sudo().orders_imported_until = datetime(2031, 1, 1)  # poisoned before this fix
        later = self.seed("woocommerce", created_at=None)  # placed now
        channel.action_import_orders()
        self.assertEqual(set(self.orders(channel)), {first, later})
        self.assertLessEqual(channel.orders_imported_until, fields.Datetime.now())
        self.assertGreater(channel.orders_imported_until, datetime(2024, 3, 1, 10))

    # ------------------------------------------------------------------ customers
    def test_customers_matched_in_the_channel_company_never_staff(self):
        channel = self.woo()
        Partner = self.env["res.partner"]
        staff = new_test_user(self.env, "ecom_staff_buyer", email="staff@example.com")
        other_company = self.env["res.company"].create({"name": "Other Retail Ltd"})
        foreign = Partner.create(
            {"name": "Foreign", "email": "foreign@example.com", "company_id": other_company.id}
        )
        shared = Partner.create({"name": "Shared", "email": "shared@example.com"})
        refs = {
            email: self.seed("woocommerce", customer={"name": "Buyer", "email": email})
            for email in ("staff@example.com", "foreign@example.com", "shared@example.com")
        }
        employee = None
        if "hr.employee" in self.env:
            employee = self.env["hr.employee"].create(
                {"name": "Employee", "work_email": "employee@example.com"}
            )
            refs["employee@example.com"] = self.seed(
                "woocommerce", customer={"name": "Buyer", "email": "employee@example.com"}
            )
        channel.action_import_orders()
        orders = self.orders(channel)
        self.assertEqual(orders[refs["shared@example.com"]].partner_id, shared)
        staff_customer = orders[refs["staff@example.com"]].partner_id
        self.assertNotEqual(staff_customer, staff.partner_id)
        self.assertEqual(staff_customer.email, "staff@example.com")
        self.assertEqual(staff_customer.company_id, channel.company_id)
        self.assertNotEqual(orders[refs["foreign@example.com"]].partner_id, foreign)
        if employee:
            self.assertNotEqual(
                orders[refs["employee@example.com"]].partner_id, employee.work_contact_id
            )

    # ------------------------------------------------------------------ dispatch
    def test_warehouse_users_dispatch_orders_they_do_not_own(self):
        """An Inventory user, and an inventory administrator who is a salesperson seeing their
        own orders only, validate deliveries of channel orders they do not own: whole, and in
        part without a backorder (as Odoo's own sale_stock test does)."""
        self.need("woocommerce")
        # our dispatch email too (the channel's alone by default): it is sent whoever validates
        self.channels["woocommerce"].dispatch_email_mode = "both"
        stock_user = new_test_user(self.env, "ecom_wh_stock", groups="stock.group_stock_user")
        inventory_admin = new_test_user(
            self.env,
            "ecom_wh_admin",
            groups="stock.group_stock_manager,sales_team.group_sale_salesman",
        )
        for user, partial in (
            (stock_user, False),
            (stock_user, True),
            (inventory_admin, False),
            (inventory_admin, True),
        ):
            with self.subTest(user=user.login, partial=partial):
                __, order, picking = self.order_picking("woocommerce")
                self.assertNotEqual(order.user_id, user)
                self.env.invalidate_all()
                picking = picking.with_user(user)
                picking.move_ids.write({"quantity": 1, "picked": True})
                if partial:  # one mug of two: no backorder
                    Form.from_action(
                        self.env(user=user), picking.button_validate()
                    ).save().process_cancel_backorder()
                else:
                    for move in picking.move_ids:
                        move.quantity = move.product_uom_qty
                    self.assertIs(picking.button_validate(), True)
                self.assertEqual(picking.state, "done")
                self.assertTrue(picking.carrier_tracking_ref)  # label made at validation
                self.assertEqual(picking.ecom_push_state, "pending")
                mail = self.env["mail.mail"].search(
                    [("model", "=", "stock.picking"), ("res_id", "=", picking.id)]
                )
                self.assertEqual(mail.recipient_ids, order.partner_id)

    def test_label_failure_after_the_first_delivery_becomes_an_activity(self):
        """Odoo's behaviour, kept for channel orders: when several deliveries are validated
        together, a carrier error after the first one is an activity, not an error that would
        undo the labels already made."""
        self.need("woocommerce")
        __, __, one = self.order_picking("woocommerce")
        __, __, other = self.order_picking("woocommerce", address=dict(ADDRESS, name="John Roe"))
        self.assertNotEqual(one.partner_id, other.partner_id)
        # validated in the deliveries' order: the last one fails
        first, last = (one | other).sorted()
        last.partner_id.street = False
        pickings = (first | last).with_user(self.operator)
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings.button_validate()
        self.assertEqual(set(pickings.mapped("state")), {"done"})
        self.assertTrue(first.carrier_tracking_ref)
        self.assertFalse(last.carrier_tracking_ref)
        self.assertEqual(
            last.activity_ids.activity_type_id,
            self.env.ref("mail.mail_activity_data_warning"),
        )

    def test_one_failing_channel_update_does_not_stop_the_others(self):
        self.need("woocommerce")
        __, __, first = self.order_picking("woocommerce")
        ref, __, second = self.order_picking("woocommerce")
        for picking in first | second:
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
            picking.move_ids.picked = True
            picking.with_user(self.operator).button_validate()
        Picking = self.registry["stock.picking"]
        original = Picking._ecom_shipment

        def failing(picking):
            if picking == first:
                picking.env.cr.execute("SELECT 1/0")
            return original(picking)

        with patch.object(Picking, "_ecom_shipment", failing), mute_logger(*IMPORT_LOGGERS):
            self.push_shipments()
        self.assertEqual(first.ecom_push_state, "error")
        self.assertEqual(first.sudo().ecom_push_job_id.state, "failed")
        self.assertIn("division by zero", first.ecom_push_error)
        self.assertEqual(second.ecom_push_state, "done")
        self.assertTrue(self.channel_tracking("woocommerce", ref))


def orders_ids(orders):
    return [order.id for order in orders.values()]
