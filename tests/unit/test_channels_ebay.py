"""eBay client against the emulator over real HTTP (Trading API XML, ``/ws/api.dll``)."""

from datetime import datetime, timedelta, timezone

import pytest
import xmltodict

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core.ebay import EbayClient
from ecom_channels_core.errors import ChannelError, MissingFieldsError
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.payloads import ListingPayload, Shipment
from ecom_channels_core.tokens import ReconnectNeeded, TokenGrant

from tests.emulators import DEFAULT_CREDENTIALS

TOKEN = DEFAULT_CREDENTIALS["ebay"]["access_token"]


def make_client(emu, fake_time, token=TOKEN, **kwargs):
    kwargs.setdefault("timeout", (2.0, 5.0))
    return EbayClient(
        emu.url("ebay"),
        access_token=token,
        account_ref="3",
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=5, base=0.5),
        **kwargs,
    )


def payload(i, **changes):
    values = dict(
        sku="EB-%03d" % i,
        title="Cast iron skillet %d" % i,
        description_html="<p>Pre-seasoned cast iron skillet, 26 cm, number %d</p>" % i,
        price=30 + i,
        quantity=i,
        barcode="50123456%05d" % i,
        images=["https://img.example.com/k%d.jpg" % i],
        category_id="20625",
        condition="1000",
        brand="Hearth",
        attributes={"Material": "Cast iron"},
    )
    values.update(changes)
    return ListingPayload(**values)


def items(emu):
    return emu.apps["ebay"].snapshot()["items"]


def requests_of(emu, call):
    return [body for name, body in emu.apps["ebay"].requests if name == call]


def test_connection_headers_and_bad_token(emu, fake_time):
    assert "emulated_seller" in make_client(emu, fake_time).test_connection()
    bad = "v^1.1#i^1#not_the_right_token"
    with pytest.raises(ChannelError) as err:
        make_client(emu, fake_time, token=bad).test_connection()
    # refused as invalid (21917053): without a refresh token the channel must be connected again
    assert isinstance(err.value, ReconnectNeeded) and "no refresh token" in str(err.value)
    assert not err.value.retryable
    assert bad not in str(err.value) and bad not in err.value.payload
    assert [c.status for c in emu.calls("ebay-identity")] == []


def oauth_client(emu, fake_time, **kwargs):
    values = emu.connection("ebay")
    values.pop("account_ref")
    values.update(kwargs)
    return make_client(emu, fake_time, token=values.pop("access_token"), **values)


class Store:
    """A token store as the ORM keeps one: records the grants, may hold a newer token."""

    def __init__(self, held=None):
        self.held = held
        self.grants = []

    def refresh(self, stale, do_refresh):
        if self.held is not None and self.held.access_token != stale:
            return self.held  # another worker refreshed meanwhile
        grant = do_refresh()
        self.grants.append(grant)
        return grant


def test_expired_token_is_refreshed_once_with_basic_app_credentials(emu, fake_time):
    store = Store()
    client = oauth_client(emu, fake_time, token_store=store)
    emu.apps["ebay"].expire_tokens()
    ref = client.publish(payload(1))
    assert ref in [item["ItemID"] for item in items(emu)]
    (call,) = emu.calls("ebay-identity", "token")
    assert call.status == 200
    form = dict(p.split("=", 1) for p in call.body.decode().split("&"))
    assert form["grant_type"] == "refresh_token" and "sell.inventory" in form["scope"]
    assert len(store.grants) == 1 and client.access_token == store.grants[0].access_token
    assert client.token_expires_at > datetime.now(timezone.utc).replace(tzinfo=None)
    # the first call (the category's item specifics) refused as expired was sent again once,
    # with the new token, as everything after it
    assert [c.status for c in emu.calls("ebay", "getItemAspectsForCategory")] == [401, 200]
    assert len(emu.calls("ebay", "GetItem")) == 1
    assert len(emu.calls("ebay", "AddFixedPriceItem")) == 1
    # a token expiring within 5 minutes is refreshed before the call, not after a refusal
    fake_time.now += 7200 - 200
    client.test_connection()
    assert len(emu.calls("ebay-identity", "token")) == 2


def test_token_of_another_worker_is_adopted(emu, fake_time):
    first = oauth_client(emu, fake_time)
    first.refresh_access_token()
    store = Store(held=TokenGrant(first.access_token, first.token_expires_at))
    second = oauth_client(emu, fake_time, access_token="", token_store=store)
    assert "emulated_seller" in second.test_connection()
    assert second.access_token == first.access_token and store.grants == []
    assert len(emu.calls("ebay-identity", "token")) == 1


def test_refused_refresh_needs_reconnect_and_sends_nothing(emu, fake_time):
    client = oauth_client(emu, fake_time)
    emu.apps["ebay"].expire_tokens()
    emu.apps["ebay"].revoke_refresh_token()
    with pytest.raises(ReconnectNeeded) as err:
        client.publish(payload(2))
    assert "invalid_grant" in err.value.reason and not err.value.retryable
    secrets = (
        DEFAULT_CREDENTIALS["ebay"]["refresh_token"],
        DEFAULT_CREDENTIALS["ebay"]["api_secret"],
    )
    assert not any(s in str(err.value) + err.value.payload for s in secrets)
    assert len(emu.calls("ebay-identity", "token")) == 1  # no hammering
    assert emu.calls("ebay", "AddFixedPriceItem") == []


def test_wrong_app_credentials_need_reconnect(emu, fake_time):
    client = oauth_client(emu, fake_time, api_secret="PRD-wrong-cert", access_token="")
    with pytest.raises(ReconnectNeeded) as err:
        client.test_connection()
    assert "invalid_client" in str(err.value) and "PRD-wrong-cert" not in str(err.value)
    assert emu.calls("ebay", "GetUser") == []


def test_token_never_goes_to_the_api_host_nor_the_iaf_header_to_the_token_host(emu, fake_time):
    client = oauth_client(emu, fake_time, access_token="")
    client.test_connection()
    (call,) = emu.calls("ebay-identity", "token")
    assert DEFAULT_CREDENTIALS["ebay"]["refresh_token"].encode() not in b"".join(
        c.body for c in emu.calls("ebay")
    )


def test_publish_50_then_republish_updates_one_item_each(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(50)]
    assert len(set(refs)) == 50 and all(r.isdigit() and len(r) == 12 for r in refs)
    refs2 = [
        client.publish(payload(i, price=80 + i, description_html="<p>v2 %d</p>" % i))
        for i in range(50)
    ]
    assert refs2 == refs
    state = items(emu)
    assert len(state) == 50
    item = next(x for x in state if x["SKU"] == "EB-010")
    assert item["StartPrice"] == {"@currencyID": "GBP", "#text": "90.00"}
    assert item["Description"] == "<p>v2 10</p>" and item["InventoryTrackingMethod"] == "SKU"
    assert item["ProductListingDetails"]["EAN"] == "5012345600010"
    assert item["ItemSpecifics"]["NameValueList"][0] == {"Name": "Material", "Value": "Cast iron"}
    assert len(requests_of(emu, "AddFixedPriceItem")) == 50
    assert len(requests_of(emu, "ReviseFixedPriceItem")) == 50
    listing = client.find_listing("EB-010")
    assert (listing.external_ref, listing.price, listing.quantity) == (refs[10], 90.0, 10)


def test_import_lists_active_items_over_pages(emu, fake_time):
    client = make_client(emu, fake_time, options={"page_size": 4})
    for i in range(10):
        client.publish(payload(i))
    listings = {x.sku: x for x in client.list_listings()}
    assert set(listings) == {"EB-%03d" % i for i in range(10)}
    assert (listings["EB-007"].price, listings["EB-007"].quantity) == (37.0, 7)
    pages = requests_of(emu, "GetMyeBaySelling")
    assert [p["ActiveList"]["Pagination"]["PageNumber"] for p in pages] == ["1", "2", "3"]


def test_faults_recover_without_duplicates(emu, fake_time):
    client = make_client(emu, fake_time, timeout=(2.0, 0.3))
    emu.inject("ebay", "429", count=1, retry_after=7, match="AddFixedPriceItem")
    emu.inject("ebay", "500", count=2, match="GetItem")
    assert client.publish(payload(1))
    emu.inject("ebay", "slow", delay=0.8, match="AddFixedPriceItem")
    ref2 = client.publish(payload(2))
    emu.inject("ebay", "500", after=True, match="AddFixedPriceItem")
    ref3 = client.publish(payload(3))
    emu.inject("ebay", "malformed", match="AddFixedPriceItem")
    ref4 = client.publish(payload(4))
    emu.inject("ebay", "throttled", count=2, match="GetItem")
    assert client.publish(payload(5))
    assert 7 in fake_time.sleeps
    skus = sorted(x["SKU"] for x in items(emu))
    assert skus == ["EB-001", "EB-002", "EB-003", "EB-004", "EB-005"]
    by_sku = {x["SKU"]: x["ItemID"] for x in items(emu)}
    assert (by_sku["EB-002"], by_sku["EB-003"], by_sku["EB-004"]) == (ref2, ref3, ref4)
    # the create that timed out / failed after processing was followed by a revise, not an add
    assert len(requests_of(emu, "AddFixedPriceItem")) == 5


def test_rate_limit_error_518_is_retried_and_gives_up_clearly(emu, fake_time):
    client = make_client(emu, fake_time)
    emu.inject("ebay", "throttled", count=50)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert err.value.retryable and err.value.code == "518"
    assert "Call usage limit" in str(err.value) and "gave up after 5 attempts" in str(err.value)
    assert TOKEN not in str(err.value) and TOKEN not in err.value.payload


def test_refusals_are_clear_and_not_retried(emu, fake_time):
    client = make_client(emu, fake_time)
    with pytest.raises(ChannelError) as err:
        client.publish(payload(1, category_id="Kitchen"))
    assert err.value.code == "87" and "Category not valid" in str(err.value)
    assert not err.value.retryable and len(requests_of(emu, "AddFixedPriceItem")) == 1
    with pytest.raises(MissingFieldsError) as missing:
        client.publish(payload(2, condition="", title="x" * 81))
    assert missing.value.missing == [
        "a title of at most 80 characters (it has 81)",
        "an eBay condition (ConditionID)",
    ]
    # the category's item specifics, GetItem and AddFixedPriceItem of the first listing
    assert len(emu.calls("ebay")) == 3


def test_quantities_go_4_per_call_and_failures_stay_per_item(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(10)]
    keys = [(refs[i], 100 + i) for i in range(5)] + [("EB-%03d" % i, 100 + i) for i in range(5, 10)]
    keys.insert(3, ("EB-NOPE", 1))
    emu.inject("ebay", "500", count=5, match="ReviseInventoryStatus")  # the first call gives up
    results = client.set_quantities(keys)
    calls = requests_of(emu, "ReviseInventoryStatus")
    assert len(calls) == 2  # 11 items: 3 calls, the first failed 5 times before reaching eBay
    assert all(len(c["InventoryStatus"]) <= 4 for c in calls)
    assert len(emu.calls("ebay", "ReviseInventoryStatus")) == 7
    ok = {r.key for r in results if r.ok}
    assert ok == {"EB-%03d" % i for i in range(5, 10)} | {refs[3], refs[4]}
    assert all("server error" in r.message for r in results[:4])
    again = client.set_quantities([("EB-NOPE", 1), (refs[0], 100), ("EB-001", 101)])
    assert [(r.key, r.ok) for r in again] == [("EB-NOPE", False), (refs[0], True), ("EB-001", True)]
    assert "cannot be accessed" in again[0].message
    by_sku = {x["SKU"]: x for x in items(emu)}
    assert by_sku["EB-000"]["Quantity"] == 100 and by_sku["EB-009"]["Quantity"] == 109


def test_request_xml_is_namespaced_with_headers(emu, fake_time):
    client = make_client(emu, fake_time)
    client.publish(payload(1))
    call = emu.calls("ebay", "AddFixedPriceItem")[0]
    doc = xmltodict.parse(call.body)
    assert doc["AddFixedPriceItemRequest"]["@xmlns"] == "urn:ebay:apis:eBLBaseComponents"
    assert doc["AddFixedPriceItemRequest"]["Item"]["Site"] == "UK"
    headers = client.transport.session.headers
    assert headers["X-EBAY-API-SITEID"] == "3" and headers["X-EBAY-API-COMPATIBILITY-LEVEL"]


def test_orders_by_modification_windows_and_dispatch(emu, fake_time):
    client = make_client(emu, fake_time, options={"order_window_days": 3})
    ref = client.publish(payload(1, quantity=5))
    app = emu.apps["ebay"]
    old = app.seed_order(
        [{"sku": "EB-001", "quantity": 1, "price": 31}], created_at="2024-01-01T10:00:00Z"
    )
    new = app.seed_order(
        [{"sku": "EB-001", "quantity": 2, "price": 31}, {"sku": "EB-XYZ", "price": 5}],
        customer={"name": "Ann Lee", "email": "ann@example.com"},
        address={"street": "2 Low Rd", "city": "York", "zip": "YO1 1AA", "country_code": "GB"},
        service_level="UK_RoyalMailTracked48",
        shipping=4,
    )
    since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=10)
    orders = list(client.fetch_orders(since=since))
    assert [o.external_ref for o in orders] == [new["id"]]
    assert len(requests_of(emu, "GetOrders")) == 4  # 10 days in windows of 3
    order = orders[0]
    assert (order.total, order.shipping_amount, order.currency) == (71.0, 4.0, "GBP")
    assert order.lines[0].listing_ref == ref and order.lines[0].quantity == 2
    assert order.service_level == "UK_RoyalMailTracked48" and order.buyer_email == "ann@example.com"
    assert order.shipping_address.city == "York" and order.ship_by and old["id"]
    assert client.find_listing("EB-001").quantity == 5 - 3  # both orders counted as sold
    line = order.lines[1].external_ref
    partial = Shipment(new["id"], "Royal Mail", "RM1GB", lines=[(line, 1)])
    assert client.mark_shipped(partial) == new["id"]
    shipment = Shipment(order_ref=new["id"], carrier="Royal Mail", tracking_number="RM2GB")
    assert client.mark_shipped(shipment) == new["id"]
    assert client.mark_shipped(shipment) is None  # already there: nothing sent again
    sent = requests_of(emu, "CompleteSale")
    assert [list(c)[1] for c in sent] == ["OrderLineItemID", "OrderLineItemID"]
    transactions = app.orders[new["id"]]["TransactionArray"]["Transaction"]
    numbers = [
        [d["ShipmentTrackingNumber"] for d in t["ShippingDetails"]["ShipmentTrackingDetails"]]
        for t in transactions
    ]
    assert numbers == [["RM2GB"], ["RM1GB"]]
    assert app.orders[new["id"]]["ShippedTime"]
    with pytest.raises(ChannelError, match="not found"):
        client.mark_shipped(Shipment("99-99999-99999", "Royal Mail", "X"))


def test_end_listing_ends_the_item_and_a_new_publish_lists_a_new_one(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    client.publish(payload(2))
    client.end_listing(ref)
    [request] = requests_of(emu, "EndFixedPriceItem")
    assert request["ItemID"] == ref and request["EndingReason"] == "NotAvailable"
    assert emu.apps["ebay"].items[ref]["SellingStatus"]["ListingStatus"] == "Completed"
    assert {x.sku for x in client.list_listings()} == {"EB-002"}  # ActiveList only
    assert client.find_listing("EB-001") is None
    client.end_listing(ref)  # eBay answers 1047 (already closed): success
    client.end_listing("110999999999")  # unknown item (code 17): nothing to end
    new_ref = client.publish(payload(1))
    assert new_ref != ref  # a new item; the ended one stays ended
    active = [i for i in items(emu) if i["SellingStatus"]["ListingStatus"] == "Active"]
    assert sorted(i["SKU"] for i in active) == ["EB-001", "EB-002"]


def test_end_listing_retries_a_server_error_and_refusals_are_clear(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    emu.inject("ebay", "500", count=1, match="EndFixedPriceItem", after=True)
    emu.inject("ebay", "500", count=1, match="EndFixedPriceItem")
    client.end_listing(ref)  # the retry after the processed 500 is told 1047: success
    assert emu.apps["ebay"].items[ref]["SellingStatus"]["ListingStatus"] == "Completed"
    assert len(emu.calls("ebay", "EndFixedPriceItem")) == 3
    emu.inject("ebay", "500", count=50)
    with pytest.raises(ChannelError) as err:
        client.end_listing(ref)
    assert err.value.retryable and "server error" in str(err.value)
    assert TOKEN not in str(err.value) and TOKEN not in err.value.payload
    emu.clear_faults("ebay")
    bad = make_client(emu, fake_time, token="v^1.1#wrong_secret_token")
    with pytest.raises(ChannelError) as err:
        bad.end_listing(ref)
    assert "EndFixedPriceItem" in str(err.value) and "wrong_secret" not in str(err.value)


def test_after_a_refused_refresh_the_client_sends_nothing_more(emu, fake_time):
    client = oauth_client(emu, fake_time)
    emu.apps["ebay"].expire_tokens()
    emu.apps["ebay"].revoke_refresh_token()
    for number in range(3):
        with pytest.raises(ReconnectNeeded):
            client.publish(payload(number))
    assert len(emu.calls("ebay-identity", "token")) == 1
    assert len(emu.calls("ebay")) == 1  # the first call, refused as expired


def test_required_item_specifics_of_the_category_are_checked_before_sending(emu, fake_time):
    emu.apps["ebay"].category_aspects["20625"] = [
        {"name": "Brand", "required": True},
        {"name": "Material", "required": True},
        {"name": "Colour", "recommended": True},
    ]
    client = make_client(emu, fake_time)
    with pytest.raises(MissingFieldsError) as missing:
        client.publish(payload(1, brand="", attributes={}))
    assert "Brand, Material" in str(missing.value) and "category 20625" in str(missing.value)
    assert requests_of(emu, "AddFixedPriceItem") == []
    # the channel's own vocabulary, from the attribute editor
    ref = client.publish(
        payload(
            1,
            brand="",
            attributes={},
            channel_attributes={"Brand": "Hearth", "Material": "Cast iron"},
        )
    )
    item = emu.apps["ebay"].items[ref]
    names = {e["Name"] for e in item["ItemSpecifics"]["NameValueList"]}
    assert {"Brand", "Material"} <= names
    # the answer is read once per category
    client.publish(payload(2))
    assert len(emu.calls("ebay", "getItemAspectsForCategory")) == 1
    # and eBay refuses a missing specific itself (error 21919303)
    with pytest.raises(ChannelError) as err:
        client._create(payload(3, brand="", attributes={}))
    assert err.value.code == "21919303"
