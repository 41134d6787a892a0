# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Labels (Click & Drop on the emulator, self-printed), batch printing, dispatch to the
channels and the customer's email, over real HTTP against the local emulator."""

import io
from datetime import timedelta
from unittest.mock import patch

from pypdf import PdfReader

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import config, mute_logger

from odoo.addons.ecom_channels.ecom_channels_core.jobs import LOCAL_JOB_CHANNEL
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import ecom_label_batch
from .common import ADDRESS, FulfilmentCase

CLIENT_LOGGERS = (
    "odoo.addons.ecom_channels.ecom_channels_core.http",
    "odoo.addons.ecom_fulfilment.ecom_fulfilment_core.clickanddrop",
    "odoo.addons.ecom_fulfilment.models.stock_picking",
)


@tagged("post_install", "-at_install")
class TestLabelsDispatch(FulfilmentCase):
    def need(self, *types):
        missing = [t for t in types if t not in self.channels]
        if missing:
            self.skipTest("no channel client for %s" % ", ".join(missing))

    def order_picking(self, channel_type, **seed):
        ref = self.seed(channel_type, **seed)
        order = self.import_orders(channel_type).filtered(lambda o: o.ecom_external_ref == ref)
        self.assertEqual(order.state, "sale", order.ecom_attention_reason)
        return ref, order, order.picking_ids

    def validate(self, picking):
        picking = picking.with_user(self.operator)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        result = picking.button_validate()
        self.assertIs(result, True)
        self.assertEqual(picking.state, "done")

    # ------------------------------------------------------------------ rules
    def test_rules_map_amazon_standard_and_ebay_express(self):
        self.need("amazon", "ebay")
        __, amazon_order, __ = self.order_picking("amazon", service_level="Standard")
        __, ebay_order, __ = self.order_picking("ebay", service_level="Express")
        self.assertEqual(amazon_order.ecom_service_level, "Standard")
        self.assertEqual(amazon_order.carrier_id, self.tracked48)
        self.assertEqual(amazon_order.picking_ids.carrier_id, self.tracked48)
        self.assertEqual(ebay_order.ecom_service_level, "Express")
        self.assertEqual(ebay_order.carrier_id, self.tracked24)
        self.assertEqual(ebay_order.picking_ids.carrier_id, self.tracked24)

    # ------------------------------------------------------------------ batch printing
    def test_batch_of_30_prints_one_pdf_and_isolates_a_bad_address(self):
        self.need("shopify", "woocommerce")
        for i in range(20):
            self.seed("shopify", address=dict(ADDRESS, name="Shopify buyer %d" % i))
        for i in range(10):
            self.seed("woocommerce", address=dict(ADDRESS, name="Woo buyer %d" % i))
        bad_ref = self.seed("shopify", address=dict(ADDRESS, zip="NOT A POSTCODE"))
        orders = self.import_orders("shopify") | self.import_orders("woocommerce")
        pickings = orders.picking_ids
        self.assertEqual(len(pickings), 31)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        bad = orders.filtered(lambda o: o.ecom_external_ref == bad_ref).picking_ids
        batch_transfer = self.env["stock.picking.batch"].create(
            {"picking_ids": [(6, 0, pickings.ids)], "company_id": self.warehouse.company_id.id}
        )
        batch_transfer.action_confirm()
        wizard = Form(
            self.env["ecom.label.print.wizard"]
            .with_user(self.operator)
            .with_context(active_model="stock.picking.batch", active_id=batch_transfer.id)
        ).save()
        self.assertEqual(wizard.picking_count, 31)
        self.assertFalse(wizard.has_invoices)
        action = wizard.action_print()
        run = self.env["ecom.label.batch"].browse(action["res_id"])
        self.assertEqual(run.state, "done")
        self.assertEqual((run.done_count, run.failed_count), (30, 1))
        # one PDF: 30 labels in pick sequence, then 30 packing slips
        pdf = PdfReader(io.BytesIO(run.document_id.raw))
        self.assertEqual(len(pdf.pages), 60)
        self.assertEqual(run.page_count, 60)
        done_lines = run.line_ids.filtered(lambda line: line.state == "done").sorted("sequence")
        for index, line in enumerate(done_lines):
            text = pdf.pages[index].extract_text()
            self.assertIn(line.picking_id.name, text)
            self.assertIn(line.picking_id.carrier_tracking_ref.split(",")[0], text)
        slips = [" ".join(pdf.pages[i].extract_text().split()) for i in range(30, 60)]
        for line, slip in zip(done_lines, slips, strict=True):  # same order as the labels
            self.assertIn("Packing Slip", slip)
            self.assertIn(line.picking_id.name, slip)
            self.assertIn(line.picking_id.sale_id.client_order_ref, slip)
        slips = " ".join(slips)
        self.assertNotIn(bad.name, slips)
        # the bad address failed alone, with a clear message on the run and the delivery
        failed = run.line_ids.filtered(lambda line: line.state == "failed")
        self.assertEqual(failed.picking_id, bad)
        self.assertIn("not a valid UK postcode", failed.message)
        self.assertIn("not a valid UK postcode", bad.ecom_label_error)
        self.assertIn("not a valid UK postcode", bad.message_ids[0].body)
        self.assertFalse(bad.carrier_tracking_ref)
        # Click & Drop holds the 20 good Shopify labels; the Woo ones are self-printed
        held = self.emulator.apps["clickanddrop"].snapshot()["orders"]
        self.assertEqual(len(held), 20)
        woo = pickings.filtered(lambda p: p.ecom_channel_id == self.channels["woocommerce"])
        self.assertTrue(all(p.carrier_tracking_ref.startswith("TB") for p in woo))
        self.assertEqual(self.emulator.apps["clickanddrop"].schema_failures, [])
        # corrected address: retry prints the failed one only
        bad.partner_id.zip = "BS1 4DJ"
        run.with_user(self.operator).action_retry_failed()
        self.assertEqual((run.done_count, run.failed_count), (31, 0))
        self.assertTrue(bad.carrier_tracking_ref)

    def test_self_printed_bad_address_and_zpl(self):
        self.need("woocommerce")
        self.tracked48.ecom_label_format = "zpl"
        __, __, good = self.order_picking("woocommerce")
        __, __, bad = self.order_picking("woocommerce", address=dict(ADDRESS, name="Bad Street"))
        bad.partner_id.street = False  # emptied by hand after the import
        run = self.print_labels(good | bad, include_packing_slips=False)
        self.assertEqual((run.done_count, run.failed_count), (1, 1), run.line_ids.mapped("message"))
        self.assertIn("lacks street", run.line_ids.filtered(lambda r: r.state == "failed").message)
        self.assertFalse(run.document_id)  # no PDF label and no slip asked
        zpl = run.zpl_document_id.raw.decode()
        self.assertTrue(zpl.startswith("^XA"))
        self.assertIn(good.carrier_tracking_ref, zpl)
        self.assertEqual(good.ecom_label_attachment_id.mimetype, "text/plain")

    def test_several_parcels_get_a_label_and_number_each(self):
        self.need("shopify")
        __, __, picking = self.order_picking("shopify")
        picking.ecom_parcel_count = 3
        self.print_labels(picking, include_packing_slips=False)
        numbers = picking.carrier_tracking_ref.split(",")
        self.assertEqual(len(numbers), 3)
        label = PdfReader(io.BytesIO(picking.ecom_label_attachment_id.raw))
        self.assertEqual(len(label.pages), 3)
        held = self.emulator.apps["clickanddrop"].snapshot()["orders"][0]
        self.assertEqual([p["trackingNumber"] for p in held["packages"]], numbers)
        # packages: one parcel per package
        picking.action_assign()
        for move_line in picking.move_line_ids:
            move_line.quantity = move_line.quantity_product_uom
        picking.move_ids.picked = True
        package = picking._put_in_pack(picking.move_line_ids)
        self.assertEqual(picking.move_line_ids.result_package_id, package)
        request = picking._ecom_shipment_request()
        self.assertEqual(len(request.parcels), 1)
        self.assertAlmostEqual(request.parcels[0].weight_kg, 1.2)

    def test_reprint_and_cancel_label(self):
        self.need("shopify")
        __, __, picking = self.order_picking("shopify")
        self.print_labels(picking, include_packing_slips=False)
        first = picking.carrier_tracking_ref
        attachment = picking.ecom_label_attachment_id
        action = picking.with_user(self.operator).action_ecom_reprint_label()
        self.assertIn("/web/content/%s" % attachment.id, action["url"])
        # printing again reuses the label: the carrier is not called twice
        run = self.print_labels(picking, include_packing_slips=False)
        self.assertEqual(run.done_count, 1)
        self.assertEqual(picking.carrier_tracking_ref, first)
        self.assertEqual(len(self.emulator.calls("clickanddrop", "CreateOrdersAsync")), 1)
        picking.with_user(self.operator).action_ecom_cancel_label()
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertFalse(picking.ecom_label_attachment_id)
        self.assertEqual(self.emulator.apps["clickanddrop"].snapshot()["orders"], [])
        self.print_labels(picking, include_packing_slips=False)
        self.assertTrue(picking.carrier_tracking_ref)
        self.assertNotEqual(picking.carrier_tracking_ref, first)

    def test_long_runs_print_in_the_background_with_progress(self):
        """A long run is printed by jobs in the local job channel, a chunk of deliveries each,
        each queueing the next: the progress shows on the run as each one is done."""
        self.need("woocommerce")
        for __ in range(5):
            self.seed("woocommerce")
        pickings = self.import_orders("woocommerce").picking_ids
        with (
            patch.object(ecom_label_batch, "SYNC_LIMIT", 2),
            patch.object(ecom_label_batch, "CHUNK", 2),
            trap_jobs() as trap,
        ):
            run = self.print_labels(pickings, include_packing_slips=False)
            self.assertEqual(run.state, "queued")
            self.assertEqual(run.progress, 0.0)
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                run._ecom_job_process, properties={"channel": LOCAL_JOB_CHANNEL}
            )
            # the cron only queues, and never twice
            self.env["ecom.label.batch"]._cron_process_label_batches()
            trap.assert_jobs_count(1)
            progress = []
            for __ in range(5):
                if not trap.enqueued_jobs:
                    break
                trap.perform_enqueued_jobs()
                progress.append(run.progress)
        self.assertEqual(progress, [40.0, 80.0, 100.0])
        self.assertEqual(run.state, "done")
        self.assertEqual(len(PdfReader(io.BytesIO(run.document_id.raw)).pages), 5)

    # ------------------------------------------------------------------ dispatch
    def test_validation_pushes_tracking_and_queues_the_email(self):
        self.need("shopify", "woocommerce", "ebay", "amazon")
        for channel_type in ("shopify", "woocommerce", "ebay", "amazon"):
            with self.subTest(channel=channel_type):
                # our dispatch email as well as the channel's (default: the channel's only,
                # see test_dispatch_email)
                self.channels[channel_type].dispatch_email_mode = "both"
                ref, order, picking = self.order_picking(channel_type)
                self.print_labels(picking, include_packing_slips=False)
                number = picking.carrier_tracking_ref
                self.assertTrue(number)
                self.validate(picking)
                self.assertEqual(picking.ecom_push_state, "pending")
                # the customer's email, queued, with the tracking link
                mail = self.env["mail.mail"].search(
                    [("model", "=", "stock.picking"), ("res_id", "=", picking.id)]
                )
                self.assertEqual(len(mail), 1)
                self.assertEqual(mail.state, "outgoing")
                self.assertEqual(mail.recipient_ids, order.partner_id)
                self.assertIn(picking.carrier_tracking_url, mail.body_html)
                self.assertIn(number.split(",")[0], mail.body_html)
                # the job tells the channel, in the channel's own job channel
                job = picking.sudo().ecom_push_job_id
                self.assertEqual(job.channel, picking.ecom_channel_id.sudo()._ecom_job_channel())
                # never twice while it waits: the cron's safety net and a second queueing
                self.env["stock.picking"]._cron_push_shipments()
                picking._ecom_queue_shipment_push()
                jobs = self.env["queue.job"].search(
                    [("method_name", "=", "_ecom_job_push_shipment"), ("state", "=", "pending")]
                )
                self.assertEqual(jobs.filtered(lambda j, p=picking: j.records == p), job)
                self.push_shipments()
                self.assertEqual(job.state, "done")
                self.assertEqual(picking.ecom_push_state, "done")
                held = self.channel_tracking(channel_type, ref)
                self.assertTrue(any(number in t for t in held), held)
                log = self.env["ecom.sync.log"].search(
                    [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
                )
                self.assertEqual(log.status, "ok")
                self.assertEqual(log.operation, "mark shipped")
                self.assertIn(number, log.message)

    def test_label_is_made_at_validation_when_none_was_printed(self):
        self.need("ebay")
        __, __, picking = self.order_picking("ebay", service_level="Express")
        self.validate(picking)
        self.assertTrue(picking.carrier_tracking_ref.startswith("TA"))
        self.assertTrue(picking.ecom_label_attachment_id)

    def test_channel_down_never_blocks_validation(self):
        self.need("woocommerce")
        ref, __, picking = self.order_picking("woocommerce")
        self.emulator.inject("woocommerce", "503", count=1000)
        self.validate(picking)
        with mute_logger(*CLIENT_LOGGERS):
            self.push_shipments()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.ecom_push_state, "error")
        self.assertIn("HTTP 503", picking.ecom_push_error)
        job = picking.sudo().ecom_push_job_id
        self.assertEqual((job.state, job.retry), ("pending", 1))  # tried again with a backoff
        self.assertTrue(job.eta)
        # the channel is back: the next attempt delivers it
        self.emulator.clear_faults()
        self.push_shipments()
        self.assertEqual(picking.ecom_push_state, "done")
        self.assertEqual(picking.ecom_push_attempts, 2)
        self.assertTrue(
            any(
                picking.carrier_tracking_ref in n for n in self.channel_tracking("woocommerce", ref)
            )
        )
        log = self.env["ecom.sync.log"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(log.status, "ok")

    def test_refused_shipment_is_a_dead_letter_until_retried(self):
        """The channel refuses the update (the order is unknown to it: HTTP 404): the job
        fails after one attempt, with the reason, on the delivery and in the failed sync
        jobs; once the data is fixed, *Retry* sends it."""
        self.need("woocommerce")
        ref, order, picking = self.order_picking("woocommerce")
        order.sudo().ecom_external_ref = "999999"  # wrong data
        self.validate(picking)
        with mute_logger(*CLIENT_LOGGERS):
            self.push_shipments()
        job = picking.sudo().ecom_push_job_id
        self.assertEqual((job.state, job.retry), ("failed", 1))
        self.assertIn("404", job.exc_message)
        self.assertEqual(picking.ecom_push_state, "error")
        self.assertEqual(picking.ecom_push_error, job.exc_message)
        channel = picking.ecom_channel_id.sudo()
        self.assertEqual(channel.failed_job_count, 1)
        self.assertEqual(job.ecom_channel_id, channel)
        # fixed, then retried from the failed sync jobs by a channel manager
        order.sudo().ecom_external_ref = ref
        manager = new_test_user(
            self.env, "ecom_push_manager", groups="ecom_channels.ecom_channels_group_manager"
        )
        job.with_user(manager).action_ecom_retry()
        self.assertEqual(picking.ecom_push_state, "pending")
        self.push_shipments()
        self.assertEqual(job.state, "done")
        self.assertEqual(picking.ecom_push_state, "done")
        self.assertTrue(
            any(
                picking.carrier_tracking_ref in n for n in self.channel_tracking("woocommerce", ref)
            )
        )

    def test_quota_refusal_waits_without_using_attempts(self):
        """Under the channel's quota (HTTP 429) the update waits the delay the channel asked
        for and tries again, however often: never parked early."""
        self.need("woocommerce")
        ref, __, picking = self.order_picking("woocommerce")
        self.validate(picking)
        job = picking.sudo().ecom_push_job_id
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write({"max_retries": 2})
        self.emulator.inject("woocommerce", "429", retry_after=120, count=1000)
        with mute_logger(*CLIENT_LOGGERS):
            for __ in range(4):
                self.push_shipments()
                self.assertEqual((job.state, job.retry), ("pending", 0))
        self.assertEqual(picking.ecom_push_state, "error")
        self.assertGreaterEqual(job.eta, fields.Datetime.now() + timedelta(seconds=100))
        self.emulator.clear_faults()
        self.push_shipments()
        self.assertEqual(picking.ecom_push_state, "done")

    def test_customer_without_email_is_flagged(self):
        self.need("woocommerce")
        self.channels["woocommerce"].dispatch_email_mode = "both"
        __, order, picking = self.order_picking("woocommerce", customer={"name": "No Mail"})
        self.assertFalse(order.partner_id.email)
        self.validate(picking)
        self.assertTrue(picking.ecom_no_customer_email)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "stock.picking"), ("res_id", "=", picking.id)]
            )
        )
        self.assertIn(
            "has no email address", picking.message_ids[0].body + picking.message_ids[1].body
        )
        self.push_shipments()
        self.assertEqual(picking.ecom_push_state, "done")

    def test_partial_shipment_reports_the_lines_sent(self):
        self.need("amazon")
        ref, order, picking = self.order_picking("amazon", service_level="Standard")
        mug_move = picking.move_ids.filtered(lambda m: m.product_id == self.mug)
        bottle_move = picking.move_ids - mug_move
        mug_move.quantity = 1  # one mug of two now, the rest later
        bottle_move.quantity = 1
        picking.move_ids.picked = True
        picking.with_user(self.operator).with_context(skip_backorder=True).button_validate()
        self.assertEqual(picking.state, "done")
        backorder = order.picking_ids - picking
        self.assertEqual(
            backorder.move_ids.filtered(lambda m: m.product_id == self.mug).product_uom_qty, 1
        )
        shipment = picking._ecom_shipment()
        mug_line = order.order_line.filtered(lambda line: line.product_id == self.mug)
        self.assertIn((mug_line.ecom_line_ref, 1.0), shipment.lines)
        self.push_shipments()
        self.assertEqual(picking.ecom_push_state, "done")
        app = self.emulator.apps["amazon"]
        self.assertEqual(app.orders[ref]["OrderStatus"], "PartiallyShipped")
        # the rest leaves: the order is shipped in full on the channel
        self.validate(backorder)
        self.push_shipments()
        self.assertEqual(app.orders[ref]["OrderStatus"], "Shipped")
        self.assertEqual(len(self.channel_tracking("amazon", ref)), 2)

    def test_dispatch_by_scan(self):
        self.need("woocommerce")
        __, __, picking = self.order_picking("woocommerce")
        scan = self.env["ecom.dispatch.scan"].with_user(self.operator).create({"barcode": "NOPE"})
        scan.action_scan()
        self.assertFalse(scan.last_ok)
        self.assertIn("No delivery found", scan.last_result)
        scan.barcode = picking.name
        scan.action_scan()
        self.assertTrue(scan.last_ok, scan.last_result)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.ecom_push_state, "pending")
        self.assertEqual(scan.dispatched_count, 1)
        scan.barcode = picking.name
        scan.action_scan()
        self.assertIn("dispatched already", scan.last_result)

    def test_nothing_to_print_is_a_clear_error(self):
        wizard = self.env["ecom.label.print.wizard"].with_user(self.operator).create({})
        with self.assertRaisesRegex(UserError, "Select deliveries"):
            wizard.action_print()

    # ------------------------------------------------------------------ order changes
    def test_address_changed_on_the_channel_is_applied_on_reimport(self):
        self.need("woocommerce")
        ref, order, picking = self.order_picking("woocommerce")
        app = self.emulator.apps["woocommerce"]
        with app.lock:
            app.orders[int(ref)]["shipping"].update(address_1="9 New Road", postcode="BS2 0AA")
            app.orders[int(ref)]["date_modified_gmt"] = "2024-03-01T12:00:00"
        self.import_orders("woocommerce")
        self.assertEqual(order.partner_shipping_id.street, "9 New Road")
        self.assertEqual(order.partner_shipping_id.zip, "BS2 0AA")
        self.assertEqual(order.partner_shipping_id.parent_id, order.partner_id)
        self.assertEqual(picking.partner_id, order.partner_shipping_id)
        self.assertIn("Delivery address changed", order.message_ids[0].body)
        self.assertFalse(order.ecom_needs_attention)
        # after the label: flagged, the label must be redone
        self.print_labels(picking, include_packing_slips=False)
        with app.lock:
            app.orders[int(ref)]["shipping"].update(address_1="10 Other Road")
            app.orders[int(ref)]["date_modified_gmt"] = "2024-03-01T13:00:00"
        self.import_orders("woocommerce")
        self.assertEqual(picking.partner_id.street, "10 Other Road")
        self.assertTrue(order.ecom_needs_attention)
        self.assertIn("cancel it and print it again", order.ecom_attention_reason)
        self.assertEqual(len(self.env["sale.order"].search([("ecom_external_ref", "=", ref)])), 1)

    def test_buyer_email_given_later_is_kept(self):
        self.need("woocommerce")
        ref, order, __ = self.order_picking("woocommerce", customer={"name": "Late Mail"})
        self.assertFalse(order.partner_id.email)
        app = self.emulator.apps["woocommerce"]
        with app.lock:
            app.orders[int(ref)]["billing"]["email"] = "late@example.com"
            app.orders[int(ref)]["date_modified_gmt"] = "2024-03-01T12:00:00"
        self.import_orders("woocommerce")
        self.assertEqual(order.partner_id.email, "late@example.com")

    def test_carrier_key_visible_to_managers_only(self):
        carrier = self.clickanddrop.with_user(self.operator)
        self.assertEqual(carrier.delivery_type, "clickanddrop")
        with self.assertRaises(AccessError):
            carrier.read(["cnd_api_key"])
        manager = new_test_user(
            self.env, "ecom_ful_manager", groups="ecom_fulfilment.ecom_fulfilment_group_manager"
        )
        self.assertTrue(self.clickanddrop.with_user(manager).cnd_api_key)

    def test_carrier_url_for_managers_and_royal_mail_only(self):
        """The Click & Drop key goes to the URL of the carrier: only fulfilment managers set
        it, and only to Royal Mail's https host (a local emulator only on a server configured
        for test endpoints, checked again when a label is made)."""
        inventory_admin = new_test_user(
            self.env, "ecom_ful_inventory_admin", groups="stock.group_stock_manager"
        )
        carrier = self.clickanddrop.with_user(inventory_admin)
        with self.assertRaises(AccessError):
            carrier.write({"cnd_api_url": "https://collector.example.net"})
        with self.assertRaises(AccessError):
            carrier.read(["cnd_api_url"])
        # they still manage their other carriers
        courier = (
            self.env["delivery.carrier"]
            .with_user(inventory_admin)
            .create(
                {
                    "name": "Local courier",
                    "product_id": self.tracked48.product_id.id,
                    "delivery_type": "fixed",
                }
            )
        )
        courier.fixed_price = 4.5
        manager = new_test_user(
            self.env,
            "ecom_ful_url_manager",
            groups="ecom_fulfilment.ecom_fulfilment_group_manager,stock.group_stock_manager",
        )
        carrier = self.clickanddrop.with_user(manager)
        for url in (
            "https://collector.example.net",
            "http://api.parcel.royalmail.com",
            "https://user:pw@api.parcel.royalmail.com",
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                carrier.cnd_api_url = url
        carrier.cnd_api_url = "https://api.parcel.royalmail.com"
        emulator = self.emulator.url("clickanddrop")
        carrier.cnd_api_url = emulator  # this test server allows test endpoints
        self.need("shopify")
        __, __, picking = self.order_picking("shopify")
        with patch.dict(config.options, {"ecom_test_endpoints": False}):
            with self.assertRaisesRegex(ValidationError, "local test address"):
                carrier.cnd_api_url = "http://127.0.0.1:9/clickanddrop"
            # set before the server's configuration changed: refused when used
            run = self.print_labels(picking, include_packing_slips=False)
        self.assertEqual(run.failed_count, 1)
        self.assertIn("local test address", run.line_ids.message)
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(self.emulator.apps["clickanddrop"].snapshot()["orders"], [])
