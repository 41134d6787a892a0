# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Labels and packing slips drawn as PDF (no HTML): the same facts as the records, in any
script, made by worker processes in long runs, and the Print menu's packing slip."""

import io
import re
from unittest.mock import patch

from pypdf import PdfReader

from odoo import fields
from odoo.tests import tagged
from odoo.tools import format_date

from ..models import ecom_label_batch
from .common import ADDRESS, FulfilmentCase

NAMES = {
    "polish": "Łukasz Żółć",
    "greek": "Ελένη Παπαδοπούλου",
    "russian": "Дмитрий Иванов",
    "danish": "Ærøskøbing",
}
LONG_STREET = "Flat 12, The Very Long Building Name That Does Not Fit On One Line, Riverside"


def flat(text):
    return " ".join(text.split())


def page_texts(raw):
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(raw)).pages]


@tagged("post_install", "-at_install")
class TestLabelRendering(FulfilmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        colour = env["product.attribute"].create(
            {"name": "Colour", "value_ids": [(0, 0, {"name": "Red"}), (0, 0, {"name": "Blue"})]}
        )
        template = env["product.template"].create(
            {
                "name": "Trail Tee",
                "is_storable": True,
                "weight": 0.2,
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": colour.id, "value_ids": [(6, 0, colour.value_ids.ids)]})
                ],
            }
        )
        cls.tee = template.product_variant_ids.filtered(
            lambda p: p.product_template_attribute_value_ids.name == "Red"
        )
        cls.tee.default_code = "TEE-RED"
        env["stock.quant"]._update_available_quantity(cls.tee, cls.warehouse.lot_stock_id, 100)

    def deliveries(self, *addresses, channel_type="woocommerce"):
        if channel_type not in self.channels:
            self.skipTest("no channel client for %s" % channel_type)
        lines = [
            {"sku": self.mug.default_code, "quantity": 2, "price": 12.5},
            {"sku": "TEE-RED", "quantity": 1, "price": 15.0},
        ]
        refs = [
            self.seed(
                channel_type,
                address=address,
                customer={"name": address["name"], "email": "buyer%d@example.com" % index},
                lines=lines,
            )
            for index, address in enumerate(addresses)
        ]
        orders = self.import_orders(channel_type)
        orders = orders.filtered(lambda o: o.ecom_external_ref in refs)
        self.assertEqual(
            set(orders.mapped("state")), {"sale"}, orders.mapped("ecom_attention_reason")
        )
        return orders.picking_ids.sorted(lambda p: p._ecom_pick_sequence_key())

    def expected_slip(self, picking):
        """The facts a packing slip shows, read from the records: the delivery contact's name
        once, then its address; dates in the company's language; quantities in units without
        their unit."""
        order = picking.sale_id
        partner = picking.partner_id
        address = partner._display_address(without_company=True).split("\n")
        warehouse = picking.picking_type_id.warehouse_id.partner_id.with_context(show_address=True)
        facts = [
            picking.company_id.name,
            picking.name,
            "Packing Slip",
            "Deliver to",
            partner.name or partner.parent_id.name,
            *[r.strip() for r in address if r.strip()],
            *[r.strip() for r in warehouse.display_name.split("\n")[1:] if r.strip()],
            "Order: %s" % order.client_order_ref,
            "Channel: %s" % order.ecom_channel_id.name,
            "Order date: %s"
            % format_date(
                self.env,
                fields.Datetime.context_timestamp(order, order.date_order),
                lang_code=picking.company_id.partner_id.lang or self.env.lang,
            ),
            "Carrier: %s" % picking.carrier_id.name,
            "Tracking: %s" % picking.carrier_tracking_ref,
            "Parcels: %s" % picking.ecom_parcel_count,
            "Thank you for your order.",
        ]
        for move in picking.move_ids:
            name = move.product_id.with_context(display_default_code=False).display_name
            facts.append(
                "%s %s" % (move.product_id.default_code, flat(name))
            )  # SKU, then the product with its variant
            unit = move.product_uom == self.env.ref("uom.product_uom_unit")
            facts.append(
                "%d" % move.product_uom_qty
                if unit
                else "%d %s" % (move.product_uom_qty, move.product_uom.name)
            )
        return [flat(f) for f in facts]

    def expected_label(self, picking):
        recipient = picking.partner_id
        return [
            picking.carrier_tracking_ref,
            picking.carrier_id.ecom_carrier_label,
            recipient.name,
            recipient.street,
            recipient.city,
            recipient.zip,
            picking.sale_id.client_order_ref,
            picking.name,
        ]

    def test_print_file_has_the_facts_of_the_records(self):
        pickings = self.deliveries(
            dict(ADDRESS, name="Jane Doe"),
            dict(ADDRESS, name="Søren Ærø", city=NAMES["danish"], zip="5970", country_code="DK"),
        )
        run = self.print_labels(pickings, include_packing_slips=True)
        self.assertEqual((run.done_count, run.failed_count), (2, 0))
        ordered = run.line_ids.sorted("sequence").picking_id
        texts = page_texts(run.document_id.raw)
        self.assertEqual(len(texts), 4)
        self.assertEqual(run.page_count, 4)
        for index, picking in enumerate(ordered):
            label, slip = texts[index], texts[2 + index]
            for fact in self.expected_label(picking):
                self.assertIn(flat(fact), label)
            for fact in self.expected_slip(picking):
                self.assertIn(fact, slip)
            # the print file carries the delivery's own label, as it was made
            self.assertEqual(page_texts(picking.ecom_label_attachment_id.raw), [texts[index]])
        self.assertIn("Trail Tee (Red)", texts[2])

    def test_labels_and_slips_in_any_script(self):
        addresses = [
            dict(ADDRESS, name=NAMES["polish"], street="ul. Świętokrzyska 12", city="Warszawa",
                 zip="00-916", country_code="PL"),
            dict(ADDRESS, name=NAMES["greek"], street="Οδός Ερμού 5", city="Αθήνα",
                 zip="105 63", country_code="GR"),
            dict(ADDRESS, name=NAMES["russian"], street=LONG_STREET, city="Москва",
                 zip="101000", country_code="RU"),
        ]  # fmt: skip
        pickings = self.deliveries(*addresses)
        run = self.print_labels(pickings, include_packing_slips=True)
        self.assertEqual((run.done_count, run.failed_count), (3, 0), run.line_ids.mapped("message"))
        texts = page_texts(run.document_id.raw)
        ordered = run.line_ids.sorted("sequence").picking_id
        for index, picking in enumerate(ordered):
            address = next(a for a in addresses if a["name"] == picking.partner_id.name)
            label, slip = texts[index], texts[3 + index]
            for key in ("name", "street", "city"):
                self.assertIn(flat(address[key]), label)
                self.assertIn(flat(address[key]), slip)
            for fact in self.expected_slip(picking):
                self.assertIn(fact, slip)
        self.assertNotIn("?", " ".join(texts))
        # ZPL: UTF-8 text for the printer
        self.tracked48.ecom_label_format = "zpl"
        more = self.deliveries(addresses[0])
        run = self.print_labels(more, include_packing_slips=False)
        zpl = run.zpl_document_id.raw.decode("utf-8")
        self.assertIn("^CI28", zpl)
        self.assertIn("^FD%s^FS" % NAMES["polish"], zpl)
        self.assertIn("ul. Świętokrzyska 12", zpl)

    def test_long_runs_make_the_file_in_worker_processes(self):
        pickings = self.deliveries(*[dict(ADDRESS, name="Buyer %d" % i) for i in range(7)])
        with (
            patch.object(ecom_label_batch, "SYNC_LIMIT", 2),
            patch.object(ecom_label_batch, "PARALLEL_MIN", 1),
            patch.object(ecom_label_batch, "CHUNK", 3),
        ):
            run = self.print_labels(pickings, include_packing_slips=True)
            self.assertEqual(run.state, "queued")
            self.run_jobs("_ecom_job_process")  # one step: three deliveries
            self.assertEqual(run.state, "queued")
            self.assertAlmostEqual(run.progress, 300 / 7)
            self.run_jobs("_ecom_job_process")
            self.run_jobs("_ecom_job_process")
        self.assertEqual(run.state, "done")
        texts = page_texts(run.document_id.raw)
        self.assertEqual(len(texts), 14)
        ordered = run.line_ids.sorted("sequence").picking_id
        for index, picking in enumerate(ordered):
            self.assertIn(picking.carrier_tracking_ref, texts[index])
            self.assertIn("Packing Slip", texts[7 + index])
            self.assertIn(picking.name, texts[7 + index])

    def test_a_delivery_that_cannot_be_labelled_is_listed_and_the_others_print(self):
        pickings = self.deliveries(ADDRESS, dict(ADDRESS, name="No Street"), ADDRESS)
        bad = pickings.filtered(lambda p: p.partner_id.name == "No Street")
        bad.partner_id.street = False
        with patch.object(ecom_label_batch, "PARALLEL_MIN", 1):
            run = self.print_labels(pickings, include_packing_slips=True)
        self.assertEqual((run.done_count, run.failed_count), (2, 1))
        self.assertIn("lacks street", run.line_ids.filtered(lambda r: r.state == "failed").message)
        texts = page_texts(run.document_id.raw)
        self.assertEqual(len(texts), 4)
        self.assertFalse(any(bad.name in t for t in texts))

    def test_a_label_file_that_is_no_pdf_fails_alone(self):
        pickings = self.deliveries(*[dict(ADDRESS, name="Buyer %d" % i) for i in range(3)])
        self.print_labels(pickings, include_packing_slips=False)
        broken = pickings[1]
        # a carrier's answer stored as its PDF label, which it is not
        broken.ecom_label_attachment_id.write(
            {"raw": b"<html>502 Bad Gateway</html>", "mimetype": "application/pdf"}
        )
        self.assertEqual(broken.ecom_label_attachment_id.mimetype, "application/pdf")
        run = self.print_labels(pickings, include_packing_slips=True)
        self.assertEqual((run.done_count, run.failed_count), (2, 1))
        failed = run.line_ids.filtered(lambda line: line.state == "failed")
        self.assertEqual(failed.picking_id, broken)
        self.assertIn("not a readable PDF", failed.message)
        self.assertIn("not a readable PDF", broken.ecom_label_error)
        texts = page_texts(run.document_id.raw)
        self.assertEqual(len(texts), 4)  # the labels and slips of the two others
        self.assertFalse(any(broken.name in text for text in texts))

    def test_print_menu_packing_slip(self):
        picking = self.deliveries(ADDRESS)
        action = self.env.ref("ecom_fulfilment.action_print_packing_slip")
        result = (
            action.with_user(self.operator)
            .with_context(
                active_model="stock.picking", active_ids=picking.ids, active_id=picking.id
            )
            .run()
        )
        attachment_id = re.match(r"/web/content/(\d+)\?download=true$", result["url"]).group(1)
        attachment = self.env["ir.attachment"].browse(int(attachment_id))
        self.assertEqual(attachment.res_id, picking.id)
        text = page_texts(attachment.raw)[0]
        for fact in self.expected_slip(picking):
            if not fact.startswith(("Tracking:", "Carrier:")):  # no label yet
                self.assertIn(fact, text)
