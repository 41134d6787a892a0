"""Backtest: replay the last days of real history, each method setting the reorder levels as it
would have, and measure what each would have sold, held and bought.

The demand of a day is what was really sold that day, known only on the days the product was
really in stock (the other days nobody could buy it: no demand is known, none is counted, lost or
met). Day by day, for each method and product: the receipts due arrive, the simulated stock meets
the demand (what it cannot meet is lost), and Odoo's scheduler orders when the forecast (stock +
on order) falls below the minimum: up to the maximum, in multiples as Odoo rounds them, arriving
after the vendor's lead time. Every ``review_days`` each method recomputes the levels of every
product from the sales window before that day, as it would have seen it: real history before the
replay, its own simulated sales and days in stock after (a day counts when the demand was known
and the simulated product was in stock at some moment of it).

Methods: ``static`` (the rules' minimum and maximum as configured, never changed), ``naive``
(recorded sales / days in stock), ``ecom`` (:func:`estimate_demand`, comparable products drawn
from the same replay) and ``ecom_safety`` (the same with a safety stock at the service level).
"""

import math
from dataclasses import dataclass, field

from .demand import ComparablePool, DemandSettings, Profile, observe_days
from .methods import ECOM_SAFETY, METHODS, NAIVE, STATIC, method_daily_rate, method_levels

EPSILON = 1e-9


@dataclass(frozen=True)
class ProductHistory:
    """The real history of one product in one warehouse, over the sales window before the replay
    then the replayed days (``days``, oldest first)."""

    key: object  # e.g. (product id, warehouse id)
    days: tuple
    in_stock: tuple  # really in stock that day (its demand is known)
    sales: tuple  # net units really sold that day
    opening_stock: float  # real stock at the opening of the first replayed day
    unit_cost: float = 0.0
    lead_days: float = 0.0
    interval_days: float = 14.0
    min_order_qty: float = 0.0
    multiple: float = 0.0
    rounding: float = 0.0
    static_min: float = 0.0
    static_max: float = 0.0
    profile: Profile = field(default_factory=Profile)


@dataclass(frozen=True)
class BacktestSettings:
    replay_days: int = 90
    review_days: int = 7
    service_level: float = 95.0  # of ``ecom_safety``
    demand: DemandSettings = field(default_factory=DemandSettings)


@dataclass
class Outcome:
    """What one method did with one product over the replay."""

    demanded: float = 0.0  # units demanded on the days the demand is known
    sold: float = 0.0
    stockout_days: int = 0  # days with known demand on which stock was missing
    stock_value_days: float = 0.0  # sum over the days of the closing stock value
    units_bought: float = 0.0
    orders: int = 0
    days: int = 0

    @property
    def fill_rate(self):
        return self.sold / self.demanded if self.demanded > EPSILON else 1.0

    @property
    def average_stock_value(self):
        return self.stock_value_days / self.days if self.days else 0.0

    def add(self, other):
        self.demanded += other.demanded
        self.sold += other.sold
        self.stockout_days += other.stockout_days
        self.stock_value_days += other.stock_value_days
        self.units_bought += other.units_bought
        self.orders += other.orders
        self.days = max(self.days, other.days)
        return self


class _Simulated:
    """One product under one method."""

    __slots__ = ("history", "stock", "pipeline", "in_stock", "sales", "levels", "outcome")

    def __init__(self, history):
        self.history = history
        self.stock = history.opening_stock
        self.pipeline = {}  # replay day -> quantity arriving
        self.in_stock = []  # simulated, per replayed day
        self.sales = []
        self.levels = (history.static_min, history.static_max)
        self.outcome = Outcome()

    def observation(self, day, settings):
        """What the method sees on replay day ``day``: the window before it."""
        history = self.history
        window = settings.demand.window_days
        start = len(history.days) - settings.replay_days + day - window
        real = max(0, min(window, len(history.days) - settings.replay_days - start))
        flags = list(history.in_stock[start : start + real]) + self.in_stock[max(0, day - window) :]
        sales = list(history.sales[start : start + real]) + self.sales[max(0, day - window) :]
        return observe_days(history.days[start : start + window], flags, sales, settings.demand)


def _levels(simulated, method, observation, pool, settings):
    history = simulated.history
    if method == STATIC:
        return history.static_min, history.static_max
    daily, std, _estimate = method_daily_rate(
        method, observation, settings.demand, pool.prior(history.profile)
    )
    min_qty, max_qty, _levels = method_levels(
        method,
        daily,
        std,
        history.lead_days,
        history.interval_days,
        service_level=settings.service_level if method == ECOM_SAFETY else 0.0,
        min_order_qty=history.min_order_qty,
        multiple=history.multiple,
        rounding=history.rounding,
    )
    return min_qty, max_qty


def order_quantity(forecast, min_qty, max_qty, multiple=0.0):
    """What Odoo's reordering rule orders at this forecast (stock.warehouse.orderpoint
    ``_get_qty_to_order``): up to the larger of min and max when the forecast is below the
    minimum; a remainder of the multiple rounded up when there is no maximum, down otherwise."""
    if forecast >= min_qty - EPSILON:
        return 0.0
    quantity = max(min_qty, max_qty) - forecast
    remainder = quantity % multiple if multiple > 0 else 0.0
    if remainder > EPSILON and multiple - remainder > EPSILON:
        quantity += multiple - remainder if max_qty <= EPSILON else -remainder
    return max(quantity, 0.0)


def _step(simulated, day, absolute):
    history = simulated.history
    outcome = simulated.outcome
    simulated.stock += simulated.pipeline.pop(day, 0.0)
    available = simulated.stock
    known = history.in_stock[absolute]
    sold = 0.0
    if known:
        demand = max(history.sales[absolute], 0.0)
        sold = min(demand, max(available, 0.0))
        simulated.stock -= sold
        outcome.demanded += demand
        outcome.sold += sold
        if available <= EPSILON or sold < demand - EPSILON:
            outcome.stockout_days += 1
    simulated.in_stock.append(known and (available > EPSILON or sold > EPSILON))
    simulated.sales.append(sold)
    # Odoo's scheduler at the end of the day
    min_qty, max_qty = simulated.levels
    forecast = simulated.stock + sum(simulated.pipeline.values())
    quantity = order_quantity(forecast, min_qty, max_qty, history.multiple)
    if quantity > EPSILON:
        arrival = day + max(1, math.ceil(history.lead_days - EPSILON))
        simulated.pipeline[arrival] = simulated.pipeline.get(arrival, 0.0) + quantity
        outcome.units_bought += quantity
        outcome.orders += 1
    outcome.stock_value_days += max(simulated.stock, 0.0) * history.unit_cost
    outcome.days += 1


def simulate(histories, settings=None, methods=METHODS):
    """{method: {product key: Outcome}} of the replay of ``histories`` (ProductHistory, all
    with the same days: ``demand.window_days`` days before the replay then ``replay_days``)."""
    settings = settings or BacktestSettings()
    length = settings.demand.window_days + settings.replay_days
    for history in histories:
        if not len(history.days) == len(history.in_stock) == len(history.sales) == length:
            raise ValueError(f"{history.key}: {length} days of history expected")
    state = {method: [_Simulated(history) for history in histories] for method in methods}
    for day in range(settings.replay_days):
        if not day % settings.review_days:
            for method, products in state.items():
                if method == STATIC:
                    continue
                observations = [simulated.observation(day, settings) for simulated in products]
                pool = ComparablePool(settings.demand)
                if method != NAIVE:
                    for simulated, observation in zip(products, observations, strict=True):
                        pool.add(simulated.history.profile, observation)
                for simulated, observation in zip(products, observations, strict=True):
                    simulated.levels = _levels(simulated, method, observation, pool, settings)
        for products in state.values():
            for simulated in products:
                absolute = len(simulated.history.days) - settings.replay_days + day
                _step(simulated, day, absolute)
    return {
        method: {simulated.history.key: simulated.outcome for simulated in products}
        for method, products in state.items()
    }


def totals(results):
    """{method: Outcome summed over the products}."""
    summary = {}
    for method, outcomes in results.items():
        total = summary[method] = Outcome()
        for outcome in outcomes.values():
            total.add(outcome)
    return summary


def recommend(summary, tolerance=0.005):
    """The method with the best fill rate, and among those within ``tolerance`` of it, the
    lowest average stock value: {method: Outcome} -> method."""
    if not summary:
        return None
    best = max(outcome.fill_rate for outcome in summary.values())
    close = [method for method, outcome in summary.items() if outcome.fill_rate >= best - tolerance]
    return min(close, key=lambda method: (summary[method].average_stock_value, method))


def daily_history(window_days, opening_stock, events):
    """Day by day over ``window_days`` days from the stock at the opening of the first one and
    the days with moves (``events`` as for :func:`observe_events`): (in stock, net sales,
    stock at the opening) of each day; the net sales of a day out of stock count as none."""
    in_stock, sales, openings = [], [], []
    stock = opening_stock
    events = iter(events)
    pending = next(events, None)
    for day in range(window_days):
        sold = delta = 0.0
        while pending is not None and pending[0] <= day:
            if pending[0] == day:
                sold += pending[1]
                delta += pending[2]
            pending = next(events, None)
        closing = stock + delta
        counted = stock > EPSILON or closing > EPSILON or sold > EPSILON
        in_stock.append(counted)
        sales.append(sold if counted else 0.0)
        openings.append(stock)
        stock = closing
    return in_stock, sales, openings
