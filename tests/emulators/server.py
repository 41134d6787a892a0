"""One HTTP server emulating the four channel APIs under path prefixes.

    http://127.0.0.1:PORT/shopify      Shopify GraphQL Admin API 2025-01
    http://127.0.0.1:PORT/woocommerce  WooCommerce REST v3
    http://127.0.0.1:PORT/ebay         eBay Trading API (XML, /ws/api.dll)
    http://127.0.0.1:PORT/ebay-identity eBay OAuth token endpoint (/identity/v1/oauth2/token)
    http://127.0.0.1:PORT/amazon       Amazon SP-API (listings, feeds, orders v0, tokens, ...)
    http://127.0.0.1:PORT/amazon-lwa   Login with Amazon (/auth/o2/token)
    http://127.0.0.1:PORT/clickanddrop Royal Mail Click & Drop API v1 (orders, labels)
    http://127.0.0.1:PORT/_control     faults, reset and state (JSON)

Run ``python -m tests.emulators.server --port 8079`` from the repository root, or use
``Emulator()`` as a context manager in tests.
"""

import argparse
import contextlib
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .amazon import AmazonApp, LwaApp
from .clickanddrop import ClickAndDropApp
from .core import Fault, Request, Response
from .ebay import EbayApp, IdentityApp
from .shopify import ShopifyApp
from .woocommerce import WooCommerceApp

_logger = logging.getLogger(__name__)

#: Credentials the emulator accepts unless told otherwise.
DEFAULT_CREDENTIALS = {
    "shopify": {"access_token": "shpat_emulator_token_0001"},
    "woocommerce": {"api_key": "ck_emulator_key_0001", "api_secret": "cs_emulator_secret_0001"},
    "ebay": {
        "access_token": "v^1.1#i^1#emulator_ebay_user_token_0001",
        "api_key": "Emulator-App-PRD-0001",
        "api_secret": "PRD-emulator-cert-0001",
        "refresh_token": "v^1.1#i^1#r^1#emulator_ebay_refresh_token_0001",
    },
    "amazon": {
        "api_key": "amzn1.application-oa2-client.emulator0001",
        "api_secret": "amzn1.oa2-cs.v1.emulator_client_secret_0001",
        "access_token": "Atzr|emulator_refresh_token_0001",
        "seller_id": "A2EMULATORSELLER",
    },
    "clickanddrop": {"api_key": "cnd_emulator_api_key_0001"},
}

#: The token endpoints, on another "host" (path) of the emulator than the channels' APIs.
TOKEN_PATHS = {
    "ebay": "ebay-identity/identity/v1/oauth2/token",
    "amazon": "amazon-lwa/auth/o2/token",
}


def token_url(base_url, channel):
    """The token endpoint of ``channel`` on the emulator at ``base_url``, or ``""``."""
    return "%s/%s" % (base_url, TOKEN_PATHS[channel]) if channel in TOKEN_PATHS else ""


def connection(base_url, channel, credentials=None):
    """The client keyword arguments (and channel field values) of ``channel`` on the emulator at
    ``base_url``: credentials, token URL and (Amazon) the seller id as account reference."""
    creds = (credentials or DEFAULT_CREDENTIALS)[channel]
    values = {
        "api_key": creds.get("api_key", ""),
        "api_secret": creds.get("api_secret", ""),
        "access_token": creds.get("access_token", ""),
        "refresh_token": creds.get("refresh_token", ""),
        "account_ref": creds.get("seller_id", ""),
    }
    if channel == "amazon":  # the LWA refresh token; no access token until one is fetched
        values.update(refresh_token=creds.get("access_token", ""), access_token="")
    if token_url(base_url, channel):
        values["token_url"] = token_url(base_url, channel)
    return values


APP_CLASSES = {
    "shopify": ShopifyApp,
    "woocommerce": WooCommerceApp,
    "ebay": EbayApp,
    "amazon": AmazonApp,
    "clickanddrop": ClickAndDropApp,
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "EcomChannelEmulator/1.0"

    def log_message(self, fmt, *args):  # quiet: tests read the call log instead
        _logger.debug("%s " + fmt, self.address_string(), *args)

    def _serve(self):
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        prefix, _sep, rest = parts.path.lstrip("/").partition("/")
        request = Request.build(self.command, "/" + rest, parts.query, dict(self.headers), body)
        try:
            if prefix == "_control":
                response = emulator.control(request)
            elif prefix in emulator.apps:
                request.base_url = "http://%s:%d/%s" % (*self.server.server_address[:2], prefix)
                response = emulator.apps[prefix].handle(request)
            else:
                response = Response.json({"error": "unknown channel %r" % prefix}, status=404)
        except Exception:  # the emulator must answer, even about its own bugs
            _logger.exception("emulator failure on %s %s", self.command, self.path)
            response = Response.json({"error": "emulator failure"}, status=500)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        try:
            self._write_body(response)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (timeout tests)

    def _write_body(self, response):
        body = response.body
        cut = response.cut_after is not None
        if cut:
            body = body[: response.cut_after]
        step, pause = response.trickle or (64 * 1024, 0.0)
        for start in range(0, len(body), step):
            piece = body[start : start + step]
            if response.chunked:
                piece = b"%x\r\n%s\r\n" % (len(piece), piece)
            self.wfile.write(piece)
            if pause:
                self.wfile.flush()
                time.sleep(pause)
        if response.chunked and not cut:
            self.wfile.write(b"0\r\n\r\n")
        if cut:
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _TrapHandler(BaseHTTPRequestHandler):
    """The other host of redirect faults: records what reaches it, answers 200 ``{}``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        _logger.debug("trap: " + fmt, *args)

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.trap.record(self.command, self.path, dict(self.headers), body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class Trap:
    """A server on another loopback host (127.0.0.2, else another port of 127.0.0.1) that
    records every request it receives: where a client must never send credentials."""

    def __init__(self):
        try:
            self.httpd = ThreadingHTTPServer(("127.0.0.2", 0), _TrapHandler)
        except OSError:
            self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TrapHandler)
        self.httpd.daemon_threads = True
        self.httpd.trap = self
        self.lock = threading.Lock()
        self.requests = []
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self):
        return "http://%s:%d" % self.httpd.server_address[:2]

    def record(self, method, path, headers, body):
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body})

    def received(self, text):
        """Whether ``text`` reached the trap anywhere (a header, the path or the body)."""
        with self.lock:
            for request in self.requests:
                blob = "%s %s %s" % (request["path"], request["headers"], request["body"])
                if text in blob:
                    return True
        return False

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


class Emulator:
    """The emulator server; ``with Emulator() as emu: emu.url("shopify")``.

    ``port=0`` picks a free port. ``apps`` maps channel names to their ChannelApp (state is on
    them); ``inject(channel, kind, ...)`` adds a Fault.
    """

    def __init__(self, host="127.0.0.1", port=0, credentials=None, options=None):
        creds = {k: dict(v) for k, v in DEFAULT_CREDENTIALS.items()}
        for channel, values in (credentials or {}).items():
            creds[channel].update(values)
        self.credentials = creds
        options = options or {}
        self.apps = {
            name: cls(creds[name], **options.get(name, {})) for name, cls in APP_CLASSES.items()
        }
        # the token hosts, apart from the APIs as on the real services
        self.apps["ebay-identity"] = IdentityApp(self.apps["ebay"])
        self.apps["amazon-lwa"] = LwaApp(self.apps["amazon"])
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.emulator = self
        self._thread = None
        self._trap = None

    @property
    def trap(self):
        """The redirect trap (another host), started on first use."""
        if self._trap is None:
            self._trap = Trap()
            for app in self.apps.values():
                app.trap_url = self._trap.base_url
        return self._trap

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def base_url(self):
        return "http://%s:%d" % self.httpd.server_address[:2]

    def url(self, channel):
        return "%s/%s" % (self.base_url, channel)

    def token_url(self, channel):
        """The token endpoint of ``channel`` (another "host" than its API), or ``""``."""
        return token_url(self.base_url, channel)

    def connection(self, channel):
        """The client keyword arguments of ``channel`` on this emulator (see ``connection``)."""
        return connection(self.base_url, channel, self.credentials)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(5)
        if self._trap is not None:
            self._trap.stop()
            self._trap = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ Python API
    def inject(self, channel, kind, **kwargs):
        fault = Fault(kind, **kwargs)
        if kind == "redirect" and not fault.location:
            fault.location = self.trap.base_url
        self.apps[channel].inject(fault)
        return fault

    def add_raw_order(self, channel, order, items=None):
        """List an arbitrary order dict as is (see ``ChannelApp.add_raw_order``)."""
        return self.apps[channel].add_raw_order(order, items)

    def clear_faults(self, channel=None):
        for name, app in self.apps.items():
            if channel in (None, name):
                app.clear_faults()

    def reset(self, channel=None):
        for name, app in self.apps.items():
            if channel in (None, name):
                with app.lock:
                    app.clear_faults()
                    app.calls.clear()
                    app.reset()
        if self._trap is not None and channel is None:
            with self._trap.lock:
                self._trap.requests.clear()

    def calls(self, channel, operation=None):
        with self.apps[channel].lock:
            return [c for c in self.apps[channel].calls if operation in (None, c.operation)]

    # ------------------------------------------------------------------ HTTP control
    def control(self, request):
        """``POST /_control/faults`` {channel, kind, count, retry_after, delay, match, after};
        ``DELETE /_control/faults[?channel=x]``; ``POST /_control/reset[?channel=x]``;
        ``GET /_control/state?channel=x``; ``POST /_control/orders`` {channel, ...order};
        ``POST /_control/raw_orders`` {channel, order, items}."""
        action = request.path.strip("/")
        channel = request.arg("channel")
        if channel is not None and channel not in self.apps:
            return Response.json({"error": "unknown channel %r" % channel}, status=404)
        if action == "faults" and request.method == "POST":
            data = request.json() or {}
            name = data.pop("channel", None)
            if name not in self.apps:
                return Response.json({"error": "unknown channel %r" % name}, status=400)
            try:
                fault = self.inject(name, data.pop("kind", ""), **data)
            except (TypeError, ValueError) as exc:
                return Response.json({"error": str(exc)}, status=400)
            return Response.json({"channel": name, "fault": fault.__dict__}, status=201)
        if action == "faults" and request.method == "DELETE":
            self.clear_faults(channel)
            return Response(204)
        if action == "reset" and request.method == "POST":
            self.reset(channel)
            return Response(204)
        if action == "state" and request.method == "GET":
            names = [channel] if channel else list(self.apps)
            return Response.json({n: self.apps[n].snapshot() for n in names})
        if action == "raw_orders" and request.method == "POST":
            data = request.json() or {}
            name = data.pop("channel", None)
            if name not in self.apps:
                return Response.json({"error": "unknown channel %r" % name}, status=400)
            self.add_raw_order(name, data.get("order"), data.get("items"))
            return Response.json({"channel": name}, status=201)
        if action == "orders" and request.method == "POST":
            data = request.json() or {}
            name = data.pop("channel", None)
            if name not in self.apps:
                return Response.json({"error": "unknown channel %r" % name}, status=400)
            return Response.json(self.apps[name].seed_order(**data), status=201)
        return Response.json({"error": "unknown control %s %s" % (request.method, action)}, 404)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8079)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    emulator = Emulator(args.host, args.port)
    print("channel emulator on %s" % emulator.base_url)
    for name in emulator.apps:
        print("  %-12s %s" % (name, emulator.url(name)))
    print("credentials: %s" % json.dumps(emulator.credentials))
    try:
        emulator.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.httpd.server_close()


if __name__ == "__main__":
    main()
