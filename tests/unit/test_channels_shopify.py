"""Shopify client against the emulator over real HTTP (GraphQL Admin API 2025-01)."""

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core import shopify
from ecom_channels_core.errors import ChannelError, MissingFieldsError
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.payloads import ListingPayload, Shipment

from tests.emulators import DEFAULT_CREDENTIALS, Emulator
from tests.emulators.specs import validate_graphql

TOKEN = DEFAULT_CREDENTIALS["shopify"]["access_token"]


@pytest.fixture(scope="module")
def emulator():
    with Emulator(options={"shopify": {"throttle_max": 100000, "restore_rate": 10000}}) as emu:
        yield emu


def make_client(emu, fake_time, token=TOKEN, **kwargs):
    kwargs.setdefault("timeout", (2.0, 5.0))
    return shopify.ShopifyClient(
        emu.url("shopify"),
        access_token=token,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=5, base=0.5),
        **kwargs,
    )


def payload(i, **changes):
    values = dict(
        sku="SKU-%03d" % i,
        title="Enamel mug %d" % i,
        description_html="<p>Enamel camping mug number %d</p>" % i,
        price=10 + i,
        quantity=i,
        barcode="50000000%05d" % i,
        images=["https://img.example.com/%d-1.jpg" % i, "https://img.example.com/%d-2.jpg" % i],
        tags=["mug", "camping"],
    )
    values.update(changes)
    return ListingPayload(**values)


def products(emu):
    return emu.apps["shopify"].snapshot()["products"]


def test_every_document_validates_against_the_2025_01_schema():
    documents = [getattr(shopify, n) for n in dir(shopify) if n.startswith(("Q_", "M_"))]
    assert len(documents) >= 9
    for document in documents:
        assert validate_graphql(document) == [], document
    assert validate_graphql("query { shop { noSuchField } }")


def test_connection_and_bad_token_message_has_no_secret(emu, fake_time):
    assert "Emulated Shop" in make_client(emu, fake_time).test_connection()
    bad = "shpat_wrong_secret_value"
    with pytest.raises(ChannelError) as err:
        make_client(emu, fake_time, token=bad).test_connection()
    assert err.value.status == 401
    assert "credentials" in str(err.value)
    assert bad not in str(err.value) and bad not in err.value.payload


def test_publish_50_then_republish_updates_one_item_each(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(50)]
    assert len(set(refs)) == 50
    refs2 = [
        client.publish(payload(i, price=99 + i, description_html="<p>new %d</p>" % i))
        for i in range(50)
    ]
    assert refs2 == refs
    state = products(emu)
    assert len(state) == 50
    by_sku = {p["variants"][0]["sku"]: p for p in state}
    assert by_sku["SKU-007"]["variants"][0]["price"] == "106.00"
    assert by_sku["SKU-007"]["descriptionHtml"] == "<p>new 7</p>"
    assert by_sku["SKU-007"]["files"] == payload(7).images
    # every document the emulator received was valid for the schema
    assert all(validate_graphql(d) == [] for d in set(emu.apps["shopify"].documents))


def test_list_listings_pages_through_existing_items(emu, fake_time):
    client = make_client(emu, fake_time)
    client.page_size = 7
    for i in range(20):
        client.publish(payload(i))
    listings = list(client.list_listings())
    assert sorted(x.sku for x in listings) == ["SKU-%03d" % i for i in range(20)]
    first = next(x for x in listings if x.sku == "SKU-003")
    assert (first.barcode, first.price, first.quantity) == ("5000000000003", 13.0, 3)


def test_retries_after_429_and_500_without_duplicates(emu, fake_time):
    client = make_client(emu, fake_time)
    emu.inject("shopify", "429", count=2, retry_after=3, match="ProductSet")
    emu.inject("shopify", "500", count=2, match="VariantsBySku")
    ref = client.publish(payload(1))
    assert ref and len(products(emu)) == 1
    assert 3 in fake_time.sleeps  # Retry-After honoured
    assert emu.calls("shopify", "ProductSet")[-1].status == 200


def test_timeout_after_create_does_not_duplicate(emu, fake_time):
    client = make_client(emu, fake_time, timeout=(2.0, 0.3))
    emu.inject("shopify", "slow", delay=0.8, match="ProductSet")
    ref = client.publish(payload(1, title="Slow mug"))
    state = products(emu)
    assert len(state) == 1 and state[0]["variants"][0]["id"] == ref
    assert len(emu.calls("shopify", "ProductSet")) == 2  # the create, then an update


def test_malformed_answer_and_throttle_are_retried(emu, fake_time):
    client = make_client(emu, fake_time)
    emu.inject("shopify", "malformed", match="ProductSet")
    emu.inject("shopify", "throttled", match="VariantsBySku")
    ref = client.publish(payload(2))
    assert len(products(emu)) == 1 and products(emu)[0]["variants"][0]["id"] == ref


def test_gives_up_with_clear_message(emu, fake_time):
    client = make_client(emu, fake_time)
    emu.inject("shopify", "500", count=50)
    with pytest.raises(ChannelError) as err:
        client.publish(payload(3))
    assert err.value.retryable and "server error" in str(err.value)
    assert TOKEN not in str(err.value)
    assert products(emu) == []


def test_missing_title_is_refused_before_sending(emu, fake_time):
    client = make_client(emu, fake_time)
    with pytest.raises(MissingFieldsError) as err:
        client.publish(payload(4, title=""))
    assert err.value.missing == ["a title"]
    assert emu.calls("shopify") == []


def test_set_quantities_batches_and_reports_unknown(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(5)]
    results = client.set_quantities([(refs[0], 40), ("SKU-001", 41), ("SKU-NOPE", 1)])
    assert [(r.key, r.ok) for r in results if not r.ok] == [("SKU-NOPE", False)]
    quantities = {p["variants"][0]["sku"]: p["variants"][0]["quantity"] for p in products(emu)}
    assert (
        quantities["SKU-000"] == 40 and quantities["SKU-001"] == 41 and quantities["SKU-002"] == 2
    )
    assert len(emu.calls("shopify", "InventorySet")) == 1


def test_cost_pacing_waits_when_bucket_is_low(emu, fake_time):
    client = make_client(emu, fake_time)
    status = {"currentlyAvailable": 5, "maximumAvailable": 1000, "restoreRate": 50}
    client._note_cost({"cost": {"throttleStatus": status}})
    client.test_connection()  # costs 5: no wait
    assert fake_time.sleeps == []
    client._note_cost({"cost": {"throttleStatus": dict(status, currentlyAvailable=0)}})
    before = len(fake_time.sleeps)
    client.find_listing("X")
    assert fake_time.sleeps[before] == pytest.approx(12 / 50)


def test_orders_and_fulfilment(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    seeded = emu.apps["shopify"].seed_order(
        [{"sku": "SKU-001", "quantity": 2, "price": 11}],
        customer={"name": "Jo Bloggs", "email": "jo@example.com"},
        address={"street": "1 High St", "city": "Leeds", "zip": "LS1 1AA", "country_code": "GB"},
        service_level="Standard",
        shipping=3.5,
    )
    orders = list(client.fetch_orders())
    assert len(orders) == 1
    order = orders[0]
    assert (
        order.external_ref == seeded["id"] and order.total == 25.5 and order.shipping_amount == 3.5
    )
    assert order.lines[0].listing_ref == ref and order.lines[0].quantity == 2
    assert order.shipping_address.city == "Leeds" and order.service_level == "Standard"
    shipment = Shipment(order_ref=seeded["id"], carrier="Royal Mail", tracking_number="TT1GB")
    assert client.mark_shipped(shipment)
    assert client.mark_shipped(shipment) is None  # already fulfilled: no second fulfilment
    fulfilments = emu.apps["shopify"].snapshot()["fulfillments"]
    assert len(fulfilments) == 1 and fulfilments[0]["trackingInfo"][0]["number"] == "TT1GB"


def test_end_listing_archives_the_product_and_is_idempotent(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    other = client.publish(payload(2))
    client.end_listing(ref)
    by_sku = {p["variants"][0]["sku"]: p for p in products(emu)}
    assert by_sku["SKU-001"]["status"] == "ARCHIVED"
    assert by_sku["SKU-002"]["status"] == "ACTIVE"
    active = {x.sku for x in client.list_listings() if x.status == "ACTIVE"}
    assert active == {"SKU-002"} and other
    client.end_listing(ref)  # already archived: nothing sent, no error
    assert len(emu.calls("shopify", "ProductUpdate")) == 1
    client.end_listing("gid://shopify/ProductVariant/999999")  # unknown: already gone
    # publishing the SKU again brings the same product back on sale
    assert client.publish(payload(1)) == ref
    assert {p["variants"][0]["sku"]: p for p in products(emu)}["SKU-001"]["status"] == "ACTIVE"
    assert all(validate_graphql(d) == [] for d in set(emu.apps["shopify"].documents))


def test_end_listing_of_one_variant_among_several_stops_selling_it(emu, fake_time):
    client = make_client(emu, fake_time)
    option = {"optionName": "Size", "name": "S"}
    variants = [
        {
            "optionValues": [dict(option, name=size)],
            "sku": "SKU-%s" % size,
            "price": "10.00",
            "inventoryPolicy": "CONTINUE",
            "inventoryQuantities": [
                {"locationId": client.location_id(), "name": "available", "quantity": 5}
            ],
        }
        for size in ("S", "M")
    ]
    product = {
        "title": "Two sizes",
        "status": "ACTIVE",
        "productOptions": [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}],
        "variants": variants,
    }
    data = client.graphql(shopify.M_PRODUCT_SET, {"input": product}, mutation=True)
    ref = client.find_listing("SKU-S").external_ref
    assert data["productSet"]["userErrors"] == []
    client.end_listing(ref)
    client.end_listing(ref)
    [state] = products(emu)
    by_sku = {v["sku"]: v for v in state["variants"]}
    assert state["status"] == "ACTIVE"
    assert (by_sku["SKU-S"]["inventory_policy"], by_sku["SKU-S"]["quantity"]) == ("DENY", 0)
    assert (by_sku["SKU-M"]["inventory_policy"], by_sku["SKU-M"]["quantity"]) == ("CONTINUE", 5)
    assert len(emu.calls("shopify", "VariantsBulkUpdate")) == 1


def test_end_listing_retries_a_server_error(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    emu.inject("shopify", "500", count=2, match="ProductUpdate", after=True)
    client.end_listing(ref)
    assert products(emu)[0]["status"] == "ARCHIVED"
    assert len(emu.calls("shopify", "ProductUpdate")) == 3
    emu.inject("shopify", "500", count=50)
    with pytest.raises(ChannelError) as err:
        client.end_listing(ref)
    assert err.value.retryable and "server error" in str(err.value)
    assert TOKEN not in str(err.value) and TOKEN not in err.value.payload


def test_category_and_metafields_reach_the_product(emu, fake_time):
    client = shopify.ShopifyClient(
        emu.url("shopify"), access_token=TOKEN, clock=fake_time.clock, sleep=fake_time.sleep
    )
    with client:
        client.publish(
            ListingPayload(
                sku="META-1",
                title="Merino beanie",
                price=18,
                category_id="gid://shopify/TaxonomyCategory/aa-2-17",
                channel_attributes={"custom.material": "Merino wool", "Colour": "Red"},
            )
        )
    (product,) = emu.apps["shopify"].products.values()
    assert product["category"] == "gid://shopify/TaxonomyCategory/aa-2-17"
    assert product["metafields"] == {
        "custom.material": {"type": "single_line_text_field", "value": "Merino wool"}
    }
