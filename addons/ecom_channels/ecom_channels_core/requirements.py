"""What each channel type requires of a listing before anything is sent, in plain words.

The check of a type is named by its declaration (``registry.TYPES[type].requirements``).
"""

from . import registry

EBAY_TITLE_MAX = 80


def _has(value):
    return value not in (None, "", [], {})


def _priced(payload):
    return payload.price is not None and payload.price > 0


def _shopify(payload):
    return [] if _has(payload.title) else ["a title"]


def _woocommerce(payload):
    missing = [] if _has(payload.title) else ["a title"]
    if not _priced(payload):
        missing.append("a price above zero")
    return missing


def _ebay(payload):
    missing = []
    if not _has(payload.title):
        missing.append("a title")
    elif len(payload.title) > EBAY_TITLE_MAX:
        missing.append(
            "a title of at most %d characters (it has %d)" % (EBAY_TITLE_MAX, len(payload.title))
        )
    if not _priced(payload):
        missing.append("a price above zero")
    if not _has(payload.category_id):
        missing.append("an eBay category id")
    if not _has(payload.condition):
        missing.append("an eBay condition (ConditionID)")
    if not _has(payload.description_html):
        missing.append("a description")
    return missing


def _amazon(payload):
    missing = []
    if not _has(payload.product_type):
        missing.append("an Amazon product type")
    if not (_has(payload.product_code) or _has(payload.asin)):
        missing.append("a GTIN (EAN/UPC barcode) or an ASIN")
    if not (_has(payload.title) or _has(payload.asin)):
        missing.append("a title (or an ASIN to match an existing catalogue item)")
    if not _priced(payload):
        missing.append("a price above zero")
    if not _has(payload.condition):
        missing.append("a condition (e.g. new_new)")
    return missing


_CHECKS = {
    "shopify": _shopify,
    "woocommerce": _woocommerce,
    "ebay": _ebay,
    "amazon": _amazon,
}


def missing_fields(channel_type, payload):
    """Return the plain-words list of what ``payload`` lacks for ``channel_type`` (empty: ready)."""
    missing = [] if _has(payload.sku) else ["a SKU (internal reference) to identify the item"]
    declared = registry.TYPES.get(channel_type)
    check = _CHECKS.get(declared.requirements) if declared else None
    if check is None:
        return missing + ["a known channel type (got %r)" % (channel_type,)]
    return missing + check(payload)
