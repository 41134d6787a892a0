# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    ecom_short_qty = fields.Float(
        string="Short Picked",
        digits="Product Unit of Measure",
        copy=False,
        help="Units the picker could not find in the bin.",
    )

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        if not self.env.context.get("ecom_counting"):
            # The bins are on the move lines (the move's source is often the parent stock).
            sources = moves.filtered(
                lambda m: m.state == "done"
            ).move_line_ids.location_id.filtered(lambda loc: loc.usage == "internal")
            if sources:
                stocked = self.env["stock.quant"]._read_group(
                    [("location_id", "in", sources.ids), ("quantity", ">", 0)], ["location_id"]
                )
                emptied = sources - self.env["stock.location"].union(*[g[0] for g in stocked])
                emptied._ecom_request_count("zero")
        return moves
