"""The registry of channel types: one declaration per type that everything reads."""

from urllib.parse import parse_qs, urlsplit

import pytest
from ecom_channels_core import registry
from ecom_channels_core.endpoints import ALLOWED_HOSTS, endpoint_problem
from ecom_channels_core.payloads import ListingPayload
from ecom_channels_core.requirements import missing_fields


@pytest.mark.parametrize("code", list(registry.TYPES))
def test_each_type_is_declared_once_and_complete(code):
    declared = registry.channel_type(code)
    client = registry.client_class(code)
    assert client.channel_type == code
    assert declared.endpoint in ALLOWED_HOSTS
    assert declared.connect in ("oauth_code", "lwa", "token", "key_secret")
    # the requirement check the declaration names exists (an empty payload lacks a SKU)
    assert missing_fields(code, _empty())[0].startswith("a SKU")
    flow = registry.token_flow(code)
    if flow is not None:  # its live token URL passes the endpoint rules of its token service
        assert endpoint_problem(flow.default_url, flow.service) is None
        assert declared.connect in ("oauth_code", "lwa")
    assert len({option for option, _field in declared.options}) == len(declared.options)


def _empty():
    return ListingPayload(sku="")


def test_token_flows_and_selection():
    assert registry.token_flow("ebay").default_url == (
        "https://api.ebay.com/identity/v1/oauth2/token"
    )
    assert registry.token_flow("amazon").default_url == "https://api.amazon.com/auth/o2/token"
    assert registry.token_flow("shopify") is None and registry.token_flow("woocommerce") is None
    assert registry.selection() == [
        ("shopify", "Shopify"),
        ("woocommerce", "WooCommerce"),
        ("ebay", "eBay"),
        ("amazon", "Amazon"),
    ]
    with pytest.raises(registry.ClientNotAvailable):
        registry.channel_type("etsy")


def test_token_hosts_refuse_other_hosts():
    assert endpoint_problem("https://evil.example.com/auth/o2/token", "amazon_token")
    assert endpoint_problem("https://api.amazon.co.uk/auth/o2/token", "amazon_token") is None
    assert endpoint_problem("http://127.0.0.1:9/auth/o2/token", "amazon_token")
    assert endpoint_problem("http://127.0.0.1:9/x", "ebay_token", allow_test_hosts=True) is None


def test_consent_links_of_the_token_flows():
    """Each flow builds its own consent link: eBay's authorization code grant sends the
    seller back to the app's RuName with the scopes asked for; Amazon's names the app by its
    application id (draft apps: version=beta)."""
    ebay = registry.token_flow("ebay")
    assert ebay.consent_link("app-1") == ""  # no RuName: nowhere to send the seller back
    link = urlsplit(ebay.consent_link("app-1", redirect="Shop-Shop-PRD-1", scope="a b"))
    assert (link.scheme, link.netloc, link.path) == ("https", "auth.ebay.com", "/oauth2/authorize")
    assert parse_qs(link.query) == {
        "client_id": ["app-1"],
        "redirect_uri": ["Shop-Shop-PRD-1"],
        "response_type": ["code"],
        "scope": ["a b"],
    }
    assert parse_qs(urlsplit(ebay.consent_link("app-1", redirect="R")).query)["scope"] == [
        ebay.scope
    ]
    amazon = registry.token_flow("amazon")
    link = urlsplit(amazon.consent_link("amzn1.sp.solution.1", redirect="ignored"))
    assert link.netloc == "sellercentral.amazon.co.uk"
    assert parse_qs(link.query) == {"application_id": ["amzn1.sp.solution.1"], "version": ["beta"]}
    assert amazon.consent_link("") == ""
