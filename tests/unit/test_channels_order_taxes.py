"""What the clients read of an order's prices and taxes (line totals after discounts, tax rates,
shipping tax, prices with or without tax), from the emulators over real HTTP."""

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.shopify import ShopifyClient
from ecom_channels_core.woocommerce import WooCommerceClient


def make(cls, emu, fake_time, channel_type):
    # the emulator's credentials, refresh token and token URL (its own token "host")
    return cls(
        emu.url(channel_type),
        **emu.connection(channel_type),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=3, base=0.5),
        timeout=(2.0, 5.0),
    )


def woo_order(emu, fake_time, lines, **kwargs):
    emu.apps["woocommerce"].seed_order(lines, **kwargs)
    with make(WooCommerceClient, emu, fake_time, "woocommerce") as client:
        (order,) = list(client.fetch_orders())
    assert not order.problems
    return order


def test_woocommerce_prices_including_tax(emu, fake_time):
    """The issue's order: 2 x 9.99 with 20 % VAT included is 19.98 with 3.33 tax, not
    2 x 8.325 rounded to 8.33 (19.99)."""
    order = woo_order(
        emu,
        fake_time,
        [{"sku": "MUG", "quantity": 2, "price": 9.99}],
        tax_rate=0.2,
        prices_include_tax=True,
        shipping=3.49,
    )
    assert order.prices_include_tax is True
    assert order.taxes_reported is True
    (line,) = order.lines
    assert (line.unit_price, line.total, line.tax_amount, line.tax_rate) == (9.99, 19.98, 3.33, 20)
    assert order.shipping_amount == 3.49
    assert (order.shipping_tax_amount, order.shipping_tax_rate) == (0.58, 20)
    assert order.tax_amount == 3.91
    assert order.total == 23.47


def test_woocommerce_prices_without_tax_and_discount(emu, fake_time):
    order = woo_order(
        emu,
        fake_time,
        [
            {"sku": "MUG", "quantity": 3, "price": 3.5, "discount": 0.5},
            {"sku": "BOT", "quantity": 1, "price": 4.99, "tax_rate": 0.05},
            {"sku": "BOOK", "quantity": 1, "price": 7.0, "tax_rate": 0.0},
        ],
        tax_rate=0.2,
        shipping=4.0,
    )
    assert order.prices_include_tax is False
    mug, bottle, book = order.lines
    assert (mug.unit_price, mug.total, mug.tax_amount, mug.tax_rate) == (3.5, 10.0, 2.0, 20)
    assert (bottle.total, bottle.tax_amount, bottle.tax_rate) == (4.99, 0.25, 5)
    assert (book.total, book.tax_amount, book.tax_rate) == (7.0, 0.0, None)
    assert (order.shipping_amount, order.shipping_tax_amount) == (4.0, 0.8)
    assert order.tax_amount == 3.05
    assert order.total == round(10 + 4.99 + 7 + 4 + 3.05, 2)


def test_woocommerce_tax_rounded_at_subtotal(emu, fake_time):
    """'Round tax at subtotal level': the lines show their tax rounded, the order's tax is the
    rounded sum (3.99, where the lines say 2.00 + 1.00 + 1.00)."""
    order = woo_order(
        emu,
        fake_time,
        [{"sku": "MUG", "quantity": 2, "price": 4.99}, {"sku": "BOT", "price": 4.99}],
        tax_rate=0.2,
        shipping=4.99,
        round_at_subtotal=True,
    )
    assert [line.tax_amount for line in order.lines] == [2.0, 1.0]
    assert order.shipping_tax_amount == 1.0
    assert order.tax_amount == 3.99
    assert order.total == 23.95


@pytest.mark.parametrize("tax_rate", [0.2, 0.0])
def test_amazon_promotion_and_taxes(emu, fake_time, tax_rate):
    emu.apps["amazon"].seed_order(
        [{"sku": "MUG", "quantity": 3, "price": 3.5, "discount": 0.5}],
        shipping=2.99,
        tax_rate=tax_rate,
    )
    with make(AmazonClient, emu, fake_time, "amazon") as client:
        (order,) = list(client.fetch_orders())
    assert not order.problems
    (line,) = order.lines
    assert (line.unit_price, line.total) == (3.5, 10.0)
    assert order.prices_include_tax is None  # the channel's setting decides
    assert order.total == 12.99
    if tax_rate:
        assert order.taxes_reported is True
        assert line.tax_amount == 1.67
        assert order.shipping_tax_amount == 0.5
        assert order.tax_amount == 2.17
    else:
        # no tax at all: Amazon computed none, the channel's tax applies
        assert order.taxes_reported is False


@pytest.mark.parametrize("included", [True, False])
def test_shopify_discount_rates_and_shipping_tax(emu, fake_time, included):
    emu.apps["shopify"].seed_order(
        [
            {"sku": "MUG", "quantity": 3, "price": 3.5, "discount": 0.5},
            {"sku": "BOT", "quantity": 1, "price": 4.99, "tax_rate": 0.05},
        ],
        shipping=3.49,
        tax_rate=0.2,
        taxes_included=included,
    )
    with make(ShopifyClient, emu, fake_time, "shopify") as client:
        (order,) = list(client.fetch_orders())
    assert not order.problems
    mug, bottle = order.lines
    assert (mug.unit_price, mug.total, mug.tax_rate) == (3.5, 10.0, 20.0)
    assert (bottle.total, bottle.tax_rate) == (4.99, 5.0)
    assert mug.tax_amount == (1.67 if included else 2.0)
    assert order.shipping_tax_rate == 20.0
    assert order.shipping_tax_amount == (0.58 if included else 0.7)
