# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        # The invoicing policy is the channel's: read with the rights it needs, so that a
        # warehouse user validates deliveries of orders they cannot read themselves.
        orders = (
            self.filtered(
                lambda p: (
                    p.state == "done" and p.picking_type_code == "outgoing" and p.ecom_channel_id
                )
            )
            .sudo()
            .sale_id.filtered(lambda o: o.ecom_channel_id.invoice_policy == "ship")
        )
        if orders:
            orders._ecom_invoice()
        return res
