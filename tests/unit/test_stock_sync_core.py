"""The stock push's plain helpers: backoff and drift."""

from ecom_channels_core.stock_sync import (
    backoff_seconds,
    daily_sales,
    days_of_cover,
    dynamic_buffer,
    find_drift,
    percentile,
    push_priority,
    sellable_quantity,
)


def test_backoff_doubles_up_to_the_cap():
    assert backoff_seconds(0) == 0
    assert [backoff_seconds(n) for n in range(1, 8)] == [60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_seconds(500) == 3600
    assert backoff_seconds(3, base=1, cap=10) == 4


def test_drift_compares_channel_with_sent_and_expected():
    local = {"A": (5, 5), "B": (5, 4), "C": (7, 7), "D": (3, 3), "E": (2, 9)}
    remote = {"A": 5, "B": 5, "C": 9, "E": 9}
    drifts, to_push = find_drift(local, remote)
    assert [(d.key, d.remote, d.missing) for d in drifts] == [
        ("C", 9, False),
        ("D", None, True),
        ("E", 9, False),
    ]
    # B shows what we sent but no longer what we sell; C was changed on the channel; E happens
    # to show the right quantity already; D is gone (nothing to push to).
    assert to_push == ["B", "C"]


def test_sellable_quantity_applies_the_rules_in_order():
    assert sellable_quantity(11) == 11
    assert sellable_quantity(11, buffer=1) == 10
    assert sellable_quantity(11, buffer=1, percent=55) == 5  # 5.5 rounded down
    assert sellable_quantity(10, percent=30) == 3  # 3.0000000000000004 is still 3
    assert sellable_quantity(11, buffer=1, percent=55, maximum=4) == 4
    assert sellable_quantity(11, buffer=1, percent=55, zero_below=5) == 0
    assert sellable_quantity(11, buffer=1, percent=55, zero_below=4) == 5
    assert sellable_quantity(3, buffer=20) == 0  # never negative
    assert sellable_quantity(-4) == 0


def test_daily_sales_over_the_window():
    assert daily_sales({1: 28, 2: 0, 3: 7}, window_days=28) == {1: 1.0, 3: 0.25}


def test_push_priority_zero_then_cover_then_the_rest_oldest_first():
    waiting = {
        # key: (quantity, shown on the channel, daily sales, first change)
        "rise": (9, 5, 3.0, 1),  # the channel shows less than we hold
        "zero": (0, 4, 0.0, 9),
        "slow": (6, 8, 0.5, 2),  # 12 days of cover
        "fast": (6, 8, 3.0, 3),  # 2 days
        "new": (4, None, 0.0, 4),  # no sales history: 4 units, 4 "days"
        "rise2": (20, 10, 0.0, 0),
    }
    order = sorted(waiting, key=lambda key: push_priority(*waiting[key]))
    assert order == ["zero", "fast", "new", "slow", "rise2", "rise"]
    assert days_of_cover(10, 0) == 10.0
    assert days_of_cover(10, 2.0) == 5.0


def test_percentile_and_dynamic_buffer():
    assert percentile([]) is None
    assert percentile([5]) == 5
    assert percentile(list(range(1, 11))) == 9
    assert percentile(list(range(1, 101)), 0.9) == 90
    assert dynamic_buffer(0, 600) == 0
    assert dynamic_buffer(24.0, 3600) == 1  # one unit an hour, one hour late
    assert dynamic_buffer(24.0, 3601) == 2
    assert dynamic_buffer(2.0, 900) == 1
