# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the packing slip, the label and the carrier's contents say about a delivery: the
variant (size, colour), whole quantities without "Units", the delivery address once, dates in
the company's language's format (day first in the UK)."""

import io

from pypdf import PdfReader

from odoo import fields
from odoo.tests import tagged

from .common import FulfilmentCase


def pdf_text(raw):
    reader = PdfReader(io.BytesIO(raw))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@tagged("post_install", "-at_install")
class TestDocumentTexts(FulfilmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("en_GB")
        cls.warehouse.company_id.partner_id.lang = "en_GB"
        colour = env["product.attribute"].create(
            {
                "name": "Colour",
                "create_variant": "always",
                "value_ids": [(0, 0, {"name": "Black"}), (0, 0, {"name": "Red"})],
            }
        )
        template = env["product.template"].create(
            {
                "name": "Merino Beanie",
                "is_storable": True,
                "weight": 0.08,
                "list_price": 19.0,
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": colour.id, "value_ids": [(6, 0, colour.value_ids.ids)]})
                ],
            }
        )
        cls.beanie = template.product_variant_ids.filtered(
            lambda p: p.product_template_attribute_value_ids.name == "Black"
        )
        cls.beanie.default_code = "ACC-BEANIE-BLK"
        env["stock.quant"]._update_available_quantity(cls.beanie, cls.warehouse.lot_stock_id, 10)
        cls.customer = env["res.partner"].create(
            {"name": "Alice Walker", "email": "alice.walker@example.com"}
        )
        # the channel's delivery address: a contact of the customer, named as she is
        cls.delivery = env["res.partner"].create(
            {
                "name": "Alice Walker",
                "type": "delivery",
                "parent_id": cls.customer.id,
                "street": "3 Fell Lane",
                "city": "Kendal",
                "zip": "LA9 4AA",
                "country_id": env.ref("base.uk").id,
            }
        )

    def make_picking(self):
        channel = next(iter(self.channels.values()))
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "partner_shipping_id": self.delivery.id,
                "ecom_channel_id": channel.id,
                "ecom_external_ref": "DOC-1",
                "client_order_ref": "SO123",
                "warehouse_id": self.warehouse.id,
                "carrier_id": self.tracked48.id,
                "order_line": [(0, 0, {"product_id": self.beanie.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.carrier_id = self.tracked48
        return picking

    def test_packing_slip_text(self):
        picking = self.make_picking()
        Batch = self.env["ecom.label.batch"].with_user(self.operator)
        (slip,) = Batch._packing_slips(picking.with_user(self.operator))
        self.assertEqual(slip.lines[0].product, "Merino Beanie (Black)")
        self.assertEqual(slip.lines[0].quantity, "2")
        self.assertEqual(
            slip.recipient_lines,
            ["Alice Walker", "3 Fell Lane", "Kendal", "LA9 4AA", "United Kingdom"],
        )
        ordered = fields.Datetime.context_timestamp(picking, picking.sale_id.date_order)
        self.assertEqual(slip.order_date, ordered.strftime("%d/%m/%Y"))
        # the printed document says the same
        action = Batch._action_print_packing_slips(picking.with_user(self.operator))
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        text = pdf_text(attachment.raw)
        self.assertIn("Merino Beanie (Black)", text)
        self.assertEqual(text.count("Alice Walker"), 1)
        self.assertNotIn("Units", text)
        self.assertNotIn("2.0", text)
        self.assertIn(ordered.strftime("%d/%m/%Y"), text)

    def test_label_and_carrier_contents(self):
        picking = self.make_picking()
        request = picking._ecom_shipment_request()
        self.assertEqual(request.contents[0].name, "Merino Beanie (Black)")
        self.assertEqual(request.contents[0].quantity, 2)
        self.assertEqual(request.recipient.lines().count("Alice Walker"), 1)
        self.tracked48.send_shipping(picking)
        text = pdf_text(picking.ecom_label_attachment_id.raw)
        today = fields.Date.context_today(self.tracked48)
        self.assertIn(today.strftime("%d/%m/%Y"), text)
        self.assertEqual(text.count("Alice Walker"), 1)
