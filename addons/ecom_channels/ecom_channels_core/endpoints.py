"""Which hosts a channel or carrier connection may send its credentials to.

Credentials go only to the service's own hosts over https: a base URL that points anywhere else
is refused when it is saved, and clients never follow a redirect to another host. Loopback
addresses (``127.0.0.0/8``, ``localhost``, ``[::1]``) over http or https are accepted only when
the server configuration allows test endpoints (the channel and carrier emulators), which a
production server never does.
"""

import ipaddress
from urllib.parse import urlsplit

#: Host names (exact) or suffixes (starting with a dot) of each service. ``None``: any https
#: host, for services that run on the merchant's own domain (a WooCommerce store).
ALLOWED_HOSTS = {
    "shopify": (".myshopify.com",),
    "woocommerce": None,
    "ebay": ("api.ebay.com", "api.sandbox.ebay.com", "apiz.ebay.com", "apiz.sandbox.ebay.com"),
    "ebay_token": ("api.ebay.com", "api.sandbox.ebay.com"),
    "amazon": (
        "sellingpartnerapi-na.amazon.com",
        "sellingpartnerapi-eu.amazon.com",
        "sellingpartnerapi-fe.amazon.com",
        "sandbox.sellingpartnerapi-na.amazon.com",
        "sandbox.sellingpartnerapi-eu.amazon.com",
        "sandbox.sellingpartnerapi-fe.amazon.com",
    ),
    "amazon_token": ("api.amazon.com", "api.amazon.co.uk", "api.amazon.co.jp"),
    "clickanddrop": ("api.parcel.royalmail.com",),
}


def is_loopback_host(host):
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_allowed(host, allowed):
    if allowed is None:
        return True
    return any(
        host == name.lstrip(".") if not name.startswith(".") else host.endswith(name)
        for name in allowed
    )


def endpoint_problem(url, service, allow_test_hosts=False):
    """Why ``url`` may not receive the credentials of ``service`` (a key of ALLOWED_HOSTS), in
    plain words; None when it may. An empty URL is no problem here (required-ness is checked
    elsewhere)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        # reading the port raises ValueError on a malformed one
        host, _port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "%s is not a valid URL" % url
    if parts.scheme not in ("http", "https") or not host:
        return "%s is not an http(s) URL with a host name" % url
    if parts.username or parts.password:
        return "%s must not carry a user name or password" % url
    if is_loopback_host(host):
        if allow_test_hosts:
            return None
        return (
            "%s is a local test address; it is accepted only on a server configured for test "
            "endpoints (ecom_test_endpoints = True)" % url
        )
    if parts.scheme != "https":
        return "%s must use https" % url
    allowed = ALLOWED_HOSTS.get(service, ())
    if not _host_allowed(host, allowed):
        return "%s is not a host of %s (expected %s)" % (
            url,
            service,
            ", ".join(("*" + n) if n.startswith(".") else n for n in allowed),
        )
    return None


def same_origin(url_a, url_b):
    """Whether two URLs have the same scheme, host and port (a redirect that may keep the
    credentials)."""
    a, b = urlsplit(url_a), urlsplit(url_b)
    return (a.scheme, (a.hostname or "").lower(), a.port) == (
        b.scheme,
        (b.hostname or "").lower(),
        b.port,
    )
