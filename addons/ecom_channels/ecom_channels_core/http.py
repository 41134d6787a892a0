"""HTTP plumbing shared by the channel clients: one session, timeouts, retries and rate limits.

Time is injectable (``clock`` returns monotonic seconds, ``sleep`` waits) so that tests run the
real retry and rate-limit logic without waiting.
"""

import email.utils
import logging
import threading
import time
from dataclasses import dataclass

import requests

from .errors import ChannelError
from .redact import redact

_logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class TokenBucket:
    """Token bucket: ``rate`` tokens per second, at most ``capacity`` saved up for bursts."""

    def __init__(self, rate, capacity, clock=time.monotonic, sleep=time.sleep):
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.clock = clock
        self.sleep = sleep
        self._tokens = float(capacity)
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self):
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, tokens=1.0):
        """Take ``tokens``, sleeping until they are available; return the time slept."""
        slept = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= tokens - 1e-9:  # tolerate float rounding
                    self._tokens = max(0.0, self._tokens - tokens)
                    self.waited += slept
                    return slept
                wait = (tokens - self._tokens) / self.rate
            self.sleep(wait)
            slept += wait


@dataclass
class RetryPolicy:
    """Exponential backoff: ``base * 2**(attempt-1)`` capped at ``cap``; ``Retry-After`` wins
    when the channel sends one (capped at ``retry_after_cap``)."""

    max_attempts: int = 5
    base: float = 1.0
    cap: float = 60.0
    retry_after_cap: float = 300.0

    def delay(self, attempt, retry_after=None):
        if retry_after is not None:
            return max(0.0, min(float(retry_after), self.retry_after_cap))
        return min(self.cap, self.base * (2 ** (attempt - 1)))


def parse_retry_after(value, now=time.time):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


class HttpTransport:
    """One ``requests.Session`` per client, a timeout on every call, retries and a rate limit.

    ``request()`` retries 429, 5xx, timeouts and connection errors for idempotent calls. For
    calls that create something (``idempotent=False``) only 429 and connect timeouts are
    retried here, as the request was then certainly not processed; other failures are raised
    (``retryable=True``) so that the caller can first look up what the channel holds.
    """

    def __init__(
        self,
        base_url,
        *,
        channel="channel",
        secrets=(),
        timeout=(5.0, 30.0),
        retry=None,
        limiter=None,
        clock=time.monotonic,
        sleep=time.sleep,
        session=None,
        headers=None,
        auth=None,
    ):
        self.base_url = (base_url or "").rstrip("/")
        self.channel = channel
        self.secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.clock = clock
        self.sleep = sleep
        self.session = session or requests.Session()
        if headers:
            self.session.headers.update(headers)
        if auth:
            self.session.auth = auth
        self.calls = 0
        #: Called with a plain-words message (secrets removed) each time a call fails and is
        #: retried, so that the caller can record failures that end in a success.
        self.on_retry = None

    def close(self):
        self.session.close()

    def url(self, path):
        if path.startswith(("http://", "https://")):
            return path
        return "%s/%s" % (self.base_url, path.lstrip("/"))

    def error(self, message, **kwargs):
        return ChannelError(message, secrets=self.secrets, **kwargs)

    def request(
        self,
        method,
        path,
        *,
        params=None,
        json=None,
        data=None,
        headers=None,
        ok=(200, 201, 202, 204),
        idempotent=None,
        limiter=None,
        parse=None,
        describe=None,
        error_message=None,
    ):
        """Send one call and return ``parse(response)`` (the response when no ``parse``).

        ``parse`` may raise ChannelError (e.g. a malformed body or an error inside a 200 answer);
        a retryable one is retried like a 5xx. ``error_message(response)`` turns a failed
        response into plain words; ``describe`` names the operation in messages.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        what = describe or "%s %s" % (method.upper(), path.split("?")[0])
        bucket = limiter or self.limiter
        attempt = 0
        while True:
            attempt += 1
            if bucket is not None:
                bucket.acquire()
            err, safe = None, idempotent
            self.calls += 1
            try:
                response = self.session.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.Timeout as exc:
                safe = idempotent or isinstance(exc, requests.ConnectTimeout)
                err = self.error(
                    "%s: %s did not answer in time (%s)" % (self.channel, what, type(exc).__name__),
                    retryable=True,
                )
            except requests.ConnectionError as exc:
                err = self.error(
                    "%s: could not reach the channel for %s (%s)"
                    % (self.channel, what, type(exc).__name__),
                    retryable=True,
                )
            else:
                err, safe, result = self._check(
                    response, what, ok, parse, error_message, idempotent
                )
                if err is None:
                    return result
            if not (err.retryable and safe) or attempt >= self.retry.max_attempts:
                if err.retryable and safe:
                    err.message = "%s (gave up after %d attempts)" % (err.message, attempt)
                    err.args = (err.message,)
                raise err
            delay = self.retry.delay(attempt, err.retry_after)
            _logger.warning(
                "%s: attempt %d failed (%s); retrying in %.2fs", self.channel, attempt, err, delay
            )
            if self.on_retry is not None:
                self.on_retry(
                    "%s: attempt %d failed (%s); retrying in %.2fs"
                    % (self.channel, attempt, err, delay)
                )
            self.sleep(delay)

    def _check(self, response, what, ok, parse, error_message, idempotent):
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429:
                message = "%s: rate limit reached for %s" % (self.channel, what)
            else:
                message = "%s: the channel had a server error (HTTP %d) for %s" % (
                    self.channel,
                    status,
                    what,
                )
            err = self.error(
                message,
                status=status,
                retryable=True,
                retry_after=retry_after,
                payload=response.text,
            )
            return err, idempotent or status == 429, None
        if status not in ok:
            detail = ""
            if error_message is not None:
                try:
                    detail = error_message(response) or ""
                except Exception:  # a broken error body must not hide the status
                    _logger.debug("could not read the error body", exc_info=True)
            if not detail:
                detail = redact(response.text[:300], self.secrets) or response.reason
            if status in (401, 403):
                lead = "access refused (check the credentials)"
            elif status == 404:
                lead = "not found"
            else:
                lead = "request refused"
            err = self.error(
                "%s: %s for %s (HTTP %d): %s" % (self.channel, lead, what, status, detail),
                status=status,
                payload=response.text,
            )
            return err, False, None
        try:
            result = parse(response) if parse else response
        except ChannelError as exc:
            exc.status = exc.status or status
            return exc, idempotent, None
        return None, True, result
