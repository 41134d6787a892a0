# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


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
