# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, config, str2bool

from odoo.addons.base.models.ir_cron import _intervalTypes

from ..ecom_channels_core import registry
from ..ecom_channels_core.ebay import SITES as EBAY_SITES
from ..ecom_channels_core.endpoints import endpoint_problem
from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.http import RetryPolicy
from ..ecom_channels_core.jobs import MIN_RETRY_SECONDS
from ..ecom_channels_core.stock_sync import (
    LATENCY_SAMPLES,
    dynamic_buffer,
    find_drift,
    sellable_quantity,
)
from ..ecom_channels_core.tokens import ReconnectNeeded, TokenGrant, expiring
from .ecom_channel_requirement import ChannelRequirementCache
from .ecom_sync_log import (
    OP_IMPORT_LISTINGS,
    OP_PUSH_STOCK,
    OP_RECONCILE_STOCK,
    OP_TEST_CONNECTION,
)

_logger = logging.getLogger(__name__)

#: Errors a job must not swallow: PostgreSQL asks to run the whole transaction again, which
#: Odoo does (RPC) or the next cron run does.
CONCURRENCY_ERRORS = PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
#: Longest a client built for a cron job may sleep in one call (retries, rate limits): beyond
#: it the call fails with the delay the channel asked for and the job is scheduled again then,
#: instead of waiting inside its transaction while it holds locks.
JOB_MAX_RETRY_WAIT = 10.0
#: Most listings one stock push job handles (the next job is enqueued when more wait).
STOCK_PUSH_LIMIT = 1000
#: Job priorities (queue_job: lower first): stock before publishing before the reconcile.
STOCK_JOB_PRIORITY = 5
PUBLISH_JOB_PRIORITY = 10
RECONCILE_JOB_PRIORITY = 20
#: Seconds between two reads of the results of a quantity feed still processing.
FEED_CHECK_DELAY = 60
#: A feed whose results are still not ready after this long is given up: its quantities are
#: queued again.
FEED_GIVE_UP = timedelta(hours=2)
#: Failures named one by one in a run's notification.
NOTIFY_PROBLEMS = 3
#: Fields of the channel that change the quantity of every listing.
STOCK_RULE_FIELDS = frozenset(
    {"stock_buffer_qty", "stock_percent", "stock_max_qty", "stock_zero_below", "warehouse_id"}
)
#: Drifted listings named one by one in the reconcile's sync log line.
DRIFT_DETAIL_LINES = 50

#: The channel types, as the registry declares them.
CHANNEL_TYPES = registry.selection()
#: Fields holding a secret: readable by channel managers only, never copied, redacted.
SECRET_FIELDS = (
    "api_key",
    "api_secret",
    "access_token",
    "refresh_token",
    "ebay_signing_private_key",
)
#: Fields written by the token transaction only.
TOKEN_FIELDS = [
    "access_token",
    "refresh_token",
    "token_expires_at",
    "reconnect_needed",
    "reconnect_reason",
]
#: Seconds the token transaction waits for the channel row (another worker refreshing).
TOKEN_LOCK_TIMEOUT = "3s"
AMAZON_REGIONS = {
    "eu": ("https://sellingpartnerapi-eu.amazon.com", "https://api.amazon.co.uk/auth/o2/token"),
    "na": ("https://sellingpartnerapi-na.amazon.com", "https://api.amazon.com/auth/o2/token"),
    "fe": ("https://sellingpartnerapi-fe.amazon.com", "https://api.amazon.co.jp/auth/o2/token"),
}


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
        help="Access token of the API (Shopify Admin API token; eBay and Amazon: the short-lived "
        "OAuth token, renewed with the refresh token).",
    )
    # Tokens -----------------------------------------------------------------
    refresh_token = fields.Char(
        groups="ecom_channels.ecom_channels_group_manager",
        copy=False,
        help="Long-lived OAuth refresh token of the seller's consent (eBay, Amazon LWA): gets a "
        "new access token whenever the old one expires. Set by the Connect wizard.",
    )
    token_url = fields.Char(
        "Token URL",
        compute="_compute_token_url",
        store=True,
        readonly=False,
        copy=True,
        help="Where access tokens are renewed (eBay: https://api.ebay.com/identity/v1/oauth2/"
        "token, Amazon: Login with Amazon, https://api.amazon.com/auth/o2/token); empty for "
        "channels whose credentials do not expire.",
    )
    token_expires_at = fields.Datetime(
        "Access Token Expires",
        readonly=True,
        copy=False,
        groups="ecom_channels.ecom_channels_group_manager",
    )
    token_flow = fields.Boolean(compute="_compute_token_flow")
    reconnect_needed = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The channel refused the refresh token: nothing is sent to it until it is "
        "connected again (Connect).",
    )
    reconnect_reason = fields.Char(readonly=True, copy=False)
    # Options per channel type (registry.TYPES[type].options) --------------------------
    dispatch_days = fields.Integer(
        "Dispatch Time (days)",
        default=1,
        help="Working days between an order and its dispatch, sent with the listings (eBay "
        "DispatchTimeMax, Amazon handling time).",
    )
    amazon_region = fields.Selection(
        [
            ("eu", "Europe (UK, EU, Turkey, Middle East, India)"),
            ("na", "North America"),
            ("fe", "Far East"),
        ],
        help="Selling Partner API region: sets the API base URL and the Login with Amazon URL.",
    )
    amazon_marketplace_ids = fields.Char(
        "Amazon Marketplace IDs",
        default="A1F83G8C2ARO7P",
        help="Comma-separated marketplace ids (A1F83G8C2ARO7P: Amazon.co.uk). Listings go to "
        "the first; orders are read from all.",
    )
    amazon_language_tag = fields.Char(
        "Amazon Language", default="en_GB", help="Language tag of the listing texts (en_GB)."
    )
    shopify_location_id = fields.Char(
        help="GID of the Shopify location whose stock this channel sets "
        "(gid://shopify/Location/...); empty: the shop's first location.",
    )
    ebay_site_id = fields.Selection(
        [(key, value) for key, value in sorted(EBAY_SITES.items(), key=lambda kv: int(kv[0]))],
        "eBay Site",
        default="3",
        help="The eBay site the listings go to (UK: ebay.co.uk).",
    )
    ebay_payment_profile_id = fields.Char(
        "Payment Policy ID", help="Business policy ids: with all three, listings use them."
    )
    ebay_return_profile_id = fields.Char("Return Policy ID")
    ebay_shipping_profile_id = fields.Char("Shipping Policy ID")
    ebay_shipping_service = fields.Char(
        "Shipping Service",
        default="UK_RoyalMailSecondClassStandard",
        help="eBay shipping service code, used without business policies.",
    )
    ebay_shipping_cost = fields.Float("Shipping Cost", help="Used without business policies.")
    ebay_returns_within = fields.Selection(
        [("Days_14", "14 days"), ("Days_30", "30 days"), ("Days_60", "60 days")],
        "Returns Within",
        default="Days_30",
    )
    ebay_returns_paid_by = fields.Selection(
        [("Buyer", "Buyer"), ("Seller", "Seller")], "Return Postage Paid By", default="Buyer"
    )
    ebay_location = fields.Char("Item Location", default="United Kingdom")
    ebay_postal_code = fields.Char("Item Postcode")
    ebay_oauth_scopes = fields.Char(
        "OAuth Scopes",
        help="Space-separated scopes asked for when connecting and renewing tokens; empty for "
        "the ones the suite needs.",
    )
    ebay_ru_name = fields.Char(
        "RuName",
        help="The redirect URL name of the eBay app (developer.ebay.com, User Tokens): where "
        "eBay sends the seller back with the consent code.",
    )
    ebay_finances_url = fields.Char(
        "Finances API URL",
        default="https://apiz.ebay.com",
        help="Host of eBay's Finances API (payouts): https://apiz.ebay.com.",
    )
    ebay_signing_key_jwe = fields.Char(
        "Signing Key (JWE)",
        groups="ecom_channels.ecom_channels_group_manager",
        copy=False,
        help="UK/EU sellers: the JWE of the digital-signature key (Key Management API, "
        "createSigningKey), sent as x-ebay-signature-key with Finances calls.",
    )
    ebay_signing_private_key = fields.Char(
        "Signing Private Key",
        groups="ecom_channels.ecom_channels_group_manager",
        copy=False,
        help="UK/EU sellers: the Ed25519 private key (PEM) of the signing key.",
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
        compute="_compute_job_retries",
        help="The channel could not be reached for the last so many tries of its stock push "
        "job; the job waits longer each time (backoff). The quantities wait in the outbox "
        "meanwhile: nothing is lost.",
    )
    stock_push_retry_at = fields.Datetime(
        "Next Stock Push Attempt",
        compute="_compute_job_retries",
        help="The stock push job waits until then after a failure or the channel's quota (a "
        "manual push still goes at once).",
    )
    stock_last_push_date = fields.Datetime("Last Stock Push", readonly=True, copy=False)
    stock_last_reconcile_date = fields.Datetime("Last Stock Reconcile", readonly=True, copy=False)
    stock_reconcile_retry_at = fields.Datetime(
        "Next Reconcile Attempt",
        compute="_compute_job_retries",
        help="The last reconcile could not read the channel: its job tries again then.",
    )
    publish_retry_at = fields.Datetime(
        "Next Automatic Publishing",
        compute="_compute_job_retries",
        help="The channel asked to wait (rate limit) or the last publishing run failed: the "
        "publishing job runs again then (publishing by hand still works).",
    )
    stock_latency_samples = fields.Json(readonly=True, copy=False)
    stock_push_latency_p90 = fields.Float(
        "Push Latency p90 (s)",
        readonly=True,
        copy=False,
        help="90% of the recent stock changes reached the channel within this many seconds "
        "(from the change to the channel's acceptance).",
    )
    stock_dynamic_buffer = fields.Boolean(
        "Dynamic Buffer",
        help="Also hold back what sells elsewhere while this channel's view of the stock is "
        "late: ceil(daily sales x expected sync delay) units per listing, the delay being the "
        "channel's p90 push latency plus its order-poll interval.",
    )
    stock_feed_ids = fields.One2many("ecom.stock.feed", "channel_id", "Quantity Feeds")

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

    @api.constrains("api_base_url", "channel_type")
    def _check_api_base_url(self):
        """Credentials go only to the channel type's own https hosts (loopback addresses only
        on a server configured for test endpoints)."""
        allow_test_hosts = self._ecom_allow_test_endpoints()
        for channel in self:
            problem = channel._endpoint_problem(allow_test_hosts)
            if problem:
                raise ValidationError(
                    self.env._(
                        "The API base URL of channel %(channel)s cannot be used: %(problem)s.",
                        channel=channel.name,
                        problem=problem,
                    )
                )

    @api.model
    def _ecom_allow_test_endpoints(self):
        """Whether connections may point at loopback addresses (the local emulators): only when
        the server configuration sets ``ecom_test_endpoints = True``, which a production server
        never does. The one place that reads the flag (carrier connections use it too)."""
        return str2bool(str(config.get("ecom_test_endpoints") or False), False)

    def _endpoint_problem(self, allow_test_hosts=None):
        """Why this channel's base URL may not receive its credentials (plain words), or None."""
        self.ensure_one()
        if allow_test_hosts is None:
            allow_test_hosts = self._ecom_allow_test_endpoints()
        declared = registry.TYPES.get(self.channel_type)
        service = declared.endpoint if declared else self.channel_type
        return endpoint_problem(self.api_base_url, service, allow_test_hosts)

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

    def _compute_job_retries(self):
        """What the channel's jobs wait for: queue_job owns the retries and the delays (a
        postponed or delayed job is pending with an ``eta``; a postponed one has the reason
        in its ``result`` and its counted attempts in ``retry``)."""
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("ecom_channel_id", "in", self.ids),
                    ("state", "=", "pending"),
                    ("eta", ">", fields.Datetime.now()),
                    (
                        "method_name",
                        "in",
                        ["_job_push_stock", "_job_reconcile_stock", "_job_publish"],
                    ),
                ],
                order="eta",
            )
        )
        for channel in self:
            mine = jobs.filtered(lambda job, channel=channel: job.ecom_channel_id == channel)
            push = mine.filtered(lambda job: job.method_name == "_job_push_stock")
            channel.stock_push_failures = max(push.mapped("retry") or [0])
            channel.stock_push_retry_at = push[:1].eta
            channel.stock_reconcile_retry_at = mine.filtered(
                lambda job: job.method_name == "_job_reconcile_stock"
            )[:1].eta
            channel.publish_retry_at = mine.filtered(lambda job: job.method_name == "_job_publish")[
                :1
            ].eta

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        reactivated = self.filtered(lambda c: not c.active) if vals.get("active") else self.browse()
        result = super().write(vals)
        changed = reactivated
        if STOCK_RULE_FIELDS.intersection(vals) or "stock_dynamic_buffer" in vals:
            changed = self  # the rules changed the quantity of every listing
        if changed:
            # Re-activated, or new rules: every listing's quantity goes out again.
            listings = self.env["ecom.channel.listing"].search([("channel_id", "in", changed.ids)])
            self.env["ecom.stock.outbox"].sudo()._enqueue_listings(listings.ids)
        return result

    def _order_poll_seconds(self):
        """Seconds between two reads of this channel's orders (the order import adds it): a
        sale there reaches the stock at most this late. 0 here."""
        self.ensure_one()
        return 0.0

    def _expected_sync_delay(self):
        """Seconds the channel's view of the stock may be late: its p90 push latency plus its
        order-poll interval."""
        self.ensure_one()
        return (self.stock_push_latency_p90 or 0.0) + self._order_poll_seconds()

    def _dynamic_buffer(self, daily):
        """Units held back from this channel for ``daily`` sales a day (0 when off)."""
        self.ensure_one()
        if not self.stock_dynamic_buffer:
            return 0
        return dynamic_buffer(daily, self._expected_sync_delay())

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
        return [channel[name] for name in SECRET_FIELDS if channel[name]]

    # ------------------------------------------------------------------
    # Connection: tokens, options, client
    # ------------------------------------------------------------------

    @api.depends("channel_type")
    def _compute_token_url(self):
        for channel in self:
            flow = registry.token_flow(channel.channel_type)
            channel.token_url = flow.default_url if flow else False

    @api.depends("channel_type")
    def _compute_token_flow(self):
        for channel in self:
            channel.token_flow = bool(registry.token_flow(channel.channel_type))

    @api.constrains("token_url", "channel_type")
    def _check_token_url(self):
        """Refresh tokens go only to the channel type's own token hosts, like the API URL."""
        allow_test_hosts = self._ecom_allow_test_endpoints()
        for channel in self:
            flow = registry.token_flow(channel.channel_type)
            if not channel.token_url or not flow:
                continue
            problem = endpoint_problem(channel.token_url, flow.service, allow_test_hosts)
            if problem:
                raise ValidationError(
                    self.env._(
                        "The token URL of channel %(channel)s cannot be used: %(problem)s.",
                        channel=channel.name,
                        problem=problem,
                    )
                )

    @api.constrains("ebay_finances_url", "channel_type")
    def _check_ebay_finances_url(self):
        allow_test_hosts = self._ecom_allow_test_endpoints()
        for channel in self.filtered(lambda c: c.channel_type == "ebay" and c.ebay_finances_url):
            problem = endpoint_problem(channel.ebay_finances_url, "ebay", allow_test_hosts)
            if problem:
                raise ValidationError(
                    self.env._(
                        "The Finances API URL of channel %(channel)s cannot be used: %(problem)s.",
                        channel=channel.name,
                        problem=problem,
                    )
                )

    @api.onchange("amazon_region")
    def _onchange_amazon_region(self):
        if self.channel_type == "amazon" and self.amazon_region:
            self.api_base_url, self.token_url = AMAZON_REGIONS[self.amazon_region]

    def _client_options(self):
        """The client options of the channel's type, from its fields (the registry names them;
        other modules may add to them). Empty fields are left to the client's default."""
        self.ensure_one()
        declared = registry.TYPES.get(self.channel_type)
        options = {}
        channel = self.sudo()
        for option, field_name in declared.options if declared else ():
            value = channel[field_name]
            if value not in (False, None, ""):
                options[option] = value
        return options

    def _token_vals(self, grant):
        vals = {
            "access_token": grant.access_token,
            "token_expires_at": grant.expires_at or False,
            "reconnect_needed": False,
            "reconnect_reason": False,
        }
        if grant.refresh_token:
            vals["refresh_token"] = grant.refresh_token
        return vals

    def _ecom_token_refresh(self, stale, do_refresh):
        """Refresh this channel's access token in a transaction of its own (a rollback of the
        caller's keeps the new token) and return the TokenGrant to use.

        The channel row is locked first (``FOR NO KEY UPDATE``: rows of the caller that
        merely refer to the channel do not block it): a worker that finds a fresh token stored
        by another worker meanwhile uses it instead of refreshing again (a second refresh would
        waste the first worker's token on channels that keep one at a time). A refresh the channel
        refuses marks the channel "reconnect needed", with the reason. When the row cannot be
        locked in time (the caller's own transaction holds it), the token is refreshed for
        this client only.
        """
        self.ensure_one()
        refused = None
        with self.env.registry.cursor() as cr:
            channel = api.Environment(cr, SUPERUSER_ID, {})["ecom.channel"].browse(self.id)
            try:
                with cr.savepoint(flush=False):
                    cr.execute(SQL("SET LOCAL lock_timeout = %s", TOKEN_LOCK_TIMEOUT))
                    cr.execute(
                        SQL(
                            "SELECT access_token, token_expires_at FROM ecom_channel "
                            "WHERE id = %s FOR NO KEY UPDATE",
                            self.id,
                        )
                    )
                    row = cr.fetchone()
                    cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
            except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled):
                _logger.info("channel %s: token row busy; refreshing for this call only", self.id)
                return do_refresh()
            if row is None:  # not committed yet (created in the caller's transaction)
                return do_refresh()
            if row[0] and row[0] != stale and not expiring(row[1]):
                return TokenGrant(row[0], row[1])
            try:
                grant = do_refresh()
            except ReconnectNeeded as exc:
                refused = exc
                channel.write(
                    {
                        "reconnect_needed": True,
                        "reconnect_reason": exc.reason or exc.message,
                        "access_token": False,
                        "token_expires_at": False,
                    }
                )
            else:
                channel.write(self._token_vals(grant))
        # the token fields are this transaction's to own: what the caller's cache holds of them
        # is dropped (not written over the new values)
        self.invalidate_recordset(TOKEN_FIELDS, flush=False)
        if refused is not None:
            raise refused
        return grant

    def _get_client(self, max_retry_wait=None, token_store=True):
        """The API client of this channel, built from its fields.

        The credentials are read with superuser rights here and handed to the client only:
        they never reach a log (the client and the sync log redact them), nor a host the
        channel type does not own. Raises ChannelError when the channel cannot be reached at
        all (no URL, a URL refused for its credentials, no client for its type), and
        ReconnectNeeded (not retryable) when it must be connected again.

        ``max_retry_wait`` caps the seconds the client may sleep in one call (retries, rate
        limits); beyond it the call fails with a retryable ChannelError carrying
        ``retry_after``. In a cron job it defaults to ``JOB_MAX_RETRY_WAIT``: a job never
        waits for a channel inside its transaction. ``token_store=False``: the tokens the
        client gets are the caller's to store (the Connect wizard).
        """
        self.ensure_one()
        channel = self.sudo()
        if channel.reconnect_needed:
            raise ReconnectNeeded(
                self.env._(
                    "%(channel)s must be connected again (Connect on the channel): %(reason)s",
                    channel=channel.name,
                    reason=channel.reconnect_reason or "",
                ),
                reason=channel.reconnect_reason or "",
            )
        problem = channel._endpoint_problem()
        if problem:
            raise ChannelError(
                self.env._(
                    "%(channel)s: the API base URL cannot be used: %(problem)s",
                    channel=channel.name,
                    problem=problem,
                )
            )
        flow = registry.token_flow(channel.channel_type)
        if flow and channel.token_url:
            problem = endpoint_problem(
                channel.token_url, flow.service, self._ecom_allow_test_endpoints()
            )
            if problem:
                raise ChannelError(
                    self.env._(
                        "%(channel)s: the token URL cannot be used: %(problem)s",
                        channel=channel.name,
                        problem=problem,
                    )
                )
        max_delay = max(channel.retry_max_delay, 0.0)
        retry = RetryPolicy(
            max_attempts=max(channel.retry_max_attempts, 1),
            base=max(channel.retry_backoff, 0.0),
            cap=max_delay,
            retry_after_cap=max_delay,
        )
        timeout = channel.timeout_seconds if channel.timeout_seconds > 0 else 30.0
        rate = channel.rate_limit
        kwargs = {}
        if max_retry_wait is None and self._in_cron_job():
            max_retry_wait = JOB_MAX_RETRY_WAIT
        if max_retry_wait is not None:
            kwargs["max_retry_wait"] = max_retry_wait
        if flow:
            kwargs.update(
                refresh_token=channel.refresh_token or "",
                token_url=channel.token_url or "",
                token_expires_at=channel.token_expires_at or None,
                token_store=_ChannelTokenStore(channel) if token_store else None,
            )
        return registry.build_client(
            channel.channel_type,
            channel.api_base_url,
            api_key=channel.api_key or "",
            api_secret=channel.api_secret or "",
            access_token=channel.access_token or "",
            account_ref=channel.account_ref or "",
            options=self._client_options(),
            requirement_cache=ChannelRequirementCache(channel),
            timeout=(min(timeout, 10.0), timeout),
            retry=retry,
            rate_limit=(rate, max(rate, 1.0)) if rate > 0 else None,
            **kwargs,
        )

    def action_connect(self):
        """Open the Connect wizard of the channel's type."""
        self.ensure_one()
        self.check_access("write")
        if not self.env.user.has_group("ecom_channels.ecom_channels_group_manager"):
            raise UserError(self.env._("Only channel managers can connect a channel."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Connect %(channel)s", channel=self.name),
            "res_model": "ecom.channel.connect",
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_id": self.id},
        }

    def _sync_log_vals(self, operation, status, message, listing=None, payload=None):
        """A sync log line of this channel, or of ``listing`` (``ecom.sync.log._vals``; kept for
        the other addons)."""
        self.ensure_one()
        return self.env["ecom.sync.log"]._vals(listing or self, operation, status, message, payload)

    def _log_sync(self, operation, status, message, listing=None, payload=None):
        """Write one sync log line of this channel or of ``listing`` (``ecom.sync.log._log``;
        kept for the other addons)."""
        self.ensure_one()
        return self.env["ecom.sync.log"]._log(listing or self, operation, status, message, payload)

    # ------------------------------------------------------------------
    # Jobs: one channel at a time, errors recorded, no waiting in a transaction
    # ------------------------------------------------------------------

    @api.model
    def _in_cron_job(self):
        """Whether this runs in a cron job (a worker, or "Run Manually"), which reports its
        progress and is committed by Odoo after each call."""
        return bool(self.env.context.get("ir_cron_progress_id"))

    @api.model
    def _cron_interval(self, xmlid, default=timedelta(hours=1)):
        """The interval of one of our crons, as a timedelta."""
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            return default
        cron = cron.sudo()
        now = fields.Datetime.now()
        return now + _intervalTypes[cron.interval_type](cron.interval_number) - now

    @api.model
    def _ecom_min_retry_seconds(self):
        """Shortest wait before sending again what a channel could not take now."""
        return MIN_RETRY_SECONDS

    def _unexpected_error(self, exc):
        """A ChannelError for an exception the client did not expect (a bug, an answer it
        could not read), with the channel's secrets removed from its text."""
        self.ensure_one()
        return ChannelError(
            self.env._(
                "%(channel)s: unexpected error (%(type)s): %(error)s",
                channel=self.name,
                type=type(exc).__name__,
                error=str(exc) or repr(exc),
            ),
            secrets=self._secrets(),
        )

    def _run_isolated(self, operation, func, on_error=None):
        """Run ``func()`` for this channel in its own savepoint and return what it returns.

        Whatever escapes it (a ChannelError, or any other error: a bug, a broken answer) is
        rolled back and recorded, in the sync log (an error line on the channel) and the server
        log; ``on_error(error)`` may then back the channel off; None is returned. Concurrency
        errors are not caught: the whole transaction must run again (Odoo retries it).
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return func()
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, the other channels go on
            if isinstance(exc, ChannelError):
                error = exc
                _logger.warning("%s on channel %s failed: %s", operation, self.id, exc)
            else:
                _logger.exception("%s on channel %s failed", operation, self.id)
                error = self._unexpected_error(exc)
            message = error.message
            if on_error is not None:
                message = on_error(error) or message
            self.env["ecom.sync.log"]._log(self, operation, "error", message, payload=error.payload)
            return None

    @api.model
    def _problems_text(self, problems):
        """The first failures of a run, in one sentence for its notification."""
        if not problems:
            return ""
        shown = "; ".join(problems[:NOTIFY_PROBLEMS])
        if len(problems) > NOTIFY_PROBLEMS:
            shown = self.env._(
                "%(shown)s; and %(count)s more", shown=shown, count=len(problems) - NOTIFY_PROBLEMS
            )
        return " " + self.env._("Failed: %(failures)s. See the sync log.", failures=shown)

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
        to the barcode; create or update the listings, each in its own savepoint (a batch of
        creations first, one by one when the batch fails). Return a summary dict with the
        ``unmatched`` remote listings (not dropped: the caller reports them) and the ``failed``
        ones as ``(remote, message)``."""
        self.ensure_one()
        Listing = self.env["ecom.channel.listing"]
        failed = [
            (r, self.env._("The channel gave no reference for this listing."))
            for r in remote_listings
            if not r.external_ref
        ]
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
                updates[listing] = (remote, vals)
                continue
            vals.update(channel_id=self.id, product_id=product.id)
            if remote.title:
                vals["name"] = remote.title
            if remote.price:
                vals["price"] = remote.price
            if remote.description_html:
                vals["description"] = remote.description_html
            creates[product] = (remote, vals)
        updated = Listing
        for listing, (remote, vals) in updates.items():
            outcome = self._import_step(lambda listing=listing, vals=vals: listing.write(vals))
            if isinstance(outcome, str):
                failed.append((remote, outcome))
            else:
                updated |= listing
        created = Listing
        if len(creates) > 1:  # fast path: one create for all, one by one if it fails
            batch = self._import_step(
                lambda: Listing.create([vals for _remote, vals in creates.values()])
            )
            if not isinstance(batch, str):
                created, creates = batch, {}
        for remote, vals in creates.values():
            listing = self._import_step(lambda vals=vals: Listing.create(vals))
            if isinstance(listing, str):
                failed.append((remote, listing))
            else:
                created |= listing
        created._start_link()  # linked items get our quantity now (updates: in write)
        return {
            "linked": len(updated) + len(created),
            "created": created,
            "updated": updated,
            "unmatched": unmatched,
            "conflicts": conflicts,
            "failed": failed,
        }

    def _import_step(self, func):
        """Run one step of a listing import in its own savepoint: what it returns, or the
        error message (a string) when it fails; concurrency errors propagate."""
        try:
            with self.env.cr.savepoint():
                return func() or True
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - reported per listing, the others go on
            _logger.info("listing import on channel %s: one item failed: %s", self.id, exc)
            if isinstance(exc, ChannelError):
                return exc.message
            return self._unexpected_error(exc).message

    @api.model
    def _remote_payload(self, remote):
        """A remote listing as text for the sync log (the log removes the secrets)."""
        data = remote.raw or {
            "external_ref": remote.external_ref,
            "sku": remote.sku,
            "barcode": remote.barcode,
            "title": remote.title,
            "price": remote.price,
            "quantity": remote.quantity,
        }
        return json.dumps(data, default=str, indent=1)[:4000]

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
            self.env["ecom.sync.log"]._log(
                self, OP_TEST_CONNECTION, "error", exc.message, payload=exc.payload
            )
            return self._notification(
                self.env._("Connection failed"), exc.message, kind="danger", sticky=True
            )
        message = self.env._("Connected to %(account)s", account=info)
        self.env["ecom.sync.log"]._log(self, OP_TEST_CONNECTION, "ok", message)
        return self._notification(self.env._("Connection works"), message)

    def action_import_listings(self):
        """Read the channel's listings and link them to Odoo products (SKU, then barcode).

        Each listing is linked in its own savepoint: a listing that cannot be stored is
        reported (sync log, naming its SKU and reference) and the others are linked. When the
        channel stops answering part way, the listings read so far are linked and the error is
        reported."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("create")
        remote, read_error = self._read_remote_listings()
        if read_error is not None and not remote:
            self.env["ecom.sync.log"]._log(
                self, OP_IMPORT_LISTINGS, "error", read_error.message, payload=read_error.payload
            )
            return self._notification(
                self.env._("Import failed"), read_error.message, kind="danger", sticky=True
            )
        if not remote:
            message = self.env._("The channel holds no listings: nothing to import.")
            self.env["ecom.sync.log"]._log(self, OP_IMPORT_LISTINGS, "ok", message)
            return self._notification(self.env._("Nothing to import"), message, kind="info")
        result = self._import_remote_listings(remote)
        lines = [
            self.env._(
                "%(count)s channel listings read: %(linked)s linked (%(new)s new), "
                "%(unmatched)s unmatched, %(conflicts)s in conflict, %(failed)s failed.",
                count=len(remote),
                linked=result["linked"],
                new=len(result["created"]),
                unmatched=len(result["unmatched"]),
                conflicts=len(result["conflicts"]),
                failed=len(result["failed"]),
            )
        ]
        if read_error is not None:
            lines.append(
                self.env._(
                    "The channel stopped answering after %(count)s listings; the others were "
                    "not read: %(error)s",
                    count=len(remote),
                    error=read_error.message,
                )
            )
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
        errors = read_error is not None or result["failed"]
        logs = [
            self.env["ecom.sync.log"]._vals(
                self,
                OP_IMPORT_LISTINGS,
                "error" if errors else "warning" if problems else "ok",
                "\n".join(lines),
                payload=read_error.payload if read_error is not None else None,
            )
        ]
        failures = []
        for remote_listing, message in result["failed"]:
            failures.append("%s: %s" % (remote_listing.sku or remote_listing.external_ref, message))
            logs.append(
                self.env["ecom.sync.log"]._vals(
                    self,
                    OP_IMPORT_LISTINGS,
                    "error",
                    self.env._(
                        "%(listing)s could not be linked: %(error)s",
                        listing=self._describe_remote(remote_listing),
                        error=message,
                    ),
                    payload=self._remote_payload(remote_listing),
                )
            )
        self.env["ecom.sync.log"]._create_logs(logs)
        if read_error is not None:
            failures.insert(0, read_error.message)
        kind = (
            "danger"
            if errors
            else "warning"
            if problems
            else "success"
            if result["linked"]
            else "info"
        )
        return self._notification(
            self.env._("Listings imported"),
            lines[0]
            + (self._problems_text(failures) if failures else "")
            + (self.env._(" See the sync log for the details.") if problems else ""),
            kind=kind,
            sticky=kind != "success",
        )

    def _read_remote_listings(self):
        """Every listing the channel holds, read page by page: ``(listings, error)`` where
        ``error`` (a ChannelError) says why the reading stopped early, None when it did not."""
        self.ensure_one()
        remote = []
        try:
            with self._get_client() as client:
                for item in client.list_listings():
                    remote.append(item)
        except CONCURRENCY_ERRORS:
            raise
        except ChannelError as exc:
            return remote, exc
        except Exception as exc:  # noqa: BLE001 - a broken answer: reported, not a crash
            _logger.exception("reading the listings of channel %s failed", self.id)
            return remote, self._unexpected_error(exc)
        return remote, None

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
        return self._publish_notification(listings._publish())

    @api.model
    def _publish_notification(self, result, skipped=0):
        """The notification of a publishing run (``_publish``'s result)."""
        message = self.env._(
            "%(done)s listings published, %(failed)s failed.",
            done=result["published"],
            failed=result["failed"],
        )
        if skipped:
            message += " " + self.env._(
                "%(skipped)s skipped (drafts and ended listings).", skipped=skipped
            )
        if result.get("postponed"):
            message += " " + self.env._(
                "%(count)s left for later: the channel asked to wait.",
                count=result["postponed"],
            )
        message += self._problems_text(result.get("problems"))
        trouble = result["failed"] or result.get("postponed")
        nothing = not (result["published"] or trouble)
        return self._notification(
            self.env._("Nothing published") if nothing else self.env._("Publishing done"),
            message,
            kind="info" if nothing else "warning" if trouble else "success",
            sticky=bool(trouble),
        )

    # ------------------------------------------------------------------
    # Publishing job
    # ------------------------------------------------------------------

    @api.model
    def _cron_publish_listings(self, limit=200):
        """Enqueue the publishing job of every active channel that has listings waiting (one
        waiting job per channel: its identity key). Return the channels."""
        waiting = self.env["ecom.channel.listing"]._read_group(
            self.search([])._cron_publish_domain(), ["channel_id"]
        )
        channels = self.browse([channel.id for (channel,) in waiting])
        for channel in channels:
            channel._ecom_publish_later(limit=limit)
        return channels

    def _ecom_publish_later(self, eta=None, limit=200):
        """Enqueue this channel's publishing job (at ``eta``: when the channel asked to wait).
        One waits per channel (its identity key, which does not see the time): when the
        channel asked to wait, a publishing job that waits already to run earlier is put off
        until then, as it would only be refused."""
        self.ensure_one()
        job = (
            self.sudo()
            ._ecom_delay(
                priority=PUBLISH_JOB_PRIORITY,
                eta=eta,
                description=self.env._("Publish listings on %(channel)s", channel=self.name),
            )
            ._job_publish(limit=limit)
        )
        # queue_job hands back the waiting job (a record) when one has the same identity; one
        # already handed to a worker ("enqueued") runs now and is put off again by the channel
        if (
            eta
            and isinstance(job, models.BaseModel)
            and job.state == "pending"
            and (not job.eta or job.eta < eta)
        ):
            job.eta = eta

    def _job_publish(self, limit=200):
        """Job: publish up to ``limit`` listings that wait on this channel, oldest change first
        (each in its own savepoint: a failure stays on its listing). When the channel asks to
        wait, the job is enqueued again for then; when more listings wait, at once."""
        self.ensure_one()
        if not self.active:
            return "channel archived"
        listings = self.env["ecom.channel.listing"].search(
            self._cron_publish_domain() + [("channel_id", "=", self.id)],
            limit=limit,
            order="write_date, id",
        )
        result = listings._publish()  # enqueues this job again when the channel asks to wait
        if not result.get("postponed") and len(listings) >= limit:
            self._ecom_publish_later(limit=limit)
        return "%(published)s published, %(failed)s failed, %(postponed)s postponed" % result

    def _cron_publish_domain(self):
        """Listings the publishing job sends on these channels: those waiting, minus the ones
        that failed within half the publishing cron's interval (tried again later)."""
        now = fields.Datetime.now()
        interval = self._cron_interval("ecom_channels.ecom_channel_cron_publish")
        return self.filtered("active")._publish_domain() + [
            "|",
            ("state", "!=", "error"),
            ("write_date", "<", now - interval / 2),
        ]

    # ------------------------------------------------------------------
    # Stock push: jobs around the outbox (ecom.stock.outbox owns the sync)
    # ------------------------------------------------------------------

    def _ecom_push_stock_later(self, eta=None):
        """Enqueue the stock push job of these channels: one waiting job per channel (identity
        key) that runs as soon as a job worker is free, or at ``eta`` (a backoff of some items,
        a feed's results), as a separate job so that a change never waits for it. The identity
        key does not see the time: a push due before the delayed job that waits already brings
        that job forward (instead of being dropped behind it)."""
        for channel in self.sudo().filtered("active"):
            delayable = channel._ecom_delay(
                priority=STOCK_JOB_PRIORITY,
                eta=eta,
                description=self.env._("Push stock to %(channel)s", channel=channel.name),
            )
            if not eta:
                delayable._job_push_stock()
                continue
            job = delayable._job_push_stock(later=True)
            # queue_job hands back the waiting job (a record) when one has the same identity;
            # one that queue_job postponed after a failure (a quota's wait: its ``result`` says
            # why) keeps the time the channel asked for
            if (
                isinstance(job, models.BaseModel)
                and job.state == "pending"
                and not job.result
                and job.eta
                and job.eta > eta
            ):
                job.eta = eta

    def _job_push_stock(self, later=False, limit=STOCK_PUSH_LIMIT):
        """Job: read the due feed results of this channel and push up to ``limit`` queued
        quantities, the riskiest first. A channel that takes nothing (down, quota, refused as
        a whole) goes through the retry rule (``_ecom_job_error``): the whole job is retried
        (or failed), the changes staying in the outbox. Then the next job is enqueued: at once
        when more changes wait, else when the first backoff or feed is due. ``later`` only
        tells the delayed job from the immediate one (two identity keys)."""
        self.ensure_one()
        if not self.active:
            return "channel archived"
        try:
            counts = self.env["ecom.stock.outbox"].sudo()._push_channel(self, limit)
        except CONCURRENCY_ERRORS:
            raise  # queue_job runs the job again
        except Exception as exc:  # noqa: BLE001 - a bug or a broken answer: a dead letter
            self._ecom_job_error(exc)
        if counts["channel_error"] is not None:
            self._ecom_job_error(counts["channel_error"])
        self._ecom_push_stock_next(counts)
        return (
            "%(sent)s sent, %(failed)s failed, %(unchanged)s unchanged, %(submitted)s submitted, "
            "%(checked)s feeds read" % counts
        )

    def _ecom_push_stock_next(self, counts):
        """Enqueue the next push job of this channel after a run that did ``counts``."""
        self.ensure_one()
        Outbox = self.env["ecom.stock.outbox"].sudo()
        if counts["claimed"] and Outbox._waiting_count(self):
            self._ecom_push_stock_later()
            return
        due = Outbox._next_due(self)
        if due:
            self._ecom_push_stock_later(eta=max(due, fields.Datetime.now()))

    @api.model
    def _cron_push_stock(self):
        """Safety net: enqueue the push job of every active channel that has queued changes or
        feed results due (a change enqueues it itself). Return the channels."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT o.channel_id FROM ecom_stock_outbox o
                    WHERE o.feed_id IS NULL
                      AND (o.next_attempt IS NULL OR o.next_attempt <= %(now)s)
                   UNION
                   SELECT f.channel_id FROM ecom_stock_feed f WHERE f.next_check <= %(now)s""",
                now=fields.Datetime.now(),
            )
        )
        channels = self.sudo().browse([row[0] for row in self.env.cr.fetchall()]).filtered("active")
        channels._ecom_push_stock_later()
        return channels

    def action_push_stock(self):
        """Send this channel's quantities now, in this request: every published listing whose
        quantity to publish differs from the one the channel last accepted."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        self.env["ecom.stock.outbox"].sudo()._enqueue_listings(listings.ids, wake=False)
        result = self._push_stock()
        if not any(result[key] for key in ("sent", "failed", "submitted", "checked", "errors")):
            if result["busy"]:
                message = self.env._(
                    "Another worker is pushing these %(count)s listings right now.",
                    count=result["busy"],
                )
            elif result["unchanged"]:
                message = self.env._(
                    "Nothing to send: the channel shows the right quantity of all %(count)s "
                    "listings.",
                    count=result["unchanged"],
                )
            else:
                message = self.env._("Nothing to send: the channel has no published listing.")
            return self._notification(self.env._("Stock checked"), message, kind="info")
        message = self.env._(
            "%(sent)s quantities sent, %(failed)s failed, %(same)s already right.",
            sent=result["sent"],
            failed=result["failed"],
            same=result["unchanged"],
        )
        if result["submitted"]:
            message += " " + self.env._(
                "%(count)s quantities submitted to the channel, which is processing them: "
                "the results are read in about a minute.",
                count=result["submitted"],
            )
        if result["busy"]:
            message += " " + self.env._(
                "%(count)s listings are being pushed by another worker right now.",
                count=result["busy"],
            )
        message += self._problems_text(result["problems"])
        trouble = result["failed"] or result["errors"]
        return self._notification(
            self.env._("Stock pushed"),
            message,
            kind="warning" if trouble else "success",
            sticky=bool(trouble),
        )

    def _push_stock(self, limit=STOCK_PUSH_LIMIT):
        """Push the queued quantities of these channels now, in this transaction (the manual
        push; jobs use ``_job_push_stock``), each channel in its own savepoint: one that cannot
        be reached is recorded in the sync log (its changes stay queued, its job retries them)
        and the next goes on. Quantities sent as a feed the channel processes later (Amazon)
        are checked by a later job: no transaction waits for them."""
        result = dict.fromkeys(
            ("sent", "failed", "unchanged", "busy", "submitted", "checked", "errors"), 0
        )
        result["problems"] = []
        self.env.flush_all()
        Outbox = self.env["ecom.stock.outbox"].sudo()
        for channel in self.filtered("active"):
            counts = channel._run_isolated(
                OP_PUSH_STOCK, lambda channel=channel: channel._push_stock_isolated(limit)
            )
            if counts is None:  # rolled back and recorded
                result["errors"] += 1
                result["problems"].append(
                    self.env._("%(channel)s: the push failed", channel=channel.name)
                )
                channel._ecom_push_stock_later()
                continue
            for key in ("sent", "failed", "unchanged", "busy", "submitted", "checked"):
                result[key] += counts[key]
            result["problems"] += counts["problems"]
            if Outbox._waiting_count(channel) or Outbox._next_due(channel):
                channel._ecom_push_stock_next(counts)
        return result

    def _push_stock_isolated(self, limit):
        """``_push_channel`` for ``_run_isolated``: a channel that took nothing raises its
        error (rolled back and logged by the caller)."""
        counts = self.env["ecom.stock.outbox"].sudo()._push_channel(self, limit)
        if counts["channel_error"] is not None:
            raise counts["channel_error"]
        return counts

    def _stock_push_succeeded(self, latencies=()):
        """The channel accepted quantities: remember when, and how long the changes took to
        reach it (``latencies``: timedeltas from the change to now) for its p90."""
        self.ensure_one()
        vals = {"stock_last_push_date": fields.Datetime.now()}
        if latencies:
            samples = list(self.stock_latency_samples or [])
            samples += [round(max(lat.total_seconds(), 0.0), 3) for lat in latencies]
            samples = samples[-LATENCY_SAMPLES:]
            vals.update(
                stock_latency_samples=samples,
                stock_push_latency_p90=self.env["ecom.stock.outbox"]._latency_p90(samples),
            )
        self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Stock reconcile: read (send), apply, log
    # ------------------------------------------------------------------

    def action_reconcile_stock(self):
        """Read the quantities the channel shows, report the drift, push the corrections."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        result = self._run_isolated(OP_RECONCILE_STOCK, self._reconcile_stock)
        if result is None:
            return self._notification(
                self.env._("Stock not reconciled"),
                self.env._("The channel could not be read: see the sync log."),
                kind="danger",
                sticky=True,
            )
        push = self._push_stock()
        message = self.env._(
            "%(checked)s listings checked, %(drift)s drifted, %(sent)s quantities sent.",
            checked=result["checked"],
            drift=result["drift"],
            sent=push["sent"],
        )
        if result["skipped"]:
            message += " " + self.env._(
                "%(count)s channel items could not be read: see the sync log.",
                count=result["skipped"],
            )
        message += self._problems_text(push["problems"])
        trouble = result["drift"] or result["skipped"] or push["failed"] or push["errors"]
        return self._notification(
            self.env._("Stock reconciled"), message, kind="warning" if trouble else "success"
        )

    @api.model
    def _cron_reconcile_stock(self):
        """Nightly: enqueue the reconcile job of every active channel not reconciled within
        half the cron's interval (one waiting job per channel). Return the channels."""
        now = fields.Datetime.now()
        interval = self._cron_interval(
            "ecom_channels.ecom_channel_cron_reconcile_stock", timedelta(days=1)
        )
        channels = self.search(
            [
                "|",
                ("stock_last_reconcile_date", "=", False),
                ("stock_last_reconcile_date", "<", now - interval / 2),
            ],
            order="stock_last_reconcile_date asc nulls first, id",
        )
        for channel in channels:
            channel.sudo()._ecom_delay(
                priority=RECONCILE_JOB_PRIORITY,
                description=self.env._("Reconcile stock with %(channel)s", channel=channel.name),
            )._job_reconcile_stock()
        return channels

    def _job_reconcile_stock(self):
        """Job: reconcile this channel; the corrections go to its push job. A channel that
        cannot be read goes through the retry rule (``_ecom_job_error``)."""
        self.ensure_one()
        if not self.active:
            return "channel archived"
        remote, error = self._read_remote_listings()
        if error is not None:
            self._ecom_job_error(error)
        result = self._reconcile_apply(remote)
        return "%(checked)s checked, %(drift)s drifted, %(queued)s queued" % result

    def _reconcile_stock(self):
        """Compare the quantity every published listing shows on the channel with the one we
        last sent and the one to publish (``_reconcile_apply``).

        Return its counts, or None when the channel could not be read (logged)."""
        self.ensure_one()
        remote, error = self._read_remote_listings()
        if error is not None:
            # Half a list would report every listing not read as lost: nothing is changed.
            self.env["ecom.sync.log"]._log(
                self, OP_RECONCILE_STOCK, "error", error.message, payload=error.payload
            )
            return None
        return self._reconcile_apply(remote)

    def _reconcile_remote(self, remote_listings):
        """The channel's quantities by key (external reference and SKU), the keys whose
        quantity cannot be read, and the sync log values reporting them."""
        remote, logs = {}, []
        for item in remote_listings:
            try:
                quantity = None if item.quantity is None else int(item.quantity)
            except (TypeError, ValueError):
                logs.append(
                    self.env["ecom.sync.log"]._vals(
                        self,
                        OP_RECONCILE_STOCK,
                        "warning",
                        self.env._(
                            "%(item)s: the channel's quantity %(qty)r is not a number; left out.",
                            item=self._describe_remote(item),
                            qty=item.quantity,
                        ),
                        payload=self._remote_payload(item),
                    )
                )
                for key in (item.external_ref, item.sku):
                    if key:
                        remote.setdefault(str(key), None)
                continue
            for key in (item.external_ref, item.sku):
                if key and quantity is not None:
                    remote.setdefault(str(key), quantity)
        unreadable = {key for key, qty in remote.items() if qty is None}
        remote = {key: qty for key, qty in remote.items() if qty is not None}
        return remote, unreadable, logs

    def _reconcile_apply(self, remote_listings):
        """Apply what the channel showed: drift (changed on the channel, or a listing the
        channel lost) is reported in the sync log; listings that show the wrong quantity are
        queued for a push (their last published quantity set to what the channel shows, one
        write per quantity). A channel item whose quantity cannot be read is reported and
        left out. Return ``{"checked", "drift", "queued", "skipped"}``."""
        self.ensure_one()
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        remote, unreadable, logs = self._reconcile_remote(remote_listings)
        skipped = len(logs)
        by_key, local = {}, {}
        listings.mapped("qty_to_publish")
        for listing in listings:
            key = listing.external_ref if listing.external_ref in remote else listing.default_code
            key = key or listing.external_ref or ""
            if key in unreadable or listing.external_ref in unreadable:
                continue
            by_key[key] = listing
            local[key] = (listing.qty_published, listing.qty_to_publish)
        drifts, to_push = find_drift(local, remote)
        # what the channel shows becomes the last published quantity: one write per quantity
        by_remote = defaultdict(list)
        for drift in drifts:
            if not drift.missing:
                by_remote[drift.remote].append(by_key[drift.key].id)
        Listing = self.env["ecom.channel.listing"].sudo()
        for quantity, ids in by_remote.items():
            Listing.browse(ids).write({"qty_published": quantity})
        queued = (
            self.env["ecom.stock.outbox"]
            .sudo()
            ._enqueue_listings([by_key[key].id for key in to_push])
        )
        logs += self._reconcile_log(drifts, by_key, len(local), len(to_push), skipped)
        self.env["ecom.sync.log"]._create_logs(logs)
        self.sudo().write({"stock_last_reconcile_date": fields.Datetime.now()})
        return {"checked": len(local), "drift": len(drifts), "queued": queued, "skipped": skipped}

    def _reconcile_log(self, drifts, by_key, checked, queued, skipped):
        """The sync log values of a reconcile that found ``drifts``."""
        if not drifts:
            return [
                self.env["ecom.sync.log"]._vals(
                    self,
                    OP_RECONCILE_STOCK,
                    "warning" if skipped else "ok",
                    self.env._(
                        "%(checked)s listings checked: every quantity on the channel is the one "
                        "last sent.",
                        checked=checked,
                    ),
                )
            ]
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
        logs = [
            self.env["ecom.sync.log"]._vals(
                self,
                OP_RECONCILE_STOCK,
                "warning",
                self.env._(
                    "%(drift)s of %(checked)s listings drifted on the channel; "
                    "%(queued)s corrections queued.\n%(lines)s",
                    drift=len(drifts),
                    checked=checked,
                    queued=queued,
                    lines="\n".join(lines),
                ),
            )
        ]
        logs += [
            self.env["ecom.sync.log"]._vals(
                by_key[d.key],
                OP_RECONCILE_STOCK,
                "warning",
                self.env._("The channel does not hold this listing any more."),
            )
            for d in drifts
            if d.missing
        ]
        return logs

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


class _ChannelTokenStore:
    """The client's token store (see ``tokens.py``): refreshes go through the channel."""

    def __init__(self, channel):
        self.channel = channel

    def refresh(self, stale, do_refresh):
        return self.channel._ecom_token_refresh(stale, do_refresh)
