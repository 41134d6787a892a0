"""Unit tests of ecom_replenishment_core: no Odoo, no database."""

from datetime import date, timedelta

import pytest
from ecom_replenishment_core import (
    MEASURED,
    VENDOR,
    DemandSettings,
    choose_lead_time,
    days_of_cover,
    estimate_demand,
    observe,
    pooled_rate,
    reorder_levels,
    round_up,
    safety_stock,
    stockout_probability,
    z_score,
)

START = date(2026, 1, 1)


def window(n=30):
    return [START + timedelta(days=i) for i in range(n)]


def history(days, sales, receipts=None):
    """sales/receipts: {day index: qty}; returns (sales_by_day, delta_by_day)."""
    receipts = receipts or {}
    sales_by_day = {days[i]: qty for i, qty in sales.items()}
    delta_by_day = {days[i]: -qty for i, qty in sales.items()}
    for i, qty in receipts.items():
        delta_by_day[days[i]] = delta_by_day.get(days[i], 0.0) + qty
    return sales_by_day, delta_by_day


# --------------------------------------------------------------------------- in-stock days


def test_out_of_stock_days_are_excluded():
    """2 a day for 20 days, then 10 days out of stock: 2 a day, not 40 / 30 = 1.33."""
    days = window(30)
    sales, delta = history(days, {i: 2.0 for i in range(20)})
    obs = observe(days, 40.0, sales, delta)
    assert obs.in_stock_days == 20
    assert obs.out_of_stock_days == 10
    assert obs.sales == 40.0
    estimate = estimate_demand(obs)
    assert estimate.method == "observed"
    assert estimate.daily_sales == pytest.approx(2.0)
    assert estimate.std_daily == pytest.approx(0.0)


def test_day_of_restock_counts_as_in_stock():
    days = window(5)
    # out of stock days 0-1, receipt on day 2 in the afternoon, then in stock
    sales, delta = history(days, {3: 1.0}, receipts={2: 5.0})
    obs = observe(days, 0.0, sales, delta)
    assert obs.in_stock_days == 3  # days 2, 3, 4
    assert obs.sales == 1.0


def test_sell_out_day_counts_even_when_closing_at_zero():
    days = window(3)
    sales, delta = history(days, {1: 3.0}, receipts={1: 3.0})
    obs = observe(days, 0.0, sales, delta)
    assert obs.in_stock_days == 1


def test_returns_are_netted():
    days = window(20)
    sales = {days[i]: 2.0 for i in range(20)}
    sales[days[5]] = 2.0 - 4.0  # two sold, four returned
    delta = {day: -qty for day, qty in sales.items()}
    obs = observe(days, 100.0, sales, delta)
    assert obs.sales == pytest.approx(36.0)
    assert estimate_demand(obs).daily_sales == pytest.approx(1.8)


# --------------------------------------------------------------------------- slow movers


def test_slow_mover_single_unit_sold_on_day_one_is_not_one_a_day():
    days = window(90)
    sales, delta = history(days, {0: 1.0})
    obs = observe(days, 1.0, sales, delta)
    assert obs.in_stock_days == 1
    estimate = estimate_demand(obs, DemandSettings(min_in_stock_days=14))
    assert estimate.method == "shrunk"
    assert estimate.daily_sales == pytest.approx(1 / 14)
    assert estimate.daily_sales < 0.1


def test_slow_mover_shrinks_towards_category_rate():
    days = window(90)
    sales, delta = history(days, {0: 1.0})
    obs = observe(days, 1.0, sales, delta)
    estimate = estimate_demand(obs, DemandSettings(min_in_stock_days=14), prior_rate=0.5)
    assert estimate.daily_sales == pytest.approx((1 + 0.5 * 13) / 14)
    assert estimate.prior_rate == 0.5


def test_pooled_rate_uses_trusted_products_only():
    days = window(30)
    settings = DemandSettings(min_in_stock_days=14)
    well_observed = observe(days, 100.0, *history(days, {i: 1.0 for i in range(30)}))
    other = observe(days, 100.0, *history(days, {i: 3.0 for i in range(0, 30, 2)}))
    newcomer = observe(days, 1.0, *history(days, {0: 1.0}))
    rate = pooled_rate([well_observed, other, newcomer], settings)
    assert rate == pytest.approx((30 + 45) / 60)
    assert pooled_rate([newcomer], settings) == 0.0


def test_never_in_stock_gives_no_demand():
    days = window(10)
    obs = observe(days, 0.0, {}, {})
    estimate = estimate_demand(obs)
    assert estimate.method == "none"
    assert estimate.daily_sales == 0.0


def test_steady_slow_mover_keeps_its_low_rate():
    days = window(90)
    obs = observe(days, 10.0, *history(days, {0: 1.0, 45: 1.0}))
    assert estimate_demand(obs).daily_sales == pytest.approx(2 / 90)


# --------------------------------------------------------------------------- spikes


def test_spike_is_capped_and_reported():
    days = window(30)
    sold = {i: 2.0 for i in range(30)}
    sold[10] = 100.0  # one bulk order
    obs = observe(days, 500.0, *history(days, sold))
    assert len(obs.spikes) == 1
    day, recorded, capped = obs.spikes[0]
    assert (day, recorded, capped) == (days[10], 100.0, 10.0)
    assert obs.spike_excess == pytest.approx(90.0)
    assert obs.raw_sales == pytest.approx(158.0)
    assert estimate_demand(obs).daily_sales == pytest.approx((58 + 10) / 30)


def test_no_spike_detection_on_too_few_selling_days():
    days = window(30)
    obs = observe(days, 50.0, *history(days, {0: 1.0, 5: 40.0}))
    assert obs.spikes == ()


# --------------------------------------------------------------------------- lead time


def test_lead_time_vendor_or_measured():
    assert choose_lead_time(7, VENDOR, samples=10, mean=4.0, std=1.0).days == 7.0
    measured = choose_lead_time(7, MEASURED, samples=5, mean=4.5, std=1.0)
    assert (measured.days, measured.std, measured.source) == (4.5, 1.0, MEASURED)
    too_few = choose_lead_time(7, MEASURED, samples=2, mean=4.5, std=1.0)
    assert (too_few.days, too_few.source) == (7.0, VENDOR)


# --------------------------------------------------------------------------- levels


def test_acceptance_levels_min_14_max_42():
    levels = reorder_levels(2.0, 7, 14, rounding=0.01)
    assert (levels.min_qty, levels.max_qty, levels.order_qty) == (14.0, 42.0, 28.0)


def test_supplier_minimum_and_pack_multiple():
    levels = reorder_levels(2.0, 7, 14, min_order_qty=50.0)
    assert (levels.min_qty, levels.max_qty) == (14.0, 64.0)
    levels = reorder_levels(2.0, 7, 14, multiple=12.0)
    assert (levels.min_qty, levels.max_qty) == (14.0, 50.0)  # 28 -> 36 = 3 packs
    levels = reorder_levels(0.1, 7, 14, multiple=12.0)
    assert levels.order_qty == 12.0


def test_no_demand_no_levels():
    assert reorder_levels(0.0, 7, 14).max_qty == 0.0


def test_levels_round_up_to_uom():
    levels = reorder_levels(1 / 14, 7, 14, rounding=1.0)
    assert (levels.min_qty, levels.max_qty) == (1.0, 2.0)
    assert round_up(0.501, 0.01) == 0.51
    assert round_up(14.000000001, 0.01) == 14.0


def test_safety_stock_from_demand_and_lead_time_variance():
    assert z_score(0) == 0.0
    assert z_score(95) == pytest.approx(1.6449, abs=1e-4)
    assert safety_stock(2.0, 1.0, 4.0, 0.0, 0) == 0.0
    assert safety_stock(2.0, 1.0, 4.0, 0.0, 95) == pytest.approx(1.6449 * 2, abs=1e-3)
    assert safety_stock(2.0, 0.0, 4.0, 1.0, 95) == pytest.approx(1.6449 * 2, abs=1e-3)
    levels = reorder_levels(2.0, 4, 14, safety=3.3)
    assert levels.min_qty == pytest.approx(11.3)


def test_days_of_cover_and_stockout_risk():
    assert days_of_cover(20, 2) == 10
    assert days_of_cover(20, 0) is None
    assert days_of_cover(-5, 2) == 0
    assert stockout_probability(10, 2, 0, 7) == 1.0
    assert stockout_probability(20, 2, 0, 7) == 0.0
    assert stockout_probability(14, 2, 1, 7) == pytest.approx(0.5)
    assert stockout_probability(30, 2, 1, 7) < 0.01
    assert stockout_probability(5, 0, 0, 7) == 0.0
