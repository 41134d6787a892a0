"""Daily demand from sales on in-stock days, robust to spikes, slow movers and small samples.

Method (documented in readme/DESCRIPTION.md):

1. The window is a list of days (in the company's time zone). Starting from the stock at the
   opening of the first day, the stock at the end of each day is rebuilt from the day's net stock
   change. A day counts as *in stock* when the product was in stock at some moment of it: stock at
   the opening or at the close above zero, or a sale that day. A day out of stock from start to end
   is excluded from both the sales and the number of days.
2. Spikes: when the product sold on at least ``spike_min_selling_days`` days, a day whose sales
   exceed ``spike_factor`` times the median of the selling days is capped at that level; the excess
   is reported as excluded.
3. Rate: with at least ``min_in_stock_days`` days in stock the rate is the plain mean
   (sales / days in stock). With fewer days the observation is padded with pseudo-days at a prior
   rate (the pooled rate of the well-observed products of the same category, else 0) up to
   ``min_in_stock_days``: ``rate = (sales + prior * (min_days - days)) / min_days``. This is a
   credibility (shrinkage) estimator: a unit sold on the only day a product was in stock gives
   1 / 14 a day with the default settings, never 1 a day.
"""

import math
from dataclasses import dataclass, field
from statistics import median

EPSILON = 1e-9


@dataclass(frozen=True)
class DemandSettings:
    window_days: int = 90
    min_in_stock_days: int = 14
    spike_factor: float = 5.0
    spike_min_selling_days: int = 3


@dataclass(frozen=True)
class Observation:
    """What the history of one product in one warehouse shows, before any prior is applied."""

    sales: float  # net sales on in-stock days, spikes capped
    raw_sales: float  # net sales on in-stock days, as recorded
    in_stock_days: int
    window_days: int
    daily_values: tuple = ()  # capped net sales of each in-stock day
    spikes: tuple = ()  # (day, recorded sales, capped to)

    @property
    def out_of_stock_days(self):
        return self.window_days - self.in_stock_days

    @property
    def spike_excess(self):
        return sum(recorded - capped for _day, recorded, capped in self.spikes)

    def is_trusted(self, settings):
        return self.in_stock_days >= settings.min_in_stock_days


@dataclass(frozen=True)
class DemandEstimate:
    daily_sales: float
    std_daily: float
    method: str  # "observed", "shrunk" or "none"
    prior_rate: float
    observation: Observation = field(repr=False)


def observe(days, opening_stock, sales_by_day, delta_by_day, settings=None):
    """Rebuild the daily stock of one product over ``days`` and count the in-stock days.

    :param days: the days of the window, oldest first (any hashable, usually ``date``)
    :param opening_stock: quantity in stock at the opening of the first day
    :param sales_by_day: {day: net quantity sold (deliveries to customers - customer returns)}
    :param delta_by_day: {day: net change of the stock that day (all moves in and out)}
    """
    settings = settings or DemandSettings()
    stock = opening_stock
    values = []
    counted_days = []
    for day in days:
        sold = sales_by_day.get(day, 0.0)
        closing = stock + delta_by_day.get(day, 0.0)
        if stock > EPSILON or closing > EPSILON or sold > EPSILON:
            values.append(sold)
            counted_days.append(day)
        stock = closing
    raw = sum(values)
    capped, spikes = cap_spikes(counted_days, values, settings)
    return Observation(
        sales=max(sum(capped), 0.0),
        raw_sales=max(raw, 0.0),
        in_stock_days=len(values),
        window_days=len(days),
        daily_values=tuple(capped),
        spikes=tuple(spikes),
    )


def cap_spikes(days, values, settings):
    """Cap the days selling more than ``spike_factor`` x the median selling day."""
    selling = [value for value in values if value > EPSILON]
    if len(selling) < settings.spike_min_selling_days:
        return list(values), []
    cap = settings.spike_factor * median(selling)
    capped, spikes = [], []
    for day, value in zip(days, values, strict=True):
        if value > cap + EPSILON:
            spikes.append((day, value, cap))
            value = cap
        capped.append(value)
    return capped, spikes


def pooled_rate(observations, settings=None):
    """Rate of a group of products (e.g. a category): total sales / total in-stock days of the
    products observed long enough to be trusted; 0 when none is."""
    settings = settings or DemandSettings()
    trusted = [obs for obs in observations if obs.is_trusted(settings)]
    days = sum(obs.in_stock_days for obs in trusted)
    return sum(obs.sales for obs in trusted) / days if days else 0.0


def estimate_demand(observation, settings=None, prior_rate=0.0):
    """Daily sales and their standard deviation from an observation (see the module doc)."""
    settings = settings or DemandSettings()
    days = observation.in_stock_days
    if not days:
        return DemandEstimate(0.0, 0.0, "none", prior_rate, observation)
    values = observation.daily_values or (observation.sales / days,) * days
    mean = observation.sales / days
    variance = sum((value - mean) ** 2 for value in values) / days
    if observation.is_trusted(settings):
        return DemandEstimate(mean, math.sqrt(variance), "observed", prior_rate, observation)
    min_days = settings.min_in_stock_days
    rate = (observation.sales + prior_rate * (min_days - days)) / min_days
    # pseudo-days are taken as Poisson at the prior rate (variance = prior rate)
    std = math.sqrt((variance * days + prior_rate * (min_days - days)) / min_days)
    return DemandEstimate(rate, std, "shrunk", prior_rate, observation)
