"""Royal Mail Click & Drop API v1 client: create orders with their labels, fetch label PDFs,
delete orders. Plain Python; the HTTP transport (session, timeouts, retries honouring
``Retry-After``, rate limit) is handed in, e.g. ``ecom_channels_core.http.HttpTransport``.

The account is assumed to be an OBA one (labels and tracking numbers through the API).
Orders are created in chunks of at most 100 (the API's limit). Creating is not idempotent:
when a chunk fails in a way that may have gone through (timeout, 5xx), the orders are first
looked up by reference and only the missing ones are created again.
"""

import base64
import logging
from urllib.parse import quote

from .parcels import CarrierError, LabelResult

_logger = logging.getLogger(__name__)

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


class ClickAndDropClient:
    label = "Royal Mail Click & Drop"

    def __init__(self, transport, *, attempts=3):
        self.transport = transport
        self.attempts = max(1, attempts)

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _call(self, method, path, **kwargs):
        try:
            return self.transport.request(method, API + path, **kwargs)
        except CarrierError:
            raise
        except Exception as exc:
            # the transport's own error type (ChannelError): same attributes, carrier words
            if not hasattr(exc, "retryable"):
                raise
            raise CarrierError(
                str(exc).replace("channel", "carrier"),
                retryable=exc.retryable,
                status=getattr(exc, "status", None),
                payload=getattr(exc, "payload", ""),
            ) from exc

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
    def version(self):
        return self._json("GET", "/version")

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
            by_ref = {r.reference[:40]: r for r in pending}
            for created in answer.get("createdOrders") or []:
                request = by_ref.get(created.get("orderReference") or "")
                if request is None:
                    continue
                results[request.reference] = self._result(request.reference, created)
            for failed in answer.get("failedOrders") or []:
                ref = ((failed.get("order") or {}).get("orderReference")) or ""
                request = by_ref.get(ref)
                if request is None:
                    continue
                reasons = "; ".join(
                    e.get("errorMessage") or str(e.get("errorCode", ""))
                    for e in failed.get("errors") or []
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
                found[info.get("orderReference") or ""] = info
        return found

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
        if not pdf.startswith(b"%PDF"):
            raise CarrierError("Click & Drop: the label of %s is not a PDF" % identifiers)
        return pdf

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
