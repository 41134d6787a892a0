# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class EcomChannelListingImage(models.Model):
    """One image of a listing, in the order the channel shows them.

    The channels download images from a URL: ``url`` when the image lives on a CDN, otherwise
    the Odoo server's ``/web/image`` address of ``image`` (the server must then be reachable
    from the channel).
    """

    _name = "ecom.channel.listing.image"
    _inherit = ["ecom.channel.listing.child"]
    _description = "Channel Listing Image"
    _order = "listing_id, sequence, id"

    name = fields.Char(help="Alternative text shown by the channel.")
    image = fields.Image(max_width=1920, max_height=1920)
    url = fields.Char(
        "Image URL", help="Public address of the image (a CDN); used instead of the upload."
    )

    @api.constrains("image", "url", "listing_id")
    def _check_image_or_url(self):
        for image in self:
            if not (image.image or image.url):
                raise ValidationError(self.env._("Upload the image or give its public URL."))

    def _public_url(self, base_url):
        self.ensure_one()
        if self.url:
            return self.url
        return "%s/web/image/%s/%s/image" % (base_url, self._name, self.id)
