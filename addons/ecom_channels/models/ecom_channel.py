# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_channels_core import registry
from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.http import RetryPolicy
from ..ecom_channels_core.stock_sync import backoff_seconds, find_drift, sellable_quantity

_logger = logging.getLogger(__name__)

#: Most listings one stock push handles (the cron runs again at once when more wait).
STOCK_PUSH_LIMIT = 1000
#: Fields of the channel that change the quantity of every listing.
STOCK_RULE_FIELDS = frozenset(
    {"stock_buffer_qty", "stock_percent", "stock_max_qty", "stock_zero_below", "warehouse_id"}
)
#: Drifted listings named one by one in the reconcile's sync log line.
DRIFT_DETAIL_LINES = 50

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
    stock_pending_count = fields.Integer(
        "Listings Waiting for a Stock Push", compute="_compute_stock_pending_count"
    )
    stock_push_failures = fields.Integer(
        "Failed Stock Pushes in a Row",
        readonly=True,
        copy=False,
        help="The channel could not be reached for the last so many stock pushes; the next one "
        "waits longer each time (backoff). Reset by the first push it accepts.",
    )
    stock_push_retry_at = fields.Datetime(
        "Next Stock Push Attempt",
        readonly=True,
        copy=False,
        help="After failures, no stock push is sent to this channel before then (a manual push "
        "still is). The quantities wait in the outbox meanwhile: nothing is lost.",
    )
    stock_last_push_date = fields.Datetime("Last Stock Push", readonly=True, copy=False)
    stock_last_reconcile_date = fields.Datetime("Last Stock Reconcile", readonly=True, copy=False)

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
            self.env["ecom.stock.outbox"]
            .sudo()
            ._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["listing_id:count_distinct"]
            )
        )
        for channel in self:
            channel.stock_pending_count = pending.get(channel, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if STOCK_RULE_FIELDS.intersection(vals):
            # The rules changed the quantity of every listing of these channels.
            listings = self.env["ecom.channel.listing"].search([("channel_id", "in", self.ids)])
            if self.env["ecom.stock.outbox"].sudo()._enqueue_listings(listings.ids):
                self.env.ref("ecom_channels.ecom_channel_cron_push_stock").sudo()._trigger()
        return result

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _sellable_quantity(self, free_qty):
        """The quantity this channel lists for ``free_qty`` units of free stock: minus the buffer,
        times the share (rounded down), 0 at or below the zero-out threshold, capped by the
        maximum; never negative."""
        self.ensure_one()
        return sellable_quantity(free_qty, *self._stock_rules())

    def _stock_rules(self):
        """The channel's stock rules, as ``sellable_quantity`` takes them after the quantity."""
        self.ensure_one()
        return (
            self.stock_buffer_qty,
            self.stock_percent,
            self.stock_max_qty,
            self.stock_zero_below,
        )

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
        differs from the one the channel last accepted (even while the channel is in backoff)."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        self.env["ecom.stock.outbox"].sudo()._enqueue_listings(listings.ids)
        result = self._push_stock(force=True)
        message = self.env._(
            "%(sent)s quantities sent, %(failed)s failed, %(same)s already right.",
            sent=result["sent"],
            failed=result["failed"],
            same=result["unchanged"],
        )
        if result["busy"]:
            message += " " + self.env._(
                "%(count)s listings are being pushed by another worker right now.",
                count=result["busy"],
            )
        return self._notification(
            self.env._("Stock pushed"),
            message,
            kind="warning" if result["failed"] else "success",
            sticky=bool(result["failed"]),
        )

    @api.model
    def _cron_push_stock(self, limit=STOCK_PUSH_LIMIT):
        """Push the queued quantities of every active channel, ``limit`` listings per call.

        The cron framework commits after each call and calls again while the progress reports
        listings remaining (Odoo's cron progress API); past its batch limit, the cron is
        triggered again."""
        result = self.search([])._push_stock(limit=limit)
        _logger.info(
            "stock push: %d sent, %d failed, %d unchanged, %d waiting",
            result["sent"],
            result["failed"],
            result["unchanged"],
            result["remaining"],
        )
        done = result["sent"] + result["failed"] + result["unchanged"]
        self.env["ir.cron"]._notify_progress(done=done, remaining=result["remaining"])
        if result["remaining"] and done:
            self.env.ref("ecom_channels.ecom_channel_cron_push_stock")._trigger()

    def _push_stock(self, limit=STOCK_PUSH_LIMIT, force=False):
        """Push the queued quantities of these channels, oldest change first, ``limit``
        listings at most; channels in backoff wait unless ``force``.

        Each listing pushed is locked (``FOR NO KEY UPDATE ... SKIP LOCKED``) for the rest of
        the transaction: two workers never push the same listing at once, while the stock
        operations, which only insert outbox rows, never wait for a push.
        """
        result = {"sent": 0, "failed": 0, "unchanged": 0, "busy": 0, "remaining": 0}
        now = fields.Datetime.now()
        channels = self.filtered(
            lambda c: (
                c.active and (force or not c.stock_push_retry_at or c.stock_push_retry_at <= now)
            )
        )
        if not channels:
            return result
        self.env.flush_all()
        budget = limit
        for channel in channels:
            if budget <= 0:
                break
            listings, events, busy = channel._claim_stock_outbox(budget)
            result["busy"] += busy
            if not listings:
                continue
            budget -= len(listings)
            counts = listings._push_quantities(channel, events)
            for key in ("sent", "failed", "unchanged"):
                result[key] += counts[key]
        result["remaining"] = channels._stock_outbox_waiting()
        return result

    def _claim_stock_outbox(self, limit):
        """Lock up to ``limit`` listings of this channel that have queued changes due now, oldest
        change first, skipping those another worker holds.

        Return ``(listings, {listing id: [outbox ids]}, busy)``: the outbox rows are the ones
        this transaction sees, and only they are deleted after the push; ``busy`` counts the
        listings skipped because another worker is pushing them."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute(
            SQL(
                """WITH due AS (
                       SELECT listing_id, min(id) AS first_id
                         FROM ecom_stock_outbox
                        WHERE channel_id = %s
                          AND (next_attempt IS NULL OR next_attempt <= now() AT TIME ZONE 'UTC')
                     GROUP BY listing_id)
                   SELECT l.id
                     FROM ecom_channel_listing l
                     JOIN due ON due.listing_id = l.id
                 ORDER BY due.first_id, l.id
                    LIMIT %s
                      FOR NO KEY UPDATE OF l SKIP LOCKED""",
                self.id,
                limit,
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        cr.execute(
            SQL(
                """SELECT count(DISTINCT listing_id) FROM ecom_stock_outbox
                    WHERE channel_id = %s AND listing_id != ALL(%s)
                      AND (next_attempt IS NULL OR next_attempt <= now() AT TIME ZONE 'UTC')""",
                self.id,
                ids,
            )
        )
        left = cr.fetchone()[0]
        busy = left if len(ids) < limit else 0
        if not ids:
            return self.env["ecom.channel.listing"], {}, busy
        cr.execute(
            SQL(
                "SELECT listing_id, array_agg(id) FROM ecom_stock_outbox"
                " WHERE listing_id = ANY(%s) GROUP BY listing_id",
                ids,
            )
        )
        events = dict(cr.fetchall())
        listings = self.env["ecom.channel.listing"].browse(ids)
        gone = listings.filtered(lambda lst: lst.state != "published")
        if gone:  # unpublished since the change was queued: nothing to send
            self.env["ecom.stock.outbox"].sudo()._forget(
                [i for lst in gone for i in events.pop(lst.id, [])]
            )
            listings -= gone
        listings.invalidate_recordset(["qty_to_publish"])
        listings.mapped("qty_to_publish")  # one grouped computation for all of them
        return listings, events, busy

    def _stock_outbox_waiting(self):
        """Listings of these channels with queued changes due now (not in backoff)."""
        self.env.cr.execute(
            SQL(
                """SELECT count(DISTINCT o.listing_id)
                     FROM ecom_stock_outbox o
                     JOIN ecom_channel c ON c.id = o.channel_id
                    WHERE o.channel_id = ANY(%s)
                      AND (o.next_attempt IS NULL OR o.next_attempt <= now() AT TIME ZONE 'UTC')
                      AND (c.stock_push_retry_at IS NULL
                           OR c.stock_push_retry_at <= now() AT TIME ZONE 'UTC')""",
                self.ids,
            )
        )
        return self.env.cr.fetchone()[0]

    def _stock_push_succeeded(self):
        self.ensure_one()
        vals = {"stock_last_push_date": fields.Datetime.now()}
        if self.stock_push_failures or self.stock_push_retry_at:
            vals.update(stock_push_failures=0, stock_push_retry_at=False)
        self.sudo().write(vals)

    def _stock_push_failed(self):
        """The channel could not be reached: back off before the next automatic push."""
        self.ensure_one()
        failures = self.stock_push_failures + 1
        retry_at = fields.Datetime.add(fields.Datetime.now(), seconds=backoff_seconds(failures))
        self.sudo().write({"stock_push_failures": failures, "stock_push_retry_at": retry_at})
        return retry_at

    # ------------------------------------------------------------------
    # Stock reconcile
    # ------------------------------------------------------------------

    def action_reconcile_stock(self):
        """Read the quantities the channel shows, report the drift, queue the corrections."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        result = self._reconcile_stock()
        if result is None:
            return self._notification(
                self.env._("Stock not reconciled"),
                self.env._("The channel could not be read: see the sync log."),
                kind="danger",
                sticky=True,
            )
        push = self._push_stock(force=True)
        return self._notification(
            self.env._("Stock reconciled"),
            self.env._(
                "%(checked)s listings checked, %(drift)s drifted, %(sent)s quantities sent.",
                checked=result["checked"],
                drift=result["drift"],
                sent=push["sent"],
            ),
            kind="warning" if result["drift"] else "success",
        )

    @api.model
    def _cron_reconcile_stock(self):
        """Nightly: reconcile every active channel, then let the push cron send corrections."""
        channels = self.search([])
        for done, channel in enumerate(channels, start=1):
            channel._reconcile_stock()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(channels) - done)
        self.env.ref("ecom_channels.ecom_channel_cron_push_stock")._trigger()

    def _reconcile_stock(self):
        """Compare the quantity every published listing shows on the channel with the one we
        last sent and the one to publish. Drift (changed on the channel, or a listing the
        channel lost) is reported in the sync log; listings that show the wrong quantity are
        queued for a push (their last published quantity set to what the channel shows).

        Return ``{"checked": n, "drift": m, "queued": k}``, or None when the channel could
        not be read (logged)."""
        self.ensure_one()
        Log = self.env["ecom.sync.log"]
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        try:
            with self._get_client() as client:
                remote_listings = client.list_listings()
        except ChannelError as exc:
            Log.create(
                self._sync_log_vals(
                    "reconcile stock",
                    "error",
                    self.env._("The channel's quantities could not be read: %(error)s", error=exc),
                    payload=exc.payload,
                )
            )
            return None
        remote = {}
        for item in remote_listings:
            for key in (item.external_ref, item.sku):
                if key and item.quantity is not None:
                    remote.setdefault(str(key), int(item.quantity))
        by_key, local = {}, {}
        listings.mapped("qty_to_publish")
        for listing in listings:
            key = listing.external_ref if listing.external_ref in remote else listing.default_code
            key = key or listing.external_ref or ""
            by_key[key] = listing
            local[key] = (listing.qty_published, listing.qty_to_publish)
        drifts, to_push = find_drift(local, remote)
        for drift in drifts:
            if not drift.missing:
                by_key[drift.key].sudo().write({"qty_published": drift.remote})
        queued = (
            self.env["ecom.stock.outbox"]
            .sudo()
            ._enqueue_listings([by_key[key].id for key in to_push])
        )
        logs = []
        if drifts:
            lines = [
                self.env._(
                    "%(key)s: not on the channel any more (last sent %(sent)s)",
                    key=d.key,
                    sent=d.published,
                )
                if d.missing
                else self.env._(
                    "%(key)s: channel shows %(shown)s, last sent %(sent)s, should be %(expected)s",
                    key=d.key,
                    shown=d.remote,
                    sent=d.published,
                    expected=d.expected,
                )
                for d in drifts[:DRIFT_DETAIL_LINES]
            ]
            if len(drifts) > DRIFT_DETAIL_LINES:
                lines.append(
                    self.env._("... and %(count)s more.", count=len(drifts) - DRIFT_DETAIL_LINES)
                )
            logs.append(
                self._sync_log_vals(
                    "reconcile stock",
                    "warning",
                    self.env._(
                        "%(drift)s of %(checked)s listings drifted on the channel; "
                        "%(queued)s corrections queued.\n%(lines)s",
                        drift=len(drifts),
                        checked=len(listings),
                        queued=len(to_push),
                        lines="\n".join(lines),
                    ),
                )
            )
            logs += [
                self._sync_log_vals(
                    "reconcile stock",
                    "warning",
                    self.env._("The channel does not hold this listing any more."),
                    listing=by_key[d.key],
                )
                for d in drifts
                if d.missing
            ]
        else:
            logs.append(
                self._sync_log_vals(
                    "reconcile stock",
                    "ok",
                    self.env._(
                        "%(checked)s listings checked: every quantity on the channel is the one "
                        "last sent.",
                        checked=len(listings),
                    ),
                )
            )
        Log.create(logs)
        self.sudo().stock_last_reconcile_date = fields.Datetime.now()
        return {"checked": len(listings), "drift": len(drifts), "queued": queued}

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
