# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import float_compare, float_is_zero

#: How a channel rounds the tax of its orders (Odoo's company setting, per channel).
TAX_ROUNDING_METHODS = [
    ("round_per_line", "Round per Line"),
    ("round_globally", "Round Globally"),
]


class CompanyRounding:
    """A company as Odoo's tax computation reads it, with another tax rounding method: the
    channel's. Everything else is the company's."""

    def __init__(self, company, method):
        self._company = company
        self.tax_calculation_rounding_method = method

    def __getattr__(self, name):
        return getattr(self._company, name)


# The channel's tax rounding lives beside the tax computation it steers; it belongs with the
# channel's other accounting settings in ecom_channel.py (to move there).
class EcomChannel(models.Model):
    _inherit = "ecom.channel"  # pylint: disable=consider-merging-classes-inherited

    tax_rounding_method = fields.Selection(
        TAX_ROUNDING_METHODS,
        "Tax Rounding",
        help="How the channel rounds the tax of its orders: per line, or on the order's total "
        "(WooCommerce: 'Round tax at subtotal level'). Odoo computes the tax of the channel's "
        "orders and invoices the same way, so that they equal the channel's to the cent. "
        "Empty: as the company (Accounting settings). Set by billing users.",
    )

    def _ecom_tax_rounding(self):
        """The tax rounding method of the channel's orders and invoices."""
        self.ensure_one()
        return self.tax_rounding_method or self.company_id.tax_calculation_rounding_method


class AccountTax(models.Model):
    _inherit = "account.tax"

    @api.model
    def _ecom_base_line_channel(self, base_line):
        """The channel of the order or invoice of a base line of Odoo's tax computation."""
        record = base_line.get("record")
        if not isinstance(record, models.BaseModel) or len(record) != 1:
            return None
        if record._name == "sale.order.line":
            return record.order_id.ecom_channel_id
        if record._name == "account.move.line":
            return record.move_id.ecom_channel_id
        return None

    @api.model
    def _add_tax_details_in_base_line(self, base_line, company, rounding_method=None):
        """The tax of a line of a channel's order or invoice is rounded as the channel rounds
        it (per line or globally), whatever the company's setting."""
        if not rounding_method:
            channel = self._ecom_base_line_channel(base_line)
            method = channel.sudo().tax_rounding_method if channel else False
            if method and method != company.tax_calculation_rounding_method:
                company = CompanyRounding(company, method)
                rounding_method = method
        return super()._add_tax_details_in_base_line(
            base_line, company, rounding_method=rounding_method
        )


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
        # the order's other invoices and credit notes (through stored fields: the order's
        # invoice_ids is computed, searched on every change of any move), what is left to bill
        "invoice_line_ids.sale_line_ids.order_id.order_line.invoice_lines.move_id.amount_total",
        "invoice_line_ids.sale_line_ids.order_id.order_line.invoice_lines.move_id.amount_tax",
        "invoice_line_ids.sale_line_ids.order_id.order_line.invoice_lines.move_id.state",
        "invoice_line_ids.sale_line_ids.qty_invoiced",
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
            # A shipment in parts is invoiced in parts: the channel's total is that of the whole
            # order, so the orders' invoices are compared with it together once they bill every
            # line (a part invoice alone is never a difference).
            if move._ecom_bills_in_part(orders):
                move.ecom_channel_total = total
                move.ecom_channel_tax = 0.0
                move.ecom_total_difference = 0.0
                move.ecom_total_mismatch = False
                continue
            # the orders' invoices less their credit notes (a refund then a new invoice bills once)
            invoices = move | orders.order_line.invoice_lines.move_id.filtered(
                lambda m: m.move_type in ("out_invoice", "out_refund") and m.state != "cancel"
            )

            def billed(field, invoices=invoices):
                return sum(-m[field] if m.move_type == "out_refund" else m[field] for m in invoices)

            diff = currency.round(billed("amount_total") - total)
            move.ecom_channel_total = total
            move.ecom_total_difference = diff
            reported = orders.filtered(
                lambda o: any(o.order_line.mapped("ecom_channel_tax_reported"))
            )
            tax = sum(reported.mapped("ecom_channel_tax"))
            move.ecom_channel_tax = tax
            tax_differs = bool(reported) and (
                not currency.is_zero(billed("amount_tax") - tax)
                or any(orders.mapped("ecom_tax_mismatch"))
            )
            move.ecom_total_mismatch = not currency.is_zero(diff) or tax_differs

    def _ecom_bills_in_part(self, orders):
        """Whether ``orders`` still have something to bill beyond this invoice and their other
        invoices (a shipment in parts), so that their channel total cannot be compared yet."""
        self.ensure_one()
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for line in orders.order_line:
            if line.display_type or float_is_zero(line.product_uom_qty, precision_digits=precision):
                continue
            if (
                float_compare(line.qty_invoiced, line.product_uom_qty, precision_digits=precision)
                < 0
            ):
                return True
        return False


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ecom_fee = fields.Boolean(
        "Marketplace Fee",
        copy=False,
        help="Journal item of a marketplace fee, counted as such in the channel profitability.",
    )
