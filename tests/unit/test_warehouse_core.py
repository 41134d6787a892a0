"""The plain-Python warehouse rules of ecom_warehouse (no Odoo, no database)."""

from datetime import date

import pytest
from ecom_warehouse_core import (
    CountPolicy,
    abc_classes,
    count_due_date,
    fill_rate,
    inventory_quantity_to_set,
    is_due,
    natural_key,
    receipt_status,
    route_sort,
)


def test_natural_key_orders_numbers_by_value():
    names = ["A-10-1", "A-2-1", "a-2-10", "A-2-2", "B-01-1", "A-02-3"]
    assert sorted(names, key=natural_key) == [
        "A-2-1",
        "A-2-2",
        "A-02-3",
        "a-2-10",
        "A-10-1",
        "B-01-1",
    ]


def test_route_sort_sequence_wins_over_name():
    bins = [("A-01-1", 0), ("C-01-1", 0), ("B-01-1", 0), ("Z-99-9", -5), ("A-01-2", 10)]
    ordered = route_sort(bins, name=lambda b: b[0], sequence=lambda b: b[1])
    assert [b[0] for b in ordered] == ["Z-99-9", "A-01-1", "B-01-1", "C-01-1", "A-01-2"]


def test_abc_classes_by_cumulative_value():
    values = {"p1": 700.0, "p2": 150.0, "p3": 100.0, "p4": 50.0, "p5": 0.0}
    classes = abc_classes(values, a_share=0.8, b_share=0.95)
    assert classes == {"p1": "a", "p2": "a", "p3": "b", "p4": "c", "p5": "c"}


def test_abc_single_big_seller_is_a_and_empty_is_c():
    assert abc_classes({"x": 10.0, "y": 0.0}) == {"x": "a", "y": "c"}
    assert abc_classes({}) == {}
    assert abc_classes({"x": 0.0}) == {"x": "c"}
    with pytest.raises(ValueError):
        abc_classes({"x": 1.0}, a_share=0.9, b_share=0.5)


def test_count_due_dates():
    policy = CountPolicy(a_days=30, b_days=90, c_days=365)
    today = date(2026, 6, 1)
    created = date(2026, 1, 1)
    assert count_due_date(policy, "a", date(2026, 5, 1), created) == (date(2026, 5, 31), "schedule")
    assert count_due_date(policy, "b", date(2026, 5, 1), created)[0] == date(2026, 7, 30)
    assert count_due_date(policy, "c", date(2026, 5, 1), created)[0] == date(2027, 5, 1)
    assert count_due_date(policy, "c", None, created) == (created, "never")
    assert count_due_date(policy, "c", date(2026, 5, 31), created, today, "zero") == (
        today,
        "zero",
    )
    # Already due by the schedule before the request: the earlier date stays.
    assert count_due_date(policy, "a", date(2026, 4, 1), created, today, "zero") == (
        date(2026, 5, 1),
        "schedule",
    )
    assert is_due(date(2026, 5, 31), today)
    assert not is_due(date(2026, 6, 2), today)
    assert not is_due(None, today)
    with pytest.raises(ValueError):
        CountPolicy(a_days=0).interval("a")


def test_inventory_quantity_keeps_picked_units():
    assert inventory_quantity_to_set(7, 0) == 7
    assert inventory_quantity_to_set(7, 3) == 10
    with pytest.raises(ValueError):
        inventory_quantity_to_set(-1, 0)


def test_receipt_status_and_tolerance():
    ok = receipt_status(10, 10, tolerance_pct=5)
    assert (ok.status, ok.difference, ok.needs_confirmation) == ("ok", 0, False)
    within = receipt_status(20, 21, tolerance_pct=5)
    assert (within.status, within.needs_confirmation) == ("over", False)
    beyond = receipt_status(20, 22, tolerance_pct=5)
    assert (beyond.status, beyond.needs_confirmation) == ("over", True)
    assert receipt_status(10, 0).status == "pending"
    assert receipt_status(10, 0, final=True).status == "short"
    assert receipt_status(10, 4).status == "short"
    unexpected = receipt_status(0, 2)
    assert (unexpected.status, unexpected.needs_confirmation) == ("unexpected", True)
    with pytest.raises(ValueError):
        receipt_status(1, 1, tolerance_pct=-1)


def test_fill_rate_ignores_over_and_unexpected():
    assert fill_rate([(10, 12), (10, 5), (0, 3)]) == pytest.approx(15 / 20)
    assert fill_rate([(0, 3)]) is None
