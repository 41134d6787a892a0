"""The one retry rule of every background flow, and the job runner's channel capacities."""

from ecom_channels_core.errors import ChannelError
from ecom_channels_core.jobs import (
    MAX_RETRY_SECONDS,
    MIN_RETRY_SECONDS,
    job_channel,
    retry_decision,
    runner_channels,
)
from ecom_channels_core.tokens import ReconnectNeeded


def test_quota_waits_what_the_channel_asked_without_using_an_attempt():
    decision = retry_decision(ChannelError("slow down", status=429, retryable=True, retry_after=42))
    assert (decision.retry, decision.seconds, decision.counts) == (True, 42, False)
    # a 429 without a delay still waits, and still does not count
    decision = retry_decision(ChannelError("slow down", status=429), attempt=7)
    assert (decision.retry, decision.seconds, decision.counts) == (True, MIN_RETRY_SECONDS, False)
    # a daily quota answered with HTTP 200 and a delay (eBay Trading 518) is a quota too
    decision = retry_decision(ChannelError("quota", status=200, retryable=True, retry_after=7200))
    assert (decision.retry, decision.seconds, decision.counts) == (True, MAX_RETRY_SECONDS, False)


def test_permanent_refusals_fail_at_once():
    for status in (400, 403, 404, 409, 413, 422):
        assert not retry_decision(ChannelError("no", status=status, retryable=True)).retry
    assert not retry_decision(ChannelError("listing lacks a brand")).retry


def test_server_errors_and_expired_tokens_back_off_and_count():
    seconds = [
        retry_decision(ChannelError("down", status=503, retryable=True), attempt=n).seconds
        for n in range(1, 5)
    ]
    assert seconds == [10, 20, 40, 80]
    assert retry_decision(ChannelError("down", status=502, retryable=True), attempt=99).seconds == (
        MAX_RETRY_SECONDS
    )
    decision = retry_decision(ChannelError("token expired", status=401))
    assert decision.retry and decision.counts
    # a server error that names a delay is not a quota: it keeps counting (no endless retries)
    decision = retry_decision(ChannelError("down", status=500, retryable=True, retry_after=5))
    assert decision.retry and decision.counts
    decision = retry_decision(ChannelError("timed out", retryable=True))
    assert decision.retry and decision.counts


def test_each_sales_channel_has_its_own_job_channel_with_its_type_capacity():
    assert job_channel("ebay", 7) == "root.ecom.ebay.7"
    config = runner_channels(4, {"ebay": 3}, channels=[("ebay", 7), ("amazon", 2), ("odd", 1)])
    parts = config.split(",")
    assert parts[:3] == ["root:4", "root.ecom.local:4", "root.ecom.replenishment:1"]
    assert "root.ecom.ebay.7:3" in parts
    assert "root.ecom.amazon.2:1" in parts
    # a type's channel: its listed channels' capacities and one more for those not listed
    assert "root.ecom.ebay:4" in parts  # 3 x 2, at most the workers
    assert "root.ecom.amazon:2" in parts  # 1 listed + 1
    assert "root.ecom.shopify:2" in parts  # none listed: the type's capacity, shared
    assert not [part for part in parts if "odd" in part or "capacity_default" in part]


def test_a_refused_refresh_token_is_not_tried_again():
    """A channel that refused the refresh token (401, reconnect needed) waits for a person to
    connect it again: the job fails at once instead of backing off."""
    decision = retry_decision(ReconnectNeeded("invalid_grant", status=401))
    assert decision.retry is False
