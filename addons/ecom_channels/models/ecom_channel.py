# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
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
from ..ecom_channels_core.stock_sync import backoff_seconds, find_drift, sellable_quantity
from ..ecom_channels_core.tokens import ReconnectNeeded, TokenGrant, expiring
from .ecom_channel_requirement import ChannelRequirementCache

_logger = logging.getLogger(__name__)

#: Errors a job must not swallow: PostgreSQL asks to run the whole transaction again, which
#: Odoo does (RPC) or the next cron run does.
CONCURRENCY_ERRORS = PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
#: Longest a client built for a cron job may sleep in one call (retries, rate limits): beyond
#: it the call fails with the delay the channel asked for and the job is scheduled again then,
#: instead of waiting inside its transaction while it holds locks.
JOB_MAX_RETRY_WAIT = 10.0
#: Shortest wait before trying a channel again when it named a delay (Retry-After).
MIN_RETRY_DELAY = 10
#: Most listings one stock push handles (the cron runs again at once when more wait).
STOCK_PUSH_LIMIT = 1000
#: Seconds between two reads of the results of a quantity feed still processing.
FEED_CHECK_DELAY = 60
#: A feed whose results are still not ready after this long is given up: its quantities are
#: queued again.
FEED_GIVE_UP = timedelta(hours=2)
#: Wait before the nightly reconcile tries a channel again that could not be read, when the
#: channel named no delay.
RECONCILE_RETRY_DELAY = 3600
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
    stock_reconcile_retry_at = fields.Datetime(
        "Next Reconcile Attempt",
        readonly=True,
        copy=False,
        help="The last reconcile could not read the channel: the nightly job tries again then.",
    )
    publish_retry_at = fields.Datetime(
        "Next Automatic Publishing",
        readonly=True,
        copy=False,
        help="The channel asked to wait (rate limit) or the last publishing run failed: the "
        "publishing job leaves it alone until then (publishing by hand still works).",
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
        """Write one sync log line (as the system: users cannot write sync logs)."""
        return self.env["ecom.sync.log"]._create_logs(
            [self._sync_log_vals(operation, status, message, listing=listing, payload=payload)]
        )

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
    def _trigger_cron(self, xmlid, at=None):
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    @api.model
    def _retry_delay(self, error, default):
        """Seconds to wait before trying again after ``error``: the delay the channel asked for
        (at least MIN_RETRY_DELAY), else ``default``."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return max(float(retry_after), MIN_RETRY_DELAY)
        return default

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
            self._log_sync(operation, "error", message, payload=error.payload)
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
            self._log_sync("test connection", "error", exc.message, payload=exc.payload)
            return self._notification(
                self.env._("Connection failed"), exc.message, kind="danger", sticky=True
            )
        message = self.env._("Connected to %(account)s", account=info)
        self._log_sync("test connection", "ok", message)
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
            self._log_sync(
                "import listings", "error", read_error.message, payload=read_error.payload
            )
            return self._notification(
                self.env._("Import failed"), read_error.message, kind="danger", sticky=True
            )
        if not remote:
            message = self.env._("The channel holds no listings: nothing to import.")
            self._log_sync("import listings", "ok", message)
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
            self._sync_log_vals(
                "import listings",
                "error" if errors else "warning" if problems else "ok",
                "\n".join(lines),
                payload=read_error.payload if read_error is not None else None,
            )
        ]
        failures = []
        for remote_listing, message in result["failed"]:
            failures.append("%s: %s" % (remote_listing.sku or remote_listing.external_ref, message))
            logs.append(
                self._sync_log_vals(
                    "import listings",
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
        kind = "danger" if errors else "warning" if problems else "success"
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

    @api.model
    def _cron_publish_listings(self, limit=200):
        """Publish what waits on every active channel, one channel at a time, ``limit``
        listings of it per call, oldest change first.

        In a cron worker each call handles one channel, in its own savepoint, and reports its
        progress: Odoo commits it and calls again while channels wait. A listing that failed is
        tried again at the next run, not in this one; a channel that asked to wait (rate limit)
        or failed as a whole is left alone until its ``publish_retry_at``. Outside a cron
        worker (shell, tests), one call handles every channel."""
        Listing = self.env["ecom.channel.listing"]
        in_job = self._in_cron_job()
        handled = self.browse()
        totals = {"published": 0, "failed": 0, "postponed": 0}
        while True:
            first = Listing.search(
                self._cron_publish_domain(handled), limit=1, order="write_date, id"
            )
            if not first:
                break
            channel = first.channel_id
            handled |= channel
            result = (
                channel._run_isolated(
                    "publish",
                    lambda channel=channel: channel._cron_publish_channel(limit),
                    on_error=channel._publish_wait,
                )
                or {}
            )
            for key in totals:
                totals[key] += result.get(key, 0)
            if in_job:
                remaining = Listing._read_group(
                    self._cron_publish_domain(self.browse()), ["channel_id"]
                )
                self.env["ir.cron"]._notify_progress(
                    done=max(result.get("published", 0) + result.get("failed", 0), 1),
                    remaining=len(remaining),
                )
                break
        _logger.info(
            "channel publishing: %d listings published, %d failed, %d left for later",
            totals["published"],
            totals["failed"],
            totals["postponed"],
        )
        return totals

    @api.model
    def _cron_publish_domain(self, exclude):
        """Listings the publishing job sends: those waiting on active channels (but
        ``exclude``) that do not wait for a retry, minus the ones that failed in this run."""
        now = fields.Datetime.now()
        channels = self.search(
            [
                ("id", "not in", exclude.ids),
                "|",
                ("publish_retry_at", "=", False),
                ("publish_retry_at", "<=", now),
            ]
        )
        interval = self._cron_interval("ecom_channels.ecom_channel_cron_publish")
        return channels._publish_domain() + [
            "|",
            ("state", "!=", "error"),
            ("write_date", "<", now - interval / 2),
        ]

    def _cron_publish_channel(self, limit):
        self.ensure_one()
        listings = self.env["ecom.channel.listing"].search(
            self._cron_publish_domain(self.browse()) + [("channel_id", "=", self.id)],
            limit=limit,
            order="write_date, id",
        )
        return listings._publish()

    def _publish_wait(self, error):
        """The channel asked to wait (``error.retry_after``) or failed as a whole: the
        publishing job leaves it alone for a while and runs again then. Return the message
        for the sync log."""
        self.ensure_one()
        interval = self._cron_interval("ecom_channels.ecom_channel_cron_publish")
        delay = self._retry_delay(error, interval.total_seconds() / 2)
        retry_at = fields.Datetime.add(fields.Datetime.now(), seconds=delay)
        self.sudo().publish_retry_at = retry_at
        self._trigger_cron("ecom_channels.ecom_channel_cron_publish", retry_at)
        return self.env._(
            "%(error)s The publishing job tries this channel again at %(retry)s.",
            error=error.message,
            retry=retry_at,
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

    @api.model
    def _cron_push_stock(self, limit=STOCK_PUSH_LIMIT):
        """Push the queued quantities of every active channel, ``limit`` listings per call.

        In a cron worker each call handles one channel (the one with the oldest change due),
        in its own savepoint, and reports the listings still waiting: Odoo commits the call and
        calls again while some wait (Odoo's cron progress API); past its batch limit, the cron
        is triggered again. Outside a cron worker, one call handles every channel."""
        result = self.search([])._push_stock(limit=limit, one_channel=self._in_cron_job())
        _logger.info(
            "stock push: %d sent, %d failed, %d unchanged, %d submitted, %d waiting",
            result["sent"],
            result["failed"],
            result["unchanged"],
            result["submitted"],
            result["remaining"],
        )
        done = sum(
            result[key] for key in ("sent", "failed", "unchanged", "submitted", "checked", "errors")
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=result["remaining"])
        if result["remaining"] and done:
            self._trigger_cron("ecom_channels.ecom_channel_cron_push_stock")
        return result

    def _push_stock(self, limit=STOCK_PUSH_LIMIT, force=False, one_channel=False):
        """Push the queued quantities of these channels, oldest change first, ``limit``
        listings at most; channels in backoff wait unless ``force``. Each channel runs in its
        own savepoint: an error that escapes one is recorded and backs it off, and the next
        channel goes on. With ``one_channel``, stop after the first channel that had work.

        Each listing pushed is locked (``FOR NO KEY UPDATE ... SKIP LOCKED``) for the rest of
        the transaction: two workers never push the same listing at once, while the stock
        operations, which only insert outbox rows, never wait for a push. Quantities sent as a
        feed the channel processes later (Amazon) are checked by a later run: no transaction
        waits for them.
        """
        result = dict.fromkeys(
            ("sent", "failed", "unchanged", "busy", "remaining", "submitted", "checked", "errors"),
            0,
        )
        result["problems"] = []
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
        for channel in channels._stock_push_order():
            if budget <= 0:
                break
            counts = channel._run_isolated(
                "push stock",
                lambda channel=channel, budget=budget: channel._push_stock_channel(budget),
                on_error=channel._stock_push_failed_message,
            )
            if counts is None:  # rolled back and recorded
                result["errors"] += 1
                result["problems"].append(
                    self.env._("%(channel)s: the push failed", channel=channel.name)
                )
                if one_channel:
                    break
                continue
            budget -= counts["claimed"]
            for key in ("sent", "failed", "unchanged", "busy", "submitted", "checked"):
                result[key] += counts[key]
            result["problems"] += counts["problems"]
            worked = counts["claimed"] or counts["checked"]
            if one_channel and worked:
                break
        waiting = self.filtered(
            lambda c: c.active and (not c.stock_push_retry_at or c.stock_push_retry_at <= now)
        )
        result["remaining"] = waiting._stock_outbox_waiting() + waiting._stock_feeds_due()
        return result

    def _stock_push_order(self):
        """These channels that have quantities or feed results due, the oldest first."""
        if not self:
            return self
        self.env.cr.execute(
            SQL(
                """SELECT channel_id, min(first) FROM (
                       SELECT o.channel_id, min(o.id) AS first
                         FROM ecom_stock_outbox o
                        WHERE o.channel_id = ANY(%(ids)s) AND o.feed_id IS NULL
                          AND (o.next_attempt IS NULL
                               OR o.next_attempt <= now() AT TIME ZONE 'UTC')
                     GROUP BY o.channel_id
                    UNION ALL
                       SELECT f.channel_id, 0
                         FROM ecom_stock_feed f
                        WHERE f.channel_id = ANY(%(ids)s) AND f.next_check <= %(now)s
                   ) AS due
                   GROUP BY channel_id
                   ORDER BY min(first), channel_id""",
                ids=self.ids,
                now=fields.Datetime.now(),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _push_stock_channel(self, limit):
        """Read the results of this channel's feeds that are due, then claim and push up to
        ``limit`` listings. Return the counts of ``_push_quantities`` plus ``claimed``,
        ``busy`` and ``checked`` (feeds read)."""
        self.ensure_one()
        counts = {"sent": 0, "failed": 0, "unchanged": 0, "submitted": 0, "problems": []}
        feeds = self.env["ecom.stock.feed"].sudo()._claim_due(self)
        counts["checked"] = len(feeds)
        if feeds:
            feed_counts = feeds._check_results()
            for key in ("sent", "failed"):
                counts[key] += feed_counts[key]
            counts["problems"] += feed_counts["problems"]
        listings, events, busy = self._claim_stock_outbox(limit)
        counts.update(claimed=len(listings), busy=busy)
        if listings:
            pushed = listings._push_quantities(self, events)
            for key in ("sent", "failed", "unchanged", "submitted"):
                counts[key] += pushed.get(key, 0)
            counts["problems"] += pushed.get("problems", [])
        return counts

    def _claim_stock_outbox(self, limit):
        """Lock up to ``limit`` listings of this channel that have queued changes due now, oldest
        change first, skipping those another worker holds and those whose quantity is in a feed
        the channel is still processing.

        Return ``(listings, {listing id: [outbox ids]}, busy)``: the outbox rows are the ones
        this transaction sees, and only they are deleted after the push; ``busy`` counts the
        listings skipped because another worker is pushing them."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute(
            SQL(
                """WITH due AS (
                       SELECT o.listing_id, min(o.id) AS first_id
                         FROM ecom_stock_outbox o
                        WHERE o.channel_id = %s AND o.feed_id IS NULL
                          AND (o.next_attempt IS NULL
                               OR o.next_attempt <= now() AT TIME ZONE 'UTC')
                          AND NOT EXISTS (SELECT 1 FROM ecom_stock_outbox f
                                           WHERE f.listing_id = o.listing_id
                                             AND f.feed_id IS NOT NULL)
                     GROUP BY o.listing_id)
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
        busy = 0
        if len(ids) < limit:
            busy = self._stock_outbox_waiting(exclude=ids)
        if not ids:
            return self.env["ecom.channel.listing"], {}, busy
        cr.execute(
            SQL(
                "SELECT listing_id, array_agg(id) FROM ecom_stock_outbox"
                " WHERE listing_id = ANY(%s) AND feed_id IS NULL GROUP BY listing_id",
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

    def _stock_outbox_waiting(self, exclude=()):
        """Listings of these channels (not in ``exclude``) with queued changes due now (not in
        backoff, not in a feed the channel is processing); the channels' own backoff is the
        caller's business."""
        self.env.cr.execute(
            SQL(
                """SELECT count(DISTINCT o.listing_id)
                     FROM ecom_stock_outbox o
                    WHERE o.channel_id = ANY(%s) AND o.feed_id IS NULL
                      AND o.listing_id != ALL(%s)
                      AND (o.next_attempt IS NULL OR o.next_attempt <= now() AT TIME ZONE 'UTC')
                      AND NOT EXISTS (SELECT 1 FROM ecom_stock_outbox f
                                       WHERE f.listing_id = o.listing_id
                                         AND f.feed_id IS NOT NULL)""",
                self.ids,
                list(exclude),
            )
        )
        return self.env.cr.fetchone()[0]

    def _stock_feeds_due(self):
        """Feeds of these channels whose results are due to be read."""
        if not self:
            return 0
        return (
            self.env["ecom.stock.feed"]
            .sudo()
            .search_count(
                [("channel_id", "in", self.ids), ("next_check", "<=", fields.Datetime.now())]
            )
        )

    def _stock_push_succeeded(self):
        self.ensure_one()
        vals = {"stock_last_push_date": fields.Datetime.now()}
        if self.stock_push_failures or self.stock_push_retry_at:
            vals.update(stock_push_failures=0, stock_push_retry_at=False)
        self.sudo().write(vals)

    def _stock_push_failed(self, error=None):
        """The channel could not be reached: back off before the next automatic push (the
        delay it asked for, else longer after each failure in a row) and wake the push job
        up then. Return when."""
        self.ensure_one()
        failures = self.stock_push_failures + 1
        delay = self._retry_delay(error, backoff_seconds(failures))
        retry_at = fields.Datetime.add(fields.Datetime.now(), seconds=delay)
        self.sudo().write({"stock_push_failures": failures, "stock_push_retry_at": retry_at})
        self._trigger_cron("ecom_channels.ecom_channel_cron_push_stock", retry_at)
        return retry_at

    def _stock_push_failed_message(self, error):
        """``_run_isolated`` hook: back off, say so in the sync log line."""
        retry_at = self._stock_push_failed(error)
        return self.env._(
            "The stock push stopped: %(error)s The quantities stay in the outbox until %(retry)s.",
            error=error.message,
            retry=retry_at,
        )

    # ------------------------------------------------------------------
    # Stock reconcile
    # ------------------------------------------------------------------

    def action_reconcile_stock(self):
        """Read the quantities the channel shows, report the drift, queue the corrections."""
        self.ensure_one()
        self.env["ecom.channel.listing"].check_access("write")
        result = self._run_isolated("reconcile stock", self._reconcile_stock)
        if result is None:
            return self._notification(
                self.env._("Stock not reconciled"),
                self.env._("The channel could not be read: see the sync log."),
                kind="danger",
                sticky=True,
            )
        push = self._push_stock(force=True)
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
        """Nightly: reconcile every active channel, then let the push cron send corrections.

        One channel per call in a cron worker, in its own savepoint (Odoo commits each and
        calls again while channels wait); every channel in one call elsewhere. A channel is due
        when it was not reconciled within half the job's interval and does not wait for a
        retry; one that could not be read is tried again later (the delay it asked for, else
        an hour), the job being woken up then."""
        in_job = self._in_cron_job()
        handled = self.browse()
        while True:
            due = self._reconcile_due(handled)
            if not due:
                break
            channel = due[0]
            handled |= channel
            channel._run_isolated(
                "reconcile stock", channel._reconcile_stock, on_error=channel._reconcile_failed
            )
            if in_job:
                self.env["ir.cron"]._notify_progress(
                    done=1, remaining=len(self._reconcile_due(self.browse()))
                )
                break
        if handled:
            self._trigger_cron("ecom_channels.ecom_channel_cron_push_stock")
        return handled

    @api.model
    def _reconcile_due(self, exclude):
        """Active channels (but ``exclude``) the nightly reconcile has still to read."""
        now = fields.Datetime.now()
        interval = self._cron_interval(
            "ecom_channels.ecom_channel_cron_reconcile_stock", timedelta(days=1)
        )
        return self.search(
            [
                ("id", "not in", exclude.ids),
                "|",
                ("stock_last_reconcile_date", "=", False),
                ("stock_last_reconcile_date", "<", now - interval / 2),
                "|",
                ("stock_reconcile_retry_at", "=", False),
                ("stock_reconcile_retry_at", "<=", now),
            ],
            order="stock_last_reconcile_date asc nulls first, id",
        )

    def _reconcile_failed(self, error):
        """The channel could not be reconciled: the nightly job tries again later. Return the
        message for the sync log."""
        self.ensure_one()
        retry_at = fields.Datetime.add(
            fields.Datetime.now(), seconds=self._retry_delay(error, RECONCILE_RETRY_DELAY)
        )
        self.sudo().stock_reconcile_retry_at = retry_at
        self._trigger_cron("ecom_channels.ecom_channel_cron_reconcile_stock", retry_at)
        return self.env._(
            "The channel's quantities could not be read: %(error)s The reconcile tries again "
            "at %(retry)s.",
            error=error.message,
            retry=retry_at,
        )

    def _reconcile_stock(self):
        """Compare the quantity every published listing shows on the channel with the one we
        last sent and the one to publish. Drift (changed on the channel, or a listing the
        channel lost) is reported in the sync log; listings that show the wrong quantity are
        queued for a push (their last published quantity set to what the channel shows), each
        in its own savepoint. A channel item whose quantity cannot be read is reported and
        left out.

        Return ``{"checked": n, "drift": m, "queued": k, "skipped": s}``, or None when the
        channel could not be read (logged; the nightly job tries it again later)."""
        self.ensure_one()
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", self.id), ("state", "=", "published")]
        )
        remote_listings, error = self._read_remote_listings()
        if error is not None:
            # Half a list would report every listing not read as lost: nothing is changed.
            self._log_sync(
                "reconcile stock", "error", self._reconcile_failed(error), payload=error.payload
            )
            return None
        remote, logs = {}, []
        for item in remote_listings:
            try:
                quantity = None if item.quantity is None else int(item.quantity)
            except (TypeError, ValueError):
                logs.append(
                    self._sync_log_vals(
                        "reconcile stock",
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
        skipped = len(logs)
        unreadable = {key for key, qty in remote.items() if qty is None}
        remote = {key: qty for key, qty in remote.items() if qty is not None}
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
        for drift in drifts:
            if drift.missing:
                continue
            listing = by_key[drift.key]
            try:
                with self.env.cr.savepoint():
                    listing.sudo().write({"qty_published": drift.remote})
            except CONCURRENCY_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - reported, the others go on
                _logger.exception("reconcile of listing %s failed", listing.id)
                logs.append(
                    self._sync_log_vals(
                        "reconcile stock",
                        "error",
                        self._unexpected_error(exc).message,
                        listing=listing,
                    )
                )
        queued = (
            self.env["ecom.stock.outbox"]
            .sudo()
            ._enqueue_listings([by_key[key].id for key in to_push])
        )
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
                        checked=len(local),
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
                    "warning" if skipped else "ok",
                    self.env._(
                        "%(checked)s listings checked: every quantity on the channel is the one "
                        "last sent.",
                        checked=len(local),
                    ),
                )
            )
        self.env["ecom.sync.log"]._create_logs(logs)
        self.sudo().write(
            {"stock_last_reconcile_date": fields.Datetime.now(), "stock_reconcile_retry_at": False}
        )
        return {
            "checked": len(local),
            "drift": len(drifts),
            "queued": queued,
            "skipped": skipped,
        }

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
