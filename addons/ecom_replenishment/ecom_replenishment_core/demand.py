"""Daily demand from sales on in-stock days, robust to spikes, slow movers and small samples.

Method (documented in readme/DESCRIPTION.md):

1. **Days in stock.** The window is a list of days (in the company's time zone). Starting from the
   stock at the opening of the first day, the stock at the end of each day is rebuilt from the
   day's net stock change. A day counts as *in stock* when the product was in stock at some moment
   of it: stock at the opening or at the close above zero, or a sale that day. A day out of stock
   from start to end is excluded from both the sales and the number of days. The *listed* days run
   from the first day in stock to the end of the window.
2. **Spikes.** When the product sold on at least ``spike_min_selling_days`` days, a day whose sales
   exceed ``spike_factor`` times the median of the selling days is capped at that level; the
   excess is reported as excluded.
3. **Rate**, by the evidence there is:

   - no day in stock: no evidence, no demand assumed (``none``);
   - at least ``min_in_stock_days`` days in stock (full confidence): the product's own rate, the
     mean of its days in stock (``mean``), or for an intermittent seller (more than
     ``intermittent_adi`` days in stock between two sales on average) Croston's method with
     the Syntetos-Boylan correction over the days in stock (``croston``);
   - fewer days in stock (``bayes``): a Poisson-Gamma posterior. The prior is the rate of
     comparable products (same or neighbouring category, similar price and age, weighted by how
     alike they are), worth ``min_in_stock_days`` x c / (c + 1) days of sales, c being the number
     of comparables (similarity-weighted), updated with the product's own listed days (sales and
     days since it was first in stock: long stock-outs nobody made up for weigh against a high
     rate). The product's own in-stock rate then gets the weight n / ``min_in_stock_days`` of its
     n days in stock, the prior the rest: the prior's weight shrinks as evidence grows and is
     gone at full confidence. With at most one selling day the result never exceeds the naive
     in-stock rate.
"""

import bisect
import functools
import math
from dataclasses import dataclass, field
from operator import itemgetter
from statistics import median

EPSILON = 1e-9
_first = itemgetter(0)

NONE = "none"
MEAN = "mean"
CROSTON = "croston"
BAYES = "bayes"


@dataclass(frozen=True)
class DemandSettings:
    window_days: int = 90
    min_in_stock_days: int = 14  # days in stock for full confidence in the product's own rate
    spike_factor: float = 5.0
    spike_min_selling_days: int = 3
    sba_alpha: float = 0.1  # smoothing of Croston's sizes and intervals
    intermittent_adi: float = 1.32  # Syntetos-Boylan cut-off of the average inter-demand interval


DEFAULT_SETTINGS = DemandSettings()


@dataclass(frozen=True)
class Observation:
    """What the history of one product in one warehouse shows, before any prior is applied."""

    sales: float  # net sales on in-stock days, spikes capped
    raw_sales: float  # net sales on in-stock days, as recorded
    in_stock_days: int
    window_days: int
    # the days in stock with net sales: their index among the days in stock, oldest first, and
    # their net sales, spikes capped
    demand_index: tuple = ()
    demand_values: tuple = ()
    spikes: tuple = ()  # (day, recorded sales, capped to)
    listed_days: int = 0  # days from the first day in stock to the end of the window
    raw_squares: float = 0.0  # sum of the squares of the recorded daily sales (naive variance)
    squares: float = 0.0  # sum of the squares of the capped daily sales
    selling_days: int = 0  # days in stock with positive net sales
    last_sale: int = -1  # index among the days in stock of the last of them

    @property
    def out_of_stock_days(self):
        return self.window_days - self.in_stock_days

    @property
    def spike_excess(self):
        return sum(recorded - capped for _day, recorded, capped in self.spikes)

    @property
    def daily_values(self):
        """Capped net sales of each day in stock, oldest first (zeros included)."""
        values = [0.0] * self.in_stock_days
        for index, value in zip(self.demand_index, self.demand_values, strict=True):
            values[index] = value
        return values

    @property
    def naive_rate(self):
        """Recorded sales / days in stock: the plain in-stock rate, nothing capped or shrunk."""
        return self.raw_sales / self.in_stock_days if self.in_stock_days else 0.0

    @property
    def naive_std(self):
        if not self.in_stock_days:
            return 0.0
        mean = self.raw_sales / self.in_stock_days
        return math.sqrt(max(self.raw_squares / self.in_stock_days - mean * mean, 0.0))

    def is_trusted(self, settings):
        return self.in_stock_days >= settings.min_in_stock_days

    def is_intermittent(self, settings):
        """Sells on few of its days in stock: at least two sales, and an average interval
        between them (the first counted from the first day in stock) above
        ``intermittent_adi`` days in stock."""
        selling = self.selling_days
        return selling >= 2 and (self.last_sale + 1) / selling > settings.intermittent_adi


@dataclass(frozen=True)
class Prior:
    """What comparable products sell: their rate and how many days of sales it is worth."""

    rate: float = 0.0
    comparables: float = 0.0  # similarity-weighted number of comparable products

    def weight_days(self, settings):
        return settings.min_in_stock_days * self.comparables / (self.comparables + 1.0)


@dataclass(frozen=True)
class DemandEstimate:
    daily_sales: float
    std_daily: float
    method: str  # NONE, MEAN, CROSTON or BAYES
    prior: Prior
    observation: Observation = field(repr=False)
    own_rate: float = 0.0  # the product's own rate on its days in stock (mean or Croston)
    confidence: float = 0.0  # weight of the own rate: days in stock / days for full confidence
    listed_rate: float = 0.0  # prior updated with the listed days (BAYES)
    capped: bool = False  # BAYES with at most one selling day, held at the naive rate
    croston: tuple = ()  # (units per sale, in-stock days between sales) when Croston was used

    @property
    def prior_rate(self):
        return self.prior.rate


def observe(days, opening_stock, sales_by_day, delta_by_day, settings=None):
    """Rebuild the daily stock of one product over ``days`` and count the in-stock days.

    :param days: the days of the window, oldest first (any hashable, usually ``date``)
    :param opening_stock: quantity in stock at the opening of the first day
    :param sales_by_day: {day: net quantity sold (deliveries to customers - customer returns)}
    :param delta_by_day: {day: net change of the stock that day (all moves in and out)}
    """
    position = {day: index for index, day in enumerate(days)}
    events = sorted(
        (position[day], sales_by_day.get(day, 0.0), delta_by_day.get(day, 0.0))
        for day in {*sales_by_day, *delta_by_day}
        if day in position
    )
    return observe_events(days, opening_stock, events, settings)


def observe_events(days, opening_stock, events, settings=None):
    """:func:`observe` from the days with moves only: ``events`` are (index of the day in
    ``days``, net sales, net stock change) by increasing index, several for a day being summed.
    Between two days with moves the stock does not change."""
    window = len(days)
    stock = opening_stock
    in_stock = 0
    first = None
    index_of, day_of, values = [], [], []
    done = 0  # window days processed
    day = -1
    sold = delta = 0.0
    for index, day_sold, day_delta in (*events, (window, 0.0, 0.0)):
        if index == day:
            sold += day_sold
            delta += day_delta
            continue
        if day >= 0:  # the previous day with moves, complete
            if day > done and stock > EPSILON:  # days without moves, in stock all day
                if first is None:
                    first = done
                in_stock += day - done
            closing = stock + delta
            if stock > EPSILON or closing > EPSILON or sold > EPSILON:
                if first is None:
                    first = day
                if sold > EPSILON or sold < -EPSILON:
                    index_of.append(in_stock)
                    day_of.append(day)
                    values.append(sold)
                in_stock += 1
            stock = closing
            done = day + 1
        if index >= window:
            break
        day, sold, delta = index, day_sold, day_delta
    if window > done and stock > EPSILON:
        if first is None:
            first = done
        in_stock += window - done
    return _observation(days, index_of, day_of, values, in_stock, first, settings)


def daily_events(days, sales, deltas):
    """The events of :func:`observe_events` from moves in any order: (day index, net sales, net
    stock change), by increasing day."""
    return sorted(zip(days, sales, deltas, strict=True), key=_first)


def observe_days(days, in_stock, sales, settings=None):
    """:func:`observe` when the days in stock are known: ``in_stock`` and ``sales`` give, for
    each day of ``days``, whether it counts and its net sales (ignored on days not counted)."""
    index_of, day_of, values = [], [], []
    count = 0
    first = None
    for index, (counted, sold) in enumerate(zip(in_stock, sales, strict=True)):
        if not counted:
            continue
        if first is None:
            first = index
        if sold > EPSILON or sold < -EPSILON:
            index_of.append(count)
            day_of.append(index)
            values.append(sold)
        count += 1
    return _observation(days, index_of, day_of, values, count, first, settings)


def _observation(days, index_of, day_of, values, in_stock, first, settings):
    settings = settings or DEFAULT_SETTINGS
    raw_squares = sum([value * value for value in values])
    selling = [value for value in values if value > EPSILON]
    capped, spikes = values, ()
    if len(selling) >= settings.spike_min_selling_days:
        cap = settings.spike_factor * median(selling)
        if max(selling) > cap + EPSILON:
            capped = [min(value, cap) for value in values]
            spikes = tuple(
                (days[day], value, cap)
                for day, value in zip(day_of, values, strict=True)
                if value > cap + EPSILON
            )
    last_sale = -1
    for position in range(len(capped) - 1, -1, -1):
        if capped[position] > EPSILON:
            last_sale = index_of[position]
            break
    return Observation(
        sales=max(sum(capped), 0.0),
        raw_sales=max(sum(values), 0.0),
        in_stock_days=in_stock,
        window_days=len(days),
        demand_index=tuple(index_of),
        demand_values=tuple(capped),
        spikes=spikes,
        listed_days=len(days) - first if first is not None else 0,
        raw_squares=raw_squares,
        squares=raw_squares if capped is values else sum([value * value for value in capped]),
        selling_days=len(selling),
        last_sale=last_sale,
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


def croston_sba(observation, settings=None):
    """Croston's method with the Syntetos-Boylan correction over the days in stock.

    Sizes (units per selling day) and intervals (days in stock from one sale to the next, the
    first counted from the first day in stock) are smoothed with ``sba_alpha``, starting from
    their averages over the window. When the days in stock since the last sale already exceed
    the smoothed interval, that interval in progress is smoothed in too (Croston alone would
    not notice that a product stopped selling). The rate is (1 - alpha / 2) x size / interval.
    Returns (rate, size, interval), or None with fewer than two selling days.
    """
    settings = settings or DEFAULT_SETTINGS
    if observation.selling_days < 2:
        return None
    alpha = settings.sba_alpha
    keep = 1 - alpha
    size = sum([value for value in observation.demand_values if value > EPSILON])
    size /= observation.selling_days
    interval = observation.in_stock_days / observation.selling_days
    last = -1
    for index, value in zip(observation.demand_index, observation.demand_values, strict=True):
        if value > EPSILON:
            size = keep * size + alpha * value
            interval = keep * interval + alpha * (index - last)
            last = index
    in_progress = observation.in_stock_days - last
    if in_progress > interval:
        interval += alpha * (in_progress - interval)
    return (1 - alpha / 2) * size / interval, size, interval


def estimate_demand(observation, settings=None, prior=None):
    """Daily sales and their standard deviation from an observation (see the module doc)."""
    settings = settings or DEFAULT_SETTINGS
    prior = prior or Prior()
    days = observation.in_stock_days
    if not days:
        return DemandEstimate(0.0, 0.0, NONE, prior, observation)
    mean = observation.sales / days
    variance = max(observation.squares / days - mean * mean, 0.0)
    own, method, croston = mean, MEAN, ()
    if observation.is_intermittent(settings):
        rate, size, interval = croston_sba(observation, settings)
        own, method, croston = rate, CROSTON, (size, interval)
    full = settings.min_in_stock_days
    if days >= full:
        return DemandEstimate(
            own, math.sqrt(variance), method, prior, observation, own, 1.0, croston=croston
        )
    # Little evidence: Poisson-Gamma, prior from the comparables and the listed days.
    weight = prior.weight_days(settings)
    listed = (weight * prior.rate + observation.sales) / (weight + observation.listed_days)
    confidence = days / full
    rate = confidence * own + (1 - confidence) * listed
    capped = False
    if observation.selling_days <= 1:
        ceiling = max(observation.sales, 1.0) / days
        if rate > ceiling:
            rate, capped = ceiling, True
    # the prior's pseudo-days are taken as Poisson at the estimated rate (variance = rate)
    std = math.sqrt(confidence * variance + (1 - confidence) * rate)
    return DemandEstimate(
        rate, std, BAYES, prior, observation, own, confidence, listed, capped, croston
    )


# --------------------------------------------------------------------------- comparables


@dataclass(frozen=True)
class Profile:
    """What makes two products comparable: category (ids from the root), price, age."""

    category: tuple = ()
    price: float = 0.0
    age_days: float = 0.0

    @functools.cached_property
    def key(self):
        return (self.category, price_band(self.price), age_band(self.age_days))


def price_band(price):
    """Bands of a factor 2: ... 8-16, 16-32, 32-64 ... (None when there is no price)."""
    return math.floor(math.log2(price)) if price and price > 0 else None


AGE_BANDS = (30, 90, 365)  # new, recent, established, old


def age_band(age_days):
    return bisect.bisect_right(AGE_BANDS, age_days)


def category_distance(first, second):
    """Steps from one category to the other through their closest common ancestor (unrelated
    without one, as two root categories: infinite)."""
    if first == second:
        return 0
    common = 0
    for left, right in zip(first, second, strict=False):
        if left != right:
            break
        common += 1
    if not common:
        return math.inf
    return len(first) - common + len(second) - common


MAX_CATEGORY_DISTANCE = 2  # same category, parent or child, sibling


def similarity(first_key, second_key):
    """How alike two products are, from 0 to 1: halved by each step between their categories
    (none beyond a sibling), each price band (a factor 2) and each age band between them."""
    categ_a, price_a, age_a = first_key
    categ_b, price_b, age_b = second_key
    distance = category_distance(categ_a, categ_b)
    if distance > MAX_CATEGORY_DISTANCE:
        return 0.0
    steps = distance + abs(age_a - age_b)
    if price_a is not None and price_b is not None:
        steps += abs(price_a - price_b)
    return 0.5**steps


def near_categories(category, known):
    """The categories of ``known`` (a set of paths) within MAX_CATEGORY_DISTANCE (2) of
    ``category``: itself, its parent and grandparent, its children and grandchildren, its
    siblings. ``known`` is indexed on the way (see :func:`index_categories`)."""
    index = known if isinstance(known, CategoryIndex) else index_categories(known)
    ancestors = [category[:-up] for up in (1, 2) if len(category) > up]
    found = {path for path in (category, *ancestors) if path in index.paths}
    found.update(index.children.get(category, ()))
    found.update(index.grandchildren.get(category, ()))
    if ancestors:
        found.update(index.children.get(ancestors[0], ()))
    return found


@dataclass
class CategoryIndex:
    paths: set = field(default_factory=set)
    children: dict = field(default_factory=dict)  # parent path -> child paths
    grandchildren: dict = field(default_factory=dict)  # grandparent path -> paths

    def add(self, path):
        if path in self.paths:
            return
        self.paths.add(path)
        if len(path) > 1:
            self.children.setdefault(path[:-1], set()).add(path)
        if len(path) > 2:
            self.grandchildren.setdefault(path[:-2], set()).add(path)


def index_categories(paths):
    index = CategoryIndex()
    for path in paths:
        index.add(path)
    return index


class ComparablePool:
    """Products observed long enough to be trusted, grouped by profile key, from which the prior
    of any other product is drawn (its comparables weighted by similarity)."""

    def __init__(self, settings=None):
        self.settings = settings or DemandSettings()
        self.buckets = {}  # key -> [sales, days, products]
        self.by_category = {}  # category -> [keys]
        self.categories = CategoryIndex()
        self._priors = {}

    def add(self, profile, observation):
        if not observation.is_trusted(self.settings):
            return
        key = profile.key
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [0.0, 0, 0]
            self.by_category.setdefault(key[0], []).append(key)
            self.categories.add(key[0])
        bucket[0] += observation.sales
        bucket[1] += observation.in_stock_days
        bucket[2] += 1
        self._priors.clear()

    def prior(self, profile):
        key = profile.key
        if key not in self._priors:
            sales = days = count = 0.0
            for category in near_categories(key[0], self.categories):
                for other in self.by_category[category]:
                    weight = similarity(key, other)
                    bucket = self.buckets[other]
                    sales += weight * bucket[0]
                    days += weight * bucket[1]
                    count += weight * bucket[2]
            self._priors[key] = Prior(sales / days if days else 0.0, count)
        return self._priors[key]
