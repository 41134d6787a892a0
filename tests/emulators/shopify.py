"""Shopify GraphQL Admin API 2025-01, executed by graphql-core against Shopify's own schema.

Every document is parsed and validated against the 2025-01 introspection schema; fields are
resolved from in-memory state (products with variants, inventory per location, orders with
fulfillment orders and fulfillments). Query cost is reported in ``extensions.cost`` from a
leaky bucket, as Shopify does.
"""

import functools
import json
import math
import re
import time

from graphql import ExecutionResult, OperationType, execute, parse, validate

from .common import connection, now_iso, parse_iso
from .core import ChannelApp, Response
from .specs import shopify_schema

API_PATH = "/admin/api/2025-01/graphql.json"
LOCATION = "gid://shopify/Location/1"
#: The shop's locations (the first is the default one).
LOCATIONS = {LOCATION: "Warehouse", "gid://shopify/Location/2": "Kendal shop"}


def gid(kind, number):
    return "gid://shopify/%s/%s" % (kind, number)


class ShopifyApp(ChannelApp):
    name = "shopify"

    def __init__(self, credentials=None, throttle_max=2000.0, restore_rate=100.0):
        self.throttle_max = float(throttle_max)
        self.restore_rate = float(restore_rate)
        super().__init__(credentials)
        self.schema = shopify_schema()
        self.documents = []  # every document received, for tests

    def reset(self):
        super().reset()
        self.products = {}
        self.variants = {}
        self.inventory = {}  # (inventory item gid, location gid) -> quantity
        self.orders = {}
        self.fulfillments = {}
        self.payouts = {}  # finances (ecom_accounting): payout gid -> payout
        self.balance_transactions = []
        self.available = getattr(self, "throttle_max", 2000.0)
        self.stamp = time.monotonic()

    # ------------------------------------------------------------------ HTTP
    def operation(self, request):
        try:
            doc = json.loads(request.body or b"{}").get("query") or ""
        except ValueError:
            return "invalid"
        match = re.search(r"\b(?:query|mutation)\s+(\w+)", doc)
        return match.group(1) if match else "query"

    def _cost(self, document, variables):
        try:
            ast = parse(document)
        except Exception:
            return 1
        mutation = any(
            getattr(d, "operation", None) == OperationType.MUTATION for d in ast.definitions
        )
        firsts = 0
        for match in re.finditer(r"first:\s*(\$?\w+)", document):
            value = match.group(1)
            value = variables.get(value[1:]) if value.startswith("$") else value
            try:
                firsts += int(value or 0)
            except (TypeError, ValueError):
                pass
        return (10 if mutation else 1) + firsts

    def _throttle_status(self):
        now = time.monotonic()
        self.available = min(
            self.throttle_max, self.available + (now - self.stamp) * self.restore_rate
        )
        self.stamp = now
        return {
            "maximumAvailable": self.throttle_max,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }

    def throttled_response(self, request):
        with self.lock:
            status = self._throttle_status()
        cost = {
            "requestedQueryCost": self.throttle_max,
            "actualQueryCost": None,
            "throttleStatus": status,
        }
        return Response.json(
            {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {"cost": cost},
            }
        )

    def dispatch(self, request, operation):
        if request.path != API_PATH:
            return Response.json({"errors": "Not Found"}, status=404)
        if request.headers.get("x-shopify-access-token") != self.credentials.get("access_token"):
            return Response.json(
                {
                    "errors": "[API] Invalid API key or access token"
                    " (unrecognized login or wrong password)"
                },
                status=401,
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            return Response.json(
                {"errors": {"query": "Required parameter missing or invalid"}}, 400
            )
        document = body.get("query") or ""
        variables = body.get("variables") or {}
        with self.lock:
            self.documents.append(document)
            cost = self._cost(document, variables)
            status = self._throttle_status()
            if self.available < cost:
                return self.throttled_response(request)
            result = self._execute(document, variables)
            self.available -= cost
            status = self._throttle_status()
        answer = {"data": result.data} if result.data is not None else {}
        self._add_raw_orders(answer)
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        answer["extensions"] = {
            "cost": {"requestedQueryCost": cost, "actualQueryCost": cost, "throttleStatus": status}
        }
        return Response.json(answer)

    def _add_raw_orders(self, answer):
        """Raw orders (``add_raw_order``) go as they are after the last page of ``orders``."""
        orders = (answer.get("data") or {}).get("orders")
        if not self.raw_orders or not isinstance(orders, dict):
            return
        if (orders.get("pageInfo") or {}).get("hasNextPage"):
            return
        if isinstance(orders.get("nodes"), list):
            orders["nodes"].extend(self.raw_orders)
        if isinstance(orders.get("edges"), list):
            orders["edges"].extend({"node": o, "cursor": "raw"} for o in self.raw_orders)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one app per emulator, few documents
    def _checked(self, document):
        """Parse and validate a document once: (ast, errors)."""
        try:
            ast = parse(document)
        except Exception as exc:  # GraphQLSyntaxError
            return None, [exc]
        return ast, validate(self.schema, ast)

    def _execute(self, document, variables):
        ast, errors = self._checked(document)
        if errors:
            return ExecutionResult(data=None, errors=errors)
        return execute(self.schema, ast, root_value=self.root(), variable_values=variables)

    # ------------------------------------------------------------------ objects
    def _variant_obj(self, variant):
        product = self.products[variant["product_id"]]
        item = variant["inventory_item_id"]
        quantity = sum(q for (i, _loc), q in self.inventory.items() if i == item)
        return {
            "__typename": "ProductVariant",
            "id": variant["id"],
            "sku": variant["sku"],
            "barcode": variant["barcode"],
            "price": variant["price"],
            "inventoryPolicy": variant.get("inventory_policy", "DENY"),
            "title": "Default Title",
            "displayName": "%s - Default Title" % product["title"],
            "inventoryQuantity": quantity,
            "inventoryItem": {
                "__typename": "InventoryItem",
                "id": item,
                "sku": variant["sku"],
                "tracked": True,
            },
            "product": lambda info: self._product_obj(product),
        }

    def _product_obj(self, product):
        return {
            "__typename": "Product",
            "id": product["id"],
            "title": product["title"],
            "handle": product["handle"],
            "descriptionHtml": product["descriptionHtml"],
            "status": product["status"],
            "productType": product["productType"],
            "vendor": product["vendor"],
            "tags": product["tags"],
            "createdAt": product["createdAt"],
            "updatedAt": product["updatedAt"],
            "variants": lambda info, first=None, after=None, **_: connection(
                [self._variant_obj(self.variants[v]) for v in product["variant_ids"]], first, after
            ),
        }

    # ------------------------------------------------------------------ queries
    def shop(self, info):
        return {
            "__typename": "Shop",
            "name": "Emulated Shop",
            "myshopifyDomain": "emulated-shop.myshopify.com",
            "currencyCode": "GBP",
        }

    def locations(self, info, first=None, after=None, **_):
        return connection(
            [
                {"__typename": "Location", "id": gid, "name": name}
                for gid, name in LOCATIONS.items()
            ],
            first,
            after,
        )

    def productVariants(self, info, first=None, after=None, query=None, **_):  # noqa: N802
        variants = sorted(self.variants.values(), key=lambda v: int(v["id"].rsplit("/", 1)[1]))
        if query:
            match = re.fullmatch(r'\s*sku:\s*"?([^"]*)"?\s*', query)
            if match:
                variants = [v for v in variants if v["sku"] == match.group(1)]
        return connection([self._variant_obj(v) for v in variants], first, after)

    def products_query(self, info, first=None, after=None, **_):
        items = sorted(self.products.values(), key=lambda p: int(p["id"].rsplit("/", 1)[1]))
        return connection([self._product_obj(p) for p in items], first, after)

    def nodes(self, info, ids):
        return [self._node(i) for i in ids]

    def node(self, info, id):  # noqa: A002
        return self._node(id)

    def _node(self, ref):
        if ref in self.variants:
            return self._variant_obj(self.variants[ref])
        if ref in self.products:
            return self._product_obj(self.products[ref])
        if ref in self.orders:
            return self._order_obj(self.orders[ref])
        return None

    def _order_obj(self, order):
        def money(amount):
            return {
                "__typename": "MoneyBag",
                "shopMoney": {"amount": "%.2f" % amount, "currencyCode": order["currency"]},
                "presentmentMoney": {"amount": "%.2f" % amount, "currencyCode": order["currency"]},
            }

        def address(data):
            return dict(data, __typename="MailingAddress") if data else None

        def tax_lines(amount, rate):
            if not amount:
                return []
            rate = rate or 0.0
            return [
                {
                    "__typename": "TaxLine",
                    "title": "VAT",
                    "rate": rate,
                    "ratePercentage": round(rate * 100, 4),
                    "priceSet": money(amount),
                }
            ]

        lines = [
            {
                "__typename": "LineItem",
                "id": li["id"],
                "sku": li["sku"],
                "title": li["title"],
                "name": li["title"],
                "quantity": li["quantity"],
                "originalUnitPriceSet": money(li["price"]),
                "taxLines": tax_lines(
                    li.get("tax", 0.0), li.get("tax_rate", order.get("tax_rate"))
                ),
                "discountAllocations": [
                    {
                        "__typename": "DiscountAllocation",
                        "allocatedAmountSet": money(li["discount"]),
                    }
                ]
                if li.get("discount")
                else [],
                "variant": self._variant_obj(self.variants[li["variant_id"]])
                if li.get("variant_id") in self.variants
                else None,
            }
            for li in order["lines"]
        ]
        remaining = sum(
            fo_li["remaining"] for fo in order["fulfillment_orders"] for fo_li in fo["lines"]
        )
        total_qty = sum(li["quantity"] for li in order["lines"])
        status = (
            "FULFILLED"
            if remaining == 0
            else ("UNFULFILLED" if remaining == total_qty else "PARTIALLY_FULFILLED")
        )
        return {
            "__typename": "Order",
            "id": order["id"],
            "name": order["name"],
            "createdAt": order["createdAt"],
            "updatedAt": order["updatedAt"],
            "cancelledAt": order.get("cancelledAt"),
            "email": order["email"],
            "currencyCode": order["currency"],
            "displayFulfillmentStatus": status,
            "totalPriceSet": money(order["total"]),
            "totalShippingPriceSet": money(order["shipping"]),
            "totalTaxSet": money(order.get("tax", 0.0)),
            "taxesIncluded": order.get("taxes_included", False),
            "shippingLine": {
                "__typename": "ShippingLine",
                "title": order["service_level"],
                "code": order["service_level"],
                "taxLines": tax_lines(order.get("shipping_tax", 0.0), order.get("tax_rate")),
            },
            "customer": {
                "__typename": "Customer",
                "displayName": order["customer_name"],
                "email": order["email"],
            },
            "shippingAddress": address(order["address"]),
            "billingAddress": address(order["address"]),
            "lineItems": lambda info, first=None, after=None, **_: connection(lines, first, after),
            "fulfillmentOrders": lambda info, first=None, after=None, **_: connection(
                [self._fulfillment_order_obj(order, fo) for fo in order["fulfillment_orders"]],
                first,
                after,
            ),
            "fulfillments": lambda info, **_: [
                self.fulfillments[f] for f in order["fulfillment_ids"]
            ],
        }

    def _fulfillment_order_obj(self, order, fo):
        line_by_id = {li["id"]: li for li in order["lines"]}
        return {
            "__typename": "FulfillmentOrder",
            "id": fo["id"],
            "status": fo["status"],
            "lineItems": lambda info, first=None, after=None, **_: connection(
                [
                    {
                        "__typename": "FulfillmentOrderLineItem",
                        "id": li["id"],
                        "remainingQuantity": li["remaining"],
                        "totalQuantity": line_by_id[li["line_item_id"]]["quantity"],
                        "lineItem": {"__typename": "LineItem", "id": li["line_item_id"]},
                    }
                    for li in fo["lines"]
                ],
                first,
                after,
            ),
        }

    def orders_query(self, info, first=None, after=None, query=None, **_):
        items = sorted(self.orders.values(), key=lambda o: (o["updatedAt"], o["id"]))
        if query:
            match = re.search(r"updated_at:>=?'?([0-9T:\-Z+]+)'?", query)
            if match:
                since = parse_iso(match.group(1))
                items = [o for o in items if parse_iso(o["updatedAt"]) >= since]
        return connection([self._order_obj(o) for o in items], first, after)

    def order(self, info, id):  # noqa: A002
        order = self.orders.get(id)
        return self._order_obj(order) if order else None

    def root(self):
        """The root value: top-level query and mutation fields we emulate."""
        return {
            "shop": self.shop,
            "locations": self.locations,
            "productVariants": self.productVariants,
            "products": self.products_query,
            "nodes": self.nodes,
            "node": self.node,
            "orders": self.orders_query,
            "order": self.order,
            "productSet": self.productSet,
            "productUpdate": self.productUpdate,
            "productVariantsBulkUpdate": self.productVariantsBulkUpdate,
            "inventorySetQuantities": self.inventorySetQuantities,
            "fulfillmentCreate": self.fulfillmentCreate,
            "shopifyPaymentsAccount": self.shopifyPaymentsAccount,
        }

    # ------------------------------------------------------------------ mutations
    def _product_set_errors(self, input, product):  # noqa: A002
        errors = []
        if input.get("id") and product is None:
            errors.append(
                {"field": ["input", "id"], "message": "Product does not exist", "code": None}
            )
        if product is None and not input.get("title"):
            errors.append(
                {"field": ["input", "title"], "message": "Title can't be blank", "code": None}
            )
        if input.get("variants") and not input.get("productOptions") and product is None:
            errors.append(
                {
                    "field": ["input", "productOptions"],
                    "message": "Options are required when variants are set",
                    "code": None,
                }
            )
        for pos, var in enumerate(input.get("variants") or []):
            if var.get("id") and var["id"] not in self.variants:
                errors.append(
                    {
                        "field": ["input", "variants", str(pos), "id"],
                        "message": "Variant does not exist",
                        "code": None,
                    }
                )
        return errors

    @staticmethod
    def _set_category_and_metafields(product, input):  # noqa: A002
        if input.get("category"):
            product["category"] = input["category"]
        for field in input.get("metafields") or []:
            product.setdefault("metafields", {})[
                "%s.%s" % (field.get("namespace"), field.get("key"))
            ] = {"type": field.get("type"), "value": field.get("value")}

    def productSet(self, info, input, synchronous=True):  # noqa: N802, A002
        product = self.products.get(input.get("id")) if input.get("id") else None
        errors = self._product_set_errors(input, product)
        if errors:
            return {"product": None, "productSetOperation": None, "userErrors": errors}
        stamp = now_iso()
        if product is None:
            number = self.next_id()
            product = {
                "id": gid("Product", number),
                "handle": re.sub(r"[^a-z0-9]+", "-", input["title"].lower()).strip("-"),
                "createdAt": stamp,
                "variant_ids": [],
                "title": "",
                "descriptionHtml": "",
                "status": "ACTIVE",
                "productType": "",
                "vendor": "",
                "tags": [],
                "files": [],
            }
            self.products[product["id"]] = product
        for key in ("title", "descriptionHtml", "status", "productType", "vendor", "tags"):
            if key in input and input[key] is not None:
                product[key] = input[key]
        if "files" in input:
            product["files"] = [f.get("originalSource") for f in input["files"] or []]
        self._set_category_and_metafields(product, input)
        product["updatedAt"] = stamp
        if "variants" in input:
            keep = []
            for var in input["variants"] or []:
                variant = self.variants.get(var.get("id")) if var.get("id") else None
                if variant is None:
                    number = self.next_id()
                    variant = {
                        "id": gid("ProductVariant", number),
                        "product_id": product["id"],
                        "inventory_item_id": gid("InventoryItem", number),
                        "sku": "",
                        "barcode": None,
                        "price": "0.00",
                        "inventory_policy": "DENY",  # Shopify's default
                    }
                    self.variants[variant["id"]] = variant
                for key in ("sku", "barcode", "price"):
                    if var.get(key) is not None:
                        variant[key] = var[key]
                if var.get("inventoryPolicy"):
                    variant["inventory_policy"] = var["inventoryPolicy"]
                if (var.get("inventoryItem") or {}).get("sku"):
                    variant["sku"] = var["inventoryItem"]["sku"]
                for qty in var.get("inventoryQuantities") or []:
                    self.inventory[(variant["inventory_item_id"], qty["locationId"])] = qty[
                        "quantity"
                    ]
                keep.append(variant["id"])
            for old in set(product["variant_ids"]) - set(keep):
                self.variants.pop(old, None)
            product["variant_ids"] = keep
        return {
            "product": self._product_obj(product),
            "productSetOperation": None,
            "userErrors": [],
        }

    def productUpdate(self, info, product=None, media=None):  # noqa: N802
        """Update the scalar fields of a product; ``status: ARCHIVED`` takes it off sale."""
        product = product or {}
        record = self.products.get(product.get("id") or "")
        if record is None:
            return {
                "product": None,
                "userErrors": [{"field": ["id"], "message": "Product does not exist"}],
            }
        for key in ("title", "descriptionHtml", "status", "productType", "vendor", "tags"):
            if product.get(key) is not None:
                record[key] = product[key]
        record["updatedAt"] = now_iso()
        return {"product": self._product_obj(record), "userErrors": []}

    def productVariantsBulkUpdate(  # noqa: N802
        self,
        info,
        productId,
        variants,
        media=None,
        allowPartialUpdates=False,  # noqa: N803
    ):
        record = self.products.get(productId)
        if record is None:
            error = {"field": ["productId"], "message": "Product does not exist", "code": None}
            return {"product": None, "productVariants": None, "userErrors": [error]}
        errors = [
            {
                "field": ["variants", str(pos), "id"],
                "message": "Product variant does not exist",
                "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
            }
            for pos, var in enumerate(variants)
            if var.get("id") not in record["variant_ids"]
        ]
        if errors:
            return {"product": None, "productVariants": None, "userErrors": errors}
        for var in variants:
            variant = self.variants[var["id"]]
            for key in ("barcode", "price"):
                if var.get(key) is not None:
                    variant[key] = var[key]
            if var.get("inventoryPolicy"):
                variant["inventory_policy"] = var["inventoryPolicy"]
        record["updatedAt"] = now_iso()
        return {
            "product": self._product_obj(record),
            "productVariants": [self._variant_obj(self.variants[v["id"]]) for v in variants],
            "userErrors": [],
        }

    def inventorySetQuantities(self, info, input):  # noqa: N802, A002
        items = {v["inventory_item_id"] for v in self.variants.values()}
        errors = []
        if input["name"] not in ("available", "on_hand"):
            errors.append(
                {
                    "field": ["input", "name"],
                    "message": "The quantity name must be available or on_hand",
                    "code": "INVALID_NAME",
                }
            )
        for pos, qty in enumerate(input["quantities"]):
            if qty["inventoryItemId"] not in items:
                errors.append(
                    {
                        "field": ["input", "quantities", str(pos), "inventoryItemId"],
                        "message": "The specified inventory item could not be found.",
                        "code": "INVALID_INVENTORY_ITEM",
                    }
                )
            if qty["locationId"] not in LOCATIONS:
                errors.append(
                    {
                        "field": ["input", "quantities", str(pos), "locationId"],
                        "message": "The specified location could not be found.",
                        "code": "INVALID_LOCATION",
                    }
                )
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        for qty in input["quantities"]:
            self.inventory[(qty["inventoryItemId"], qty["locationId"])] = qty["quantity"]
        return {
            "inventoryAdjustmentGroup": {
                "__typename": "InventoryAdjustmentGroup",
                "reason": input["reason"],
                "createdAt": now_iso(),
            },
            "userErrors": [],
        }

    def fulfillmentCreate(self, info, fulfillment, message=None):  # noqa: N802
        errors = []
        targets = []
        for group in fulfillment["lineItemsByFulfillmentOrder"]:
            found = None
            for order in self.orders.values():
                for fo in order["fulfillment_orders"]:
                    if fo["id"] == group["fulfillmentOrderId"]:
                        found = (order, fo)
            if found is None or found[1]["status"] == "CLOSED":
                errors.append(
                    {
                        "field": ["fulfillment"],
                        "message": "Fulfillment order %s is not open" % group["fulfillmentOrderId"],
                    }
                )
                continue
            order, fo = found
            lines = {li["id"]: li for li in fo["lines"]}
            for item in group.get("fulfillmentOrderLineItems") or [
                {"id": i, "quantity": li["remaining"]} for i, li in lines.items()
            ]:
                li = lines.get(item["id"])
                if li is None or item["quantity"] > li["remaining"]:
                    errors.append(
                        {
                            "field": ["fulfillment"],
                            "message": "Invalid quantity for %s" % item["id"],
                        }
                    )
                else:
                    targets.append((order, fo, li, item["quantity"]))
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        tracking = fulfillment.get("trackingInfo") or {}
        number = self.next_id()
        record = {
            "__typename": "Fulfillment",
            "id": gid("Fulfillment", number),
            "status": "SUCCESS",
            "trackingInfo": [
                {
                    "__typename": "FulfillmentTrackingInfo",
                    "company": tracking.get("company"),
                    "number": tracking.get("number"),
                    "url": tracking.get("url"),
                }
            ],
            "notify_customer": fulfillment.get("notifyCustomer", False),
        }
        self.fulfillments[record["id"]] = record
        for order, fo, li, qty in targets:
            li["remaining"] -= qty
            if all(x["remaining"] == 0 for x in fo["lines"]):
                fo["status"] = "CLOSED"
            if record["id"] not in order["fulfillment_ids"]:
                order["fulfillment_ids"].append(record["id"])
            order["updatedAt"] = now_iso()
        return {"fulfillment": record, "userErrors": []}

    # ------------------------------------------------------------------ finances (ecom_accounting)
    @staticmethod
    def _money_v2(amount, currency):
        return {"__typename": "MoneyV2", "amount": "%.2f" % amount, "currencyCode": currency}

    def _payout_obj(self, payout):
        return {
            "__typename": "ShopifyPaymentsPayout",
            "id": payout["id"],
            "legacyResourceId": str(payout["legacy_id"]),
            "issuedAt": payout["issued_at"],
            "status": payout["status"],
            "transactionType": "DEPOSIT",
            "net": self._money_v2(payout["net"], payout["currency"]),
            "gross": self._money_v2(payout["net"], payout["currency"]),
        }

    def _balance_transaction_obj(self, tx):
        payout = self.payouts.get(tx["payout_id"])
        order = self.orders.get(tx["order_id"]) if tx.get("order_id") else None
        return {
            "__typename": "ShopifyPaymentsBalanceTransaction",
            "id": tx["id"],
            "type": tx["type"],
            "test": False,
            "transactionDate": tx["date"],
            "amount": self._money_v2(tx["amount"], tx["currency"]),
            "fee": self._money_v2(tx["fee"], tx["currency"]),
            "net": self._money_v2(tx["amount"] - tx["fee"], tx["currency"]),
            "associatedOrder": {
                "__typename": "ShopifyPaymentsAssociatedOrder",
                "id": order["id"],
                "name": order["name"],
            }
            if order
            else None,
            "associatedPayout": {
                "__typename": "ShopifyPaymentsBalanceTransactionAssociatedPayout",
                "id": tx["payout_id"],
                "status": payout["status"] if payout else None,
            },
            "adjustmentsOrders": [],
        }

    def shopifyPaymentsAccount(self, info):  # noqa: N802
        def payouts(info, first=None, after=None, **_):
            items = sorted(self.payouts.values(), key=lambda p: (p["issued_at"], p["id"]))
            items.reverse()  # newest first, as Shopify lists them
            return connection([self._payout_obj(p) for p in items], first, after)

        def balance_transactions(info, first=None, after=None, query=None, **_):
            items = self.balance_transactions
            if query:
                match = re.search(r"payments_transfer_id:(\d+)", query)
                if match:
                    wanted = int(match.group(1))
                    ids = {p["id"] for p in self.payouts.values() if p["legacy_id"] == wanted}
                    items = [tx for tx in items if tx["payout_id"] in ids]
            return connection([self._balance_transaction_obj(tx) for tx in items], first, after)

        return {
            "__typename": "ShopifyPaymentsAccount",
            "id": gid("ShopifyPaymentsAccount", 1),
            "activated": True,
            "payouts": payouts,
            "balanceTransactions": balance_transactions,
        }

    def seed_payout(self, order_ids, fees=None, fee_rate=0.029, date=None, status="PAID"):
        """A Shopify Payments payout of ``order_ids``: one CHARGE balance transaction per order
        (its total, less ``fees[order_id]`` or ``fee_rate`` of it). Returns the payout id and
        its net amount."""
        fees = fees or {}
        stamp = date or now_iso()
        with self.lock:
            number = self.next_id()
            payout_id = gid("ShopifyPaymentsPayout", number)
            net, currency = 0.0, "GBP"
            for order_id in order_ids:
                order = self.orders[order_id]
                currency = order["currency"]
                fee = fees.get(order_id, round(order["total"] * fee_rate, 2))
                self.balance_transactions.append(
                    {
                        "id": gid("ShopifyPaymentsBalanceTransaction", self.next_id()),
                        "type": "CHARGE",
                        "date": stamp,
                        "amount": order["total"],
                        "fee": fee,
                        "currency": currency,
                        "order_id": order_id,
                        "payout_id": payout_id,
                    }
                )
                net += order["total"] - fee
            self.payouts[payout_id] = {
                "id": payout_id,
                "legacy_id": number,
                "issued_at": stamp,
                "status": status,
                "net": round(net, 2),
                "currency": currency,
            }
            return {"id": payout_id, "amount": round(net, 2)}

    # ------------------------------------------------------------------ seeding / state
    def seed_order(
        self,
        lines,
        customer=None,
        address=None,
        service_level="Standard",
        currency="GBP",
        shipping=0.0,
        created_at=None,
        taxes_included=False,
        tax_rate=0.0,
    ):
        """An order of ``lines`` (``sku``, ``quantity``, ``price``); with ``tax_rate`` (e.g.
        0.2) each line and the shipping carry that tax, included in the prices or added to
        them as ``taxes_included`` says, as Shopify reports it (``taxLines``, ``totalTaxSet``)."""
        customer = customer or {}

        def tax_of(amount, rate=tax_rate):
            cents = math.floor(amount * 100 + 0.5 + 1e-9)
            if taxes_included:
                tax = cents - cents / (1 + rate)
            else:
                tax = cents * rate
            return math.floor(tax + 0.5 + 1e-9) / 100

        with self.lock:
            number = self.next_id()
            stamp = created_at or now_iso()
            order_lines, fo_lines = [], []
            for line in lines:
                variant = next((v for v in self.variants.values() if v["sku"] == line["sku"]), None)
                line_number = self.next_id()
                order_lines.append(
                    {
                        "id": gid("LineItem", line_number),
                        "sku": line["sku"],
                        "title": line.get("title") or line["sku"],
                        "quantity": int(line.get("quantity", 1)),
                        "price": float(line.get("price", 0)),
                        "discount": float(line.get("discount", 0)),
                        "tax": tax_of(
                            float(line.get("price", 0)) * int(line.get("quantity", 1))
                            - float(line.get("discount", 0)),
                            float(line.get("tax_rate", tax_rate)),
                        ),
                        "tax_rate": float(line.get("tax_rate", tax_rate)),
                        "variant_id": variant["id"] if variant else None,
                    }
                )
                fo_lines.append(
                    {
                        "id": gid("FulfillmentOrderLineItem", line_number),
                        "line_item_id": gid("LineItem", line_number),
                        "remaining": int(line.get("quantity", 1)),
                    }
                )
            total = sum(li["quantity"] * li["price"] - li["discount"] for li in order_lines)
            total += float(shipping)
            shipping_tax = tax_of(float(shipping))
            tax = sum(li["tax"] for li in order_lines) + shipping_tax
            if not taxes_included:
                total += tax
            addr = address or {}
            order = {
                "id": gid("Order", number),
                "name": "#%d" % number,
                "createdAt": stamp,
                "updatedAt": stamp,
                "email": customer.get("email", ""),
                "customer_name": customer.get("name", ""),
                "currency": currency,
                "total": round(total, 2),
                "shipping": float(shipping),
                "tax": round(tax, 2),
                "tax_rate": tax_rate,
                "shipping_tax": shipping_tax,
                "taxes_included": bool(taxes_included),
                "service_level": service_level,
                "address": {
                    "name": addr.get("name") or customer.get("name", ""),
                    "company": addr.get("company"),
                    "address1": addr.get("street"),
                    "address2": addr.get("street2"),
                    "city": addr.get("city"),
                    "zip": addr.get("zip"),
                    "provinceCode": addr.get("state"),
                    "countryCodeV2": addr.get("country_code"),
                    "phone": addr.get("phone"),
                },
                "lines": order_lines,
                "fulfillment_orders": [
                    {"id": gid("FulfillmentOrder", number), "status": "OPEN", "lines": fo_lines}
                ],
                "fulfillment_ids": [],
            }
            self.orders[order["id"]] = order
            return {"id": order["id"], "name": order["name"]}

    def snapshot(self):
        with self.lock:
            return {
                "products": [
                    dict(
                        p,
                        variants=[
                            dict(
                                self.variants[v],
                                quantity=self._variant_obj(self.variants[v])["inventoryQuantity"],
                            )
                            for v in p["variant_ids"]
                        ],
                    )
                    for p in self.products.values()
                ],
                "orders": list(self.orders.values()),
                "fulfillments": [
                    {k: v for k, v in f.items() if k != "__typename"}
                    for f in self.fulfillments.values()
                ],
            }
