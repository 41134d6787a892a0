"""Royal Mail Click & Drop API v1 client: create orders with their labels, fetch label PDFs,
delete orders. Plain Python; the HTTP transport is handed in: ``ecom_channels_core.http.
HttpTransport``, which brings the protections of the channel clients (timeouts and a total
deadline, retries honouring ``Retry-After`` within ``max_retry_wait``, a rate limit, redirects
followed only on the same host, answers capped in size, secrets removed before any cut).

Every failure comes out as CarrierError (never a raw Python exception): an answer of an
unexpected shape names the operation; within ``create_shipments`` one order whose answer
cannot be read fails alone.

The account is assumed to be an OBA one (labels and tracking numbers through the API).
Orders are created in chunks of at most 100 (the API's limit). Creating is not idempotent:
when a chunk fails in a way that may have gone through (timeout, 5xx), the orders are first
looked up by reference and only the missing ones are created again.
"""

import base64
import binascii
import contextlib
import functools
import logging
from urllib.parse import quote

from .parcels import CarrierError, LabelResult

_logger = logging.getLogger(__name__)

#: Errors raised when an answer has not the expected shape.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, binascii.Error)

API = "/api/v1"
#: Most orders one create call accepts.
CHUNK = 100
DEFAULT_URL = "https://api.parcel.royalmail.com"
TRACKING_URL = "https://www.royalmail.com/track-your-item#/tracking-results/%s"


def _text(value, limit):
    return (value or "").strip()[:limit]


def _money(value):
    return round(float(value or 0.0), 2)


def encode_identifiers(identifiers):
    """``[1001, "S/0001"]`` -> ``1001;"S%2F0001"`` (references quoted and percent-encoded)."""
    parts = []
    for ident in identifiers:
        if isinstance(ident, int) or (isinstance(ident, str) and ident.isdigit()):
            parts.append(str(int(ident)))
        else:
            parts.append('"%s"' % quote(str(ident), safe=""))
    return ";".join(parts)


def _scope(transport):
    scope = getattr(transport, "wait_scope", None)
    return scope() if scope is not None else contextlib.nullcontext()


def _guarded(what):
    """A public method: one wait budget for the whole call, and a shape error becomes a
    CarrierError naming ``what``."""

    def decorate(func):
        @functools.wraps(func)
        def method(self, *args, **kwargs):
            with _scope(self.transport):
                try:
                    return func(self, *args, **kwargs)
                except CarrierError:
                    raise
                except SHAPE_ERRORS as exc:
                    raise self.shape_error(what, exc) from exc

        return method

    return decorate


class ClickAndDropClient:
    label = "Royal Mail Click & Drop"

    def __init__(self, transport, *, attempts=3):
        self.transport = transport
        if hasattr(transport, "party"):  # the shared HttpTransport speaks of a carrier here
            transport.party = "carrier"
        self.attempts = max(1, attempts)

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ plumbing
    def shape_error(self, what, exc):
        _logger.warning("Click & Drop: unexpected answer while %s", what, exc_info=True)
        cut = getattr(self.transport, "excerpt", None)  # secrets removed before the cut
        text = cut(str(exc), 200) if cut else str(exc)[:200]
        return CarrierError(
            "Click & Drop: the answer could not be read while %s (%s: %s)"
            % (what, type(exc).__name__, text)
        )

    def _call(self, method, path, **kwargs):
        try:
            return self.transport.request(method, API + path, **kwargs)
        except CarrierError:
            raise
        except Exception as exc:
            # the transport's own error type (ChannelError, in carrier words): same attributes
            if not hasattr(exc, "retryable"):
                raise
            error = CarrierError(
                str(exc),
                retryable=exc.retryable,
                status=getattr(exc, "status", None),
                payload=getattr(exc, "payload", ""),
            )
            #: seconds the carrier asked to wait (a wait longer than max_retry_wait)
            error.retry_after = getattr(exc, "retry_after", None)
            raise error from exc

    @staticmethod
    def _error_message(response):
        try:
            data = response.json()
        except ValueError:
            return ""
        if isinstance(data, dict):
            return data.get("message") or data.get("details") or ""
        if isinstance(data, list):
            return "; ".join(str(e.get("message", "")) for e in data if isinstance(e, dict))
        return ""

    def _json(self, method, path, **kwargs):
        return self._call(
            method,
            path,
            parse=lambda r: r.json(),
            error_message=self._error_message,
            **kwargs,
        )

    # ------------------------------------------------------------------ payload
    def order_payload(self, request):
        """The ``CreateOrderRequest`` of one shipment (empty fields are left out)."""
        recipient = request.recipient
        address = {
            "fullName": _text(recipient.name, 210),
            "companyName": _text(recipient.company, 100),
            "addressLine1": _text(recipient.street, 100),
            "addressLine2": _text(recipient.street2, 100),
            "city": _text(recipient.city, 100),
            "county": _text(recipient.state, 100),
            "postcode": _text(recipient.zip, 20),
            "countryCode": _text(recipient.country_code, 3).upper(),
        }
        recipient_data = {"address": {k: v for k, v in address.items() if v}}
        if recipient.phone:
            recipient_data["phoneNumber"] = _text(recipient.phone, 25)
        if recipient.email:
            recipient_data["emailAddress"] = _text(recipient.email, 254)
        packages = []
        for parcel in request.parcels:
            package = {
                "weightInGrams": max(1, int(round(parcel.weight_kg * 1000))),
                "packageFormatIdentifier": request.package_format or "parcel",
            }
            if request.contents and len(request.parcels) == 1:
                package["contents"] = [
                    {
                        "name": _text(line.name, 800),
                        "SKU": _text(line.sku, 100),
                        "quantity": max(1, int(line.quantity)),
                        "unitValue": _money(line.unit_value),
                        "unitWeightInGrams": int(round(line.unit_weight_kg * 1000)),
                    }
                    for line in request.contents
                ]
            packages.append(package)
        payload = {
            "orderReference": _text(request.reference, 40),
            "recipient": recipient_data,
            "packages": packages,
            "orderDate": (request.order_date.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if request.order_date
            else None,
            "subtotal": _money(request.subtotal),
            "shippingCostCharged": _money(request.shipping_charged),
            "total": _money(request.total),
            "currencyCode": _text(request.currency, 3),
            "label": {"includeLabelInResponse": True, "includeCN": False},
        }
        if request.sender.name:
            payload["sender"] = {"tradingName": _text(request.sender.name, 250)}
            if request.sender.phone:
                payload["sender"]["phoneNumber"] = _text(request.sender.phone, 25)
            if request.sender.email:
                payload["sender"]["emailAddress"] = _text(request.sender.email, 254)
        if request.service_code:
            payload["postageDetails"] = {"serviceCode": _text(request.service_code, 10)}
        if payload["orderDate"] is None:
            raise CarrierError("%s: order date missing" % request.reference)
        return payload

    # ------------------------------------------------------------------ interface
    @_guarded("reading the API version")
    def version(self):
        return self._json("GET", "/version")

    @_guarded("creating shipments")
    def create_shipments(self, requests):
        """Create one Click & Drop order (with label) per request.

        Returns ``{reference: LabelResult or CarrierError}``: one order refused by Click & Drop
        does not stop the others. Raises CarrierError only when the API cannot be used at all.
        """
        results = {}
        for start in range(0, len(requests), CHUNK):
            chunk = requests[start : start + CHUNK]
            results.update(self._create_chunk(chunk))
        return results

    def _create_chunk(self, chunk):
        results = {}
        pending = list(chunk)
        attempt = 0
        while pending:
            attempt += 1
            try:
                answer = self._json(
                    "POST",
                    "/orders",
                    json={"items": [self.order_payload(r) for r in pending]},
                    idempotent=False,
                    describe="create orders",
                )
            except CarrierError as exc:
                if not exc.retryable or attempt >= self.attempts:
                    raise
                _logger.warning("Click & Drop: create failed (%s); checking what was created", exc)
                found = self.find_orders([r.reference for r in pending])
                for request in pending:
                    if request.reference in found:
                        results[request.reference] = self._existing(found[request.reference])
                pending = [r for r in pending if r.reference not in results]
                continue
            if not isinstance(answer, dict):
                raise CarrierError(
                    "Click & Drop: the answer to create orders is not an object", retryable=True
                )
            by_ref = {r.reference[:40]: r for r in pending}
            for created in answer.get("createdOrders") or []:
                if not isinstance(created, dict):
                    continue
                request = by_ref.get(created.get("orderReference") or "")
                if request is None:
                    continue
                results[request.reference] = self._safe_result(request.reference, created)
            for failed in answer.get("failedOrders") or []:
                if not isinstance(failed, dict):
                    continue
                ref = ((failed.get("order") or {}).get("orderReference")) or ""
                request = by_ref.get(ref)
                if request is None:
                    continue
                reasons = "; ".join(
                    str(e.get("errorMessage") or e.get("errorCode", ""))
                    for e in failed.get("errors") or []
                    if isinstance(e, dict)
                )
                results[request.reference] = CarrierError(
                    "Click & Drop refused %s: %s"
                    % (request.reference, reasons or "no reason given"),
                    reference=request.reference,
                )
            for request in pending:
                results.setdefault(
                    request.reference,
                    CarrierError(
                        "Click & Drop did not answer for %s" % request.reference,
                        reference=request.reference,
                        retryable=True,
                    ),
                )
            pending = []
        return results

    def _safe_result(self, reference, created):
        """``_result``, or a CarrierError for this order alone when its answer is unreadable
        (it was created: looked up again by reference on the next try, not created twice)."""
        try:
            return self._result(reference, created)
        except CarrierError as exc:
            exc.reference = exc.reference or reference
            return exc
        except SHAPE_ERRORS as exc:
            error = self.shape_error("reading the label of %s" % reference, exc)
            error.reference = reference
            error.retryable = True
            return error

    def _result(self, reference, created):
        numbers = [
            p["trackingNumber"] for p in created.get("packages") or [] if p.get("trackingNumber")
        ]
        if not numbers and created.get("trackingNumber"):
            numbers = [created["trackingNumber"]]
        label = base64.b64decode(created["label"]) if created.get("label") else b""
        if not label:
            label = self.fetch_label([created["orderIdentifier"]])
        return LabelResult(
            reference=reference,
            carrier_ref=str(created["orderIdentifier"]),
            tracking_numbers=numbers,
            label=label,
        )

    def _existing(self, info):
        return self._result(info.get("orderReference") or "", dict(info, label=None))

    @_guarded("looking up orders")
    def find_orders(self, references):
        """``{reference: order info}`` of the orders Click & Drop holds for ``references``."""
        found = {}
        for start in range(0, len(references), CHUNK):
            chunk = references[start : start + CHUNK]
            try:
                infos = self._json(
                    "GET", "/orders/%s" % encode_identifiers(chunk), describe="get orders"
                )
            except CarrierError as exc:
                if exc.status == 404:
                    continue
                raise
            for info in infos or []:
                if isinstance(info, dict):
                    found[info.get("orderReference") or ""] = info
        return found

    @_guarded("fetching a label")
    def fetch_label(self, identifiers):
        """The label PDF of the orders (their Click & Drop identifiers), one page per parcel."""
        pdf = self._call(
            "GET",
            "/orders/%s/label" % encode_identifiers(identifiers),
            params={"documentType": "postageLabel", "includeReturnsLabel": "false"},
            parse=lambda r: r.content,
            error_message=self._error_message,
            describe="get label",
        )
        if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
            raise CarrierError("Click & Drop: the label of %s is not a PDF" % identifiers)
        return pdf

    @_guarded("cancelling labels")
    def delete_orders(self, identifiers):
        """Cancel the labels: delete the orders. Raise CarrierError naming those refused."""
        answer = self._json(
            "DELETE", "/orders/%s" % encode_identifiers(identifiers), describe="delete orders"
        )
        errors = answer.get("errors") or []
        if errors:
            raise CarrierError(
                "Click & Drop could not cancel %s"
                % "; ".join(
                    "%s (%s)"
                    % (e.get("orderReference") or e.get("orderIdentifier"), e.get("message"))
                    for e in errors
                )
            )
        return [d.get("orderIdentifier") for d in answer.get("deletedOrders") or []]
