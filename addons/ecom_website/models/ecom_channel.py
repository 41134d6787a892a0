# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .website_client import WebsiteChannelClient


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    channel_type = fields.Selection(
        selection_add=[("website", "Website")], ondelete={"website": "cascade"}
    )
    website_id = fields.Many2one(
        "website",
        check_company=True,
        index=True,
        tracking=True,
        help="The Odoo website whose shop this channel is: its listings publish their products "
        "there, its shop offers the quantities after the channel's stock rules and its orders "
        "become the channel's orders when confirmed.",
    )

    @api.constrains("channel_type", "website_id", "active")
    def _check_website_id(self):
        for channel in self.filtered(lambda c: c.channel_type == "website"):
            if not channel.website_id:
                raise ValidationError(
                    self.env._("Website channel %(channel)s needs a website.", channel=channel.name)
                )
            # every company's channels: a website is the shop of one channel at most
            if channel.active and self.sudo().with_context(active_test=True).search_count(
                [
                    ("channel_type", "=", "website"),
                    ("website_id", "=", channel.website_id.id),
                    ("id", "!=", channel.id),
                ]
            ):
                raise ValidationError(
                    self.env._(
                        "Website %(website)s is the shop of another channel already.",
                        website=channel.website_id.name,
                    )
                )

    @api.onchange("channel_type", "website_id")
    def _onchange_website_id(self):
        if self.channel_type == "website" and self.website_id.warehouse_id:
            self.warehouse_id = self.website_id.warehouse_id

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        channels._ecom_sync_website_warehouse()
        return channels

    def write(self, vals):
        result = super().write(vals)
        if {"website_id", "warehouse_id", "channel_type"}.intersection(vals):
            self._ecom_sync_website_warehouse()
        return result

    def _ecom_sync_website_warehouse(self):
        """The website sells and ships from its channel's warehouse (website_sale_stock reads
        the website's warehouse for its orders)."""
        for channel in self.filtered(lambda c: c.channel_type == "website" and c.website_id):
            website = channel.website_id.sudo()
            if website.warehouse_id != channel.warehouse_id:
                website.warehouse_id = channel.warehouse_id

    # ------------------------------------------------------------------
    # Client: the website itself
    # ------------------------------------------------------------------

    def _get_client(self, max_retry_wait=None, **kwargs):
        if self.channel_type == "website":
            self.ensure_one()
            return WebsiteChannelClient(self)
        return super()._get_client(max_retry_wait=max_retry_wait, **kwargs)

    # ------------------------------------------------------------------
    # Stock offered by the shop
    # ------------------------------------------------------------------

    def _ecom_website_quantity(self, product):
        """The quantity the shop of this website channel offers of ``product`` (see
        ``_ecom_website_quantities``)."""
        return self._ecom_website_quantities(product)[product.id]

    def _ecom_website_quantities(self, products):
        """``{product id: quantity}`` the shop of this website channel offers of ``products``:
        a listing's quantity to publish (free stock of the channel's warehouse after the
        channel's rules), 0 when the listing is ended; without a listing, the same rules
        applied to the product's free stock. One search of the listings and one reading of
        the stock for all. Read with superuser rights: shoppers read a quantity, not the
        stock."""
        self.ensure_one()
        channel = self.sudo()
        Listing = self.env["ecom.channel.listing"].sudo()
        listings = Listing.search(
            [("channel_id", "=", channel.id), ("product_id", "in", products.ids)], order="id"
        )
        by_product = {}
        for listing in listings:
            by_product.setdefault(listing.product_id.id, listing)
        listed = Listing.browse([listing.id for listing in by_product.values()])
        listed.invalidate_recordset(["qty_to_publish"])  # the stock may have moved since
        warehouse = channel.warehouse_id
        free = Listing._free_quantities(
            {p.id for p in products if p.id not in by_product}, {warehouse.id}
        )
        result = {}
        for product in products:
            listing = by_product.get(product.id)
            if listing:
                result[product.id] = 0 if listing.state == "ended" else listing.qty_to_publish
            else:
                result[product.id] = channel._sellable_quantity(
                    free.get((product.id, warehouse.id), 0.0)
                )
        return result
