# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import math

from odoo import api, fields, models
from odoo.tools import SQL, float_round

from ..ecom_channels_core import registry
from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.http import RetryPolicy

_logger = logging.getLogger(__name__)

#: Most listings one stock push handles (the cron runs again at once when more wait).
STOCK_PUSH_LIMIT = 1000

CHANNEL_TYPES = [
    ("shopify", "Shopify"),
    ("woocommerce", "WooCommerce"),
    ("ebay", "eBay"),
    ("amazon", "Amazon"),
]


class EcomChannel(models.Model):
    """A sales channel (one shop, one seller account, one marketplace site): the backend record
    that listings, imported orders and sync logs belong to."""

    _name = "ecom.channel"
    _description = "Sales Channel"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    color = fields.Integer()
    channel_type = fields.Selection(CHANNEL_TYPES, required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        check_company=True,
        default=lambda self: self._default_warehouse_id(),
        help="The warehouse whose stock this channel sells and ships from.",
        tracking=True,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the prices sent to this channel (on eBay, the site's currency).",
    )
    api_base_url = fields.Char(
        "API Base URL",
        help="Root URL of the channel's API: the live service, its sandbox or a local emulator.",
        tracking=True,
    )
    account_ref = fields.Char(
        "Account Reference",
        help="Shop name (Shopify), seller id (Amazon), site id (eBay) or store URL (WooCommerce).",
    )
    api_key = fields.Char("API Key", groups="ecom_channels.ecom_channels_group_manager", copy=False)
    api_secret = fields.Char(
        "API Secret", groups="ecom_channels.ecom_channels_group_manager", copy=False
    )
    access_token = fields.Char(
        groups="ecom_channels.ecom_channels_group_manager",
        copy=False,
        help="OAuth access or refresh token, depending on the channel.",
    )
    listing_ids = fields.One2many("ecom.channel.listing", "channel_id")
    listing_count = fields.Integer(compute="_compute_counts")
    sync_log_ids = fields.One2many("ecom.sync.log", "channel_id")
    sync_error_count = fields.Integer(compute="_compute_counts")
    sale_order_count = fields.Integer(compute="_compute_counts")
    note = fields.Html()
    category_map_ids = fields.One2many("ecom.channel.category.map", "channel_id")
    timeout_seconds = fields.Float(
        "Timeout (s)",
        default=30.0,
        help="How long to wait for the channel's answer to one call before giving up on it.",
    )
    rate_limit = fields.Float(
        "Calls per Second",
        help="Most calls per second sent to the channel; leave 0 for the limit the channel "
        "publishes (Amazon always follows its per-operation limits).",
    )
    retry_max_attempts = fields.Integer(
        "Attempts per Call",
        default=5,
        help="How many times a call is tried when the channel is rate limiting, failing (5xx) "
        "or not answering in time.",
    )
    retry_backoff = fields.Float(
        "First Retry Delay (s)",
        default=1.0,
        help="Delay before the first retry; it doubles at each further attempt.",
    )
    retry_max_delay = fields.Float(
        "Longest Retry Delay (s)",
        default=300.0,
        help="No wait between two attempts is longer than this, even when the channel asks for "
        "more (Retry-After).",
    )

    # Stock rules ---------------------------------------------------------
    stock_buffer_qty = fields.Integer(
        "Stock Buffer",
        help="Units kept back from this channel: subtracted from the free stock first.",
    )
    stock_percent = fields.Float(
        "Stock Share (%)",
        default=100.0,
        help="Share of the free stock (after the buffer) offered on this channel, rounded down.",
    )
    stock_max_qty = fields.Integer(
        "Maximum Listed Quantity",
        help="Never list more than this quantity; 0 for no maximum.",
    )
    stock_zero_below = fields.Integer(
        "Zero Out At or Below",
        help="List 0 when the quantity (after buffer and share, before the maximum) is at or "
        "below this number.",
    )
    stock_pending_count = fields.Integer(compute="_compute_stock_pending_count")

    _sql_constraints = [
        (
            "stock_percent_range",
            "CHECK(stock_percent >= 0 AND stock_percent <= 100)",
            "The stock share must be between 0 and 100%.",
        ),
        (
            "stock_quantities_not_negative",
            "CHECK(stock_buffer_qty >= 0 AND stock_max_qty >= 0 AND stock_zero_below >= 0)",
            "The stock buffer, maximum and zero-out threshold cannot be negative.",
        ),
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A channel with this name already exists in this company.",
        ),
        (
            "retry_max_attempts_positive",
            "CHECK(retry_max_attempts > 0)",
            "A call must be tried at least once.",
        ),
        (
            "rate_limit_not_negative",
            "CHECK(rate_limit >= 0)",
            "The number of calls per second cannot be negative.",
        ),
        (
            "timeout_seconds_positive",
            "CHECK(timeout_seconds > 0)",
            "The timeout must be longer than zero seconds.",
        ),
    ]

    @api.model
    def _default_warehouse_id(self):
        return self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )

    @api.depends("listing_ids", "sync_log_ids.status")
    def _compute_counts(self):
        listings = dict(
            self.env["ecom.channel.listing"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        errors = dict(
            self.env["ecom.sync.log"]._read_group(
                [("channel_id", "in", self.ids), ("status", "=", "error")],
                ["channel_id"],
                ["__count"],
            )
        )
        orders = dict(
            self.env["sale.order"]._read_group(
                [("ecom_channel_id", "in", self.ids)], ["ecom_channel_id"], ["__count"]
            )
        )
        for channel in self:
            channel.listing_count = listings.get(channel, 0)
            channel.sync_error_count = errors.get(channel, 0)
            channel.sale_order_count = orders.get(channel, 0)

    def _compute_stock_pending_count(self):
        pending = dict(
            self.env["ecom.channel.listing"]._read_group(
                [("channel_id", "in", self.ids), ("stock_pending", "=", True)],
                ["channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.stock_pending_count = pending.get(channel, 0)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _sellable_quantity(self, free_qty):
        """The quantity this channel lists for ``free_qty`` units of free stock: minus the buffer,
        times the share (rounded down), 0 at or below the zero-out threshold, capped by the
        maximum; never negative."""
        self.ensure_one()
        share = (free_qty - self.stock_buffer_qty) * self.stock_percent / 100.0
        qty = math.floor(float_round(share, precision_digits=6))
        if qty <= self.stock_zero_below:
            return 0
        if self.stock_max_qty:
            qty = min(qty, self.stock_max_qty)
        return max(int(qty), 0)

    def _secrets(self):
        """The channel's credentials, read with superuser rights, to redact them from logs."""
        self.ensure_one()
        channel = self.sudo()
        return [s for s in (channel.api_key, channel.api_secret, channel.access_token) if s]

    def _client_options(self):
        """Channel-specific client options (hook for other modules)."""
        self.ensure_one()
        return {}

    def _get_client(self):
        """The API client of this channel, built from its fields.

        The credentials are read with superuser rights here and handed to the client only:
        they never reach a log (the client and the sync log redact them). Raises ChannelError
        when the channel cannot be reached at all (no URL, no client for its type).
        """
        self.ensure_one()
        channel = self.sudo()
        max_delay = max(channel.retry_max_delay, 0.0)
        retry = RetryPolicy(
            max_attempts=max(channel.retry_max_attempts, 1),
            base=max(channel.retry_backoff, 0.0),
            cap=max_delay,
            retry_after_cap=max_delay,
        )
        timeout = channel.timeout_seconds if channel.timeout_seconds > 0 else 30.0
        rate = channel.rate_limit
        return registry.build_client(
            channel.channel_type,
            channel.api_base_url,
            api_key=channel.api_key or "",
            api_secret=channel.api_secret or "",
            access_token=channel.access_token or "",
            account_ref=channel.account_ref or "",
            options=self._client_options(),
            timeout=(min(timeout, 10.0), timeout),
            retry=retry,
            rate_limit=(rate, max(rate, 1.0)) if rate > 0 else None,
        )

    def _sync_log_vals(self, operation, status, message, listing=None, payload=None):
        self.ensure_one()
        vals = {
            "channel_id": self.id,
            "operation": operation,
            "status": status,
            "message": message,
            "payload": payload or False,
        }
        if listing:
            vals.update(listing_id=listing.id, res_model="ecom.channel.listing", res_id=listing.id)
        return vals

    def _log_sync(self, operation, status, message, listing=None, payload=None):
        return self.env["ecom.sync.log"].create(
            self._sync_log_vals(operation, status, message, listing=listing, payload=payload)
        )

    @api.model
    def _notification(self, title, message, kind="success", sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": sticky,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _publish_domain(self):
        """Listings of these channels to send: ready ones, failed ones (tried again) and
        published ones whose content changed since."""
        return [
            ("channel_id", "in", self.ids),
            "|",
            ("state", "in", ("ready", "error")),
            "&",
            ("state", "=", "published"),
            ("to_sync", "=", True),
        ]

    def _import_remote_listings(self, remote_listings):
        """Bind the channel's listings to Odoo products by SKU (``default_code``), falling back
        to the barcode; create or update the listings. Return a summary dict with the
        ``unmatched`` remote listings (not dropped: the caller reports them)."""
        self.ensure_one()
        Listing = self.env["ecom.channel.listing"]
        remote_listings = [r for r in remote_listings if r.external_ref]
        skus = {r.sku for r in remote_listings if r.sku}
        codes = skus | {r.barcode for r in remote_listings if r.barcode}
        products = self.env["product.product"]
        if codes:
            products = products.search(
                [
                    "|",
                    ("default_code", "in", list(skus)),
                    ("barcode", "in", list(codes)),
                    ("company_id", "in", [False, self.company_id.id]),
                ]
            )
        by_sku = {p.default_code: p for p in products if p.default_code}
        by_barcode = {p.barcode: p for p in products if p.barcode}
        refs = [r.external_ref for r in remote_listings]
        existing = Listing.search(
            [
                ("channel_id", "=", self.id),
                "|",
                ("product_id", "in", products.ids),
                ("external_ref", "in", refs),
            ]
        )
        by_ref = {listing.external_ref: listing for listing in existing if listing.external_ref}
        by_product = {listing.product_id: listing for listing in existing}
        now = fields.Datetime.now()
        unmatched, conflicts, updates, creates = [], [], {}, {}
        for remote in remote_listings:
            product = (
                by_sku.get(remote.sku)
                or by_barcode.get(remote.barcode)
                or by_barcode.get(remote.sku)
            )
            if not product:
                unmatched.append(remote)
                continue
            listing = by_ref.get(remote.external_ref) or by_product.get(product)
            bound_elsewhere = listing and (
                listing.product_id != product
                or (listing.external_ref and listing.external_ref != remote.external_ref)
            )
            if bound_elsewhere or product in creates:
                conflicts.append((remote, product))
                continue
            vals = {
                "external_ref": remote.external_ref,
                "state": "published",
                "last_sync_date": now,
                "last_error": False,
                "to_sync": False,
            }
            if listing:
                updates[listing] = vals
                continue
            vals.update(channel_id=self.id, product_id=product.id)
            if remote.title:
                vals["name"] = remote.title
            if remote.price:
                vals["price"] = remote.price
            if remote.description_html:
                vals["description"] = remote.description_html
            creates[product] = vals
        for listing, vals in updates.items():
            listing.write(vals)
        created = Listing.create(list(creates.values()))
        return {
            "linked": len(updates) + len(created),
            "created": created,
            "updated": Listing.concat(*updates),
            "unmatched": unmatched,
            "conflicts": conflicts,
        }

    @api.model
    def _describe_remote(self, remote):
        return "SKU %s, barcode %s, %s (%s)" % (
            remote.sku or "-",
            remote.barcode or "-",
            remote.title or "-",
            remote.external_ref,
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_test_connection(self):
        """Call the channel with its credentials; say what it answered (and log it)."""
        self.ensure_one()
        self.check_access("write")  # those who configure the channel
        try:
            with self._get_client() as client:
                info = client.test_connection()
        except ChannelError as exc:
            self._log_sync("test connection", "error", exc.message, payload=exc.payload)
            return self._notification(
                self.env._("Connection failed"), exc.message, kind="danger", sticky=True
            )
        message = self.env._("Connected to %(account)s", account=info)
        self._log_sync("test connection", "ok", message)
        return self._notification(self.env._("Connection works"), message)

    def action_import_listings(self):
        """Read the channel's listings and link them to Odoo products (SKU, then barcode)."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("create")
        try:
            with self._get_client() as client:
                remote = list(client.list_listings())
        except ChannelError as exc:
            self._log_sync("import listings", "error", exc.message, payload=exc.payload)
            return self._notification(
                self.env._("Import failed"), exc.message, kind="danger", sticky=True
            )
        result = self._import_remote_listings(remote)
        lines = [
            self.env._(
                "%(count)s channel listings read: %(linked)s linked (%(new)s new), "
                "%(unmatched)s unmatched, %(conflicts)s in conflict.",
                count=len(remote),
                linked=result["linked"],
                new=len(result["created"]),
                unmatched=len(result["unmatched"]),
                conflicts=len(result["conflicts"]),
            )
        ]
        if result["unmatched"]:
            lines.append(self.env._("No Odoo product has the SKU or barcode of:"))
            lines += ["- %s" % self._describe_remote(r) for r in result["unmatched"]]
        if result["conflicts"]:
            lines.append(
                self.env._("Already bound to another listing or channel item, left as they are:")
            )
            lines += [
                "- %s -> %s" % (self._describe_remote(r), p.display_name)
                for r, p in result["conflicts"]
            ]
        problems = result["unmatched"] or result["conflicts"]
        self._log_sync("import listings", "warning" if problems else "ok", "\n".join(lines))
        return self._notification(
            self.env._("Listings imported"),
            lines[0] + (self.env._(" See the sync log for the details.") if problems else ""),
            kind="warning" if problems else "success",
            sticky=bool(problems),
        )

    def action_publish_listings(self):
        """Publish or update every listing of the channel that is ready (or failed before, or
        changed since it was published). One failing listing does not stop the others."""
        self.ensure_one()
        listings = self.env["ecom.channel.listing"].search(self._publish_domain())
        if not listings:
            return self._notification(
                self.env._("Nothing to publish"),
                self.env._("No listing of %(channel)s is ready or changed.", channel=self.name),
                kind="info",
            )
        result = listings._publish()
        message = self.env._(
            "%(done)s listings published, %(failed)s failed.",
            done=result["published"],
            failed=result["failed"],
        )
        return self._notification(
            self.env._("Publishing done"),
            message,
            kind="warning" if result["failed"] else "success",
            sticky=bool(result["failed"]),
        )

    @api.model
    def _cron_publish_listings(self, limit=200):
        """Publish what is waiting on every active channel, ``limit`` listings per run."""
        # Oldest change first: listings that failed move to the back of the queue.
        listings = self.env["ecom.channel.listing"].search(
            self.search([])._publish_domain(), limit=limit, order="write_date, id"
        )
        result = listings._publish()
        _logger.info(
            "channel publishing: %d listings published, %d failed",
            result["published"],
            result["failed"],
        )

    def action_push_stock(self):
        """Send this channel's quantities now: every published listing whose quantity to publish
        differs from the one the channel last accepted."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        listings.write({"stock_pending": True})
        result = self._push_stock()
        message = self.env._(
            "%(sent)s quantities sent, %(failed)s failed, %(same)s already right.",
            sent=result["sent"],
            failed=result["failed"],
            same=result["unchanged"],
        )
        return self._notification(
            self.env._("Stock pushed"),
            message,
            kind="warning" if result["failed"] else "success",
            sticky=bool(result["failed"]),
        )

    @api.model
    def _cron_push_stock(self, limit=STOCK_PUSH_LIMIT):
        """Push the pending quantities of every active channel, ``limit`` listings per run; run
        again at once when more are waiting."""
        result = self.search([])._push_stock(limit=limit)
        _logger.info(
            "stock push: %d sent, %d failed, %d unchanged",
            result["sent"],
            result["failed"],
            result["unchanged"],
        )
        if result["more"]:
            self.env.ref("ecom_channels.ecom_channel_cron_push_stock")._trigger()

    def _push_stock(self, limit=STOCK_PUSH_LIMIT):
        """Push the pending quantities of these channels, oldest change first.

        The pending listings are locked (``FOR UPDATE SKIP LOCKED``): two workers never push the
        same listing, and a stock change that lands during the push waits for this transaction
        to end before it marks the listing pending again (see ``ecom.channel.listing.
        _mark_stock_pending``), so it is pushed at the next run and never lost.
        """
        result = {"sent": 0, "failed": 0, "unchanged": 0, "more": False}
        if not self:
            return result
        Listing = self.env["ecom.channel.listing"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM ecom_channel_listing
                    WHERE channel_id IN %s AND stock_pending AND state = 'published'
                 ORDER BY write_date, id
                    LIMIT %s
                      FOR UPDATE SKIP LOCKED""",
                tuple(self.ids),
                limit,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        listings = Listing.browse(ids)
        listings.invalidate_recordset(["qty_to_publish"])
        listings.mapped("qty_to_publish")  # one grouped computation for all of them
        Cron = self.env["ir.cron"]
        done = 0
        for channel, channel_listings in listings.grouped("channel_id").items():
            counts = channel_listings._push_quantities(channel)
            for key in ("sent", "failed", "unchanged"):
                result[key] += counts[key]
            done += len(channel_listings)
            _logger.info("stock push: %d/%d listings done", done, len(listings))
            Cron._notify_progress(done=done, remaining=len(listings) - done)
        # More waiting: run again at once, unless this whole run failed (then the next
        # scheduled run or stock change retries, instead of looping on a channel that is down).
        result["more"] = len(ids) >= limit and result["failed"] < len(ids)
        return result

    def action_view_listings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecom_channels.ecom_channel_listing_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def action_view_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_channels.ecom_sync_log_action")
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id, "search_default_filter_error": 1}
        return action

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("ecom_channel_id", "=", self.id)]
        action["context"] = {"default_ecom_channel_id": self.id}
        return action
