"""The stock push's plain helpers: backoff and drift."""

from ecom_channels_core.stock_sync import backoff_seconds, find_drift, sellable_quantity


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
