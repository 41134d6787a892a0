"""The neutral interface every channel client offers to the ORM layer."""

import functools
import inspect
import logging
import math
import time
from datetime import datetime, timedelta, timezone

from .errors import ChannelError, MissingFieldsError
from .http import MAX_RESPONSE_SIZE, HttpTransport, RetryPolicy, TokenBucket
from .payloads import QuantityResult, RemoteOrder
from .requirements import missing_fields
from .tokens import ReconnectNeeded, expiring, refresh_grant

_logger = logging.getLogger(__name__)


def utc_naive(value):
    """Parse an ISO 8601 date (``Z`` or offset) into a naive UTC datetime; None stays None."""
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def iso_utc(value):
    """A naive-UTC (or aware) datetime as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return utc_naive(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value):
    """A price as the string channels expect: two decimals."""
    return "%.2f" % float(value or 0)


def to_float(value, default=None):
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if math.isfinite(number) else default


def to_int(value, default=None):
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


#: Errors raised when data has not the expected shape (a missing key, a null list, a text where
#: a number belongs...).
SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError)


def shown(value, limit=60):
    """A value as quoted in a problem message: ``'yesterday'``, ``None``, ``{'a': 1}``, cut."""
    text = "'%s'" % value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else "%s..." % text[: limit - 3]


class OrderReader:
    """Reads the fields of one order (or any record: a payout...), noting in ``problems`` what
    cannot be read instead of raising. Each reader method returns a usable default when the
    value is unusable.

    Messages are plain words naming the field and the value, e.g. ``order date 'yesterday'
    cannot be read`` or ``line 2 (SKU MUG-1): quantity 'two' is not a number``. Values that can
    be read are passed through as they are (negative amounts, unknown currency codes, future
    dates are the importer's business).
    """

    #: ``shown(value)``: a value as quoted in a problem message.
    shown = staticmethod(shown)

    def __init__(self):
        self.problems = []
        self.external_ref = ""

    def note(self, message):
        if message not in self.problems:
            self.problems.append(message)

    def ref(self, value, what="order id"):
        """An identifier as text; missing (None, empty, not a scalar) gives ``""``."""
        if value is None or value == "" or isinstance(value, bool):
            self.note("%s is missing" % what)
            return ""
        if not isinstance(value, str | int):
            self.note("%s %s cannot be read" % (what, shown(value)))
            return ""
        return str(value).strip()

    def order_ref(self, value):
        self.external_ref = self.ref(value)
        return self.external_ref

    def date(self, value, what, required=False):
        """A naive UTC datetime from an ISO 8601 date; None when missing or unreadable."""
        if value is None or value == "":
            if required:
                self.note("%s is missing" % what)
            return None
        try:
            return utc_naive(value)
        except (TypeError, ValueError, OverflowError, AttributeError):
            self.note("%s %s cannot be read" % (what, shown(value)))
            return None

    def number(self, value, what, default=0.0, required=False):
        """A number (an int when it is a whole one and ``default`` is an int)."""
        if value is None or value == "":
            if required:
                self.note("%s is missing" % what)
            return default
        number = None if isinstance(value, bool | dict | list) else to_float(value)
        if number is None:
            self.note("%s %s is not a number" % (what, shown(value)))
            return default
        if isinstance(default, int) and number == int(number):
            return int(number)
        return number

    def text(self, value, what):
        """A text field; numbers become text, None ``""``; objects and lists are problems."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.note("%s %s cannot be read" % (what, shown(value)))
        return ""

    def mapping(self, value, what):
        """An object (dict); None gives ``{}``, anything else is a problem."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.note("%s is not an object: %s" % (what, shown(value)))
        return {}

    def items(self, value, what, required=True, single=False):
        """A list; None (a ``null`` array, or none at all) is a problem when ``required``.
        ``single``: one object stands for a list of one (XML converted to dicts)."""
        if value is None:
            if required:
                self.note("%s is missing (null)" % what)
            return []
        if isinstance(value, list):
            return value
        if single and isinstance(value, dict):
            return [value]
        self.note("%s is not a list: %s" % (what, shown(value)))
        return []

    def entries(self, values, what):
        """``(number, entry)`` of the objects of a list; an entry that is not an object is a
        problem and left out."""
        for number, entry in enumerate(values, start=1):
            if isinstance(entry, dict):
                yield number, entry
            else:
                self.note("%s %d is not an object: %s" % (what, number, shown(entry)))


def line_label(number, sku):
    return "line %d%s" % (number, " (SKU %s)" % sku if sku else "")


#: Public client methods: a shape error inside becomes a ChannelError naming the operation, and
#: each call (or generator) is one ``max_retry_wait`` budget.
GUARDED = {
    "test_connection": "the connection test",
    "list_listings": "reading the listings",
    "find_listing": "looking up a listing",
    "publish": "publishing a listing",
    "set_quantities": "setting quantities",
    "submit_quantities": "submitting quantities",
    "quantity_results": "reading the quantity results",
    "wait_for_feed": "waiting for a feed",
    "fetch_orders": "reading the orders",
    "mark_shipped": "reporting a shipment",
    "end_listing": "ending a listing",
}


def _guard(name, func):
    """Wrap a public method (see GUARDED)."""
    if getattr(func, "_ecom_guarded", False):
        return func
    what = GUARDED.get(name, name)

    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def generator(self, *args, **kwargs):
            inner = func(self, *args, **kwargs)
            waited = 0.0
            try:
                while True:
                    with self.transport.wait_scope(start=waited):
                        try:
                            item = next(inner)
                        except StopIteration:
                            return
                        except ChannelError:
                            raise
                        except SHAPE_ERRORS as exc:
                            raise self.shape_error(what, exc) from exc
                        waited = self.transport.waited
                    yield item
            finally:
                inner.close()

        generator._ecom_guarded = True
        return generator

    @functools.wraps(func)
    def method(self, *args, **kwargs):
        with self.transport.wait_scope():
            try:
                return func(self, *args, **kwargs)
            except ChannelError:
                raise
            except SHAPE_ERRORS as exc:
                raise self.shape_error(what, exc) from exc

    method._ecom_guarded = True
    return method


class ChannelClient:
    """Base of the four clients.

    Constructor arguments map the ``ecom.channel`` fields: ``base_url`` (api_base_url),
    ``api_key``, ``api_secret``, ``access_token``, ``account_ref``; ``options`` holds
    channel-specific settings. ``timeout``, ``retry``, ``clock``, ``sleep`` and ``session`` tune
    or replace the HTTP behaviour (tests pass a fake clock and sleep).

    Limits (see ``http.HttpTransport``): ``deadline`` (seconds one HTTP exchange may take in
    total; default ``max(60, 2 x read timeout)``), ``max_response_size`` and
    ``max_decoded_size`` (bytes of one answer as received and once decompressed, 20 MB each),
    ``max_retry_wait`` (seconds the client may sleep in total within one method call: retry
    backoff, ``Retry-After``, rate limits, feed polling; None, the default, does not limit it).
    When the next wait would pass ``max_retry_wait`` the retryable ChannelError is raised at once
    with ``retry_after`` set, so that the caller reschedules instead of waiting.

    Tokens (see ``tokens.py``): a client whose class declares a ``token_flow`` takes
    ``refresh_token``, ``token_url`` (the flow's live endpoint when empty), ``token_expires_at``
    (naive UTC, None: unknown) and ``token_store`` (an object whose ``refresh(stale_token,
    do_refresh)`` returns the TokenGrant to use: the one another worker stored meanwhile, or
    ``do_refresh()``'s, stored; ``do_refresh`` raises ReconnectNeeded when the channel refuses).

    Every public method raises ChannelError for any failure (never a raw Python exception);
    ``fetch_orders`` yields an order it cannot fully read with ``problems`` filled instead.
    """

    channel_type = ""
    label = "Channel"
    #: Most quantity updates one API call accepts.
    quantity_batch_size = 1
    #: Default rate limit (calls per second, burst) when the API publishes one.
    rate_limit = (5.0, 10.0)
    #: True when quantities are best sent with ``submit_quantities`` and their outcome read
    #: later with ``quantity_results`` (the channel processes them asynchronously: Amazon).
    async_quantities = False
    #: The tokens.TokenFlow of the channel type (None: its credentials do not expire).
    token_flow = None

    def __init_subclass__(cls, **kwargs):
        for name in GUARDED:
            if name in cls.__dict__ and callable(cls.__dict__[name]):
                setattr(cls, name, _guard(name, cls.__dict__[name]))
        return super().__init_subclass__(**kwargs)

    def __init__(
        self,
        base_url,
        *,
        api_key="",
        api_secret="",
        access_token="",
        account_ref="",
        options=None,
        refresh_token="",
        token_url="",
        token_expires_at=None,
        token_store=None,
        requirement_cache=None,
        timeout=(5.0, 30.0),
        retry=None,
        clock=time.monotonic,
        sleep=time.sleep,
        session=None,
        rate_limit=None,
        deadline=None,
        max_response_size=MAX_RESPONSE_SIZE,
        max_decoded_size=MAX_RESPONSE_SIZE,
        max_retry_wait=None,
    ):
        if not base_url:
            raise ChannelError("%s: the channel has no API base URL" % self.label)
        self.api_key = api_key or ""
        self.api_secret = api_secret or ""
        self.access_token = access_token or ""
        self.account_ref = account_ref or ""
        self.options = dict(options or {})
        self.refresh_token = refresh_token or ""
        flow = self.token_flow
        self.token_url = token_url or (flow.default_url if flow else "")
        self.token_expires_at = token_expires_at
        self.token_store = token_store
        #: Where the requirements read from the channel are kept between clients: an object
        #: with ``get(key)`` (a Requirements, or None) and ``put(key, requirements)``.
        self.requirement_cache = requirement_cache
        self._requirements = {}
        #: Token refreshes this client made (or adopted from another worker).
        self.token_refreshes = 0
        self._timeout = timeout
        self._token_transport = None
        #: The ReconnectNeeded of a refused refresh: from then on nothing is sent.
        self.reconnect_error = None
        # token expiries follow the injected clock (tests move it), anchored on the real time
        self._token_epoch = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(
            seconds=clock()
        )
        self.clock = clock
        self.sleep = sleep
        self.retry = retry or RetryPolicy()
        rate, burst = rate_limit or self.rate_limit
        self.limiter = TokenBucket(rate, burst, clock=clock, sleep=sleep)
        self.transport = HttpTransport(
            base_url,
            channel=self.label,
            secrets=self.secrets,
            timeout=timeout,
            retry=self.retry,
            limiter=self.limiter,
            clock=clock,
            sleep=sleep,
            session=session,
            headers={"Accept": "application/json", "User-Agent": "ecom-backoffice/18.0"},
            deadline=deadline,
            max_response_size=max_response_size,
            max_decoded_size=max_decoded_size,
            max_retry_wait=max_retry_wait,
        )

    @property
    def on_retry(self):
        """Called with a plain-words message each time a call fails and is retried."""
        return self.transport.on_retry

    @on_retry.setter
    def on_retry(self, callback):
        self.transport.on_retry = callback

    @property
    def max_retry_wait(self):
        return self.transport.max_retry_wait

    # ------------------------------------------------------------------ helpers
    @property
    def secrets(self):
        values = (self.api_key, self.api_secret, self.access_token, self.refresh_token)
        return tuple(s for s in values if s)

    # ------------------------------------------------------------------ tokens
    def token_transport(self):
        """The transport of token calls: a session of its own, without the API's token
        headers (they never go to the token host), with the same limits."""
        if self._token_transport is None:
            self._token_transport = HttpTransport(
                self.token_url,
                channel=self.label,
                secrets=self.secrets,
                timeout=self._timeout,
                retry=self.retry,
                clock=self.clock,
                sleep=self.sleep,
                headers={"User-Agent": "ecom-backoffice/18.0"},
                max_retry_wait=self.transport.max_retry_wait,
            )
        return self._token_transport

    def token_now(self):
        """Now as naive UTC, on the client's clock (expiries of tokens)."""
        return self._token_epoch + timedelta(seconds=self.clock())

    def ensure_token(self):
        """Refresh the access token before a call when it is missing or about to expire."""
        if self.token_flow is None:
            return
        self._check_reconnect()
        if not self.access_token or expiring(self.token_expires_at, self.token_now()):
            self.refresh_access_token()

    def _check_reconnect(self):
        if self.reconnect_error is not None:
            raise ReconnectNeeded(self.reconnect_error.message, reason=self.reconnect_error.reason)

    def refresh_access_token(self):
        """Get a new access token with the refresh token (through the token store when there
        is one) and use it from now on. Raises ReconnectNeeded when the channel refuses."""
        if self.token_flow is None:
            raise self.error("%s: this channel has no token to refresh" % self.label)
        stale = self.access_token

        def do_refresh():
            return refresh_grant(
                self.token_transport(),
                self.token_flow,
                self.token_url,
                self.api_key,
                self.api_secret,
                self.refresh_token,
                label=self.label,
                scope=self.options.get("token_scope"),
                now=self.token_now(),
            )

        self._check_reconnect()
        try:
            if self.token_store is not None:
                grant = self.token_store.refresh(stale, do_refresh)
            else:
                grant = do_refresh()
        except ReconnectNeeded as exc:
            self.reconnect_error = exc
            raise
        self.token_refreshes += 1
        self.use_token(grant)
        return grant

    def use_token(self, grant):
        """Use the TokenGrant ``grant`` for the next calls."""
        self.access_token = grant.access_token
        self.token_expires_at = grant.expires_at
        if grant.refresh_token:
            self.refresh_token = grant.refresh_token
        self.transport.secrets = self.secrets
        if self._token_transport is not None:
            self._token_transport.secrets = self.secrets
        self.token_changed()

    def token_changed(self):
        """Hook: the access token changed (a client sending it as a session header updates
        it here)."""

    def token_rejected(self, error):
        """Whether ``error`` says the access token expired or is invalid (refresh and retry
        once). REST APIs: HTTP 401."""
        return error.status == 401

    def with_token(self, send):
        """``send()`` with a valid access token; refreshed once and sent once more when the
        channel answers that the token expired or is invalid."""
        self.ensure_token()
        try:
            return send()
        except ReconnectNeeded:
            raise
        except ChannelError as exc:
            if self.token_flow is None or not self.token_rejected(exc):
                raise
            _logger.info("%s: the access token was refused; refreshing it once", self.label)
            refused = exc.message
        try:
            self.refresh_access_token()
        except ReconnectNeeded as exc:
            exc.message = "%s; %s" % (refused, exc.message)
            exc.args = (exc.message,)
            raise
        return send()

    def error(self, message, **kwargs):
        return ChannelError(message, secrets=self.transport.secrets, **kwargs)

    def shape_error(self, what, exc):
        """The ChannelError of data of an unexpected shape met while ``what``."""
        _logger.warning("%s: unexpected data while %s (%s)", self.label, what, type(exc).__name__)
        _logger.debug("%s: unexpected data while %s", self.label, what, exc_info=True)
        detail = self.transport.excerpt(str(exc), 200)  # secrets removed before the cut
        return self.error(
            "%s: the channel's answer could not be read while %s (%s: %s)"
            % (self.label, what, type(exc).__name__, detail)
        )

    def wait(self, seconds, error):
        """Sleep ``seconds`` within ``max_retry_wait``, or raise ``error`` (retryable, with
        ``retry_after``) at once when that would pass it."""
        self.transport.wait(seconds, error)

    def bucket(self, rate, burst):
        return TokenBucket(rate, burst, clock=self.clock, sleep=self.sleep)

    def close(self):
        self.transport.close()
        if self._token_transport is not None:
            self._token_transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def new_reader(self):
        """An OrderReader, for other readers of this channel's data (e.g. payouts)."""
        return OrderReader()

    def read_order(self, data, fill, *args):
        """The RemoteOrder of one order's raw data; never raises for bad data.

        ``fill(data, reader, *args)`` builds the RemoteOrder with an OrderReader; whatever it
        notes goes to ``problems``; data of a shape it did not expect (an exception) gives an
        order with only what was read so far (its id) and a problem saying what broke. ``raw``
        is always the order's payload (``{"value": data}`` when it is not an object).
        """
        reader = OrderReader()
        if not isinstance(data, dict):
            reader.note("the order is not an object: %s" % shown(data))
            return RemoteOrder(external_ref="", raw={"value": data}, problems=reader.problems)
        try:
            order = fill(data, reader, *args)
        except SHAPE_ERRORS as exc:
            _logger.info(
                "%s: order %s could not be read (%s)",
                self.label,
                reader.external_ref or "?",
                type(exc).__name__,
                exc_info=True,
            )
            reader.note(
                "the order could not be read (%s: %s)" % (type(exc).__name__, shown(exc, 200))
            )
            order = RemoteOrder(external_ref=reader.external_ref)
        order.raw = data
        order.problems = reader.problems + [p for p in order.problems if p not in reader.problems]
        return order

    # ------------------------------------------------------------------ interface
    def missing_fields(self, payload):
        return missing_fields(self.channel_type, payload)

    # ------------------------------------------------------------------ channel requirements
    def requirement_key(self, payload):
        """The key of the requirements that apply to ``payload`` (a text: the marketplace or
        site and the product type or category); empty when there are none to read."""
        return ""

    def channel_requirements(self, payload):
        """Read from the channel what it requires for ``payload`` (a Requirements)."""
        raise NotImplementedError

    def sent_attribute_names(self, payload):
        """The channel attribute names a publish of ``payload`` sends with a value."""
        return {name for name, value in payload.channel_attributes.items() if value}

    def requirements(self, payload):
        """The Requirements of ``payload``, from the cache or else read from the channel
        (a read: nothing of the listing is sent); None when the channel has none."""
        key = self.requirement_key(payload)
        if not key:
            return None
        if key not in self._requirements:
            found = self.requirement_cache.get(key) if self.requirement_cache else None
            if found is None:
                found = self.channel_requirements(payload)
                if self.requirement_cache is not None:
                    self.requirement_cache.put(key, found)
            self._requirements[key] = found
        return self._requirements[key]

    def missing_attributes(self, payload):
        """The required channel attributes ``payload`` lacks, in plain words (empty: none)."""
        found = self.requirements(payload)
        if not found:
            return []
        sent = self.sent_attribute_names(payload)
        missing = [name for name in found.required if name not in sent]
        if not missing:
            return []
        return [
            "the %s attribute%s %s (required by %s)"
            % (self.label, "s" if len(missing) > 1 else "", ", ".join(missing), found.source)
        ]

    def test_connection(self):
        """Call the channel with the credentials; return a short description of the account."""
        raise NotImplementedError

    def list_listings(self):
        """Yield every RemoteListing the channel holds for this account."""
        raise NotImplementedError

    def find_listing(self, sku):
        """The RemoteListing with this SKU, or None."""
        raise NotImplementedError

    def publish(self, payload):
        """Create or update the listing of ``payload.sku``; return its external reference.

        Idempotent: the channel is searched by SKU before anything is created, and again before
        each retry, so a create that timed out but went through is updated, not duplicated.
        """
        missing = self.missing_fields(payload) or self.missing_attributes(payload)
        if missing:
            raise MissingFieldsError(missing, payload.sku)
        attempt = 0
        while True:
            attempt += 1
            try:
                existing = self.find_listing(payload.sku)
                if existing is not None:
                    return self._update(existing, payload)
                return self._create(payload)
            except ChannelError as exc:
                if not exc.retryable or attempt >= self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt, exc.retry_after)
                self.transport.wait_check(delay, exc)
                message = (
                    "%s: publishing %s failed (%s); checking the channel and retrying in %.2fs"
                    % (self.label, payload.sku, exc, delay)
                )
                _logger.warning(message)
                if self.on_retry is not None:
                    self.on_retry(message)
                self.wait(delay, exc)

    def set_quantities(self, items):
        """Set absolute quantities: ``items`` are ``(external_ref or sku, quantity)`` pairs.

        Sent in batches of ``quantity_batch_size``; returns one QuantityResult per item. A batch
        the channel refuses as a whole marks its items failed and the other batches still go.
        """
        results = []
        items = [(str(key), int(qty)) for key, qty in items]
        for start in range(0, len(items), self.quantity_batch_size):
            batch = items[start : start + self.quantity_batch_size]
            try:
                results.extend(self._set_quantity_batch(batch))
            except ChannelError as exc:
                results.extend(results_failed(batch, exc.message, exc.retryable, exc.retry_after))
            except SHAPE_ERRORS as exc:
                error = self.shape_error(GUARDED["set_quantities"], exc)
                results.extend(results_failed(batch, error.message))
        return results

    def fetch_orders(self, since=None):
        """Yield RemoteOrder created or changed since ``since`` (naive UTC datetime).

        Every order is yielded, also one whose data cannot be read: then with ``problems``
        (plain words) and ``raw``; without an id its ``external_ref`` is ``""``.
        """
        raise NotImplementedError

    def mark_shipped(self, shipment):
        """Tell the channel an order (or part of it) was dispatched, with tracking."""
        raise NotImplementedError

    # ------------------------------------------------------------------ per channel
    def _create(self, payload):
        raise NotImplementedError

    def _update(self, existing, payload):
        raise NotImplementedError

    def _set_quantity_batch(self, batch):
        raise NotImplementedError


for _name in ("publish", "set_quantities"):
    setattr(ChannelClient, _name, _guard(_name, getattr(ChannelClient, _name)))


def results_ok(batch):
    return [QuantityResult(key, qty, True) for key, qty in batch]


def results_failed(batch, message, retryable=False, retry_after=None):
    return [QuantityResult(key, qty, False, message, retryable, retry_after) for key, qty in batch]
