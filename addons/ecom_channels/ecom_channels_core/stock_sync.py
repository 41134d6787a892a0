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
