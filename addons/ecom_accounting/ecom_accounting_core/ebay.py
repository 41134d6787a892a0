"""eBay Finances API v1 (REST, OAuth user token): ``GET /sell/finances/v1/payout`` and
``GET /sell/finances/v1/transaction?filter=payoutId:{id}``.

A ``SALE`` transaction is an order: ``totalFeeBasisAmount`` is what the buyer paid,
``totalFeeAmount`` eBay's fees, ``amount`` the net; ``REFUND`` is money given back
(``bookingEntry`` DEBIT); ``NON_SALE_CHARGE`` and ``SHIPPING_LABEL`` are charges without an order.
The calls go to the Finances host (the channel's *Finances API URL*, ``https://apiz.ebay.com``)
with the OAuth user token, refreshed like every eBay call, and signed with the channel's signing
key when it has one (required of sellers registered in the UK or the EU).
"""

from datetime import datetime, timedelta, timezone

from .payouts import (
    Payout,
    PayoutLine,
    cents,
    merge_lines,
    payout_reader,
    read_payout,
    transactions_problem,
)

PAYOUTS = "/sell/finances/v1/payout"
TRANSACTIONS = "/sell/finances/v1/transaction"
KINDS = {"SALE": "order", "REFUND": "refund"}


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _value(amount, reader=None, what="amount"):
    if reader is None:
        return float((amount or {}).get("value") or 0.0)
    return reader.number(reader.mapping(amount, what).get("value"), what)


def _get(client, path, params):
    """GET on the Finances host (option ``finances_url``; the API base URL without it), with
    the OAuth user token (refreshed once when refused) and, for sellers with a signing key
    (UK/EU), eBay's digital-signature headers."""
    return client.rest(
        "GET",
        path,
        params=params,
        host=client.options.get("finances_url") or None,
        describe="GET %s" % path,
        sign=True,
    )


def _pages(client, path, key, params):
    offset, limit = 0, 200
    while True:
        page = _get(client, path, dict(params, limit=limit, offset=offset))
        items = page.get(key) or []
        if not isinstance(items, list):
            raise client.error("eBay: the %s of %s are not a list" % (key, path))
        yield from items
        offset += len(items)
        if not page.get("next") or not items or offset >= int(page.get("total") or 0):
            return


def _line(tx, reader, number=1):
    what = "transaction %s" % (tx.get("transactionId") or number)
    kind = KINDS.get(tx.get("transactionType"), "charge")
    sign = -1 if tx.get("bookingEntry") == "DEBIT" else 1
    net = sign * cents(_value(tx.get("amount"), reader, "%s: amount" % what))
    fee = cents(_value(tx.get("totalFeeAmount"), reader, "%s: fee" % what))
    if kind == "order":
        basis = _value(tx.get("totalFeeBasisAmount"), reader, "%s: fee basis" % what)
        gross = cents(basis) or net + fee
        amount, fee = gross, gross - net
    elif kind == "refund":
        amount, fee = net, 0  # the buyer's money given back
    else:
        amount, fee = 0, -net
    return PayoutLine(
        kind,
        amount=amount / 100.0,
        fee=fee / 100.0,
        order_ref=reader.text(tx.get("orderId"), "%s: orderId" % what),
        external_ref=reader.text(tx.get("transactionId"), "%s: id" % what),
        description=reader.text(
            tx.get("transactionMemo") or tx.get("transactionType"), "%s: memo" % what
        ),
    )


def _read_payout(payout, reader, client):
    ref = reader.external_ref = reader.ref(payout.get("payoutId"), "payout id")
    lines = []
    if ref:
        try:
            transactions = _pages(
                client, TRANSACTIONS, "transactions", {"filter": "payoutId:{%s}" % ref}
            )
            lines = [
                _line(tx, reader, number)
                for number, tx in reader.entries(transactions, "transaction")
            ]
        except Exception as exc:
            if not hasattr(exc, "retryable"):  # not the client's ChannelError
                raise
            reader.note(transactions_problem(exc))
    amount = reader.mapping(payout.get("amount"), "payout amount")
    return Payout(
        external_ref=ref,
        amount=reader.number(amount.get("value"), "payout amount", required=True),
        currency=reader.text(amount.get("currency"), "payout currency"),
        date=reader.date(payout.get("payoutDate"), "payout date", required=True),
        status=reader.text(payout.get("payoutStatus"), "payout status"),
        lines=merge_lines(lines),
    )


@payout_reader
def fetch_payouts(client, since=None, lookback_days=90):
    """Succeeded payouts dated after ``since`` (naive UTC), with their transactions.

    A payout that cannot be fully read is yielded with ``problems`` (see payouts.py)."""
    start = since or datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=lookback_days)
    params = {"filter": "payoutDate:[%s..]" % _iso(start), "sort": "payoutDate"}
    for payout in _pages(client, PAYOUTS, "payouts", params):
        if isinstance(payout, dict) and payout.get("payoutStatus") != "SUCCEEDED":
            continue
        yield read_payout(client, payout, _read_payout, client)
