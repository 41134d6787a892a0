"""Receipt maths: expected versus received, over-receipt tolerance and supplier fill rate."""

from dataclasses import dataclass

OK = "ok"
SHORT = "short"
OVER = "over"
UNEXPECTED = "unexpected"
PENDING = "pending"


@dataclass(frozen=True)
class ReceiptLineStatus:
    status: str  # OK, SHORT, OVER, UNEXPECTED (PENDING: nothing received yet)
    difference: float  # received - expected
    needs_confirmation: bool  # receiving this much exceeds the tolerance


def receipt_status(expected, received, tolerance_pct=0.0, final=False):
    """Status of a receipt line once ``received`` units were scanned against ``expected``.

    ``needs_confirmation`` is true when ``received`` exceeds ``expected`` by more than
    ``tolerance_pct`` percent (any quantity of a product that was not expected needs it).
    Before validation (``final`` false) a line with less than expected is PENDING."""
    if tolerance_pct < 0:
        raise ValueError("the over-receipt tolerance cannot be negative")
    if received < 0 or expected < 0:
        raise ValueError("quantities cannot be negative")
    difference = received - expected
    if expected == 0:
        return ReceiptLineStatus(UNEXPECTED if received else OK, difference, received > 0)
    limit = expected * (1 + tolerance_pct / 100.0)
    needs_confirmation = received > limit + 1e-9
    if difference > 1e-9:
        status = OVER
    elif difference < -1e-9:
        status = SHORT if final or received else PENDING
    else:
        status = OK
    return ReceiptLineStatus(status, difference, needs_confirmation)


def fill_rate(lines):
    """Share of the ordered quantity delivered, over-deliveries not counted: ``lines`` are
    (expected, received) pairs; unexpected lines (expected 0) do not count. None when nothing
    was expected."""
    expected = sum(e for e, _r in lines if e > 0)
    if expected <= 0:
        return None
    return sum(min(e, r) for e, r in lines if e > 0) / expected
