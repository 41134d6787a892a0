"""Building blocks of the channel emulators: requests, responses, faults and per-channel state.

The emulators are strict by default: every answer matches the published API. Tests make them as
hostile as real channels with these switches (``emu`` is a running ``Emulator``; every fault
takes ``count`` (matching calls it hits, 1) and ``match`` (only operations or paths containing
that text)):

- ``emu.inject(ch, "429"|"500"|"503", retry_after=..)``: refused or failed calls;
  ``after=True`` fails after processing. ``"throttled"``: the channel's own throttling answer.
- ``emu.inject(ch, "slow", delay=s)``: processed, then the answer waits ``delay`` seconds.
- ``emu.inject(ch, "malformed")``: processed, then half of the body (invalid JSON/XML).
- ``emu.inject(ch, "cut", size=n, chunked=True)``: processed, then the connection is closed
  after ``size`` bytes of the body (default half): chunked, a ChunkedEncodingError; with
  ``chunked=False`` a body shorter than its Content-Length.
- ``emu.inject(ch, "trickle", delay=s, size=n)``: processed, then the body is sent ``size``
  bytes (1) every ``delay`` seconds (0.2): a server slower than any total deadline.
- ``emu.inject(ch, "redirect")``: answered 302 to the same path on another host, the trap
  (``emu.trap``, on 127.0.0.2 when it can bind there), which records what it receives
  (``emu.trap.requests``: method, path, headers, body) and answers 200 ``{}``.
  ``location="same"``: a redirect to the same URL on the emulator itself (307);
  ``location=<url>``: to that URL (path and query appended); ``status``: the 3xx code.
- ``emu.inject(ch, "echo_secret", offset=280)``: answered 400 with a text body echoing the
  channel's secret (api_secret, else access_token, else api_key) at ``offset``.
- ``emu.inject(ch, "oversize", size=n, chunked=False)``: answered 200 with a JSON body of
  ``size`` bytes (25 MB), with Content-Length or, ``chunked``, without it.
- ``emu.inject(ch, "gzip_bomb", size=n)``: answered 200, ``Content-Encoding: gzip``, a small
  body inflating to ``size`` bytes (200 MB) of valid JSON (``[`` spaces ``]``).
- ``emu.inject(ch, "xml_entities", entity="laughs"|"external")``: answered 200 with an XML
  body (the call's eBay response element) declaring a DTD: a billion laughs, or an external
  entity (``file:///etc/passwd``).
- ``emu.inject(ch, "body", body=.., status=200, headers={..})``: answered with that body (a
  dict or list as JSON, bytes or text as they are) instead of the real answer: a wrong shape.
- ``emu.add_raw_order(ch, order, items=None)`` (``POST /_control/raw_orders``): an arbitrary
  order dict (malformed dates, no id, ``null`` lists...) listed as is after the regular orders
  (last page) by woocommerce (GET orders), shopify (``orders`` query nodes), ebay (GetOrders)
  and amazon (getOrders; ``items`` answer its getOrderItems).
"""

import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode


@dataclass
class Request:
    method: str
    path: str  # below the channel prefix, e.g. "/admin/api/2025-01/graphql.json"
    query: dict  # name -> list of values
    headers: dict  # lower-case names
    body: bytes = b""
    base_url: str = ""  # e.g. http://127.0.0.1:8079/amazon

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body.decode("utf-8") or "null")

    @classmethod
    def build(cls, method, path, query_string, headers, body):
        return cls(
            method=method,
            path=path,
            query=parse_qs(query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    #: Sent with ``Transfer-Encoding: chunked`` (no Content-Length).
    chunked: bool = False
    #: Bytes of the body sent before the connection is closed (None: all of it).
    cut_after: int | None = None
    #: ``(bytes, seconds)``: the body is written that many bytes at a time, pausing between.
    trickle: tuple | None = None

    @classmethod
    def json(cls, data, status=200, headers=None):
        return cls(
            status,
            json.dumps(data).encode("utf-8"),
            dict({"Content-Type": "application/json; charset=utf-8"}, **(headers or {})),
        )

    @classmethod
    def text(cls, text, status=200, content_type="text/plain; charset=utf-8", headers=None):
        return cls(
            status, text.encode("utf-8"), dict({"Content-Type": content_type}, **(headers or {}))
        )


class HttpError(Exception):
    """Raised by a channel app to answer an error response."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


FAULT_KINDS = (
    "429",
    "500",
    "503",
    "slow",
    "malformed",
    "throttled",
    "cut",
    "trickle",
    "redirect",
    "echo_secret",
    "oversize",
    "gzip_bomb",
    "xml_entities",
    "body",
)
#: Faults answered instead of processing the request.
BEFORE_KINDS = ("429", "500", "503", "throttled", "redirect", "echo_secret", "oversize",
                "gzip_bomb", "xml_entities", "body")  # fmt: skip


@dataclass
class Fault:
    """One injected failure (see the module docstring for every kind).

    ``kind``: ``429`` (with ``Retry-After``), ``500``/``503`` (server error), ``slow`` (the
    request is processed, then the answer waits ``delay`` seconds: a client timeout after the
    change was made), ``malformed`` (processed, then a truncated body), ``throttled`` (Shopify:
    a GraphQL THROTTLED error), ``cut``, ``trickle``, ``redirect``, ``echo_secret``,
    ``oversize``, ``gzip_bomb``, ``xml_entities``, ``body``. ``match`` limits it to operations
    or paths containing that text; ``count`` is how many matching calls fail; ``after`` makes a
    500 happen after processing.
    """

    kind: str
    count: int = 1
    retry_after: float | None = None
    delay: float | None = None
    match: str = ""
    after: bool = False
    size: int | None = None
    chunked: bool | None = None
    location: str | None = None
    status: int | None = None
    offset: int = 280
    entity: str = "laughs"
    body: object = None
    headers: dict | None = None

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                "unknown fault kind %r (one of %s)" % (self.kind, ", ".join(FAULT_KINDS))
            )
        if self.delay is None:
            self.delay = 0.2 if self.kind == "trickle" else 2.0


_BOMBS = {}


def gzip_bomb(size):
    """A gzip body inflating to ``size`` bytes of valid JSON (cached)."""
    if size not in _BOMBS:
        data = gzip.compress(b"[" + b" " * max(0, size - 2) + b"]", compresslevel=9)
        _BOMBS[size] = data
    return _BOMBS[size]


def entity_xml(root, entity="laughs"):
    """An XML answer declaring a DTD: a billion laughs or an external entity."""
    if entity == "external":
        dtd = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        value = "&xxe;"
    else:
        levels = ['<!ENTITY lol0 "lol">'] + [
            '<!ENTITY lol%d "%s">' % (n, ("&lol%d;" % (n - 1)) * 10) for n in range(1, 10)
        ]
        dtd = "<!DOCTYPE r [%s]>" % "".join(levels)
        value = "&lol9;"
    return (
        '<?xml version="1.0" encoding="utf-8"?>%s<%s xmlns="urn:ebay:apis:eBLBaseComponents">'
        "<Ack>Success</Ack><User><UserID>%s</UserID></User></%s>" % (dtd, root, value, root)
    )


@dataclass
class Call:
    method: str
    path: str
    operation: str
    status: int
    body: bytes = b""
    fault: str = ""
    #: The query parameters (name -> list of values) and the headers (lower-case names).
    query: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


class ChannelApp:
    """One emulated channel: subclasses implement ``operation()`` and ``dispatch()``."""

    name = ""

    def __init__(self, credentials=None):
        self.lock = threading.RLock()
        self.credentials = dict(credentials or {})
        self.faults = []
        self.calls = []
        #: Base URL of the redirect trap (set by the Emulator).
        self.trap_url = ""
        self.reset()

    def reset(self):
        """Forget every record (subclasses add their stores)."""
        self.seq = 1000
        #: Orders listed as they are, after the regular ones (see ``add_raw_order``).
        self.raw_orders = []
        self.raw_order_items = {}

    def add_raw_order(self, order, items=None):
        """List ``order`` (any dict, or anything) as is after the regular orders; ``items``
        (Amazon) answer getOrderItems for its id."""
        with self.lock:
            self.raw_orders.append(order)
            if items is not None and isinstance(order, dict):
                self.raw_order_items[str(order.get("AmazonOrderId"))] = items
        return order

    def next_id(self):
        with self.lock:
            self.seq += 1
            return self.seq

    # ------------------------------------------------------------------ faults
    def inject(self, fault):
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def _take_fault(self, request, operation):
        with self.lock:
            for fault in self.faults:
                if fault.match and fault.match not in operation and fault.match not in request.path:
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ handling
    def operation(self, request):
        return "%s %s" % (request.method, request.path)

    def dispatch(self, request, operation):
        raise NotImplementedError

    def secret(self):
        creds = self.credentials
        return creds.get("api_secret") or creds.get("access_token") or creds.get("api_key") or ""

    def error_root(self, request, operation):
        """Root element of an XML answer to this call (eBay names it after the call)."""
        return "GetUserResponse"

    def fault_response(self, fault, request, operation=""):
        if fault.kind == "redirect":
            query = urlencode(request.query, doseq=True)
            if fault.location == "same":
                hop = dict(request.query, _hop=[str(len(request.query.get("_hop", [])) + 1)])
                target = "%s%s?%s" % (request.base_url, request.path, urlencode(hop, doseq=True))
                status = fault.status or 307
            else:
                base = (fault.location or self.trap_url).rstrip("/")
                prefix = request.base_url.rsplit("/", 1)[-1]
                target = "%s/%s%s%s" % (base, prefix, request.path, "?" + query if query else "")
                status = fault.status or 302
            return Response.text("Moved", status=status, headers={"Location": target})
        if fault.kind == "body":
            body = fault.body
            if isinstance(body, bytes | str):
                body = body.encode("utf-8") if isinstance(body, str) else body
                headers = {"Content-Type": "text/plain; charset=utf-8"}
            else:
                body = json.dumps(body).encode("utf-8")
                headers = {"Content-Type": "application/json; charset=utf-8"}
            headers.update(fault.headers or {})
            return Response(fault.status or 200, body, headers)
        if fault.kind == "echo_secret":
            text = "x" * fault.offset + self.secret() + " was refused: invalid request\n"
            return Response.text(text, status=400)
        if fault.kind == "oversize":
            size = fault.size or 25 * 1024 * 1024
            body = b'{"padding": "' + b"x" * max(0, size - 15) + b'"}'
            return Response(
                200, body, {"Content-Type": "application/json"}, chunked=bool(fault.chunked)
            )
        if fault.kind == "gzip_bomb":
            return Response(
                200,
                gzip_bomb(fault.size or 200 * 1024 * 1024),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        if fault.kind == "xml_entities":
            return Response.text(
                entity_xml(self.error_root(request, operation), fault.entity),
                content_type="text/xml; charset=utf-8",
            )
        if fault.kind == "429":
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            return Response.json(
                {"errors": [{"code": "QuotaExceeded", "message": "Too many requests"}]},
                status=429,
                headers={"Retry-After": "%g" % retry_after},
            )
        status = 503 if fault.kind == "503" else 500
        return Response.text("Internal Server Error", status=status)

    def handle(self, request):
        operation = self.operation(request)
        fault = self._take_fault(request, operation)
        if fault and fault.kind in BEFORE_KINDS and not fault.after:
            if fault.kind == "throttled":
                response = self.throttled_response(request)
            else:
                response = self.fault_response(fault, request, operation)
        else:
            try:
                response = self.dispatch(request, operation)
            except HttpError as exc:
                response = exc.response
            if fault and fault.kind in ("500", "503"):
                response = self.fault_response(fault, request)
            elif fault and fault.kind == "malformed":
                response = Response(
                    200, response.body[: max(1, len(response.body) // 2)], response.headers
                )
            elif fault and fault.kind == "cut":
                response.chunked = True if fault.chunked is None else fault.chunked
                size = fault.size if fault.size is not None else len(response.body) // 2
                response.cut_after = max(1, size) if response.body else 0
            elif fault and fault.kind == "trickle":
                response.trickle = (fault.size or 1, fault.delay)
        with self.lock:
            self.calls.append(
                Call(
                    request.method,
                    request.path,
                    operation,
                    response.status,
                    request.body,
                    fault.kind if fault else "",
                    dict(request.query),
                    dict(request.headers),
                )
            )
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        return response

    def throttled_response(self, request):
        return self.fault_response(Fault("429"), request)

    def snapshot(self):
        """The state as plain data, for the control endpoint."""
        return {}
