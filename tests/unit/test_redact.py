"""Unit tests of ecom_channels_core.redact (no Odoo, no database)."""

from ecom_channels_core.redact import MASK, excerpt, redact


def test_known_secret_values_are_masked_everywhere():
    text = "GET /x?a=1 failed; token abcd1234 was refused (abcd1234)"
    assert redact(text, ["abcd1234"]) == "GET /x?a=1 failed; token *** was refused (***)"


def test_short_or_empty_secrets_do_not_mask_ordinary_words():
    assert redact("an ox", ["ox", "", None]) == "an ox"


def test_longest_secret_first():
    assert redact("k=abcdef", ["abcd", "abcdef"]) == "k=***"


def test_secret_fields_are_masked_in_json_query_headers_and_xml():
    text = (
        '{"client_secret": "s3cr3t", "title": "Tent"}\n'
        "https://shop/wc?consumer_key=ck_123&consumer_secret=cs_456&page=2\n"
        "X-Shopify-Access-Token: shpat_xyz\n"
        "Authorization: Bearer eyJhbGciOi\n"
        "<eBayAuthToken>AgAAAA**</eBayAuthToken><Title>Tent</Title>"
    )
    result = redact(text)
    for secret in ("s3cr3t", "ck_123", "cs_456", "shpat_xyz", "eyJhbGciOi", "AgAAAA"):
        assert secret not in result
    assert '"title": "Tent"' in result
    assert "page=2" in result
    assert "<Title>Tent</Title>" in result
    assert result.count(MASK) == 6


def test_none_gives_empty_text():
    assert redact(None) == ""


def test_excerpt_says_what_was_cut():
    assert excerpt("abc", limit=5) == "abc"
    assert excerpt("abcdefgh", limit=5) == "abcde\n[... 3 more characters]"
    assert excerpt(None) == ""
