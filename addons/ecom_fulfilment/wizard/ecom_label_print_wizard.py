# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class EcomLabelPrintWizard(models.TransientModel):
    """Print the labels of selected deliveries or of a batch transfer, with their packing slips
    and (if wanted) invoices, as one PDF in pick sequence."""

    _name = "ecom.label.print.wizard"
    _description = "Print Shipping Labels"

    picking_batch_id = fields.Many2one("stock.picking.batch", "Batch Transfer")
    picking_ids = fields.Many2many("stock.picking", string="Deliveries")
    include_packing_slips = fields.Boolean("Packing Slips", default=True)
    include_invoices = fields.Boolean("Invoices")
    has_invoices = fields.Boolean(compute="_compute_has_invoices")
    picking_count = fields.Integer(compute="_compute_has_invoices")

    @api.depends("picking_ids", "picking_batch_id")
    def _compute_has_invoices(self):
        for wizard in self:
            pickings = wizard._pickings()
            wizard.picking_count = len(pickings)
            wizard.has_invoices = any(
                move.state == "posted" and move.move_type == "out_invoice"
                for move in pickings.sale_id.invoice_ids
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "stock.picking.batch" and context.get("active_id"):
            values.setdefault("picking_batch_id", context["active_id"])
        elif context.get("active_model") == "stock.picking" and context.get("active_ids"):
            values.setdefault("picking_ids", [fields.Command.set(context["active_ids"])])
        return values

    def _pickings(self):
        self.ensure_one()
        pickings = self.picking_ids | self.picking_batch_id.picking_ids
        return pickings.filtered(lambda p: p.picking_type_code == "outgoing")

    def action_print(self):
        self.ensure_one()
        pickings = self._pickings()
        if not pickings:
            raise UserError(self.env._("Select deliveries (or a batch transfer) to print."))
        batch = self.env["ecom.label.batch"]._create_for_pickings(
            pickings,
            picking_batch_id=self.picking_batch_id.id,
            include_packing_slips=self.include_packing_slips,
            include_invoices=self.include_invoices and self.has_invoices,
        )
        return batch.action_print()
