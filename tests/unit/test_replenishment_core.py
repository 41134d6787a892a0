"""Unit tests of ecom_replenishment_core: no Odoo, no database."""

import random
from datetime import date, timedelta

import pytest
from ecom_replenishment_core import (
    BAYES,
    CROSTON,
    MEAN,
    MEASURED,
    NONE,
    VENDOR,
    ComparablePool,
    DemandSettings,
    Prior,
    Profile,
    category_distance,
    choose_lead_time,
    croston_sba,
    daily_events,
    days_of_cover,
    estimate_demand,
    near_categories,
    observe,
    observe_events,
    reorder_levels,
    round_up,
    safety_stock,
    similarity,
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
    assert estimate.method == MEAN
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


# --------------------------------------------------------------------------- little evidence

N14 = DemandSettings(min_in_stock_days=14)
SAME = Profile(category=(1, 7), price=20.0, age_days=200)


def steady(days, rate, opening=1000.0):
    return observe(days, opening, *history(days, {i: rate for i in range(len(days))}))


def test_slow_mover_single_unit_sold_on_day_one_is_not_one_a_day():
    """No comparable product: the prior is the product's own listed days (1 sold in 90)."""
    days = window(90)
    obs = observe(days, 1.0, *history(days, {0: 1.0}))
    assert (obs.in_stock_days, obs.listed_days, obs.selling_days) == (1, 90, 1)
    estimate = estimate_demand(obs, N14)
    assert estimate.method == BAYES
    # 1/14 x 1 a day in stock + 13/14 x 1 sold in 90 listed days
    assert estimate.daily_sales == pytest.approx(103 / 1260)
    assert estimate.confidence == pytest.approx(1 / 14)
    assert estimate.listed_rate == pytest.approx(1 / 90)


def test_brief_case_one_sale_among_fast_sellers_stays_low():
    """Issue 17: 1 unit received, sold the same day, then 59 days out of stock, in the category
    of two products selling 2 and 1 a day. The shrinkage of old gave 1.359 a day."""
    days = window(60)
    pool = ComparablePool(N14)
    pool.add(SAME, steady(days, 2.0))
    pool.add(SAME, steady(days, 1.0))
    prior = pool.prior(SAME)
    assert (prior.rate, prior.comparables) == (pytest.approx(1.5), pytest.approx(2.0))
    assert prior.weight_days(N14) == pytest.approx(28 / 3)  # 14 x 2 / (2 + 1)
    obs = observe(days, 0.0, {days[0]: 1.0}, {days[0]: 0.0})  # received and sold on day 0
    estimate = estimate_demand(obs, N14, prior)
    # listed: (28/3 x 1.5 + 1) / (28/3 + 60) = 45/208; then 1/14 x 1 + 13/14 x 45/208
    assert estimate.listed_rate == pytest.approx(45 / 208)
    assert estimate.daily_sales == pytest.approx(793 / 2912)
    assert estimate.daily_sales < 0.5
    assert not estimate.capped
    assert reorder_levels(estimate.daily_sales, 5, 14, rounding=1.0).min_qty == 2.0


def test_one_sale_is_never_above_the_naive_in_stock_rate():
    """A new product (listed one day) sold one unit among comparables selling 1.5 a day: the
    posterior (616/434 a day) is held at the 1 a day seen."""
    days = window(60)
    pool = ComparablePool(N14)
    pool.add(SAME, steady(days, 2.0))
    pool.add(SAME, steady(days, 1.0))
    obs = observe(days, 0.0, {days[59]: 1.0}, {days[59]: 1.0})
    assert obs.listed_days == 1
    estimate = estimate_demand(obs, N14, pool.prior(SAME))
    assert estimate.listed_rate == pytest.approx(45 / 31)
    assert estimate.capped
    assert estimate.daily_sales == pytest.approx(1.0)


def test_full_confidence_ignores_the_prior():
    """40 days in stock at 2 a day give 2, whatever the comparables sell."""
    days = window(60)
    obs = observe(days, 80.0, *history(days, {i: 2.0 for i in range(40)}))
    estimate = estimate_demand(obs, N14, Prior(rate=0.1, comparables=5))
    assert (estimate.method, estimate.daily_sales, estimate.confidence) == (MEAN, 2.0, 1.0)


def test_new_product_leans_on_comparables():
    """3 days in stock (and listed), 6 sold; comparables sell 1.5 a day (c = 2)."""
    days = window(60)
    obs = observe(days, 0.0, *history(days, {57: 2.0, 58: 2.0, 59: 2.0}, receipts={57: 10.0}))
    assert (obs.in_stock_days, obs.listed_days) == (3, 3)
    estimate = estimate_demand(obs, N14, Prior(rate=1.5, comparables=2))
    listed = (14 + 6) / (28 / 3 + 3)  # 60/37
    assert estimate.daily_sales == pytest.approx(3 / 14 * 2 + 11 / 14 * listed)


def test_zero_sales():
    days = window(30)
    obs = observe(days, 5.0, {}, {})
    assert (obs.in_stock_days, obs.selling_days) == (30, 0)
    assert estimate_demand(obs, N14, Prior(rate=1.0, comparables=1)).daily_sales == 0.0
    # 5 days in stock without a sale, new product: (7 x 1) / (7 + 5) weighs 9/14 = 0.375, held
    # at one unit over the 5 days in stock
    obs = observe(days, 0.0, {}, {days[25]: 3.0})
    assert (obs.in_stock_days, obs.listed_days) == (5, 5)
    estimate = estimate_demand(obs, N14, Prior(rate=1.0, comparables=1))
    assert estimate.capped
    assert estimate.daily_sales == pytest.approx(0.2)


def test_never_in_stock_gives_no_demand():
    days = window(10)
    obs = observe(days, 0.0, {}, {})
    estimate = estimate_demand(obs, N14, Prior(rate=3.0, comparables=4))
    assert estimate.method == NONE
    assert estimate.daily_sales == 0.0
    assert obs.listed_days == 0


def test_intermittent_seller_uses_croston_sba():
    """3 units every 10th day in stock: sizes 3, intervals from 10 smoothed by 5, 10, 10, ..."""
    days = window(60)
    sold = {i: 3.0 for i in (4, 14, 24, 34, 44, 54)}
    obs = observe(days, 100.0, *history(days, sold))
    assert obs.is_intermittent(N14)
    rate, size, interval = croston_sba(obs, N14)
    expected = 10.0
    for gap in (5, 10, 10, 10, 10, 10):
        expected += 0.1 * (gap - expected)
    assert (size, interval) == (3.0, pytest.approx(expected))
    assert rate == pytest.approx(0.95 * 3 / expected)
    estimate = estimate_demand(obs, N14)
    assert estimate.method == CROSTON
    assert estimate.daily_sales == pytest.approx(0.2936705, abs=1e-7)


def test_steady_slow_mover_keeps_its_low_rate():
    days = window(90)
    obs = observe(days, 10.0, *history(days, {0: 1.0, 45: 1.0}))
    # Croston: intervals 45 -> 40.6 (first sale on the first day) -> 41.04, then the 45 days
    # without a sale since the last one: 41.436; 0.95 / 41.436
    assert estimate_demand(obs).daily_sales == pytest.approx(0.95 / 41.436)


def test_croston_notices_a_product_that_stopped_selling():
    """2 units every 3rd day for 45 days, then 30 days in stock without a sale."""
    days = window(75)
    obs = observe(days, 100.0, *history(days, {i: 2.0 for i in range(0, 45, 3)}))
    assert obs.is_intermittent(N14)  # 15 sales, the last on day 42: 43 / 15 = 2.87 days apart
    interval = 75 / 15
    for gap in [1] + [3] * 14:
        interval += 0.1 * (gap - interval)
    interval += 0.1 * (75 - 42 - interval)  # 33 days in stock since the last sale
    rate, size, smoothed = croston_sba(obs, N14)
    assert (size, smoothed) == (2.0, pytest.approx(interval))
    assert rate == pytest.approx(0.95 * 2 / interval)
    assert rate < 30 / 75


def test_sales_stopping_is_not_intermittence():
    """2 a day for 20 days, then 10 days in stock without a sale: sales one day apart, the mean
    of the 30 days in stock."""
    days = window(30)
    obs = observe(days, 60.0, *history(days, {i: 2.0 for i in range(20)}))
    assert not obs.is_intermittent(N14)
    assert estimate_demand(obs, N14).daily_sales == pytest.approx(40 / 30)


def test_regular_seller_is_not_intermittent():
    days = window(30)
    obs = observe(days, 100.0, *history(days, {i: 1.0 + i % 3 for i in range(30)}))
    assert not obs.is_intermittent(N14)
    assert estimate_demand(obs).method == MEAN


# --------------------------------------------------------------------------- comparables


def test_similarity_of_category_price_and_age():
    same = SAME.key
    assert similarity(same, same) == 1.0
    assert similarity(same, Profile((1,), 20.0, 200).key) == 0.5  # parent category
    assert similarity(same, Profile((1, 8), 20.0, 200).key) == 0.25  # sibling
    assert similarity(same, Profile((2, 7), 20.0, 200).key) == 0.0  # another branch
    assert similarity(same, Profile((1, 7), 45.0, 200).key) == 0.5  # next price band
    assert similarity(same, Profile((1, 7), 20.0, 10).key) == 0.25  # new vs established
    assert similarity(same, Profile((1, 7), 0.0, 200).key) == 1.0  # no price: no penalty


def test_pool_weights_comparables_and_skips_untrusted():
    days = window(30)
    pool = ComparablePool(N14)
    pool.add(SAME, steady(days, 1.0))
    pool.add(Profile((1, 8), 20.0, 200), steady(days, 3.0))  # sibling, weight 0.25
    pool.add(SAME, observe(days, 1.0, *history(days, {0: 1.0})))  # 1 day in stock: skipped
    pool.add(Profile((2, 9), 20.0, 200), steady(days, 50.0))  # unrelated
    prior = pool.prior(SAME)
    assert prior.rate == pytest.approx((30 + 0.25 * 90) / (30 + 0.25 * 30))
    assert prior.comparables == pytest.approx(1.25)
    assert pool.prior(Profile((3,), 20.0, 200)) == Prior(0.0, 0.0)


def test_sparse_observation_matches_day_by_day():
    """observe() visits only the days with moves; the same history day by day agrees."""
    rng = random.Random(7)
    days = window(120)
    for _case in range(200):
        stock = opening = float(rng.choice([0, 0, 1, 5]))
        sales, delta, in_stock, first = {}, {}, 0, None
        for index, day in enumerate(days):
            received = float(rng.choice([0] * 12 + [3, 10]))
            sold = min(stock + received, float(rng.choice([0, 0, 0, 1, 2])))
            if received or sold:
                sales[day], delta[day] = sold, received - sold
            closing = stock + received - sold
            if stock > 0 or closing > 0 or sold > 0:
                in_stock += 1
                first = index if first is None else first
            stock = closing
        obs = observe(days, opening, {d: s for d, s in sales.items() if s}, delta)
        assert obs.in_stock_days == in_stock
        assert obs.listed_days == (len(days) - first if first is not None else 0)
        assert obs.raw_sales == pytest.approx(sum(sales.values()))


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


def test_moves_in_any_order_summed_by_day():
    """The recompute reads move lines per product in any order: several on a day are summed."""
    days = window(10)
    sales, delta = history(days, {1: 2.0, 3: 1.0, 4: 5.0}, receipts={0: 4.0, 4: 5.0})
    expected = observe(days, 0.0, sales, delta)
    # the same moves, one line each, shuffled: receipts, then the sales
    moves = [(0, 0.0, 4.0), (4, 0.0, 5.0), (4, 5.0, -5.0), (3, 1.0, -1.0), (1, 2.0, -2.0)]
    moves.append((12, 0.0, 7.0))  # after the window: only the opening stock would use it
    obs = observe_events(days, 0.0, daily_events(*zip(*moves, strict=True)))
    assert obs == expected
    assert (obs.in_stock_days, obs.sales, obs.listed_days) == (10, 8.0, 10)


def test_near_categories_are_those_within_two_steps():
    """The pool looks only at the categories similarity() does not rule out."""
    paths = [(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), (1, 2, 5), (1, 6), (1, 6, 7), (8,)]
    for target in paths:
        expected = {path for path in paths if category_distance(target, path) <= 2}
        assert near_categories(target, set(paths)) == expected, target
    assert near_categories((1, 2, 3), set(paths)) == {
        (1,),
        (1, 2),
        (1, 2, 3),
        (1, 2, 3, 4),
        (1, 2, 5),
    }
