# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    ecom_order_interval_days = fields.Float(
        string="Order Interval (days)",
        help="Overrides the vendor's order interval for this product. 0: the vendor's.",
    )
