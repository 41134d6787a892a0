"""HTTP plumbing shared by the channel and carrier clients: one session, timeouts, retries, rate
limits, and the limits that keep a hostile or broken server from hurting the caller.

Every failure of a call, whatever its cause (no answer, a connection cut mid-body, a bad URL, a
redirect to another host, an answer too large, a body that does not parse), comes out of
``HttpTransport.request`` as a ChannelError in plain words, secrets removed.

- Redirects are followed only within the same scheme, host and port (at most five hops): the
  session's credentials (custom token headers included) never go to another host.
- Bodies are read in chunks with a cap on the bytes received (``max_response_size``) and on the
  bytes once decompressed (``max_decoded_size``): a gzip bomb is stopped as soon as it inflates
  past the cap, without inflating the rest.
- Every call has a total ``deadline`` on top of the per-read timeout: a server trickling its
  answer byte by byte is cut off.
- ``max_retry_wait`` bounds the time a client may sleep (retry backoff, ``Retry-After``, rate
  limit) within one call of a client method: when the next wait would go past it, the retryable
  ChannelError is raised at once with ``retry_after`` set, so the caller reschedules instead of
  holding its database transaction open.

Time is injectable (``clock`` returns monotonic seconds, ``sleep`` waits) so that tests run the
real retry and rate-limit logic without waiting; deadlines use the real clock.
"""

import base64
import contextlib
import email.utils
import http.client
import logging
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from .endpoints import same_origin
from .errors import ChannelError
from .redact import excerpt

_logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Most redirects followed for one call (same origin only).
MAX_REDIRECTS = 5
#: Default caps on one answer: bytes received and bytes once decompressed.
MAX_RESPONSE_SIZE = 20 * 1024 * 1024
#: Default total time of one HTTP exchange when none is given: at least this many seconds.
MIN_DEADLINE = 60.0
#: Characters of an error body quoted in a message.
ERROR_EXCERPT = 300
_CHUNK = 64 * 1024
#: Errors raised while reading the body of an answer: the transfer broke.
_BROKEN_TRANSFER = (
    http.client.HTTPException,
    ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.DecodeError,
)


def megabytes(size):
    """``20971520`` -> ``"20 MB"``, ``524288`` -> ``"0.5 MB"``."""
    return "%s MB" % ("%.2f" % (size / 1048576.0)).rstrip("0").rstrip(".")


class WaitTooLong(Exception):
    """A wait longer than the caller allows; ``wait`` is the seconds it would take."""

    def __init__(self, wait):
        super().__init__(wait)
        self.wait = wait


class TooLarge(ValueError):
    """More data than allowed (an answer or a decompressed document)."""

    def __init__(self, limit):
        super().__init__("larger than %s" % megabytes(limit))
        self.limit = limit


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

    def acquire(self, tokens=1.0, max_wait=None):
        """Take ``tokens``, sleeping until they are available; return the time slept.

        With ``max_wait``, raise WaitTooLong (nothing taken) instead of sleeping longer in total.
        """
        slept = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= tokens - 1e-9:  # tolerate float rounding
                    self._tokens = max(0.0, self._tokens - tokens)
                    self.waited += slept
                    return slept
                wait = (tokens - self._tokens) / self.rate
            if max_wait is not None and slept + wait > max_wait + 1e-9:
                self.waited += slept
                raise WaitTooLong(wait)
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
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when.timestamp() - now())


class BoundedDecoder:
    """Decompress ``gzip``/``deflate`` data chunk by chunk, never producing more than ``limit``
    bytes: TooLarge is raised as soon as the output would pass it (a gzip bomb is not inflated
    further). ``encodings`` are the codings in the order they were applied."""

    def __init__(self, encodings, limit):
        self.limit = limit
        self.size = 0
        self.parts = []
        self.stages = []
        for coding in reversed([e for e in encodings if e not in ("", "identity")]):
            if coding in ("gzip", "x-gzip"):
                self.stages.append([16 + zlib.MAX_WBITS, None, False])
            elif coding == "deflate":
                self.stages.append([zlib.MAX_WBITS, None, True])
            else:
                raise ValueError("content encoding %r is not supported" % coding)

    def _stage(self, index, data, room):
        """Feed ``data`` to stage ``index``; return at most ``room`` bytes (+1 to detect more)."""
        stage = self.stages[index]
        wbits, decomp, may_be_raw = stage
        out = []
        produced = 0
        while data:
            if decomp is None:
                decomp = stage[1] = zlib.decompressobj(wbits)
            try:
                piece = decomp.decompress(data, room - produced + 1)
            except zlib.error:
                if may_be_raw and wbits > 0 and not produced:
                    # "deflate" sent without its zlib header, as some servers do
                    wbits = stage[0] = -zlib.MAX_WBITS
                    decomp = stage[1] = zlib.decompressobj(wbits)
                    stage[2] = False
                    continue
                raise
            stage[2] = False
            out.append(piece)
            produced += len(piece)
            if produced > room:
                raise TooLarge(self.limit)
            if decomp.eof:
                # another gzip member may follow
                data = decomp.unused_data
                stage[1] = decomp = None
            else:
                data = decomp.unconsumed_tail
        return b"".join(out)

    def feed(self, data):
        for index in range(len(self.stages)):
            data = self._stage(index, data, self.limit - self.size)
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(self.limit)
        if data:
            self.parts.append(data)

    def result(self):
        return b"".join(self.parts)


def bounded_decompress(data, limit, encoding="gzip"):
    """``data`` decompressed (gzip by default), TooLarge past ``limit`` bytes."""
    decoder = BoundedDecoder([encoding], limit)
    decoder.feed(data)
    return decoder.result()


class HttpTransport:
    """One ``requests.Session`` per client, a timeout on every call, retries and a rate limit.

    ``request()`` retries 429, 5xx, timeouts and broken connections for idempotent calls. For
    calls that create something (``idempotent=False``) only 429 and connect timeouts are
    retried here, as the request was then certainly not processed; other failures are raised
    (``retryable=True``) so that the caller can first look up what the channel holds.

    Limits: ``deadline`` (seconds one HTTP exchange may take in total, redirects included;
    default ``max(60, 2 x read timeout)``), ``max_response_size`` (bytes received, 20 MB),
    ``max_decoded_size`` (bytes once decompressed, 20 MB), ``max_retry_wait`` (seconds of
    sleeping allowed within one call, None: no limit).
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
        deadline=None,
        max_response_size=MAX_RESPONSE_SIZE,
        max_decoded_size=MAX_RESPONSE_SIZE,
        max_retry_wait=None,
    ):
        self.base_url = (base_url or "").rstrip("/")
        self.channel = channel
        #: What the other side is called in messages: "channel", or "carrier" (Click & Drop).
        self.party = "channel"
        self._secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.clock = clock
        self.sleep = sleep
        #: The real clock of deadlines (the injectable ``clock`` only moves when tests sleep).
        self.io_clock = time.monotonic
        self.session = session or requests.Session()
        # Only codings this module decompresses with a bound.
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        if headers:
            self.session.headers.update(headers)
        if auth:
            self.session.auth = auth
        read_timeout = timeout[1] if isinstance(timeout, tuple | list) else timeout
        self.deadline = (
            float(deadline) if deadline else max(MIN_DEADLINE, 2.0 * float(read_timeout or 0))
        )
        self.max_response_size = int(max_response_size)
        self.max_decoded_size = int(max_decoded_size)
        self.max_retry_wait = None if max_retry_wait is None else max(0.0, float(max_retry_wait))
        #: Seconds slept in the current wait scope (one client method call, or one request).
        self.waited = 0.0
        self._scope_depth = 0
        self.calls = 0
        #: Called with a plain-words message (secrets removed) each time a call fails and is
        #: retried, so that the caller can record failures that end in a success.
        self.on_retry = None

    # ------------------------------------------------------------------ secrets
    @property
    def secrets(self):
        """The literal secrets to remove from messages: the given ones and the basic-auth
        header value of the session."""
        values = list(self._secrets)
        auth = self.session.auth
        if isinstance(auth, tuple) and len(auth) == 2 and all(auth):
            values.append(base64.b64encode(("%s:%s" % auth).encode("utf-8")).decode("ascii"))
        return tuple(values)

    @secrets.setter
    def secrets(self, values):
        self._secrets = tuple(s for s in values if s)

    def close(self):
        self.session.close()

    def url(self, path):
        if path.startswith(("http://", "https://")):
            return path
        return "%s/%s" % (self.base_url, path.lstrip("/"))

    def error(self, message, **kwargs):
        return ChannelError(message, secrets=self.secrets, **kwargs)

    def excerpt(self, text, limit=ERROR_EXCERPT):
        """Up to ``limit`` characters of ``text``, secrets removed before the cut."""
        return excerpt(text, limit, self.secrets, note=False)

    # ------------------------------------------------------------------ waiting
    @contextlib.contextmanager
    def wait_scope(self, start=0.0):
        """Scope of one ``max_retry_wait`` budget: the outermost scope starts it at ``start``
        seconds (0, or what a paused generator had already waited)."""
        if self._scope_depth == 0:
            self.waited = start
        self._scope_depth += 1
        try:
            yield self
        finally:
            self._scope_depth -= 1

    def budget_left(self):
        if self.max_retry_wait is None:
            return None
        return max(0.0, self.max_retry_wait - self.waited)

    def wait(self, seconds, error):
        """Sleep ``seconds`` within the budget; otherwise raise ``error`` (a retryable
        ChannelError) with ``retry_after`` set, without sleeping."""
        seconds = max(0.0, float(seconds))
        if self._scope_depth == 0:  # a wait outside any call: a budget of its own
            self.waited = 0.0
        left = self.budget_left()
        if left is not None and seconds > left + 1e-9:
            raise self.too_long(error, seconds)
        if seconds:
            self.sleep(seconds)
            self.waited += seconds

    def too_long(self, error, seconds):
        error.retryable = True
        error.retry_after = max(float(error.retry_after or 0.0), seconds)
        error.message = "%s (not waiting %.1fs now: try again later)" % (error.message, seconds)
        error.args = (error.message,)
        return error

    def _acquire(self, bucket, what):
        try:
            self.waited += bucket.acquire(max_wait=self.budget_left())
        except WaitTooLong as exc:
            raise self.too_long(
                self.error(
                    "%s: the client's rate limit for %s is used up" % (self.channel, what),
                    retryable=True,
                ),
                exc.wait,
            ) from None

    # ------------------------------------------------------------------ calls
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
        a retryable one is retried like a 5xx. Any other exception of ``parse`` (invalid JSON,
        a missing field) becomes a retryable ChannelError too. ``error_message(response)`` turns
        a failed response into plain words; ``describe`` names the operation in messages.
        """
        with self.wait_scope():
            return self._request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                headers=headers,
                ok=ok,
                idempotent=idempotent,
                limiter=limiter,
                parse=parse,
                describe=describe,
                error_message=error_message,
            )

    def _request(
        self,
        method,
        path,
        *,
        params,
        json,
        data,
        headers,
        ok,
        idempotent,
        limiter,
        parse,
        describe,
        error_message,
    ):
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        what = describe or "%s %s" % (method.upper(), path.split("?")[0])
        bucket = limiter or self.limiter
        attempt = 0
        while True:
            attempt += 1
            if bucket is not None:
                self._acquire(bucket, what)
            self.calls += 1
            try:
                response = self._exchange(method, self.url(path), params, json, data, headers, what)
            except ChannelError as exc:
                err = exc
                safe = idempotent or getattr(exc, "not_sent", False)
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
            self.wait_check(delay, err)
            message = "%s: attempt %d failed (%s); retrying in %.2fs" % (
                self.channel,
                attempt,
                err,
                delay,
            )
            _logger.warning(message)
            if self.on_retry is not None:
                self.on_retry(message)
            self.wait(delay, err)

    def wait_check(self, seconds, error):
        """Raise ``error`` (see ``wait``) when ``seconds`` would pass the budget."""
        left = self.budget_left()
        if left is not None and seconds > left + 1e-9:
            raise self.too_long(error, seconds)

    # ------------------------------------------------------------------ one exchange
    def _timeouts(self, deadline):
        left = deadline - self.io_clock()
        if left <= 0:
            return None
        if isinstance(self.timeout, tuple | list):
            connect, read = self.timeout
        else:
            connect = read = self.timeout
        return (
            left if connect is None else min(float(connect), left),
            left if read is None else min(float(read), left),
        )

    def _deadline_error(self, what):
        return self.error(
            "%s: %s took longer than %gs in total; the answer was cut off"
            % (self.channel, what, self.deadline),
            retryable=True,
        )

    def _send_error(self, exc, what):
        """A ChannelError for an exception raised while sending or reading one request."""
        name = type(exc).__name__
        if isinstance(exc, requests.Timeout):
            err = self.error(
                "%s: %s did not answer in time (%s)" % (self.channel, what, name), retryable=True
            )
            err.not_sent = isinstance(exc, requests.ConnectTimeout)
            return err
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return self.error(
                "%s: the answer to %s was cut off (%s)" % (self.channel, what, name),
                retryable=True,
            )
        if isinstance(exc, requests.exceptions.ContentDecodingError):
            return self.error(
                "%s: the answer to %s could not be decompressed (%s)" % (self.channel, what, name),
                retryable=True,
            )
        if isinstance(exc, requests.ConnectionError):
            return self.error(
                "%s: could not reach the %s for %s (%s)" % (self.channel, self.party, what, name),
                retryable=True,
            )
        if isinstance(exc, requests.TooManyRedirects):
            return self.error("%s: too many redirects for %s" % (self.channel, what))
        if isinstance(
            exc,
            requests.exceptions.MissingSchema
            | requests.exceptions.InvalidSchema
            | requests.exceptions.InvalidURL
            | requests.exceptions.URLRequired,
        ):
            return self.error(
                "%s: %s cannot be sent: the URL is not valid (%s: %s)"
                % (self.channel, what, name, exc)
            )
        if isinstance(exc, requests.exceptions.InvalidHeader):
            return self.error(
                "%s: %s cannot be sent: a header value is not valid (%s)"
                % (self.channel, what, name)
            )
        if isinstance(exc, requests.RequestException):
            return self.error(
                "%s: %s failed (%s: %s)" % (self.channel, what, name, exc), retryable=False
            )
        # ValueError/UnicodeError/TypeError: something in the request cannot be encoded
        return self.error("%s: %s cannot be sent (%s: %s)" % (self.channel, what, name, exc))

    def _exchange(self, method, url, params, json, data, headers, what):
        """Send one request (following same-origin redirects) and read its whole body."""
        deadline = self.io_clock() + self.deadline
        hops = 0
        while True:
            timeouts = self._timeouts(deadline)
            if timeouts is None:
                raise self._deadline_error(what)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=timeouts,
                    allow_redirects=False,
                    stream=True,
                )
            except (requests.RequestException, ValueError, TypeError, UnicodeError) as exc:
                if isinstance(exc, requests.Timeout) and self.io_clock() >= deadline:
                    raise self._deadline_error(what) from None
                raise self._send_error(exc, what) from None
            if response._content is False and response.raw is not None:  # not read yet
                try:
                    self._read_body(response, what, deadline, timeouts[1])
                finally:
                    response.close()
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            target = urljoin(response.url, location)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not same_origin(response.url, target):
                host = parts.hostname or target
                if parts.port:
                    host = "%s:%s" % (host, parts.port)
                raise self.error(
                    "%s: the %s redirected %s to another host (%s); not followed"
                    % (self.channel, self.party, what, host)
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise self.error(
                    "%s: more than %d redirects for %s; not followed"
                    % (self.channel, MAX_REDIRECTS, what)
                )
            status = response.status_code
            if status == 303 or (status in (301, 302) and method.upper() not in ("GET", "HEAD")):
                method = "GET" if method.upper() != "HEAD" else method
                json = data = None
            url, params = target, None

    def _read_body(self, response, what, deadline, read_timeout):
        """Read the body in chunks within the deadline and the size limits, then store it as
        ``response.content``."""
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.strip().isdigit() else None
        if length is not None and length > self.max_response_size:
            raise self._too_large(what, self.max_response_size)
        encodings = [
            e.strip().lower()
            for e in (response.headers.get("Content-Encoding") or "").split(",")
            if e.strip()
        ]
        try:
            decoder = BoundedDecoder(encodings, self.max_decoded_size)
        except ValueError as exc:
            raise self.error(
                "%s: the answer to %s cannot be read: %s" % (self.channel, what, exc)
            ) from None
        try:
            received = self._read_chunks(response.raw, decoder, what, deadline, read_timeout)
        except ChannelError:
            raise
        except TooLarge as exc:
            raise self._too_large(what, exc.limit) from None
        except Exception as exc:
            raise self._read_error(exc, what, deadline) from None
        if length is not None and received < length and response.request.method != "HEAD":
            raise self.error(
                "%s: the answer to %s was cut off (%d of %d bytes)"
                % (self.channel, what, received, length),
                retryable=True,
            )
        response._content = decoder.result()
        response._content_consumed = True

    def _read_chunks(self, raw, decoder, what, deadline, read_timeout):
        """Feed the body to ``decoder``; return the bytes received.

        One system call per read (``read1``), each bounded by the time left: a trickle stops at
        the deadline."""
        fp = getattr(raw, "_fp", None)
        read1 = getattr(fp, "read1", None)
        conn = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
        sock = getattr(conn, "sock", None)
        received = 0
        while True:
            left = deadline - self.io_clock()
            if left <= 0:
                raise self._deadline_error(what)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.settimeout(max(0.001, min(float(read_timeout), left)))
            chunk = read1(_CHUNK) if read1 is not None else raw.read(_CHUNK, decode_content=False)
            if not chunk:
                if read1 is not None and not fp.isclosed():
                    fp.read()  # nothing left: lets http.client mark the answer complete
                return received
            received += len(chunk)
            if received > self.max_response_size:
                raise self._too_large(what, self.max_response_size)
            decoder.feed(chunk)

    def _read_error(self, exc, what, deadline):
        """The ChannelError of an exception raised while reading a body."""
        name = type(exc).__name__
        if isinstance(exc, zlib.error):
            return self.error(
                "%s: the answer to %s could not be decompressed (%s)" % (self.channel, what, exc),
                retryable=True,
            )
        late = self.io_clock() >= deadline - 0.01
        if isinstance(exc, TimeoutError | requests.Timeout | urllib3.exceptions.TimeoutError):
            if late:
                return self._deadline_error(what)
            return self.error(
                "%s: %s did not answer in time (%s)" % (self.channel, what, name), retryable=True
            )
        if late and isinstance(exc, OSError):
            return self._deadline_error(what)
        if isinstance(exc, _BROKEN_TRANSFER):
            return self.error(
                "%s: the answer to %s was cut off (%s)" % (self.channel, what, name),
                retryable=True,
            )
        if isinstance(exc, OSError):
            return self.error(
                "%s: the connection broke while reading %s (%s)" % (self.channel, what, name),
                retryable=True,
            )
        return self.error(
            "%s: the answer to %s could not be read (%s)" % (self.channel, what, name),
            retryable=True,
        )

    def _too_large(self, what, limit):
        return self.error(
            "%s: the answer to %s is larger than %s; not read"
            % (self.channel, what, megabytes(limit))
        )

    # ------------------------------------------------------------------ answers
    def _check(self, response, what, ok, parse, error_message, idempotent):
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429:
                message = "%s: rate limit reached for %s" % (self.channel, what)
            else:
                message = "%s: the %s had a server error (HTTP %d) for %s" % (
                    self.channel,
                    self.party,
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
            detail = self.excerpt(detail or response.text) or response.reason or ""
            if status in (401, 403):
                lead = "access refused (check the credentials)"
            elif status == 404:
                lead = "not found"
            elif 300 <= status < 400:
                lead = "unexpected redirect"
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
        except Exception as exc:  # invalid JSON/XML, a missing field: the answer is unusable
            _logger.debug("could not read the answer to %s", what, exc_info=True)
            err = self.error(
                "%s: the answer to %s could not be read (%s: %s)"
                % (self.channel, what, type(exc).__name__, exc),
                status=status,
                retryable=True,
                payload=response.text,
            )
            return err, idempotent, None
        return None, True, result
