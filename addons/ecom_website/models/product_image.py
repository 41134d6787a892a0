# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductImage(models.Model):
    _inherit = "product.image"

    ecom_listing_id = fields.Many2one(
        "ecom.channel.listing",
        "Website Listing",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="The website channel listing that published this image (replaced when it is "
        "published again).",
    )
