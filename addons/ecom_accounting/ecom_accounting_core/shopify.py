"""Shopify Payments payouts (Admin GraphQL 2025-01): ``shopifyPaymentsAccount.payouts`` and the
balance transactions of each payout (``balanceTransactions(query: "payments_transfer_id:...")``).

A charge transaction is an order paid (``amount``) less Shopify's fee (``fee``); a refund is
negative; adjustments and other types carry fees only.
"""

from .payouts import (
    Payout,
    PayoutLine,
    merge_lines,
    payout_reader,
    read_payout,
    transactions_problem,
)

Q_PAYOUTS = """
query Payouts($first: Int!, $after: String) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id legacyResourceId issuedAt status net { amount currencyCode } }
    }
  }
}"""

Q_TRANSACTIONS = """
query PayoutTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id type transactionDate
        amount { amount currencyCode }
        fee { amount }
        net { amount }
        associatedOrder { id name }
        associatedPayout { id }
      }
    }
  }
}"""

KINDS = {"CHARGE": "order", "REFUND": "refund"}


def _money(value, reader=None, what="amount"):
    if reader is None:
        return float((value or {}).get("amount") or 0.0)
    return reader.number(reader.mapping(value, what).get("amount"), what)


def _connection(client, document, key, variables):
    after = None
    while True:
        data = client.graphql(document, dict(variables, first=100, after=after), cost=110)
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return
        page = account[key]
        yield from page["nodes"] or []
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def payout_lines(client, payout_legacy_id, reader=None):
    """The payout lines of one payout; what cannot be read goes to ``reader``'s problems."""
    reader = reader or client.new_reader()
    lines = []
    query = "payments_transfer_id:%s" % payout_legacy_id
    transactions = _connection(client, Q_TRANSACTIONS, "balanceTransactions", {"query": query})
    for number, tx in reader.entries(transactions, "transaction"):
        what = "transaction %s" % (tx.get("id") or number)
        kind = KINDS.get(tx.get("type"), "charge")
        order = reader.mapping(tx.get("associatedOrder"), "%s: order" % what)
        amount = _money(tx.get("amount"), reader, "%s: amount" % what)
        fee = _money(tx.get("fee"), reader, "%s: fee" % what)
        if kind == "charge":  # not an order: everything it moves is a charge (or a credit)
            amount, fee = 0.0, round(fee - amount, 2)
        lines.append(
            PayoutLine(
                kind,
                amount=amount,
                fee=fee,
                order_ref=reader.text(order.get("id"), "%s: order id" % what),
                external_ref=reader.text(tx.get("id"), "%s: id" % what),
                description=reader.text(tx.get("type"), "%s: type" % what),
            )
        )
    return merge_lines(lines)


def _read_payout(node, reader, client):
    ref = reader.external_ref = reader.ref(node.get("id"), "payout id")
    net = reader.mapping(node.get("net"), "payout net")
    lines = []
    legacy = node.get("legacyResourceId")
    if legacy in (None, ""):
        reader.note("payout legacyResourceId is missing: its transactions cannot be read")
    else:
        try:
            lines = payout_lines(client, legacy, reader)
        except Exception as exc:
            if not hasattr(exc, "retryable"):  # not the client's ChannelError
                raise
            reader.note(transactions_problem(exc))
    return Payout(
        external_ref=ref,
        amount=reader.number(net.get("amount"), "payout amount", required=True),
        currency=reader.text(net.get("currencyCode"), "payout currency"),
        date=reader.date(node.get("issuedAt"), "payout date", required=True),
        status=reader.text(node.get("status"), "payout status"),
        lines=lines,
    )


@payout_reader
def fetch_payouts(client, since=None):
    """Paid payouts issued after ``since`` (naive UTC), newest first as Shopify lists them.

    A payout that cannot be fully read is yielded with ``problems`` (see payouts.py)."""
    for node in _connection(client, Q_PAYOUTS, "payouts", {}):
        if isinstance(node, dict) and node.get("status") != "PAID":
            continue
        payout = read_payout(client, node, _read_payout, client)
        if since and payout.date and payout.date < since and not payout.problems:
            continue
        yield payout
