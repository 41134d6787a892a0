# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    ecom_channel_id = fields.Many2one(
        "ecom.channel",
        "Sales Channel",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Channel of the orders this invoice bills, or of the payout this entry settles.",
    )
    ecom_payout_id = fields.Many2one(
        "ecom.payout", "Channel Payout", index="btree_not_null", copy=False, readonly=True
    )
    ecom_channel_total = fields.Monetary(
        "Channel Total",
        compute="_compute_ecom_channel_total",
        store=True,
        help="Total of the billed channel orders as the channel reported it.",
    )
    ecom_total_difference = fields.Monetary(
        "Difference with Channel", compute="_compute_ecom_channel_total", store=True
    )
    ecom_channel_tax = fields.Monetary(
        "Channel Tax",
        compute="_compute_ecom_channel_total",
        store=True,
        help="Tax of the billed channel orders as the channel reported it.",
    )
    ecom_total_mismatch = fields.Boolean(
        "Total Differs from Channel",
        compute="_compute_ecom_channel_total",
        store=True,
        index=True,
        help="The total of the invoice differs from the channel's, or its tax (of the invoice or "
        "of an order line) does.",
    )

    @api.depends(
        "amount_total",
        "amount_tax",
        "ecom_channel_id",
        "invoice_line_ids.sale_line_ids.order_id.ecom_channel_total",
        "invoice_line_ids.sale_line_ids.order_id.ecom_channel_tax",
        "invoice_line_ids.sale_line_ids.order_id.ecom_tax_mismatch",
    )
    def _compute_ecom_channel_total(self):
        for move in self:
            orders = move.invoice_line_ids.sale_line_ids.order_id
            if (
                not move.ecom_channel_id
                or move.move_type != "out_invoice"
                or not orders
                or not all(orders.mapped("ecom_channel_total"))
            ):
                move.ecom_channel_total = 0.0
                move.ecom_channel_tax = 0.0
                move.ecom_total_difference = 0.0
                move.ecom_total_mismatch = False
                continue
            currency = move.currency_id
            total = sum(orders.mapped("ecom_channel_total"))
            diff = currency.round(move.amount_total - total)
            move.ecom_channel_total = total
            move.ecom_total_difference = diff
            reported = orders.filtered(
                lambda o: any(o.order_line.mapped("ecom_channel_tax_reported"))
            )
            tax = sum(reported.mapped("ecom_channel_tax"))
            move.ecom_channel_tax = tax
            tax_differs = bool(reported) and (
                not currency.is_zero(move.amount_tax - tax)
                or any(orders.mapped("ecom_tax_mismatch"))
            )
            move.ecom_total_mismatch = not currency.is_zero(diff) or tax_differs


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ecom_fee = fields.Boolean(
        "Marketplace Fee",
        copy=False,
        help="Journal item of a marketplace fee, counted as such in the channel profitability.",
    )
