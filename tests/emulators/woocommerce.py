"""WooCommerce REST API v3 (``/wp-json/wc/v3``): products, variations, batches, orders, notes.

Query and body arguments are checked against the route index of the official docs (types and
enums; unknown arguments are ignored as WordPress does). SKUs are unique, batches hold at most
100 objects, ``per_page`` at most 100, and collections carry ``X-WP-Total``/``X-WP-TotalPages``.
"""

import base64
import json
import math
import re

from .common import now_iso, parse_iso
from .core import ChannelApp, HttpError, Response
from .specs import validation_errors, woo_args_schema

PREFIX = "/wp-json/wc/v3"
BATCH_LIMIT = 100

ROUTES = [
    (re.compile(r"^/products$"), "products"),
    (re.compile(r"^/products/batch$"), "products_batch"),
    (re.compile(r"^/products/(?P<id>\d+)$"), "product"),
    (re.compile(r"^/products/(?P<product_id>\d+)/variations$"), "variations"),
    (re.compile(r"^/products/(?P<product_id>\d+)/variations/batch$"), "variations_batch"),
    (re.compile(r"^/products/(?P<product_id>\d+)/variations/(?P<id>\d+)$"), "variation"),
    (re.compile(r"^/orders$"), "orders"),
    (re.compile(r"^/orders/(?P<id>\d+)$"), "order"),
    (re.compile(r"^/orders/(?P<order_id>\d+)/notes$"), "notes"),
]

PRODUCT_FIELDS = (
    "name", "type", "status", "sku", "regular_price", "sale_price", "description",
    "short_description", "manage_stock", "stock_quantity", "categories", "attributes", "tags",
    "meta_data", "weight", "catalog_visibility",
)  # fmt: skip


def wc_error(code, message, status):
    return HttpError(
        Response.json({"code": code, "message": message, "data": {"status": status}}, status)
    )


def _coerce(value, schema):
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    try:
        if "integer" in kinds:
            return int(value)
        if "number" in kinds:
            return float(value)
        if "boolean" in kinds:
            return {"true": True, "1": True, "false": False, "0": False}[value.lower()]
        if "array" in kinds:
            items = [v for v in value.split(",") if v]
            item_schema = schema.get("items") or {}
            return [_coerce(v, item_schema) for v in items]
    except (ValueError, KeyError):
        return value  # left as text: the schema check reports it
    return value


class WooCommerceApp(ChannelApp):
    name = "woocommerce"

    def reset(self):
        super().reset()
        self.products = {}
        self.variations = {}  # id -> variation (with parent_id)
        self.orders = {}
        self.notes = {}  # order id -> [note]

    # ------------------------------------------------------------------ HTTP
    def _route(self, request):
        if not request.path.startswith(PREFIX):
            return None, {}, ""
        sub = request.path[len(PREFIX) :]
        for regex, name in ROUTES:
            match = regex.match(sub)
            if match:
                return name, match.groupdict(), sub
        return None, {}, sub

    def operation(self, request):
        name, _args, _sub = self._route(request)
        return "%s %s" % (request.method, name or request.path)

    def _authorised(self, request):
        key, secret = self.credentials.get("api_key"), self.credentials.get("api_secret")
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _sep, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            return user == key and password == secret
        return request.arg("consumer_key") == key and request.arg("consumer_secret") == secret

    def _check_args(self, request, sub, values, body=None):
        schema = woo_args_schema("/wc/v3" + sub, request.method)
        if schema is None:
            return
        query = {}
        for name, vals in request.query.items():
            if name in schema["properties"]:
                query[name] = _coerce(vals[0], schema["properties"][name])
        errors = validation_errors(query, dict(schema, required=[]))
        for item in body if isinstance(body, list) else ([body] if body is not None else []):
            errors += validation_errors(item, dict(schema, required=[]))
        per_page = query.get("per_page")
        if isinstance(per_page, int) and not 1 <= per_page <= 100:
            errors.append("per_page must be between 1 (inclusive) and 100 (inclusive)")
        if errors:
            raise HttpError(
                Response.json(
                    {
                        "code": "rest_invalid_param",
                        "message": "Invalid parameter(s): %s" % "; ".join(errors[:5]),
                        "data": {"status": 400},
                    },
                    status=400,
                )
            )

    def dispatch(self, request, operation):
        name, args, sub = self._route(request)
        if name is None:
            raise wc_error(
                "rest_no_route", "No route was found matching the URL and request method.", 404
            )
        if not self._authorised(request):
            raise wc_error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        body = None
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                body = request.json() or {}
            except ValueError:
                raise wc_error("rest_invalid_json", "Invalid JSON body passed.", 400) from None
        items = None
        if name.endswith("_batch") and isinstance(body, dict):
            items = (body.get("create") or []) + (body.get("update") or [])
        self._check_args(request, sub, args, items if items is not None else body)
        with self.lock:
            return getattr(self, "_%s_%s" % (name, request.method.lower()), self._no_method)(
                request, body, **args
            )

    def _no_method(self, request, body, **_):
        raise wc_error(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        )

    def _page(self, request, items):
        page = int(request.arg("page", 1))
        per_page = int(request.arg("per_page", 10))
        total = len(items)
        pages = max(1, math.ceil(total / per_page)) if total else 0
        chunk = items[(page - 1) * per_page : page * per_page]
        return Response.json(
            chunk, headers={"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        )

    # ------------------------------------------------------------------ products
    def _sku_taken(self, sku, own_id=None):
        if not sku:
            return False
        for record in list(self.products.values()) + list(self.variations.values()):
            if record["sku"] == sku and record["id"] != own_id:
                return True
        return False

    def _apply(self, record, data):
        if "sku" in data and self._sku_taken(data["sku"], record.get("id")):
            raise wc_error("product_invalid_sku", "Invalid or duplicated SKU.", 400)
        for key in PRODUCT_FIELDS:
            if key in data:
                record[key] = data[key]
        if "images" in data:
            record["images"] = [
                {
                    "id": self.next_id(),
                    "src": img.get("src"),
                    "alt": img.get("alt", ""),
                    "position": pos,
                }
                for pos, img in enumerate(data["images"] or [])
            ]
        if "image" in data:
            record["image"] = data["image"]
        if "visible" in data and "status" not in data and "parent_id" in record:
            # Variations before REST v3 spoke of ``visible``; v3 maps it to the post status.
            record["status"] = "publish" if data["visible"] else "private"
        record["price"] = record.get("sale_price") or record.get("regular_price") or ""
        qty = record.get("stock_quantity")
        record["stock_status"] = (
            "instock" if (not record.get("manage_stock") or (qty or 0) > 0) else "outofstock"
        )
        record["date_modified_gmt"] = now_iso()[:-1]
        return record

    def _new_product(self, data):
        stamp = now_iso()[:-1]
        record = {
            "id": self.next_id(), "name": "", "type": "simple", "status": "publish", "sku": "",
            "regular_price": "", "sale_price": "", "description": "", "short_description": "",
            "manage_stock": False, "stock_quantity": None, "categories": [], "attributes": [],
            "tags": [], "images": [], "meta_data": [], "variations": [], "date_created_gmt": stamp,
        }  # fmt: skip
        self._apply(record, data)
        self.products[record["id"]] = record
        return record

    def _products_get(self, request, body):
        items = sorted(self.products.values(), key=lambda p: p["id"])
        if request.arg("sku"):
            skus = request.arg("sku").split(",")
            items = [p for p in items if p["sku"] in skus]
        status = request.arg("status") or "any"
        if status != "any":
            items = [p for p in items if p["status"] == status]
        return self._page(request, items)

    def _products_post(self, request, body):
        return Response.json(self._new_product(body), status=201)

    def _get_product(self, pid):
        record = self.products.get(int(pid))
        if record is None:
            raise wc_error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return record

    def _product_get(self, request, body, id):  # noqa: A002
        return Response.json(self._get_product(id))

    def _product_put(self, request, body, id):  # noqa: A002
        return Response.json(self._apply(self._get_product(id), body))

    _product_patch = _product_put

    def _product_delete(self, request, body, id):  # noqa: A002
        return Response.json(self.products.pop(self._get_product(id)["id"]))

    def _batch(self, body, create, get, remove=None):
        count = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if count > BATCH_LIMIT:
            raise wc_error(
                "woocommerce_rest_request_entity_too_large",
                "Unable to accept more than %d items for this request." % BATCH_LIMIT,
                413,
            )
        answer = {}

        def attempt(fn, *args):
            try:
                return fn(*args)
            except HttpError as exc:
                data = json.loads(exc.response.body)
                return {"id": args[-1] if args and isinstance(args[-1], int) else 0, "error": data}

        if body.get("create"):
            answer["create"] = [attempt(create, item) for item in body["create"]]
        if body.get("update"):
            answer["update"] = [
                attempt(
                    lambda item, _id: self._apply(get(item.get("id")), item),
                    item,
                    int(item.get("id") or 0),
                )
                for item in body["update"]
            ]
        if body.get("delete") and remove:
            answer["delete"] = [attempt(remove, int(i)) for i in body["delete"]]
        return Response.json(answer)

    def _products_batch_post(self, request, body):
        return self._batch(
            body,
            self._new_product,
            self._get_product,
            lambda i: self.products.pop(self._get_product(i)["id"]),
        )

    _products_batch_put = _products_batch_patch = _products_batch_post

    # ------------------------------------------------------------------ variations
    def _get_variation(self, product_id, vid):
        record = self.variations.get(int(vid or 0))
        if record is None or record["parent_id"] != int(product_id):
            raise wc_error("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        return record

    def _new_variation(self, product_id, data):
        parent = self._get_product(product_id)
        record = {
            "id": self.next_id(), "parent_id": parent["id"], "status": "publish", "sku": "",
            "regular_price": "",
            "sale_price": "", "description": "", "manage_stock": False, "stock_quantity": None,
            "attributes": [], "meta_data": [], "date_created_gmt": now_iso()[:-1],
        }  # fmt: skip
        self._apply(record, data)
        self.variations[record["id"]] = record
        parent["variations"].append(record["id"])
        parent["type"] = "variable"
        return record

    def _variations_get(self, request, body, product_id):
        self._get_product(product_id)
        items = sorted(
            (v for v in self.variations.values() if v["parent_id"] == int(product_id)),
            key=lambda v: v["id"],
        )
        status = request.arg("status") or "any"
        if status != "any":
            items = [v for v in items if v["status"] == status]
        return self._page(request, items)

    def _variations_post(self, request, body, product_id):
        return Response.json(self._new_variation(product_id, body), status=201)

    def _variation_get(self, request, body, product_id, id):  # noqa: A002
        return Response.json(self._get_variation(product_id, id))

    def _variation_put(self, request, body, product_id, id):  # noqa: A002
        return Response.json(self._apply(self._get_variation(product_id, id), body))

    _variation_patch = _variation_put

    def _variations_batch_post(self, request, body, product_id):
        self._get_product(product_id)
        return self._batch(
            body,
            lambda d: self._new_variation(product_id, d),
            lambda i: self._get_variation(product_id, i),
        )

    _variations_batch_put = _variations_batch_patch = _variations_batch_post

    # ------------------------------------------------------------------ orders
    def _get_order(self, oid):
        record = self.orders.get(int(oid))
        if record is None:
            raise wc_error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return record

    def _orders_get(self, request, body):
        items = sorted(self.orders.values(), key=lambda o: o["id"])
        since = request.arg("modified_after")
        if since:
            bound = parse_iso(since)
            items = [o for o in items if parse_iso(o["date_modified_gmt"]) >= bound]
        status = request.arg("status")
        if status and status != "any":
            items = [o for o in items if o["status"] in status.split(",")]
        return self._page(request, items + list(self.raw_orders))

    def _order_get(self, request, body, id):  # noqa: A002
        return Response.json(self._get_order(id))

    def _order_put(self, request, body, id):  # noqa: A002
        order = self._get_order(id)
        for key in ("status", "customer_note", "meta_data"):
            if key in body:
                order[key] = body[key]
        order["date_modified_gmt"] = now_iso()[:-1]
        return Response.json(order)

    _order_patch = _order_put

    def _notes_get(self, request, body, order_id):
        self._get_order(order_id)
        return Response.json(self.notes.get(int(order_id), []))

    def _notes_post(self, request, body, order_id):
        self._get_order(order_id)
        if not body.get("note"):
            raise wc_error("rest_missing_callback_param", "Missing parameter(s): note", 400)
        note = {
            "id": self.next_id(),
            "note": body["note"],
            "customer_note": bool(body.get("customer_note")),
            "date_created_gmt": now_iso()[:-1],
        }
        self.notes.setdefault(int(order_id), []).append(note)
        return Response.json(note, status=201)

    # ------------------------------------------------------------------ seeding / state
    def seed_order(
        self,
        lines,
        customer=None,
        address=None,
        service_level="Flat rate",
        currency="GBP",
        shipping=0.0,
        created_at=None,
        tax_rate=0.0,
        prices_include_tax=False,
        round_at_subtotal=False,
    ):
        """An order of ``lines`` (``sku``, ``quantity``, ``price``, optional ``discount``: off
        the line, and ``tax_rate``: the line's own rate). With ``tax_rate`` (e.g. 0.2) the
        lines and the shipping carry that tax, included in the prices (and in ``shipping``) or
        added to them as ``prices_include_tax`` says. The tax is rounded per line, as
        WooCommerce does by default, or on the order's total per rate with
        ``round_at_subtotal`` (its "Round tax at subtotal level" option: the lines then show
        their tax rounded, and the order's tax is the rounded sum). The REST API reports totals
        without tax, with the tax beside them."""
        customer = customer or {}
        addr = address or {}
        first, _sep, last = (addr.get("name") or customer.get("name", "")).partition(" ")
        party = {
            "first_name": first, "last_name": last, "company": addr.get("company", ""),
            "address_1": addr.get("street", ""), "address_2": addr.get("street2", ""),
            "city": addr.get("city", ""), "state": addr.get("state", ""),
            "postcode": addr.get("zip", ""), "country": addr.get("country_code", ""),
            "phone": addr.get("phone", ""),
        }  # fmt: skip
        rate_ids = {}

        def half_up(value):
            return math.floor(value + 0.5 + 1e-9)

        def split(amount, rate):
            """(gross cents in the order's basis, amount without tax, tax) of ``amount``, in
            cents: rounded, or raw when the tax is rounded on the order's total."""
            cents = half_up(amount * 100)
            if prices_include_tax:
                tax = cents - cents / (1 + rate) if rate else 0
            else:
                tax = cents * rate if rate else 0
            if not round_at_subtotal:
                tax = half_up(tax)
            return cents, (cents - tax if prices_include_tax else cents), tax

        def shown(cents):
            return "%.2f" % (half_up(cents) / 100)

        def taxes(rate, tax_cents):
            if not half_up(tax_cents):
                return []
            rate_id = rate_ids.setdefault(rate, len(rate_ids) + 1)
            return [{"id": rate_id, "total": shown(tax_cents), "subtotal": ""}]

        with self.lock:
            line_items, by_rate, gross_cents, net_cents = [], {}, 0, 0
            for line in lines:
                product = next((p for p in self.products.values() if p["sku"] == line["sku"]), None)
                variation = next(
                    (v for v in self.variations.values() if v["sku"] == line["sku"]), None
                )
                quantity = int(line.get("quantity", 1))
                rate = float(line.get("tax_rate", tax_rate))
                price = float(line.get("price", 0)) * quantity
                __, subtotal, subtotal_tax = split(price, rate)
                gross, total, tax = split(price - float(line.get("discount", 0)), rate)
                gross_cents += gross
                net_cents += half_up(total)
                by_rate.setdefault(rate, [0, 0])[0] += tax
                line_taxes = taxes(rate, tax)
                for item in line_taxes:
                    item["subtotal"] = shown(subtotal_tax)
                line_items.append(
                    {
                        "id": self.next_id(),
                        "name": line.get("title") or line["sku"],
                        "sku": line["sku"],
                        "product_id": product["id"]
                        if product
                        else (variation["parent_id"] if variation else 0),
                        "variation_id": variation["id"] if variation else 0,
                        "quantity": quantity,
                        "price": total / 100 / quantity if quantity else 0.0,
                        "subtotal": shown(subtotal),
                        "subtotal_tax": shown(subtotal_tax),
                        "total": shown(total),
                        "total_tax": shown(tax),
                        "taxes": line_taxes,
                    }
                )
            gross, shipping_net, shipping_tax = split(float(shipping), tax_rate)
            gross_cents += gross
            net_cents += half_up(shipping_net)
            by_rate.setdefault(tax_rate, [0, 0])[1] += shipping_tax
            stamp = (created_at or now_iso()).rstrip("Z")
            tax_cents = sum(half_up(line + ship) for line, ship in by_rate.values())
            total_cents = gross_cents if prices_include_tax else net_cents + tax_cents
            order = {
                "id": self.next_id(),
                "status": "processing",
                "currency": currency,
                "prices_include_tax": bool(prices_include_tax),
                "date_created_gmt": stamp,
                "date_modified_gmt": stamp,
                "total": "%.2f" % (total_cents / 100),
                "total_tax": "%.2f" % (tax_cents / 100),
                "shipping_total": shown(shipping_net),
                "shipping_tax": shown(shipping_tax),
                "billing": dict(party, email=customer.get("email", "")),
                "shipping": party,
                "line_items": line_items,
                "shipping_lines": [
                    {
                        "id": self.next_id(),
                        "method_title": service_level,
                        "method_id": "flat_rate",
                        "total": shown(shipping_net),
                        "total_tax": shown(shipping_tax),
                        "taxes": taxes(tax_rate, shipping_tax),
                    }
                ],
                "tax_lines": [
                    {
                        "id": self.next_id(),
                        "rate_code": "GB-VAT-%d" % rate_id,
                        "rate_id": rate_id,
                        "label": "VAT",
                        "compound": False,
                        "tax_total": shown(by_rate[rate][0]),
                        "shipping_tax_total": shown(by_rate[rate][1]),
                        "rate_percent": round(rate * 100, 4),
                    }
                    for rate, rate_id in rate_ids.items()
                ],
            }
            order["number"] = str(order["id"])
            self.orders[order["id"]] = order
            return {"id": order["id"], "name": order["number"]}

    def snapshot(self):
        with self.lock:
            return {
                "products": list(self.products.values()),
                "variations": list(self.variations.values()),
                "orders": list(self.orders.values()),
                "notes": {str(k): v for k, v in self.notes.items()},
            }
