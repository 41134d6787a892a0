# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomChannelListingChild(models.AbstractModel):
    """A part of a listing (an image, an attribute): in the listing's company, in the order
    the channel shows them, and any change to it (new, changed, moved to another listing,
    deleted) makes the listings it belongs or belonged to due for an update."""

    _name = "ecom.channel.listing.child"
    _description = "Part of a Channel Listing"
    _order = "listing_id, sequence, id"

    listing_id = fields.Many2one(
        "ecom.channel.listing", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="listing_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.listing_id._mark_to_sync()
        return records

    def write(self, vals):
        listings = self.listing_id
        result = super().write(vals)
        (listings | self.listing_id)._mark_to_sync()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mark_to_sync(self):
        self.listing_id._mark_to_sync()
