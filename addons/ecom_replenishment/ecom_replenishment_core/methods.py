"""The replenishment methods a company chooses between and the backtest compares: the daily rate
each one sets the reorder levels from, and the levels it sets.

``static`` keeps the minimum and maximum configured by hand; ``naive`` uses the recorded sales
over the days in stock; ``ecom`` the evidence-weighted estimate (:func:`estimate_demand`);
``ecom_safety`` (backtest) the same with a safety stock at a service level.
"""

from .demand import estimate_demand
from .policy import reorder_levels, safety_stock

STATIC = "static"
NAIVE = "naive"
ECOM = "ecom"
ECOM_SAFETY = "ecom_safety"
METHODS = (STATIC, NAIVE, ECOM, ECOM_SAFETY)


def method_daily_rate(method, observation, settings=None, prior=None, estimate=None):
    """(daily sales, their standard deviation, estimate) that ``method`` sets the levels from:
    the naive in-stock rate for ``naive``, else the evidence-weighted estimate of the
    observation (``estimate`` when already made; made here otherwise). The estimate is None for
    ``naive`` when it was not given (the naive rate does not need it)."""
    if method == NAIVE:
        return observation.naive_rate, observation.naive_std, estimate
    if estimate is None:
        estimate = estimate_demand(observation, settings, prior)
    return estimate.daily_sales, estimate.std_daily, estimate


def method_levels(
    method,
    daily,
    std_daily,
    lead_days,
    interval_days,
    lead_std=0.0,
    service_level=0.0,
    min_order_qty=0.0,
    multiple=0.0,
    rounding=0.0,
    static=(0.0, 0.0),
):
    """(min, max, ReorderLevels) that ``method`` sets: the levels computed from the daily rate
    (with a safety stock at ``service_level``, none at 0), or for ``static`` the configured
    ``static`` (min, max) and the computed levels for information."""
    safety = safety_stock(daily, std_daily, lead_days, lead_std, service_level)
    levels = reorder_levels(
        daily,
        lead_days,
        interval_days,
        safety=safety,
        min_order_qty=min_order_qty,
        multiple=multiple,
        rounding=rounding,
    )
    if method == STATIC:
        return static[0], static[1], levels
    return levels.min_qty, levels.max_qty, levels
