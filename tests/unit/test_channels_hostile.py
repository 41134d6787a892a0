"""Hostile servers: every failure of a channel call is a ChannelError in plain words, secrets
never leave for another host nor reach a message, answers are bounded in size and time.

Real HTTP against the emulators (and their redirect trap on another loopback host)."""

import time
import tracemalloc

import pytest
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.ebay import EbayClient
from ecom_channels_core.errors import ChannelError
from ecom_channels_core.http import HttpTransport, RetryPolicy
from ecom_channels_core.payloads import ListingPayload
from ecom_channels_core.redact import excerpt, redact
from ecom_channels_core.shopify import ShopifyClient
from ecom_channels_core.woocommerce import WooCommerceClient

from tests.emulators import DEFAULT_CREDENTIALS
from tests.emulators.core import gzip_bomb

CREDS = DEFAULT_CREDENTIALS


def make(kind, emu, fake_time, **kwargs):
    kwargs.setdefault("retry", RetryPolicy(max_attempts=3, base=0.5))
    kwargs.setdefault("timeout", (2.0, 5.0))
    common = dict(clock=fake_time.clock, sleep=fake_time.sleep, **kwargs)
    if kind == "woocommerce":
        creds = CREDS["woocommerce"]
        return WooCommerceClient(
            emu.url(kind), api_key=creds["api_key"], api_secret=creds["api_secret"], **common
        )
    if kind == "shopify":
        return ShopifyClient(emu.url(kind), access_token=CREDS["shopify"]["access_token"], **common)
    if kind == "ebay":
        return EbayClient(emu.url(kind), access_token=CREDS["ebay"]["access_token"], **common)
    creds = CREDS["amazon"]
    return AmazonClient(
        emu.url(kind),
        api_key=creds["api_key"],
        api_secret=creds["api_secret"],
        access_token=creds["access_token"],
        account_ref=creds["seller_id"],
        token_url=emu.token_url("amazon"),
        **common,
    )


CHANNELS = ("woocommerce", "shopify", "ebay", "amazon")


def pieces(secret, size=4):
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_piece_of(secret, text):
    leaked = sorted(p for p in pieces(secret) if p in text)
    assert not leaked, "pieces of the secret in %r: %s" % (text, leaked)


# ---------------------------------------------------------------------- broken transfers
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_connection_cut_mid_body_is_a_retryable_channel_error(emu, fake_time, channel):
    client = make(channel, emu, fake_time)
    client.test_connection()  # (Amazon: the token first)
    emu.inject(channel, "cut", count=10)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert err.value.retryable and "cut off" in str(err.value)
    assert "gave up after 3 attempts" in str(err.value)
    emu.clear_faults()
    emu.inject(channel, "cut")  # once: the retry gets the whole answer
    assert client.test_connection()


def test_a_body_shorter_than_its_length_is_cut_off(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "cut", chunked=False, count=10)
    with pytest.raises(ChannelError, match="cut off") as err:
        client.test_connection()
    assert err.value.retryable


def test_a_create_cut_mid_answer_is_not_repeated_blindly(emu, fake_time):
    transport = make("woocommerce", emu, fake_time).transport
    emu.inject("woocommerce", "cut", match="products")
    with pytest.raises(ChannelError) as err:
        transport.request(
            "POST",
            "/wp-json/wc/v3/products",
            json={"name": "Mug", "sku": "M-1", "regular_price": "5.00"},
            idempotent=False,
        )
    assert err.value.retryable and "cut off" in str(err.value)
    assert len(emu.calls("woocommerce", "POST products")) == 1


@pytest.mark.parametrize(
    "url, words",
    [
        ("127.0.0.1:9/shop", "URL is not valid"),  # no scheme
        ("ftp://127.0.0.1/shop", "URL is not valid"),
        ("http://[::1/shop", "URL is not valid"),
        ("http://exa mple.test:99999/shop", "not valid"),
    ],
)
def test_a_bad_url_is_a_plain_channel_error_not_retried(fake_time, url, words):
    client = WooCommerceClient(
        url, api_key="ck_1234", api_secret="cs_5678", clock=fake_time.clock, sleep=fake_time.sleep
    )
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert words in str(err.value) and not err.value.retryable
    assert fake_time.sleeps == []


def test_a_header_that_cannot_be_sent_is_a_channel_error_without_the_token(emu, fake_time):
    token = "shpat_broken\ntoken_0001"
    client = ShopifyClient(
        emu.url("shopify"), access_token=token, clock=fake_time.clock, sleep=fake_time.sleep
    )
    with pytest.raises(ChannelError, match="header value is not valid") as err:
        client.test_connection()
    assert "shpat_broken" not in str(err.value) and "token_0001" not in str(err.value)


@pytest.mark.parametrize(
    "channel, body, call, words",
    [
        ("woocommerce", [1, 2], "find_listing", "looking up a listing"),
        ("shopify", {"data": {"shop": None}}, "test_connection", "connection test"),
        (
            "ebay",
            '<?xml version="1.0"?><GetUserResponse xmlns="urn:ebay:apis:eBLBaseComponents">'
            "<Ack>Success</Ack><User>plain text</User></GetUserResponse>",
            "test_connection",
            "connection test",
        ),
        ("amazon", {"sku": "X", "attributes": 5}, "find_listing", "looking up a listing"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_channel_error_naming_the_operation(
    emu, fake_time, channel, body, call, words
):
    client = make(channel, emu, fake_time)
    client.test_connection()
    emu.inject(channel, "body", body=body, count=10)
    with pytest.raises(ChannelError) as err:
        if call == "find_listing":
            client.find_listing("X")
        else:
            client.test_connection()
    assert words in str(err.value) and "could not be read" in str(err.value)


def test_shape_errors_inside_generators_are_channel_errors(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "body", body=[{"type": "variable"}], count=10)
    with pytest.raises(ChannelError, match="reading the listings"):
        list(client.list_listings())


def test_invalid_json_is_a_retryable_channel_error(emu, fake_time):
    client = make("amazon", emu, fake_time)
    client.test_connection()
    emu.inject("amazon", "body", body="{not json", count=10)
    with pytest.raises(ChannelError, match="not valid JSON") as err:
        client.test_connection()
    assert err.value.retryable


def test_a_body_that_does_not_decompress_is_a_channel_error(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject(
        "woocommerce",
        "body",
        body=b"\x1f\x8b\x08\x00 this is not gzip",
        headers={"Content-Encoding": "gzip"},
        count=10,
    )
    with pytest.raises(ChannelError, match="could not be decompressed") as err:
        client.test_connection()
    assert err.value.retryable


# ---------------------------------------------------------------------- redirects
@pytest.mark.parametrize("channel", CHANNELS)
def test_credentials_never_follow_a_redirect_to_another_host(emu, fake_time, channel):
    client = make(channel, emu, fake_time)
    emu.inject(channel, "redirect", count=10)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert "redirected" in str(err.value) and "another host" in str(err.value)
    assert "127.0.0.2" in str(err.value) or str(emu.trap.httpd.server_address[1]) in str(err.value)
    assert not err.value.retryable
    assert emu.trap.requests == []
    for secret in CREDS[channel].values():
        assert not emu.trap.received(secret)


def test_a_redirect_within_the_channel_is_followed(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "redirect", location="same", count=2)
    assert "WooCommerce store" in client.test_connection()
    assert [c.status for c in emu.calls("woocommerce")] == [307, 307, 200]


def test_a_redirect_loop_stops_after_five_hops(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "redirect", location="same", count=50)
    with pytest.raises(ChannelError, match="more than 5 redirects"):
        client.test_connection()
    assert len(emu.calls("woocommerce")) == 6


def test_a_redirect_to_another_port_of_the_same_host_is_not_followed(emu, fake_time):
    client = make("shopify", emu, fake_time)
    emu.inject("shopify", "redirect", location="http://127.0.0.1:9")
    with pytest.raises(ChannelError, match=r"another host \(127.0.0.1:9\)"):
        client.test_connection()


# ---------------------------------------------------------------------- secrets
@pytest.mark.parametrize("channel", ("woocommerce", "shopify"))
@pytest.mark.parametrize("offset", (0, 280, 290, 297, 2000))
def test_an_echoed_secret_leaves_no_piece_in_message_nor_payload(emu, fake_time, channel, offset):
    client = make(channel, emu, fake_time)
    secret = emu.apps[channel].secret()
    emu.inject(channel, "echo_secret", offset=offset)
    with pytest.raises(ChannelError) as err:
        client.test_connection()
    assert "HTTP 400" in str(err.value)
    assert_no_piece_of(secret, str(err.value))
    assert_no_piece_of(secret, err.value.payload)


def test_redact_masks_url_encoded_and_json_escaped_secrets():
    secret = "v^1.1#i^1#emulator_token"
    text = 'a=v%5E1.1%23i%5E1%23emulator_token b="v^1.1#i^1#emulator_token"'
    assert_no_piece_of(secret, redact(text, [secret]))


def test_excerpt_redacts_before_cutting_and_masks_pieces_at_edges():
    secret = "cs_emulator_secret_0001"
    body = "x" * 290 + secret + " tail"
    cut = excerpt(body, 300, [secret])
    assert_no_piece_of(secret, cut)
    # a body someone else already cut, and a secret split over two lines
    assert_no_piece_of(secret, redact(body[:300], [secret]))
    assert_no_piece_of(secret, redact("x cs_emulator_\nsecret_0001 y", [secret]))
    assert redact("the cs_e word", [secret]) == "the cs_e word"  # inside a line: left alone


def test_basic_auth_header_value_is_a_secret_of_the_transport(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    encoded = "Y2tfZW11bGF0b3Jfa2V5XzAwMDE6Y3NfZW11bGF0b3Jfc2VjcmV0XzAwMDE="
    assert encoded in client.transport.secrets
    assert encoded not in str(client.error("header was Basic %s" % encoded))


# ---------------------------------------------------------------------- sizes and time
def test_an_oversized_answer_is_refused_from_its_length(emu, fake_time):
    client = make("woocommerce", emu, fake_time, max_response_size=1024 * 1024)
    emu.inject("woocommerce", "oversize", size=3 * 1024 * 1024)
    with pytest.raises(ChannelError, match="larger than 1 MB") as err:
        client.test_connection()
    assert not err.value.retryable


def test_an_oversized_answer_without_length_is_cut_while_reading(emu, fake_time):
    client = make("shopify", emu, fake_time, max_response_size=512 * 1024)
    emu.inject("shopify", "oversize", size=3 * 1024 * 1024, chunked=True)
    with pytest.raises(ChannelError, match="larger than 0.5 MB"):
        client.test_connection()


def test_a_gzip_bomb_is_stopped_without_inflating_it(emu, fake_time):
    client = make("woocommerce", emu, fake_time, max_decoded_size=1024 * 1024)
    size = 100 * 1024 * 1024
    assert len(gzip_bomb(size)) < 200 * 1024  # built (and cached) before measuring
    emu.inject("woocommerce", "gzip_bomb", size=size)
    tracemalloc.start()
    try:
        with pytest.raises(ChannelError, match="larger than 1 MB"):
            client.test_connection()
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


def test_a_small_gzip_answer_is_read(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "gzip_bomb", size=1000)
    transport = client.transport
    assert transport.request("GET", "/wp-json/wc/v3/products").json() == []


@pytest.mark.parametrize("entity", ("laughs", "external"))
def test_xml_with_a_dtd_or_entities_is_refused(emu, fake_time, entity):
    client = make("ebay", emu, fake_time)
    emu.inject("ebay", "xml_entities", entity=entity, count=10)
    with pytest.raises(ChannelError, match="DTD or entities") as err:
        client.test_connection()
    assert not err.value.retryable
    assert "root:" not in str(err.value) and "lol" not in str(err.value)


def test_a_trickling_server_is_cut_off_at_the_deadline(emu, fake_time):
    client = make("woocommerce", emu, fake_time, deadline=1.0, retry=RetryPolicy(max_attempts=1))
    client.publish(ListingPayload(sku="W-1", title="Mug", description_html="Mug", price=5.0))
    emu.inject("woocommerce", "trickle", delay=0.1, size=1, count=5)
    started = time.monotonic()
    with pytest.raises(ChannelError, match="took longer than 1s") as err:
        client.test_connection()
    assert time.monotonic() - started < 2.5
    assert err.value.retryable


def test_click_and_drop_style_transport_refuses_cross_host_redirects(emu, fake_time):
    key = CREDS["clickanddrop"]["api_key"]
    transport = HttpTransport(
        emu.url("clickanddrop"),
        secrets=(key,),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        headers={"Authorization": "Bearer %s" % key},
    )
    emu.inject("clickanddrop", "redirect")
    with pytest.raises(ChannelError, match="another host"):
        transport.request("GET", "/api/v1/version")
    assert not emu.trap.received(key)


def test_publishing_through_a_cut_answer_does_not_duplicate(emu, fake_time):
    client = make("woocommerce", emu, fake_time)
    emu.inject("woocommerce", "cut", match="POST products")
    ref = client.publish(
        ListingPayload(sku="W-9", title="Mug", description_html="Mug", price=5.0, quantity=2)
    )
    products = emu.apps["woocommerce"].snapshot()["products"]
    assert [p["sku"] for p in products] == ["W-9"] and str(products[0]["id"]) == ref
