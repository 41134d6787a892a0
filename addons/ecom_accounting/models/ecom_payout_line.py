# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomPayoutLine(models.Model):
    _name = "ecom.payout.line"
    _description = "Channel Payout Line"
    _order = "payout_id, id"

    payout_id = fields.Many2one("ecom.payout", required=True, index=True, ondelete="cascade")
    channel_id = fields.Many2one(related="payout_id.channel_id", store=True)
    company_id = fields.Many2one(related="payout_id.company_id", store=True)
    currency_id = fields.Many2one(related="payout_id.currency_id")
    kind = fields.Selection(
        [("order", "Order"), ("refund", "Refund"), ("charge", "Marketplace Charge")],
        required=True,
        default="order",
    )
    order_ref = fields.Char("Channel Order Reference")
    sale_order_id = fields.Many2one("sale.order", "Order", index="btree_not_null")
    invoice_id = fields.Many2one("account.move", compute="_compute_invoice_id")
    amount = fields.Monetary(help="Paid by the buyer (negative: refunded).")
    fee = fields.Monetary(help="Kept by the marketplace (negative: fees given back).")
    net = fields.Monetary(compute="_compute_net")
    description = fields.Char()

    @api.depends("sale_order_id.invoice_ids.state", "kind")
    def _compute_invoice_id(self):
        for line in self:
            move_type = "out_refund" if line.kind == "refund" else "out_invoice"
            line.invoice_id = line.sale_order_id.invoice_ids.filtered(
                lambda m, t=move_type: m.state == "posted" and m.move_type == t
            )[:1]

    @api.depends("amount", "fee")
    def _compute_net(self):
        for line in self:
            line.net = line.amount - line.fee

    def _link_orders(self):
        """Link the lines to the channel orders imported since the payout was read."""
        lines = self.filtered(lambda line: line.order_ref and not line.sale_order_id)
        if not lines:
            return
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(  # see EcomPayout._import_remote_payouts
                [
                    ("ecom_channel_id", "in", lines.channel_id.ids),
                    ("ecom_external_ref", "in", lines.mapped("order_ref")),
                ]
            )
        )
        by_key = {(o.ecom_channel_id.id, o.ecom_external_ref): o for o in orders}
        for line in lines:
            order = by_key.get((line.channel_id.id, line.order_ref))
            if order:
                line.sale_order_id = order
