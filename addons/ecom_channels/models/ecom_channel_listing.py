# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import contextlib
import json
import logging
from dataclasses import asdict

from psycopg2 import IntegrityError

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext, is_html_empty

from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.payloads import ListingPayload
from ..ecom_channels_core.requirements import missing_fields
from ..ecom_channels_core.stock_sync import sellable_quantity
from .ecom_channel import CONCURRENCY_ERRORS
from .ecom_sync_log import OP_END_LISTING, OP_PUBLISH

_logger = logging.getLogger(__name__)

LISTING_STATES = [
    ("draft", "Draft"),
    ("ready", "Ready"),
    ("published", "Published"),
    ("error", "Error"),
    ("ended", "Ended"),
]


EBAY_CONDITIONS = [
    ("1000", "New"),
    ("1500", "New other (see details)"),
    ("2000", "Certified refurbished"),
    ("2500", "Seller refurbished"),
    ("3000", "Used"),
    ("7000", "For parts or not working"),
]
AMAZON_CONDITIONS = [
    ("new_new", "New"),
    ("new_open_box", "New, open box"),
    ("refurbished_refurbished", "Refurbished"),
    ("used_like_new", "Used, like new"),
    ("used_very_good", "Used, very good"),
    ("used_good", "Used, good"),
    ("used_acceptable", "Used, acceptable"),
]
#: Fields whose change makes a published listing due for an update on the channel.
CONTENT_FIELDS = frozenset(
    {
        "name",
        "description",
        "price",
        "image_ids",
        "category_override",
        "ebay_condition",
        "amazon_product_type",
        "amazon_condition",
        "gtin",
        "asin",
        "shopify_product_type",
        "tags",
        "channel_attribute_ids",
    }
)
#: Content a good listing has whatever the channel requires (counted in the completeness).
RECOMMENDED_CHECKS = 5


@contextlib.contextmanager
def record_retries(client):
    """Yield a list filled with a message for each failed call that ``client`` retries inside
    the block, so that every failure lands in the sync log even when the call succeeds in the
    end."""
    messages = []
    previous = client.on_retry
    client.on_retry = messages.append
    try:
        yield messages
    finally:
        client.on_retry = previous


class EcomChannelListing(models.Model):
    """One product offered on one channel: the binding between an Odoo product variant and the
    channel's item/variant, with the content the channel shows."""

    _name = "ecom.channel.listing"
    _description = "Channel Listing"
    _inherit = ["mail.thread"]
    _order = "channel_id, product_id, id"
    _rec_names_search = ["name", "product_id", "external_ref"]

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    channel_type = fields.Selection(related="channel_id.channel_type")
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="restrict", index=True, check_company=True
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True)
    default_code = fields.Char(related="product_id.default_code", string="SKU")
    barcode = fields.Char(related="product_id.barcode")
    state = fields.Selection(
        LISTING_STATES, required=True, default="draft", index=True, tracking=True, copy=False
    )
    external_ref = fields.Char(
        "External Reference",
        copy=False,
        index=True,
        help="The channel's own id of this item or variant (Shopify variant GID, WooCommerce id, "
        "eBay item id, Amazon SKU).",
    )
    name = fields.Char(
        "Title",
        compute="_compute_name",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        tracking=True,
    )
    description = fields.Html(sanitize_style=True)
    price = fields.Float(
        digits="Product Price",
        compute="_compute_price",
        store=True,
        readonly=False,
        precompute=True,
    )
    currency_id = fields.Many2one(related="channel_id.currency_id")
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    sync_log_ids = fields.One2many("ecom.sync.log", "listing_id")
    to_sync = fields.Boolean(
        "Changed Since Published",
        readonly=True,
        copy=False,
        index=True,
        help="The content changed after the last publication: the next publishing updates it.",
    )
    # Stock -------------------------------------------------------------
    qty_to_publish = fields.Integer(
        "Quantity to Publish",
        compute="_compute_qty_to_publish",
        help="Free stock of the product in the channel's warehouse (on hand minus reserved), "
        "after the channel's buffer, share, zero-out threshold and maximum.",
    )
    qty_published = fields.Integer(
        "Published Quantity",
        readonly=True,
        copy=False,
        help="The last quantity the channel accepted.",
    )
    qty_published_date = fields.Datetime("Quantity Pushed On", readonly=True, copy=False)
    channel_dynamic_buffer = fields.Boolean(
        "Channel Uses a Dynamic Buffer", related="channel_id.stock_dynamic_buffer"
    )
    daily_sales = fields.Float(
        compute="_compute_dynamic_buffer",
        digits=(16, 2),
        help="Units of the product delivered to customers from the channel's warehouse per day "
        "over the last 28 days.",
    )
    expected_sync_delay = fields.Float(
        "Expected Sync Delay (s)",
        compute="_compute_dynamic_buffer",
        help="How late the channel's view of the stock may be: its p90 push latency plus its "
        "order-poll interval.",
    )
    dynamic_buffer_qty = fields.Integer(
        "Dynamic Buffer",
        compute="_compute_dynamic_buffer",
        help="Units held back when the channel's dynamic buffer is on: ceil(daily sales x "
        "expected sync delay).",
    )
    stock_pending = fields.Boolean(
        "Stock Push Pending",
        compute="_compute_stock_pending",
        search="_search_stock_pending",
        help="The stock of the product changed: the quantity waits in the outbox for the next "
        "stock push.",
    )
    # PIM content -------------------------------------------------------
    image_ids = fields.One2many("ecom.channel.listing.image", "listing_id", "Images", copy=True)
    image_count = fields.Integer(compute="_compute_image_count")
    category_map_id = fields.Many2one(
        "ecom.channel.category.map",
        "Category Mapping",
        compute="_compute_channel_category",
        store=True,
        help="The mapping of the product's category (or its closest parent) on this channel.",
    )
    category_override = fields.Char(
        help="The channel category id to use instead of the one mapped from the product category.",
    )
    channel_category_ref = fields.Char(
        "Channel Category",
        compute="_compute_channel_category",
        store=True,
        help="The channel's category id sent with the listing (eBay CategoryID, WooCommerce "
        "category id...): the override, or else the mapping of the product category.",
    )
    channel_category_name = fields.Char(compute="_compute_channel_category", store=True)
    channel_attribute_ids = fields.One2many(
        "ecom.channel.listing.attribute",
        "listing_id",
        "Channel Attributes",
        copy=True,
        help="Attributes in the channel's vocabulary (Amazon brand, bullet_point; eBay item "
        "specifics), typed or taken from the variant's Odoo attributes.",
    )
    attribute_values = fields.Text(
        compute="_compute_attribute_values",
        help="Sent as the item's attributes: the variant's attribute values and its weight.",
    )
    ebay_condition = fields.Selection(
        EBAY_CONDITIONS, "eBay Condition", default="1000", help="eBay ConditionID."
    )
    amazon_product_type = fields.Char(help="Amazon's product type, e.g. TENT, SLEEPING_BAG, SHOES.")
    amazon_condition = fields.Selection(AMAZON_CONDITIONS, default="new_new")
    gtin = fields.Char(
        "GTIN",
        compute="_compute_gtin",
        store=True,
        readonly=False,
        precompute=True,
        help="EAN/UPC/GTIN sent to the channel; the product's barcode by default.",
    )
    asin = fields.Char("ASIN", help="Amazon's catalogue item this offer is attached to.")
    shopify_product_type = fields.Char()
    tags = fields.Char(help="Comma-separated tags (Shopify tags, WooCommerce tags).")
    keywords = fields.Char(
        help="Comma-separated words shoppers search for: the title should use at least one, "
        "the description all of them."
    )
    keyword_issues = fields.Text(compute="_compute_keyword_issues")
    missing_requirements = fields.Text(
        compute="_compute_completeness",
        store=True,
        help="What the channel requires and the listing lacks, in plain words.",
    )
    completeness = fields.Integer(
        "Completeness (%)",
        compute="_compute_completeness",
        store=True,
        aggregator="avg",
        help="Share of the channel's requirements and of the recommended content (description, "
        "images, category, keywords used) the listing has.",
    )

    _sql_constraints = [
        (
            "channel_product_uniq",
            "unique(channel_id, product_id)",
            "This product already has a listing on this channel.",
        ),
        (
            "channel_external_ref_uniq",
            "unique(channel_id, external_ref)",
            "Another listing on this channel already has this external reference.",
        ),
    ]

    @api.depends("product_id")
    def _compute_name(self):
        for listing in self:
            if not listing.name and listing.product_id:
                # What shoppers read: the product and its variant values, not our SKU.
                product = listing.product_id.with_context(display_default_code=False)
                listing.name = product.display_name

    @api.depends("product_id")
    def _compute_price(self):
        today = fields.Date.context_today(self)
        for listing in self:
            if listing.price or not listing.product_id:
                continue
            price = listing.product_id.lst_price
            company = listing.channel_id.company_id or self.env.company
            if listing.currency_id and listing.currency_id != company.currency_id:
                price = company.currency_id._convert(price, listing.currency_id, company, today)
            listing.price = price

    @api.depends("product_id")
    def _compute_gtin(self):
        for listing in self:
            if not listing.gtin and listing.product_id.barcode:
                listing.gtin = listing.product_id.barcode

    @api.depends("image_ids")
    def _compute_image_count(self):
        for listing in self:
            listing.image_count = len(listing.image_ids)

    @api.depends(
        "channel_id",
        "product_id.categ_id",
        "category_override",
        "channel_id.category_map_ids.categ_id",
        "channel_id.category_map_ids.channel_category_ref",
        "channel_id.category_map_ids.channel_category_name",
    )
    def _compute_channel_category(self):
        maps = self.env["ecom.channel.category.map"].search(
            [("channel_id", "in", self.channel_id._origin.ids)]
        )
        by_key = {(m.channel_id.id, m.categ_id.id): m for m in maps}
        for listing in self:
            found = self.env["ecom.channel.category.map"]
            categ = listing.product_id.categ_id
            while categ and not found:
                found = by_key.get((listing.channel_id._origin.id, categ._origin.id), found)
                categ = categ.parent_id
            listing.category_map_id = found
            if listing.category_override:
                listing.channel_category_ref = listing.category_override
                listing.channel_category_name = False
            else:
                listing.channel_category_ref = found.channel_category_ref
                listing.channel_category_name = found.channel_category_name

    @api.depends("product_id")
    def _compute_attribute_values(self):
        for listing in self:
            attributes = listing._attribute_dict()
            if listing.product_id.weight:
                attributes[self.env._("Weight")] = "%g kg" % listing.product_id.weight
            listing.attribute_values = "\n".join("%s: %s" % item for item in attributes.items())

    @api.depends("keywords", "name", "description")
    def _compute_keyword_issues(self):
        for listing in self:
            listing.keyword_issues = "\n".join(listing._keyword_issues()) or False

    def _missing_fields(self, payload):
        """What ``payload`` (this listing's) lacks for its channel, in plain words: the check
        its channel type declares (addons adding a channel type override this)."""
        self.ensure_one()
        return missing_fields(self.channel_id.channel_type, payload)

    def _required_count(self):
        """How many requirements the listing's channel type checks (for the completeness)."""
        self.ensure_one()
        return len(missing_fields(self.channel_id.channel_type, ListingPayload(sku="")))

    @api.depends(
        "channel_id.channel_type",
        "product_id.default_code",
        "product_id.barcode",
        "name",
        "description",
        "price",
        "image_ids",
        "channel_category_ref",
        "ebay_condition",
        "amazon_condition",
        "amazon_product_type",
        "shopify_product_type",
        "gtin",
        "asin",
        "keywords",
    )
    def _compute_completeness(self):
        for listing in self:
            channel_type = listing.channel_id.channel_type
            if not channel_type:
                listing.missing_requirements = False
                listing.completeness = 0
                continue
            payload = listing._to_payload(with_images=False)
            missing = listing._missing_fields(payload)
            required = listing._required_count()
            recommended = [
                bool(payload.description_html),
                bool(listing.image_ids),
                bool(payload.category_id),
                bool(listing._keyword_list()),
                not listing._keyword_issues(),
            ]
            passed = max(required - len(missing), 0) + sum(recommended)
            listing.missing_requirements = "\n".join(missing) or False
            listing.completeness = round(100 * passed / (required + RECOMMENDED_CHECKS))

    @api.depends(
        "product_id",
        "channel_id.warehouse_id",
        "channel_id.stock_buffer_qty",
        "channel_id.stock_percent",
        "channel_id.stock_max_qty",
        "channel_id.stock_zero_below",
        "channel_id.stock_dynamic_buffer",
    )
    def _compute_qty_to_publish(self):
        # Thousands of listings at once (the stock push, the benchmark): plain SQL for the two
        # fields needed and for the quants, plain ids in the loop, values set in one go.
        real = [i for i in self._ids if isinstance(i, int)]
        pairs = {}
        if real:
            self.flush_model(["product_id", "channel_id"])
            self.env.cr.execute(
                SQL(
                    "SELECT id, product_id, channel_id FROM ecom_channel_listing"
                    " WHERE id = ANY(%s)",
                    real,
                )
            )
            pairs = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for listing in self:
            if listing.id not in pairs:  # a new record (form)
                pairs[listing.id] = (listing.product_id._origin.id, listing.channel_id._origin.id)
        channels = self.env["ecom.channel"].browse({c for _p, c in pairs.values() if c})
        rules = {
            channel.id: (channel.warehouse_id.id, channel._stock_rules()) for channel in channels
        }
        free = self._free_quantities(
            {p for p, _c in pairs.values() if p}, {w for w, _r in rules.values() if w}
        )
        held = self._dynamic_buffers(pairs.values(), channels)
        values = []
        for listing_id in self._ids:
            product_id, channel_id = pairs[listing_id]
            warehouse_id, channel_rules = rules.get(channel_id, (False, ()))
            quantity = free.get((product_id, warehouse_id), 0.0)
            quantity -= held.get((product_id, channel_id), 0)
            values.append(sellable_quantity(quantity, *channel_rules) if channel_rules else 0)
        self.env.cache.update(self, self._fields["qty_to_publish"], values)

    @api.model
    def _dynamic_buffers(self, pairs, channels):
        """Units held back per ``(product id, channel id)`` by the channels whose dynamic buffer
        is on (one grouped sales query per such channel)."""
        held = {}
        Outbox = self.env["ecom.stock.outbox"].sudo()
        for channel in channels.filtered("stock_dynamic_buffer"):
            products = {p for p, c in pairs if c == channel.id and p}
            for product_id, daily in Outbox._daily_sales(channel, products).items():
                held[product_id, channel.id] = channel._dynamic_buffer(daily)
        return held

    @api.depends("product_id", "channel_id.stock_dynamic_buffer")
    def _compute_dynamic_buffer(self):
        Outbox = self.env["ecom.stock.outbox"].sudo()
        for channel, listings in self.grouped("channel_id").items():
            sales = Outbox._daily_sales(channel, set(listings.product_id.ids)) if channel else {}
            delay = channel._expected_sync_delay() if channel else 0.0
            for listing in listings:
                daily = sales.get(listing.product_id.id, 0.0)
                listing.daily_sales = daily
                listing.expected_sync_delay = delay
                listing.dynamic_buffer_qty = channel._dynamic_buffer(daily) if channel else 0

    @api.model
    def _free_quantities(self, product_ids, warehouse_ids):
        """Free stock (on hand minus reserved) per ``(product id, warehouse id)`` of these
        products in these warehouses' stock location trees: one grouped query per warehouse.
        Read as superuser would: a channel user reads sellable quantities, not the quants."""
        if not product_ids or not warehouse_ids:
            return {}
        self.env["stock.quant"].flush_model(
            ["product_id", "location_id", "quantity", "reserved_quantity"]
        )
        self.env["stock.location"].flush_model(["parent_path"])
        free = {}
        for warehouse in self.env["stock.warehouse"].sudo().browse(warehouse_ids):
            self.env.cr.execute(
                SQL(
                    """SELECT q.product_id, SUM(q.quantity - q.reserved_quantity)
                         FROM stock_quant q
                         JOIN stock_location l ON l.id = q.location_id
                        WHERE q.product_id = ANY(%s) AND l.parent_path LIKE %s
                     GROUP BY q.product_id""",
                    list(product_ids),
                    warehouse.lot_stock_id.parent_path + "%",
                )
            )
            for product_id, quantity in self.env.cr.fetchall():
                free[product_id, warehouse.id] = float(quantity or 0.0)
        return free

    def _compute_stock_pending(self):
        rows = (
            self.env["ecom.stock.outbox"]
            .sudo()
            ._read_group([("listing_id", "in", self.ids)], ["listing_id"], ["__count"])
        )
        pending = {listing.id for listing, _count in rows}
        for listing in self:
            listing.stock_pending = listing.id in pending

    def _search_stock_pending(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the stock push flag."))
        subquery = self.env["ecom.stock.outbox"].sudo()._search([]).subselect("listing_id")
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", subquery)]

    @api.depends("name", "channel_id")
    def _compute_display_name(self):
        for listing in self:
            listing.display_name = "[%s] %s" % (listing.channel_id.name or "", listing.name or "")

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        if CONTENT_FIELDS.intersection(vals) and "to_sync" not in vals:
            vals = dict(vals, to_sync=True)
        linked = self.browse()
        if vals.get("external_ref") or vals.get("state") == "published":
            # a manual link, or a listing published again: bound to an item whose quantity
            # is not known to be ours (a publication sets qty_published itself)
            linked = self.filtered(
                lambda lst: lst.state != "published" or lst.external_ref != vals.get("external_ref")
            )
        result = super().write(vals)
        if linked and "qty_published" not in vals:
            linked._start_link()
        return result

    def _mark_to_sync(self):
        """The content changed: published listings will be updated at the next publishing."""
        self.filtered(lambda lst: lst.state == "published" and not lst.to_sync).write(
            {"to_sync": True}
        )

    # ------------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------------

    @api.model
    def _mark_stock_pending(self, products):
        """The stock of ``products`` changed: queue their published listings in the stock
        outbox (an INSERT in the caller's transaction, which never waits for a running push),
        which enqueues their channels' push jobs."""
        products = products.filtered("is_storable")
        if products:
            self.env["ecom.stock.outbox"].sudo()._enqueue_products(products.ids)

    def _start_link(self):
        """These listings were just linked to the channel's items (import, manual link,
        re-activation): their quantity goes out at once, through the push job."""
        published = self.filtered(lambda lst: lst.state == "published")
        if published:
            self.env["ecom.stock.outbox"].sudo()._enqueue_listings(published.ids)

    # ------------------------------------------------------------------
    # Content helpers
    # ------------------------------------------------------------------

    @api.model
    def _split_list(self, text):
        return [word.strip() for word in (text or "").split(",") if word.strip()]

    def _keyword_list(self):
        self.ensure_one()
        return self._split_list(self.keywords)

    def _keyword_issues(self):
        """Plain words on the keywords the title and description do not use."""
        self.ensure_one()
        keywords = self._keyword_list()
        if not keywords:
            return []
        title = (self.name or "").lower()
        text = html2plaintext(self.description or "").lower()
        issues = []
        if not any(word.lower() in title for word in keywords):
            issues.append(
                self.env._(
                    "The title uses none of the keywords (%(keywords)s).",
                    keywords=", ".join(keywords),
                )
            )
        unused = [word for word in keywords if word.lower() not in text]
        if unused:
            issues.append(
                self.env._(
                    "The description does not use: %(keywords)s.", keywords=", ".join(unused)
                )
            )
        return issues

    def _attribute_dict(self):
        """The variant's attribute values, e.g. {"Colour": "Red", "Size": "M"}, without those
        the attribute editor sends under a channel name."""
        self.ensure_one()
        mapped = self.channel_attribute_ids.product_attribute_id
        return {
            value.attribute_id.name: value.name
            for value in self.product_id.product_template_attribute_value_ids
            if value.attribute_id not in mapped
        }

    def _channel_attribute_dict(self):
        """The attribute editor's rows as the channel names them: {name: value}."""
        self.ensure_one()
        values = {}
        for row in self.channel_attribute_ids:
            value = row._value()
            if value:
                values[row.name] = value
        return values

    def _ecom_by_channel_client(self):
        """Yield ``(client, listings)`` for these listings, one channel client per channel;
        a channel that cannot give one (not configured) gives ``(None, listings)``."""
        for channel, listings in self.grouped("channel_id").items():
            client = None
            if channel:
                try:
                    client = channel.sudo()._get_client()
                except ChannelError:
                    client = None
            if client is None:
                yield None, listings
                continue
            with client:
                yield client, listings

    def _stored_required_attributes(self, client, payloads):
        """``{listing: attribute names its channel requires of it, or None}`` for these
        listings of one channel (``payloads``: ``{listing: its payload}``), as last read from
        the channel (``ecom.channel.requirement``, one search; never asked of the channel
        here); None when not read yet or when the channel has none."""
        keys = {listing: client.requirement_key(payloads[listing]) for listing in self}
        wanted = sorted({key for key in keys.values() if key})
        found = {}
        if wanted:
            requirements = (
                self.env["ecom.channel.requirement"]
                .sudo()
                .search([("channel_id", "in", self.channel_id.ids), ("key", "in", wanted)])
            )
            for requirement in requirements:
                found.setdefault(requirement.key, requirement._requirements().required)
        return {listing: found.get(keys[listing]) for listing in self}

    def _required_channel_attributes_by_listing(self):
        """``{listing: attribute names its channel requires (as last read), or None}``, with
        one channel client and one reading of the requirements per channel."""
        result = dict.fromkeys(self)
        for client, listings in self._ecom_by_channel_client():
            listings = listings.filtered("product_id")
            if client and listings:
                payloads = {lst: lst._to_payload(with_images=False) for lst in listings}
                result.update(listings._stored_required_attributes(client, payloads))
        return result

    def _missing_channel_attributes_by_listing(self, payloads=None):
        """``{listing: [the required channel attributes a publish would not send, in plain
        words]}``, as the channel's client sends the listing (``sent_attribute_names``: the
        attribute editor, and what the listing's own fields send, as Amazon's item name and
        main image or an eBay brand), with one client and one reading of the requirements per
        channel. ``payloads``: the listings' payloads with their images, when the caller has
        them."""
        payloads = payloads or {}
        result = {listing: [] for listing in self}
        for client, listings in self._ecom_by_channel_client():
            listings = listings.filtered("product_id")
            if not client or not listings:
                continue
            for listing in listings:
                if listing not in payloads:
                    payloads[listing] = listing._to_payload()
            required = listings._stored_required_attributes(client, payloads)
            for listing in listings:
                sent = client.sent_attribute_names(payloads[listing])
                missing = [name for name in required[listing] or () if name not in sent]
                if missing:
                    result[listing] = [
                        self.env._(
                            "the channel attributes %(names)s (fill them in under Channel "
                            "Attributes)",
                            names=", ".join(missing),
                        )
                    ]
        return result

    def action_load_channel_attributes(self):
        """Read what the channel requires and recommends for each listing's product type or
        category, and add the attributes the editor lacks (to be filled in)."""
        self.check_access("write")
        problems = []
        for channel, listings in self.grouped("channel_id").items():
            try:
                with channel._get_client() as client:
                    for listing in listings:
                        found = client.requirements(listing._to_payload(with_images=False))
                        if not found:
                            continue
                        have = set(listing.channel_attribute_ids.mapped("name"))
                        names = [n for n in found.required + found.recommended if n not in have]
                        listing.channel_attribute_ids = [
                            Command.create(
                                {"name": name, "sequence": 1 if name in found.required else 10}
                            )
                            for name in names
                        ]
            except ChannelError as exc:
                problems.append(exc.message)
                channel._log_sync("channel requirements", "error", exc.message, payload=exc.payload)
        if problems:
            raise UserError("\n".join(problems))
        return True

    def _image_urls(self):
        """Where the channel downloads the images from, in order: each image's own URL, or the
        Odoo server's; the product's image when the listing has none."""
        self.ensure_one()
        base = self.get_base_url()
        urls = [image._public_url(base) for image in self.image_ids.sorted("sequence")]
        if not urls and self.product_id.image_128:
            urls.append("%s/web/image/product.product/%s/image_1920" % (base, self.product_id.id))
        return urls

    def _to_payload(self, with_images=True):
        """The ListingPayload the channel client sends for this listing (``with_images=False``
        leaves the image URLs out, for checks that do not need them)."""
        self.ensure_one()
        product = self.product_id
        channel_type = self.channel_id.channel_type
        condition = {"ebay": self.ebay_condition, "amazon": self.amazon_condition}.get(channel_type)
        product_type = {
            "amazon": self.amazon_product_type,
            "shopify": self.shopify_product_type,
        }.get(channel_type)
        description = "" if is_html_empty(self.description) else str(self.description)
        return ListingPayload(
            sku=product.default_code or "",
            title=self.name or "",
            description_html=description,
            price=self.price,
            currency=self.currency_id.name or "GBP",
            barcode=product.barcode or "",
            images=self._image_urls() if with_images and self.id else [],
            category_id=self.channel_category_ref or "",
            condition=condition or "",
            product_type=product_type or "",
            gtin=self.gtin or "",
            asin=self.asin or "",
            tags=self._split_list(self.tags),
            attributes=self._attribute_dict(),
            channel_attributes=self._channel_attribute_dict(),
            weight_kg=product.weight or None,
            external_ref=self.external_ref or "",
        )

    # ------------------------------------------------------------------
    # Publishing
    # ------------------------------------------------------------------

    def _publish(self):
        """Publish or update these listings; one savepoint per listing, so that a failure is
        recorded on its listing (state, last error, sync log) and the others go on. Whatever
        fails on one channel, the next channel goes on. A channel that asks to wait (rate
        limit: a retryable error with a delay) keeps the rest of its listings for later.

        Return ``{"published": n, "failed": m, "postponed": k, "problems": [messages]}``.
        """
        # Checked before anything is sent: the channel must not change for someone who could
        # not record the result.
        self.check_access("write")
        result = {"published": 0, "failed": 0, "postponed": 0, "problems": []}
        total, done = len(self), 0
        for channel, listings in self.grouped("channel_id").items():
            counts = listings._publish_channel(channel)
            for key in ("published", "failed", "postponed"):
                result[key] += counts[key]
            if counts["postponed"]:
                # the channel asked to wait: its publishing job sends the rest then
                seconds = max(counts.get("retry_after") or 0, channel._ecom_min_retry_seconds())
                channel._ecom_publish_later(
                    eta=fields.Datetime.add(fields.Datetime.now(), seconds=seconds)
                )
            result["problems"] += counts["problems"]
            done += len(listings)
            _logger.info("publishing listings: %d/%d done", done, total)
        return result

    def _publish_channel(self, channel):
        """Publish these listings of ``channel`` with one client (``_publish``)."""
        counts = {"published": 0, "failed": 0, "postponed": 0, "problems": []}
        try:
            client = channel._get_client()
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on each listing
            error = exc if isinstance(exc, ChannelError) else channel._unexpected_error(exc)
            self._record_failure(OP_PUBLISH, error)
            counts["failed"] = len(self)
            counts["problems"].append(error.message)
            return counts
        with client:
            for index, listing in enumerate(self):
                error = listing._publish_one(client)
                if error is None:
                    counts["published"] += 1
                    continue
                counts["failed"] += 1
                counts["problems"].append(listing._problem(error.message))
                if error.retryable and error.retry_after is not None:
                    # The channel asked to wait: the others wait too, for the next run.
                    counts["postponed"] = len(self) - index - 1
                    counts["retry_after"] = error.retry_after
                    self.env["ecom.sync.log"]._log(
                        channel,
                        OP_PUBLISH,
                        "warning",
                        self.env._(
                            "%(error)s %(count)s listings wait: the publishing job sends them "
                            "after the delay the channel asked for.",
                            error=error.message,
                            count=counts["postponed"],
                        ),
                    )
                    break
        return counts

    def _publish_one(self, client):
        """Send this listing with ``client``; return None when the channel holds it, else the
        ChannelError (recorded on the listing and in the sync log)."""
        self.ensure_one()
        channel = self.channel_id
        error = payload = None
        first = self.state != "published"
        with record_retries(client) as retries:
            try:
                with self.env.cr.savepoint():
                    payload = self._to_payload()
                    now = fields.Datetime.now()
                    if first:  # a new listing goes out with its quantity; later by stock push
                        payload.quantity = self.qty_to_publish
                    ref = client.publish(payload)
                    vals = {
                        "external_ref": ref,
                        "state": "published",
                        "last_sync_date": fields.Datetime.now(),
                        "last_error": False,
                        "to_sync": False,
                    }
                    if first:
                        vals.update(qty_published=payload.quantity, qty_published_date=now)
                    self.write(vals)
            except CONCURRENCY_ERRORS:
                raise
            except ChannelError as exc:
                error = exc
            except IntegrityError:
                error = ChannelError(
                    self.env._(
                        "The channel's item for SKU %(sku)s is already bound to another listing "
                        "of this channel.",
                        sku=self.default_code,
                    )
                )
            except Exception as exc:  # noqa: BLE001 - recorded on the listing, the others go on
                _logger.exception("publishing listing %s failed", self.id)
                error = channel._unexpected_error(exc)
                if payload is not None:
                    error.payload = json.dumps(asdict(payload), default=str, indent=1)[:4000]
        Log = self.env["ecom.sync.log"]
        logs = [Log._vals(self, OP_PUBLISH, "warning", message) for message in retries]
        if error is not None:
            self._record_failure(OP_PUBLISH, error, extra_logs=logs)
            return error
        done = (
            self.env._(
                "%(sku)s published as %(ref)s with quantity %(qty)s.",
                sku=self.default_code or "-",
                ref=self.external_ref,
                qty=self.qty_published,
            )
            if first
            else self.env._(
                "%(sku)s updated (%(ref)s).", sku=self.default_code or "-", ref=self.external_ref
            )
        )
        Log._create_logs(logs + [Log._vals(self, OP_PUBLISH, "ok", done)])
        return None

    def _problem(self, message):
        """``message`` about this listing, naming it by SKU (or channel reference) when the
        message does not."""
        self.ensure_one()
        key = self.default_code or self.external_ref or self.display_name
        if key and key in (message or ""):
            return message
        return "%s: %s" % (key, message)

    def _record_failure(self, operation, error, extra_logs=(), keep_state=False):
        """Write ``error`` on these listings (last error; state error unless ``keep_state``)
        and in the sync log, naming each listing's SKU."""
        vals = {"last_error": error.message}
        if not keep_state:
            vals["state"] = "error"
        self.write(vals)
        logs = list(extra_logs)
        for listing in self:
            logs.append(
                self.env["ecom.sync.log"]._vals(
                    listing,
                    operation,
                    "error",
                    listing._problem(error.message),
                    payload=error.payload,
                )
            )
        self.env["ecom.sync.log"]._create_logs(logs)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_mark_ready(self):
        """Move the listings to ready, only when none lacks what its channel requires."""
        self.check_access("write")
        payloads = {listing: listing._to_payload() for listing in self}
        attributes = self._missing_channel_attributes_by_listing(payloads)
        blocked = [
            (listing, missing)
            for listing in self
            if (missing := listing._missing_fields(payloads[listing]) + attributes[listing])
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
        self.filtered(lambda lst: lst.state in ("draft", "error", "ended")).write(
            {"state": "ready", "last_error": False}
        )
        return True

    def action_reset_draft(self):
        self.filtered(lambda lst: lst.state in ("ready", "error")).write({"state": "draft"})
        return True

    def action_publish(self):
        """Publish the selected listings that are ready, failed or published (drafts must be
        marked ready first)."""
        listings = self.filtered(lambda lst: lst.state in ("ready", "error", "published"))
        skipped = len(self) - len(listings)
        result = (
            listings._publish()
            if listings
            else {"published": 0, "failed": 0, "postponed": 0, "problems": []}
        )
        return self.env["ecom.channel"]._publish_notification(result, skipped=skipped)

    def action_end(self):
        """End the selected listings: the channel's item is ended when its client can do so,
        otherwise only the state changes. A listing the channel could not end stays published,
        with the error on it and in the sync log; the others are ended."""
        self.check_access("write")
        failed = self.env["ecom.channel.listing"]
        problems = []
        to_end = self.filtered(lambda lst: lst.state != "ended")
        if not to_end:
            return self.env["ecom.channel"]._notification(
                self.env._("Nothing to end"),
                self.env._("The selected listings are ended already."),
                kind="info",
            )
        for channel, listings in to_end.grouped("channel_id").items():
            remote = listings.filtered(lambda lst: lst.state == "published" and lst.external_ref)
            if remote:
                channel_failed, channel_problems = remote._end_on_channel(channel)
                failed |= channel_failed
                problems += channel_problems
            (listings - failed).write({"state": "ended", "to_sync": False})
        message = self.env._(
            "%(done)s listings ended, %(failed)s failed.",
            done=len(to_end) - len(failed),
            failed=len(failed),
        )
        return self.env["ecom.channel"]._notification(
            self.env._("Listings ended"),
            message + self.env["ecom.channel"]._problems_text(problems),
            kind="warning" if failed else "success",
            sticky=bool(failed),
        )

    def _end_on_channel(self, channel):
        """Ask the channel to end these listings when its client can, each in its own
        savepoint; return the listings that failed and the messages."""
        try:
            client = channel._get_client()
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on each listing
            error = exc if isinstance(exc, ChannelError) else channel._unexpected_error(exc)
            self._record_failure(OP_END_LISTING, error, keep_state=True)
            return self, [error.message]
        ender = getattr(client, "end_listing", None)
        failed = self.env["ecom.channel.listing"]
        problems = []
        if ender is None:
            client.close()
            return failed, problems
        with client:
            for listing in self:
                try:
                    with self.env.cr.savepoint():
                        ender(listing.external_ref)
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - recorded, the others go on
                    if not isinstance(exc, ChannelError):
                        _logger.exception("ending listing %s failed", listing.id)
                        exc = channel._unexpected_error(exc)
                    listing._record_failure(OP_END_LISTING, exc, keep_state=True)
                    failed |= listing
                    problems.append(listing._problem(exc.message))
        return failed, problems

    def action_view_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_channels.ecom_sync_log_action")
        action["domain"] = [("listing_id", "=", self.id)]
        return action
