"""The taxes of channel orders as the clients read them (RemoteOrder.tax_amount,
prices_include_tax, RemoteOrderLine.tax_amount), from the emulator over real HTTP."""

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.shopify import ShopifyClient
from ecom_channels_core.woocommerce import WooCommerceClient

from tests.emulators import DEFAULT_CREDENTIALS, Emulator

LINES = [{"sku": "MUG-001", "quantity": 2, "price": 12.0}, {"sku": "BOT-1", "price": 8.4}]


@pytest.fixture(scope="module")
def emulator():
    with Emulator(options={"shopify": {"throttle_max": 100000, "restore_rate": 10000}}) as emu:
        yield emu


def make(cls, emu, fake_time, channel_type):
    creds = DEFAULT_CREDENTIALS[channel_type]
    return cls(
        emu.url(channel_type),
        api_key=creds.get("api_key", ""),
        api_secret=creds.get("api_secret", ""),
        access_token=creds.get("access_token", ""),
        token_url=emu.token_url(channel_type),
        account_ref=creds.get("seller_id", ""),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=3, base=0.5),
        timeout=(2.0, 5.0),
    )


@pytest.mark.parametrize("included", [True, False])
def test_shopify_order_taxes(emu, fake_time, included):
    emu.apps["shopify"].seed_order(LINES, shipping=4.8, tax_rate=0.2, taxes_included=included)
    with make(ShopifyClient, emu, fake_time, "shopify") as client:
        (order,) = list(client.fetch_orders())
    assert order.prices_include_tax is included
    if included:
        assert [line.tax_amount for line in order.lines] == [4.0, 1.4]
        assert order.tax_amount == 6.2
        assert order.total == 37.2
    else:
        assert [line.tax_amount for line in order.lines] == [4.8, 1.68]
        assert order.tax_amount == round(4.8 + 1.68 + 0.96, 2)
        assert order.total == round(37.2 + 7.44, 2)


def test_shopify_order_without_tax(emu, fake_time):
    emu.apps["shopify"].seed_order(LINES)
    with make(ShopifyClient, emu, fake_time, "shopify") as client:
        (order,) = list(client.fetch_orders())
    assert order.prices_include_tax is False
    assert order.tax_amount == 0.0
    assert [line.tax_amount for line in order.lines] == [0.0, 0.0]


def test_amazon_order_taxes(emu, fake_time):
    emu.apps["amazon"].seed_order(LINES, shipping=4.8, tax_rate=0.2)
    with make(AmazonClient, emu, fake_time, "amazon") as client:
        (order,) = list(client.fetch_orders())
    assert order.prices_include_tax is None  # Amazon does not say: the channel decides
    assert [line.tax_amount for line in order.lines] == [4.0, 1.4]
    assert order.tax_amount == 6.2
    assert order.total == 37.2


def test_woocommerce_prices_are_without_tax(emu, fake_time):
    emu.apps["woocommerce"].seed_order(LINES, shipping=4.0)
    with make(WooCommerceClient, emu, fake_time, "woocommerce") as client:
        (order,) = list(client.fetch_orders())
    assert order.prices_include_tax is False
    assert order.tax_amount == 0.0
