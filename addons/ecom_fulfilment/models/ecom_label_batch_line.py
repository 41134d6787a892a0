# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

LINE_STATES = [("pending", "To Print"), ("done", "Printed"), ("failed", "Failed")]


class EcomLabelBatchLine(models.Model):
    """One delivery of a label print run, with its outcome."""

    _name = "ecom.label.batch.line"
    _description = "Label Print Line"
    _order = "batch_id, sequence, id"

    batch_id = fields.Many2one("ecom.label.batch", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="batch_id.company_id", store=True)
    sequence = fields.Integer(help="Position in the pick sequence.")
    picking_id = fields.Many2one("stock.picking", required=True, ondelete="cascade", index=True)
    carrier_id = fields.Many2one(related="picking_id.carrier_id")
    tracking_ref = fields.Char(related="picking_id.carrier_tracking_ref", string="Tracking")
    state = fields.Selection(LINE_STATES, default="pending", required=True, index=True)
    message = fields.Text()
