# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

RECEIPT_STATUSES = [
    ("ok", "As ordered"),
    ("short", "Short"),
    ("over", "Over-delivered"),
    ("unexpected", "Unexpected item"),
]


class EcomWarehouseReceiptLine(models.Model):
    _name = "ecom.warehouse.receipt.line"
    _description = "Receipt Discrepancy Line"
    _order = "receipt_id, id"

    receipt_id = fields.Many2one(
        "ecom.warehouse.receipt", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="receipt_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="receipt_id.partner_id", store=True)
    date_done = fields.Datetime(related="receipt_id.date_done", store=True)
    product_id = fields.Many2one("product.product", required=True)
    uom_id = fields.Many2one(related="product_id.uom_id")
    expected_qty = fields.Float(string="Expected", digits="Product Unit of Measure")
    received_qty = fields.Float(string="Received", digits="Product Unit of Measure")
    difference_qty = fields.Float(string="Difference", digits="Product Unit of Measure")
    status = fields.Selection(RECEIPT_STATUSES, required=True, default="ok")
    location_names = fields.Char(string="Put Away In")
    note = fields.Char()
