"""Amazon SP-API Finances v0: financial event groups (one per disbursement) and their events.

A closed group whose fund transfer succeeded is a payout: ``OriginalTotal`` is the money sent
to the bank, its shipment events are the orders paid (charges: principal, tax, shipping) less
Amazon's fees (``ItemFeeList``, negative amounts), its refund events the money given back.
"""

from datetime import datetime, timedelta, timezone

from .payouts import Payout, PayoutLine, cents, merge_lines

GROUPS = "/finances/v0/financialEventGroups"
GROUP_EVENTS = "/finances/v0/financialEventGroups/%s/financialEvents"


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value):
    if not value:
        return None
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _amount(currency):
    return float((currency or {}).get("CurrencyAmount") or 0.0)


def _pages(client, operation, path, params, payload_key):
    token = None
    while True:
        query = {"NextToken": token} if token else dict(params)
        payload = client.api(operation, "GET", path, params=query).get("payload") or {}
        yield payload.get(payload_key) or ({} if payload_key == "FinancialEvents" else [])
        token = payload.get("NextToken")
        if not token:
            return


def _event_line(event, kind):
    amount = fee = 0
    details = {}
    for item in event.get("ShipmentItemList") or event.get("ShipmentItemAdjustmentList") or []:
        for charge in item.get("ItemChargeList") or item.get("ItemChargeAdjustmentList") or []:
            amount += cents(_amount(charge.get("ChargeAmount")))
        for fee_component in item.get("ItemFeeList") or item.get("ItemFeeAdjustmentList") or []:
            value = -cents(_amount(fee_component.get("FeeAmount")))  # fees are negative
            fee += value
            name = fee_component.get("FeeType") or "Fee"
            details[name] = (cents(details.get(name, 0)) + value) / 100.0
    return PayoutLine(
        kind,
        amount=amount / 100.0,
        fee=fee / 100.0,
        order_ref=event.get("AmazonOrderId") or "",
        external_ref=event.get("AmazonOrderId") or "",
        fee_details=details,
    )


def group_lines(client, group_id):
    """The payout lines of one financial event group."""
    lines = []
    for events in _pages(
        client,
        "listFinancialEventsByGroupId",
        GROUP_EVENTS % group_id,
        {"MaxResultsPerPage": 100},
        "FinancialEvents",
    ):
        lines += [_event_line(e, "order") for e in events.get("ShipmentEventList") or []]
        lines += [_event_line(e, "refund") for e in events.get("RefundEventList") or []]
        for event in events.get("ServiceFeeEventList") or []:
            fee = -sum(cents(_amount(f.get("FeeAmount"))) for f in event.get("FeeList") or [])
            lines.append(
                PayoutLine(
                    "charge",
                    fee=fee / 100.0,
                    order_ref=event.get("AmazonOrderId") or "",
                    description=event.get("FeeDescription") or event.get("FeeReason") or "",
                )
            )
    return merge_lines(lines)


def fetch_payouts(client, since=None, lookback_days=90):
    """Closed, transferred financial event groups started after ``since`` (naive UTC)."""
    start = since or datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=lookback_days)
    params = {"MaxResultsPerPage": 100, "FinancialEventGroupStartedAfter": _iso(start)}
    for groups in _pages(
        client, "listFinancialEventGroups", GROUPS, params, "FinancialEventGroupList"
    ):
        for group in groups:
            if group.get("ProcessingStatus") != "Closed":
                continue  # still collecting events: not paid yet
            if group.get("FundTransferStatus") not in ("Succeeded", "Transferred"):
                continue  # not sent to the bank (yet)
            total = group.get("OriginalTotal") or {}
            yield Payout(
                external_ref=group["FinancialEventGroupId"],
                amount=_amount(total),
                currency=total.get("CurrencyCode") or "",
                date=_parse(group.get("FundTransferDate") or group.get("FinancialEventGroupEnd")),
                status=group.get("FundTransferStatus") or "",
                lines=group_lines(client, group["FinancialEventGroupId"]),
                raw=group,
            )
