"""Time to deliver: the vendor's stated lead time, or the one measured from past purchases."""

import math
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


def measure_lead_times(days):
    """(receipts, mean days, sample standard deviation) of the measured lead times ``days`` of a
    vendor (one per purchase line: confirmation to its first receipt); the deviation is 0 with
    fewer than two receipts."""
    days = [float(value) for value in days if value is not None]
    count = len(days)
    if not count:
        return 0, 0.0, 0.0
    mean = sum(days) / count
    if count < 2:
        return count, mean, 0.0
    variance = sum((value - mean) ** 2 for value in days) / (count - 1)
    return count, mean, math.sqrt(variance)
