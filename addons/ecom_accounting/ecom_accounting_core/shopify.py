"""Shopify Payments payouts (Admin GraphQL 2025-01): ``shopifyPaymentsAccount.payouts`` and the
balance transactions of each payout (``balanceTransactions(query: "payments_transfer_id:...")``).

A charge transaction is an order paid (``amount``) less Shopify's fee (``fee``); a refund is
negative; adjustments and other types carry fees only.
"""

from datetime import datetime, timezone

from .payouts import Payout, PayoutLine, merge_lines

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


def _parse(value):
    if not value:
        return None
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _money(value):
    return float((value or {}).get("amount") or 0.0)


def _connection(client, document, key, variables):
    after = None
    while True:
        data = client.graphql(document, dict(variables, first=100, after=after), cost=110)
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return
        page = account[key]
        yield from page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def payout_lines(client, payout_legacy_id):
    lines = []
    query = "payments_transfer_id:%s" % payout_legacy_id
    for tx in _connection(client, Q_TRANSACTIONS, "balanceTransactions", {"query": query}):
        kind = KINDS.get(tx.get("type"), "charge")
        order = tx.get("associatedOrder") or {}
        amount, fee = _money(tx.get("amount")), _money(tx.get("fee"))
        if kind == "charge":  # not an order: everything it moves is a charge (or a credit)
            amount, fee = 0.0, round(fee - amount, 2)
        lines.append(
            PayoutLine(
                kind,
                amount=amount,
                fee=fee,
                order_ref=order.get("id") or "",
                external_ref=tx.get("id") or "",
                description=tx.get("type") or "",
            )
        )
    return merge_lines(lines)


def fetch_payouts(client, since=None):
    """Paid payouts issued after ``since`` (naive UTC), newest first as Shopify lists them."""
    for node in _connection(client, Q_PAYOUTS, "payouts", {}):
        if node.get("status") != "PAID":
            continue
        issued = _parse(node.get("issuedAt"))
        if since and issued and issued < since:
            continue
        yield Payout(
            external_ref=node["id"],
            amount=_money(node.get("net")),
            currency=(node.get("net") or {}).get("currencyCode") or "",
            date=issued,
            status=node.get("status") or "",
            lines=payout_lines(client, node.get("legacyResourceId")),
            raw=node,
        )
