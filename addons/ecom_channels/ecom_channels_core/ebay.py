"""eBay: Trading API (XML over ``POST {base}/ws/api.dll``), OAuth user token in the IAF header.

``api_base_url`` is ``https://api.ebay.com`` (``https://api.sandbox.ebay.com`` for the sandbox);
``access_token`` the OAuth user token (sent as ``X-EBAY-API-IAF-TOKEN``); ``account_ref`` the
eBay site id (``3`` = UK when empty). One listing is one fixed-price item listed with
``InventoryTrackingMethod=SKU``; its ``external_ref`` is the eBay ``ItemID`` (12 digits), which
is also what order lines carry. Order lines are ``OrderLineItemID`` (``<ItemID>-<TransactionID>``).

Options: ``compatibility_level`` (1379), ``currency`` (GBP), ``country`` (GB), ``location``
(item location text), ``postal_code``, ``dispatch_time_max`` (handling days when the payload
has none, 1), ``listing_duration`` (GTC), business policy ids ``payment_profile_id``,
``return_profile_id``, ``shipping_profile_id`` (all three: ``SellerProfiles`` is sent and the
inline ``ShippingDetails``/``ReturnPolicy`` are left out), otherwise ``shipping_service``
(UK_RoyalMailSecondClassStandard), ``shipping_cost`` (0), ``returns_within`` (Days_30),
``returns_paid_by`` (Buyer); ``page_size`` (listing import, 200), ``order_window_days`` (GetOrders
``ModTimeFrom``/``ModTimeTo`` window, 30), ``order_lookback_days`` (when no ``since``, 90),
``calls_per_second`` (pace of the token bucket, 5; the daily call limit is eBay's).
"""

import base64
import hashlib
import logging
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import xmltodict

from .base import (
    ChannelClient,
    OrderReader,
    iso_utc,
    line_label,
    money,
    results_ok,
    to_float,
    to_int,
    utc_naive,
)
from .errors import ChannelError
from .payloads import (
    Address,
    QuantityResult,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    Requirements,
)
from .tokens import TokenFlow
from .xmlsafe import UnsafeXml, parse_xml

_logger = logging.getLogger(__name__)

NAMESPACE = "urn:ebay:apis:eBLBaseComponents"
API_PATH = "/ws/api.dll"
#: Taxonomy API (REST): the item specifics of a category.
ASPECTS_PATH = "/commerce/taxonomy/v1/category_tree/%s/get_item_aspects_for_category"
COMPATIBILITY_LEVEL = "1379"
#: ReviseInventoryStatus accepts at most four InventoryStatus containers per call.
INVENTORY_BATCH = 4
#: Error codes that say "try again later": call limit reached, internal errors.
RETRYABLE_CODES = frozenset({"518", "10007", "16100", "21919144"})
#: "This item cannot be accessed" (unknown item id or SKU, or not the seller's).
NOT_FOUND_CODES = frozenset({"17", "21916585"})
#: "The auction has already been closed": EndFixedPriceItem on an item that already ended.
ALREADY_ENDED_CODES = frozenset({"1047"})
#: Site ids and the matching ``Item.Site`` codes.
SITES = {
    "0": "US",
    "2": "Canada",
    "3": "UK",
    "15": "Australia",
    "71": "France",
    "77": "Germany",
    "101": "Italy",
    "186": "Spain",
}
CANCELLED_STATUSES = ("Cancelled", "Inactive")
#: Country of the item location by default, per site.
SITE_COUNTRIES = {"0": "US", "2": "CA", "3": "GB", "15": "AU", "71": "FR", "77": "DE",
                  "101": "IT", "186": "ES"}  # fmt: skip
#: Marketplace ids of the sites (REST APIs' ``X-EBAY-C-MARKETPLACE-ID``).
MARKETPLACES = {
    "0": "EBAY_US",
    "2": "EBAY_CA",
    "3": "EBAY_GB",
    "15": "EBAY_AU",
    "71": "EBAY_FR",
    "77": "EBAY_DE",
    "101": "EBAY_IT",
    "186": "EBAY_ES",
}
#: Trading API errors that mean "the OAuth token expired or is invalid": refresh once, retry once.
TOKEN_ERROR_CODES = frozenset({"21917053", "932", "21916984"})
#: The scopes a seller grants the app (Trading, Inventory, Account, Fulfillment, Finances).
SCOPES = " ".join(
    "https://api.ebay.com/oauth/api_scope%s" % suffix
    for suffix in ("", "/sell.inventory", "/sell.account", "/sell.fulfillment", "/sell.finances")
)
#: OAuth user tokens: refresh-token grant with HTTP Basic App ID:Cert ID.
TOKEN_FLOW = TokenFlow(
    auth="basic",
    default_url="https://api.ebay.com/identity/v1/oauth2/token",
    service="ebay_token",
    scope=SCOPES,
    consent_url="https://auth.ebay.com/oauth2/authorize",
    consent_redirect=True,
)


def as_list(value):
    """xmltodict gives a dict for one child and a list for several: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(value):
    """The text of an element that may carry attributes (``{"@currencyID":..,"#text":..}``)."""
    if isinstance(value, dict):
        return value.get("#text") or ""
    return "" if value is None else str(value)


def is_item_id(key):
    """eBay item ids are long numbers; anything else is taken as a SKU."""
    return key.isdigit() and len(key) >= 9


def signature_headers(method, url, key_jwe, private_key_pem, body=None, created=None):
    """The digital-signature headers eBay requires of UK and EU sellers on Finances calls
    (RFC 9421 HTTP message signatures as eBay profiles them): ``x-ebay-signature-key`` (the
    JWE of the signing key, from the Key Management API), ``Signature-Input`` and
    ``Signature`` over ``x-ebay-signature-key``, ``@method``, ``@path`` and ``@authority``
    (and ``Content-Digest`` of a body), signed with the Ed25519 (or RSA) private key."""
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa  # noqa: PLC0415

    parts = urlsplit(url)
    headers = {"x-ebay-signature-key": key_jwe}
    values = {
        "x-ebay-signature-key": key_jwe,
        "@method": method.upper(),
        "@path": parts.path,
        "@authority": parts.netloc,
    }
    components = ["x-ebay-signature-key", "@method", "@path", "@authority"]
    if body:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        headers["Content-Digest"] = values["content-digest"] = "sha-256=:%s:" % digest
        components.insert(0, "content-digest")
    params = "(%s);created=%d" % (
        " ".join('"%s"' % c for c in components),
        int(created if created is not None else time.time()),
    )
    base = "\n".join('"%s": %s' % (c, values[c]) for c in components)
    base += '\n"@signature-params": %s' % params
    try:
        key = serialization.load_pem_private_key(
            private_key_pem.encode("utf-8")
            if isinstance(private_key_pem, str)
            else private_key_pem,
            password=None,
        )
    except (ValueError, TypeError) as exc:
        raise ChannelError(
            "eBay: the signing private key cannot be read (%s)" % type(exc).__name__
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(base.encode("utf-8"))
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(base.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ChannelError("eBay: the signing key must be an Ed25519 or RSA private key")
    headers["Signature-Input"] = "sig1=%s" % params
    headers["Signature"] = "sig1=:%s:" % base64.b64encode(signature).decode("ascii")
    return headers


class EbayClient(ChannelClient):
    channel_type = "ebay"
    label = "eBay"
    quantity_batch_size = INVENTORY_BATCH
    rate_limit = (5.0, 5.0)
    token_flow = TOKEN_FLOW

    def __init__(self, base_url, **kwargs):
        options = kwargs.get("options") or {}
        if kwargs.get("rate_limit") is None and options.get("calls_per_second"):
            rate = float(options["calls_per_second"])
            kwargs["rate_limit"] = (rate, max(rate, 1.0))
        super().__init__(base_url, **kwargs)
        self.site_id = str(self.options.get("site_id") or self.account_ref or "3").strip()
        self.compatibility_level = str(
            self.options.get("compatibility_level") or COMPATIBILITY_LEVEL
        )
        self.page_size = int(self.options.get("page_size") or 200)
        self.transport.session.headers.update(
            {
                "Content-Type": "text/xml; charset=utf-8",
                "Accept": "text/xml",
                "X-EBAY-API-SITEID": self.site_id,
                "X-EBAY-API-COMPATIBILITY-LEVEL": self.compatibility_level,
                "X-EBAY-API-IAF-TOKEN": self.access_token,
            }
        )
        #: Warnings of the last call that succeeded with ``Ack=Warning``.
        self.warnings = []
        self.utcnow = lambda: datetime.now(timezone.utc).replace(tzinfo=None)

    def token_changed(self):
        self.transport.session.headers["X-EBAY-API-IAF-TOKEN"] = self.access_token

    @property
    def secrets(self):
        key = getattr(self, "options", {}).get("signing_private_key")
        return super().secrets + ((key,) if key else ())

    def rest(self, method, path, *, params=None, host=None, describe=None, parse=None,
             sign=False):  # fmt: skip
        """A call to one of eBay's REST APIs with the OAuth user token (refreshed once when
        refused): on ``host`` (e.g. the Finances host) or the API base URL; with ``sign``, the
        digital-signature headers when the channel has a signing key (UK/EU sellers)."""
        base = (host or self.transport.base_url).rstrip("/")
        url = "%s/%s" % (base, path.lstrip("/"))

        def send():
            headers = {
                "Authorization": "Bearer %s" % self.access_token,
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-EBAY-C-MARKETPLACE-ID": self.options.get("marketplace_id")
                or MARKETPLACES.get(self.site_id, "EBAY_GB"),
            }
            jwe = self.options.get("signing_key_jwe")
            key = self.options.get("signing_private_key")
            if sign and jwe and key:
                headers.update(signature_headers(method, url, jwe, key))
            return self.transport.request(
                method,
                url,
                params=params,
                headers=headers,
                parse=parse or self._rest_json,
                describe=describe or "%s %s" % (method, path),
            )

        return self.with_token(send)

    def _rest_json(self, response):
        try:
            return response.json()
        except ValueError:
            raise self.error(
                "eBay: the answer was not valid JSON", retryable=True, payload=response.text
            ) from None

    def token_rejected(self, error):
        codes = set(str(error.code or "").split(","))
        return bool(codes & TOKEN_ERROR_CODES) or error.status == 401

    # ------------------------------------------------------------------ Trading API
    @staticmethod
    def _errors(body):
        return [e for e in as_list(body.get("Errors")) if isinstance(e, dict)]

    @staticmethod
    def _error_text(errors):
        parts = []
        for err in errors:
            short, long = err.get("ShortMessage") or "", err.get("LongMessage") or ""
            message = " ".join(m for m in (short, long if long != short else "") if m)
            message = message or "unknown error"
            parts.append("%s (code %s)" % (message, err.get("ErrorCode") or "?"))
        return "; ".join(parts)

    def _parser(self, call_name, accept_failure):
        def parse(response):
            try:
                doc = parse_xml(response.content)
            except UnsafeXml as exc:
                raise self.error(
                    "eBay: the answer to %s was refused: %s" % (call_name, exc)
                ) from None
            except ValueError:
                raise self.error(
                    "eBay: the answer to %s was not valid XML" % call_name,
                    retryable=True,
                    payload=response.text,
                ) from None
            if not isinstance(doc, dict):
                raise self.error(
                    "eBay: unexpected answer to %s" % call_name,
                    retryable=True,
                    payload=response.text,
                )
            body = doc.get("%sResponse" % call_name)
            if not isinstance(body, dict):
                raise self.error(
                    "eBay: unexpected answer to %s" % call_name,
                    retryable=True,
                    payload=response.text,
                )
            ack = body.get("Ack") or ""
            errors = self._errors(body)
            failures = [e for e in errors if e.get("SeverityCode") != "Warning"]
            if ack in ("Success", "Warning") or (ack == "PartialFailure" and accept_failure):
                self.warnings = [self._error_text([e]) for e in errors if e not in failures]
                for warning in self.warnings:
                    _logger.info("eBay: %s answered with a warning: %s", call_name, warning)
                return body
            codes = {str(e.get("ErrorCode")) for e in failures}
            retryable = bool(codes & RETRYABLE_CODES)
            if accept_failure and not retryable:
                return body
            raise self.error(
                "eBay refused %s: %s" % (call_name, self._error_text(failures) or ack),
                retryable=retryable,
                code=",".join(sorted(codes)) or None,
                payload=response.text,
            )

        return parse

    def call(self, call_name, fields=None, *, idempotent=True, accept_failure=False):
        """Send one Trading API call and return its ``<CallName>Response`` element as a dict.

        ``Ack=Failure`` raises a ChannelError with eBay's messages and codes (retryable for the
        call-limit and internal-error codes); with ``accept_failure`` a failure that is not
        retryable is returned instead, for calls that report per-item errors.
        """
        request = {"%sRequest" % call_name: dict({"@xmlns": NAMESPACE}, **(fields or {}))}
        xml = xmltodict.unparse(request, encoding="utf-8")

        def send():
            body = self.transport.request(
                "POST",
                API_PATH,
                data=xml.encode("utf-8"),
                headers={"X-EBAY-API-CALL-NAME": call_name},
                idempotent=idempotent,
                parse=self._parser(call_name, accept_failure),
                describe=call_name,
            )
            if accept_failure and body.get("Ack") == "Failure":
                codes = {str(e.get("ErrorCode")) for e in self._errors(body)}
                if codes & TOKEN_ERROR_CODES:
                    raise self.error(
                        "eBay refused %s: %s" % (call_name, self._error_text(self._errors(body))),
                        code=",".join(sorted(codes)),
                    )
            return body

        return self.with_token(send)

    # ------------------------------------------------------------------ interface
    def test_connection(self):
        user = self.call("GetUser").get("User") or {}
        return "eBay user %s (site %s, %s)" % (
            user.get("UserID") or "?",
            SITES.get(self.site_id, self.site_id),
            user.get("Site") or "?",
        )

    @staticmethod
    def _listing(item):
        selling = item.get("SellingStatus") or {}
        price = item.get("StartPrice") or selling.get("CurrentPrice") or item.get("BuyItNowPrice")
        quantity = to_int(item.get("QuantityAvailable"))
        if quantity is None and item.get("Quantity") is not None:
            quantity = to_int(item.get("Quantity"), 0) - to_int(selling.get("QuantitySold"), 0)
        product = item.get("ProductListingDetails") or {}
        return RemoteListing(
            external_ref=str(item.get("ItemID") or ""),
            sku=item.get("SKU") or "",
            barcode=product.get("EAN") or product.get("UPC") or product.get("ISBN") or "",
            title=item.get("Title") or "",
            price=to_float(text(price)),
            quantity=quantity,
            currency=(price or {}).get("@currencyID", "") if isinstance(price, dict) else "",
            status=selling.get("ListingStatus") or "Active",
            description_html=item.get("Description") or "",
            raw=item,
        )

    def list_listings(self):
        page = 1
        while True:
            body = self.call(
                "GetMyeBaySelling",
                {
                    "ActiveList": {
                        "Include": "true",
                        "Pagination": {"EntriesPerPage": self.page_size, "PageNumber": page},
                    },
                    "DetailLevel": "ReturnAll",
                },
            )
            active = body.get("ActiveList") or {}
            for item in as_list((active.get("ItemArray") or {}).get("Item")):
                yield self._listing(item)
            pages = to_int((active.get("PaginationResult") or {}).get("TotalNumberOfPages"), 0)
            if page >= (pages or 0):
                return
            page += 1

    def _get_item(self, **key):
        """GetItem by ``ItemID`` or ``SKU``: the item dict, or None when eBay does not know it."""
        fields = dict(key, DetailLevel="ReturnAll", IncludeItemSpecifics="true")
        body = self.call("GetItem", fields, accept_failure=True)
        if body.get("Ack") == "Failure":
            errors = self._errors(body)
            if {str(e.get("ErrorCode")) for e in errors} & NOT_FOUND_CODES:
                return None
            raise self.error(
                "eBay refused GetItem: %s" % self._error_text(errors),
                code=",".join(str(e.get("ErrorCode")) for e in errors) or None,
            )
        return body.get("Item")

    def find_listing(self, sku):
        item = self._get_item(SKU=sku)
        if not item or item.get("SKU") != sku:
            return None
        if (item.get("SellingStatus") or {}).get("ListingStatus") not in (None, "Active"):
            return None
        return self._listing(item)

    # ------------------------------------------------------------------ publishing
    def _item(self, payload, item_id=None):
        opts = self.options
        currency = payload.currency or opts.get("currency") or "GBP"
        item = {}
        if item_id:
            item["ItemID"] = item_id
        item.update(
            {
                "Title": payload.title,
                "Description": payload.description_html,
                "PrimaryCategory": {"CategoryID": payload.category_id},
                "StartPrice": {"@currencyID": currency, "#text": money(payload.price)},
                "ConditionID": payload.condition,
                "Country": opts.get("country") or SITE_COUNTRIES.get(self.site_id, "GB"),
                "Currency": currency,
                "Location": opts.get("location") or "United Kingdom",
                "DispatchTimeMax": payload.handling_days
                if payload.handling_days is not None
                else int(opts.get("dispatch_time_max") or 1),
                "ListingDuration": opts.get("listing_duration") or "GTC",
                "SKU": payload.sku,
            }
        )
        if opts.get("postal_code"):
            item["PostalCode"] = opts["postal_code"]
        if not item_id:
            item["ListingType"] = "FixedPriceItem"
            item["InventoryTrackingMethod"] = "SKU"
            item["Site"] = SITES.get(self.site_id, "UK")
        if payload.quantity is not None:
            item["Quantity"] = max(0, int(payload.quantity))
        elif not item_id:
            item["Quantity"] = 0
        if payload.images:
            item["PictureDetails"] = {"PictureURL": list(payload.images[:24])}
        product = {}
        code = payload.product_code
        if code:
            product["UPC" if len(code) == 12 else "EAN"] = code
        if payload.brand:
            product["BrandMPN"] = {"Brand": payload.brand, "MPN": "Does not apply"}
        if product:
            item["ProductListingDetails"] = product
        specifics = dict(payload.attributes)
        specifics.update({k: v for k, v in payload.channel_attributes.items() if v})
        if payload.brand:
            specifics.setdefault("Brand", payload.brand)
        if specifics:
            item["ItemSpecifics"] = {
                "NameValueList": [{"Name": k, "Value": str(v)} for k, v in specifics.items()]
            }
        profiles = [
            opts.get(k) for k in ("payment_profile_id", "return_profile_id", "shipping_profile_id")
        ]
        if all(profiles):
            item["SellerProfiles"] = {
                "SellerPaymentProfile": {"PaymentProfileID": profiles[0]},
                "SellerReturnProfile": {"ReturnProfileID": profiles[1]},
                "SellerShippingProfile": {"ShippingProfileID": profiles[2]},
            }
        else:
            item["ReturnPolicy"] = {
                "ReturnsAcceptedOption": "ReturnsAccepted",
                "ReturnsWithinOption": opts.get("returns_within") or "Days_30",
                "ShippingCostPaidByOption": opts.get("returns_paid_by") or "Buyer",
            }
            item["ShippingDetails"] = {
                "ShippingType": "Flat",
                "ShippingServiceOptions": {
                    "ShippingServicePriority": 1,
                    "ShippingService": opts.get("shipping_service")
                    or "UK_RoyalMailSecondClassStandard",
                    "ShippingServiceCost": {
                        "@currencyID": currency,
                        "#text": money(opts.get("shipping_cost") or 0),
                    },
                },
            }
        item.update(payload.extra.get("item", {}))
        return item

    # ------------------------------------------------------------------ item specifics
    def requirement_key(self, payload):
        if not payload.category_id:
            return ""
        return "ebay:%s:%s" % (self.site_id, payload.category_id)

    def channel_requirements(self, payload):
        """The item specifics of the category (Taxonomy API getItemAspectsForCategory, the
        site's category tree): required and recommended aspect names."""

        try:
            answer = self.rest(
                "GET",
                ASPECTS_PATH % self.site_id,
                params={"category_id": payload.category_id},
                describe="getItemAspectsForCategory",
            )
        except ChannelError as exc:
            if exc.retryable or exc.status not in (400, 404):
                raise
            # a category the Taxonomy API does not know: the listing call will say why
            _logger.info("eBay: no item specifics for category %s: %s", payload.category_id, exc)
            return Requirements(source="category %s" % payload.category_id)
        required, recommended = [], []
        for aspect in answer.get("aspects") or []:
            name = aspect.get("localizedAspectName")
            constraint = aspect.get("aspectConstraint") or {}
            if not isinstance(name, str):
                continue
            if constraint.get("aspectRequired"):
                required.append(name)
            elif constraint.get("aspectUsage") == "RECOMMENDED":
                recommended.append(name)
        return Requirements(
            required=required,
            recommended=recommended,
            source="category %s on site %s" % (payload.category_id, SITES.get(self.site_id)),
        )

    def sent_attribute_names(self, payload):
        names = {k for k, v in payload.attributes.items() if v}
        names |= {k for k, v in payload.channel_attributes.items() if v}
        if payload.brand:
            names.add("Brand")
        return names

    def _create(self, payload):
        body = self.call("AddFixedPriceItem", {"Item": self._item(payload)}, idempotent=False)
        item_id = body.get("ItemID")
        if not item_id:
            raise self.error("eBay: AddFixedPriceItem returned no ItemID", retryable=True)
        return str(item_id)

    def _update(self, existing, payload):
        # ReviseFixedPriceItem sets values: sending it twice is harmless.
        body = self.call(
            "ReviseFixedPriceItem", {"Item": self._item(payload, existing.external_ref)}
        )
        return str(body.get("ItemID") or existing.external_ref)

    def end_listing(self, external_ref):
        """End the fixed-price item: ``EndFixedPriceItem`` with ``EndingReason=NotAvailable``.

        ``external_ref`` is the ItemID (a SKU is sent as ``SKU``, which eBay accepts for items
        tracked by SKU). Error 1047 (already closed) and the "cannot be accessed" codes (no such
        item) mean there is nothing left to end: success. Ending twice is harmless, so the call
        is retried like a read. An ended item leaves GetMyeBaySelling's ActiveList and
        ``find_listing()`` ignores it, so a later ``publish()`` of the SKU lists a new item.
        """
        key = str(external_ref)
        fields = {("ItemID" if is_item_id(key) else "SKU"): key, "EndingReason": "NotAvailable"}
        body = self.call("EndFixedPriceItem", fields, accept_failure=True)
        if body.get("Ack") != "Failure":
            return body.get("EndTime")
        errors = [e for e in self._errors(body) if e.get("SeverityCode") != "Warning"]
        codes = {str(e.get("ErrorCode")) for e in errors}
        if codes and codes <= ALREADY_ENDED_CODES | NOT_FOUND_CODES:
            _logger.info("eBay: item %s has already ended (%s)", key, ",".join(sorted(codes)))
            return None
        raise self.error(
            "eBay refused EndFixedPriceItem for %s: %s" % (key, self._error_text(errors)),
            code=",".join(sorted(codes)) or None,
        )

    def _set_quantity_batch(self, batch):
        statuses = [
            {("ItemID" if is_item_id(key) else "SKU"): key, "Quantity": max(0, qty)}
            for key, qty in batch
        ]
        # Absolute quantities: re-sending is harmless, so the call is retried like a read.
        body = self.call(
            "ReviseInventoryStatus", {"InventoryStatus": statuses}, accept_failure=True
        )
        done = set()
        for status in as_list(body.get("InventoryStatus")):
            done.update(str(status.get(k)) for k in ("ItemID", "SKU") if status.get(k))
        errors = [e for e in self._errors(body) if e.get("SeverityCode") != "Warning"]
        results = []
        for key, qty in batch:
            if key in done:
                results.extend(results_ok([(key, qty)]))
                continue
            own = [
                e
                for e in errors
                if key in {text(p.get("Value")) for p in as_list(e.get("ErrorParameters"))}
            ]
            message = self._error_text(own or errors) or "no answer for this item"
            results.append(QuantityResult(key, qty, False, "eBay: %s" % message))
        return results

    # ------------------------------------------------------------------ orders
    @staticmethod
    def _address(data, reader=None, what="shipping address"):
        reader = reader or OrderReader()
        data = reader.mapping(data, what)

        def field(key):
            return reader.text(data.get(key), "%s %s" % (what, key))

        phone = field("Phone")
        return Address(
            name=field("Name"),
            company=field("CompanyName"),
            street=field("Street1"),
            street2=field("Street2"),
            city=field("CityName"),
            zip=field("PostalCode"),
            state=field("StateOrProvince"),
            country_code=field("Country"),
            phone=phone if phone != "Invalid Request" else "",
        )

    def _order(self, data):
        return self.read_order(data, self._read_order)

    def _read_order(self, data, reader):
        ref = reader.order_ref(data.get("OrderID"))
        array = reader.mapping(data.get("TransactionArray"), "TransactionArray")
        transactions = reader.items(array.get("Transaction"), "transactions", single=True)
        lines, ship_by, buyer = [], None, {}
        for number, tr in reader.entries(transactions, "transaction"):
            item = reader.mapping(tr.get("Item"), "transaction %d Item" % number)
            variation = reader.mapping(tr.get("Variation"), "transaction %d Variation" % number)
            sku = reader.text(variation.get("SKU") or item.get("SKU"), "line %d SKU" % number)
            label = line_label(number, sku)
            buyer = buyer or reader.mapping(tr.get("Buyer"), "%s: Buyer" % label)
            selected = reader.mapping(tr.get("ShippingServiceSelected"), "%s: shipping" % label)
            package = reader.mapping(selected.get("ShippingPackageInfo"), "%s: package" % label)
            handle_by = reader.date(package.get("HandleByTime"), "%s: handle-by date" % label)
            ship_by = min(ship_by, handle_by) if ship_by and handle_by else ship_by or handle_by
            item_id = reader.text(item.get("ItemID"), "%s: ItemID" % label)
            line_ref = tr.get("OrderLineItemID") or (
                "%s-%s" % (item_id, reader.text(tr.get("TransactionID"), "%s: id" % label))
                if item_id and tr.get("TransactionID")
                else None
            )
            lines.append(
                RemoteOrderLine(
                    external_ref=reader.ref(line_ref, "%s: OrderLineItemID" % label),
                    sku=sku,
                    title=reader.text(item.get("Title"), "%s: Title" % label),
                    quantity=reader.number(
                        tr.get("QuantityPurchased"), "%s: quantity" % label, 0, required=True
                    ),
                    unit_price=reader.number(text(tr.get("TransactionPrice")), "%s: price" % label),
                    listing_ref=item_id,
                )
            )
        total = data.get("Total") or data.get("AmountPaid")
        selected = reader.mapping(data.get("ShippingServiceSelected"), "ShippingServiceSelected")
        address = self._address(data.get("ShippingAddress"), reader)
        first = reader.text(buyer.get("UserFirstName"), "buyer first name")
        last = reader.text(buyer.get("UserLastName"), "buyer last name")
        buyer_name = " ".join(p for p in (first, last) if p)
        email = reader.text(buyer.get("Email"), "buyer email")
        checkout = reader.mapping(data.get("CheckoutStatus"), "CheckoutStatus")
        status = reader.text(data.get("OrderStatus"), "OrderStatus")
        created = reader.date(data.get("CreatedTime"), "order date", required=True)
        modified = checkout.get("LastModifiedTime")
        return RemoteOrder(
            external_ref=ref,
            name=reader.text(data.get("ExtendedOrderID"), "ExtendedOrderID") or ref,
            status=status,
            cancelled=status in CANCELLED_STATUSES,
            created_at=created,
            updated_at=reader.date(modified, "order modification date") if modified else created,
            currency=(total or {}).get("@currencyID", "") if isinstance(total, dict) else "",
            total=reader.number(text(total), "order total"),
            shipping_amount=reader.number(
                text(selected.get("ShippingServiceCost")), "shipping cost"
            ),
            service_level=reader.text(selected.get("ShippingService"), "shipping service"),
            ship_by=ship_by,
            buyer_name=buyer_name
            or address.name
            or reader.text(data.get("BuyerUserID"), "BuyerUserID"),
            buyer_email=email if email != "Invalid Request" else "",
            shipping_address=address,
            billing_address=address,
            lines=lines,
            raw=data,
        )

    def _orders_pages(self, fields):
        page = 1
        while True:
            body = self.call(
                "GetOrders",
                dict(
                    fields,
                    OrderRole="Seller",
                    DetailLevel="ReturnAll",
                    Pagination={"EntriesPerPage": 100, "PageNumber": page},
                ),
            )
            yield from as_list((body.get("OrderArray") or {}).get("Order"))
            pages = to_int((body.get("PaginationResult") or {}).get("TotalNumberOfPages"), 0)
            if body.get("HasMoreOrders") != "true" and page >= (pages or 0):
                return
            page += 1

    def fetch_orders(self, since=None):
        """GetOrders by modification time, in ``order_window_days`` windows up to now."""
        end = self.utcnow()
        window = timedelta(days=float(self.options.get("order_window_days") or 30))
        start = utc_naive(since) if since else None
        if start is None:
            start = end - timedelta(days=float(self.options.get("order_lookback_days") or 90))
        seen = set()
        while start < end:
            stop = min(start + window, end)
            fields = {"ModTimeFrom": iso_utc(start), "ModTimeTo": iso_utc(stop)}
            for data in self._orders_pages(fields):
                order = self._order(data)
                key = order.external_ref or id(data)
                if key not in seen:  # an order changed twice shows in two windows
                    seen.add(key)
                    yield order
            start = stop

    def _get_order(self, order_id):
        orders = list(self._orders_pages({"OrderIDArray": {"OrderID": [order_id]}}))
        return orders[0] if orders else None

    def mark_shipped(self, shipment):
        """CompleteSale with ``Shipped`` and the tracking; skipped when eBay already has it.

        The whole order goes by ``OrderID``; a partial shipment (or the rest of an order of which
        some lines were already reported) sends one CompleteSale per ``OrderLineItemID``.
        Returns the order id, or None when nothing was left to report.
        """
        order = self._get_order(shipment.order_ref)
        if order is None:
            raise self.error("eBay: order %s not found" % shipment.order_ref)
        transactions = as_list((order.get("TransactionArray") or {}).get("Transaction"))
        wanted = {ref for ref, _qty in shipment.lines}
        targets = []
        for tr in transactions:
            line_ref = tr.get("OrderLineItemID") or ""
            if (wanted and line_ref not in wanted) or (not wanted and tr.get("ShippedTime")):
                continue  # not in this parcel, or a whole-order report of a line already sent
            numbers = {
                d.get("ShipmentTrackingNumber")
                for d in as_list((tr.get("ShippingDetails") or {}).get("ShipmentTrackingDetails"))
            }
            if shipment.tracking_number not in numbers:
                targets.append(line_ref)
        if not targets:
            return None
        shipped_at = shipment.shipped_at or self.utcnow()
        tracking = {
            "ShipmentTrackingDetails": {
                "ShippingCarrierUsed": shipment.carrier,
                "ShipmentTrackingNumber": shipment.tracking_number,
            },
            "ShippedTime": iso_utc(shipped_at),
        }
        keys = (
            [{"OrderID": shipment.order_ref}]
            if not wanted and len(targets) == len(transactions)
            else [{"OrderLineItemID": ref} for ref in targets]
        )
        for key in keys:
            # Same tracking sent twice is harmless: eBay keeps one entry per number.
            self.call("CompleteSale", dict(key, Shipped="true", Shipment=tracking))
        return shipment.order_ref
