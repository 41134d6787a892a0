"""How background work goes on when a channel call fails, and how much of it runs at once.

Plain Python, no ORM: the ORM side (``ecom.channel._ecom_job_error``) turns a decision into
queue_job's exceptions. One rule for every flow (stock pushes, publishing, order import,
shipment pushes, payouts, reconcile):

- the channel asked us to slow down (HTTP 429, or a quota error that names a delay): try again
  after the delay it named, without counting an attempt, so that quota never parks a job;
- a server error, a timeout, a lost connection, an expired token (HTTP 401: the client
  refreshes tokens itself, a second 401 is worth one more later try): try again with an
  exponential backoff, counting the attempt; after the job's attempts it is a dead letter;
- any other refusal (4xx, data the channel rejects, a listing missing what the channel
  requires): trying again cannot help, the job fails at once with the reason.
"""

from collections import Counter
from dataclasses import dataclass

from .stock_sync import backoff_seconds

#: Shortest and longest wait between two attempts of a job (seconds).
MIN_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600
#: Attempts of a job before it is a dead letter (failed, shown with Retry / Discard).
MAX_ATTEMPTS = 8

#: Jobs of one channel that may run at once, per channel type: what its API quota allows
#: without throttling itself (Shopify: a leaky bucket of 40 requests / 1,000 cost points per
#: store; WooCommerce: the shop's own web server; eBay: Trading calls per application and
#: seller; Amazon SP-API: per-operation rate limits of 0.5-5 requests/s per seller).
CHANNEL_CAPACITY = {
    "shopify": 2,
    "woocommerce": 2,
    "ebay": 1,
    "amazon": 1,
}
#: Job channel of the work that calls no channel API (order chunks, label rendering): as
#: many at once as there are job workers.
LOCAL_JOB_CHANNEL = "root.ecom.local"
#: The reservation of imported orders' stock: one at a time (two would update the same quants),
#: so that the job runner never hands a worker a reservation that would have to wait.
RESERVATION_JOB_CHANNEL = "root.ecom.reservation"
#: Job channels of the suite's other long runs, with their capacity (the replenishment
#: backtest replays months of sales: one at a time; reservations, see above).
OTHER_JOB_CHANNELS = {"root.ecom.replenishment": 1, RESERVATION_JOB_CHANNEL: 1}


@dataclass(frozen=True)
class RetryDecision:
    """``retry``: whether to try again; ``seconds``: when; ``counts``: whether this failure
    uses up one of the job's attempts."""

    retry: bool
    seconds: int = 0
    counts: bool = True


def retry_decision(error, attempt=1):
    """How a job goes on after ``error`` (a ChannelError, or anything with its attributes)
    on its ``attempt``-th try (1 for the first)."""
    status = getattr(error, "status", None)
    if getattr(error, "code", "") == "reconnect_needed":
        return RetryDecision(False)  # the refresh token was refused: a person connects again
    retry_after = getattr(error, "retry_after", None)
    retryable = bool(getattr(error, "retryable", False))
    quota = retryable and retry_after is not None and (status is None or status < 500)
    if status == 429 or quota:
        seconds = max(float(retry_after or 0), MIN_RETRY_SECONDS)
        return RetryDecision(True, int(min(seconds, MAX_RETRY_SECONDS)), counts=False)
    if status == 401:
        retryable = True
    elif status is not None and 400 <= status < 500:
        return RetryDecision(False)
    if not retryable:
        return RetryDecision(False)
    seconds = backoff_seconds(max(attempt, 1), base=MIN_RETRY_SECONDS, cap=MAX_RETRY_SECONDS)
    return RetryDecision(True, int(seconds), counts=True)


def job_channel(channel_type, channel_id):
    """The queue_job channel of the work that calls one sales channel's API: its own, so that
    one slow channel never delays another, under its type's channel. Its capacity
    (``CHANNEL_CAPACITY``) holds when the runner's configuration names it (``runner_channels``
    with the channels); queue_job gives a channel it was not told of no capacity of its own."""
    return "root.ecom.%s.%s" % (channel_type, channel_id)


def runner_channels(workers=2, capacities=None, channels=()):
    """The job runner's ``channels`` setting for ``workers`` job workers: the local work and
    each type's channel as much as there are workers, and each sales channel of ``channels``
    (``(type, id)`` pairs) its type's capacity (``capacities`` overrides ``CHANNEL_CAPACITY``).
    queue_job reads a capacity per channel name only, so the sales channels are listed one by
    one. A sales channel that is not listed (created after the runner started) runs in its
    type's channel: that one holds one more type's capacity than its listed channels take
    (at most ``workers``), which the channels not listed share until the next start."""
    caps = {t: max(c, 1) for t, c in dict(CHANNEL_CAPACITY, **(capacities or {})).items()}
    listed = sorted((t, i) for t, i in channels if t in caps)
    count = Counter(t for t, __ in listed)
    parts = ["root:%d" % workers, "%s:%d" % (LOCAL_JOB_CHANNEL, workers)]
    parts += ["%s:%d" % (name, cap) for name, cap in sorted(OTHER_JOB_CHANNELS.items())]
    parts += [
        "root.ecom.%s:%d" % (channel_type, min(workers, cap * (count[channel_type] + 1)))
        for channel_type, cap in sorted(caps.items())
    ]
    parts += ["%s:%d" % (job_channel(t, i), caps[t]) for t, i in listed]
    return ",".join(parts)
