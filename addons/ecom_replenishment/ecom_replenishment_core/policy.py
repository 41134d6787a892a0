"""Reorder levels from a daily rate: min = rate x lead time (+ safety stock),
max = min + rate x order interval, with supplier minimum quantities and pack multiples."""

import math
from dataclasses import dataclass
from statistics import NormalDist

EPSILON = 1e-9


@dataclass(frozen=True)
class ReorderLevels:
    min_qty: float
    max_qty: float
    safety_stock: float
    order_qty: float  # max - min, the quantity of a regular order


def round_up(quantity, rounding=0.0):
    """``quantity`` rounded up to a multiple of ``rounding`` (no rounding when it is 0)."""
    if rounding <= 0:
        return quantity
    steps = math.ceil(quantity / rounding - 1e-6)
    digits = max(0, -math.floor(math.log10(rounding))) + 2
    return round(steps * rounding, digits)


def z_score(service_level):
    """Standard normal quantile of a service level given in percent (0 or 100+ -> no safety)."""
    if not service_level or service_level <= 0 or service_level >= 100:
        return 0.0
    return NormalDist().inv_cdf(service_level / 100.0)


def safety_stock(daily, std_daily, lead_days, std_lead, service_level):
    """z x sqrt(L * sd_d^2 + d^2 * sd_L^2): variance of demand over a variable lead time."""
    z = z_score(service_level)
    if z <= 0:
        return 0.0
    variance = max(lead_days, 0.0) * std_daily**2 + daily**2 * std_lead**2
    return z * math.sqrt(variance)


def regular_order(daily, interval_days, min_order_qty=0.0, multiple=0.0, rounding=0.0):
    """The regular order of :func:`reorder_levels`: the sales of the order interval, at least
    the supplier's minimum, in whole packs."""
    order_qty = max(daily * max(interval_days, 0.0), min_order_qty or 0.0)
    if multiple and multiple > 0:
        order_qty = max(math.ceil(order_qty / multiple - EPSILON), 1) * multiple
    return round_up(order_qty, rounding)


def reorder_levels(
    daily,
    lead_days,
    interval_days,
    safety=0.0,
    min_order_qty=0.0,
    multiple=0.0,
    rounding=0.0,
):
    """Min and max of a reordering rule.

    The regular order (max - min) is at least the supplier's minimum quantity and a whole number
    of packs, so that Odoo's order quantity (rounded to the multiple) keeps the stock above min.
    """
    if daily <= EPSILON:
        return ReorderLevels(0.0, 0.0, 0.0, 0.0)
    min_qty = round_up(daily * max(lead_days, 0.0) + max(safety, 0.0), rounding)
    order_qty = regular_order(daily, interval_days, min_order_qty, multiple, rounding)
    return ReorderLevels(min_qty, round_up(min_qty + order_qty, rounding), safety, order_qty)


def days_of_cover(quantity, daily):
    """Days the quantity lasts at the daily rate (None when nothing sells)."""
    if daily <= EPSILON:
        return None
    return max(quantity, 0.0) / daily


def stockout_probability(quantity, daily, std_daily, lead_days, std_lead=0.0):
    """Probability that demand until the next delivery (in ``lead_days``) exceeds ``quantity``,
    demand over the lead time being taken as normal."""
    if daily <= EPSILON or lead_days <= 0:
        return 0.0
    mean = daily * lead_days
    variance = lead_days * std_daily**2 + daily**2 * std_lead**2
    if variance <= EPSILON:
        return 1.0 if quantity < mean - EPSILON else 0.0
    return 1.0 - NormalDist(mean, math.sqrt(variance)).cdf(quantity)
