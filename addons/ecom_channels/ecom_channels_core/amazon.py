"""Amazon: Selling Partner API (Listings Items 2021-08-01, Feeds 2021-06-30, Orders v0).

``api_base_url`` is the regional endpoint (``https://sellingpartnerapi-eu.amazon.com`` for the
UK); ``api_key`` the LWA client id, ``api_secret`` the LWA client secret, ``refresh_token``
the LWA refresh token of the seller's authorisation (``Atzr|...``; one given as
``access_token`` is taken as such), ``account_ref`` the seller id. The client exchanges the
refresh token for an access token at ``token_url`` (Login with Amazon,
``https://api.amazon.com/auth/o2/token``; see ``tokens.py``: refreshed when missing or expiring
within 5 minutes, and once when the API refuses it) and sends it as ``x-amz-access-token``.
Orders and their items are read with a Restricted Data Token (``createRestrictedDataToken``
for ``buyerInfo`` and ``shippingAddress``): without one Amazon leaves the buyer's name, e-mail
and address out.

A listing is identified by its seller SKU: ``external_ref`` is the SKU (the ASIN is a catalogue
id shared by every seller). Order lines carry the ``OrderItemId``; their ``listing_ref`` is the
SKU.

Options: ``marketplace_ids`` (a list or comma-separated text; the first is where listings go,
orders are read from all; ``marketplace_id`` is the older name; A1F83G8C2ARO7P, UK),
``language_tag`` (en_GB), ``handling_days`` (lead time to ship re-sent with every quantity, 2;
a published listing's own handling time wins), ``fulfillment_channel_code`` (DEFAULT, i.e.
merchant fulfilled), ``quantity_product_type`` (PRODUCT), ``feed_threshold`` (more quantities
than this go as one JSON_LISTINGS_FEED, 20), ``feed_poll_interval`` (30 s), ``feed_timeout``
(1800 s), ``order_lookback_days`` (without ``since``, 30), ``orders_page_size`` (100),
``rate_limits`` ({operation: (rate, burst)} overriding the published limits below),
``carrier_codes`` ({our carrier name: Amazon carrier code}).
"""

import hashlib
import json
import logging
import zlib
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from .base import (
    ChannelClient,
    OrderReader,
    iso_utc,
    line_label,
    results_failed,
    results_ok,
    to_float,
    to_int,
)
from .errors import ChannelError
from .http import TooLarge, bounded_decompress, megabytes
from .payloads import (
    Address,
    QuantityResult,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    Requirements,
)
from .tokens import TokenFlow

_logger = logging.getLogger(__name__)

LISTINGS = "/listings/2021-08-01/items"
FEEDS = "/feeds/2021-06-30"
ORDERS = "/orders/v0/orders"
DEFINITIONS = "/definitions/2020-09-01/productTypes"
UK_MARKETPLACE = "A1F83G8C2ARO7P"
#: Published per-operation usage plans: (requests per second, burst).
RATE_LIMITS = {
    "createRestrictedDataToken": (1.0, 10.0),
    "getDefinitionsProductType": (5.0, 10.0),
    "getListingsItem": (5.0, 10.0),
    "putListingsItem": (5.0, 10.0),
    "patchListingsItem": (5.0, 5.0),
    "deleteListingsItem": (5.0, 5.0),
    "searchListingsItems": (5.0, 5.0),
    "createFeedDocument": (0.5, 15.0),
    "createFeed": (0.0083, 15.0),
    "getFeed": (2.0, 15.0),
    "getFeedDocument": (0.0222, 10.0),
    "document": (10.0, 20.0),
    "getOrders": (0.0167, 20.0),
    "getOrder": (0.5, 30.0),
    "getOrderItems": (0.5, 30.0),
    "confirmShipment": (2.0, 10.0),
}
INCLUDED_DATA = "summaries,attributes,issues,offers,fulfillmentAvailability"
CARRIER_CODES = ("Royal Mail", "Parcelforce", "DPD", "DHL", "UPS", "FedEx", "Evri", "Yodel")
#: LWA refresh tokens start with this.
REFRESH_TOKEN_PREFIX = "Atzr|"
#: Tokens API: Restricted Data Tokens for the buyer's PII.
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
#: Login with Amazon: refresh-token grant with client_id/client_secret in the form.
TOKEN_FLOW = TokenFlow(
    auth="body",
    default_url="https://api.amazon.com/auth/o2/token",
    service="amazon_token",
    consent_url="https://sellercentral.amazon.co.uk/apps/authorize/consent",
    consent_app_param="application_id",
    consent_params=(("version", "beta"),),
)


def _first(values, key="value"):
    values = values or []
    return values[0].get(key) if values and isinstance(values[0], dict) else None


class AmazonClient(ChannelClient):
    channel_type = "amazon"
    label = "Amazon"
    #: patchListingsItem updates one SKU per call; large batches go as a feed.
    quantity_batch_size = 1
    #: Quantities go best as a feed: ``submit_quantities`` then ``quantity_results`` later.
    async_quantities = True
    rate_limit = (5.0, 10.0)
    page_size = 20
    token_flow = TOKEN_FLOW

    def __init__(self, base_url, **kwargs):
        super().__init__(base_url, **kwargs)
        opts = self.options
        if not self.refresh_token and self.access_token.startswith(REFRESH_TOKEN_PREFIX):
            # an LWA refresh token saved where the access token belongs (older set-ups)
            self.refresh_token, self.access_token = self.access_token, ""
            self.transport.secrets = self.secrets
        ids = opts.get("marketplace_ids") or opts.get("marketplace_id") or UK_MARKETPLACE
        if isinstance(ids, str):
            ids = [m.strip() for m in ids.replace(";", ",").split(",") if m.strip()]
        #: Every marketplace of the account (orders are read from all); the first is where
        #: listings are published.
        self.marketplace_ids = list(ids) or [UK_MARKETPLACE]
        self.marketplace_id = self.marketplace_ids[0]
        self.language_tag = opts.get("language_tag") or "en_GB"
        self.feed_threshold = int(opts.get("feed_threshold") or 20)
        limits = dict(RATE_LIMITS, **(opts.get("rate_limits") or {}))
        self.limiters = {op: self.bucket(rate, burst) for op, (rate, burst) in limits.items()}
        self._rdt = ""
        self._operation = ""
        self._handling = {}  # sku -> handling days last published or read
        self.utcnow = lambda: datetime.now(timezone.utc).replace(tzinfo=None)
        self.transport.session.hooks["response"].append(self._note_rate_limit)

    @property
    def seller_id(self):
        if not self.account_ref:
            raise self.error("Amazon: the channel has no seller id (account reference)")
        return self.account_ref

    def token_rejected(self, error):
        # SP-API answers an expired or invalid access token with 403 Unauthorized (401 too)
        return error.status in (401, 403)

    def access_token_value(self, refresh=False):
        """The LWA access token (refreshed when missing, expiring, or ``refresh``)."""
        if refresh:
            self.refresh_access_token()
        else:
            self.ensure_token()
        return self.access_token

    def restricted_data_token(self, resources):
        """A Restricted Data Token (Tokens API ``createRestrictedDataToken``) for
        ``resources``: ``[(method, path, [dataElements])]``; valid about an hour."""
        body = self.api(
            "createRestrictedDataToken",
            "POST",
            RDT_PATH,
            json_body={
                "restrictedResources": [
                    dict(
                        {"method": method, "path": path},
                        **({"dataElements": list(elements)} if elements else {}),
                    )
                    for method, path, elements in resources
                ]
            },
            idempotent=True,
        )
        token = body.get("restrictedDataToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self.error("Amazon: createRestrictedDataToken answered no token", retryable=True)
        self._rdt = token
        self.transport.secrets = self.secrets

    @property
    def secrets(self):
        return super().secrets + ((self._rdt,) if getattr(self, "_rdt", "") else ())

    # ------------------------------------------------------------------ SP-API
    def _note_rate_limit(self, response, *args, **kwargs):
        """Follow ``x-amzn-RateLimit-Limit``; a 429 without ``Retry-After`` waits one period."""
        limit = to_float(response.headers.get("x-amzn-RateLimit-Limit"))
        bucket = self.limiters.get(self._operation)
        if limit and limit > 0 and bucket is not None:
            bucket.rate = limit
        if response.status_code == 429 and not response.headers.get("Retry-After") and limit:
            response.headers["Retry-After"] = "%.3f" % min(1.0 / limit, 120.0)
        return response

    @staticmethod
    def _error_text(response):
        try:
            body = response.json()
        except ValueError:
            return ""
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors:
            return ""
        return "; ".join(
            "%s: %s%s"
            % (e.get("code"), e.get("message"), " (%s)" % e["details"] if e.get("details") else "")
            for e in errors
            if isinstance(e, dict)
        )

    def _json(self, response):
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise self.error(
                "Amazon: the answer was not valid JSON", retryable=True, payload=response.text
            ) from None

    def api(self, operation, method, path, *, params=None, json_body=None, idempotent=None,
            token=None):  # fmt: skip
        """Call one SP-API operation with its own rate limit; an access token refused as
        expired or invalid is refreshed once. ``token``: a Restricted Data Token to send
        instead of the access token (PII operations)."""

        def send():
            self._operation = operation
            return self.transport.request(
                method,
                path,
                params=params,
                json=json_body,
                headers={
                    "x-amz-access-token": token or self.access_token,
                    "Content-Type": "application/json",
                },
                idempotent=idempotent,
                limiter=self.limiters.get(operation),
                parse=self._json,
                describe=operation,
                error_message=self._error_text,
            )

        if token:
            self.ensure_token()
            return send()
        return self.with_token(send)

    def _listing_path(self, sku=None):
        path = "%s/%s" % (LISTINGS, quote(self.seller_id, safe=""))
        return "%s/%s" % (path, quote(sku, safe="")) if sku is not None else path

    # ------------------------------------------------------------------ listings
    def test_connection(self):
        body = self.api(
            "searchListingsItems",
            "GET",
            self._listing_path(),
            params={"marketplaceIds": self.marketplace_id, "pageSize": 1},
        )
        return "Amazon seller %s, marketplace %s: %s listings" % (
            self.seller_id,
            self.marketplace_id,
            body.get("numberOfResults", "?"),
        )

    def _listing(self, item):
        attributes = item.get("attributes") or {}
        summary = next(
            (
                s
                for s in item.get("summaries") or []
                if s.get("marketplaceId") == self.marketplace_id
            ),
            (item.get("summaries") or [{}])[0],
        )
        offer = next(
            (o for o in item.get("offers") or [] if o.get("marketplaceId") == self.marketplace_id),
            {},
        )
        availability = (item.get("fulfillmentAvailability") or [{}])[0]
        fulfilment = _first(attributes.get("fulfillment_availability"), "quantity")
        quantity = availability.get("quantity", fulfilment)
        handling = _first(attributes.get("fulfillment_availability"), "lead_time_to_ship_max_days")
        if handling is not None:
            self._handling[item["sku"]] = int(handling)
        price = (offer.get("price") or {}).get("amount")
        if price is None:
            offers = attributes.get("purchasable_offer") or [{}]
            schedule = ((offers[0].get("our_price") or [{}])[0].get("schedule") or [{}])[0]
            price = schedule.get("value_with_tax")
        return RemoteListing(
            external_ref=item["sku"],
            sku=item["sku"],
            barcode=str(_first(attributes.get("externally_assigned_product_identifier")) or ""),
            title=summary.get("itemName") or _first(attributes.get("item_name")) or "",
            price=to_float(price),
            quantity=to_int(quantity),
            currency=(offer.get("price") or {}).get("currencyCode")
            or _first(attributes.get("purchasable_offer"), "currency")
            or "",
            status=",".join(summary.get("status") or []),
            description_html=_first(attributes.get("product_description")) or "",
            raw=item,
        )

    def list_listings(self):
        token = None
        while True:
            params = {
                "marketplaceIds": self.marketplace_id,
                "includedData": INCLUDED_DATA,
                "pageSize": self.page_size,
                "sortBy": "sku",
                "sortOrder": "ASC",
            }
            if token:
                params["pageToken"] = token
            body = self.api("searchListingsItems", "GET", self._listing_path(), params=params)
            for item in body.get("items") or []:
                yield self._listing(item)
            token = (body.get("pagination") or {}).get("nextToken")
            if not token:
                return

    def find_listing(self, sku):
        try:
            item = self.api(
                "getListingsItem",
                "GET",
                self._listing_path(sku),
                params={"marketplaceIds": self.marketplace_id, "includedData": INCLUDED_DATA},
            )
        except ChannelError as exc:
            if exc.status == 404:
                return None
            raise
        return self._listing(item)

    def _handling_days(self, sku, payload=None):
        if payload is not None and payload.handling_days is not None:
            return int(payload.handling_days)
        return self._handling.get(sku, int(self.options.get("handling_days") or 2))

    def _availability(self, sku, quantity, payload=None):
        entry = {
            "fulfillment_channel_code": self.options.get("fulfillment_channel_code") or "DEFAULT",
            "quantity": max(0, int(quantity)),
            "lead_time_to_ship_max_days": self._handling_days(sku, payload),
        }
        return [entry]

    def _attributes(self, payload):
        mp, lang = self.marketplace_id, self.language_tag

        def text_value(value):
            return [{"value": value, "language_tag": lang, "marketplace_id": mp}]

        price = round(float(payload.price), 2)
        attributes = {
            "condition_type": [{"value": payload.condition, "marketplace_id": mp}],
            "purchasable_offer": [
                {
                    "marketplace_id": mp,
                    "currency": payload.currency,
                    "our_price": [{"schedule": [{"value_with_tax": price}]}],
                }
            ],
            "list_price": [{"marketplace_id": mp, "currency": payload.currency, "value": price}],
        }
        if payload.title:
            attributes["item_name"] = text_value(payload.title)
        if payload.description_html:
            attributes["product_description"] = text_value(payload.description_html)
        if payload.brand:
            attributes["brand"] = text_value(payload.brand)
        code = payload.product_code
        if code:
            kind = {12: "upc", 13: "ean"}.get(len(code), "gtin")
            attributes["externally_assigned_product_identifier"] = [
                {"type": kind, "value": code, "marketplace_id": mp}
            ]
        if payload.asin:
            attributes["merchant_suggested_asin"] = [{"value": payload.asin, "marketplace_id": mp}]
        if payload.quantity is not None:
            attributes["fulfillment_availability"] = self._availability(
                payload.sku, payload.quantity, payload
            )
        for position, url in enumerate(payload.images[:9]):
            name = (
                "main_product_image_locator"
                if position == 0
                else "other_product_image_locator_%d" % position
            )
            attributes[name] = [{"media_location": url, "marketplace_id": mp}]
        if payload.weight_kg:
            attributes["item_weight"] = [
                {"value": payload.weight_kg, "unit": "kilograms", "marketplace_id": mp}
            ]
        for name, value in payload.channel_attributes.items():
            values = [v.strip() for v in str(value or "").splitlines() if v.strip()]
            if values:
                attributes[name] = [
                    {"value": v, "language_tag": lang, "marketplace_id": mp} for v in values
                ]
        attributes.update(payload.extra.get("attributes", {}))
        return attributes

    # ------------------------------------------------------------------ product types
    @staticmethod
    def _requirements_set(payload):
        # an offer on an existing catalogue item (ASIN) needs the offer attributes only
        return "LISTING_OFFER_ONLY" if payload.asin else "LISTING"

    def requirement_key(self, payload):
        if not payload.product_type:
            return ""
        return "amazon:%s:%s:%s" % (
            self.marketplace_id,
            payload.product_type,
            self._requirements_set(payload),
        )

    def channel_requirements(self, payload):
        """The required attributes of the product type (Product Type Definitions API): the
        ``required`` list of its JSON schema for this marketplace."""
        product_type = payload.product_type
        definition = self.api(
            "getDefinitionsProductType",
            "GET",
            "%s/%s" % (DEFINITIONS, quote(product_type, safe="")),
            params={
                "marketplaceIds": self.marketplace_id,
                "requirements": self._requirements_set(payload),
                "requirementsEnforced": "ENFORCED",
                "locale": self.language_tag,
            },
        )
        link = ((definition.get("schema") or {}).get("link") or {}).get("resource")
        if not link:
            raise self.error(
                "Amazon: the definition of product type %s has no schema" % product_type,
                retryable=True,
            )
        schema = self.transport.request(
            "GET", link, parse=self._json, describe="product type schema"
        )
        required = [n for n in schema.get("required") or [] if isinstance(n, str)]
        properties = schema.get("properties") or {}
        return Requirements(
            required=required,
            recommended=[n for n in properties if n not in required],
            source="product type %s on marketplace %s" % (product_type, self.marketplace_id),
        )

    def sent_attribute_names(self, payload):
        attributes = self._attributes(payload)
        return {name for name, value in attributes.items() if value}

    def _submission(self, body, what):
        issues = [i for i in body.get("issues") or [] if i.get("severity") == "ERROR"]
        if body.get("status") == "INVALID" or issues:
            text = "; ".join("%s: %s" % (i.get("code"), i.get("message")) for i in issues)
            raise self.error("Amazon refused %s: %s" % (what, text or body.get("status")))
        return body

    def _put(self, payload):
        body = self.api(
            "putListingsItem",
            "PUT",
            self._listing_path(payload.sku),
            params={"marketplaceIds": self.marketplace_id},
            json_body={
                "productType": payload.product_type,
                "requirements": "LISTING",
                "attributes": self._attributes(payload),
            },
        )
        self._submission(body, "the listing %s" % payload.sku)
        self._handling[payload.sku] = self._handling_days(payload.sku, payload)
        return payload.sku

    # putListingsItem creates or fully replaces the listing of the SKU: harmless to repeat.
    def _create(self, payload):
        return self._put(payload)

    def _update(self, existing, payload):
        return self._put(payload)

    def end_listing(self, external_ref):
        """Delete the listing of the SKU: ``deleteListingsItem`` in the channel's marketplace.

        ``DELETE /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=...`` removes the
        seller's offer (the ASIN stays in the catalogue). A DELETE is retried like a read; 404
        means the SKU is already gone, which is the wanted result. A later ``publish()`` of the
        SKU finds nothing and creates the listing again with ``putListingsItem``.
        """
        sku = str(external_ref)
        try:
            body = self.api(
                "deleteListingsItem",
                "DELETE",
                self._listing_path(sku),
                params={"marketplaceIds": self.marketplace_id},
            )
        except ChannelError as exc:
            if exc.status != 404:
                raise
            _logger.info("Amazon: SKU %s has no listing: nothing to end", sku)
            return None
        self._submission(body, "ending the listing %s" % sku)
        self._handling.pop(sku, None)
        return body.get("submissionId")

    def _availability_patch(self, sku, qty):
        return [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": self._availability(sku, qty),
            }
        ]

    def _set_quantity_batch(self, batch):
        results = []
        for sku, qty in batch:
            body = self.api(
                "patchListingsItem",
                "PATCH",
                self._listing_path(sku),
                params={"marketplaceIds": self.marketplace_id},
                json_body={
                    "productType": self.options.get("quantity_product_type") or "PRODUCT",
                    "patches": self._availability_patch(sku, qty),
                },
                idempotent=True,  # an absolute quantity: re-sending is harmless
            )
            self._submission(body, "the quantity of %s" % sku)
            results.extend(results_ok([(sku, qty)]))
        return results

    def set_quantities(self, items):
        """One PATCH per SKU up to ``feed_threshold`` items, a JSON_LISTINGS_FEED above.

        A feed is submitted (``submit_quantities``) and its outcome polled
        (``quantity_results``) every ``feed_poll_interval`` seconds, at most ``feed_timeout``
        seconds and never past ``max_retry_wait``: when the feed is not processed by then, its
        items come back failed and retryable, with a message naming the feed id.
        """
        items = [(str(key), int(qty)) for key, qty in items]
        if len(items) <= self.feed_threshold:
            return super().set_quantities(items)
        results = []
        for start in range(0, len(items), self.feed_size):
            chunk = items[start : start + self.feed_size]
            try:
                feed_id = self.submit_quantities(chunk)
                results.extend(self._feed_results(feed_id, chunk))
            except ChannelError as exc:
                results.extend(results_failed(chunk, exc.message, exc.retryable, exc.retry_after))
        return results

    # ------------------------------------------------------------------ feeds
    @property
    def feed_size(self):
        """Most quantities one feed carries (``feed_max_messages``, 10000)."""
        return int(self.options.get("feed_max_messages") or 10000)

    def feed_document(self, items):
        """The JSON_LISTINGS_FEED document (schema v2) setting these quantities."""
        return {
            "header": {
                "sellerId": self.seller_id,
                "version": "2.0",
                "issueLocale": self.language_tag,
            },
            "messages": [
                {
                    "messageId": number,
                    "sku": sku,
                    "operationType": "PATCH",
                    "productType": self.options.get("quantity_product_type") or "PRODUCT",
                    "patches": self._availability_patch(sku, qty),
                }
                for number, (sku, qty) in enumerate(items, start=1)
            ],
        }

    def _upload(self, url, content, content_type):
        # A pre-signed URL: no SP-API token goes with it.
        self._operation = "document"
        self.transport.request(
            "PUT",
            url,
            data=content,
            headers={"Content-Type": content_type},
            limiter=self.limiters["document"],
            describe="feed document upload",
        )

    def _download(self, document_id):
        info = self.api(
            "getFeedDocument", "GET", "%s/documents/%s" % (FEEDS, quote(str(document_id), safe=""))
        )
        self._operation = "document"
        response = self.transport.request(
            "GET", info["url"], limiter=self.limiters["document"], describe="feed result download"
        )
        content = response.content
        if (info.get("compressionAlgorithm") or "").upper() == "GZIP":
            try:
                content = bounded_decompress(content, self.transport.max_decoded_size)
            except TooLarge:
                raise self.error(
                    "Amazon: the feed processing report is larger than %s once decompressed"
                    % megabytes(self.transport.max_decoded_size)
                ) from None
            except (zlib.error, EOFError):
                raise self.error(
                    "Amazon: the feed processing report could not be decompressed", retryable=True
                ) from None
        try:
            report = json.loads(content.decode("utf-8"))
        except ValueError:
            raise self.error("Amazon: the feed processing report was not valid JSON") from None
        if not isinstance(report, dict):
            raise self.error("Amazon: the feed processing report is not an object")
        return report

    def submit_quantities(self, items):
        """Send absolute quantities as one JSON_LISTINGS_FEED; return its feed id at once.

        ``items`` are ``(sku, quantity)`` pairs, at most ``feed_size``. The feed document is
        created, uploaded and the feed created; nothing waits for Amazon to process it: ask
        ``quantity_results(feed_id, items)`` later with the same items in the same order.
        Raises ChannelError when the feed could not be submitted (retryable when trying again
        later can help). A feed submitted twice is harmless (absolute quantities).
        """
        items = [(str(key), int(qty)) for key, qty in items]
        if not items:
            raise self.error("Amazon: no quantities to submit")
        if len(items) > self.feed_size:
            raise self.error(
                "Amazon: %d quantities are more than one feed carries (%d)"
                % (len(items), self.feed_size)
            )
        content_type = "application/json; charset=UTF-8"
        document = self.api(
            "createFeedDocument",
            "POST",
            "%s/documents" % FEEDS,
            json_body={"contentType": content_type},
            idempotent=True,  # an unused document is harmless
        )
        data = json.dumps(self.feed_document(items)).encode("utf-8")
        self._upload(document["url"], data, content_type)
        answer = self.api(
            "createFeed",
            "POST",
            "%s/feeds" % FEEDS,
            json_body={
                "feedType": "JSON_LISTINGS_FEED",
                "marketplaceIds": [self.marketplace_id],
                "inputFeedDocumentId": document["feedDocumentId"],
            },
            idempotent=True,  # absolute quantities: a feed submitted twice changes nothing
        )
        feed_id = answer.get("feedId") if isinstance(answer, dict) else None
        if not feed_id or not isinstance(feed_id, str | int):
            raise self.error("Amazon: createFeed answered no feed id", retryable=True)
        return str(feed_id)

    def quantity_results(self, feed_id, items):
        """The outcome of the quantity feed ``feed_id`` (one ``getFeed`` call, no waiting).

        ``items`` are the ``(sku, quantity)`` pairs given to ``submit_quantities``, in the same
        order. Returns None while Amazon has the feed ``IN_QUEUE`` or ``IN_PROGRESS``; when it
        is ``DONE``, one QuantityResult per item read from the processing report (an item with
        an ERROR issue failed, not retryable); when it is ``CANCELLED`` or ``FATAL`` (or unknown
        to Amazon), every item failed and retryable, to be sent again. Raises a retryable
        ChannelError when Amazon cannot be asked now (ask again later).
        """
        items = [(str(key), int(qty)) for key, qty in items]
        feed_id = str(feed_id)
        try:
            feed = self.api("getFeed", "GET", "%s/feeds/%s" % (FEEDS, quote(feed_id, safe="")))
        except ChannelError as exc:
            if exc.retryable:
                raise
            return results_failed(
                items,
                "Amazon: feed %s cannot be read (%s); the quantities will be sent again"
                % (feed_id, exc.message),
                retryable=True,
            )
        status = feed.get("processingStatus") if isinstance(feed, dict) else None
        if status in ("IN_QUEUE", "IN_PROGRESS"):
            return None
        report, report_error = None, ""
        document_id = feed.get("resultFeedDocumentId") if isinstance(feed, dict) else None
        if document_id:
            try:
                report = self._download(document_id)
            except ChannelError as exc:
                if exc.retryable and status == "DONE":
                    raise
                report_error = exc.message
        if status == "DONE" and report is not None:
            return self._report_results(feed_id, report, items)
        if status == "DONE":
            message = "Amazon: feed %s is done but its processing report cannot be read%s" % (
                feed_id,
                " (%s)" % report_error if report_error else "",
            )
            return results_failed(items, message, retryable=True)
        general = []
        if report is not None:
            general = self._report_issues(report).get(None, [])[:5]
        message = "Amazon: feed %s ended %s" % (feed_id, status or "without a status")
        if general:
            message = "%s: %s" % (message, "; ".join(general))
        return results_failed(items, message, retryable=True)

    @staticmethod
    def _report_issues(report):
        """ERROR issues of a processing report by messageId (None: about the whole feed)."""
        problems = {}
        for issue in report.get("issues") or []:
            if isinstance(issue, dict) and issue.get("severity") == "ERROR":
                number = issue.get("messageId")
                problems.setdefault(number if isinstance(number, int) else None, []).append(
                    "%s: %s" % (issue.get("code"), issue.get("message"))
                )
        return problems

    def _report_results(self, feed_id, report, items):
        problems = self._report_issues(report)
        general = problems.get(None, [])
        results = []
        for number, (sku, qty) in enumerate(items, start=1):
            if number in problems:
                message = "Amazon: %s" % "; ".join(problems[number])
                results.append(QuantityResult(sku, qty, False, message))
            elif general:
                message = "Amazon: feed %s: %s" % (feed_id, "; ".join(general[:5]))
                results.append(QuantityResult(sku, qty, False, message))
            else:
                results.append(QuantityResult(sku, qty, True))
        return results

    def _feed_results(self, feed_id, items):
        """Poll ``quantity_results`` within ``feed_timeout`` and ``max_retry_wait``."""
        interval = float(self.options.get("feed_poll_interval") or 30)
        limit = float(self.options.get("feed_timeout") or 1800)
        started = self.clock()
        while True:
            results = self.quantity_results(feed_id, items)
            if results is not None:
                return results
            waiting = self.error(
                "Amazon: feed %s was not processed within the time allowed; the quantities "
                "will be sent again" % feed_id,
                retryable=True,
            )
            if self.clock() - started + interval > limit:
                return results_failed(items, waiting.message, retryable=True)
            try:
                self.wait(interval, waiting)
            except ChannelError as exc:
                return results_failed(items, exc.message, retryable=True)

    def wait_for_feed(self, feed_id):
        """Poll getFeed until the feed is DONE, FATAL or CANCELLED (or ``feed_timeout``, or
        ``max_retry_wait``: then a retryable ChannelError naming the feed)."""
        interval = float(self.options.get("feed_poll_interval") or 30)
        deadline = self.clock() + float(self.options.get("feed_timeout") or 1800)
        while True:
            feed = self.api("getFeed", "GET", "%s/feeds/%s" % (FEEDS, quote(str(feed_id), safe="")))
            if feed.get("processingStatus") in ("DONE", "FATAL", "CANCELLED"):
                return feed
            error = self.error(
                "Amazon: feed %s still %s after waiting" % (feed_id, feed.get("processingStatus")),
                retryable=True,
            )
            if self.clock() >= deadline:
                raise error
            self.wait(interval, error)

    # ------------------------------------------------------------------ orders
    @staticmethod
    def _address(data, reader=None, what="shipping address"):
        reader = reader or OrderReader()
        data = reader.mapping(data, what)

        def field(key):
            return reader.text(data.get(key), "%s %s" % (what, key))

        street2 = ", ".join(p for p in (field("AddressLine2"), field("AddressLine3")) if p)
        return Address(
            name=field("Name"),
            company=field("CompanyName"),
            street=field("AddressLine1"),
            street2=street2,
            city=field("City"),
            zip=field("PostalCode"),
            state=field("StateOrRegion") or field("County"),
            country_code=field("CountryCode"),
            phone=field("Phone"),
        )

    #: What the orders are read with (Restricted Data Token): the buyer and the address.
    PII_RESOURCES = (
        ("GET", ORDERS, ("buyerInfo", "shippingAddress")),
        ("GET", ORDERS + "/{orderId}/orderItems", ("buyerInfo",)),
    )

    def _pii_api(self, operation, path, params=None):
        """A read of PII with the Restricted Data Token (created on first use, created again
        once when Amazon refuses it as expired)."""
        for attempt in (1, 2):
            if not self._rdt:
                self.restricted_data_token(self.PII_RESOURCES)
            try:
                return self.api(operation, "GET", path, params=params, token=self._rdt)
            except ChannelError as exc:
                if attempt == 2 or not self.token_rejected(exc):
                    raise
                self._rdt = ""
        raise AssertionError("unreachable")  # pragma: no cover

    def _order_items(self, order_id, pii=False):
        items, token = [], None
        path = "%s/%s/orderItems" % (ORDERS, quote(str(order_id), safe=""))
        while True:
            params = {"NextToken": token} if token else None
            if pii:
                answer = self._pii_api("getOrderItems", path, params=params)
            else:
                answer = self.api("getOrderItems", "GET", path, params=params)
            payload = answer.get("payload") or {}
            items.extend(payload.get("OrderItems") or [])
            token = payload.get("NextToken")
            if not token:
                return items

    def _order(self, data, items, items_problem=""):
        return self.read_order(data, self._read_order, items, items_problem)

    def _read_order(self, data, reader, items, items_problem=""):
        def amount(money_bag, what):
            return reader.number(reader.mapping(money_bag, what).get("Amount"), what)

        ref = reader.order_ref(data.get("AmazonOrderId"))
        if items_problem:
            reader.note(items_problem)
        lines = []
        shipping = tax = shipping_tax = 0.0
        for number, item in reader.entries(items, "order item"):
            sku = reader.text(item.get("SellerSKU"), "line %d SKU" % number)
            label = line_label(number, sku)
            quantity = reader.number(
                item.get("QuantityOrdered"), "%s: quantity" % label, 0, required=True
            )
            # ItemPrice is the price of the whole line (quantity included); the promotion
            # discounts come off it and the shipping price, their tax off the taxes
            item_price = amount(item.get("ItemPrice"), "%s: price" % label)
            discount = amount(item.get("PromotionDiscount"), "%s: PromotionDiscount" % label)
            item_tax = amount(item.get("ItemTax"), "%s: ItemTax" % label) - amount(
                item.get("PromotionDiscountTax"), "%s: PromotionDiscountTax" % label
            )
            shipping += amount(item.get("ShippingPrice"), "%s: ShippingPrice" % label) - amount(
                item.get("ShippingDiscount"), "%s: ShippingDiscount" % label
            )
            item_shipping_tax = amount(item.get("ShippingTax"), "%s: ShippingTax" % label) - amount(
                item.get("ShippingDiscountTax"), "%s: ShippingDiscountTax" % label
            )
            shipping_tax += item_shipping_tax
            tax += item_tax + item_shipping_tax
            lines.append(
                RemoteOrderLine(
                    external_ref=reader.ref(item.get("OrderItemId"), "%s: OrderItemId" % label),
                    sku=sku,
                    title=reader.text(item.get("Title"), "%s: Title" % label),
                    quantity=quantity,
                    unit_price=item_price / (quantity or 1),
                    total=round(item_price - discount, 2),
                    listing_ref=sku,
                    tax_amount=round(item_tax, 2),
                )
            )
        buyer = reader.mapping(data.get("BuyerInfo"), "BuyerInfo")
        address = self._address(data.get("ShippingAddress"), reader)
        status = reader.text(data.get("OrderStatus"), "OrderStatus")
        order_total = reader.mapping(data.get("OrderTotal"), "OrderTotal")
        created = reader.date(data.get("PurchaseDate"), "order date", required=True)
        updated = data.get("LastUpdateDate")
        return RemoteOrder(
            external_ref=ref,
            name=ref,
            status=status,
            cancelled=status == "Canceled",
            created_at=created,
            updated_at=reader.date(updated, "order update date") if updated else created,
            currency=reader.text(order_total.get("CurrencyCode"), "order currency"),
            total=amount(order_total, "order total"),
            shipping_amount=round(shipping, 2),
            tax_amount=round(tax, 2),
            # an order without any tax: Amazon computed none for it (the seller's VAT
            # settings), the channel's tax applies as its prices say
            taxes_reported=bool(round(tax, 2)),
            shipping_tax_amount=round(shipping_tax, 2),
            service_level=reader.text(
                data.get("ShipmentServiceLevelCategory"), "ShipmentServiceLevelCategory"
            )
            or reader.text(data.get("ShipServiceLevel"), "ShipServiceLevel"),
            ship_by=reader.date(data.get("LatestShipDate"), "latest ship date"),
            buyer_name=reader.text(buyer.get("BuyerName"), "buyer name") or address.name,
            buyer_email=reader.text(buyer.get("BuyerEmail"), "buyer email"),
            shipping_address=address,
            billing_address=address,
            lines=lines,
            raw=data,
        )

    def fetch_orders(self, since=None):
        """getOrders by ``LastUpdatedAfter`` (``CreatedAfter`` without ``since``), NextToken
        pages, and getOrderItems for each order, all with a Restricted Data Token so that the
        buyer's name, e-mail and shipping address come with them.

        The items of an order that Amazon refuses to give (not found...) leave that order with
        a problem; a failure that may pass (throttling, Amazon down) stops the run."""
        params = {
            "MarketplaceIds": ",".join(self.marketplace_ids),
            "MaxResultsPerPage": int(self.options.get("orders_page_size") or 100),
        }
        if since:
            params["LastUpdatedAfter"] = iso_utc(since)
        else:
            days = float(self.options.get("order_lookback_days") or 30)
            params["CreatedAfter"] = iso_utc(self.utcnow() - timedelta(days=days))
        while True:
            payload = self._pii_api("getOrders", ORDERS, params=params).get("payload") or {}
            for data in payload.get("Orders") or []:
                order_id = data.get("AmazonOrderId") if isinstance(data, dict) else None
                items, problem = [], ""
                if isinstance(order_id, int) and not isinstance(order_id, bool):
                    order_id = str(order_id)
                if order_id and isinstance(order_id, str):
                    try:
                        items = self._order_items(order_id, pii=True)
                    except ChannelError as exc:
                        if exc.retryable:
                            raise
                        problem = "the order items cannot be read: %s" % exc.message
                    if not isinstance(items, list):
                        items, problem = [], "the order items are not a list"
                yield self._order(data, items, problem)
            token = payload.get("NextToken")
            if not token:
                return
            params = {"MarketplaceIds": ",".join(self.marketplace_ids), "NextToken": token}

    def _carrier(self, name):
        codes = self.options.get("carrier_codes") or {}
        if name in codes:
            return codes[name], name
        return (name, name) if name in CARRIER_CODES else ("Other", name)

    def mark_shipped(self, shipment):
        """confirmShipment for the order's unshipped items (or ``shipment.lines``).

        The order items are read first (and again before a retry): quantities already shipped
        are not confirmed twice. Returns the order id, or None when nothing was left.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                done = self._confirm_shipment(shipment)
            except ChannelError as exc:
                if not exc.retryable or attempt >= self.retry.max_attempts:
                    raise
                self.wait(self.retry.delay(attempt, exc.retry_after), exc)
                continue
            # nothing left after a failed attempt: that attempt went through
            return shipment.order_ref if done is None and attempt > 1 else done

    def _confirm_shipment(self, shipment):
        items = self._order_items(shipment.order_ref)
        wanted = dict(shipment.lines)
        lines = []
        for item in items:
            left = to_int(item.get("QuantityOrdered"), 0) - to_int(item.get("QuantityShipped"), 0)
            if wanted:
                left = min(left, int(wanted.get(item["OrderItemId"], 0)))
            if left > 0:
                lines.append({"orderItemId": item["OrderItemId"], "quantity": left})
        if not lines:
            return None
        code, name = self._carrier(shipment.carrier)
        # A positive number that stays the same for the same parcel.
        reference = int(hashlib.sha1(shipment.tracking_number.encode()).hexdigest()[:8], 16) + 1
        package = {
            "packageReferenceId": str(reference),
            "carrierCode": code,
            "carrierName": name,
            "trackingNumber": shipment.tracking_number,
            "shipDate": iso_utc(shipment.shipped_at or self.utcnow()),
            "orderItems": lines,
        }
        if shipment.service:
            package["shippingMethod"] = shipment.service
        self.api(
            "confirmShipment",
            "POST",
            "%s/%s/shipmentConfirmation" % (ORDERS, shipment.order_ref),
            json_body={"marketplaceId": self.marketplace_id, "packageDetail": package},
            idempotent=False,
        )
        return shipment.order_ref
