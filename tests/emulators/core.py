"""Building blocks of the channel emulators: requests, responses, faults and per-channel state."""

import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs


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


FAULT_KINDS = ("429", "500", "503", "slow", "malformed", "throttled")


@dataclass
class Fault:
    """One injected failure.

    ``kind``: ``429`` (with ``Retry-After``), ``500``/``503`` (server error), ``slow`` (the
    request is processed, then the answer waits ``delay`` seconds: a client timeout after the
    change was made), ``malformed`` (processed, then a truncated body), ``throttled`` (Shopify:
    a GraphQL THROTTLED error). ``match`` limits it to operations or paths containing that
    text; ``count`` is how many matching calls fail; ``after`` makes a 500 happen after
    processing.
    """

    kind: str
    count: int = 1
    retry_after: float | None = None
    delay: float = 2.0
    match: str = ""
    after: bool = False

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                "unknown fault kind %r (one of %s)" % (self.kind, ", ".join(FAULT_KINDS))
            )


@dataclass
class Call:
    method: str
    path: str
    operation: str
    status: int
    body: bytes = b""
    fault: str = ""


class ChannelApp:
    """One emulated channel: subclasses implement ``operation()`` and ``dispatch()``."""

    name = ""

    def __init__(self, credentials=None):
        self.lock = threading.RLock()
        self.credentials = dict(credentials or {})
        self.faults = []
        self.calls = []
        self.reset()

    def reset(self):
        """Forget every record (subclasses add their stores)."""
        self.seq = 1000

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

    def fault_response(self, fault, request):
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
        if fault and fault.kind in ("429", "500", "503", "throttled") and not fault.after:
            if fault.kind == "throttled":
                response = self.throttled_response(request)
            else:
                response = self.fault_response(fault, request)
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
        with self.lock:
            self.calls.append(
                Call(
                    request.method,
                    request.path,
                    operation,
                    response.status,
                    request.body,
                    fault.kind if fault else "",
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
