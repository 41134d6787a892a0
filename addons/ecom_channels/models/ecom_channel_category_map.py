# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomChannelCategoryMap(models.Model):
    """Which channel category an Odoo product category (and its sub-categories) goes to."""

    _name = "ecom.channel.category.map"
    _description = "Channel Category Mapping"
    _order = "channel_id, categ_id, id"
    _rec_name = "channel_category_name"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    channel_type = fields.Selection(related="channel_id.channel_type")
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    categ_id = fields.Many2one(
        "product.category",
        "Product Category",
        required=True,
        ondelete="cascade",
        index=True,
        help="Applies to this category and to its sub-categories without a mapping of their own.",
    )
    channel_category_ref = fields.Char(
        "Channel Category ID",
        required=True,
        help="The channel's id of the category (eBay CategoryID, WooCommerce category id, "
        "Amazon browse node...).",
    )
    channel_category_name = fields.Char(help="e.g. Sporting Goods > Camping & Hiking > Tents")
    listing_count = fields.Integer(compute="_compute_listing_count")

    _sql_constraints = [
        (
            "channel_categ_uniq",
            "unique(channel_id, categ_id)",
            "This product category is already mapped on this channel.",
        ),
    ]

    @api.depends("channel_id", "categ_id")
    def _compute_listing_count(self):
        counts = dict(
            self.env["ecom.channel.listing"]._read_group(
                [("category_map_id", "in", self.ids)], ["category_map_id"], ["__count"]
            )
        )
        for mapping in self:
            mapping.listing_count = counts.get(mapping, 0)

    @api.depends("channel_category_name", "channel_category_ref", "categ_id")
    def _compute_display_name(self):
        for mapping in self:
            mapping.display_name = "%s → %s" % (
                mapping.categ_id.display_name or "",
                mapping.channel_category_name or mapping.channel_category_ref or "",
            )
