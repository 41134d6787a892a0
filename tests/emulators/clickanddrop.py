"""Royal Mail Click & Drop public API v1 (``/api/v1``): orders with labels, label PDFs, deletion.

Built from ``royal-mail-click-and-drop/click-and-drop-api-v1.yaml``. Every request body is
checked against the spec's definitions: a malformed request as a whole is answered 400, an
order that breaks the model (e.g. no ``addressLine1``) or Royal Mail's own rules (a UK address
without a valid postcode, a parcel heavier than 30 kg) lands in ``failedOrders`` as the real API
does. Every answer is checked too; an answer of ours that does not match the model is recorded
in ``schema_failures`` (an emulator bug, the tests assert there is none).

The account is an OBA account: ``label.includeLabelInResponse`` returns the label (a real PDF,
one page per parcel) and tracking numbers at once. Authentication: ``Authorization: Bearer
<api key>`` (the bare key is accepted too).
"""

import base64
import re
from datetime import datetime, timezone
from urllib.parse import unquote

from .core import ChannelApp, HttpError, Response
from .specs import clickanddrop_errors

PREFIX = "/api/v1"
MAX_ORDERS = 100
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.I)

ROUTES = [
    (re.compile(r"^/version$"), "GET", "GetVersionAsync"),
    (re.compile(r"^/orders$"), "POST", "CreateOrdersAsync"),
    (re.compile(r"^/orders$"), "GET", "GetOrdersAsync"),
    (re.compile(r"^/orders/status$"), "PUT", "UpdateOrdersStatusAsync"),
    (re.compile(r"^/orders/(?P<ids>[^/]+)/label$"), "GET", "GetOrdersLabelAsync"),
    (re.compile(r"^/orders/(?P<ids>[^/]+)$"), "GET", "GetSpecificOrdersAsync"),
    (re.compile(r"^/orders/(?P<ids>[^/]+)$"), "DELETE", "DeleteOrdersAsync"),
]


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pdf_escape(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(pages):
    """A minimal valid PDF, one A6 page per entry of ``pages`` (each a list of text lines)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 "
               "/BaseFont /Helvetica >>"]  # fmt: skip
    kids = []
    for lines in pages:
        stream = "BT /F1 11 Tf 14 TL 20 390 Td " + " ".join(
            "(%s) Tj T*" % _pdf_escape(line.encode("latin-1", "replace").decode("latin-1"))
            for line in lines
        )
        stream += " ET"
        objects.append("<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_id = len(objects)
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents %d 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>" % content_id
        )
        kids.append(len(objects))
    objects[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (
        " ".join("%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += ("%d 0 obj\n%s\nendobj\n" % (number, body)).encode("latin-1")
    xref = len(out)
    out += ("xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)).encode()
    for offset in offsets:
        out += ("%010d 00000 n \n" % offset).encode()
    out += (
        "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    ).encode()
    return bytes(out)


def parse_identifiers(text):
    """``1001;"ref";1002`` (references percent-encoded in double quotes) -> ints and strings."""
    result = []
    for part in (p for p in text.split(";") if p):
        part = unquote(part) if not part.startswith('"') else part
        if part.startswith('"') and part.endswith('"') and len(part) >= 2:
            result.append(unquote(part[1:-1]))
        elif part.isdigit():
            result.append(int(part))
        else:
            raise ValueError(part)
    return result


class ClickAndDropApp(ChannelApp):
    name = "clickanddrop"

    def reset(self):
        super().reset()
        self.orders = {}  # orderIdentifier -> stored order
        self.tracking_seq = 10000000
        self.schema_failures = []  # answers of ours that did not match the model (a bug)
        self.rejected_requests = []  # requests refused as a whole (400) with the reasons

    # ------------------------------------------------------------------ plumbing
    def _route(self, request):
        path = request.path
        if not path.startswith(PREFIX):
            return None, None
        rest = path[len(PREFIX) :] or "/"
        for regex, method, operation in ROUTES:
            match = regex.match(rest)
            if match and method == request.method:
                return operation, match.groupdict()
        return None, None

    def operation(self, request):
        operation, _args = self._route(request)
        return operation or "%s %s" % (request.method, request.path)

    def answer(self, data, definition, status=200, many=False):
        items = data if many else [data]
        if definition == "CreateOrdersResponse":
            # a failed order is echoed as sent, and may break the request model on purpose
            items = [
                dict(data, failedOrders=[
                    {k: v for k, v in f.items() if k != "order"} for f in data["failedOrders"]
                ])
            ]  # fmt: skip
        for item in items:
            errors = clickanddrop_errors(item, definition)
            if errors:
                self.schema_failures.append((definition, errors))
        return Response.json(data, status=status)

    def error(self, status, message, code=None):
        body = {"message": message}
        if code:
            body["code"] = code
        return HttpError(self.answer(body, "ErrorResponse", status=status))

    def _check_auth(self, request):
        key = self.credentials.get("api_key", "")
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else header
        if not key or token.strip() != key:
            raise HttpError(Response(401, b"", {"WWW-Authenticate": "Bearer"}))

    def dispatch(self, request, operation):
        self._check_auth(request)
        op, args = self._route(request)
        if op is None:
            raise self.error(404, "No such resource: %s %s" % (request.method, request.path))
        return getattr(self, "op_" + op)(request, **args)

    def next_tracking(self):
        with self.lock:
            self.tracking_seq += 1
            number = "%08d" % self.tracking_seq
        weights = (8, 6, 4, 2, 3, 5, 9, 7)
        check = 11 - sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11
        check = {10: 0, 11: 5}.get(check, check)
        return "TT%s%dGB" % (number, check)

    def _lookup(self, identifiers):
        found, missing = [], []
        for ident in identifiers:
            if isinstance(ident, int):
                order = self.orders.get(ident)
            else:
                order = next(
                    (o for o in self.orders.values() if o["orderReference"] == ident), None
                )
            (found if order else missing).append(order or ident)
        return found, missing

    def _identifiers(self, text):
        try:
            identifiers = parse_identifiers(text)
        except ValueError as exc:
            raise self.error(400, "Invalid order identifier %s" % exc) from None
        if not identifiers or len(identifiers) > MAX_ORDERS:
            raise self.error(400, "Between 1 and %d order identifiers are required" % MAX_ORDERS)
        return identifiers

    @staticmethod
    def info(order):
        info = {
            "orderIdentifier": order["orderIdentifier"],
            "orderReference": order["orderReference"],
            "createdOn": order["createdOn"],
            "orderDate": order["orderDate"],
            "trackingNumber": order["trackingNumber"],
            "packages": order["packages"],
        }
        for key in ("printedOn", "shippedOn"):
            if order.get(key):
                info[key] = order[key]
        return info

    def label_pdf(self, orders):
        pages = []
        for order in orders:
            recipient = order["request"]["recipient"]["address"]
            service = (order["request"].get("postageDetails") or {}).get("serviceCode", "")
            for package in order["packages"]:
                pages.append(
                    [
                        "Royal Mail %s" % service,
                        "Tracking %s" % package["trackingNumber"],
                        "Parcel %d of %d" % (package["packageNumber"], len(order["packages"])),
                        recipient.get("fullName", ""),
                        recipient.get("addressLine1", ""),
                        recipient.get("city", ""),
                        recipient.get("postcode", ""),
                        recipient.get("countryCode", ""),
                        "Ref %s" % order["orderReference"],
                    ]
                )
        return render_pdf(pages)

    # ------------------------------------------------------------------ operations
    def op_GetVersionAsync(self, request):
        return self.answer(
            {"commit": "emulator", "build": "1", "release": "1.0.0", "releaseDate": _now()},
            "GetVersionResource",
        )

    def _order_problems(self, item):
        errors = clickanddrop_errors(item, "CreateOrderRequest")
        address = (item.get("recipient") or {}).get("address") or {}
        country = (address.get("countryCode") or "").upper()
        postcode = address.get("postcode") or ""
        if country in ("GB", "GBR") and not UK_POSTCODE.match(postcode.strip()):
            errors.append("recipient/address/postcode: %r is not a valid UK postcode" % postcode)
        for package in item.get("packages") or []:
            if (package.get("weightInGrams") or 0) > 30000:
                errors.append("packages/weightInGrams: parcels above 30 kg are not accepted")
        return errors

    def op_CreateOrdersAsync(self, request):
        try:
            body = request.json()
        except ValueError:
            raise self.error(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            self.rejected_requests.append("items missing")
            raise self.error(400, "The request must have an 'items' list")
        if not body["items"] or len(body["items"]) > MAX_ORDERS:
            self.rejected_requests.append("%d items" % len(body["items"]))
            raise self.error(400, "Between 1 and %d orders are accepted per request" % MAX_ORDERS)
        created, failed = [], []
        for item in body["items"]:
            problems = self._order_problems(item) if isinstance(item, dict) else ["not an object"]
            if problems:
                failed.append(
                    {
                        "order": item if isinstance(item, dict) else {},
                        "errors": [
                            {
                                "errorCode": 400,
                                "errorMessage": problem,
                                "fields": [
                                    {"fieldName": problem.split(":")[0], "value": ""},
                                ],
                            }
                            for problem in problems
                        ],
                    }
                )
                continue
            created.append(self._create_order(item))
        data = {
            "successCount": len(created),
            "errorsCount": len(failed),
            "createdOrders": created,
            "failedOrders": failed,
        }
        return self.answer(data, "CreateOrdersResponse")

    def _create_order(self, item):
        packages = item.get("packages") or [{"weightInGrams": 1, "packageFormatIdentifier": ""}]
        numbers = [self.next_tracking() for _package in packages]
        now = _now()
        order = {
            "orderIdentifier": self.next_id(),
            "orderReference": item.get("orderReference") or "",
            "createdOn": now,
            "orderDate": item["orderDate"],
            "trackingNumber": numbers[0],
            "packages": [
                {"packageNumber": i, "trackingNumber": n} for i, n in enumerate(numbers, 1)
            ],
            "request": item,
            "status": "new",
        }
        answer = {k: v for k, v in order.items() if k not in ("request", "status")}
        if (item.get("label") or {}).get("includeLabelInResponse"):
            order["printedOn"] = now
            order["status"] = "labelGenerated"
            answer["printedOn"] = now
            answer["label"] = base64.b64encode(self.label_pdf([order])).decode()
            answer["generatedDocuments"] = ["postageLabel"]
        with self.lock:
            self.orders[order["orderIdentifier"]] = order
        return answer

    def op_GetSpecificOrdersAsync(self, request, ids):
        found, missing = self._lookup(self._identifiers(ids))
        if not found:
            raise HttpError(
                self.answer(
                    [
                        {
                            "channelOrderReference": str(m),
                            "code": "NotFound",
                            "message": "Not found",
                        }
                        for m in missing
                    ],
                    "OrderErrorResponse",
                    status=404,
                    many=True,
                )
            )
        return self.answer([self.info(o) for o in found], "GetOrderInfoResource", many=True)

    def op_GetOrdersAsync(self, request):
        orders = sorted(self.orders.values(), key=lambda o: o["orderIdentifier"])
        size = min(int(request.arg("pageSize", "25") or 25), 100)
        start = int(request.arg("continuationToken", "0") or 0)
        page = orders[start : start + size]
        data = {"orders": [self.info(o) for o in page]}
        if start + size < len(orders):
            data["continuationToken"] = str(start + size)
        return self.answer(data, "GetOrdersResponse")

    def op_GetOrdersLabelAsync(self, request, ids):
        document = request.arg("documentType")
        if document not in ("postageLabel", "despatchNote", "CN22", "CN23"):
            raise self.error(400, "documentType is required (postageLabel, despatchNote...)")
        if document == "postageLabel" and request.arg("includeReturnsLabel") is None:
            raise self.error(400, "includeReturnsLabel is required for postage labels")
        found, missing = self._lookup(self._identifiers(ids))
        if missing or not found:
            raise self.error(404, "Orders not found: %s" % ", ".join(map(str, missing)))
        now = _now()
        with self.lock:
            for order in found:
                order.setdefault("printedOn", now)
                if order["status"] == "new":
                    order["status"] = "labelGenerated"
        return Response(200, self.label_pdf(found), {"Content-Type": "application/pdf"})

    def op_DeleteOrdersAsync(self, request, ids):
        found, missing = self._lookup(self._identifiers(ids))
        deleted = []
        with self.lock:
            for order in found:
                if order["status"] == "despatched":
                    missing.append(order["orderIdentifier"])
                    continue
                del self.orders[order["orderIdentifier"]]
                deleted.append(
                    {
                        "orderIdentifier": order["orderIdentifier"],
                        "orderReference": order["orderReference"],
                        "orderInfo": "Deleted",
                    }
                )
        errors = [
            {
                "orderIdentifier": m if isinstance(m, int) else 0,
                "orderReference": m if isinstance(m, str) else "",
                "code": "NotDeletable",
                "message": "Order not found or already despatched",
            }
            for m in missing
        ]
        return self.answer({"deletedOrders": deleted, "errors": errors}, "DeleteOrdersResource")

    def op_UpdateOrdersStatusAsync(self, request):
        body = request.json() or {}
        errors = clickanddrop_errors(body, "UpdateOrdersStatusRequest")
        if errors:
            self.rejected_requests.append("; ".join(errors))
            raise self.error(400, "; ".join(errors))
        updated, failed = [], []
        for item in body.get("items") or []:
            found, _missing = self._lookup(
                [item.get("orderIdentifier") or item.get("orderReference")]
            )
            if not found:
                failed.append({"code": "NotFound", "message": "Order not found"})
                continue
            order = found[0]
            with self.lock:
                order["status"] = item.get("status") or order["status"]
                if order["status"] == "despatched":
                    order["shippedOn"] = item.get("despatchDate") or _now()
            updated.append(
                {
                    "orderIdentifier": order["orderIdentifier"],
                    "orderReference": order["orderReference"],
                    "status": order["status"],
                }
            )
        return self.answer(
            {"updatedOrders": updated, "errors": failed}, "UpdateOrderStatusResponse"
        )

    def snapshot(self):
        with self.lock:
            return {
                "orders": [dict(self.info(o), status=o["status"]) for o in self.orders.values()],
                "schema_failures": list(self.schema_failures),
            }
