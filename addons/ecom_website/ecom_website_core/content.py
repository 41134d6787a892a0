"""What the website channel shows of a listing, in plain Python.

The shop shows one page per product template, with its variants chosen on the page: the
listing of a variant gives the page its title (without the variant's own values, which the shop
shows in its selector), description, images and public category.
"""


def missing_fields(payload):
    """What a listing lacks before it can be published on the website, in plain words (empty:
    ready). The shop needs a title; prices come from the website's pricelists, stock from the
    channel's rules, and no SKU is needed to identify the product (it is the product itself)."""
    return [] if (payload.title or "").strip() else ["a title"]


#: Requirements of the website channel, counted in a listing's completeness.
REQUIRED_COUNT = 1


def page_title(title, variant_values):
    """The product page title for a variant listing titled ``title``: the title without the
    variant's values when it ends with them as Odoo names variants ("Tent (Red, M)" gives
    "Tent"); the title as it is otherwise. ``variant_values`` is the variant's combination
    name ("Red, M"), empty for a product without variants."""
    title = (title or "").strip()
    if variant_values:
        suffix = " (%s)" % variant_values
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
    return title


def category_id(ref):
    """The database id of the public category a mapping names (its channel category id), or
    None when the reference is not a positive whole number."""
    text = str(ref or "").strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value or None
