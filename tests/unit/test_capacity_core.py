"""The capacity model of the stock link (bench/capacity.py prints it)."""

import math

from ecom_channels_core.capacity import QUOTAS, Catalogue, ChannelQuota, drain_seconds, model


def test_quota_items_per_second_with_a_daily_cap():
    assert QUOTAS["woocommerce"].items_per_second() == 200.0
    ebay = QUOTAS["ebay"]
    assert math.isclose(ebay.items_per_second(), 5000 / 86400 * 4)
    assert ChannelQuota("x", 4, 5.0).items_per_second() == 20.0


def test_default_catalogue_is_limited_by_the_ebay_daily_quota_first():
    result = model()
    assert math.isclose(result["sku_changes_per_s"], 200_000 * 1.2 / 86400)
    assert math.isclose(result["peak_changes_per_s"], result["sku_changes_per_s"] * 3)
    by_name = {row["channel"]: row for row in result["channels"]}
    assert by_name["ebay"]["utilisation"] > 1 > by_name["shopify"]["utilisation"]
    assert result["bottleneck"] == "the ebay quota"
    assert result["workers_needed"] >= 1
    assert result["pg_cores"] < 1


def test_raised_ebay_quota_moves_the_bottleneck():
    quotas = {"ebay": ChannelQuota("ebay", 4, 5.0, calls_per_day=1_500_000)}
    result = model(Catalogue(lines_per_day=2_000_000), quotas=quotas)
    assert result["bottleneck"] != "the ebay quota"


def test_drain_seconds_is_calls_at_the_slower_of_rate_and_latency():
    quota = ChannelQuota("x", 100, 2.0, call_seconds=0.2)
    assert drain_seconds(0, quota) == 0.0
    assert math.isclose(drain_seconds(1000, quota), 9 * 0.5 + 0.2)
    assert math.isclose(drain_seconds(1001, ChannelQuota("y", 100, 10.0, call_seconds=0.3)), 3.3)
    assert drain_seconds(5, ChannelQuota("feed", 10000, 1 / 120.0, call_seconds=1.0)) == 1.0
