# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Plain unit tests of ecom_website_core (no database)."""

from odoo.addons.ecom_channels.ecom_channels_core.payloads import ListingPayload

from ..ecom_website_core import content


def test_missing_fields_needs_only_a_title():
    assert content.missing_fields(ListingPayload(sku="", title="Tent")) == []
    assert content.missing_fields(ListingPayload(sku="TENT", title="  ")) == ["a title"]


def test_page_title_drops_the_variant_values():
    assert content.page_title("Ridge Tent (Red, M)", "Red, M") == "Ridge Tent"
    assert content.page_title("Ridge Tent, storm-proof", "Red, M") == "Ridge Tent, storm-proof"
    assert content.page_title("Ridge Tent (Red)", "") == "Ridge Tent (Red)"
    assert content.page_title(" (Red, M)", "Red, M") == "(Red, M)"


def test_category_id_reads_positive_ids_only():
    assert content.category_id("42") == 42
    assert content.category_id(" 7 ") == 7
    for ref in ("", None, "0", "-3", "tents", "4.2"):
        assert content.category_id(ref) is None
