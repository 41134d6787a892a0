"""Plain helpers of the stock push: backoff after failures, and the drift between what a channel
shows and what we last sent or should send (the nightly reconcile)."""

import math
from dataclasses import dataclass

#: First wait after a failed push, and the longest one (seconds).
BACKOFF_BASE = 60
BACKOFF_CAP = 3600


def backoff_seconds(failures, base=BACKOFF_BASE, cap=BACKOFF_CAP):
    """Seconds to wait before the next attempt after ``failures`` failures in a row: ``base``
    doubled at each further failure, never more than ``cap``; 0 after no failure."""
    if failures <= 0:
        return 0
    return min(cap, base * 2 ** min(failures - 1, 30))


def sellable_quantity(free_qty, buffer=0, percent=100.0, maximum=0, zero_below=0):
    """The quantity a channel lists for ``free_qty`` units of free stock: minus the ``buffer``,
    times the ``percent`` share (rounded down), 0 at or below ``zero_below``, capped by
    ``maximum`` (0: no cap); never negative."""
    share = (free_qty - buffer) * percent / 100.0
    qty = math.floor(round(share, 6))
    if qty <= zero_below:
        return 0
    if maximum:
        qty = min(qty, maximum)
    return max(int(qty), 0)


@dataclass
class Drift:
    """One listing whose quantity on the channel is not the one we last sent (``published``)."""

    key: str
    remote: int | None
    published: int
    expected: int

    @property
    def missing(self):
        """The channel does not hold the listing any more."""
        return self.remote is None


def find_drift(local, remote):
    """Compare ``local`` ``{key: (published, expected)}`` with ``remote`` ``{key: quantity}``.

    Return ``(drifts, to_push)``: the keys whose channel quantity differs from the one last
    accepted (or that the channel lacks), and the keys whose channel quantity differs from the
    one to publish (what a push must correct).
    """
    drifts, to_push = [], []
    for key, (published, expected) in sorted(local.items()):
        shown = remote.get(key)
        if shown is None:
            drifts.append(Drift(key, None, published, expected))
            continue
        shown = int(shown)
        if shown != published:
            drifts.append(Drift(key, shown, published, expected))
        if shown != expected:
            to_push.append(key)
    return drifts, to_push


#: Push latencies (seconds from a change to the channel's acceptance) a channel keeps for
#: its p90.
LATENCY_SAMPLES = 200

# --------------------------------------------------------------------------- risk and buffer

#: Days of sales the risk order and the dynamic buffer average over.
SALES_WINDOW_DAYS = 28
SECONDS_PER_DAY = 86400.0


def daily_sales(sold, window_days=SALES_WINDOW_DAYS):
    """Units sold per day: ``sold`` maps a key (a product id) to the units sold over the last
    ``window_days`` days (one grouped query's rows); keys without sales are left out."""
    days = max(float(window_days), 1.0)
    return {key: float(units) / days for key, units in sold.items() if units and units > 0}


def days_of_cover(quantity, daily):
    """Days ``quantity`` units last at ``daily`` sales a day; without sales history one sale a
    day is assumed, so that the lowest quantity comes first."""
    return max(float(quantity), 0.0) / (daily if daily and daily > 0 else 1.0)


def push_priority(quantity, shown, daily, first_change):
    """Sort key of one quantity waiting for a channel that cannot take them all at once, the
    riskiest first:

    1. a zero quantity (the channel may sell stock that is gone);
    2. a quantity lower than the one the channel shows (or than nothing known yet: ``shown``
       None), by the fewest days of cover (``days_of_cover``);
    3. the rest (the channel shows less than we hold: no sale can fail), the oldest change
       first.

    ``first_change`` (the oldest change's sequence or date) breaks ties in every group."""
    if quantity <= 0:
        return (0, 0.0, first_change)
    if shown is None or quantity < shown:
        return (1, days_of_cover(quantity, daily), first_change)
    return (2, 0.0, first_change)


def percentile(values, share=0.9):
    """The ``share`` percentile of ``values`` (nearest rank), None without values."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def dynamic_buffer(daily, delay_seconds):
    """Units to hold back from a channel whose view of the stock is ``delay_seconds`` late: what
    sells meanwhile elsewhere, ``ceil(daily sales x delay)``, 0 without sales."""
    if not daily or daily <= 0 or not delay_seconds or delay_seconds <= 0:
        return 0
    return int(math.ceil(round(daily * delay_seconds / SECONDS_PER_DAY, 6)))
