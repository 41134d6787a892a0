# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..ecom_website_core import content


class EcomChannelListing(models.Model):
    _inherit = "ecom.channel.listing"

    def _to_payload(self, with_images=True):
        payload = super()._to_payload(with_images=with_images)
        if self.channel_id.channel_type == "website" and self.id:
            # the website client publishes the listing's own records (images, product)
            payload.extra = dict(payload.extra, listing_id=self.id)
        return payload

    def _missing_fields(self, payload):
        """Website listings need what the shop shows (a title), not what marketplaces ask."""
        if self.channel_id.channel_type == "website":
            return content.missing_fields(payload)
        return super()._missing_fields(payload)

    def _required_count(self):
        if self.channel_id.channel_type == "website":
            return content.REQUIRED_COUNT
        return super()._required_count()

    def _missing_channel_attributes_by_listing(self, payloads=None):
        """The shop asks for no channel attributes."""
        shop = self.filtered(lambda listing: listing.channel_id.channel_type == "website")
        result = super(EcomChannelListing, self - shop)._missing_channel_attributes_by_listing(
            payloads
        )
        result.update({listing: [] for listing in shop})
        return result
