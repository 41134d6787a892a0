# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    ecom_order_interval_days = fields.Float(
        string="Order Interval (days)",
        help="Days between two purchase orders to this vendor; the reordering rules order "
        "this many days of sales. 0: the company's default.",
    )
