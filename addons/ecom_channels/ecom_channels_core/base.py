"""The neutral interface every channel client offers to the ORM layer."""

import logging
import time
from datetime import datetime, timezone

from .errors import ChannelError, MissingFieldsError
from .http import HttpTransport, RetryPolicy, TokenBucket
from .payloads import QuantityResult
from .requirements import missing_fields

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
        return float(value)
    except (TypeError, ValueError):
        return default


def to_int(value, default=None):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


class ChannelClient:
    """Base of the four clients.

    Constructor arguments map the ``ecom.channel`` fields: ``base_url`` (api_base_url),
    ``api_key``, ``api_secret``, ``access_token``, ``account_ref``; ``options`` holds
    channel-specific settings. ``timeout``, ``retry``, ``clock``, ``sleep`` and ``session`` tune
    or replace the HTTP behaviour (tests pass a fake clock and sleep).
    """

    channel_type = ""
    label = "Channel"
    #: Most quantity updates one API call accepts.
    quantity_batch_size = 1
    #: Default rate limit (calls per second, burst) when the API publishes one.
    rate_limit = (5.0, 10.0)

    def __init__(
        self,
        base_url,
        *,
        api_key="",
        api_secret="",
        access_token="",
        account_ref="",
        options=None,
        timeout=(5.0, 30.0),
        retry=None,
        clock=time.monotonic,
        sleep=time.sleep,
        session=None,
        rate_limit=None,
    ):
        if not base_url:
            raise ChannelError("%s: the channel has no API base URL" % self.label)
        self.api_key = api_key or ""
        self.api_secret = api_secret or ""
        self.access_token = access_token or ""
        self.account_ref = account_ref or ""
        self.options = dict(options or {})
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
        )

    @property
    def on_retry(self):
        """Called with a plain-words message each time a call fails and is retried."""
        return self.transport.on_retry

    @on_retry.setter
    def on_retry(self, callback):
        self.transport.on_retry = callback

    # ------------------------------------------------------------------ helpers
    @property
    def secrets(self):
        return tuple(s for s in (self.api_key, self.api_secret, self.access_token) if s)

    def error(self, message, **kwargs):
        return ChannelError(message, secrets=self.secrets, **kwargs)

    def bucket(self, rate, burst):
        return TokenBucket(rate, burst, clock=self.clock, sleep=self.sleep)

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ interface
    def missing_fields(self, payload):
        return missing_fields(self.channel_type, payload)

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
        missing = self.missing_fields(payload)
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
                message = (
                    "%s: publishing %s failed (%s); checking the channel and retrying in %.2fs"
                    % (self.label, payload.sku, exc, delay)
                )
                _logger.warning(message)
                if self.on_retry is not None:
                    self.on_retry(message)
                self.sleep(delay)

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
                results.extend(results_failed(batch, exc.message, exc.retryable))
        return results

    def fetch_orders(self, since=None):
        """Yield RemoteOrder created or changed since ``since`` (naive UTC datetime)."""
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


def results_ok(batch):
    return [QuantityResult(key, qty, True) for key, qty in batch]


def results_failed(batch, message, retryable=False):
    return [QuantityResult(key, qty, False, message, retryable) for key, qty in batch]
