"""Value classes of a marketplace payout, the maths that checks it, and the safe reading of the
channels' payout data.

Readers never raise for one bad payout or transaction: the payout is yielded with ``problems``
(plain words, e.g. ``payout date 'yesterday' cannot be read``) and its raw data; a payout whose
id cannot be read has ``external_ref=""``. A payout with problems must not be booked as if it
were fine: the importer keeps it for attention.
"""

import contextlib
import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime

_logger = logging.getLogger(__name__)

#: Errors raised when data has not the expected shape.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError)

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
    #: What could not be read in the payout or its transactions, in plain words (a date that
    #: does not parse, a missing id, an amount that is not a number, a transaction that is not
    #: an object, transactions the channel would not give...). Readable lines are kept; an
    #: unreadable one counts 0. A payout with problems is never settled as if it were fine.
    problems: list[str] = field(default_factory=list)

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


def read_payout(client, data, fill, *args):
    """The Payout of one payout's raw data; never raises for bad data (see the module
    docstring). ``fill(data, reader, *args)`` builds it with the client's reader."""
    reader = client.new_reader()
    if not isinstance(data, dict):
        reader.note("the payout is not an object: %s" % reader.shown(data))
        return Payout("", 0.0, raw={"value": data}, problems=reader.problems)
    try:
        payout = fill(data, reader, *args)
    except SHAPE_ERRORS as exc:
        _logger.info(
            "payout %s could not be read (%s)",
            reader.external_ref or "?",
            type(exc).__name__,
            exc_info=True,
        )
        reader.note(
            "the payout could not be read (%s: %s)" % (type(exc).__name__, reader.shown(exc, 200))
        )
        payout = Payout(reader.external_ref, 0.0)
    payout.raw = data
    payout.problems = reader.problems + [p for p in payout.problems if p not in reader.problems]
    return payout


def transactions_problem(exc):
    """The problem of a payout whose transactions the channel refused (a retryable failure is
    raised instead: the whole reading is tried again later)."""
    if getattr(exc, "retryable", False):
        raise exc
    return "its transactions cannot be read: %s" % (getattr(exc, "message", None) or exc)


def payout_reader(func):
    """Wrap ``fetch_payouts(client, ...)``: each step is one ``max_retry_wait`` budget of the
    client, and data of an unexpected shape outside one payout (a page) becomes the client's
    ChannelError naming the operation."""

    @functools.wraps(func)
    def generator(client, *args, **kwargs):
        inner = func(client, *args, **kwargs)
        transport = getattr(client, "transport", None)
        waited = 0.0
        try:
            while True:
                scope = (
                    transport.wait_scope(start=waited)
                    if transport is not None
                    else contextlib.nullcontext()
                )
                with scope:
                    try:
                        item = next(inner)
                    except StopIteration:
                        return
                    except SHAPE_ERRORS as exc:
                        raise client.shape_error("reading the payouts", exc) from exc
                    waited = transport.waited if transport is not None else 0.0
                yield item
        finally:
            inner.close()

    return generator
