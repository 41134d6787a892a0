"""eBay Finances API v1 (REST, OAuth user token): ``GET /sell/finances/v1/payout`` and
``GET /sell/finances/v1/transaction?filter=payoutId:{id}``.

A ``SALE`` transaction is an order: ``totalFeeBasisAmount`` is what the buyer paid,
``totalFeeAmount`` eBay's fees, ``amount`` the net; ``REFUND`` is money given back
(``bookingEntry`` DEBIT); ``NON_SALE_CHARGE`` and ``SHIPPING_LABEL`` are charges without an order.
The calls go to the channel's API URL with its OAuth user token (eBay serves the Finances API on
its ``apiz`` host: point the channel there, the emulator serves every eBay API on one URL).
"""

from datetime import datetime, timedelta, timezone

from .payouts import Payout, PayoutLine, cents, merge_lines

PAYOUTS = "/sell/finances/v1/payout"
TRANSACTIONS = "/sell/finances/v1/transaction"
KINDS = {"SALE": "order", "REFUND": "refund"}


def _parse(value):
    if not value:
        return None
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _value(amount):
    return float((amount or {}).get("value") or 0.0)


def _get(client, path, params):
    def parse(response):
        try:
            return response.json()
        except ValueError:
            raise client.error(
                "eBay: the answer to %s was not valid JSON" % path,
                retryable=True,
                payload=response.text,
            ) from None

    return client.transport.request(
        "GET",
        path,
        params=params,
        headers={
            "Authorization": "Bearer %s" % client.access_token,
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-EBAY-C-MARKETPLACE-ID": client.options.get("marketplace_id") or "EBAY_GB",
        },
        parse=parse,
        describe="GET %s" % path,
    )


def _pages(client, path, key, params):
    offset, limit = 0, 200
    while True:
        page = _get(client, path, dict(params, limit=limit, offset=offset))
        items = page.get(key) or []
        yield from items
        offset += len(items)
        if not page.get("next") or not items or offset >= int(page.get("total") or 0):
            return


def _line(tx):
    kind = KINDS.get(tx.get("transactionType"), "charge")
    sign = -1 if tx.get("bookingEntry") == "DEBIT" else 1
    net = sign * cents(_value(tx.get("amount")))
    fee = cents(_value(tx.get("totalFeeAmount")))
    if kind == "order":
        gross = cents(_value(tx.get("totalFeeBasisAmount"))) or net + fee
        amount, fee = gross, gross - net
    elif kind == "refund":
        amount, fee = net, 0  # the buyer's money given back
    else:
        amount, fee = 0, -net
    return PayoutLine(
        kind,
        amount=amount / 100.0,
        fee=fee / 100.0,
        order_ref=tx.get("orderId") or "",
        external_ref=tx.get("transactionId") or "",
        description=tx.get("transactionMemo") or tx.get("transactionType") or "",
    )


def fetch_payouts(client, since=None, lookback_days=90):
    """Succeeded payouts dated after ``since`` (naive UTC), with their transactions."""
    start = since or datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=lookback_days)
    params = {"filter": "payoutDate:[%s..]" % _iso(start), "sort": "payoutDate"}
    for payout in _pages(client, PAYOUTS, "payouts", params):
        if payout.get("payoutStatus") != "SUCCEEDED":
            continue
        lines = [
            _line(tx)
            for tx in _pages(
                client,
                TRANSACTIONS,
                "transactions",
                {"filter": "payoutId:{%s}" % payout["payoutId"]},
            )
        ]
        yield Payout(
            external_ref=payout["payoutId"],
            amount=_value(payout.get("amount")),
            currency=(payout.get("amount") or {}).get("currency") or "",
            date=_parse(payout.get("payoutDate")),
            status=payout.get("payoutStatus") or "",
            lines=merge_lines(lines),
            raw=payout,
        )
