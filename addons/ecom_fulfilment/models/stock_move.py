# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        """Order import jobs run side by side and would reserve the same products' quants at
        once: PostgreSQL then makes all but one run again (a concurrent update), and the work
        of the others is lost. They confirm their orders with ``ecom_defer_reservation`` in the
        context: the reservation is left to a short job of its own after them
        (``ecom.channel._ecom_job_reserve``), which calls this without it."""
        if self.env.context.get("ecom_defer_reservation"):
            return True
        return super()._action_assign(force_qty=force_qty)

    def _ecom_reserved_at_confirm(self):
        """The moves Odoo's confirmation reserves (``stock.move._action_confirm``): waiting
        ones whose location bypasses reservation, whose operation type reserves at
        confirmation, or whose reservation date has come. A deferred reservation reserves
        these and no others (an operation type set to reserve manually or by date keeps its
        choice)."""
        today = fields.Date.today()
        return self.filtered(
            lambda move: (
                move.state in ("confirmed", "partially_available")
                and (
                    move._should_bypass_reservation()
                    or move.picking_type_id.reservation_method == "at_confirm"
                    or (move.reservation_date and move.reservation_date <= today)
                )
            )
        )
