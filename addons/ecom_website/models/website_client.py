# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The "client" of a website channel.

The other channels are reached through an API client (``ecom_channels_core``); the website
channel's shop is this database, so its client works on records: publishing a listing publishes
its product on the channel's website with the listing's content, ending it unpublishes the
product, and quantities need no sending (the shop reads them live, after the channel's rules).
It offers the methods the channel flows call on a client (publish, end, quantities, listings,
orders, shipments), so that publishing, stock push, reconcile and dispatch run unchanged.
"""

import logging

from odoo import fields

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.ecom_channels_core.payloads import QuantityResult, RemoteListing

from ..ecom_website_core import content

_logger = logging.getLogger(__name__)


class WebsiteChannelClient:
    """Publishes the listings of one website channel on its website (records written with
    superuser rights: the caller checked that the user may write the listings)."""

    #: Quantities are set at once (no feed processed later).
    async_quantities = False

    def __init__(self, channel):
        self.channel = channel.sudo()
        self.env = self.channel.env
        self.on_retry = None

    # Context manager, as the API clients ---------------------------------

    def close(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # Helpers --------------------------------------------------------------

    def _website(self):
        website = self.channel.website_id
        if not website:
            raise ChannelError(
                self.env._("%(channel)s: the channel has no website.", channel=self.channel.name)
            )
        return website

    def _product(self, ref):
        try:
            product_id = int(str(ref or "").strip())
        except ValueError:
            product_id = 0
        product = self.env["product.product"].browse(product_id).exists() if product_id else None
        if not product:
            raise ChannelError(
                self.env._("The website has no product with reference %(ref)s.", ref=ref)
            )
        return product

    # What the channel flows call -------------------------------------------

    def test_connection(self):
        website = self._website()
        return "%s (%s)" % (website.name, website.domain or website.get_base_url())

    def list_listings(self):
        """The product variants the website shows (published, on this website or on all),
        with the quantity the shop offers."""
        website = self._website()
        templates = self.env["product.template"].search(
            [
                ("is_published", "=", True),
                ("website_id", "in", (False, website.id)),
                ("sale_ok", "=", True),
            ]
        )
        products = templates.product_variant_ids
        # what the shop offers (website._get_product_available_qty for this channel's shop),
        # read for all the products at once
        offered = self.channel._ecom_website_quantities(products.filtered("is_storable"))
        for product in products:
            quantity = int(offered[product.id]) if product.id in offered else None
            yield RemoteListing(
                external_ref=str(product.id),
                sku=product.default_code or "",
                barcode=product.barcode or "",
                title=product.display_name,
                price=product.lst_price,
                quantity=quantity,
                currency=website.currency_id.name or "",
                status="published",
            )

    def publish(self, payload):
        """Publish the listing's product on the website with its title, description, images
        and public category; return the listing's reference (the variant's id)."""
        website = self._website()
        listing = self.env["ecom.channel.listing"].browse(payload.extra.get("listing_id"))
        if not listing.exists() or listing.channel_id != self.channel:
            raise ChannelError(self.env._("The listing to publish is not one of this channel."))
        product = listing.product_id
        template = product.product_tmpl_id
        if template.website_id and template.website_id != website:
            raise ChannelError(
                self.env._(
                    "%(product)s is sold only on website %(other)s, not on %(website)s.",
                    product=template.display_name,
                    other=template.website_id.name,
                    website=website.name,
                )
            )
        missing = content.missing_fields(payload)
        if missing:
            raise ChannelError(
                self.env._("The listing lacks %(missing)s.", missing=", ".join(missing))
            )
        vals = {"is_published": True, "website_id": website.id}
        variant_values = product.product_template_attribute_value_ids._get_combination_name()
        title = content.page_title(payload.title, variant_values)
        if title and title != template.name:
            vals["name"] = title
        if payload.description_html:
            vals["description_ecommerce"] = payload.description_html
        if template.is_storable:
            # the channel's rules say what may be sold: never more than the shop offers
            vals["allow_out_of_stock_order"] = False
        if payload.category_id:
            category = self._public_category(payload.category_id, website)
            if category not in template.public_categ_ids:
                vals["public_categ_ids"] = [fields.Command.link(category.id)]
        template.write(vals)
        self._publish_images(listing)
        return str(product.id)

    def _public_category(self, ref, website):
        category_id = content.category_id(ref)
        category = self.env["product.public.category"].browse(category_id or [])
        if not category_id or not category.exists():
            raise ChannelError(
                self.env._(
                    "The website category %(ref)s mapped for this listing does not exist.",
                    ref=ref,
                )
            )
        if category.website_id and category.website_id != website:
            raise ChannelError(
                self.env._(
                    "The website category %(category)s belongs to website %(other)s.",
                    category=category.display_name,
                    other=category.website_id.name,
                )
            )
        return category

    def _publish_images(self, listing):
        """The listing's uploaded images become the product's extra images on the website (of
        its variant when the product has several), replacing those it published before. An
        image given only by URL is not downloaded: it is named in the sync log."""
        Image = self.env["product.image"]
        Image.search([("ecom_listing_id", "=", listing.id)]).unlink()
        product = listing.product_id
        owner = (
            {"product_variant_id": product.id}
            if product.product_tmpl_id.product_variant_count > 1
            else {"product_tmpl_id": product.product_tmpl_id.id}
        )
        vals_list, url_only = [], []
        for image in listing.image_ids.sorted("sequence"):
            if not image.image:
                url_only.append(image.url)
                continue
            vals_list.append(
                dict(
                    owner,
                    name=image.name or listing.name,
                    image_1920=image.image,
                    sequence=image.sequence,
                    ecom_listing_id=listing.id,
                )
            )
        Image.create(vals_list)
        if url_only:
            self.channel._log_sync(
                "publish",
                "warning",
                self.env._(
                    "Images given only by URL are not shown on the website (upload them): %(urls)s",
                    urls=", ".join(url_only),
                ),
                listing=listing,
            )

    def set_quantities(self, items):
        """The shop reads each quantity live (after the channel's rules): every quantity is
        the one it offers already."""
        return [QuantityResult(key=key, quantity=int(quantity), ok=True) for key, quantity in items]

    def end_listing(self, ref):
        """Take the product off the website, unless another variant of it is still published
        on this channel (the ended variant is then offered at 0)."""
        self._website()
        product = self._product(ref)
        template = product.product_tmpl_id
        others = self.env["ecom.channel.listing"].search_count(
            [
                ("channel_id", "=", self.channel.id),
                ("state", "=", "published"),
                ("product_id", "in", template.product_variant_ids.ids),
                ("product_id", "!=", product.id),
            ]
        )
        if not others and template.is_published:
            template.is_published = False
        return True

    def fetch_orders(self, since=None):
        """Website orders are made in this database: there is nothing to import."""
        return iter(())

    def mark_shipped(self, shipment):
        """The customer follows the delivery in the portal and the dispatch email: the shop
        has nothing to be told."""
        return True
