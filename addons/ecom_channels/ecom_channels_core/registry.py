"""The channel types: one declaration per type, read by everything else.

Each ``ChannelType`` says, for one ``channel_type``: its label, its client class (imported only
when a channel needs it, as ``"module:ClassName"`` relative to this package, so that a type
whose client is not installed fails with a clear message when it is used, not when the addon is
loaded), the hosts its credentials may go to (a key of ``endpoints.ALLOWED_HOSTS``), how its
access tokens are obtained (the client class's ``token_flow``, see ``tokens.py``), how a seller
connects it (``connect``), the checks a listing must pass before anything is sent
(``requirements``: a function name of ``requirements.py``), the channel fields that become
client options (``options``: ``(option, field)``) and the module of ``ecom_accounting_core``
that reads its payouts (``payouts``; empty: the channel has no payout API).

Adding a channel type is adding one declaration here (and its client module).
"""

import importlib
from dataclasses import dataclass, field

from .errors import ChannelError


@dataclass(frozen=True)
class ChannelType:
    code: str
    label: str
    client: str
    endpoint: str
    #: ``oauth_code`` (consent page, code exchanged for tokens: eBay), ``lwa`` (a refresh
    #: token from Seller Central, or a consent code: Amazon), ``token`` (an access token pasted:
    #: Shopify), ``key_secret`` (key and secret pasted: WooCommerce).
    connect: str
    requirements: str
    options: tuple = field(default_factory=tuple)
    payouts: str = ""
    #: What ``account_ref`` holds for this type ("" when it is not used).
    account_ref: str = ""


#: Options every type with a dispatch time reads: (option, channel field).
_DISPATCH = ("dispatch_days", "dispatch_days")

TYPES = {
    t.code: t
    for t in (
        ChannelType(
            code="shopify",
            label="Shopify",
            client="shopify:ShopifyClient",
            endpoint="shopify",
            connect="token",
            requirements="shopify",
            options=(("location_id", "shopify_location_id"),),
            payouts="shopify",
            account_ref="Shop name",
        ),
        ChannelType(
            code="woocommerce",
            label="WooCommerce",
            client="woocommerce:WooCommerceClient",
            endpoint="woocommerce",
            connect="key_secret",
            requirements="woocommerce",
            account_ref="Store URL",
        ),
        ChannelType(
            code="ebay",
            label="eBay",
            client="ebay:EbayClient",
            endpoint="ebay",
            connect="oauth_code",
            requirements="ebay",
            options=(
                ("site_id", "ebay_site_id"),
                ("payment_profile_id", "ebay_payment_profile_id"),
                ("return_profile_id", "ebay_return_profile_id"),
                ("shipping_profile_id", "ebay_shipping_profile_id"),
                ("shipping_service", "ebay_shipping_service"),
                ("shipping_cost", "ebay_shipping_cost"),
                ("returns_within", "ebay_returns_within"),
                ("returns_paid_by", "ebay_returns_paid_by"),
                ("location", "ebay_location"),
                ("postal_code", "ebay_postal_code"),
                ("dispatch_time_max", "dispatch_days"),
                ("token_scope", "ebay_oauth_scopes"),
                ("finances_url", "ebay_finances_url"),
                ("signing_key_jwe", "ebay_signing_key_jwe"),
                ("signing_private_key", "ebay_signing_private_key"),
            ),
            payouts="ebay",
        ),
        ChannelType(
            code="amazon",
            label="Amazon",
            client="amazon:AmazonClient",
            endpoint="amazon",
            connect="lwa",
            requirements="amazon",
            options=(
                ("marketplace_ids", "amazon_marketplace_ids"),
                ("language_tag", "amazon_language_tag"),
                ("handling_days", "dispatch_days"),
            ),
            payouts="amazon",
            account_ref="Seller ID",
        ),
    )
}

#: ``channel_type`` -> ``"module:ClassName"`` (kept for callers of the older table).
CLIENTS = {code: t.client for code, t in TYPES.items()}


class ClientNotAvailable(ChannelError):
    """No client is available for this channel type (unknown type or module not installed)."""


def channel_type(code):
    """The ChannelType of ``code``; ClientNotAvailable when there is none."""
    declared = TYPES.get(code)
    if declared is None:
        raise ClientNotAvailable("No API client is known for channel type %r." % (code,))
    return declared


def selection():
    """``[(code, label)]`` of every declared type, for the ``channel_type`` field."""
    return [(t.code, t.label) for t in TYPES.values()]


def client_class(channel_type):
    """Return the client class of ``channel_type``; raise ClientNotAvailable when there is none."""
    spec = CLIENTS.get(channel_type)
    if not spec:
        raise ClientNotAvailable("No API client is known for channel type %r." % (channel_type,))
    module_name, _sep, class_name = spec.partition(":")
    try:
        module = importlib.import_module(".%s" % module_name, __package__)
    except ModuleNotFoundError as exc:
        # Only the client module itself missing means "not available"; a missing dependency
        # inside it is a real error and must surface as such.
        if exc.name not in ("%s.%s" % (__package__, module_name), module_name):
            raise
        raise ClientNotAvailable(
            "The %s API client (%s.py) is not available in this installation."
            % (channel_type, module_name)
        ) from None
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ClientNotAvailable(
            "The %s API client module has no class %s." % (channel_type, class_name)
        ) from None


def token_flow(code):
    """The tokens.TokenFlow of ``code`` (None: its credentials do not expire, or no client)."""
    try:
        return client_class(code).token_flow
    except ClientNotAvailable:
        return None


def available_types():
    """The channel types whose client can be imported, in registry order."""
    types = []
    for channel_type in CLIENTS:
        try:
            client_class(channel_type)
        except ClientNotAvailable:
            continue
        types.append(channel_type)
    return types


def build_client(channel_type, base_url, **kwargs):
    """Instantiate the client of ``channel_type`` with the constructor keyword arguments."""
    return client_class(channel_type)(base_url, **kwargs)


def payout_module(code, package):
    """The payout reader module of ``code`` inside ``package`` (ecom_accounting_core, given
    by the caller: this package does not depend on it); None when the type has none."""
    declared = TYPES.get(code)
    if declared is None or not declared.payouts:
        return None
    return importlib.import_module(".%s" % declared.payouts, package)
