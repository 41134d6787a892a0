"""WooCommerce client against the emulator over real HTTP (REST API v3)."""

from datetime import datetime

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core.errors import ChannelError, MissingFieldsError
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.payloads import ListingPayload, Shipment
from ecom_channels_core.woocommerce import WooCommerceClient

from tests.emulators import DEFAULT_CREDENTIALS

KEY = DEFAULT_CREDENTIALS["woocommerce"]["api_key"]
SECRET = DEFAULT_CREDENTIALS["woocommerce"]["api_secret"]


def make_client(emu, fake_time, key=KEY, secret=SECRET, **kwargs):
    kwargs.setdefault("timeout", (2.0, 5.0))
    return WooCommerceClient(
        emu.url("woocommerce"),
        api_key=key,
        api_secret=secret,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=5, base=0.5),
        **kwargs,
    )


def payload(i, **changes):
    values = dict(
        sku="WOO-%03d" % i,
        title="Wool scarf %d" % i,
        description_html="<p>Soft merino wool scarf %d</p>" % i,
        price=20 + i,
        quantity=i,
        images=["https://img.example.com/s%d.jpg" % i],
        category_id="15",
        attributes={"Colour": "Blue"},
    )
    values.update(changes)
    return ListingPayload(**values)


def products(emu):
    return emu.apps["woocommerce"].snapshot()["products"]


def test_connection_and_wrong_secret(emu, fake_time):
    assert "0 products" in make_client(emu, fake_time).test_connection()
    wrong = "cs_not_the_right_secret"
    with pytest.raises(ChannelError) as err:
        make_client(emu, fake_time, secret=wrong).test_connection()
    assert err.value.status == 401 and "Consumer key is invalid" in str(err.value)
    assert wrong not in str(err.value) and KEY not in str(err.value)


def test_publish_50_then_republish_updates_one_item_each(emu, fake_time):
    client = make_client(emu, fake_time)
    refs = [client.publish(payload(i)) for i in range(50)]
    assert len(set(refs)) == 50
    refs2 = [
        client.publish(payload(i, price=50 + i, description_html="<p>v2</p>")) for i in range(50)
    ]
    assert refs2 == refs
    state = products(emu)
    assert len(state) == 50
    item = next(p for p in state if p["sku"] == "WOO-010")
    assert (item["regular_price"], item["description"], item["stock_quantity"]) == (
        "60.00",
        "<p>v2</p>",
        10,
    )
    assert item["categories"] == [{"id": 15}] and item["images"][0]["src"].endswith("s10.jpg")


def test_import_lists_simple_products_and_variations_over_pages(emu, fake_time):
    client = make_client(emu, fake_time)
    client.page_size = 4
    for i in range(9):
        client.publish(payload(i))
    app = emu.apps["woocommerce"]
    with app.lock:
        parent = app._new_product({"name": "T-shirt", "type": "variable", "sku": "TS"})
        for size in ("S", "M", "L"):
            app._new_variation(
                parent["id"],
                {
                    "sku": "TS-" + size,
                    "regular_price": "9.00",
                    "stock_quantity": 3,
                    "manage_stock": True,
                },
            )
    listings = {x.sku: x for x in client.list_listings()}
    assert set(listings) == {"WOO-%03d" % i for i in range(9)} | {"TS-S", "TS-M", "TS-L"}
    variation = listings["TS-M"]
    assert variation.external_ref.startswith("%s/" % parent["id"]) and variation.title == "T-shirt"
    results = client.set_quantities([(variation.external_ref, 0), ("WOO-001", 77)])
    assert all(r.ok for r in results)
    assert app.variations[int(variation.external_ref.split("/")[1])]["stock_quantity"] == 0


def test_retries_and_timeout_never_duplicate(emu, fake_time):
    client = make_client(emu, fake_time, timeout=(2.0, 0.3))
    emu.inject("woocommerce", "429", count=1, retry_after=2, match="POST products")
    emu.inject("woocommerce", "500", count=2, match="GET products")
    assert client.publish(payload(1))
    emu.inject("woocommerce", "slow", delay=0.8, match="POST products")
    ref = client.publish(payload(2))
    emu.inject("woocommerce", "500", after=True, match="POST products")
    ref3 = client.publish(payload(3))
    assert 2 in fake_time.sleeps
    skus = sorted(p["sku"] for p in products(emu))
    assert skus == ["WOO-001", "WOO-002", "WOO-003"]
    assert {p["id"] for p in products(emu)} >= {int(ref), int(ref3)}


def test_invalid_argument_is_refused_with_its_name(emu, fake_time):
    client = make_client(emu, fake_time)
    with pytest.raises(ChannelError) as err:
        client.publish(payload(1, extra={"product": {"status": "for-sale"}}))
    assert err.value.status == 400 and "status" in str(err.value)
    with pytest.raises(MissingFieldsError) as missing:
        client.publish(payload(2, price=None))
    assert missing.value.missing == ["a price above zero"]


def test_quantities_go_in_batches_of_100(emu, fake_time):
    client = make_client(emu, fake_time)
    app = emu.apps["woocommerce"]
    with app.lock:
        ids = [app._new_product({"name": "P%d" % i, "sku": "B%d" % i})["id"] for i in range(250)]
    results = client.set_quantities([(str(pid), n) for n, pid in enumerate(ids)] + [("999999", 1)])
    batches = emu.calls("woocommerce", "POST products_batch")
    assert len(batches) == 3
    assert sum(r.ok for r in results) == 250
    failed = [r for r in results if not r.ok]
    assert [r.key for r in failed] == ["999999"] and "Invalid ID" in failed[0].message
    assert app.products[ids[123]]["stock_quantity"] == 123


def test_orders_and_dispatch(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    app = emu.apps["woocommerce"]
    old = app.seed_order(
        [{"sku": "WOO-001", "quantity": 1, "price": 21}], created_at="2024-01-01T10:00:00Z"
    )
    new = app.seed_order(
        [{"sku": "WOO-001", "quantity": 2, "price": 21}],
        customer={"name": "Ann Lee", "email": "ann@example.com"},
        address={"street": "2 Low Rd", "city": "York", "zip": "YO1 1AA", "country_code": "GB"},
        shipping=4,
    )
    orders = list(client.fetch_orders(since=datetime(2025, 1, 1)))
    assert [o.external_ref for o in orders] == [str(new["id"])]
    order = orders[0]
    assert (
        order.total == 46
        and order.lines[0].listing_ref == ref
        and order.buyer_email == "ann@example.com"
    )
    assert len(list(client.fetch_orders())) == 2 and str(old["id"])
    shipment = Shipment(order_ref=str(new["id"]), carrier="Royal Mail", tracking_number="RM1GB")
    client.mark_shipped(shipment)
    client.mark_shipped(shipment)
    assert app.orders[new["id"]]["status"] == "completed"
    assert len(app.notes[new["id"]]) == 1 and "RM1GB" in app.notes[new["id"]][0]["note"]


def test_end_listing_makes_products_and_variations_private(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    client.publish(payload(2))
    app = emu.apps["woocommerce"]
    with app.lock:
        parent = app._new_product({"name": "T-shirt", "type": "variable", "sku": "TS"})
        variation = app._new_variation(parent["id"], {"sku": "TS-M", "regular_price": "9.00"})
    variation_ref = "%s/%s" % (parent["id"], variation["id"])
    client.end_listing(ref)
    client.end_listing(variation_ref)
    client.end_listing(ref)  # twice: still fine
    client.end_listing("999999")  # unknown product: nothing to end
    client.end_listing("%s/999999" % parent["id"])
    assert app.products[int(ref)]["status"] == "private"
    assert app.variations[variation["id"]]["status"] == "private"
    active = {x.sku for x in client.list_listings() if x.status == "publish"}
    assert active == {"WOO-002"}  # the variable parent is listed through its variations
    # publishing again puts the same product (and variation) back on sale
    assert client.publish(payload(1)) == ref
    assert app.products[int(ref)]["status"] == "publish" and len(products(emu)) == 3
    client._update(client._listing(variation, variation_ref), payload(3, sku="TS-M"))
    assert app.variations[variation["id"]]["status"] == "publish"


def test_end_listing_retries_a_server_error_without_leaking_secrets(emu, fake_time):
    client = make_client(emu, fake_time)
    ref = client.publish(payload(1))
    emu.inject("woocommerce", "500", count=2, match="PUT product", after=True)
    client.end_listing(ref)
    assert products(emu)[0]["status"] == "private"
    assert len(emu.calls("woocommerce", "PUT product")) == 3
    emu.inject("woocommerce", "500", count=50)
    with pytest.raises(ChannelError) as err:
        client.end_listing(ref)
    assert err.value.retryable and "server error" in str(err.value)
    for secret in (KEY, SECRET):
        assert secret not in str(err.value) and secret not in err.value.payload
