"""Shared pieces of the channel clients: retries, rate limit, errors, requirement checks."""

import pytest
import requests
from ecom_channels_core.errors import ChannelError
from ecom_channels_core.http import (
    HttpTransport,
    RetryPolicy,
    TokenBucket,
    parse_retry_after,
)
from ecom_channels_core.payloads import ListingPayload
from ecom_channels_core.requirements import missing_fields

from tests.emulators.testing import FakeTime


def test_token_bucket_paces_after_the_burst():
    fake = FakeTime()
    bucket = TokenBucket(rate=5, capacity=10, clock=fake.clock, sleep=fake.sleep)
    for _ in range(30):
        bucket.acquire()
    # 10 free, then 20 more at 5 per second
    assert fake.now == pytest.approx(4.0)


def test_backoff_is_exponential_and_retry_after_wins():
    policy = RetryPolicy(base=0.5, cap=3)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]
    assert policy.delay(2, retry_after=7) == 7
    assert parse_retry_after("12") == 12
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470) == 10
    assert parse_retry_after("") is None


class _Session(requests.Session):
    """Answers from a script instead of the network."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.seen = []

    def request(self, method, url, **kwargs):
        self.seen.append(kwargs.get("timeout"))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        response = requests.Response()
        response.status_code, response._content = step
        response.headers["Retry-After"] = "4" if step[0] == 429 else ""
        return response


def transport(script, **kwargs):
    fake = FakeTime()
    session = _Session(script)
    return (
        HttpTransport(
            "https://example.test",
            channel="Test",
            secrets=["sekrit-token-123"],
            timeout=(1, 2),
            retry=RetryPolicy(max_attempts=4, base=0.1),
            clock=fake.clock,
            sleep=fake.sleep,
            session=session,
            **kwargs,
        ),
        fake,
        session,
    )


def test_idempotent_calls_retry_429_5xx_and_timeouts():
    http, fake, session = transport(
        [(429, b""), (503, b""), requests.ReadTimeout("boom"), (200, b"ok")]
    )
    assert http.request("GET", "/x").content == b"ok"
    assert fake.sleeps == [4, 0.2, 0.4]
    assert session.seen == [(1, 2)] * 4  # a timeout on every call


def test_creating_calls_are_not_retried_after_an_ambiguous_failure():
    http, _fake, _session = transport([(429, b""), (500, b"")])
    with pytest.raises(ChannelError) as err:
        http.request("POST", "/create", idempotent=False)
    assert err.value.retryable and err.value.status == 500


def test_errors_never_carry_secrets():
    body = b'{"error": "bad token sekrit-token-123", "access_token": "other-secret-xyz"}'
    http, _fake, _session = transport([(400, body)])
    with pytest.raises(ChannelError) as err:
        http.request("GET", "/x")
    text = str(err.value) + err.value.payload
    assert "sekrit-token-123" not in text and "other-secret-xyz" not in text
    assert "HTTP 400" in str(err.value) and not err.value.retryable


def test_gives_up_after_max_attempts():
    http, fake, _session = transport([(502, b"")] * 4)
    with pytest.raises(ChannelError, match="gave up after 4 attempts"):
        http.request("GET", "/x")
    assert len(fake.sleeps) == 3


@pytest.mark.parametrize(
    "channel_type, changes, expected",
    [
        ("shopify", {}, []),
        ("shopify", {"title": ""}, ["a title"]),
        ("woocommerce", {"price": 0}, ["a price above zero"]),
        ("ebay", {}, ["an eBay category id", "an eBay condition (ConditionID)"]),
        (
            "ebay",
            {"category_id": "1", "condition": "1000", "title": "x" * 81},
            ["a title of at most 80 characters (it has 81)"],
        ),
        (
            "amazon",
            {},
            [
                "an Amazon product type",
                "a GTIN (EAN/UPC barcode) or an ASIN",
                "a condition (e.g. new_new)",
            ],
        ),
        (
            "amazon",
            {"product_type": "MUG", "asin": "B000000001", "condition": "new_new", "title": ""},
            [],
        ),
        ("etsy", {}, ["a known channel type (got 'etsy')"]),
    ],
)
def test_missing_fields_in_plain_words(channel_type, changes, expected):
    values = dict(sku="S1", title="Mug", description_html="<p>Mug</p>", price=5.0)
    values.update(changes)
    assert missing_fields(channel_type, ListingPayload(**values)) == expected
