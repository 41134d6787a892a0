"""Bounded waiting: ``max_retry_wait`` and the non-blocking Amazon quantity feed
(``submit_quantities`` / ``quantity_results``), against the emulators over real HTTP."""

import pytest
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.base import ChannelClient
from ecom_channels_core.errors import ChannelError
from ecom_channels_core.http import RetryPolicy, TokenBucket, WaitTooLong
from ecom_channels_core.payloads import ListingPayload
from ecom_channels_core.shopify import ShopifyClient
from ecom_channels_core.woocommerce import WooCommerceClient

from tests.emulators import DEFAULT_CREDENTIALS
from tests.emulators.testing import FakeTime

AMAZON = DEFAULT_CREDENTIALS["amazon"]
WOO = DEFAULT_CREDENTIALS["woocommerce"]


def amazon(emu, fake_time, **kwargs):
    return AmazonClient(
        emu.url("amazon"),
        api_key=AMAZON["api_key"],
        api_secret=AMAZON["api_secret"],
        access_token=AMAZON["access_token"],
        account_ref=AMAZON["seller_id"],
        token_url=emu.token_url("amazon"),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        timeout=(2.0, 5.0),
        retry=RetryPolicy(max_attempts=5, base=0.5),
        **kwargs,
    )


def woo(emu, fake_time, **kwargs):
    kwargs.setdefault("retry", RetryPolicy(max_attempts=5, base=0.5))
    return WooCommerceClient(
        emu.url("woocommerce"),
        api_key=WOO["api_key"],
        api_secret=WOO["api_secret"],
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        timeout=(2.0, 5.0),
        **kwargs,
    )


def payload(i):
    return ListingPayload(
        sku="AMZ-%03d" % i,
        title="Bamboo board %d" % i,
        description_html="Bamboo board %d" % i,
        price=15 + i,
        quantity=i,
        barcode="50987654%05d" % i,
        product_type="CUTTING_BOARD",
        condition="new_new",
        brand="Grove",
        handling_days=3,
    )


def quantity(emu, sku):
    listing = emu.apps["amazon"].snapshot()["listings"]
    return next(x for x in listing if x["sku"] == sku)["attributes"]["fulfillment_availability"][0][
        "quantity"
    ]


def test_only_amazon_sends_quantities_asynchronously():
    assert AmazonClient.async_quantities is True
    assert ChannelClient.async_quantities is False
    assert WooCommerceClient.async_quantities is ShopifyClient.async_quantities is False


def test_submit_returns_at_once_and_results_are_read_later(emu, fake_time):
    client = amazon(emu, fake_time)
    for i in range(3):
        client.publish(payload(i))
    sleeps = len(fake_time.sleeps)
    items = [("AMZ-000", 7), ("AMZ-NOPE", 4), ("AMZ-002", 9)]
    feed_id = client.submit_quantities(items)
    assert feed_id in emu.apps["amazon"].feeds
    assert emu.calls("amazon", "getFeed") == []  # nothing waited for the processing
    assert len(fake_time.sleeps) == sleeps
    assert client.quantity_results(feed_id, items) is None  # IN_PROGRESS
    results = client.quantity_results(feed_id, items)
    assert [(r.key, r.quantity, r.ok) for r in results] == [
        ("AMZ-000", 7, True),
        ("AMZ-NOPE", 4, False),
        ("AMZ-002", 9, True),
    ]
    assert "not found" in results[1].message and not results[1].retryable
    assert quantity(emu, "AMZ-002") == 9
    assert len(fake_time.sleeps) == sleeps


def test_a_cancelled_feed_fails_every_item_for_a_retry(emu, fake_time):
    client = amazon(emu, fake_time)
    client.publish(payload(1))
    items = [("AMZ-001", 3)]
    feed_id = client.submit_quantities(items)
    emu.apps["amazon"].cancel_feed(feed_id)
    [result] = client.quantity_results(feed_id, items)
    assert not result.ok and result.retryable
    assert feed_id in result.message and "CANCELLED" in result.message


def test_a_fatal_feed_fails_every_item_for_a_retry(emu, fake_time, monkeypatch):
    client = amazon(emu, fake_time)
    client.publish(payload(1))
    good = client.feed_document

    def broken(items):
        document = good(items)
        document["header"]["version"] = "1.0"
        return document

    monkeypatch.setattr(client, "feed_document", broken)
    items = [("AMZ-001", 3)]
    feed_id = client.submit_quantities(items)
    assert client.quantity_results(feed_id, items) is None
    [result] = client.quantity_results(feed_id, items)
    assert not result.ok and result.retryable
    assert "FATAL" in result.message and "version" in result.message


def test_an_unknown_feed_fails_every_item_for_a_retry(emu, fake_time):
    client = amazon(emu, fake_time)
    [result] = client.quantity_results("50000009999", [("AMZ-001", 3)])
    assert not result.ok and result.retryable and "50000009999" in result.message


def test_set_quantities_waits_no_longer_than_max_retry_wait(emu, fake_time):
    emu.apps["amazon"].feed_polls = 1000  # Amazon keeps the feed IN_PROGRESS
    try:
        client = amazon(emu, fake_time, max_retry_wait=10)
        for i in range(22):
            client.publish(payload(i))
        fake_time.sleeps.clear()
        results = client.set_quantities([("AMZ-%03d" % i, 50) for i in range(22)])
    finally:
        emu.apps["amazon"].feed_polls = 1
    feed_id = next(iter(emu.apps["amazon"].feeds))
    assert all(not r.ok and r.retryable for r in results)
    assert feed_id in results[0].message
    assert sum(fake_time.sleeps) <= 10
    assert len(emu.calls("amazon", "getFeed")) == 1


def test_without_max_retry_wait_the_feed_is_awaited_as_before(emu, fake_time):
    emu.apps["amazon"].feed_polls = 3
    try:
        client = amazon(emu, fake_time, options={"feed_poll_interval": 20})
        for i in range(22):
            client.publish(payload(i))
        results = client.set_quantities([("AMZ-%03d" % i, 50) for i in range(22)])
    finally:
        emu.apps["amazon"].feed_polls = 1
    assert all(r.ok for r in results)
    assert fake_time.sleeps.count(20) == 3


def test_a_long_retry_after_is_not_slept_but_handed_back(emu, fake_time):
    client = woo(emu, fake_time, max_retry_wait=10)
    emu.inject("woocommerce", "429", retry_after=300)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert err.value.retryable and err.value.retry_after == 300
    assert "try again later" in str(err.value)
    assert fake_time.sleeps == []
    # short waits still happen inside the call, up to the budget
    emu.inject("woocommerce", "429", retry_after=4, count=2)
    assert "WooCommerce store" in client.test_connection()
    assert fake_time.sleeps == [4, 4]
    emu.inject("woocommerce", "503", count=10)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert err.value.retryable and sum(fake_time.sleeps[2:]) <= 10


def test_the_budget_covers_a_whole_method_call(emu, fake_time):
    """publish() retries around several HTTP calls: all of its sleeping counts together."""
    client = woo(emu, fake_time, max_retry_wait=5, retry=RetryPolicy(max_attempts=10, base=1))
    emu.inject("woocommerce", "503", count=100, match="products")
    with pytest.raises(ChannelError) as err:
        client.publish(
            ListingPayload(sku="W-1", title="Mug", description_html="Mug", price=5.0, quantity=1)
        )
    assert err.value.retryable and err.value.retry_after
    assert sum(fake_time.sleeps) <= 5


def test_token_bucket_refuses_a_wait_longer_than_allowed():
    fake = FakeTime()
    bucket = TokenBucket(rate=0.1, capacity=1, clock=fake.clock, sleep=fake.sleep)
    bucket.acquire(max_wait=0)
    with pytest.raises(WaitTooLong) as err:
        bucket.acquire(max_wait=5)
    assert err.value.wait == pytest.approx(10) and fake.sleeps == []
    assert bucket.acquire(max_wait=10) == pytest.approx(10)


def test_rate_limit_waits_count_in_the_budget(emu, fake_time):
    client = woo(emu, fake_time, max_retry_wait=5, rate_limit=(0.1, 1.0))
    client.test_connection()
    with pytest.raises(ChannelError) as err:  # the next call may go in 10 s
        client.test_connection()
    assert err.value.retryable and err.value.retry_after == pytest.approx(10)
    assert fake_time.sleeps == []
    fake_time.now += 10
    client.test_connection()


def test_shopify_cost_pacing_respects_the_budget(emu, fake_time):
    client = ShopifyClient(
        emu.url("shopify"),
        access_token=DEFAULT_CREDENTIALS["shopify"]["access_token"],
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        max_retry_wait=2,
    )
    client._cost_available = 0.0  # Shopify said the bucket is empty: 100 points a second
    client._cost_stamp = fake_time.clock()
    with pytest.raises(ChannelError) as err:
        client.graphql("query Big { shop { name } }", cost=1000)
    assert err.value.retryable and err.value.retry_after == pytest.approx(10)
    assert fake_time.sleeps == []


def test_refused_batch_keeps_the_channels_retry_after():
    """A batch refused with a Retry-After carries the delay to each item's result, so the
    push backs off for as long as the channel asked."""

    class Refusing(ChannelClient):
        channel_type = "test"
        quantity_batch_size = 2

        def _set_quantity_batch(self, batch):
            raise ChannelError("slow down", status=429, retryable=True, retry_after=42.0)

    client = Refusing("https://example.com")
    results = client.set_quantities([("A", 1), ("B", 2), ("C", 3)])
    assert [r.ok for r in results] == [False, False, False]
    assert {r.retry_after for r in results} == {42.0}
    assert all(r.retryable for r in results)
