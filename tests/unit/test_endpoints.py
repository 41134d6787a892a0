"""Which hosts may receive a channel's or carrier's credentials."""

from ecom_channels_core.endpoints import endpoint_problem, is_loopback_host, same_origin


def test_real_hosts_over_https_are_accepted():
    assert endpoint_problem("https://northwind.myshopify.com", "shopify") is None
    assert endpoint_problem("https://api.ebay.com/ws/api.dll", "ebay") is None
    assert endpoint_problem("https://sellingpartnerapi-eu.amazon.com", "amazon") is None
    assert endpoint_problem("https://api.amazon.com/auth/o2/token", "amazon_token") is None
    assert endpoint_problem("https://api.parcel.royalmail.com/api/v1", "clickanddrop") is None
    # a WooCommerce store lives on the merchant's own domain
    assert endpoint_problem("https://shop.example.co.uk/wp-json", "woocommerce") is None
    assert endpoint_problem("", "shopify") is None


def test_other_hosts_plain_http_and_user_info_are_refused():
    assert "not a host of" in endpoint_problem("https://evil.example.com", "shopify")
    assert "not a host of" in endpoint_problem("https://myshopify.com.evil.io", "shopify")
    assert "not a host of" in endpoint_problem(
        "https://evil.com/api.parcel.royalmail.com", "clickanddrop"
    )
    assert "https" in endpoint_problem("http://shop.example.co.uk", "woocommerce")
    assert "user name" in endpoint_problem("https://a:b@northwind.myshopify.com", "shopify")
    assert "http(s)" in endpoint_problem("ftp://api.ebay.com", "ebay")
    assert "valid URL" in endpoint_problem("https://api.ebay.com:99999999", "ebay")


def test_loopback_only_with_the_test_flag():
    for url in ("http://127.0.0.1:8079/shopify", "http://localhost:1", "http://[::1]:5/x"):
        assert "test endpoints" in endpoint_problem(url, "shopify")
        assert endpoint_problem(url, "shopify", allow_test_hosts=True) is None
    # the flag opens loopback only, not any other host
    assert endpoint_problem("http://10.0.0.1", "woocommerce", allow_test_hosts=True)
    assert is_loopback_host("127.3.2.1") and not is_loopback_host("128.0.0.1")


def test_same_origin():
    assert same_origin("https://a.example/x", "https://A.example/y?z")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin("https://a.example/x", "http://a.example/x")
    assert not same_origin("http://127.0.0.1:80/x", "http://127.0.0.1:81/x")
