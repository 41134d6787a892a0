# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    ecom_line_ref = fields.Char(
        "Channel Line Reference",
        copy=False,
        help="The channel's id of this order line, used to report partial shipments.",
    )
