"""Unit tests of the backtest of ecom_replenishment_core: no Odoo, no database."""

from datetime import date, timedelta

import pytest
from ecom_replenishment_core import (
    ECOM,
    ECOM_SAFETY,
    METHODS,
    NAIVE,
    STATIC,
    BacktestSettings,
    DemandSettings,
    Outcome,
    ProductHistory,
    daily_history,
    observe_days,
    observe_events,
    order_quantity,
    recommend,
    simulate,
    totals,
)

WINDOW = 7
REPLAY = 10
SETTINGS = BacktestSettings(
    replay_days=REPLAY, review_days=7, demand=DemandSettings(window_days=WINDOW)
)
DAYS = tuple(date(2026, 1, 1) + timedelta(days=i) for i in range(WINDOW + REPLAY))


def product(key="p", sales=1.0, in_stock=True, **values):
    sales = sales if isinstance(sales, tuple) else (sales,) * len(DAYS)
    in_stock = in_stock if isinstance(in_stock, tuple) else (in_stock,) * len(DAYS)
    values = {"opening_stock": 3.0, "unit_cost": 10.0, "lead_days": 2.0, **values}
    return ProductHistory(key=key, days=DAYS, in_stock=in_stock, sales=sales, **values)


def test_order_quantity_rounds_like_odoo():
    assert order_quantity(5, 10, 30) == 25
    assert order_quantity(5, 10, 30, multiple=12) == 24  # a maximum: rounded down
    assert order_quantity(5, 10, 0, multiple=12) == 12  # no maximum: rounded up
    assert order_quantity(10, 10, 30) == 0.0  # not below the minimum
    assert order_quantity(-3, 0, 0) == 3  # Odoo's min 0 / max 0 rule covers what is owed


def test_static_rule_replayed_by_hand():
    """1 a day, 3 in stock, min 2 max 5, lead 2 days: orders of 4 on days 1, 5 and 9 (arriving
    on days 3, 7 and 11); closing stock 2 1 0 3 2 1 0 3 2 1."""
    outcome = simulate([product(static_min=2.0, static_max=5.0)], SETTINGS, [STATIC])[STATIC]["p"]
    assert (outcome.demanded, outcome.sold, outcome.stockout_days) == (10, 10, 0)
    assert (outcome.units_bought, outcome.orders) == (12, 3)
    assert outcome.average_stock_value == pytest.approx(15 * 10.0 / 10)
    assert outcome.fill_rate == 1.0


def test_lost_sales_and_stockout_days():
    """2 a day with 3 in stock and min 0 / max 0: nothing is ordered, 3 units sold."""
    outcome = simulate([product(sales=2.0)], SETTINGS, [STATIC])[STATIC]["p"]
    assert (outcome.demanded, outcome.sold, outcome.units_bought) == (20, 3, 0)
    # day 0 sells 2, day 1 sells 1 of 2 (short), then empty every day
    assert outcome.stockout_days == 9
    assert outcome.fill_rate == pytest.approx(0.15)


def test_days_without_known_demand_are_not_counted():
    """Days the product was really out of stock have no known demand: nothing is demanded or
    lost then, though the simulated stock is there."""
    in_stock = (True,) * (WINDOW + 2) + (False,) * (REPLAY - 2)
    outcome = simulate([product(in_stock=in_stock, opening_stock=20.0)], SETTINGS, [STATIC])
    outcome = outcome[STATIC]["p"]
    assert (outcome.demanded, outcome.sold, outcome.stockout_days) == (2, 2, 0)
    assert outcome.average_stock_value == pytest.approx((19 + 18 * 9) * 10.0 / 10)


def test_methods_see_the_real_window_before_the_replay():
    """Before the replay it sold 2 a day: at the first review the naive and our method set
    min 4 (2 x 2 days) and max 32 (+ 2 x 14): day 0 (3 left after 2 sold... ) orders."""
    history = product(sales=2.0, opening_stock=30.0)
    results = simulate([history], SETTINGS, [NAIVE, ECOM])
    for method in (NAIVE, ECOM):
        outcome = results[method]["p"]
        assert outcome.sold == 20, method
        assert outcome.stockout_days == 0, method
        # stock 30 falls to 4 after 13 days: within the 10 replayed days nothing is ordered
        assert outcome.units_bought == 0, method


def test_safety_stock_keeps_more_and_fills_more_when_demand_varies():
    sales = tuple(float(i % 3 * 2) for i in range(len(DAYS)))  # 0, 2, 4, ...
    results = simulate([product(sales=sales, opening_stock=4.0)], SETTINGS, [ECOM, ECOM_SAFETY])
    plain, safety = results[ECOM]["p"], results[ECOM_SAFETY]["p"]
    assert safety.average_stock_value > plain.average_stock_value
    assert safety.fill_rate >= plain.fill_rate


def test_one_early_sale_does_not_make_a_fast_mover():
    """A slow mover sold its only unit on the first day of a 60-day window, then was out of
    stock; two products of its category sell 1 a day. The naive rate (1 a day) buys for a fast
    mover; our estimate (0.21 a day: 1/14 x 1 + 13/14 x (9.33 + 1) / (9.33 + 60)) keeps a few
    units."""
    window, replay = 60, 14
    days = tuple(date(2026, 1, 1) + timedelta(days=i) for i in range(window + replay))
    common = {"days": days, "unit_cost": 10.0, "lead_days": 5.0, "rounding": 1.0}
    slow = ProductHistory(
        key="slow",
        in_stock=(True,) + (False,) * (window - 1) + (True,) * replay,
        sales=(1.0,) + (0.0,) * (window + replay - 1),
        opening_stock=0.0,
        **common,
    )
    others = [
        ProductHistory(
            key=key,
            in_stock=(True,) * len(days),
            sales=(1.0,) * len(days),
            opening_stock=80.0,
            **common,
        )
        for key in ("a", "b")
    ]
    settings = BacktestSettings(replay_days=replay, demand=DemandSettings(window_days=window))
    results = simulate([slow, *others], settings, [NAIVE, ECOM])
    naive, ours = results[NAIVE]["slow"], results[ECOM]["slow"]
    assert naive.units_bought == 19  # max 5 + 14, then nothing sells
    assert ours.units_bought == 5  # min 1.05 -> 2, max 2 + 2.94 -> 5
    assert naive.fill_rate == ours.fill_rate == 1.0  # nothing was demanded in the replay
    assert ours.average_stock_value < naive.average_stock_value


def test_totals_and_recommendation():
    results = simulate([product(static_min=2.0, static_max=5.0), product(key="q")], SETTINGS)
    summary = totals(results)
    assert set(summary) == set(METHODS)
    static = summary[STATIC]
    assert static.demanded == 20
    assert static.sold == results[STATIC]["p"].sold + results[STATIC]["q"].sold
    summary = {
        "a": Outcome(demanded=100, sold=95, stock_value_days=500, days=10),
        "b": Outcome(demanded=100, sold=97, stock_value_days=900, days=10),
        "c": Outcome(demanded=100, sold=96.8, stock_value_days=700, days=10),
    }
    # best fill rate 97 %; 96.8 % is within half a point and holds less stock
    assert recommend(summary) == "c"
    assert recommend(summary, tolerance=0.0) == "b"
    assert recommend({}) is None


def test_histories_must_cover_window_and_replay():
    short = ProductHistory(
        key="x", days=DAYS[:5], in_stock=(True,) * 5, sales=(1.0,) * 5, opening_stock=1.0
    )
    with pytest.raises(ValueError):
        simulate([short], SETTINGS)


def test_daily_history_agrees_with_the_observation():
    """The replay's days in stock are those of observe_events (the recompute's)."""
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(12)]
    events = [(1, 0.0, 3.0), (2, 1.0, -1.0), (4, 2.0, -2.0), (4, 0.0, 0.0), (8, 1.0, 4.0)]
    in_stock, sales, openings = daily_history(12, 0.0, events)
    assert in_stock == [False] + [True] * 4 + [False] * 3 + [True] * 4
    assert sales == [0, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0]
    assert openings[:5] == [0, 0, 3, 2, 2] and openings[9] == 4
    expected = observe_events(days, 0.0, events)
    assert observe_days(days, in_stock, sales) == expected
