"""Amazon Selling Partner API: LWA token exchange, Listings Items, Feeds and Orders v0.

Checked against the published models: request bodies of putListingsItem, patchListingsItem,
createFeedDocument, createFeed and confirmShipment against their Swagger definitions, every
JSON answer against the definition the model names for it, and uploaded JSON_LISTINGS_FEED
documents against ``listings-feed-schema-v2.json`` (a feed whose document is invalid ends
FATAL, with the schema errors in its processing report, itself checked against the report
schema). Errors are ``{"errors": [{"code", "message", "details"}]}``; every answer carries
``x-amzn-RateLimit-Limit`` and ``x-amzn-RequestId``; the ``throttled`` fault answers 429 without
``Retry-After``, as SP-API does.

Login with Amazon is another host (``LwaApp``, served under ``/amazon-lwa``, like
``https://api.amazon.com``): ``POST /auth/o2/token`` exchanges the refresh token (form fields
``grant_type``, ``refresh_token``, ``client_id``, ``client_secret``) or a consent code
(``authorization_code``, see ``issue_code``) for an access token valid ``token_ttl`` seconds;
``expire_tokens()`` makes every issued token expire at once, ``revoke_refresh_token()`` makes
LWA answer ``invalid_grant``. The SP-API host has no token endpoint.

PII: getOrders/getOrder/getOrderItems answer the buyer's name and e-mail and the full shipping
address only to a Restricted Data Token (``createRestrictedDataToken``) naming that operation's
path and the ``buyerInfo``/``shippingAddress`` data elements; with the plain access token an
order carries only city, region, postcode and country, as SP-API does. ``product_types`` holds
the Product Type Definitions (``getDefinitionsProductType``): the JSON schema of a product type
with its required attributes; ``putListingsItem`` refuses a LISTING missing one of them.

Feed documents are uploaded to and read from ``/_documents/<id>`` (the emulator's stand-in
for the pre-signed S3 URLs). A feed answers ``IN_PROGRESS`` to its first ``feed_polls``
getFeed calls, then ``DONE``.
"""

import base64
import json
import math
import re
import time
import uuid
from urllib.parse import parse_qs

from .common import now_iso, parse_iso
from .core import ChannelApp, HttpError, Response
from .specs import listings_feed_schema, load_json, swagger_schema, validation_errors

LISTINGS_MODEL = "amazon-sp-api/listingsItems_2021-08-01.json"
FEEDS_MODEL = "amazon-sp-api/feeds_2021-06-30.json"
ORDERS_MODEL = "amazon-sp-api/ordersV0.json"
FINANCES_MODEL = "amazon-sp-api/financesV0.json"
TOKENS_MODEL = "amazon-sp-api/tokens_2021-03-01.json"
DEFINITIONS_MODEL = "amazon-sp-api/definitionsProductTypes_2020-09-01.json"
#: Restricted operations (paths as the Tokens API takes them) and the data elements they give.
RESTRICTED = {
    ("GET", "/orders/v0/orders"): {"buyerInfo", "shippingAddress", "buyerTaxInformation"},
    ("GET", "/orders/v0/orders/{orderId}"): {"buyerInfo", "shippingAddress", "buyerTaxInformation"},
    ("GET", "/orders/v0/orders/{orderId}/orderItems"): {"buyerInfo"},
    ("GET", "/orders/v0/orders/{orderId}/address"): set(),
    ("GET", "/orders/v0/orders/{orderId}/buyerInfo"): set(),
}
#: What an order shows of its shipping address without a Restricted Data Token.
PUBLIC_ADDRESS = ("City", "StateOrRegion", "PostalCode", "CountryCode")
REPORT_SCHEMA = "amazon-sp-api/listings-feed-processing-report-schema-v2.json"
MARKETPLACES = ("A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A13V1IB3VIYZZH", "ATVPDKIKX0DER")

ROUTES = [
    (
        re.compile(r"^/tokens/2021-03-01/restrictedDataToken$"),
        {"POST": "createRestrictedDataToken"},
    ),
    (
        re.compile(r"^/definitions/2020-09-01/productTypes/(?P<product_type>[\w-]+)$"),
        {"GET": "getDefinitionsProductType"},
    ),
    (
        re.compile(r"^/_documents/(?P<doc_id>[\w.-]+)$"),
        {"PUT": "uploadDocument", "GET": "downloadDocument"},
    ),
    (re.compile(r"^/listings/2021-08-01/items/(?P<seller>[^/]+)$"), {"GET": "searchListingsItems"}),
    (
        re.compile(r"^/listings/2021-08-01/items/(?P<seller>[^/]+)/(?P<sku>[^/]+)$"),
        {
            "GET": "getListingsItem",
            "PUT": "putListingsItem",
            "PATCH": "patchListingsItem",
            "DELETE": "deleteListingsItem",
        },
    ),
    (re.compile(r"^/feeds/2021-06-30/documents$"), {"POST": "createFeedDocument"}),
    (re.compile(r"^/feeds/2021-06-30/documents/(?P<doc_id>[\w.-]+)$"), {"GET": "getFeedDocument"}),
    (re.compile(r"^/feeds/2021-06-30/feeds$"), {"POST": "createFeed"}),
    (
        re.compile(r"^/feeds/2021-06-30/feeds/(?P<feed_id>\w+)$"),
        {"GET": "getFeed", "DELETE": "cancelFeed"},
    ),
    (re.compile(r"^/orders/v0/orders$"), {"GET": "getOrders"}),
    (re.compile(r"^/orders/v0/orders/(?P<order_id>[\w-]+)$"), {"GET": "getOrder"}),
    (re.compile(r"^/orders/v0/orders/(?P<order_id>[\w-]+)/orderItems$"), {"GET": "getOrderItems"}),
    (
        re.compile(r"^/orders/v0/orders/(?P<order_id>[\w-]+)/shipmentConfirmation$"),
        {"POST": "confirmShipment"},
    ),
    # finances (ecom_accounting)
    (re.compile(r"^/finances/v0/financialEventGroups$"), {"GET": "listFinancialEventGroups"}),
    (
        re.compile(r"^/finances/v0/financialEventGroups/(?P<group_id>[\w-]+)/financialEvents$"),
        {"GET": "listFinancialEventsByGroupId"},
    ),
]

#: Published rate limits (requests per second) reported in ``x-amzn-RateLimit-Limit``.
RATE_LIMITS = {
    "searchListingsItems": "5.0",
    "getListingsItem": "5.0",
    "putListingsItem": "5.0",
    "patchListingsItem": "5.0",
    "deleteListingsItem": "5.0",
    "createFeedDocument": "0.5",
    "createFeed": "0.0083",
    "getFeed": "2.0",
    "cancelFeed": "2.0",
    "getFeedDocument": "0.0222",
    "getOrders": "0.0167",
    "getOrder": "0.5",
    "getOrderItems": "0.5",
    "confirmShipment": "2.0",
    "listFinancialEventGroups": "0.5",
    "listFinancialEventsByGroupId": "0.5",
    "createRestrictedDataToken": "1.0",
    "getDefinitionsProductType": "5.0",
}

#: Attributes a LISTING submission needs (when no ASIN is suggested, product facts too).
OFFER_ATTRIBUTES = ("condition_type", "purchasable_offer")
PRODUCT_ATTRIBUTES = ("item_name", "externally_assigned_product_identifier")


def sp_error(status, code, message, details=None, headers=None):
    error = {"code": code, "message": message}
    if details:
        error["details"] = details
    return HttpError(Response.json({"errors": [error]}, status=status, headers=headers))


def _first(values, key="value"):
    return values[0].get(key) if values and isinstance(values[0], dict) else None


class AmazonApp(ChannelApp):
    name = "amazon"

    def __init__(self, credentials=None, token_ttl=3600, feed_polls=1):
        self.token_ttl = float(token_ttl)
        self.feed_polls = int(feed_polls)
        super().__init__(credentials)

    def reset(self):
        super().reset()
        self.tokens = {}  # access token -> expiry (monotonic)
        self.rdts = {}  # restricted data token -> (expiry, [RestrictedResource])
        self.codes = {}  # consent code -> refresh token (authorization_code grant)
        self.refresh_revoked = False
        self.product_types = {}  # product type -> {"required": [...], "properties": {...}}
        self.listings = {}  # sku -> listing
        self.documents = {}  # id -> {"contentType", "content", "kind"}
        self.feeds = {}  # id -> feed (with "schema_errors" and "polls")
        self.orders = {}  # AmazonOrderId -> Order
        self.order_items = {}  # AmazonOrderId -> [OrderItem]
        self.shipments = []  # confirmShipment bodies accepted (one per package)
        self.event_groups = {}  # FinancialEventGroupId -> (FinancialEventGroup, FinancialEvents)
        self.schema_failures = []  # answers of ours that did not match the model (a bug)

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0
            for token, (_expiry, resources) in self.rdts.items():
                self.rdts[token] = (0.0, resources)

    def revoke_refresh_token(self):
        """LWA refuses the refresh token from now on (``invalid_grant``)."""
        with self.lock:
            self.refresh_revoked = True

    def issue_code(self):
        """A consent code the seller would bring back from Seller Central (authorization_code
        grant)."""
        with self.lock:
            code = "ANemulator%s" % uuid.uuid4().hex[:16]
            self.codes[code] = self.credentials.get("access_token")
            return code

    # ------------------------------------------------------------------ HTTP
    def _route(self, request):
        for regex, methods in ROUTES:
            match = regex.match(request.path)
            if match:
                return methods.get(request.method), match.groupdict()
        return None, {}

    def operation(self, request):
        name, _args = self._route(request)
        return name or "%s %s" % (request.method, request.path)

    def _headers(self, operation):
        return {
            "x-amzn-RequestId": str(uuid.uuid4()),
            "x-amzn-RateLimit-Limit": RATE_LIMITS.get(operation, "1.0"),
        }

    def throttled_response(self, request):
        operation = self.operation(request)
        return Response.json(
            {
                "errors": [
                    {
                        "code": "QuotaExceeded",
                        "message": "You exceeded your quota for the requested resource.",
                    }
                ]
            },
            status=429,
            headers=self._headers(operation),
        )

    def dispatch(self, request, operation):
        name, args = self._route(request)
        if name is None:
            raise sp_error(
                404, "NotFound", "Resource not found: %s %s" % (request.method, request.path)
            )
        if name not in ("uploadDocument", "downloadDocument"):
            self._authorise(request, name)
        body = None
        if request.method in ("POST", "PUT", "PATCH") and name != "uploadDocument":
            try:
                body = request.json()
            except ValueError:
                raise sp_error(400, "InvalidInput", "The request body is not valid JSON.") from None
        with self.lock:
            response = getattr(self, "_%s" % name)(request, body, **args)
        response.headers.update(self._headers(name))
        return response

    def _authorise(self, request, operation=""):
        token = request.headers.get("x-amz-access-token") or ""
        request.pii = set()
        if token in self.rdts:
            expiry, resources = self.rdts[token]
            if expiry <= time.monotonic():
                raise sp_error(
                    403,
                    "Unauthorized",
                    "Access to requested resource is denied.",
                    "The restricted data token you provided has expired.",
                )
            for resource in resources:
                pattern = re.escape(resource["path"]).replace(re.escape("{orderId}"), r"[\w-]+")
                if resource["method"] == request.method and re.fullmatch(pattern, request.path):
                    request.pii = set(resource.get("dataElements") or ())
                    return
            raise sp_error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The restricted data token is not valid for %s %s."
                % (request.method, request.path),
            )
        expiry = self.tokens.get(token)
        if expiry is None:
            raise sp_error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.",
            )
        if expiry <= time.monotonic():
            raise sp_error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            )

    def _check(self, instance, model, definition, status=400):
        errors = validation_errors(instance, swagger_schema(model, definition))
        if errors:
            raise sp_error(status, "InvalidInput", "Invalid request: %s" % "; ".join(errors[:5]))

    def _answer(self, data, model, definition, status=200):
        """A JSON answer, checked against the model's definition for it."""
        errors = validation_errors(data, swagger_schema(model, definition))
        if errors:
            self.schema_failures.append((definition, errors))
        return Response.json(data, status=status)

    def _marketplace(self, request, name="marketplaceIds"):
        values = [v for raw in request.query.get(name, []) for v in raw.split(",") if v]
        if not values:
            raise sp_error(400, "InvalidInput", "Missing required '%s'." % name)
        unknown = [v for v in values if v not in MARKETPLACES]
        if unknown:
            raise sp_error(400, "InvalidInput", "Invalid marketplace identifier: %s" % unknown[0])
        return values[0]

    def _seller(self, seller):
        if seller != self.credentials.get("seller_id"):
            raise sp_error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The seller id does not match the authorisation.",
            )

    # ------------------------------------------------------------------ Tokens API
    def _createRestrictedDataToken(self, request, body):  # noqa: N802
        self._check(body, TOKENS_MODEL, "CreateRestrictedDataTokenRequest")
        resources = body["restrictedResources"]
        if not resources:
            raise sp_error(400, "InvalidInput", "restrictedResources must not be empty.")
        for resource in resources:
            generic = re.sub(r"^(/orders/v0/orders/)[\w-]+", r"\1{orderId}", resource["path"])
            allowed = RESTRICTED.get((resource["method"], generic))
            if allowed is None:
                raise sp_error(
                    400,
                    "InvalidInput",
                    "Application does not have access to one or more requested data elements",
                    "%s %s is not a restricted operation." % (resource["method"], resource["path"]),
                )
            unknown = set(resource.get("dataElements") or ()) - allowed
            if unknown:
                raise sp_error(
                    400,
                    "InvalidInput",
                    "Invalid dataElements for %s: %s"
                    % (resource["path"], ", ".join(sorted(unknown))),
                )
        token = "Atz.sprdt|emulator-%s" % uuid.uuid4().hex
        self.rdts[token] = (time.monotonic() + 3600, resources)
        return self._answer(
            {"restrictedDataToken": token, "expiresIn": 3600},
            TOKENS_MODEL,
            "CreateRestrictedDataTokenResponse",
        )

    @staticmethod
    def _without_pii(order, pii):
        """An order as the caller may see it: the buyer and the full address only with the
        data elements of a Restricted Data Token."""
        order = dict(order)
        if "shippingAddress" not in pii and isinstance(order.get("ShippingAddress"), dict):
            address = order["ShippingAddress"]
            order["ShippingAddress"] = {k: address[k] for k in PUBLIC_ADDRESS if k in address}
        if "buyerInfo" not in pii and "BuyerInfo" in order:
            order["BuyerInfo"] = {}
        return order

    # ------------------------------------------------------------------ product types
    def _getDefinitionsProductType(self, request, body, product_type):  # noqa: N802
        marketplace = self._marketplace(request)
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", product_type):
            raise sp_error(404, "NotFound", "Product type %s not found." % product_type)
        definition = self.product_types.get(product_type) or {}
        requirements = request.arg("requirements", "LISTING")
        required = list(OFFER_ATTRIBUTES) if requirements != "LISTING_PRODUCT_ONLY" else []
        if requirements != "LISTING_OFFER_ONLY":
            required += list(PRODUCT_ATTRIBUTES) + [
                n for n in definition.get("required", ()) if n not in PRODUCT_ATTRIBUTES
            ]
        doc_id = "schema-%s-%s-%s" % (product_type, marketplace, requirements)
        names = required + list(definition.get("optional", ("bullet_point", "brand")))
        schema = {
            "$schema": "https://json-schema.org/draft-07/schema",
            "type": "object",
            "required": required,
            "properties": {name: {"type": "array", "minItems": 1} for name in names},
        }
        self.documents[doc_id] = {
            "contentType": "application/json",
            "content": json.dumps(schema).encode("utf-8"),
            "kind": "schema",
        }
        answer = {
            "schema": {
                "link": {
                    "resource": "%s/_documents/%s" % (request.base_url, doc_id),
                    "verb": "GET",
                },
                "checksum": "emulator",
            },
            "requirements": requirements,
            "requirementsEnforced": request.arg("requirementsEnforced", "ENFORCED"),
            "propertyGroups": {
                "offer": {"title": "Offer", "propertyNames": list(schema["properties"])}
            },
            "locale": request.arg("locale", "DEFAULT"),
            "marketplaceIds": [marketplace],
            "productType": product_type,
            "displayName": product_type.replace("_", " ").title(),
            "productTypeVersion": {"version": "U1", "latest": True},
        }
        return self._answer(answer, DEFINITIONS_MODEL, "ProductTypeDefinition")

    # ------------------------------------------------------------------ listings
    def _item(self, listing, included):
        item = {"sku": listing["sku"]}
        attrs = listing["attributes"]
        if "summaries" in included:
            item["summaries"] = [
                {
                    "marketplaceId": listing["marketplaceId"],
                    "asin": listing["asin"],
                    "productType": listing["productType"],
                    "conditionType": _first(attrs.get("condition_type")) or "new_new",
                    "status": ["BUYABLE", "DISCOVERABLE"],
                    "itemName": _first(attrs.get("item_name")) or "",
                    "createdDate": listing["createdDate"],
                    "lastUpdatedDate": listing["lastUpdatedDate"],
                }
            ]
        if "attributes" in included:
            item["attributes"] = attrs
        if "issues" in included:
            item["issues"] = []
        if "offers" in included:
            offer = attrs.get("purchasable_offer") or [{}]
            schedule = ((offer[0].get("our_price") or [{}])[0].get("schedule") or [{}])[0]
            if schedule.get("value_with_tax") is not None:
                item["offers"] = [
                    {
                        "marketplaceId": listing["marketplaceId"],
                        "offerType": "B2C",
                        "price": {
                            "currencyCode": offer[0].get("currency") or "GBP",
                            "amount": "%.2f" % float(schedule["value_with_tax"]),
                        },
                    }
                ]
        if "fulfillmentAvailability" in included:
            availability = attrs.get("fulfillment_availability") or []
            item["fulfillmentAvailability"] = [
                {
                    "fulfillmentChannelCode": a.get("fulfillment_channel_code", "DEFAULT"),
                    "quantity": int(a.get("quantity") or 0),
                }
                for a in availability
            ]
        return item

    @staticmethod
    def _included(request):
        return {
            v for raw in request.query.get("includedData", ["summaries"]) for v in raw.split(",")
        }

    def _get_listing(self, sku, marketplace):
        listing = self.listings.get(sku)
        if listing is None or listing["marketplaceId"] != marketplace:
            raise sp_error(
                404, "NOT_FOUND", "SKU '%s' not found in marketplace %s" % (sku, marketplace)
            )
        return listing

    def _getListingsItem(self, request, body, seller, sku):  # noqa: N802
        self._seller(seller)
        listing = self._get_listing(sku, self._marketplace(request))
        return self._answer(self._item(listing, self._included(request)), LISTINGS_MODEL, "Item")

    def _searchListingsItems(self, request, body, seller):  # noqa: N802
        self._seller(seller)
        marketplace = self._marketplace(request)
        size = int(request.arg("pageSize", 10))
        if not 1 <= size <= 20:
            raise sp_error(400, "InvalidInput", "pageSize must be between 1 and 20.")
        listings = [v for v in self.listings.values() if v["marketplaceId"] == marketplace]
        sort_by = request.arg("sortBy", "lastUpdatedDate")
        key = {"sku": "sku", "createdDate": "createdDate"}.get(sort_by, "lastUpdatedDate")
        listings.sort(
            key=lambda v: (v[key], v["sku"]), reverse=request.arg("sortOrder", "DESC") == "DESC"
        )
        start = (
            int(base64.b64decode(request.arg("pageToken")).decode())
            if request.arg("pageToken")
            else 0
        )
        page = listings[start : start + size]
        data = {
            "numberOfResults": len(listings),
            "items": [self._item(v, self._included(request)) for v in page],
        }
        if start + size < len(listings):
            data["pagination"] = {"nextToken": base64.b64encode(b"%d" % (start + size)).decode()}
        return self._answer(data, LISTINGS_MODEL, "ItemSearchResults")

    @staticmethod
    def _shape_issues(attributes):
        issues = []
        for name, values in attributes.items():
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                issues.append(
                    {
                        "code": "4000001",
                        "message": "'%s' must be an array of objects." % name,
                        "severity": "ERROR",
                        "attributeNames": [name],
                    }
                )
        for entry in attributes.get("fulfillment_availability") or []:
            qty = entry.get("quantity") if isinstance(entry, dict) else None
            days = entry.get("lead_time_to_ship_max_days") if isinstance(entry, dict) else None
            if (qty is not None and (not isinstance(qty, int) or qty < 0)) or (
                days is not None and (not isinstance(days, int) or days < 0)
            ):
                issues.append(
                    {
                        "code": "4000001",
                        "message": "quantity and lead_time_to_ship_max_days must be integers >= 0",
                        "severity": "ERROR",
                        "attributeNames": ["fulfillment_availability"],
                    }
                )
        return issues

    def _requirement_issues(self, attributes, product_type, requirements="LISTING"):
        issues = []
        needed = list(OFFER_ATTRIBUTES) if requirements != "LISTING_PRODUCT_ONLY" else []
        if requirements != "LISTING_OFFER_ONLY" and not attributes.get("merchant_suggested_asin"):
            needed += PRODUCT_ATTRIBUTES
            needed += [
                n for n in (self.product_types.get(product_type) or {}).get("required", ())
                if n not in needed
            ]  # fmt: skip
        for name in needed:
            if not attributes.get(name):
                issues.append(
                    {
                        "code": "90220",
                        "message": "'%s' is required but not supplied." % name,
                        "severity": "ERROR",
                        "attributeNames": [name],
                    }
                )
        if not product_type:
            issues.append(
                {"code": "4000002", "message": "productType is required", "severity": "ERROR"}
            )
        return issues + self._shape_issues(attributes)

    def _submission(self, sku, issues, marketplace, asin=None):
        for issue in issues:
            missing = issue["code"] == "90220"
            issue.setdefault(
                "categories", ["MISSING_ATTRIBUTE" if missing else "INVALID_ATTRIBUTE"]
            )
        data = {
            "sku": sku,
            "status": "INVALID" if issues else "ACCEPTED",
            "submissionId": uuid.uuid4().hex,
            "issues": issues,
        }
        if asin and not issues:
            data["identifiers"] = [{"marketplaceId": marketplace, "asin": asin}]
        return self._answer(data, LISTINGS_MODEL, "ListingsItemSubmissionResponse")

    def _putListingsItem(self, request, body, seller, sku):  # noqa: N802
        self._seller(seller)
        marketplace = self._marketplace(request)
        self._check(body, LISTINGS_MODEL, "ListingsItemPutRequest")
        attributes = body["attributes"]
        issues = self._requirement_issues(
            attributes, body["productType"], body.get("requirements", "LISTING")
        )
        if issues:
            return self._submission(sku, issues, marketplace)
        self.put_listing(sku, body["productType"], attributes, marketplace)
        return self._submission(sku, [], marketplace, self.listings[sku]["asin"])

    def put_listing(self, sku, product_type, attributes, marketplace="A1F83G8C2ARO7P"):
        stamp = now_iso()
        listing = self.listings.get(sku)
        if listing is None:
            asin = _first(attributes.get("merchant_suggested_asin")) or "B0%08d" % self.next_id()
            listing = {"sku": sku, "asin": asin, "createdDate": stamp, "marketplaceId": marketplace}
            self.listings[sku] = listing
        listing.update(
            productType=product_type,
            attributes=json.loads(json.dumps(attributes)),
            lastUpdatedDate=stamp,
        )
        return listing

    def _apply_patches(self, listing, patches):
        attributes = dict(listing["attributes"])
        for patch in patches:
            path = patch["path"]
            if not path.startswith("/attributes/") or path.count("/") != 2:
                raise ValueError("Unsupported patch path %s" % path)
            name = path.split("/")[2]
            if patch["op"] == "delete":
                attributes.pop(name, None)
            elif patch["op"] == "merge" and attributes.get(name) and patch.get("value"):
                attributes[name] = [dict(attributes[name][0], **patch["value"][0])] + attributes[
                    name
                ][1:]
            else:
                attributes[name] = patch.get("value") or []
        return attributes, self._shape_issues(attributes)

    def _patch(self, listing, product_type, patches):
        if product_type not in ("PRODUCT", listing["productType"]):
            return None, [
                {
                    "code": "4000003",
                    "severity": "ERROR",
                    "message": "productType %s does not match the listing's %s"
                    % (product_type, listing["productType"]),
                }
            ]
        try:
            attributes, issues = self._apply_patches(listing, patches)
        except ValueError as exc:
            return None, [{"code": "4000001", "severity": "ERROR", "message": str(exc)}]
        if not issues:
            listing["attributes"] = attributes
            listing["lastUpdatedDate"] = now_iso()
        return listing, issues

    def _patchListingsItem(self, request, body, seller, sku):  # noqa: N802
        self._seller(seller)
        marketplace = self._marketplace(request)
        self._check(body, LISTINGS_MODEL, "ListingsItemPatchRequest")
        listing = self._get_listing(sku, marketplace)
        _listing, issues = self._patch(listing, body["productType"], body["patches"])
        return self._submission(sku, issues, marketplace)

    def _deleteListingsItem(self, request, body, seller, sku):  # noqa: N802
        self._seller(seller)
        marketplace = self._marketplace(request)
        self.listings.pop(self._get_listing(sku, marketplace)["sku"])
        return self._submission(sku, [], marketplace)

    # ------------------------------------------------------------------ feeds
    def _createFeedDocument(self, request, body):  # noqa: N802
        self._check(body, FEEDS_MODEL, "CreateFeedDocumentSpecification")
        doc_id = "amzn1.tortuga.4.eu.%s" % uuid.uuid4().hex
        self.documents[doc_id] = {
            "contentType": body["contentType"],
            "content": None,
            "kind": "input",
        }
        data = {"feedDocumentId": doc_id, "url": "%s/_documents/%s" % (request.base_url, doc_id)}
        return self._answer(data, FEEDS_MODEL, "CreateFeedDocumentResponse", status=201)

    def _uploadDocument(self, request, body, doc_id):  # noqa: N802
        document = self.documents.get(doc_id)
        if document is None or document["kind"] != "input":
            return Response.text("<Error><Code>NoSuchKey</Code></Error>", 404, "application/xml")
        if request.headers.get("x-amz-access-token"):
            return Response.text(
                "<Error><Code>InvalidArgument</Code>"
                "<Message>Only one auth mechanism allowed</Message></Error>",
                400,
                "application/xml",
            )
        if (request.headers.get("content-type") or "").lower() != document["contentType"].lower():
            return Response.text(
                "<Error><Code>SignatureDoesNotMatch</Code></Error>", 403, "application/xml"
            )
        document["content"] = request.body
        return Response(200)

    def _downloadDocument(self, request, body, doc_id):  # noqa: N802
        document = self.documents.get(doc_id)
        if document is None or document["content"] is None:
            return Response.text("<Error><Code>NoSuchKey</Code></Error>", 404, "application/xml")
        return Response(200, document["content"], {"Content-Type": document["contentType"]})

    def _getFeedDocument(self, request, body, doc_id):  # noqa: N802
        if doc_id not in self.documents:
            raise sp_error(404, "NotFound", "Feed document %s not found." % doc_id)
        data = {"feedDocumentId": doc_id, "url": "%s/_documents/%s" % (request.base_url, doc_id)}
        return self._answer(data, FEEDS_MODEL, "FeedDocument")

    def _createFeed(self, request, body):  # noqa: N802
        self._check(body, FEEDS_MODEL, "CreateFeedSpecification")
        if body["feedType"] != "JSON_LISTINGS_FEED":
            raise sp_error(400, "InvalidInput", "Unsupported feedType %s." % body["feedType"])
        document = self.documents.get(body["inputFeedDocumentId"])
        if document is None or document["content"] is None:
            raise sp_error(400, "InvalidInput", "The input feed document was not uploaded.")
        feed_id = str(50000000000 + self.next_id())
        feed = {
            "feedId": feed_id,
            "feedType": body["feedType"],
            "marketplaceIds": body["marketplaceIds"],
            "createdTime": now_iso(),
            "processingStatus": "IN_QUEUE",
        }
        self.feeds[feed_id] = dict(feed, polls=0, document=None, schema_errors=[])
        self._process_feed(self.feeds[feed_id], document, body["marketplaceIds"][0])
        return self._answer({"feedId": feed_id}, FEEDS_MODEL, "CreateFeedResponse", status=202)

    def _process_feed(self, feed, document, marketplace):
        issues, accepted = [], 0
        try:
            content = json.loads(document["content"].decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            content, errors = None, ["(root): the document is not valid JSON"]
        else:
            errors = validation_errors(content, listings_feed_schema())
        feed["document"], feed["schema_errors"] = content, errors
        messages = [] if errors else content["messages"]
        if not errors and content["header"]["sellerId"] != self.credentials.get("seller_id"):
            errors = ["header/sellerId: does not match the authorisation"]
        for message in messages:
            listing = self.listings.get(message["sku"])
            problems = []
            if message["operationType"] == "DELETE":
                if listing is not None:
                    del self.listings[message["sku"]]
            elif message["operationType"] in ("UPDATE",):
                problems = self._requirement_issues(message["attributes"], message["productType"])
                if not problems:
                    self.put_listing(
                        message["sku"], message["productType"], message["attributes"], marketplace
                    )
            elif listing is None:
                problems = [
                    {
                        "code": "4000004",
                        "severity": "ERROR",
                        "message": "SKU '%s' not found in marketplace %s"
                        % (message["sku"], marketplace),
                    }
                ]
            else:
                patches = message.get("patches") or [
                    {"op": "replace", "path": "/attributes/%s" % k, "value": v}
                    for k, v in message["attributes"].items()
                ]
                _listing, problems = self._patch(listing, message["productType"], patches)
            for problem in problems:
                issue = {
                    "messageId": message["messageId"],
                    "sku": message["sku"],
                    "code": problem["code"],
                    "severity": problem["severity"],
                    "message": problem["message"],
                }
                issues.append(issue)
            accepted += not problems
        issues += [{"code": "100001", "severity": "ERROR", "message": e} for e in errors[:20]]
        report = {
            "header": {
                "sellerId": self.credentials.get("seller_id") or "",
                "version": "2.0",
                "feedId": feed["feedId"],
            },
            "issues": issues,
            "summary": {
                "errors": len(issues),
                "warnings": 0,
                "messagesProcessed": len(messages),
                "messagesAccepted": accepted,
                "messagesInvalid": len(messages) - accepted,
            },
        }
        report_errors = validation_errors(report, load_json(REPORT_SCHEMA))
        if report_errors:
            self.schema_failures.append(("processing report", report_errors))
        doc_id = "amzn1.tortuga.4.eu.%s" % uuid.uuid4().hex
        self.documents[doc_id] = {
            "contentType": "application/json",
            "kind": "result",
            "content": json.dumps(report).encode("utf-8"),
        }
        feed["result"] = {"resultFeedDocumentId": doc_id, "fatal": bool(errors)}

    def _getFeed(self, request, body, feed_id):  # noqa: N802
        feed = self.feeds.get(feed_id)
        if feed is None:
            raise sp_error(404, "NotFound", "Feed %s not found." % feed_id)
        feed["polls"] += 1
        if feed["processingStatus"] == "CANCELLED":
            pass
        elif feed["polls"] <= self.feed_polls:
            feed["processingStatus"] = "IN_PROGRESS"
            feed["processingStartTime"] = feed.get("processingStartTime") or now_iso()
        elif feed["processingStatus"] not in ("DONE", "FATAL"):
            feed["processingStatus"] = "FATAL" if feed["result"]["fatal"] else "DONE"
            feed["processingStartTime"] = feed.get("processingStartTime") or now_iso()
            feed["processingEndTime"] = now_iso()
            feed["resultFeedDocumentId"] = feed["result"]["resultFeedDocumentId"]
        keys = (
            "feedId",
            "feedType",
            "marketplaceIds",
            "createdTime",
            "processingStatus",
            "processingStartTime",
            "processingEndTime",
            "resultFeedDocumentId",
        )
        return self._answer({k: feed[k] for k in keys if k in feed}, FEEDS_MODEL, "Feed")

    def _cancelFeed(self, request, body, feed_id):  # noqa: N802
        feed = self.feeds.get(feed_id)
        if feed is None:
            raise sp_error(404, "NotFound", "Feed %s not found." % feed_id)
        if feed["processingStatus"] != "IN_QUEUE":
            raise sp_error(400, "InvalidInput", "Only feeds IN_QUEUE can be cancelled.")
        feed["processingStatus"] = "CANCELLED"
        feed["processingEndTime"] = now_iso()
        return Response(200)

    def cancel_feed(self, feed_id):
        """Cancel a feed (as the seller could in Seller Central), whatever its state unless
        already processed: later getFeed calls answer CANCELLED."""
        with self.lock:
            feed = self.feeds[feed_id]
            if feed["processingStatus"] not in ("DONE", "FATAL"):
                feed["processingStatus"] = "CANCELLED"
                feed["processingEndTime"] = now_iso()

    # ------------------------------------------------------------------ orders
    def _getOrders(self, request, body):  # noqa: N802
        self._marketplace(request, "MarketplaceIds")
        token = request.arg("NextToken")
        if token:
            try:
                state = json.loads(base64.b64decode(token))
            except ValueError:
                raise sp_error(400, "InvalidInput", "Invalid NextToken.") from None
        else:
            state = {
                k: request.arg(k)
                for k in ("CreatedAfter", "LastUpdatedAfter", "CreatedBefore", "LastUpdatedBefore")
            }
            if not (state["CreatedAfter"] or state["LastUpdatedAfter"]):
                raise sp_error(
                    400,
                    "InvalidInput",
                    "Either CreatedAfter or LastUpdatedAfter must be specified.",
                )
            if state["CreatedAfter"] and state["LastUpdatedAfter"]:
                raise sp_error(
                    400,
                    "InvalidInput",
                    "CreatedAfter and LastUpdatedAfter cannot both be specified.",
                )
            state["size"] = int(request.arg("MaxResultsPerPage", 100))
            state["start"] = 0
            if not 1 <= state["size"] <= 100:
                raise sp_error(400, "InvalidInput", "MaxResultsPerPage must be between 1 and 100.")
        orders = sorted(
            self.orders.values(), key=lambda o: (o["LastUpdateDate"], o["AmazonOrderId"])
        )
        for name, field, after in (
            ("CreatedAfter", "PurchaseDate", True),
            ("CreatedBefore", "PurchaseDate", False),
            ("LastUpdatedAfter", "LastUpdateDate", True),
            ("LastUpdatedBefore", "LastUpdateDate", False),
        ):
            if state.get(name):
                bound = parse_iso(state[name])
                orders = [o for o in orders if (parse_iso(o[field]) >= bound) == after]
        page = orders[state["start"] : state["start"] + state["size"]]
        page = [self._without_pii(o, request.pii) for o in page]
        payload = {"Orders": page}
        if state["start"] + state["size"] < len(orders):
            payload["NextToken"] = base64.b64encode(
                json.dumps(dict(state, start=state["start"] + state["size"])).encode()
            ).decode()
        response = self._answer({"payload": payload}, ORDERS_MODEL, "GetOrdersResponse")
        if self.raw_orders and "NextToken" not in payload:
            # as they are (not checked against the model), after the regular ones
            payload["Orders"] = page + list(self.raw_orders)
            response.body = json.dumps({"payload": payload}).encode("utf-8")
        return response

    def _get_order(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            raise sp_error(404, "NotFound", "Order %s not found." % order_id)
        return order

    def _getOrder(self, request, body, order_id):  # noqa: N802
        order = self._without_pii(self._get_order(order_id), request.pii)
        return self._answer({"payload": order}, ORDERS_MODEL, "GetOrderResponse")

    def _getOrderItems(self, request, body, order_id):  # noqa: N802
        if order_id in self.raw_order_items and order_id not in self.orders:
            payload = {"AmazonOrderId": order_id, "OrderItems": self.raw_order_items[order_id]}
            return Response.json({"payload": payload})
        self._get_order(order_id)
        items = self.order_items[order_id]
        start = int(request.arg("NextToken") or 0)
        payload = {"AmazonOrderId": order_id, "OrderItems": items[start : start + 20]}
        if start + 20 < len(items):
            payload["NextToken"] = str(start + 20)
        return self._answer({"payload": payload}, ORDERS_MODEL, "GetOrderItemsResponse")

    def _confirmShipment(self, request, body, order_id):  # noqa: N802
        order = self._get_order(order_id)
        self._check(body, ORDERS_MODEL, "ConfirmShipmentRequest")
        if body["marketplaceId"] != order["MarketplaceId"]:
            raise sp_error(400, "InvalidInput", "marketplaceId does not match the order.")
        if order["OrderStatus"] not in ("Unshipped", "PartiallyShipped"):
            raise sp_error(
                400,
                "InvalidInput",
                "The order is %s and cannot be confirmed." % order["OrderStatus"],
            )
        package = body["packageDetail"]
        if not str(package["packageReferenceId"]).isdigit():
            raise sp_error(400, "InvalidInput", "packageReferenceId must be a positive number.")
        if package["carrierCode"] == "Other" and not package.get("carrierName"):
            raise sp_error(
                400, "InvalidInput", "carrierName is required when carrierCode is Other."
            )
        if any(
            s["orderId"] == order_id
            and s["packageDetail"]["packageReferenceId"] == package["packageReferenceId"]
            for s in self.shipments
        ):
            return Response(204)  # the same package again: already confirmed
        items = {i["OrderItemId"]: i for i in self.order_items[order_id]}
        for line in package["orderItems"]:
            item = items.get(line["orderItemId"])
            if item is None or line["quantity"] > item["QuantityOrdered"] - item["QuantityShipped"]:
                raise sp_error(
                    400, "InvalidInput", "Invalid quantity for order item %s." % line["orderItemId"]
                )
        for line in package["orderItems"]:
            items[line["orderItemId"]]["QuantityShipped"] += line["quantity"]
        shipped = sum(i["QuantityShipped"] for i in items.values())
        ordered = sum(i["QuantityOrdered"] for i in items.values())
        order["OrderStatus"] = "Shipped" if shipped >= ordered else "PartiallyShipped"
        order["NumberOfItemsShipped"], order["NumberOfItemsUnshipped"] = shipped, ordered - shipped
        order["LastUpdateDate"] = now_iso()
        self.shipments.append(dict(body, orderId=order_id))
        return Response(204)

    # ------------------------------------------------------------------ finances (ecom_accounting)
    def _listFinancialEventGroups(self, request, body):  # noqa: N802
        size = int(request.arg("MaxResultsPerPage", 100))
        if not 1 <= size <= 100:
            raise sp_error(400, "InvalidInput", "MaxResultsPerPage must be between 1 and 100.")
        start = int(request.arg("NextToken") or 0)
        groups = sorted(
            (g for g, _events in self.event_groups.values()),
            key=lambda g: (g["FinancialEventGroupStart"], g["FinancialEventGroupId"]),
        )
        for name, after in (
            ("FinancialEventGroupStartedAfter", True),
            ("FinancialEventGroupStartedBefore", False),
        ):
            if request.arg(name):
                bound = parse_iso(request.arg(name))
                groups = [
                    g
                    for g in groups
                    if (parse_iso(g["FinancialEventGroupStart"]) >= bound) == after
                ]
        payload = {"FinancialEventGroupList": groups[start : start + size]}
        if start + size < len(groups):
            payload["NextToken"] = str(start + size)
        return self._answer(
            {"payload": payload}, FINANCES_MODEL, "ListFinancialEventGroupsResponse"
        )

    def _listFinancialEventsByGroupId(self, request, body, group_id):  # noqa: N802
        if group_id not in self.event_groups:
            raise sp_error(404, "NotFound", "Financial event group %s not found." % group_id)
        events = self.event_groups[group_id][1]
        size = int(request.arg("MaxResultsPerPage", 100))
        start = int(request.arg("NextToken") or 0)
        page = events["ShipmentEventList"][start : start + size]
        refunds = events["RefundEventList"] if not start else []  # first page only
        payload = {"FinancialEvents": dict(events, ShipmentEventList=page, RefundEventList=refunds)}
        if start + size < len(events["ShipmentEventList"]):
            payload["NextToken"] = str(start + size)
        return self._answer({"payload": payload}, FINANCES_MODEL, "ListFinancialEventsResponse")

    def seed_payout(
        self, order_ids, fees=None, fee_rate=0.15, date=None, status="Closed", refunds=None
    ):
        """A disbursement (financial event group) paying ``order_ids``: one shipment event per
        order with its charges (principal, shipping) and Amazon's fees, ``fees[order_id]`` or
        ``fee_rate`` of the order total (a referral fee); ``refunds`` maps orders refunded to
        the buyer to ``(amount refunded, fee given back)`` (refund events, deducted). Returns
        the group id and amount."""
        fees = fees or {}
        refunds = refunds or {}
        stamp = date or now_iso()
        with self.lock:
            group_id = "FEG-%d" % self.next_id()
            shipment_events, total = [], 0.0
            for order_id in order_ids:
                order = self._get_order(order_id)
                currency = order["OrderTotal"]["CurrencyCode"]
                order_total = float(order["OrderTotal"]["Amount"])
                fee = fees.get(order_id, round(order_total * fee_rate, 2))
                items = []
                for index, item in enumerate(self.order_items[order_id]):

                    def money(amount, currency=currency):
                        return {"CurrencyCode": currency, "CurrencyAmount": round(amount, 2)}

                    charges = [
                        ("Principal", float(item["ItemPrice"]["Amount"])),
                        ("ShippingCharge", float(item["ShippingPrice"]["Amount"])),
                    ]
                    items.append(
                        {
                            "SellerSKU": item["SellerSKU"],
                            "OrderItemId": item["OrderItemId"],
                            "QuantityShipped": item["QuantityOrdered"],
                            "ItemChargeList": [
                                {"ChargeType": name, "ChargeAmount": money(amount)}
                                for name, amount in charges
                            ],
                            "ItemFeeList": [
                                {"FeeType": "Commission", "FeeAmount": money(-fee)}
                                if index == 0
                                else {"FeeType": "Commission", "FeeAmount": money(0.0)}
                            ],
                        }
                    )
                shipment_events.append(
                    {
                        "AmazonOrderId": order_id,
                        "MarketplaceName": order["SalesChannel"],
                        "PostedDate": stamp,
                        "ShipmentItemList": items,
                    }
                )
                total += order_total - fee
            refund_events = []
            for order_id, (refunded, fee_back) in refunds.items():
                order = self._get_order(order_id)
                currency = order["OrderTotal"]["CurrencyCode"]
                item = self.order_items[order_id][0]
                refund_events.append(
                    {
                        "AmazonOrderId": order_id,
                        "MarketplaceName": order["SalesChannel"],
                        "PostedDate": stamp,
                        "ShipmentItemAdjustmentList": [
                            {
                                "SellerSKU": item["SellerSKU"],
                                "OrderAdjustmentItemId": str(self.next_id()),
                                "QuantityShipped": item["QuantityOrdered"],
                                "ItemChargeAdjustmentList": [
                                    {
                                        "ChargeType": "Principal",
                                        "ChargeAmount": {
                                            "CurrencyCode": currency,
                                            "CurrencyAmount": -round(refunded, 2),
                                        },
                                    }
                                ],
                                "ItemFeeAdjustmentList": [
                                    {
                                        "FeeType": "Commission",
                                        "FeeAmount": {
                                            "CurrencyCode": currency,
                                            "CurrencyAmount": round(fee_back, 2),
                                        },
                                    }
                                ],
                            }
                        ],
                    }
                )
                total += fee_back - refunded
            group = {
                "FinancialEventGroupId": group_id,
                "ProcessingStatus": status,
                "FundTransferStatus": "Succeeded" if status == "Closed" else "Unknown",
                "OriginalTotal": {"CurrencyCode": currency, "CurrencyAmount": round(total, 2)},
                "FundTransferDate": stamp,
                "TraceId": "TRACE%d" % self.next_id(),
                "AccountTail": "0042",
                "FinancialEventGroupStart": stamp,
                "FinancialEventGroupEnd": stamp,
            }
            events = {"ShipmentEventList": shipment_events, "RefundEventList": refund_events}
            self.event_groups[group_id] = (group, events)
            return {"id": group_id, "amount": round(total, 2)}

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
        status="Unshipped",
        tax_rate=0.0,
    ):
        """An order of ``lines`` (``sku``, ``quantity``, ``price``, optional ``discount``: a
        promotion off the line, and ``tax_rate``: the line's own rate); prices and shipping
        include tax, as on Amazon's European marketplaces: with ``tax_rate`` (e.g. 0.2) the tax
        in them is reported in ``ItemTax`` and ``ShippingTax``, a promotion's in
        ``PromotionDiscountTax``."""
        customer = customer or {}

        def tax_in(amount, rate=tax_rate):
            cents = math.floor(amount * 100 + 0.5 + 1e-9)
            return math.floor(cents - cents / (1 + rate) + 0.5 + 1e-9) / 100

        addr = address or {}
        with self.lock:
            stamp = created_at or now_iso()
            order_id = "%03d-%07d-%07d" % (
                200 + self.next_id() % 800,
                self.next_id(),
                self.next_id(),
            )
            items, total = [], float(shipping)
            for number, line in enumerate(lines):
                qty = int(line.get("quantity", 1))
                price = float(line.get("price", 0)) * qty
                discount = float(line.get("discount", 0))
                rate = float(line.get("tax_rate", tax_rate))
                total += price - discount
                listing = self.listings.get(line["sku"])
                items.append(
                    {
                        "ASIN": listing["asin"] if listing else "B0UNKNOWN0",
                        "SellerSKU": line["sku"],
                        "OrderItemId": "%014d" % (self.next_id() * 1000 + number),
                        "Title": line.get("title")
                        or _first((listing or {}).get("attributes", {}).get("item_name"))
                        or line["sku"],
                        "QuantityOrdered": qty,
                        "QuantityShipped": 0,
                        "ItemPrice": {"CurrencyCode": currency, "Amount": "%.2f" % price},
                        "ShippingPrice": {
                            "CurrencyCode": currency,
                            "Amount": "%.2f" % (float(shipping) if number == 0 else 0.0),
                        },
                        "ItemTax": {
                            "CurrencyCode": currency,
                            "Amount": "%.2f" % tax_in(price, rate),
                        },
                        "PromotionDiscount": {
                            "CurrencyCode": currency,
                            "Amount": "%.2f" % discount,
                        },
                        "PromotionDiscountTax": {
                            "CurrencyCode": currency,
                            "Amount": "%.2f"
                            % round(tax_in(price, rate) - tax_in(price - discount, rate), 2),
                        },
                        "ShippingTax": {
                            "CurrencyCode": currency,
                            "Amount": "%.2f" % (tax_in(float(shipping)) if number == 0 else 0.0),
                        },
                    }
                )
            latest = parse_iso(stamp).timestamp() + 2 * 86400
            order = {
                "AmazonOrderId": order_id,
                "PurchaseDate": stamp,
                "LastUpdateDate": stamp,
                "OrderStatus": status,
                "FulfillmentChannel": "MFN",
                "SalesChannel": "Amazon.co.uk",
                "ShipServiceLevel": "Std UK Dom_1",
                "ShipmentServiceLevelCategory": service_level,
                "OrderTotal": {"CurrencyCode": currency, "Amount": "%.2f" % total},
                "NumberOfItemsShipped": 0,
                "NumberOfItemsUnshipped": sum(i["QuantityOrdered"] for i in items),
                "MarketplaceId": "A1F83G8C2ARO7P",
                "OrderType": "StandardOrder",
                "LatestShipDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(latest)),
                "IsBusinessOrder": False,
                "IsPrime": False,
                "IsPremiumOrder": False,
                "ShippingAddress": {
                    "Name": addr.get("name") or customer.get("name", ""),
                    "AddressLine1": addr.get("street", ""),
                    "AddressLine2": addr.get("street2", ""),
                    "City": addr.get("city", ""),
                    "StateOrRegion": addr.get("state", ""),
                    "PostalCode": addr.get("zip", ""),
                    "CountryCode": addr.get("country_code", ""),
                },
                "BuyerInfo": {
                    "BuyerEmail": customer.get("email", ""),
                    "BuyerName": customer.get("name", ""),
                },
            }
            self.orders[order_id] = order
            self.order_items[order_id] = items
            return {"id": order_id, "name": order_id}

    def snapshot(self):
        with self.lock:
            return {
                "listings": list(self.listings.values()),
                "feeds": [
                    {k: v for k, v in f.items() if k not in ("document", "result")}
                    for f in self.feeds.values()
                ],
                "orders": list(self.orders.values()),
                "order_items": dict(self.order_items),
                "shipments": list(self.shipments),
            }


class LwaApp(ChannelApp):
    """Login with Amazon (``https://api.amazon.com``), a host of its own: ``POST
    /auth/o2/token`` with the refresh-token or authorization-code grant, ``client_id`` and
    ``client_secret`` in the form. Issues the access tokens the SP-API app (``amazon``)
    accepts; its errors are OAuth's (``invalid_request``, ``invalid_client``,
    ``invalid_grant``)."""

    name = "amazon-lwa"

    def __init__(self, api):
        self.api = api
        super().__init__(api.credentials)

    def operation(self, request):
        if request.path == "/auth/o2/token" and request.method == "POST":
            return "token"
        return "%s %s" % (request.method, request.path)

    @staticmethod
    def _oauth(status, error, description):
        return Response.json({"error": error, "error_description": description}, status=status)

    def dispatch(self, request, operation):
        if operation != "token":
            return self._oauth(404, "invalid_request", "Not found: %s" % request.path)
        if "application/x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
            return self._oauth(400, "invalid_request", "Content-Type must be form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        api = self.api
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return self._oauth(400, "unsupported_grant_type", "grant_type is not supported")
        if (form.get("client_id"), form.get("client_secret")) != (
            api.credentials.get("api_key"),
            api.credentials.get("api_secret"),
        ):
            return self._oauth(401, "invalid_client", "Client authentication failed")
        with api.lock:
            if grant == "authorization_code":
                refresh = api.codes.pop(form.get("code") or "", None)
                if refresh is None:
                    return self._oauth(400, "invalid_grant", "The authorization code is invalid")
            else:
                refresh = form.get("refresh_token") or ""
                if not refresh:
                    return self._oauth(400, "invalid_request", "refresh_token is required")
                if refresh != api.credentials.get("access_token") or api.refresh_revoked:
                    return self._oauth(
                        400,
                        "invalid_grant",
                        "The request has an invalid grant parameter : refresh_token",
                    )
            token = "Atza|emulator-%s" % uuid.uuid4().hex
            api.tokens[token] = time.monotonic() + api.token_ttl
        return Response.json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(api.token_ttl),
                "refresh_token": refresh,
            }
        )
