"""Which client class speaks for which channel type, imported only when a channel needs it.

The registry maps ``channel_type`` to ``"module:ClassName"`` (modules relative to this package),
so that a channel type whose client is not installed (yet) fails with a clear message when it is
used, not when the addon is loaded.
"""

import importlib

from .errors import ChannelError

CLIENTS = {
    "shopify": "shopify:ShopifyClient",
    "woocommerce": "woocommerce:WooCommerceClient",
    "ebay": "ebay:EbayClient",
    "amazon": "amazon:AmazonClient",
}


class ClientNotAvailable(ChannelError):
    """No client is available for this channel type (unknown type or module not installed)."""


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
