# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.exceptions import UserError

from ..ecom_website_core import content


class EcomChannelListing(models.Model):
    _inherit = "ecom.channel.listing"

    def _ecom_is_website(self):
        return self.filtered(lambda listing: listing.channel_id.channel_type == "website")

    def _to_payload(self, with_images=True):
        payload = super()._to_payload(with_images=with_images)
        if self.channel_id.channel_type == "website" and self.id:
            # the website client publishes the listing's own records (images, product)
            payload.extra = dict(payload.extra, listing_id=self.id)
        return payload

    def _compute_completeness(self):
        website = self._ecom_is_website()
        result = super(EcomChannelListing, self - website)._compute_completeness()
        for listing in website:
            payload = listing._to_payload(with_images=False)
            missing = content.missing_fields(payload)
            recommended = [
                bool(payload.description_html),
                bool(listing.image_ids),
                bool(payload.category_id),
                bool(listing._keyword_list()),
                not listing._keyword_issues(),
            ]
            required = content.REQUIRED_COUNT
            passed = max(required - len(missing), 0) + sum(recommended)
            listing.missing_requirements = "\n".join(missing) or False
            listing.completeness = round(100 * passed / (required + len(recommended)))
        return result

    def action_mark_ready(self):
        """Website listings need what the shop shows (a title), not what marketplaces ask."""
        website = self._ecom_is_website()
        others = self - website
        if others:
            super(EcomChannelListing, others).action_mark_ready()
        if not website:
            return True
        website.check_access("write")
        blocked = [
            (listing, missing)
            for listing in website
            if (missing := content.missing_fields(listing._to_payload(with_images=False)))
        ]
        if blocked:
            raise UserError(
                self.env._(
                    "These listings cannot be marked ready:\n%(details)s",
                    details="\n".join(
                        "- %s: %s" % (listing.display_name, "; ".join(missing))
                        for listing, missing in blocked
                    ),
                )
            )
        website.filtered(lambda lst: lst.state in ("draft", "error", "ended")).write(
            {"state": "ready", "last_error": False}
        )
        return True
