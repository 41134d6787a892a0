# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ecom_channel_id = fields.Many2one(
        "ecom.channel", "Sales Channel", index=True, copy=False, check_company=True
    )
    ecom_external_ref = fields.Char("Channel Order Reference", index=True, copy=False)
    ecom_service_level = fields.Char(
        "Channel Service Level",
        copy=False,
        help="The delivery service the channel promised the buyer (e.g. Amazon 'Standard').",
    )
    ecom_ship_by_date = fields.Datetime("Ship By", copy=False)

    _sql_constraints = [
        (
            "ecom_channel_external_ref_uniq",
            "unique(ecom_channel_id, ecom_external_ref)",
            "This channel order has already been imported.",
        ),
    ]
