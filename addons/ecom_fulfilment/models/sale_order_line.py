# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    ecom_line_ref = fields.Char(
        "Channel Line Reference",
        copy=False,
        help="The channel's id of this order line, used to report partial shipments.",
    )
    ecom_channel_tax = fields.Monetary(
        "Channel Tax",
        copy=False,
        help="Tax of the channel's line as the channel reported it (a channel line priced "
        "exactly over two order lines: on the first one).",
    )
    ecom_channel_tax_reported = fields.Boolean(
        "Channel Reports Tax",
        copy=False,
        help="The channel reported the tax of this line: Odoo's tax is checked against it.",
    )

    def _compute_analytic_distribution(self):
        # Channel order import, when the database has no analytic distribution model at all
        # (checked once per import batch): no model can give these lines a distribution, so
        # the lines keep theirs without a search of the models for each line.
        if self.env.context.get("ecom_no_distribution_model"):
            for line in self:
                line.analytic_distribution = line.analytic_distribution
            return
        return super()._compute_analytic_distribution()
