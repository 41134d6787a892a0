"""Amazon SP-API Finances v0: financial event groups (one per disbursement) and their events.

A closed group whose fund transfer succeeded is a payout: ``OriginalTotal`` is the money sent
to the bank, its shipment events are the orders paid (charges: principal, tax, shipping) less
Amazon's fees (``ItemFeeList``, negative amounts), its refund events the money given back.
"""

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from .payouts import (
    Payout,
    PayoutLine,
    cents,
    merge_lines,
    payout_reader,
    read_payout,
    transactions_problem,
)

GROUPS = "/finances/v0/financialEventGroups"
GROUP_EVENTS = "/finances/v0/financialEventGroups/%s/financialEvents"


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(currency, reader=None, what="amount"):
    if reader is None:
        return float((currency or {}).get("CurrencyAmount") or 0.0)
    return reader.number(reader.mapping(currency, what).get("CurrencyAmount"), what)


def _pages(client, operation, path, params, payload_key):
    token = None
    while True:
        query = {"NextToken": token} if token else dict(params)
        payload = client.api(operation, "GET", path, params=query).get("payload") or {}
        yield payload.get(payload_key) or ({} if payload_key == "FinancialEvents" else [])
        token = payload.get("NextToken")
        if not token:
            return


def _list(reader, value, what):
    return reader.items(value, what, required=False)


def _event_line(event, kind, reader, number=1):
    what = "%s event %s" % (kind, event.get("AmazonOrderId") or number)
    amount = fee = 0
    details = {}
    items = _list(
        reader,
        event.get("ShipmentItemList") or event.get("ShipmentItemAdjustmentList"),
        "%s: items" % what,
    )
    for _n, item in reader.entries(items, "%s: item" % what):
        charges = _list(
            reader,
            item.get("ItemChargeList") or item.get("ItemChargeAdjustmentList"),
            "%s: charges" % what,
        )
        for _m, charge in reader.entries(charges, "%s: charge" % what):
            amount += cents(_amount(charge.get("ChargeAmount"), reader, "%s: charge" % what))
        fees = _list(
            reader, item.get("ItemFeeList") or item.get("ItemFeeAdjustmentList"), "%s: fees" % what
        )
        for _m, fee_component in reader.entries(fees, "%s: fee" % what):
            # fees are negative
            value = -cents(_amount(fee_component.get("FeeAmount"), reader, "%s: fee" % what))
            fee += value
            name = reader.text(fee_component.get("FeeType"), "%s: fee type" % what) or "Fee"
            details[name] = (cents(details.get(name, 0)) + value) / 100.0
    order_ref = reader.text(event.get("AmazonOrderId"), "%s: AmazonOrderId" % what)
    return PayoutLine(
        kind,
        amount=amount / 100.0,
        fee=fee / 100.0,
        order_ref=order_ref,
        external_ref=order_ref,
        fee_details=details,
    )


def group_lines(client, group_id, reader=None):
    """The payout lines of one financial event group; what cannot be read goes to
    ``reader``'s problems."""
    reader = reader or client.new_reader()
    lines = []
    for events in _pages(
        client,
        "listFinancialEventsByGroupId",
        GROUP_EVENTS % quote(str(group_id), safe=""),
        {"MaxResultsPerPage": 100},
        "FinancialEvents",
    ):
        events = reader.mapping(events, "financial events")
        for kind, key in (("order", "ShipmentEventList"), ("refund", "RefundEventList")):
            found = _list(reader, events.get(key), key)
            lines += [
                _event_line(event, kind, reader, number)
                for number, event in reader.entries(found, "%s event" % kind)
            ]
        service_fees = _list(reader, events.get("ServiceFeeEventList"), "ServiceFeeEventList")
        for number, event in reader.entries(service_fees, "service fee event"):
            what = "service fee event %d" % number
            fees = _list(reader, event.get("FeeList"), "%s: fees" % what)
            fee = -sum(
                cents(_amount(f.get("FeeAmount"), reader, "%s: fee" % what))
                for _m, f in reader.entries(fees, "%s: fee" % what)
            )
            lines.append(
                PayoutLine(
                    "charge",
                    fee=fee / 100.0,
                    order_ref=reader.text(event.get("AmazonOrderId"), "%s: order" % what),
                    description=reader.text(
                        event.get("FeeDescription") or event.get("FeeReason"),
                        "%s: description" % what,
                    ),
                )
            )
    return merge_lines(lines)


def _read_group(group, reader, client):
    ref = reader.external_ref = reader.ref(group.get("FinancialEventGroupId"), "payout id")
    total = reader.mapping(group.get("OriginalTotal"), "payout total")
    lines = []
    if ref:
        try:
            lines = group_lines(client, ref, reader)
        except Exception as exc:
            if not hasattr(exc, "retryable"):  # not the client's ChannelError
                raise
            reader.note(transactions_problem(exc))
    date = group.get("FundTransferDate") or group.get("FinancialEventGroupEnd")
    return Payout(
        external_ref=ref,
        amount=reader.number(total.get("CurrencyAmount"), "payout amount", required=True),
        currency=reader.text(total.get("CurrencyCode"), "payout currency"),
        date=reader.date(date, "payout date", required=True),
        status=reader.text(group.get("FundTransferStatus"), "payout status"),
        lines=lines,
    )


@payout_reader
def fetch_payouts(client, since=None, lookback_days=90):
    """Closed, transferred financial event groups started after ``since`` (naive UTC).

    A payout that cannot be fully read is yielded with ``problems`` (see payouts.py)."""
    start = since or datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=lookback_days)
    params = {"MaxResultsPerPage": 100, "FinancialEventGroupStartedAfter": _iso(start)}
    for groups in _pages(
        client, "listFinancialEventGroups", GROUPS, params, "FinancialEventGroupList"
    ):
        if not isinstance(groups, list):
            raise client.error("Amazon: the financial event groups are not a list")
        for group in groups:
            if isinstance(group, dict):
                if group.get("ProcessingStatus") != "Closed":
                    continue  # still collecting events: not paid yet
                if group.get("FundTransferStatus") not in ("Succeeded", "Transferred"):
                    continue  # not sent to the bank (yet)
            yield read_payout(client, group, _read_group, client)
