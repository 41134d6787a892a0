"""Time to deliver: the vendor's stated lead time, or the one measured from past purchases."""

from dataclasses import dataclass

VENDOR = "vendor"
MEASURED = "measured"


@dataclass(frozen=True)
class LeadTime:
    days: float
    std: float
    source: str  # VENDOR or MEASURED
    samples: int = 0


def choose_lead_time(vendor_days, mode=VENDOR, samples=0, mean=0.0, std=0.0, min_samples=3):
    """The measured lead time (confirmation -> receipt) when ``mode`` asks for it and at least
    ``min_samples`` receipts were measured, else the vendor pricelist's lead time."""
    if mode == MEASURED and samples >= min_samples:
        return LeadTime(max(mean, 0.0), max(std or 0.0, 0.0), MEASURED, samples)
    return LeadTime(float(vendor_days or 0.0), 0.0, VENDOR, samples)
