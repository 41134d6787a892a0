# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class Website(models.Model):
    _inherit = "website"

    ecom_channel_ids = fields.One2many(
        "ecom.channel",
        "website_id",
        "Sales Channels",
        groups="ecom_channels.ecom_channels_group_user",
    )

    def _ecom_channel(self):
        """The active sales channel whose shop this website is (empty when it is none)."""
        if len(self) != 1:
            return self.env["ecom.channel"]
        return self.sudo().ecom_channel_ids.filtered(
            lambda c: c.active and c.channel_type == "website"
        )[:1]

    def _get_product_available_qty(self, product, **kwargs):
        """On a website channel's shop, what the channel offers (its stock rules), not all the
        free stock."""
        channel = self._ecom_channel()
        if channel and product.is_storable:
            return channel._ecom_website_quantity(product)
        return super()._get_product_available_qty(product, **kwargs)
