"""Amazon client against the emulator over real HTTP (SP-API: LWA, listings, feeds, orders)."""

import json
from datetime import datetime

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.errors import ChannelError, MissingFieldsError
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.payloads import ListingPayload, Shipment
from ecom_channels_core.tokens import ReconnectNeeded

from tests.emulators import DEFAULT_CREDENTIALS
from tests.emulators.specs import listings_feed_schema, validation_errors

CREDS = DEFAULT_CREDENTIALS["amazon"]


def make_client(emu, fake_time, **kwargs):
    kwargs.setdefault("timeout", (2.0, 5.0))
    values = dict(
        api_key=CREDS["api_key"],
        api_secret=CREDS["api_secret"],
        access_token=CREDS["access_token"],
        account_ref=CREDS["seller_id"],
        token_url=emu.token_url("amazon"),
    )
    values.update(kwargs)
    return AmazonClient(
        emu.url("amazon"),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=5, base=0.5),
        **values,
    )


def payload(i, **changes):
    values = dict(
        sku="AMZ-%03d" % i,
        title="Bamboo chopping board %d" % i,
        description_html="Large bamboo chopping board with juice groove, number %d" % i,
        price=15 + i,
        quantity=i,
        barcode="50987654%05d" % i,
        images=["https://img.example.com/b%d-1.jpg" % i, "https://img.example.com/b%d-2.jpg" % i],
        product_type="CUTTING_BOARD",
        condition="new_new",
        brand="Grove",
        handling_days=3,
    )
    values.update(changes)
    return ListingPayload(**values)


def listings(emu):
    return {x["sku"]: x for x in emu.apps["amazon"].snapshot()["listings"]}


def token_calls(emu):
    return emu.calls("amazon-lwa", "token")


def test_token_is_cached_and_refreshed(emu, fake_time):
    client = make_client(emu, fake_time)
    assert "0 listings" in client.test_connection()
    client.test_connection()
    assert len(token_calls(emu)) == 1
    emu.apps["amazon"].expire_tokens()  # Amazon says the token expired: fetched again once
    assert client.find_listing("NOPE") is None
    assert len(token_calls(emu)) == 2
    fake_time.now += 3600  # the cached token reached its expiry: fetched before the call
    client.test_connection()
    assert len(token_calls(emu)) == 3
    assert [c.status for c in emu.calls("amazon", "getListingsItem")] == [403, 404]


def test_bad_credentials_are_clear_and_secret_free(emu, fake_time):
    bad = "amzn1.oa2-cs.v1.not_the_right_secret"
    with pytest.raises(ChannelError) as err:
        make_client(emu, fake_time, api_secret=bad).test_connection()
    text = str(err.value) + err.value.payload
    assert err.value.status == 401 and "invalid_client" in str(err.value)
    assert "connect the channel again" in str(err.value) and not err.value.retryable
    assert bad not in text and CREDS["access_token"] not in text
    with pytest.raises(ChannelError) as err:
        make_client(emu, fake_time, access_token="Atzr|wrong-refresh-token").test_connection()
    assert "invalid_grant" in str(err.value) and "wrong-refresh-token" not in str(err.value)


def test_publish_50_then_republish_updates_one_listing_each(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(50)]
    assert refs == ["AMZ-%03d" % i for i in range(50)]
    refs2 = [
        client.publish(payload(i, price=40 + i, description_html="New board %d" % i))
        for i in range(50)
    ]
    assert refs2 == refs
    state = listings(emu)
    assert len(state) == 50
    attrs = state["AMZ-007"]["attributes"]
    assert attrs["purchasable_offer"][0]["our_price"][0]["schedule"][0]["value_with_tax"] == 47
    assert attrs["product_description"][0]["value"] == "New board 7"
    assert attrs["externally_assigned_product_identifier"][0] == {
        "type": "ean",
        "value": "5098765400007",
        "marketplace_id": "A1F83G8C2ARO7P",
    }
    assert attrs["fulfillment_availability"][0] == {
        "fulfillment_channel_code": "DEFAULT",
        "quantity": 7,
        "lead_time_to_ship_max_days": 3,
    }
    assert attrs["other_product_image_locator_1"][0]["media_location"].endswith("b7-2.jpg")
    assert len(emu.calls("amazon", "putListingsItem")) == 100
    listing = client.find_listing("AMZ-007")
    assert (listing.price, listing.quantity, listing.barcode) == (47.0, 7, "5098765400007")


def test_invalid_submission_and_missing_fields(emu, fake_time):
    client = make_client(emu, fake_time)
    empty_condition = payload(1, extra={"attributes": {"condition_type": []}})
    with pytest.raises(MissingFieldsError) as err:  # refused before sending
        client.publish(empty_condition)
    assert "condition_type" in str(err.value) and emu.calls("amazon", "putListingsItem") == []
    with pytest.raises(ChannelError) as err:  # and Amazon refuses it too
        client._put(empty_condition)
    assert "90220: 'condition_type' is required but not supplied" in str(err.value)
    with pytest.raises(MissingFieldsError) as missing:
        client.publish(payload(2, product_type="", condition=""))
    assert missing.value.missing == ["an Amazon product type", "a condition (e.g. new_new)"]
    bad = payload(3, extra={"attributes": {"item_name": "not a list"}})
    with pytest.raises(ChannelError) as err:
        client.publish(bad)
    assert "must be an array of objects" in str(err.value) and not err.value.retryable
    assert listings(emu) == {}


def test_import_lists_listings_over_pages(emu, fake_time):
    client = make_client(emu, fake_time)
    for i in range(45):
        client.publish(payload(i))
    found = list(client.list_listings())
    assert [x.sku for x in found] == ["AMZ-%03d" % i for i in range(45)]
    assert len(emu.calls("amazon", "searchListingsItems")) == 3
    assert (found[12].title, found[12].quantity, found[12].price) == (
        "Bamboo chopping board 12",
        12,
        27.0,
    )


def test_faults_recover_without_duplicates(emu, fake_time):
    client = make_client(emu, fake_time, timeout=(2.0, 0.3))
    emu.inject("amazon", "429", count=1, retry_after=6, match="putListingsItem")
    emu.inject("amazon", "500", count=2, match="getListingsItem")
    client.publish(payload(1))
    emu.inject("amazon", "throttled", count=1, match="putListingsItem")
    client.publish(payload(2))
    emu.inject("amazon", "slow", delay=0.8, match="putListingsItem")
    client.publish(payload(3))
    emu.inject("amazon", "malformed", match="putListingsItem")
    client.publish(payload(4))
    emu.inject("amazon", "500", after=True, match="putListingsItem")
    client.publish(payload(5))
    assert 6 in fake_time.sleeps  # Retry-After honoured
    assert 0.2 in fake_time.sleeps  # 429 without Retry-After: one period of the 5/s limit
    assert sorted(listings(emu)) == ["AMZ-%03d" % i for i in range(1, 6)]


def test_small_quantity_batches_patch_each_listing(emu, fake_time):
    client = make_client(emu, fake_time)
    for i in range(3):
        client.publish(payload(i, handling_days=i + 1))
    results = client.set_quantities([("AMZ-000", 10), ("AMZ-NOPE", 1), ("AMZ-002", 12)])
    assert [(r.key, r.ok) for r in results] == [
        ("AMZ-000", True),
        ("AMZ-NOPE", False),
        ("AMZ-002", True),
    ]
    assert "NOT_FOUND" in results[1].message
    availability = listings(emu)["AMZ-002"]["attributes"]["fulfillment_availability"][0]
    assert (availability["quantity"], availability["lead_time_to_ship_max_days"]) == (12, 3)
    assert emu.calls("amazon", "createFeed") == []


def test_large_quantity_batches_go_as_a_validated_feed(emu, fake_time):
    client = make_client(emu, fake_time)
    for i in range(25):
        client.publish(payload(i))
    items = [("AMZ-%03d" % i, 100 + i) for i in range(25)] + [("AMZ-NOPE", 5)]
    results = client.set_quantities(items)
    assert [r.key for r in results if not r.ok] == ["AMZ-NOPE"]
    assert "not found" in next(r for r in results if not r.ok).message
    assert len(emu.calls("amazon", "createFeed")) == 1
    assert len(emu.calls("amazon", "patchListingsItem")) == 0
    assert 30 in fake_time.sleeps  # polled while IN_PROGRESS
    feed = next(iter(emu.apps["amazon"].feeds.values()))
    assert feed["schema_errors"] == [] and feed["processingStatus"] == "DONE"
    assert validation_errors(feed["document"], listings_feed_schema()) == []
    assert validation_errors(client.feed_document(items), listings_feed_schema()) == []
    availability = listings(emu)["AMZ-020"]["attributes"]["fulfillment_availability"][0]
    assert (availability["quantity"], availability["lead_time_to_ship_max_days"]) == (120, 3)
    upload = emu.calls("amazon", "uploadDocument")[0]
    assert CREDS["access_token"].encode() not in upload.body


def test_invalid_feed_document_ends_fatal_and_fails_every_item(emu, fake_time, monkeypatch):
    client = make_client(emu, fake_time)
    for i in range(22):
        client.publish(payload(i))
    good = client.feed_document

    def broken(items):
        document = good(items)
        document["header"]["version"] = "1.0"
        return document

    monkeypatch.setattr(client, "feed_document", broken)
    results = client.set_quantities([("AMZ-%03d" % i, 1) for i in range(22)])
    assert not any(r.ok for r in results)
    assert "version" in results[0].message
    assert next(iter(emu.apps["amazon"].feeds.values()))["processingStatus"] == "FATAL"
    assert listings(emu)["AMZ-005"]["attributes"]["fulfillment_availability"][0]["quantity"] == 5


def test_orders_items_and_shipment_confirmation(emu, fake_time):
    client = make_client(emu, fake_time, options={"orders_page_size": 2})
    client.publish(payload(1))
    app = emu.apps["amazon"]
    app.seed_order([{"sku": "AMZ-001", "price": 16}], created_at="2024-01-01T10:00:00Z")
    new = [
        app.seed_order(
            [{"sku": "AMZ-001", "quantity": 2, "price": 16}, {"sku": "AMZ-XYZ", "price": 5}],
            customer={"name": "Ann Lee", "email": "ann@marketplace.amazon.co.uk"},
            address={"street": "2 Low Rd", "city": "York", "zip": "YO1 1AA", "country_code": "GB"},
            shipping=4,
        )
        for _n in range(3)
    ]
    orders = list(client.fetch_orders(since=datetime(2025, 1, 1)))
    assert sorted(o.external_ref for o in orders) == sorted(o["id"] for o in new)
    assert len(emu.calls("amazon", "getOrders")) == 2  # NextToken paging
    order = next(o for o in orders if o.external_ref == new[0]["id"])
    assert (order.total, order.shipping_amount, order.service_level) == (41.0, 4.0, "Standard")
    assert order.lines[0].unit_price == 16 and order.lines[0].listing_ref == "AMZ-001"
    assert order.shipping_address.city == "York" and order.ship_by
    second = order.lines[1].external_ref
    partial = Shipment(new[0]["id"], "Royal Mail", "RM1GB", lines=[(second, 1)])
    assert client.mark_shipped(partial) == new[0]["id"]
    assert app.orders[new[0]["id"]]["OrderStatus"] == "PartiallyShipped"
    emu.inject("amazon", "500", after=True, match="confirmShipment")
    rest = Shipment(new[0]["id"], "DX Freight", "DX22")
    assert client.mark_shipped(rest) == new[0]["id"]
    assert client.mark_shipped(rest) is None
    shipments = app.snapshot()["shipments"]
    assert len(shipments) == 2 and app.orders[new[0]["id"]]["OrderStatus"] == "Shipped"
    package = shipments[1]["packageDetail"]
    assert (package["carrierCode"], package["carrierName"]) == ("Other", "DX Freight")
    assert package["orderItems"] == [{"orderItemId": order.lines[0].external_ref, "quantity": 2}]


def test_end_listing_deletes_the_listing_and_is_idempotent(emu, fake_time):
    client = make_client(emu, fake_time)
    client.publish(payload(1))
    client.publish(payload(2))
    client.end_listing("AMZ-001")
    assert set(listings(emu)) == {"AMZ-002"}
    assert [x.sku for x in client.list_listings()] == ["AMZ-002"]
    assert client.find_listing("AMZ-001") is None
    client.end_listing("AMZ-001")  # 404: already gone
    [call] = emu.calls("amazon", "deleteListingsItem")[:1]
    assert call.method == "DELETE" and call.path.endswith("/AMZ-001")
    assert len(emu.calls("amazon", "deleteListingsItem")) == 2
    # publishing the SKU again creates its listing anew
    assert client.publish(payload(1)) == "AMZ-001"
    assert set(listings(emu)) == {"AMZ-001", "AMZ-002"}


def test_end_listing_retries_a_server_error_without_leaking_secrets(emu, fake_time):
    client = make_client(emu, fake_time)
    client.publish(payload(1))
    emu.inject("amazon", "500", count=1, match="deleteListingsItem", after=True)
    client.end_listing("AMZ-001")  # deleted, 500, then 404 on the retry: success
    assert listings(emu) == {}
    assert [c.status for c in emu.calls("amazon", "deleteListingsItem")] == [500, 404]
    client.publish(payload(1))
    emu.inject("amazon", "500", count=50, match="deleteListingsItem")
    with pytest.raises(ChannelError) as err:
        client.end_listing("AMZ-001")
    assert err.value.retryable and "server error" in str(err.value)
    for secret in (CREDS["api_secret"], CREDS["access_token"], client.access_token):
        assert secret not in str(err.value) and secret not in err.value.payload
    assert "AMZ-001" in listings(emu)


def test_lwa_is_another_host_than_the_sp_api(emu, fake_time):
    # the SP-API host has no token endpoint: a client pointed there cannot get a token
    client = make_client(emu, fake_time, token_url=emu.url("amazon") + "/auth/o2/token")
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert err.value.status == 404
    assert emu.calls("amazon-lwa") == []
    emu.reset("amazon")
    client = make_client(emu, fake_time)
    client.test_connection()
    (call,) = token_calls(emu)
    form = dict(p.split("=", 1) for p in call.body.decode().split("&"))
    assert form["grant_type"] == "refresh_token" and form["client_id"] == CREDS["api_key"]
    # the refresh token and the client secret never go to the SP-API host
    sent = b"".join(c.body for c in emu.calls("amazon"))
    assert CREDS["api_secret"].encode() not in sent


def test_refused_lwa_refresh_needs_reconnect(emu, fake_time):
    client = make_client(emu, fake_time)
    client.test_connection()
    emu.apps["amazon"].expire_tokens()
    emu.apps["amazon"].revoke_refresh_token()
    with pytest.raises(ReconnectNeeded) as err:
        client.publish(payload(1))
    assert "invalid_grant" in err.value.reason and not err.value.retryable
    assert len(token_calls(emu)) == 2
    assert emu.calls("amazon", "putListingsItem") == []


def test_orders_carry_the_buyer_through_a_restricted_data_token(emu, fake_time):
    client = make_client(emu, fake_time)
    app = emu.apps["amazon"]
    seeded = app.seed_order(
        [{"sku": "AMZ-001", "price": 16}],
        customer={"name": "Ann Lee", "email": "ann@marketplace.amazon.co.uk"},
        address={"street": "2 Low Rd", "city": "York", "zip": "YO1 1AA", "country_code": "GB"},
    )
    (order,) = list(client.fetch_orders(since=datetime(2025, 1, 1)))
    assert order.external_ref == seeded["id"]
    assert (order.buyer_name, order.buyer_email) == ("Ann Lee", "ann@marketplace.amazon.co.uk")
    assert (order.shipping_address.name, order.shipping_address.street) == ("Ann Lee", "2 Low Rd")
    (rdt,) = emu.calls("amazon", "createRestrictedDataToken")
    request = json.loads(rdt.body)
    assert {r["path"]: r["dataElements"] for r in request["restrictedResources"]} == {
        "/orders/v0/orders": ["buyerInfo", "shippingAddress"],
        "/orders/v0/orders/{orderId}/orderItems": ["buyerInfo"],
    }
    # without the RDT, Amazon answers the order without the buyer and the street
    plain = client.api("getOrder", "GET", "/orders/v0/orders/%s" % seeded["id"])["payload"]
    assert plain["BuyerInfo"] == {} and "AddressLine1" not in plain["ShippingAddress"]
    assert plain["ShippingAddress"]["City"] == "York"
    # an RDT is good for its operations only
    with pytest.raises(ChannelError) as err:
        client.api("getListingsItem", "GET", client._listing_path("AMZ-001"), token=client._rdt)
    assert err.value.status == 403


def test_product_type_requirements_are_checked_before_sending(emu, fake_time):
    app = emu.apps["amazon"]
    app.product_types["CUTTING_BOARD"] = {"required": ["brand", "bullet_point"]}
    client = make_client(emu, fake_time)
    with pytest.raises(MissingFieldsError) as missing:
        client.publish(payload(1, brand=""))
    assert "brand, bullet_point" in str(missing.value)
    assert "product type CUTTING_BOARD" in str(missing.value)
    assert emu.calls("amazon", "putListingsItem") == []
    (definition,) = emu.calls("amazon", "getDefinitionsProductType")
    assert definition.query["marketplaceIds"] == ["A1F83G8C2ARO7P"]
    assert definition.query["requirements"] == ["LISTING"]
    bullets = "Juice groove all round\nOiled bamboo, 40 x 30 cm"
    ref = client.publish(payload(1, channel_attributes={"bullet_point": bullets}))
    attributes = listings(emu)[ref]["attributes"]
    assert [b["value"] for b in attributes["bullet_point"]] == [
        "Juice groove all round",
        "Oiled bamboo, 40 x 30 cm",
    ]
    assert attributes["brand"][0]["value"] == "Grove"
    # one definition per marketplace and product type, kept in the cache given
    cache = {}

    class Cache:
        def get(self, key):
            return cache.get(key)

        def put(self, key, value):
            cache[key] = value

    other = make_client(emu, fake_time, requirement_cache=Cache())
    other.publish(payload(2, channel_attributes={"bullet_point": bullets}))
    again = make_client(emu, fake_time, requirement_cache=Cache())
    again.publish(payload(3, channel_attributes={"bullet_point": bullets}))
    assert len(emu.calls("amazon", "getDefinitionsProductType")) == 2
    assert list(cache) == ["amazon:A1F83G8C2ARO7P:CUTTING_BOARD:LISTING"]
