"""eBay Trading API (XML, ``POST /ws/api.dll``): the calls the eBay client uses.

No XSD of the Trading API is available here, so each call checks what eBay's call reference
requires: the ``X-EBAY-API-*`` headers (call name, site id, compatibility level, IAF token), the
``<CallName>Request`` root in the ``urn:ebay:apis:eBLBaseComponents`` namespace, and the required
elements of each call (e.g. AddFixedPriceItem: title of at most 80 characters, category,
price, condition, SKU with ``InventoryTrackingMethod=SKU``, returns and shipping or business
policies; ReviseInventoryStatus: 1 to 4 ``InventoryStatus``). Failures answer HTTP 200 with
``Ack=Failure`` and ``Errors`` as eBay does; the ``throttled`` fault answers error 518 (call
usage limit reached).

State: items by ItemID (SKU unique among active items), orders with their transactions, and
the tracking sent with CompleteSale. EndFixedPriceItem marks an item ``Completed`` (it leaves
the ActiveList and GetItem by SKU; a new AddFixedPriceItem of its SKU is allowed) and answers
error 1047 when the item had already ended. ``seed_order`` adds an order (and counts the sale on the
items it names).

OAuth: the Identity API is another host (``IdentityApp``, served under ``/ebay-identity``, like
``https://api.ebay.com/identity/v1/oauth2/token``): the refresh-token grant (and the
authorization-code grant, see ``issue_code``) with HTTP Basic ``App ID:Cert ID`` issues user
access tokens valid ``token_ttl`` seconds. The Trading API accepts the configured
``access_token`` and every issued token until it expires (``expire_tokens()``), answering an
expired one with error 932 ("Auth token is hard expired") and an unknown one with 21917053
("Auth token is invalid"); the Finances API answers both 401.
"""

import base64
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from xml.parsers.expat import ExpatError

import xmltodict

from .common import now_iso, parse_iso
from .core import ChannelApp, Response
from .specs import validation_errors

NAMESPACE = "urn:ebay:apis:eBLBaseComponents"
API_PATH = "/ws/api.dll"
SITE_CODES = {
    "0": "US",
    "2": "Canada",
    "3": "UK",
    "15": "Australia",
    "71": "France",
    "77": "Germany",
    "101": "Italy",
    "186": "Spain",
}
SITE_CURRENCY = {"0": "USD", "2": "CAD", "3": "GBP", "15": "AUD"}
TITLE_MAX = 80
#: EndReasonCodeType values a seller may send.
ENDING_REASONS = ("CustomCode", "Incorrect", "LostOrBroken", "NotAvailable", "OtherListingError",
                  "ProductDeleted", "SellToHighBidder", "Sold")  # fmt: skip
INVENTORY_MAX = 4


# ---------------------------------------------------------------- Taxonomy API
#: REST Taxonomy API v1 (``Authorization: Bearer``), served on the same URL.
TAXONOMY_PATH = "/commerce/taxonomy/v1/category_tree/"
#: The shape of getItemAspectsForCategory's answer, from eBay's public Taxonomy API reference
#: (commerce_taxonomy v1.1.0; no machine-readable spec of it is stored here).
ASPECTS_SHAPE = {
    "type": "object",
    "required": ["aspects"],
    "properties": {
        "aspects": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["localizedAspectName", "aspectConstraint"],
                "properties": {
                    "localizedAspectName": {"type": "string"},
                    "aspectConstraint": {
                        "type": "object",
                        "required": ["aspectRequired", "aspectUsage", "aspectMode"],
                        "properties": {
                            "aspectRequired": {"type": "boolean"},
                            "aspectUsage": {"enum": ["RECOMMENDED", "OPTIONAL"]},
                            "aspectMode": {"enum": ["FREE_TEXT", "SELECTION_ONLY"]},
                            "aspectDataType": {"enum": ["DATE", "NUMBER", "STRING",
                                                        "STRING_ARRAY"]},
                        },
                    },
                    "aspectValues": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["localizedValue"],
                            "properties": {"localizedValue": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}  # fmt: skip

# ---------------------------------------------------------------- Finances API (ecom_accounting)
#: REST Finances API v1 (OAuth user token as ``Authorization: Bearer``), served on the same URL.
FINANCES_PATH = "/sell/finances/v1/"
_AMOUNT = {
    "type": "object",
    "required": ["value", "currency"],
    "properties": {"value": {"type": "string"}, "currency": {"type": "string"}},
}
#: The shape of the answers, from eBay's public Finances API reference (no machine-readable spec
#: of it is stored here): the fields the emulator answers and their types.
FINANCES_SHAPES = {
    "payouts": {
        "type": "object",
        "required": ["payouts", "total", "limit", "offset"],
        "properties": {
            "payouts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["payoutId", "payoutStatus", "amount", "payoutDate"],
                    "properties": {
                        "payoutId": {"type": "string"},
                        "payoutStatus": {
                            "enum": ["INITIATED", "SUCCEEDED", "RETRYABLE_FAILED",
                                     "TERMINAL_FAILED", "REVERSED"]
                        },
                        "amount": _AMOUNT,
                        "payoutDate": {"type": "string"},
                        "transactionCount": {"type": "integer"},
                    },
                },
            },
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": {"type": "string"},
        },
    },
    "transactions": {
        "type": "object",
        "required": ["transactions", "total", "limit", "offset"],
        "properties": {
            "transactions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["transactionId", "transactionType", "amount", "bookingEntry"],
                    "properties": {
                        "transactionId": {"type": "string"},
                        "orderId": {"type": "string"},
                        "transactionType": {
                            "enum": ["SALE", "REFUND", "CREDIT", "DISPUTE", "NON_SALE_CHARGE",
                                     "SHIPPING_LABEL", "TRANSFER", "ADJUSTMENT", "WITHDRAWAL",
                                     "LOAN_REPAYMENT", "PURCHASE"]
                        },
                        "transactionStatus": {"type": "string"},
                        "transactionDate": {"type": "string"},
                        "bookingEntry": {"enum": ["CREDIT", "DEBIT"]},
                        "amount": _AMOUNT,
                        "totalFeeBasisAmount": _AMOUNT,
                        "totalFeeAmount": _AMOUNT,
                        "payoutId": {"type": "string"},
                    },
                },
            },
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": {"type": "string"},
        },
    },
}  # fmt: skip


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(value):
    if isinstance(value, dict):
        return value.get("#text") or ""
    return "" if value is None else str(value)


class EbayFailure(Exception):
    """A request eBay refuses: answered as ``Ack=Failure`` with one Errors entry per problem."""

    def __init__(self, *errors):
        super().__init__(errors[0][1] if errors else "failure")
        self.errors = [error_entry(*e) for e in errors]


def error_entry(code, short, long=None, params=(), severity="Error", classification=None):
    entry = {
        "ShortMessage": short,
        "LongMessage": long or short,
        "ErrorCode": str(code),
        "SeverityCode": severity,
        "ErrorClassification": classification or "RequestError",
    }
    if params:
        entry["ErrorParameters"] = [
            {"@ParamID": str(i), "Value": str(v)} for i, v in enumerate(params)
        ]
    return entry


def invalid(tag, why="is invalid or missing"):
    return EbayFailure(
        (37, "Input data is invalid.", "Input data for tag <%s> %s." % (tag, why), (tag,))
    )


def money_of(value, tag):
    try:
        amount = float(text(value))
    except ValueError:
        raise invalid(tag) from None
    if amount <= 0:
        raise invalid(tag, "must be above zero")
    return amount


class EbayApp(ChannelApp):
    name = "ebay"

    def __init__(self, credentials=None, user_id="emulated_seller", token_ttl=7200):
        self.user_id = user_id
        self.token_ttl = float(token_ttl)
        super().__init__(credentials)

    def reset(self):
        super().reset()
        self.items = {}  # ItemID -> item (as eBay returns it)
        self.orders = {}  # OrderID -> order
        self.item_seq = 110000000000
        self.requests = []  # (call name, request element) of every accepted request
        self.payouts = {}  # finances (ecom_accounting): payoutId -> (payout, [transaction])
        self.schema_failures = []  # Finances answers of ours that did not match their shape
        #: Digital signatures (UK/EU sellers): JWE -> public key (PEM); when
        #: ``require_signatures``, Finances calls must be signed with one of them.
        self.signing_keys = {}
        self.require_signatures = False
        #: Taxonomy: category id -> [{"name", "required", "recommended", "values"}]
        self.category_aspects = {}
        #: access token -> expiry (monotonic; None: never), the configured one valid for ever
        self.tokens = {self.credentials.get("access_token"): None}
        self.codes = {}  # consent code -> refresh token
        self.refresh_revoked = False

    def expire_tokens(self):
        """Every access token expires now (the configured one too)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def revoke_refresh_token(self):
        with self.lock:
            self.refresh_revoked = True

    def issue_code(self):
        with self.lock:
            code = "v^1.1#i^1#f^0#p^3#r^1#I^3#t^emulator%s" % uuid.uuid4().hex[:12]
            self.codes[code] = self.credentials.get("refresh_token")
            return code

    def token_state(self, token):
        """``valid``, ``expired`` or ``invalid``."""
        if not token or token not in self.tokens:
            return "invalid"
        expiry = self.tokens[token]
        return "valid" if expiry is None or expiry > time.monotonic() else "expired"

    # ------------------------------------------------------------------ HTTP
    def operation(self, request):
        if request.path.startswith(TAXONOMY_PATH):
            return "getItemAspectsForCategory"
        if request.path.startswith(FINANCES_PATH):
            return "%s %s" % (request.method, request.path)
        return request.headers.get("x-ebay-api-call-name") or "invalid"

    def _answer(self, call, ack="Success", errors=(), **fields):
        body = {
            "@xmlns": NAMESPACE,
            "Timestamp": now_iso().replace("Z", ".000Z"),
            "Ack": ack,
        }
        if errors:
            body["Errors"] = list(errors)
        body.update({"Version": "1379", "Build": "E1379_EMULATOR"})
        body.update(fields)
        xml = xmltodict.unparse({"%sResponse" % (call or "Generic"): body}, encoding="utf-8")
        return Response.text(xml, content_type="text/xml; charset=utf-8")

    def error_root(self, request, operation):
        return "%sResponse" % (request.headers.get("x-ebay-api-call-name") or "Generic")

    def throttled_response(self, request):
        error = error_entry(
            518,
            "Call usage limit has been reached.",
            "Your application has exceeded usage limit on this call. Please try again later.",
            classification="SystemError",
        )
        return self._answer(self.operation(request), "Failure", [error])

    def dispatch(self, request, operation):
        if request.path.startswith(FINANCES_PATH):
            return self._finances(request)
        if request.path.startswith(TAXONOMY_PATH):
            return self._taxonomy(request)
        if request.path != API_PATH or request.method != "POST":
            return Response.text("Not Found", status=404)
        call = request.headers.get("x-ebay-api-call-name") or ""
        try:
            site = self._check_headers(request, call)
            root = "%sRequest" % call
            try:
                doc = xmltodict.parse(request.body)
            except ExpatError:
                raise EbayFailure(
                    (5, "XML Parse error.", "XML Error Text: not well-formed.")
                ) from None
            body = doc.get(root)
            if not isinstance(body, dict) or body.get("@xmlns") != NAMESPACE:
                raise EbayFailure(
                    (
                        5,
                        "XML Parse error.",
                        'The root element must be <%s xmlns="%s">.' % (root, NAMESPACE),
                    )
                )
            handler = getattr(self, "_call_%s" % call)
            with self.lock:
                self.requests.append((call, body))
                return handler(call, body, site)
        except EbayFailure as failure:
            return self._answer(call, "Failure", failure.errors)

    def _check_headers(self, request, call):
        if not call or not hasattr(self, "_call_%s" % call):
            raise EbayFailure(
                (
                    2,
                    "Unsupported API call.",
                    'The API call "%s" is invalid or not supported in this release.' % call,
                )
            )
        site = request.headers.get("x-ebay-api-siteid")
        if site not in SITE_CODES:
            raise EbayFailure(
                (10012, 'Invalid value for header "X-EBAY-API-SITEID".', None, (site,))
            )
        if not (request.headers.get("x-ebay-api-compatibility-level") or "").isdigit():
            raise EbayFailure((14003, 'Missing header "X-EBAY-API-COMPATIBILITY-LEVEL".'))
        token = request.headers.get("x-ebay-api-iaf-token") or ""
        state = self.token_state(token)
        if state == "expired":
            raise EbayFailure(
                (932, "Auth token is hard expired.", None, (), "Error", "RequestError")
            )
        if state == "invalid" and token:
            raise EbayFailure(
                (
                    21917053,
                    "Auth token is invalid.",
                    "Validation of the authentication token in API request failed.",
                )
            )
        if state == "invalid":
            raise EbayFailure((21916984, "Invalid IAF token.", "IAF token supplied is invalid."))
        return site

    # ------------------------------------------------------------------ items
    def _active_by_sku(self, sku):
        for item in self.items.values():
            if item["SKU"] == sku and item["SellingStatus"]["ListingStatus"] == "Active":
                return item
        return None

    def _lookup(self, data, active_only=False):
        item_id, sku = data.get("ItemID"), data.get("SKU")
        if item_id:
            item = self.items.get(str(item_id))
            if item and active_only and item["SellingStatus"]["ListingStatus"] != "Active":
                item = None
        elif sku:
            item = self._active_by_sku(sku)
        else:
            raise invalid("ItemID")
        if item is None:
            raise EbayFailure(
                (
                    17,
                    "This item cannot be accessed because the listing has been deleted, "
                    "or you are not the seller.",
                    None,
                    (item_id or sku,),
                )
            )
        return item

    def _check_new_item(self, item, site):
        """What AddFixedPriceItem requires on top of the checks of every item."""
        required = ("Title", "Description", "PrimaryCategory", "StartPrice", "ConditionID",
                    "Country", "Currency", "DispatchTimeMax", "ListingDuration", "ListingType",
                    "Quantity", "SKU", "Site")  # fmt: skip
        for tag in required:
            if item.get(tag) in (None, ""):
                raise invalid("Item.%s" % tag)
        if item["ListingType"] != "FixedPriceItem":
            raise invalid("Item.ListingType", "must be FixedPriceItem for this call")
        if item.get("InventoryTrackingMethod") not in (None, "ItemID", "SKU"):
            raise invalid("Item.InventoryTrackingMethod")
        if item["Site"] != SITE_CODES[site]:
            raise EbayFailure(
                (
                    10019,
                    "Site mismatch.",
                    "Item.Site %s does not match the site id %s." % (item["Site"], site),
                )
            )
        if not (item.get("Location") or item.get("PostalCode")):
            raise invalid("Item.Location")
        if not item.get("SellerProfiles") and not (
            item.get("ReturnPolicy") and item.get("ShippingDetails")
        ):
            raise invalid(
                "Item.ReturnPolicy", "and <ShippingDetails> (or <SellerProfiles>) are required"
            )
        category = ((item.get("PrimaryCategory") or {}).get("CategoryID")) or ""
        specifics = {
            text(entry.get("Name"))
            for entry in as_list((item.get("ItemSpecifics") or {}).get("NameValueList"))
            if isinstance(entry, dict) and entry.get("Value") not in (None, "")
        }
        for aspect in self.category_aspects.get(category, ()):
            if aspect.get("required") and aspect["name"] not in specifics:
                raise EbayFailure(
                    (
                        21919303,
                        "The item specific %s is missing." % aspect["name"],
                        "The item specific %s is missing. Add %s to this listing, enter a "
                        "valid value, and then try again." % (aspect["name"], aspect["name"]),
                        (aspect["name"],),
                    )
                )

    def _check_item(self, item, site, creating):
        if creating:
            self._check_new_item(item, site)
        if "Title" in item and not 0 < len(item["Title"] or "") <= TITLE_MAX:
            raise invalid("Item.Title", "must be 1 to %d characters" % TITLE_MAX)
        if "PrimaryCategory" in item:
            category = (item["PrimaryCategory"] or {}).get("CategoryID") or ""
            if not category.isdigit():
                raise EbayFailure((87, "Category not valid.", None, (category,)))
        if "StartPrice" in item:
            money_of(item["StartPrice"], "Item.StartPrice")
            currency = (
                (item["StartPrice"] or {}).get("@currencyID")
                if isinstance(item["StartPrice"], dict)
                else None
            )
            if currency and currency != SITE_CURRENCY.get(site, currency):
                raise invalid("Item.StartPrice", "has a currency not used on this site")
        if "Quantity" in item and not str(item["Quantity"]).isdigit():
            raise invalid("Item.Quantity")
        if "DispatchTimeMax" in item and not str(item["DispatchTimeMax"]).isdigit():
            raise invalid("Item.DispatchTimeMax")
        if item.get("InventoryTrackingMethod") == "SKU" and not item.get("SKU"):
            raise invalid("Item.SKU", "is required with InventoryTrackingMethod SKU")

    def _call_AddFixedPriceItem(self, call, body, site):  # noqa: N802
        item = body.get("Item") or {}
        self._check_item(item, site, creating=True)
        if item.get("SKU") and self._active_by_sku(item["SKU"]):
            raise EbayFailure(
                (
                    21919067,
                    "This Listing is a duplicate of your item: %s."
                    % self._active_by_sku(item["SKU"])["ItemID"],
                    "You have an active listing with the same SKU; use ReviseFixedPriceItem.",
                    (item["SKU"],),
                )
            )
        self.item_seq += 1
        item_id = str(self.item_seq)
        stamp = now_iso()
        record = dict(item, ItemID=item_id)
        record["Quantity"] = int(item["Quantity"])
        record["SellingStatus"] = {
            "ListingStatus": "Active",
            "QuantitySold": 0,
            "CurrentPrice": item["StartPrice"],
        }
        record["ListingDetails"] = {
            "StartTime": stamp,
            "EndTime": "",
            "ViewItemURL": "https://www.ebay.co.uk/itm/%s" % item_id,
        }
        record["Seller"] = {"UserID": self.user_id}
        self.items[item_id] = record
        return self._answer(
            call,
            ItemID=item_id,
            StartTime=stamp,
            EndTime="",
            Fees={"Fee": {"Name": "InsertionFee", "Fee": {"@currencyID": "GBP", "#text": "0.0"}}},
        )

    def _call_ReviseFixedPriceItem(self, call, body, site):  # noqa: N802
        data = body.get("Item") or {}
        item = self._lookup(data, active_only=True)
        self._check_item(data, site, creating=False)
        if data.get("SKU") and data["SKU"] != item["SKU"]:
            other = self._active_by_sku(data["SKU"])
            if other is not None and other is not item:
                raise invalid("Item.SKU", "is used by another active listing")
        sold = item["SellingStatus"]["QuantitySold"]
        for key, value in data.items():
            if key in ("ItemID", "ListingType", "Site", "InventoryTrackingMethod"):
                continue
            item[key] = value
        if "Quantity" in data:
            item["Quantity"] = int(data["Quantity"]) + sold
        if "StartPrice" in data:
            item["SellingStatus"]["CurrentPrice"] = data["StartPrice"]
        return self._answer(call, ItemID=item["ItemID"], SKU=item["SKU"])

    def _call_GetItem(self, call, body, site):  # noqa: N802
        item = self._lookup(body)
        return self._answer(call, Item=item)

    def _call_EndFixedPriceItem(self, call, body, site):  # noqa: N802
        if body.get("EndingReason") not in ENDING_REASONS:
            raise invalid("EndingReason")
        item = self._lookup(body)
        if item["SellingStatus"]["ListingStatus"] != "Active":
            raise EbayFailure(
                (
                    1047,
                    "Auction already closed.",
                    "The auction has been closed.",
                    (item["ItemID"],),
                )
            )
        item["SellingStatus"]["ListingStatus"] = "Completed"
        item["ListingDetails"]["EndTime"] = now_iso()
        return self._answer(call, EndTime=item["ListingDetails"]["EndTime"])

    def _call_ReviseInventoryStatus(self, call, body, site):  # noqa: N802
        statuses = as_list(body.get("InventoryStatus"))
        if not 1 <= len(statuses) <= INVENTORY_MAX:
            raise invalid("InventoryStatus", "must occur 1 to %d times" % INVENTORY_MAX)
        done, errors = [], []
        for status in statuses:
            key = status.get("ItemID") or status.get("SKU") or ""
            try:
                if "Quantity" not in status and "StartPrice" not in status:
                    raise invalid("InventoryStatus.Quantity")
                item = self._lookup(status, active_only=True)
                if status.get("SKU") and not status.get("ItemID"):
                    if item.get("InventoryTrackingMethod") != "SKU":
                        raise invalid("InventoryStatus.SKU", "needs InventoryTrackingMethod SKU")
                if "Quantity" in status:
                    qty = status["Quantity"]
                    if not str(qty).isdigit():
                        raise invalid("InventoryStatus.Quantity")
                    item["Quantity"] = int(qty) + item["SellingStatus"]["QuantitySold"]
                if "StartPrice" in status:
                    money_of(status["StartPrice"], "InventoryStatus.StartPrice")
                    item["StartPrice"] = status["StartPrice"]
                    item["SellingStatus"]["CurrentPrice"] = status["StartPrice"]
                done.append(
                    {
                        "SKU": item["SKU"],
                        "Quantity": item["Quantity"] - item["SellingStatus"]["QuantitySold"],
                        "ItemID": item["ItemID"],
                        "StartPrice": item["StartPrice"],
                    }
                )
            except EbayFailure as failure:
                for entry in failure.errors:
                    entry["ErrorParameters"] = [{"@ParamID": "0", "Value": key}]
                    errors.append(entry)
        ack = "Success" if not errors else ("PartialFailure" if done else "Failure")
        fields = {"InventoryStatus": done} if done else {}
        return self._answer(call, ack, errors, **fields)

    def _selling_item(self, item):
        sold = item["SellingStatus"]["QuantitySold"]
        return {
            "BuyItNowPrice": item["StartPrice"],
            "ItemID": item["ItemID"],
            "ListingDetails": {"StartTime": item["ListingDetails"]["StartTime"]},
            "ListingType": item.get("ListingType") or "FixedPriceItem",
            "Quantity": item["Quantity"],
            "SellingStatus": {
                "CurrentPrice": item["SellingStatus"]["CurrentPrice"],
                "QuantitySold": sold,
            },
            "SKU": item["SKU"],
            "Title": item["Title"],
            "QuantityAvailable": item["Quantity"] - sold,
        }

    @staticmethod
    def _pagination(data, maximum, default=25):
        pagination = data.get("Pagination") or {}
        try:
            per_page = int(pagination.get("EntriesPerPage") or default)
            page = int(pagination.get("PageNumber") or 1)
        except ValueError:
            raise invalid("Pagination") from None
        if not 1 <= per_page <= maximum or page < 1:
            raise invalid("Pagination.EntriesPerPage", "must be 1 to %d" % maximum)
        return per_page, page

    def _call_GetMyeBaySelling(self, call, body, site):  # noqa: N802
        fields = {}
        active = body.get("ActiveList")
        if active and active.get("Include", "true") == "true":
            per_page, page = self._pagination(active, 200)
            items = [
                self._selling_item(i)
                for i in sorted(self.items.values(), key=lambda i: i["ItemID"])
                if i["SellingStatus"]["ListingStatus"] == "Active"
            ]
            chunk = items[(page - 1) * per_page : page * per_page]
            fields["ActiveList"] = {
                "ItemArray": {"Item": chunk} if chunk else None,
                "PaginationResult": {
                    "TotalNumberOfPages": -(-len(items) // per_page),
                    "TotalNumberOfEntries": len(items),
                },
            }
        return self._answer(call, **fields)

    def _call_GetUser(self, call, body, site):  # noqa: N802
        user = {
            "UserID": self.user_id,
            "Site": SITE_CODES[site],
            "Status": "Confirmed",
            "Email": "Invalid Request",
            "SellerInfo": {"StoreOwner": "true"},
        }
        return self._answer(call, User=user)

    # ------------------------------------------------------------------ orders
    @staticmethod
    def _range(body, prefix):
        start, end = body.get("%sFrom" % prefix), body.get("%sTo" % prefix)
        if not start and not end:
            return None
        if not (start and end):
            raise invalid("%sTo" % prefix if start else "%sFrom" % prefix)
        try:
            start, end = parse_iso(start), parse_iso(end)
        except ValueError:
            raise invalid("%sFrom" % prefix, "is not a valid date") from None
        if end <= start:
            raise invalid("%sTo" % prefix, "must be after %sFrom" % prefix)
        return start, end

    def _call_GetOrders(self, call, body, site):  # noqa: N802
        if body.get("OrderRole", "Seller") not in ("Seller", "Buyer"):
            raise invalid("OrderRole")
        ids = [str(i) for i in as_list((body.get("OrderIDArray") or {}).get("OrderID"))]
        created = self._range(body, "CreateTime")
        modified = self._range(body, "ModTime")
        days = body.get("NumberOfDays")
        if not (ids or created or modified or days):
            raise EbayFailure(
                (
                    20136,
                    "Time range, NumberOfDays or OrderIDArray is required.",
                )
            )
        per_page, page = self._pagination(body, 100)
        orders = sorted(self.orders.values(), key=lambda o: o["CreatedTime"])
        if ids:
            orders = [o for o in orders if o["OrderID"] in ids]
        if created:
            orders = [o for o in orders if created[0] <= parse_iso(o["CreatedTime"]) <= created[1]]
        if modified:
            orders = [
                o
                for o in orders
                if modified[0] <= parse_iso(o["CheckoutStatus"]["LastModifiedTime"]) <= modified[1]
            ]
        if days:
            bound = parse_iso(now_iso()) - timedelta(days=int(days))
            orders = [
                o for o in orders if parse_iso(o["CheckoutStatus"]["LastModifiedTime"]) >= bound
            ]
        status = body.get("OrderStatus") or "All"
        if status != "All":
            orders = [o for o in orders if o["OrderStatus"] == status]
        chunk = orders[(page - 1) * per_page : page * per_page]
        pages = -(-len(orders) // per_page)
        recent = modified is None or modified[1] >= parse_iso(now_iso()) - timedelta(minutes=5)
        if self.raw_orders and not ids and recent and page >= max(pages, 1):
            chunk = chunk + list(self.raw_orders)  # as they are, after the regular ones
        return self._answer(
            call,
            PaginationResult={"TotalNumberOfPages": pages, "TotalNumberOfEntries": len(orders)},
            HasMoreOrders="true" if page < pages else "false",
            OrderArray={"Order": chunk} if chunk else None,
            OrdersPerPage=per_page,
            PageNumber=page,
            ReturnedOrderCountActual=len(chunk),
        )

    def _transactions(self, body):
        if body.get("OrderID"):
            order = self.orders.get(str(body["OrderID"]))
            if order is None:
                raise EbayFailure((21916311, "Invalid OrderID.", None, (body["OrderID"],)))
            return order, as_list(order["TransactionArray"]["Transaction"])
        line = body.get("OrderLineItemID")
        if not line and body.get("ItemID") and body.get("TransactionID"):
            line = "%s-%s" % (body["ItemID"], body["TransactionID"])
        if not line:
            raise invalid("OrderID", "or <OrderLineItemID> is required")
        for order in self.orders.values():
            for tr in as_list(order["TransactionArray"]["Transaction"]):
                if tr["OrderLineItemID"] == line:
                    return order, [tr]
        raise EbayFailure((21916311, "Invalid OrderLineItemID.", None, (line,)))

    def _call_CompleteSale(self, call, body, site):  # noqa: N802
        order, transactions = self._transactions(body)
        if order["OrderStatus"] == "Cancelled":
            raise EbayFailure((21916637, "The order was cancelled.", None, (order["OrderID"],)))
        shipment = body.get("Shipment") or {}
        details = as_list(shipment.get("ShipmentTrackingDetails"))
        for detail in details:
            if not (detail.get("ShippingCarrierUsed") and detail.get("ShipmentTrackingNumber")):
                raise invalid(
                    "ShipmentTrackingDetails",
                    "needs ShippingCarrierUsed and ShipmentTrackingNumber",
                )
        if details and body.get("Shipped") == "false":
            raise invalid("Shipped", "cannot be false with tracking details")
        stamp = now_iso()
        for tr in transactions:
            shipping = tr.setdefault("ShippingDetails", {})
            known = as_list(shipping.get("ShipmentTrackingDetails"))
            numbers = {d["ShipmentTrackingNumber"] for d in known}
            for detail in details:
                if detail["ShipmentTrackingNumber"] not in numbers:
                    known.append(
                        {
                            "ShippingCarrierUsed": detail["ShippingCarrierUsed"],
                            "ShipmentTrackingNumber": detail["ShipmentTrackingNumber"],
                        }
                    )
            shipping["ShipmentTrackingDetails"] = known
            if body.get("Shipped") == "true" or details:
                tr["ShippedTime"] = shipment.get("ShippedTime") or stamp
        if all(tr.get("ShippedTime") for tr in as_list(order["TransactionArray"]["Transaction"])):
            order["ShippedTime"] = shipment.get("ShippedTime") or stamp
        order["CheckoutStatus"]["LastModifiedTime"] = stamp
        return self._answer(call)

    # ------------------------------------------------------------------ taxonomy
    def _taxonomy(self, request):
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ")
        if self.token_state(token) != "valid":
            return self._finance_error(401, 1001, "Invalid access token")
        match = re.fullmatch(
            r"%s(\d+)/get_item_aspects_for_category" % re.escape(TAXONOMY_PATH), request.path
        )
        if request.method != "GET" or not match:
            return self._finance_error(404, 2004, "Resource not found: %s" % request.path)
        if match.group(1) not in SITE_CODES:
            return self._finance_error(400, 62004, "The specified category tree ID was not found.")
        category = request.arg("category_id") or ""
        if not category.isdigit():
            return self._finance_error(400, 62005, "The specified category ID was not found.")
        with self.lock:
            aspects = [
                {
                    "localizedAspectName": a["name"],
                    "aspectConstraint": {
                        "aspectRequired": bool(a.get("required")),
                        "aspectUsage": "RECOMMENDED"
                        if a.get("required") or a.get("recommended")
                        else "OPTIONAL",
                        "aspectMode": "SELECTION_ONLY" if a.get("values") else "FREE_TEXT",
                        "aspectDataType": "STRING",
                    },
                    "aspectValues": [{"localizedValue": v} for v in a.get("values") or ()],
                }
                for a in self.category_aspects.get(category, ())
            ]
        answer = {"aspects": aspects}
        errors = validation_errors(answer, ASPECTS_SHAPE)
        if errors:
            self.schema_failures.append(("aspects", errors))
        return Response.json(answer)

    # ------------------------------------------------------------------ finances (ecom_accounting)
    @staticmethod
    def _finance_error(status, error_id, message):
        return Response.json(
            {"errors": [{"errorId": error_id, "domain": "API_FINANCES", "message": message}]},
            status=status,
        )

    @staticmethod
    def _filter(request):
        """``filter=payoutDate:[from..to],payoutId:{id}`` as ``{name: value}``."""
        criteria = {}
        for part in re.findall(r"(\w+):([\[{][^\]}]*[\]}])", request.arg("filter", "")):
            criteria[part[0]] = part[1][1:-1]
        return criteria

    def _finance_page(self, request, key, items):
        try:
            limit = int(request.arg("limit", 20))
            offset = int(request.arg("offset", 0))
        except ValueError:
            return self._finance_error(400, 135000, "The limit or offset value is invalid.")
        if not 1 <= limit <= 200 or offset < 0:
            return self._finance_error(400, 135000, "The limit or offset value is invalid.")
        answer = {key: items[offset : offset + limit], "total": len(items)}
        answer.update(limit=limit, offset=offset)
        if offset + limit < len(items):
            answer["next"] = "%s?limit=%d&offset=%d" % (request.path, limit, offset + limit)
        errors = validation_errors(answer, FINANCES_SHAPES[key])
        if errors:
            self.schema_failures.append((key, errors))
            return self._finance_error(500, 135500, "emulator answer invalid: %s" % errors[:3])
        return Response.json(answer)

    def add_signing_key(self):
        """A signing key as eBay's Key Management API creates one (Ed25519); returns
        ``(jwe, private key PEM)`` and requires signed Finances calls from then on."""
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415

        key = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        jwe = "eyJ6aXAiOiJERUYiLCJlbmMiOiJBMjU2R0NNIn0.emulator%s" % uuid.uuid4().hex
        with self.lock:
            self.signing_keys[jwe] = key.public_key()
            self.require_signatures = True
        return jwe, private

    def _signature_problem(self, request):
        """Why the request's digital signature is not valid (None when it is)."""
        jwe = request.headers.get("x-ebay-signature-key") or ""
        public = self.signing_keys.get(jwe)
        signature = request.headers.get("signature") or ""
        params = request.headers.get("signature-input") or ""
        if public is None:
            return "The signature key is missing or unknown."
        match_sig = re.fullmatch(r"sig1=:([A-Za-z0-9+/=]+):", signature)
        match_params = re.fullmatch(r"sig1=(\(([^)]*)\);created=(\d+))", params)
        if not (match_sig and match_params):
            return "The Signature or Signature-Input header is malformed."
        components = re.findall(r'"([^"]+)"', match_params.group(2))
        if not {"x-ebay-signature-key", "@method", "@path", "@authority"} <= set(components):
            return "The signature does not cover the required components."
        values = {
            "x-ebay-signature-key": jwe,
            "@method": request.method,
            # the full path (the emulator's channel prefix included), as the client sent it
            "@path": urlsplit(request.base_url).path + request.path,
            "@authority": request.headers.get("host") or "",
            "content-digest": request.headers.get("content-digest") or "",
        }
        base = "\n".join('"%s": %s' % (c, values.get(c, "")) for c in components)
        base += '\n"@signature-params": %s' % match_params.group(1)
        try:
            public.verify(base64.b64decode(match_sig.group(1)), base.encode("utf-8"))
        except Exception:  # cryptography's InvalidSignature (or a bad encoding)
            return "Signature validation failed."
        return None

    def _finances(self, request):
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ")
        if self.token_state(token) != "valid":
            return self._finance_error(401, 1001, "Invalid access token")
        if self.require_signatures:
            problem = self._signature_problem(request)
            if problem:
                return self._finance_error(400, 215120, problem)
        if request.method != "GET":
            return self._finance_error(405, 2002, "Method not allowed")
        route = request.path[len(FINANCES_PATH) :]
        criteria = self._filter(request)
        with self.lock:
            if route == "payout":
                payouts = sorted(
                    (p for p, _txs in self.payouts.values()), key=lambda p: p["payoutDate"]
                )
                if "payoutDate" in criteria:
                    start, _sep, end = criteria["payoutDate"].partition("..")
                    if start:
                        payouts = [
                            p for p in payouts if parse_iso(p["payoutDate"]) >= parse_iso(start)
                        ]
                    if end:
                        payouts = [
                            p for p in payouts if parse_iso(p["payoutDate"]) <= parse_iso(end)
                        ]
                return self._finance_page(request, "payouts", payouts)
            if route == "transaction":
                wanted = criteria.get("payoutId")
                transactions = [
                    tx
                    for payout_id, (_payout, txs) in sorted(self.payouts.items())
                    if not wanted or payout_id == wanted
                    for tx in txs
                ]
                return self._finance_page(request, "transactions", transactions)
        return self._finance_error(404, 2004, "Resource not found: %s" % request.path)

    def seed_payout(self, order_ids, fees=None, fee_rate=0.128, date=None, status="SUCCEEDED"):
        """A payout of ``order_ids``: one SALE transaction per order (its total less
        ``fees[order_id]`` or ``fee_rate`` of it, eBay's final value fee). Returns the payout
        id and amount."""
        fees = fees or {}
        stamp = date or now_iso()
        with self.lock:
            payout_id = str(6000000000 + self.next_id())
            transactions, net, currency = [], 0.0, "GBP"
            for order_id in order_ids:
                order = self.orders[order_id]
                total = order.get("Total") or order.get("AmountPaid")
                currency = total["@currencyID"]
                gross = float(total["#text"])
                fee = fees.get(order_id, round(gross * fee_rate, 2))

                def amount(value, currency=currency):
                    return {"value": "%.2f" % value, "currency": currency}

                transactions.append(
                    {
                        "transactionId": "%s-%d" % (order_id, self.next_id()),
                        "orderId": order_id,
                        "transactionType": "SALE",
                        "transactionStatus": "PAYOUT",
                        "transactionDate": stamp,
                        "bookingEntry": "CREDIT",
                        "amount": amount(gross - fee),
                        "totalFeeBasisAmount": amount(gross),
                        "totalFeeAmount": amount(fee),
                        "payoutId": payout_id,
                    }
                )
                net += gross - fee
            payout = {
                "payoutId": payout_id,
                "payoutStatus": status,
                "amount": {"value": "%.2f" % net, "currency": currency},
                "payoutDate": stamp,
                "transactionCount": len(transactions),
            }
            self.payouts[payout_id] = (payout, transactions)
            return {"id": payout_id, "amount": round(net, 2)}

    # ------------------------------------------------------------------ seeding / state
    def seed_order(
        self,
        lines,
        customer=None,
        address=None,
        service_level="UK_RoyalMailSecondClassStandard",
        currency="GBP",
        shipping=0.0,
        created_at=None,
        status="Completed",
    ):
        customer = customer or {}
        addr = address or {}
        with self.lock:
            stamp = created_at or now_iso()
            order_id = "%02d-%05d-%05d" % (self.next_id() % 100, self.next_id(), self.next_id())
            first, _sep, last = (customer.get("name") or addr.get("name") or "").partition(" ")
            transactions = []
            for line in lines:
                item = self._active_by_sku(line["sku"])
                qty = int(line.get("quantity", 1))
                item_id = item["ItemID"] if item else str(self.item_seq + 900000)
                if item:
                    item["SellingStatus"]["QuantitySold"] += qty
                transaction_id = str(self.next_id() * 1000 + 1)
                price = {"@currencyID": currency, "#text": "%.2f" % float(line.get("price", 0))}
                transactions.append(
                    {
                        "Buyer": {
                            "Email": customer.get("email", "Invalid Request"),
                            "UserFirstName": first,
                            "UserLastName": last,
                        },
                        "CreatedDate": stamp,
                        "Item": {
                            "ItemID": item_id,
                            "SKU": line["sku"],
                            "Title": line.get("title") or (item or {}).get("Title") or line["sku"],
                        },
                        "QuantityPurchased": qty,
                        "TransactionID": transaction_id,
                        "TransactionPrice": price,
                        "OrderLineItemID": "%s-%s" % (item_id, transaction_id),
                        "ShippingServiceSelected": {
                            "ShippingPackageInfo": {
                                "HandleByTime": (parse_iso(stamp) + timedelta(days=2)).strftime(
                                    "%Y-%m-%dT%H:%M:%S.000Z"
                                )
                            }
                        },
                    }
                )
            subtotal = sum(
                float(t["TransactionPrice"]["#text"]) * t["QuantityPurchased"] for t in transactions
            )
            total = subtotal + float(shipping)
            order = {
                "OrderID": order_id,
                "OrderStatus": status,
                "AmountPaid": {"@currencyID": currency, "#text": "%.2f" % total},
                "CheckoutStatus": {"Status": "Complete", "LastModifiedTime": stamp},
                "ShippingAddress": {
                    "Name": addr.get("name") or customer.get("name", ""),
                    "Street1": addr.get("street", ""),
                    "Street2": addr.get("street2", ""),
                    "CityName": addr.get("city", ""),
                    "StateOrProvince": addr.get("state", ""),
                    "Country": addr.get("country_code", ""),
                    "PostalCode": addr.get("zip", ""),
                    "Phone": addr.get("phone") or "Invalid Request",
                },
                "ShippingServiceSelected": {
                    "ShippingService": service_level,
                    "ShippingServiceCost": {
                        "@currencyID": currency,
                        "#text": "%.2f" % float(shipping),
                    },
                },
                "Subtotal": {"@currencyID": currency, "#text": "%.2f" % subtotal},
                "Total": {"@currencyID": currency, "#text": "%.2f" % total},
                "TransactionArray": {"Transaction": transactions},
                "BuyerUserID": customer.get("user_id") or "buyer_%d" % self.next_id(),
                "CreatedTime": stamp,
                "SellerUserID": self.user_id,
            }
            self.orders[order_id] = order
            return {"id": order_id, "name": order_id}

    def snapshot(self):
        with self.lock:
            return {
                "items": list(self.items.values()),
                "orders": list(self.orders.values()),
            }


class IdentityApp(ChannelApp):
    """eBay's OAuth token endpoint (``POST /identity/v1/oauth2/token``), a host of its own:
    HTTP Basic ``App ID:Cert ID``; ``grant_type=refresh_token`` (with ``scope``) or
    ``authorization_code`` (with ``redirect_uri``, the RuName). Errors as eBay's:
    ``{"error": "invalid_grant", "error_description": ...}``."""

    name = "ebay-identity"
    PATH = "/identity/v1/oauth2/token"

    def __init__(self, api):
        self.api = api
        super().__init__(api.credentials)

    def operation(self, request):
        if request.path == self.PATH and request.method == "POST":
            return "token"
        return "%s %s" % (request.method, request.path)

    @staticmethod
    def _oauth(status, error, description):
        return Response.json({"error": error, "error_description": description}, status=status)

    def dispatch(self, request, operation):
        if operation != "token":
            return self._oauth(404, "invalid_request", "Not found: %s" % request.path)
        api = self.api
        creds = api.credentials
        expected = base64.b64encode(
            ("%s:%s" % (creds.get("api_key"), creds.get("api_secret"))).encode()
        ).decode()
        if request.headers.get("authorization") != "Basic %s" % expected:
            return self._oauth(401, "invalid_client", "client authentication failed")
        if "application/x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
            return self._oauth(400, "invalid_request", "Content-Type must be form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        grant = form.get("grant_type")
        answer = {"token_type": "User Access Token", "expires_in": int(api.token_ttl)}
        with api.lock:
            if grant == "authorization_code":
                refresh = api.codes.pop(form.get("code") or "", None)
                if refresh is None or not form.get("redirect_uri"):
                    return self._oauth(
                        400, "invalid_grant", "the provided authorization grant code is invalid"
                    )
                answer.update(refresh_token=refresh, refresh_token_expires_in=47304000)
            elif grant == "refresh_token":
                if not form.get("scope"):
                    return self._oauth(400, "invalid_scope", "scope is required")
                if form.get("refresh_token") != creds.get("refresh_token") or api.refresh_revoked:
                    return self._oauth(
                        400,
                        "invalid_grant",
                        "the provided authorization refresh token is invalid or was issued "
                        "to another client",
                    )
            else:
                return self._oauth(400, "unsupported_grant_type", "grant type not supported")
            token = "v^1.1#i^1#p^3#r^0#I^3#t^emulator%s" % uuid.uuid4().hex
            api.tokens[token] = time.monotonic() + api.token_ttl
        answer["access_token"] = token
        return Response.json(answer)
