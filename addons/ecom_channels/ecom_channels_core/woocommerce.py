"""WooCommerce: REST API v3 (``{base}/wp-json/wc/v3/...``), consumer key and secret.

``api_base_url`` is the store's root URL; ``api_key`` the consumer key, ``api_secret`` the
consumer secret (sent with HTTP basic auth, which WooCommerce requires over HTTPS). A listing is
a simple product (``external_ref`` = product id) or, when imported, one variation of a variable
product (``external_ref`` = ``"<product id>/<variation id>"``).
"""

import logging
from urllib.parse import quote

from .base import (
    ChannelClient,
    OrderReader,
    line_label,
    money,
    results_failed,
    shown,
    to_float,
    to_int,
    utc_naive,
)
from .errors import ChannelError
from .payloads import Address, QuantityResult, RemoteListing, RemoteOrder, RemoteOrderLine

_logger = logging.getLogger(__name__)


def _seg(value):
    """An id as one URL path segment (an id from the channel cannot reach another route)."""
    return quote(str(value), safe="")


API_PREFIX = "/wp-json/wc/v3"
#: products/batch and variations/batch accept at most 100 objects per request.
BATCH_LIMIT = 100
#: orders the channel treats as finished or void.
CANCELLED_STATUSES = ("cancelled", "refunded", "failed", "trash")


class WooCommerceClient(ChannelClient):
    channel_type = "woocommerce"
    label = "WooCommerce"
    quantity_batch_size = BATCH_LIMIT
    #: WooCommerce publishes no limit for REST v3 (the host decides): stay polite by default.
    rate_limit = (10.0, 20.0)
    page_size = 100

    def __init__(self, base_url, **kwargs):
        super().__init__(base_url, **kwargs)
        self.transport.session.auth = (self.api_key, self.api_secret)

    # ------------------------------------------------------------------ REST
    @staticmethod
    def _error_text(response):
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            return "%s (%s)" % (body.get("message") or "", body.get("code") or "")
        return ""

    def _json(self, response):
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:
            raise self.error(
                "WooCommerce: the answer was not valid JSON", retryable=True, payload=response.text
            ) from None

    def call(self, method, route, *, params=None, json=None, idempotent=None, raw=False):
        return self.transport.request(
            method,
            "%s/%s" % (API_PREFIX, route.lstrip("/")),
            params=params,
            json=json,
            idempotent=idempotent,
            parse=None if raw else self._json,
            error_message=self._error_text,
            describe="%s %s" % (method, route.split("?")[0]),
        )

    def _pages(self, route, params=None):
        """Yield the items of every page of a collection (``X-WP-TotalPages``)."""
        page = 1
        while True:
            query = dict(params or {}, page=page, per_page=self.page_size)
            response = self.call("GET", route, params=query, raw=True)
            items = self._json(response)
            if not isinstance(items, list):
                raise self.error("WooCommerce: %s did not answer a list" % route, retryable=True)
            yield from items
            total_pages = to_int(response.headers.get("X-WP-TotalPages"), 1) or 1
            if page >= total_pages or not items:
                return
            page += 1

    # ------------------------------------------------------------------ interface
    def test_connection(self):
        response = self.call("GET", "products", params={"per_page": 1}, raw=True)
        self._json(response)
        total = response.headers.get("X-WP-Total", "?")
        return "WooCommerce store %s: %s products" % (self.transport.base_url, total)

    @staticmethod
    def _listing(item, ref=None, parent=None):
        title = item.get("name") or (parent or {}).get("name") or ""
        return RemoteListing(
            external_ref=ref or str(item["id"]),
            sku=item.get("sku") or "",
            barcode=item.get("global_unique_id") or "",
            title=title,
            price=to_float(item.get("regular_price") or item.get("price")),
            quantity=item.get("stock_quantity"),
            status=item.get("status") or "",
            description_html=item.get("description") or "",
            raw=item,
        )

    def list_listings(self):
        for product in self._pages("products"):
            if product.get("type") == "variable":
                for variation in self._pages("products/%s/variations" % _seg(product["id"])):
                    ref = "%s/%s" % (product["id"], variation["id"])
                    yield self._listing(variation, ref, product)
            else:
                yield self._listing(product)

    def find_listing(self, sku):
        for product in self.call("GET", "products", params={"sku": sku}):
            if product.get("sku") == sku:
                return self._listing(product)
        return None

    def _product_body(self, payload):
        body = {
            "name": payload.title,
            "type": "simple",
            "status": "publish",
            "sku": payload.sku,
            "regular_price": money(payload.price),
            "description": payload.description_html or "",
        }
        if payload.quantity is not None:
            body.update(manage_stock=True, stock_quantity=int(payload.quantity))
        if payload.images:
            body["images"] = [
                {"src": url, "position": pos, "alt": payload.title}
                for pos, url in enumerate(payload.images)
            ]
        if payload.category_id and str(payload.category_id).isdigit():
            body["categories"] = [{"id": int(payload.category_id)}]
        if payload.weight_kg:
            body["weight"] = "%g" % payload.weight_kg
        if payload.attributes:
            body["attributes"] = [
                {"name": name, "options": [str(value)], "visible": True}
                for name, value in payload.attributes.items()
            ]
        if payload.tags:
            body["tags"] = [{"name": tag} for tag in payload.tags]
        meta = []
        if payload.product_code:
            meta.append({"key": "_global_unique_id", "value": payload.product_code})
        if meta:
            body["meta_data"] = meta
        body.update(payload.extra.get("product", {}))
        return body

    def _create(self, payload):
        product = self.call("POST", "products", json=self._product_body(payload), idempotent=False)
        return str(product["id"])

    def _update(self, existing, payload):
        if "/" in existing.external_ref:
            product_id, variation_id = existing.external_ref.split("/")
            body = self._product_body(payload)
            body = {k: v for k, v in body.items() if k not in ("name", "type", "tags")}
            body.pop("categories", None)
            body["visible"] = True  # ``status`` for v3 stores, ``visible`` for older ones
            self.call(
                "PUT",
                "products/%s/variations/%s" % (_seg(product_id), _seg(variation_id)),
                json=body,
            )
        else:
            self.call(
                "PUT", "products/%s" % _seg(existing.external_ref), json=self._product_body(payload)
            )
        return existing.external_ref

    def end_listing(self, external_ref):
        """Take the product (or variation) off sale: its status becomes ``private``.

        ``PUT products/<id>`` with ``status: private`` (documented enum: draft, pending,
        private, publish); for ``"<product id>/<variation id>"``, ``PUT
        products/<id>/variations/<id>`` with ``status: private`` (REST v3) and ``visible:
        false`` (its older spelling, the only one the v3 route index documents). A private
        product stays in the back office but is not shown nor sold in the shop. PUT sets a
        value, so it is retried like a read; an unknown id (404) is already ended. A later
        ``publish()`` of the SKU finds the product and sets it back to ``publish``.
        """
        ref = str(external_ref)
        if "/" in ref:
            product_id, variation_id = ref.split("/", 1)
            route = "products/%s/variations/%s" % (_seg(product_id), _seg(variation_id))
            body = {"status": "private", "visible": False}
        else:
            route, body = "products/%s" % _seg(ref), {"status": "private"}
        try:
            self.call("PUT", route, json=body)
        except ChannelError as exc:
            if exc.status != 404:
                raise
            _logger.info("WooCommerce: %s does not exist: nothing to end", ref)

    def _set_quantity_batch(self, batch):
        results = []
        groups = {}  # route -> [(key, qty, id)]
        for key, qty in batch:
            ref = key
            if not ref.replace("/", "").isdigit():
                listing = self.find_listing(key)
                if listing is None:
                    results.append(QuantityResult(key, qty, False, "WooCommerce: no SKU %s" % key))
                    continue
                ref = listing.external_ref
            if "/" in ref:
                product_id, item_id = ref.split("/")
                route = "products/%s/variations/batch" % _seg(product_id)
            else:
                route, item_id = "products/batch", ref
            groups.setdefault(route, []).append((key, qty, int(item_id)))
        for route, items in groups.items():
            body = {
                "update": [
                    {"id": item_id, "manage_stock": True, "stock_quantity": qty}
                    for _key, qty, item_id in items
                ]
            }
            try:
                answer = self.call("POST", route, json=body, idempotent=True) or {}
            except ChannelError as exc:
                results.extend(
                    results_failed(
                        [(k, q) for k, q, _i in items], str(exc), exc.retryable, exc.retry_after
                    )
                )
                continue
            by_id = {u.get("id"): u for u in answer.get("update") or []}
            for key, qty, item_id in items:
                done = by_id.get(item_id)
                if done is None:
                    results.append(QuantityResult(key, qty, False, "WooCommerce: no answer"))
                elif done.get("error"):
                    message = "WooCommerce: %s" % done["error"].get("message")
                    results.append(QuantityResult(key, qty, False, message))
                else:
                    results.append(QuantityResult(key, qty, True))
        return results

    # ------------------------------------------------------------------ orders
    @staticmethod
    def _address(data, reader=None, what="address"):
        reader = reader or OrderReader()
        data = reader.mapping(data, what)

        def field(key):
            return reader.text(data.get(key), "%s %s" % (what, key))

        name = " ".join(p for p in (field("first_name"), field("last_name")) if p)
        return Address(
            name=name,
            company=field("company"),
            street=field("address_1"),
            street2=field("address_2"),
            city=field("city"),
            zip=field("postcode"),
            state=field("state"),
            country_code=field("country"),
            phone=field("phone"),
            email=field("email"),
        )

    def _order(self, data):
        return self.read_order(data, self._read_order)

    @staticmethod
    def _tax_rates(data, reader):
        """``{rate id: rate percent}`` of the order's ``tax_lines``."""
        rates = {}
        for number, tax in reader.entries(
            reader.items(data.get("tax_lines"), "tax_lines", required=False), "tax line"
        ):
            rate = reader.number(tax.get("rate_percent"), "tax line %d rate" % number, None)
            if rate is not None:
                rates[reader.text(tax.get("rate_id"), "tax line %d rate id" % number)] = rate
        return rates

    @staticmethod
    def _rate_of(taxes, rates, reader, what):
        """The rate of a line or shipping line from its ``taxes`` (``[{id, total}]``): the rate
        of the one tax charged on it; None without one (or with several)."""
        charged = {
            reader.text(tax.get("id"), "%s: tax id" % what)
            for _n, tax in reader.entries(
                reader.items(taxes, "%s: taxes" % what, required=False), "%s: tax" % what
            )
            if reader.number(tax.get("total"), "%s: tax total" % what)
        }
        if len(charged) != 1:
            return None
        return rates.get(charged.pop())

    def _read_order(self, data, reader):
        ref = reader.order_ref(data.get("id"))
        included = data.get("prices_include_tax")
        if included is not None and not isinstance(included, bool):
            reader.note("prices_include_tax %s cannot be read" % shown(included))
            included = None
        # line totals are without tax in the REST API (with ``total_tax`` beside them), and
        # ``price`` is ``total / quantity`` unrounded: a store pricing with tax gets its prices
        # back as total + tax
        with_tax = bool(included)
        rates = self._tax_rates(data, reader)
        lines = []
        for number, li in reader.entries(
            reader.items(data.get("line_items"), "line_items"), "line"
        ):
            sku = reader.text(li.get("sku"), "line %d SKU" % number)
            label = line_label(number, sku)
            product_id = reader.text(li.get("product_id"), "%s: product_id" % label)
            variation_id = li.get("variation_id")
            quantity = reader.number(li.get("quantity"), "%s: quantity" % label, 0, required=True)
            price = reader.number(li.get("price"), "%s: price" % label)
            tax = reader.number(li.get("total_tax"), "%s: total_tax" % label)
            total = reader.number(li.get("total"), "%s: total" % label, None)
            subtotal = reader.number(li.get("subtotal"), "%s: subtotal" % label, None)
            if total is not None and with_tax:
                total += tax
            if subtotal is not None:
                if with_tax:
                    subtotal = round(
                        subtotal
                        + reader.number(li.get("subtotal_tax"), "%s: subtotal_tax" % label),
                        2,
                    )
                if quantity:
                    price = subtotal / quantity
            elif with_tax and total is not None and quantity:
                price = total / quantity
            lines.append(
                RemoteOrderLine(
                    external_ref=reader.ref(li.get("id"), "%s: id" % label),
                    sku=sku,
                    title=reader.text(li.get("name"), "%s: name" % label),
                    quantity=quantity,
                    unit_price=price,
                    total=round(total, 2) if total is not None else None,
                    tax_amount=tax,
                    tax_rate=self._rate_of(li.get("taxes"), rates, reader, label),
                    listing_ref=(
                        "%s/%s"
                        % (product_id, reader.text(variation_id, "%s: variation_id" % label))
                        if variation_id
                        else product_id
                    ),
                )
            )
        shipping_lines = reader.items(data.get("shipping_lines"), "shipping_lines", required=False)
        method = reader.mapping(shipping_lines[0], "shipping line 1") if shipping_lines else {}
        shipping = reader.number(data.get("shipping_total"), "shipping_total")
        shipping_tax = reader.number(data.get("shipping_tax"), "shipping_tax")
        billing = self._address(data.get("billing"), reader, "billing address")
        status = reader.text(data.get("status"), "status")
        created = reader.date(data.get("date_created_gmt"), "order date", required=True)
        modified = data.get("date_modified_gmt")
        return RemoteOrder(
            external_ref=ref,
            name=reader.text(data.get("number"), "order number") or ref,
            status=status,
            cancelled=status in CANCELLED_STATUSES,
            created_at=created,
            updated_at=reader.date(modified, "order modification date") if modified else created,
            currency=reader.text(data.get("currency"), "currency"),
            total=reader.number(data.get("total"), "order total"),
            shipping_amount=round(shipping + shipping_tax, 2) if with_tax else shipping,
            tax_amount=reader.number(data.get("total_tax"), "total_tax"),
            prices_include_tax=with_tax,
            taxes_reported=True,
            shipping_tax_amount=shipping_tax,
            shipping_tax_rate=self._rate_of(method.get("taxes"), rates, reader, "shipping line"),
            service_level=reader.text(method.get("method_title"), "shipping method title")
            or reader.text(method.get("method_id"), "shipping method id"),
            buyer_name=billing.name,
            buyer_email=billing.email,
            shipping_address=self._address(data.get("shipping"), reader, "shipping address"),
            billing_address=billing,
            lines=lines,
            raw=data,
        )

    def fetch_orders(self, since=None):
        params = {"orderby": "date", "order": "asc"}
        since = utc_naive(since) if since else None
        if since:
            # modified_after exists since WooCommerce 5.8; older stores ignore it, so the
            # dates are checked here too.
            params.update(modified_after=since.strftime("%Y-%m-%dT%H:%M:%S"), dates_are_gmt="true")
        for data in self._pages("orders", params):
            order = self._order(data)
            if since and order.updated_at and order.updated_at < since and not order.problems:
                continue
            yield order

    def mark_shipped(self, shipment):
        order = self.call("GET", "orders/%s" % _seg(shipment.order_ref))
        if order.get("status") == "completed":
            return order["id"]
        notes = self.call("GET", "orders/%s/notes" % _seg(shipment.order_ref))
        if not any(shipment.tracking_number in (n.get("note") or "") for n in notes):
            text = "Shipped with %s%s. Tracking number: %s" % (
                shipment.carrier,
                " (%s)" % shipment.service if shipment.service else "",
                shipment.tracking_number,
            )
            if shipment.tracking_url:
                text += " (%s)" % shipment.tracking_url
            self.call(
                "POST",
                "orders/%s/notes" % _seg(shipment.order_ref),
                json={"note": text, "customer_note": bool(shipment.notify_customer)},
                idempotent=False,
            )
        self.call("PUT", "orders/%s" % _seg(shipment.order_ref), json={"status": "completed"})
        return order["id"]
