"""A plain capacity model of the stock link: how many quantity changes a catalogue makes, how
many each channel's quota lets through, what that costs in job workers and PostgreSQL, and which
of them gives out first. No ORM: ``bench/capacity.py`` prints it next to a scaled-down run.

Every input is an assumption stated in a dataclass field, so that a reader can change it.
"""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChannelQuota:
    """What one channel lets through for quantity updates."""

    name: str
    #: Items one quantity call carries (eBay ReviseInventoryStatus: 4; WooCommerce batch: 100;
    #: Shopify inventorySetQuantities: 250 here; Amazon: one feed of up to 10,000 messages).
    items_per_call: int
    #: Calls per second the channel sustains for them (rate limit or leaky bucket's restore).
    calls_per_second: float
    #: Calls a day the channel allows at most (0: no daily cap).
    calls_per_day: int = 0
    #: Seconds of one call as seen from a job worker (network and the channel's answer).
    call_seconds: float = 0.3

    def max_calls_per_second(self):
        """Quantity calls a second this channel accepts at most (rate and daily cap)."""
        rate = self.calls_per_second
        if self.calls_per_day:
            rate = min(rate, self.calls_per_day / 86400.0)
        return rate

    def items_per_second(self):
        """Quantities a second this channel accepts at most."""
        return self.max_calls_per_second() * self.items_per_call


#: The quotas of the four channel types (public documentation, standard plans; a live account's
#: limits may be higher).
QUOTAS = {
    # GraphQL Admin: 100 cost points a second restored (standard plan); a mutation setting 250
    # quantities is taken as 10 points: 10 calls a second.
    "shopify": ChannelQuota("shopify", 250, 10.0, call_seconds=0.4),
    # Trading API: 4 items per ReviseInventoryStatus; 5,000 calls a day per application by
    # default (raised to 1.5 million after eBay's application check), a few calls a second.
    "ebay": ChannelQuota("ebay", 4, 5.0, calls_per_day=5000, call_seconds=0.5),
    # SP-API: createFeed 0.0083 requests/s (one every 2 minutes, burst 15), a feed of up to
    # 10,000 listings messages; patchListingsItem 5 requests/s for single items.
    "amazon": ChannelQuota("amazon", 10000, 1 / 120.0, call_seconds=1.0),
    # WooCommerce REST batch: 100 products per call; the shop's own server, taken as 2 calls/s.
    "woocommerce": ChannelQuota("woocommerce", 100, 2.0, call_seconds=0.5),
}


@dataclass(frozen=True)
class Catalogue:
    """The retailer: SKUs, channels listing them and how fast stock changes."""

    skus: int = 100_000
    #: Channels listing each SKU (here: every SKU on every channel).
    channels: dict = field(
        default_factory=lambda: {
            "shopify": 3,
            "ebay": 3,
            "amazon": 2,
            "woocommerce": 2,
        }
    )
    #: Order lines a day (each sells one SKU).
    lines_per_day: int = 200_000
    #: Stock events per order line that change the free stock: the reservation when the order
    #: is confirmed (the delivery then changes nothing free), plus receipts and adjustments.
    changes_per_line: float = 1.2
    #: Share of the changes that hit a SKU already waiting in a channel's outbox (merged into one
    #: push): bestsellers change several times a minute.
    coalesced: float = 0.3
    #: Peak hour over the daily average (a day's sales are not flat).
    peak_factor: float = 3.0


@dataclass(frozen=True)
class Costs:
    """What one pushed quantity and one job cost on our side (from ``bench/stock_sync.py``)."""

    #: CPU seconds of a job worker per quantity (claim, compute, apply, log), outside the call.
    worker_seconds_per_item: float = 0.0015
    #: SQL statements per quantity (outbox insert and delete, listing update, log share).
    queries_per_item: float = 4.0
    #: SQL statements per job (claim, feeds, queue_job bookkeeping).
    queries_per_job: float = 30.0
    #: Items one push job handles at most (STOCK_PUSH_LIMIT).
    items_per_job: int = 1000
    #: Seconds of a job on our side besides its calls (claim, risk order, bookkeeping).
    job_overhead_seconds: float = 0.05
    #: SQL statements a second one PostgreSQL core sustains for this mix.
    queries_per_core_second: float = 4000.0


def model(catalogue=None, quotas=None, costs=None, workers=2):
    """The capacity of the stock link: per channel type the quantities a second asked (at peak)
    and allowed, the time to drain one hour of peak changes, the job workers and PostgreSQL
    cores needed, and the first bottleneck. Return a dict (see the keys below)."""
    catalogue = catalogue or Catalogue()
    quotas = dict(QUOTAS, **(quotas or {}))
    costs = costs or Costs()
    sku_changes = catalogue.lines_per_day * catalogue.changes_per_line / 86400.0
    peak_changes = sku_changes * catalogue.peak_factor
    rows = []
    worker_load = 0.0
    queries = 0.0
    for name, count in sorted(catalogue.channels.items()):
        quota = quotas[name]
        asked = peak_changes * (1 - catalogue.coalesced)  # quantities a second, per channel
        allowed = quota.items_per_second()
        sent = min(asked, allowed)
        # A change enqueues the channel's job unless one waits: light traffic makes one job
        # (and one call) per change, up to what one job at a time can run; heavier traffic
        # fills the calls.
        jobs = min(asked, 1.0 / (quota.call_seconds + costs.job_overhead_seconds))
        jobs = max(jobs, sent / costs.items_per_job)
        calls = min(quota.max_calls_per_second(), max(sent / quota.items_per_call, jobs))
        jobs = min(jobs, max(calls, sent / costs.items_per_job))
        # A worker is busy for the calls, for our own work on each item and each job.
        busy = (
            calls * quota.call_seconds
            + sent * costs.worker_seconds_per_item
            + jobs * costs.job_overhead_seconds
        )
        worker_load += busy * count
        queries += count * (
            peak_changes * 2  # every change: an outbox insert, later its delete
            + sent * (costs.queries_per_item - 2)
            + jobs * costs.queries_per_job
        )
        backlog_hour = max(asked - allowed, 0.0) * 3600.0
        rows.append(
            {
                "channel": name,
                "channels": count,
                "asked_per_s": asked,
                "allowed_per_s": allowed,
                "calls_per_s": calls,
                "jobs_per_s": jobs,
                "utilisation": asked / allowed if allowed else math.inf,
                "backlog_after_peak_hour": backlog_hour,
            }
        )
    pg_cores = queries / costs.queries_per_core_second
    limits = [(row["utilisation"], "the %s quota" % row["channel"]) for row in rows]
    limits.append((worker_load / max(workers, 1), "%d job workers" % workers))
    limits.append((pg_cores, "one PostgreSQL core"))
    utilisation, bottleneck = max(limits)
    return {
        "sku_changes_per_s": sku_changes,
        "peak_changes_per_s": peak_changes,
        "channels": rows,
        "workers_needed": math.ceil(worker_load) if worker_load else 0,
        "worker_load": worker_load,
        "queries_per_s": queries,
        "pg_cores": pg_cores,
        "bottleneck": bottleneck,
        "bottleneck_utilisation": utilisation,
    }


def drain_seconds(items, quota):
    """Seconds one job worker needs to push ``items`` quantities under ``quota`` (the first call
    at once, the others spaced by the rate, each at least ``call_seconds``; no daily cap)."""
    if not items:
        return 0.0
    calls = math.ceil(items / quota.items_per_call)
    return (calls - 1) * max(1.0 / quota.calls_per_second, quota.call_seconds) + quota.call_seconds
