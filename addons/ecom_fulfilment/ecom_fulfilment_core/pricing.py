"""Exact prices and taxes of channel order lines (plain Python, no ORM).

A channel reports a line as a quantity and a line total (after its discounts, with or without
tax as the order says). Odoo keeps unit prices with the *Product Price* precision (2 decimals
by default) and computes ``quantity x unit price``: 2 x 9.99 is exact, but 3 for 10.00 is not
(3.33 or 3.34). ``exact_parts`` gives the unit prices that reproduce the line total to the
cent: one part when ``total / quantity`` has the precision, otherwise two parts of the same
line (``r`` units one cent dearer than the others), which is exact for whole quantities.
Amounts are rounded as their currency rounds (``digits``: 2 for pounds, 0 for yen, 3 for
dinars); unit prices keep the price precision.

Taxes: ``tax_of`` is the tax of an amount at a rate, included in it or added to it, rounded
as a channel rounding per line does; ``match_rate`` finds, among the rates of the company's
taxes, the one that gives the tax the channel reports on an amount.
"""

import math
from decimal import ROUND_HALF_UP, Decimal

#: A tax reported on a line may be off by this many cents from the exact tax of its rate when
#: the channel rounds its tax on the order total, not per line.
GLOBAL_ROUNDING_CENTS = 1


def dec(value):
    """``value`` as a Decimal of its shortest decimal text (9.99, not 9.9900000000000002)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def to_units(amount, digits=2):
    """``amount`` in the smallest unit of the currency (cents for 2 digits), rounded half up."""
    return int(dec(amount).scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_units(units, digits=2):
    return float(Decimal(units).scaleb(-digits))


def round_amount(amount, digits=2):
    """``amount`` rounded half up to ``digits`` decimals (as currencies round)."""
    return from_units(to_units(amount, digits), digits)


def is_whole(quantity):
    return float(quantity).is_integer()


def line_total(quantity, unit_price, total=None, digits=2):
    """The total of a channel line: the one the channel gives, else quantity x unit price."""
    if total is not None:
        return round_amount(total, digits)
    return round_amount(dec(quantity) * dec(unit_price), digits)


def exact_unit_price(total, quantity, digits=2, amount_digits=None):
    """A unit price with ``digits`` decimals (the price precision) whose product with
    ``quantity``, rounded as the currency rounds (``amount_digits`` decimals, ``digits`` when
    not given), is ``total``; None when there is none (10.00 for 3)."""
    amount_digits = digits if amount_digits is None else amount_digits
    if not quantity:
        return None
    price = round_amount(dec(total) / dec(quantity), digits)
    if to_units(dec(price) * dec(quantity), amount_digits) == to_units(total, amount_digits):
        return price
    return None


def exact_parts(total, quantity, digits=2, amount_digits=None):
    """``[(quantity, unit price)]`` reproducing ``total`` exactly: one part when a unit price
    with ``digits`` decimals does, else, for a whole quantity, two parts whose unit prices differ
    by one smallest unit (10.00 for 3: ``[(2, 3.33), (1, 3.34)]``). The total is an amount of
    a currency of ``amount_digits`` decimals (``digits`` when not given): 0 for yen, 3 for
    dinars. None when no such prices exist: a fractional quantity without an exact price, or
    a total finer than the price precision (1.235 dinars with 2-decimal prices); the caller
    keeps the nearest price and the difference is flagged."""
    amount_digits = digits if amount_digits is None else amount_digits
    price = exact_unit_price(total, quantity, digits, amount_digits)
    if price is not None:
        return [(quantity, price)]
    if not is_whole(quantity) or quantity <= 0:
        return None
    step = min(digits, amount_digits)  # each part's total is then exact in the currency
    units = to_units(total, step)
    if units * 10 ** (amount_digits - step) != to_units(total, amount_digits):
        return None
    count = int(quantity)
    low, dearer = divmod(units, count)
    return [
        (count - dearer, from_units(low, step)),
        (dearer, from_units(low + 1, step)),
    ]


def tax_of(amount, rate, included, digits=2):
    """Tax at ``rate`` percent of ``amount``, which includes the tax or not, rounded."""
    amount, factor = dec(amount), dec(rate) / 100
    raw = amount - amount / (1 + factor) if included else amount * factor
    return round_amount(raw, digits)


def match_rate(amount, tax, rates, included, digits=2, tolerance=GLOBAL_ROUNDING_CENTS):
    """The rate among ``rates`` (percent) whose tax on ``amount`` is ``tax``: exactly when one
    does, else within ``tolerance`` cents (a channel rounding on the order total); the closest
    wins, the lower rate on a tie. None when no rate gives that tax."""
    wanted = to_units(tax, digits)
    best = None
    for rate in sorted(set(rates)):
        gap = abs(to_units(tax_of(amount, rate, included, digits), digits) - wanted)
        if gap <= tolerance and (best is None or gap < best[0]):
            best = (gap, rate)
    return best[1] if best else None


def same_rate(first, second):
    """Whether two tax rates (percent) are the same rate (to 4 decimals)."""
    return abs(float(first) - float(second)) < 0.00005


def is_amount(value):
    """Whether ``value`` is a finite number (not a text, None, NaN or infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def line_problem(quantity, unit_price, total=None, tax=0.0):
    """What makes a channel line unsellable as it is, by name (``"quantity"``, ``"price"``,
    ``"total"``, ``"tax"``: the first one wrong), or None: a quantity above zero, a price and a
    total (when given) of at least zero, and a tax that is an amount."""
    if not (is_amount(quantity) and quantity > 0):
        return "quantity"
    if not (is_amount(unit_price) and unit_price >= 0):
        return "price"
    if total is not None and not (is_amount(total) and total >= 0):
        return "total"
    if not is_amount(tax):
        return "tax"
    return None
