# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..ecom_warehouse_core import fill_rate


class EcomWarehouseReceipt(models.Model):
    _name = "ecom.warehouse.receipt"
    _description = "Receipt Discrepancy Report"
    _order = "date_done desc, id desc"

    name = fields.Char(related="picking_id.name", store=True)
    picking_id = fields.Many2one(
        "stock.picking", string="Receipt", required=True, ondelete="cascade", index=True
    )
    purchase_id = fields.Many2one("purchase.order", string="Purchase Order", index=True)
    partner_id = fields.Many2one("res.partner", string="Supplier", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    user_id = fields.Many2one("res.users", string="Received By")
    date_order = fields.Datetime(string="Ordered On", help="Confirmation of the purchase order.")
    date_done = fields.Datetime(string="Received On")
    line_ids = fields.One2many("ecom.warehouse.receipt.line", "receipt_id", string="Lines")
    expected_qty = fields.Float(compute="_compute_totals", store=True)
    received_qty = fields.Float(compute="_compute_totals", store=True)
    filled_qty = fields.Float(
        compute="_compute_totals", store=True, help="Received quantity up to the ordered one."
    )
    fill_rate = fields.Float(
        string="Fill Rate (%)", compute="_compute_totals", store=True, aggregator="avg"
    )
    discrepancy_count = fields.Integer(compute="_compute_totals", store=True)
    backorder_id = fields.Many2one("stock.picking")

    _sql_constraints = [
        ("picking_unique", "unique(picking_id)", "A receipt has one discrepancy report."),
    ]

    @api.depends("line_ids.expected_qty", "line_ids.received_qty", "line_ids.status")
    def _compute_totals(self):
        for receipt in self:
            pairs = [(line.expected_qty, line.received_qty) for line in receipt.line_ids]
            receipt.expected_qty = sum(e for e, _r in pairs)
            receipt.received_qty = sum(r for _e, r in pairs)
            receipt.filled_qty = sum(min(e, r) for e, r in pairs if e > 0)
            rate = fill_rate(pairs)
            receipt.fill_rate = 100.0 * rate if rate is not None else 0.0
            receipt.discrepancy_count = len(
                receipt.line_ids.filtered(lambda line: line.status != "ok")
            )

    def action_print(self):
        return self.env.ref("ecom_warehouse.action_report_receipt_discrepancy").report_action(self)
