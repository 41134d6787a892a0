"""One bad order never stops the rest: every client yields every order, an unreadable one with
``problems`` in plain words and its raw payload (real HTTP against the emulators' raw orders)."""

import copy
from datetime import datetime

import pytest

from tests.unit.test_channels_hostile import make

ADDRESS = {"street": "1 High St", "city": "York", "zip": "YO1 1AA", "country_code": "GB"}


def good_order(emu, fake_time, channel):
    """Seed one regular order; return the client, its id and its raw payload as listed."""
    client = make(channel, emu, fake_time)
    app = emu.apps[channel]
    seeded = app.seed_order(
        [{"sku": "SKU-1", "quantity": 2, "price": 5}],
        customer={"name": "Ann Lee", "email": "ann@example.com"},
        address=ADDRESS,
    )
    [order] = list(client.fetch_orders())
    assert order.external_ref == str(seeded["id"]) and order.problems == []
    return client, order.external_ref, copy.deepcopy(order.raw)


def add_raw(emu, channel, raw, items=None):
    emu.add_raw_order(channel, raw, items)


# How each channel spells the fields the cases below break.
FIELDS = {
    "woocommerce": {
        "id": ("id",),
        "date": ("date_created_gmt",),
        "lines": ("line_items",),
        "quantity": ("line_items", 0, "quantity"),
        "address": ("shipping",),
        "currency": ("currency",),
        "price": ("line_items", 0, "price"),
    },
    "shopify": {
        "id": ("id",),
        "date": ("createdAt",),
        "lines": ("lineItems", "nodes"),
        "quantity": ("lineItems", "nodes", 0, "quantity"),
        "address": ("shippingAddress",),
        "currency": ("currencyCode",),
        "price": ("lineItems", "nodes", 0, "originalUnitPriceSet", "shopMoney", "amount"),
    },
    "ebay": {
        "id": ("OrderID",),
        "date": ("CreatedTime",),
        "lines": ("TransactionArray",),
        "quantity": ("TransactionArray", "Transaction", "QuantityPurchased"),
        "address": ("ShippingAddress",),
        "currency": ("Total", "@currencyID"),
        "price": ("TransactionArray", "Transaction", "TransactionPrice", "#text"),
    },
    "amazon": {
        "id": ("AmazonOrderId",),
        "date": ("PurchaseDate",),
        "lines": None,  # the items come from getOrderItems
        "quantity": ("items", 0, "QuantityOrdered"),
        "address": ("ShippingAddress",),
        "currency": ("OrderTotal", "CurrencyCode"),
        "price": ("items", 0, "ItemPrice", "Amount"),
    },
}
LINES_WORDS = {
    "woocommerce": "line_items is missing (null)",
    "shopify": "lineItems is missing (null)",
    "ebay": "transactions is missing (null)",
}


def setpath(data, path, value):
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


def raw_with(channel, raw, items, index, field, value):
    """A copy of the order with ``field`` set to ``value`` and a new id (unless the id is the
    field); Amazon's items travel with it."""
    raw = copy.deepcopy(raw)
    items = copy.deepcopy(items)
    id_key = FIELDS[channel]["id"][0]
    raw[id_key] = (
        "gid://shopify/Order/9%03d" % index
        if channel == "shopify"
        else ("RAW-%03d" % index if channel in ("amazon", "ebay") else 9000 + index)
    )
    path = FIELDS[channel][field]
    if path and path[0] == "items":
        setpath({"items": items}, path, value)
    elif path:
        setpath(raw, path, value)
    return raw, items


@pytest.mark.parametrize("channel", ("woocommerce", "shopify", "ebay", "amazon"))
def test_bad_orders_are_yielded_with_their_problems_and_never_stop_the_rest(
    emu, fake_time, channel
):
    client, good_ref, raw = good_order(emu, fake_time, channel)
    items = emu.apps["amazon"].order_items[good_ref] if channel == "amazon" else None
    cases = [
        ("date", "yesterday", "order date 'yesterday' cannot be read"),
        ("date", KeyError, "order date is missing"),
        ("id", KeyError, "order id is missing"),
        ("quantity", "two", "line 1 (SKU SKU-1): quantity 'two' is not a number"),
        ("price", "cheap", "line 1 (SKU SKU-1): price 'cheap' is not a number"),
        ("address", "in the shed", "shipping address is not an object: 'in the shed'"),
    ]
    if channel != "amazon":
        cases.append(("lines", None, LINES_WORDS[channel]))
    expected = {}
    for index, (field, value, words) in enumerate(cases):
        bad, bad_items = raw_with(channel, raw, items, index, field, value)
        add_raw(emu, channel, bad, bad_items)
        expected[index] = (bad, words)
    # anything at all in the list of orders
    add_raw(emu, channel, "not an order")
    orders = list(client.fetch_orders())
    assert len(orders) == len(cases) + 2, [o.external_ref for o in orders]
    good = next(o for o in orders if o.external_ref == good_ref)
    assert good.problems == [] and good.lines and good.lines[0].quantity == 2
    bad_orders = [o for o in orders if o is not good]
    for bad, words in expected.values():
        id_key = FIELDS[channel]["id"][0]
        if id_key in bad:
            [order] = [o for o in bad_orders if o.external_ref == str(bad[id_key])]
        else:
            [order] = [o for o in bad_orders if o.external_ref == "" and "value" not in o.raw]
        assert any(words in problem for problem in order.problems), (words, order.problems)
        assert order.raw and isinstance(order.raw, dict)
    [anything] = [o for o in bad_orders if o.raw == {"value": "not an order"}]
    assert anything.external_ref == "" and "not an object" in anything.problems[0]


@pytest.mark.parametrize("channel", ("woocommerce", "shopify", "ebay", "amazon"))
def test_odd_but_readable_values_pass_through_without_problems(emu, fake_time, channel):
    client, good_ref, raw = good_order(emu, fake_time, channel)
    items = emu.apps["amazon"].order_items[good_ref] if channel == "amazon" else None
    bad, bad_items = raw_with(channel, raw, items, 1, "quantity", -3)
    setpath(bad, FIELDS[channel]["currency"], "XYZ")
    setpath(bad, FIELDS[channel]["date"], "2099-01-01T00:00:00Z")
    add_raw(emu, channel, bad, bad_items)
    orders = list(client.fetch_orders())
    [odd] = [o for o in orders if o.external_ref != good_ref]
    assert odd.problems == []
    assert odd.lines[0].quantity == -3
    assert odd.created_at == datetime(2099, 1, 1)
    assert odd.currency == "XYZ"


def test_an_order_whose_items_amazon_refuses_is_kept_with_a_problem(emu, fake_time):
    client, good_ref, raw = good_order(emu, fake_time, "amazon")
    bad = dict(copy.deepcopy(raw), AmazonOrderId="RAW-404")  # getOrderItems: 404
    add_raw(emu, "amazon", bad)
    orders = list(client.fetch_orders())
    [lost] = [o for o in orders if o.external_ref == "RAW-404"]
    assert lost.lines == [] and "order items cannot be read" in lost.problems[0]
    assert [o.problems for o in orders if o.external_ref == good_ref] == [[]]


def test_a_null_line_list_inside_an_order_is_a_problem_not_an_empty_order(emu, fake_time):
    client, _good_ref, raw = good_order(emu, fake_time, "woocommerce")
    bad = dict(copy.deepcopy(raw), id=777, line_items=[None, 5])
    add_raw(emu, "woocommerce", bad)
    [order] = [o for o in client.fetch_orders() if o.external_ref == "777"]
    assert order.problems == ["line 1 is not an object: None", "line 2 is not an object: 5"]
