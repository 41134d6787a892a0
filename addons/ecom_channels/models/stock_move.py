# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockMove(models.Model):
    """Feed the stock outbox of the channels: every move that changes the free stock of a product
    (done: sale, receipt, adjustment; reserved or unreserved: order confirmed or cancelled) marks
    its published listings pending, once per call."""

    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        self.env["ecom.channel.listing"]._mark_stock_pending((self | moves).product_id)
        return moves

    def _action_assign(self, force_qty=False):
        # only the moves whose reservation changed change the free stock: the scheduler tries
        # every waiting move, most of them in vain
        before = {move.id: move.quantity for move in self}
        result = super()._action_assign(force_qty=force_qty)
        changed = self.filtered(lambda move: move.quantity != before.get(move.id))
        self.env["ecom.channel.listing"]._mark_stock_pending(changed.product_id)
        return result

    def _do_unreserve(self):
        # Also reached by _action_cancel: a cancelled order gives its reservation back.
        result = super()._do_unreserve()
        self.env["ecom.channel.listing"]._mark_stock_pending(self.product_id)
        return result
