"""Shopify: GraphQL Admin API 2025-01 (``X-Shopify-Access-Token``).

``api_base_url`` is the shop's root (``https://<shop>.myshopify.com``); ``access_token`` the Admin
API access token. One listing is one product with a single variant; its ``external_ref`` is the
variant's GID (``gid://shopify/ProductVariant/N``), which is also what order lines carry.
Options: ``location_id`` (GID of the location whose stock is set; the first location otherwise).
A listing's channel category given as a Standard Product Taxonomy GID
(``gid://shopify/TaxonomyCategory/...``) is the product's ``category``; its channel attributes
named ``namespace.key`` (``custom.material``) are product metafields.
"""

import json
import logging

from .base import (
    ChannelClient,
    OrderReader,
    line_label,
    money,
    results_ok,
    shown,
    to_float,
    utc_naive,
)
from .payloads import Address, QuantityResult, RemoteListing, RemoteOrder, RemoteOrderLine

_logger = logging.getLogger(__name__)

API_VERSION = "2025-01"
#: Categories of Shopify's Standard Product Taxonomy (the listing's channel category).
TAXONOMY_GID = "gid://shopify/TaxonomyCategory/"

VARIANT_FIELDS = """
  id sku barcode price inventoryQuantity
  inventoryItem { id }
  product { id title descriptionHtml status productType vendor tags }
"""

Q_SHOP = "query Shop { shop { name myshopifyDomain currencyCode } }"

Q_VARIANTS_BY_SKU = (
    """
query VariantsBySku($query: String!) {
  productVariants(first: 10, query: $query) { nodes { %s } }
}"""
    % VARIANT_FIELDS
)

Q_VARIANTS_PAGE = (
    """
query VariantsPage($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { %s }
  }
}"""
    % VARIANT_FIELDS
)

Q_VARIANT_NODES = """
query VariantNodes($ids: [ID!]!) {
  nodes(ids: $ids) { ... on ProductVariant { id sku inventoryItem { id } } }
}"""

Q_LOCATIONS = "query Locations { locations(first: 1) { nodes { id name } } }"

M_PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id variants(first: 1) { nodes { id sku } } }
    userErrors { field message code }
  }
}"""

M_INVENTORY_SET = """
mutation InventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason }
    userErrors { field message code }
  }
}"""

Q_VARIANT_TO_END = """
query VariantToEnd($id: ID!) {
  node(id: $id) {
    ... on ProductVariant {
      id sku inventoryPolicy
      inventoryItem { id }
      product { id status variants(first: 2) { nodes { id } } }
    }
  }
}"""

M_PRODUCT_UPDATE = """
mutation ProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id status }
    userErrors { field message }
  }
}"""

M_VARIANTS_BULK_UPDATE = """
mutation VariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id inventoryPolicy }
    userErrors { field message code }
  }
}"""

ADDRESS_FIELDS = "name company address1 address2 city zip provinceCode countryCodeV2 phone"

Q_ORDERS = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt updatedAt cancelledAt email displayFulfillmentStatus
      currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      totalShippingPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      taxesIncluded
      shippingLine {
        title code
        taxLines { ratePercentage priceSet { shopMoney { amount } } }
      }
      customer { displayName email }
      shippingAddress { %(a)s }
      billingAddress { %(a)s }
      lineItems(first: 100) {
        nodes {
          id sku title quantity
          originalUnitPriceSet { shopMoney { amount } }
          discountAllocations { allocatedAmountSet { shopMoney { amount } } }
          taxLines { ratePercentage priceSet { shopMoney { amount } } }
          variant { id }
        }
      }
    }
  }
}""" % {"a": ADDRESS_FIELDS}

Q_FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 20) {
      nodes {
        id status
        lineItems(first: 100) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}"""

M_FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""


class ShopifyClient(ChannelClient):
    channel_type = "shopify"
    label = "Shopify"
    #: inventorySetQuantities accepts at most 250 quantities per call.
    quantity_batch_size = 250
    #: Calls are paced by query cost (below); this only caps the call rate.
    rate_limit = (20.0, 40.0)
    page_size = 100

    def __init__(self, base_url, **kwargs):
        super().__init__(base_url, **kwargs)
        self.transport.session.headers["X-Shopify-Access-Token"] = self.access_token
        self.endpoint = "/admin/api/%s/graphql.json" % API_VERSION
        # Leaky bucket of query cost as last reported by Shopify (Standard plan defaults).
        self._cost_available = 2000.0
        self._cost_maximum = 2000.0
        self._restore_rate = 100.0
        self._cost_stamp = self.clock()
        self._location_id = self.options.get("location_id") or ""

    # ------------------------------------------------------------------ GraphQL
    def _pace(self, cost):
        """Wait until the cost bucket should hold ``cost`` points."""
        now = self.clock()
        available = min(
            self._cost_maximum,
            self._cost_available + (now - self._cost_stamp) * self._restore_rate,
        )
        if available < cost:
            self.wait(
                (cost - available) / self._restore_rate,
                self.error("Shopify: query cost limit reached (throttled)", retryable=True),
            )

    def _note_cost(self, extensions):
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus") or {}
        if status:
            self._cost_available = float(status.get("currentlyAvailable", self._cost_available))
            self._cost_maximum = float(status.get("maximumAvailable", self._cost_maximum))
            self._restore_rate = float(status.get("restoreRate", self._restore_rate)) or 1.0
            self._cost_stamp = self.clock()

    def _parse(self, response):
        try:
            body = response.json()
        except ValueError:
            raise self.error(
                "Shopify: the answer was not valid JSON", retryable=True, payload=response.text
            ) from None
        if not isinstance(body, dict):
            raise self.error("Shopify: unexpected answer", retryable=True, payload=response.text)
        extensions = body.get("extensions") or {}
        self._note_cost(extensions)
        errors = body.get("errors")
        if errors:
            if isinstance(errors, str):
                errors = [{"message": errors}]
            codes = {((e.get("extensions") or {}).get("code")) for e in errors}
            if "THROTTLED" in codes:
                cost = extensions.get("cost") or {}
                needed = float(cost.get("requestedQueryCost") or 0) - self._cost_available
                raise self.error(
                    "Shopify: query cost limit reached (throttled)",
                    retryable=True,
                    code="THROTTLED",
                    retry_after=max(needed, 1.0) / self._restore_rate,
                )
            messages = "; ".join(str(e.get("message")) for e in errors)
            raise self.error(
                "Shopify: the API refused the request: %s" % messages,
                code=",".join(sorted(c for c in codes if c)) or None,
                payload=json.dumps(errors),
            )
        if "data" not in body:
            raise self.error("Shopify: the answer has no data", retryable=True)
        return body["data"]

    def graphql(self, document, variables=None, *, mutation=False, idempotent=None, cost=None):
        """Run one GraphQL document and return its ``data``."""
        cost = cost if cost is not None else (10 if mutation else 5)
        self._pace(cost)
        head = document.split("{", 1)[0].split("(", 1)[0].split()
        name = " ".join(head) or "query"
        return self.transport.request(
            "POST",
            self.endpoint,
            json={"query": document, "variables": variables or {}},
            idempotent=(not mutation) if idempotent is None else idempotent,
            parse=self._parse,
            describe=name,
            error_message=lambda r: self.transport.excerpt(r.text),
        )

    def _user_errors(self, payload, what):
        errors = (payload or {}).get("userErrors") or []
        if errors:
            text = "; ".join(
                "%s: %s" % (".".join(str(f) for f in (e.get("field") or [])) or "-", e["message"])
                for e in errors
            )
            raise self.error("Shopify refused %s: %s" % (what, text), code="USER_ERRORS")

    # ------------------------------------------------------------------ interface
    def test_connection(self):
        shop = self.graphql(Q_SHOP)["shop"]
        return "%s (%s, %s)" % (shop["name"], shop["myshopifyDomain"], shop["currencyCode"])

    @staticmethod
    def _listing(node):
        product = node.get("product") or {}
        return RemoteListing(
            external_ref=node["id"],
            sku=node.get("sku") or "",
            barcode=node.get("barcode") or "",
            title=product.get("title") or "",
            price=to_float(node.get("price")),
            quantity=node.get("inventoryQuantity"),
            status=product.get("status") or "",
            description_html=product.get("descriptionHtml") or "",
            raw=node,
        )

    def list_listings(self):
        after = None
        while True:
            data = self.graphql(
                Q_VARIANTS_PAGE, {"first": self.page_size, "after": after}, cost=self.page_size + 2
            )
            page = data["productVariants"]
            for node in page["nodes"]:
                yield self._listing(node)
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def find_listing(self, sku):
        query = 'sku:"%s"' % sku.replace('"', '\\"')
        nodes = self.graphql(Q_VARIANTS_BY_SKU, {"query": query}, cost=12)["productVariants"]
        matches = [self._listing(n) for n in nodes["nodes"] if n.get("sku") == sku]
        return matches[0] if matches else None

    def location_id(self):
        if not self._location_id:
            nodes = self.graphql(Q_LOCATIONS)["locations"]["nodes"]
            if not nodes:
                raise self.error("Shopify: the shop has no location to hold stock")
            self._location_id = nodes[0]["id"]
        return self._location_id

    @staticmethod
    def _metafields(payload):
        """The listing's channel attributes named ``namespace.key`` (e.g. ``custom.material``)
        as product metafields: one line of text, or several lines."""
        metafields = []
        for name, value in payload.channel_attributes.items():
            namespace, _dot, key = name.partition(".")
            if not (namespace and key and value):
                continue
            text = str(value)
            kind = "multi_line_text_field" if "\n" in text else "single_line_text_field"
            metafields.append({"namespace": namespace, "key": key, "type": kind, "value": text})
        return metafields

    def _product_input(self, payload, existing=None):
        variant = {
            "optionValues": [{"optionName": "Title", "name": "Default Title"}],
            "sku": payload.sku,
            "price": money(payload.price),
            "inventoryItem": {"tracked": True, "sku": payload.sku},
        }
        if payload.barcode or payload.gtin:
            variant["barcode"] = payload.product_code
        if payload.quantity is not None:
            variant["inventoryQuantities"] = [
                {
                    "locationId": self.location_id(),
                    "name": "available",
                    "quantity": payload.quantity,
                }
            ]
        product = {
            "title": payload.title,
            "descriptionHtml": payload.description_html or "",
            "status": "ACTIVE",
            "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
            "variants": [variant],
        }
        if payload.product_type:
            product["productType"] = payload.product_type
        if payload.vendor or payload.brand:
            product["vendor"] = payload.vendor or payload.brand
        if payload.tags:
            product["tags"] = list(payload.tags)
        if payload.category_id.startswith(TAXONOMY_GID):
            product["category"] = payload.category_id
        metafields = self._metafields(payload)
        if metafields:
            product["metafields"] = metafields
        if payload.images:
            product["files"] = [
                {"originalSource": url, "contentType": "IMAGE", "alt": payload.title}
                for url in payload.images
            ]
        if existing is not None:
            product["id"] = existing.raw["product"]["id"]
            variant["id"] = existing.external_ref
        product.update(payload.extra.get("product", {}))
        return product

    def _product_set(self, product, idempotent):
        data = self.graphql(
            M_PRODUCT_SET, {"input": product}, mutation=True, idempotent=idempotent, cost=20
        )
        result = data["productSet"]
        self._user_errors(result, "the product %s" % product["variants"][0]["sku"])
        variants = ((result.get("product") or {}).get("variants") or {}).get("nodes") or []
        if not variants:
            raise self.error("Shopify: productSet returned no variant", retryable=True)
        return variants[0]["id"]

    def _create(self, payload):
        return self._product_set(self._product_input(payload), idempotent=False)

    def _update(self, existing, payload):
        # productSet with ids replaces the product's state: repeating it is harmless.
        return self._product_set(self._product_input(payload, existing), idempotent=True)

    def _inventory_items(self, keys):
        """Map each key (variant GID or SKU) to its inventory item GID (missing keys left out)."""
        found = {}
        gids = [k for k in keys if k.startswith("gid://shopify/ProductVariant/")]
        if gids:
            data = self.graphql(Q_VARIANT_NODES, {"ids": gids}, cost=len(gids) + 1)
            for node in data["nodes"]:
                if node and node.get("inventoryItem"):
                    found[node["id"]] = node["inventoryItem"]["id"]
        for sku in (k for k in keys if k not in gids):
            listing = self.find_listing(sku)
            if listing is not None:
                found[sku] = listing.raw["inventoryItem"]["id"]
        return found

    def _set_quantity_batch(self, batch):
        items = self._inventory_items([key for key, _qty in batch])
        results, quantities, sent = [], [], []
        for key, qty in batch:
            if key not in items:
                results.append(QuantityResult(key, qty, False, "Shopify: no variant %s" % key))
                continue
            quantities.append(
                {"inventoryItemId": items[key], "locationId": self.location_id(), "quantity": qty}
            )
            sent.append((key, qty))
        if quantities:
            data = self.graphql(
                M_INVENTORY_SET,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "ignoreCompareQuantity": True,
                        "quantities": quantities,
                    }
                },
                mutation=True,
                idempotent=True,  # absolute quantities: re-sending is harmless
                cost=10 + len(quantities),
            )
            self._user_errors(data["inventorySetQuantities"], "the quantities")
            results.extend(results_ok(sent))
        return results

    def end_listing(self, external_ref):
        """Stop selling the variant ``external_ref`` (a ProductVariant GID).

        The only variant of its product: the product is set to ``ARCHIVED`` with
        ``productUpdate`` (``productChangeStatus`` is deprecated in 2025-01), which takes it off
        every sales channel. One variant among others: ``productVariantsBulkUpdate`` sets its
        ``inventoryPolicy`` to ``DENY`` (no overselling) and ``inventorySetQuantities`` its
        available quantity to 0 at the channel's location, so it cannot be bought while the
        product's other variants stay on sale. Both are absolute settings, retried like reads;
        an unknown variant or an archived product is already ended. A later ``publish()`` of
        the SKU finds the variant again and ``productSet`` makes the product ``ACTIVE``.
        """
        node = self.graphql(Q_VARIANT_TO_END, {"id": external_ref}, cost=5)["node"]
        if not node or not node.get("product"):
            _logger.info("Shopify: variant %s is gone: nothing to end", external_ref)
            return
        product = node["product"]
        if len(product["variants"]["nodes"]) <= 1:
            if product.get("status") == "ARCHIVED":
                return
            data = self.graphql(
                M_PRODUCT_UPDATE,
                {"product": {"id": product["id"], "status": "ARCHIVED"}},
                mutation=True,
                idempotent=True,  # sets a status: repeating it is harmless
            )
            self._user_errors(data["productUpdate"], "ending the product %s" % product["id"])
            return
        if node.get("inventoryPolicy") != "DENY":
            data = self.graphql(
                M_VARIANTS_BULK_UPDATE,
                {
                    "productId": product["id"],
                    "variants": [{"id": node["id"], "inventoryPolicy": "DENY"}],
                },
                mutation=True,
                idempotent=True,
            )
            self._user_errors(
                data["productVariantsBulkUpdate"], "ending the variant %s" % external_ref
            )
        result = self._set_quantity_batch([(external_ref, 0)])[0]
        if not result.ok:
            raise self.error("Shopify: ending %s failed: %s" % (external_ref, result.message))

    # ------------------------------------------------------------------ orders
    @staticmethod
    def _address(data, reader=None, what="address"):
        reader = reader or OrderReader()
        data = reader.mapping(data, what)

        def field(key):
            return reader.text(data.get(key), "%s %s" % (what, key))

        return Address(
            name=field("name"),
            company=field("company"),
            street=field("address1"),
            street2=field("address2"),
            city=field("city"),
            zip=field("zip"),
            state=field("provinceCode"),
            country_code=field("countryCodeV2"),
            phone=field("phone"),
        )

    def _order(self, node):
        return self.read_order(node, self._read_order)

    def _read_order(self, node, reader):
        def amount(money_bag, what):
            shop_money = reader.mapping(reader.mapping(money_bag, what).get("shopMoney"), what)
            return reader.number(shop_money.get("amount"), what)

        def taxes(tax_lines, what):
            """(tax, rate percent of the one tax charged or None) of ``taxLines``."""
            items = [
                t
                for _n, t in reader.entries(
                    reader.items(tax_lines, "%s: taxLines" % what, required=False),
                    "%s: tax line" % what,
                )
            ]
            amounts = [amount(t.get("priceSet"), "%s: tax" % what) for t in items]
            rates = {
                reader.number(t.get("ratePercentage"), "%s: tax rate" % what, None)
                for t, value in zip(items, amounts, strict=True)
                if value
            }
            return round(sum(amounts), 2), (rates.pop() if len(rates) == 1 else None)

        ref = reader.order_ref(node.get("id"))
        line_items = reader.mapping(node.get("lineItems"), "lineItems")
        lines = []
        for number, li in reader.entries(
            reader.items(line_items.get("nodes"), "lineItems"), "line"
        ):
            sku = reader.text(li.get("sku"), "line %d SKU" % number)
            label = line_label(number, sku)
            tax, rate = taxes(li.get("taxLines"), label)
            quantity = reader.number(li.get("quantity"), "%s: quantity" % label, 0, required=True)
            unit_price = amount(li.get("originalUnitPriceSet"), "%s: price" % label)
            # the discounts of the line and its share of the order's discounts
            discount = sum(
                amount(d.get("allocatedAmountSet"), "%s: discount" % label)
                for _n, d in reader.entries(
                    reader.items(
                        li.get("discountAllocations"), "%s: discounts" % label, required=False
                    ),
                    "%s: discount" % label,
                )
            )
            lines.append(
                RemoteOrderLine(
                    external_ref=reader.ref(li.get("id"), "%s: id" % label),
                    sku=sku,
                    title=reader.text(li.get("title"), "%s: title" % label),
                    quantity=quantity,
                    unit_price=unit_price,
                    total=round(unit_price * quantity - discount, 2),
                    listing_ref=reader.text(
                        reader.mapping(li.get("variant"), "%s: variant" % label).get("id"),
                        "%s: variant id" % label,
                    ),
                    tax_amount=tax,
                    tax_rate=rate,
                )
            )
        customer = reader.mapping(node.get("customer"), "customer")
        shipping = reader.mapping(node.get("shippingLine"), "shippingLine")
        shipping_tax, shipping_rate = taxes(shipping.get("taxLines"), "shipping line")
        taxes_included = node.get("taxesIncluded")
        if taxes_included is not None and not isinstance(taxes_included, bool):
            reader.note("taxesIncluded %s cannot be read" % shown(taxes_included))
            taxes_included = None
        created = reader.date(node.get("createdAt"), "order date", required=True)
        updated = node.get("updatedAt")
        return RemoteOrder(
            external_ref=ref,
            name=reader.text(node.get("name"), "order name"),
            status=reader.text(node.get("displayFulfillmentStatus"), "fulfilment status"),
            cancelled=bool(node.get("cancelledAt")),
            created_at=created,
            updated_at=reader.date(updated, "order update date") if updated else created,
            currency=reader.text(node.get("currencyCode"), "currency"),
            total=amount(node.get("totalPriceSet"), "order total"),
            shipping_amount=amount(node.get("totalShippingPriceSet"), "shipping total"),
            tax_amount=amount(node.get("totalTaxSet"), "tax total"),
            prices_include_tax=taxes_included,
            taxes_reported=taxes_included is not None,
            shipping_tax_amount=shipping_tax if shipping else None,
            shipping_tax_rate=shipping_rate,
            service_level=reader.text(shipping.get("title"), "shipping title")
            or reader.text(shipping.get("code"), "shipping code"),
            buyer_name=reader.text(customer.get("displayName"), "customer name"),
            buyer_email=reader.text(node.get("email"), "email")
            or reader.text(customer.get("email"), "customer email"),
            shipping_address=self._address(node.get("shippingAddress"), reader, "shipping address"),
            billing_address=self._address(node.get("billingAddress"), reader, "billing address"),
            lines=lines,
            raw=node,
        )

    def fetch_orders(self, since=None):
        query = (
            "updated_at:>='%s'" % utc_naive(since).strftime("%Y-%m-%dT%H:%M:%SZ") if since else None
        )
        after = None
        while True:
            data = self.graphql(Q_ORDERS, {"first": 50, "after": after, "query": query}, cost=120)
            page = data["orders"]
            for node in page["nodes"] or []:
                yield self._order(node)
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def mark_shipped(self, shipment):
        order = self.graphql(Q_FULFILLMENT_ORDERS, {"id": shipment.order_ref}, cost=30)["order"]
        if not order:
            raise self.error("Shopify: order %s not found" % shipment.order_ref)
        wanted = dict(shipment.lines)
        groups = []
        for fo in order["fulfillmentOrders"]["nodes"]:
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                continue
            items = []
            for li in fo["lineItems"]["nodes"]:
                qty = li["remainingQuantity"]
                if wanted:
                    qty = min(qty, int(wanted.get(li["lineItem"]["id"], 0)))
                if qty > 0:
                    items.append({"id": li["id"], "quantity": qty})
            if items:
                groups.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items})
        if not groups:
            return None  # already fulfilled: nothing left to report
        tracking = {"company": shipment.carrier, "number": shipment.tracking_number}
        if shipment.tracking_url:
            tracking["url"] = shipment.tracking_url
        data = self.graphql(
            M_FULFILLMENT_CREATE,
            {
                "fulfillment": {
                    "lineItemsByFulfillmentOrder": groups,
                    "trackingInfo": tracking,
                    "notifyCustomer": shipment.notify_customer,
                }
            },
            mutation=True,
        )
        result = data["fulfillmentCreate"]
        self._user_errors(result, "the fulfilment of %s" % shipment.order_ref)
        return result["fulfillment"]["id"]
