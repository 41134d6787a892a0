"""Unit tests of ecom_fulfilment_core.pricing: exact unit prices and tax rates (no Odoo)."""

import pytest
from ecom_fulfilment_core.pricing import (
    exact_parts,
    exact_unit_price,
    line_problem,
    line_total,
    match_rate,
    round_amount,
    tax_of,
    to_units,
)


def test_round_half_up():
    assert round_amount(2.675) == 2.68  # float rounding would give 2.67
    assert round_amount(8.325) == 8.33
    assert to_units(19.98) == 1998


@pytest.mark.parametrize(
    "total, quantity, price",
    [(19.98, 2, 9.99), (29.97, 3, 9.99), (16.65, 2, None), (10.0, 3, None), (0.0, 4, 0.0)],
)
def test_exact_unit_price(total, quantity, price):
    assert exact_unit_price(total, quantity) == price


@pytest.mark.parametrize(
    "total, quantity",
    [(10.0, 3), (16.65, 2), (17.475, 3), (0.01, 7), (99.99, 12), (19.98, 2), (3.49, 1)],
)
def test_exact_parts_reproduce_the_total(total, quantity):
    parts = exact_parts(total, quantity)
    assert sum(q for q, __ in parts) == quantity
    assert to_units(sum(q * p for q, p in parts)) == to_units(total)
    assert all(round(p, 2) == p for __, p in parts)
    assert len(parts) <= 2


def test_exact_parts_split_one_cent_apart():
    assert exact_parts(10.0, 3) == [(2, 3.33), (1, 3.34)]
    assert exact_parts(19.98, 2) == [(2, 9.99)]


def test_fractional_quantity_without_exact_price():
    assert exact_parts(10.0, 1.5) is None
    assert exact_parts(3.0, 1.5) == [(1.5, 2.0)]


def test_line_total():
    assert line_total(3, 9.99) == 29.97
    assert line_total(3, 9.99, total=25.0) == 25.0


def test_tax_of_included_and_excluded():
    assert tax_of(19.98, 20, True) == 3.33
    assert tax_of(20.97, 20, True) == 3.5  # one line of 20.97: 3.495 rounds up (Odoo too)
    assert tax_of(12.49, 20, True) + tax_of(4.99, 20, True) + tax_of(3.49, 20, True) == 3.49
    assert tax_of(16.65, 20, False) == 3.33
    assert tax_of(10.0, 5, False) == 0.5
    assert tax_of(10.0, 0, True) == 0.0


def test_match_rate():
    rates = [0.0, 5.0, 20.0]
    assert match_rate(19.98, 3.33, rates, included=True) == 20.0
    assert match_rate(10.5, 0.5, rates, included=True) == 5.0
    assert match_rate(10.0, 0.0, rates, included=False) == 0.0
    assert match_rate(10.0, 1.0, rates, included=False) is None  # 10 %: no such tax
    # a channel rounding on the order total: one cent off the line's exact tax
    assert match_rate(4.99, 0.84, rates, included=True) == 20.0
    assert match_rate(4.99, 0.84, rates, included=True, tolerance=0) is None


def test_amounts_in_currencies_without_cents_or_with_three_decimals():
    """Yen totals have no decimals, dinar totals three; unit prices keep the price precision
    (2 decimals) and Odoo rounds their product as the currency does."""
    # 1,000 yen for 3: 333.33 x 3 = 999.99, which is 1,000 yen: one line, no split
    assert exact_unit_price(1000, 3, 2, amount_digits=0) == 333.33
    assert exact_parts(1000, 3, 2, amount_digits=0) == [(3, 333.33)]
    assert line_total(3, 333.333, digits=0) == 1000.0
    # 1.235 dinars for 1: no price of 2 decimals gives it (the order is flagged), nor a split
    assert exact_unit_price(1.235, 1, 2, amount_digits=3) is None
    assert exact_parts(1.235, 1, 2, amount_digits=3) is None
    assert line_total(1, 1.235, digits=3) == 1.235  # not 1.24
    # 1.230 dinars for 3 has a split at the price precision
    parts = exact_parts(1.23, 3, 2, amount_digits=3)
    assert parts == [(3, 0.41)]
    assert exact_parts(1.0, 3, 2, amount_digits=3) == [(2, 0.33), (1, 0.34)]
    # with 3-decimal prices, a dinar total of 1.235 for 2 splits at a fils
    assert exact_parts(1.235, 2, 3, amount_digits=3) == [(1, 0.617), (1, 0.618)]


def test_match_rate_in_the_currency_of_the_order():
    rates = [0.0, 5.0, 20.0]
    # 5 % of 1,990 yen included is 94.76: the channel reports 95 yen
    assert match_rate(1990, 95, rates, included=True, digits=0) == 5.0
    assert match_rate(1990, 95, rates, included=True) is None  # read as pounds: 94.76
    # 5 % of 12.345 dinars added is 0.617 (0.61725)
    assert match_rate(12.345, 0.617, rates, included=False, digits=3) == 5.0


@pytest.mark.parametrize(
    "quantity, price, total, tax, problem",
    [
        (2, 9.99, 19.98, 3.33, None),
        (1, 0.0, None, 0.0, None),  # a free line, the total left to quantity x price
        (0, 9.99, None, 0.0, "quantity"),
        (-1, 9.99, None, 0.0, "quantity"),  # a return is not a sale
        (float("nan"), 9.99, None, 0.0, "quantity"),
        (float("inf"), 9.99, None, 0.0, "quantity"),
        ("2", 9.99, None, 0.0, "quantity"),  # a text from a broken answer
        (True, 9.99, None, 0.0, "quantity"),
        (None, 9.99, None, 0.0, "quantity"),
        (1, -0.01, None, 0.0, "price"),
        (1, float("nan"), None, 0.0, "price"),
        (1, None, None, 0.0, "price"),
        (1, 9.99, -1.0, 0.0, "total"),
        (1, 9.99, float("-inf"), 0.0, "total"),
        (1, 9.99, 9.99, float("nan"), "tax"),
        (1, 9.99, 9.99, None, "tax"),
        (-1, -1.0, -1.0, float("nan"), "quantity"),  # the first thing wrong is named
    ],
)
def test_line_problem(quantity, price, total, tax, problem):
    assert line_problem(quantity, price, total, tax) == problem
