"""Value classes of a marketplace payout and the maths that checks it."""

from dataclasses import dataclass, field
from datetime import datetime

#: Kinds of payout lines: an order paid by a buyer, a refund to a buyer, a charge of the
#: marketplace not tied to an order (subscription, advertising, shipping label...).
LINE_KINDS = ("order", "refund", "charge")


class PayoutsNotSupported(Exception):
    """The channel has no payout API (WooCommerce: the payment provider pays the merchant)."""


class PayoutMismatch(ValueError):
    """A payout whose lines do not add up to the amount paid."""


def cents(value):
    """An amount in integer cents (banker-safe rounding of a float)."""
    return int(round(float(value or 0) * 100 + (1e-9 if value and value > 0 else -1e-9)))


@dataclass
class PayoutLine:
    """One movement of a payout, in the payout's currency.

    ``amount`` is what the buyer paid (order, positive) or got back (refund, negative); ``fee``
    is what the marketplace kept for it (positive when charged, negative when given back).
    A ``charge`` line has no amount, only a fee. The money the line adds to the payout is
    ``amount - fee``.
    """

    kind: str
    amount: float = 0.0
    fee: float = 0.0
    order_ref: str = ""
    external_ref: str = ""
    description: str = ""
    fee_details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise ValueError("unknown payout line kind %r" % (self.kind,))

    @property
    def net(self):
        return (cents(self.amount) - cents(self.fee)) / 100.0


@dataclass
class Payout:
    """A transfer of the marketplace to the merchant's bank: ``amount`` is the money that
    arrives, ``lines`` the orders, refunds and fees it settles."""

    external_ref: str
    amount: float
    currency: str = ""
    date: datetime | None = None
    status: str = ""
    lines: list[PayoutLine] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def gross(self):
        return sum(cents(line.amount) for line in self.lines) / 100.0

    @property
    def fees(self):
        return sum(cents(line.fee) for line in self.lines) / 100.0

    @property
    def difference(self):
        """What the lines leave unexplained (0.0 for a consistent payout)."""
        return (
            cents(self.amount) - sum(cents(line.amount) - cents(line.fee) for line in self.lines)
        ) / 100.0

    def check(self):
        """Raise PayoutMismatch when the lines do not add up to the amount paid."""
        if cents(self.difference):
            raise PayoutMismatch(
                "payout %s: the lines add up to %.2f but %.2f was paid (difference %.2f)"
                % (self.external_ref, self.gross - self.fees, self.amount, self.difference)
            )
        return self


def merge_lines(lines):
    """Lines of the same kind and order added up (one order paid in several events)."""
    merged = {}
    for line in lines:
        key = (line.kind, line.order_ref or line.external_ref)
        if key not in merged:
            merged[key] = PayoutLine(
                line.kind,
                order_ref=line.order_ref,
                external_ref=line.external_ref,
                description=line.description,
            )
        target = merged[key]
        target.amount = (cents(target.amount) + cents(line.amount)) / 100.0
        target.fee = (cents(target.fee) + cents(line.fee)) / 100.0
        for name, value in line.fee_details.items():
            target.fee_details[name] = (
                cents(target.fee_details.get(name, 0)) + cents(value)
            ) / 100.0
    return list(merged.values())
