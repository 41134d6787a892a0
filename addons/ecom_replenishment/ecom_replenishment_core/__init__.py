"""Replenishment maths, plain Python (no Odoo): demand from in-stock days, reorder levels.

The Odoo models read history with a few grouped queries, hand it to these functions and write
the results on the reorder rules.
"""

from .demand import (
    DemandEstimate,
    DemandSettings,
    Observation,
    cap_spikes,
    estimate_demand,
    observe,
    pooled_rate,
)
from .leadtime import MEASURED, VENDOR, LeadTime, choose_lead_time
from .policy import (
    ReorderLevels,
    days_of_cover,
    reorder_levels,
    round_up,
    safety_stock,
    stockout_probability,
    z_score,
)

__all__ = [
    "MEASURED",
    "VENDOR",
    "DemandEstimate",
    "DemandSettings",
    "LeadTime",
    "Observation",
    "ReorderLevels",
    "cap_spikes",
    "choose_lead_time",
    "days_of_cover",
    "estimate_demand",
    "observe",
    "pooled_rate",
    "reorder_levels",
    "round_up",
    "safety_stock",
    "stockout_probability",
    "z_score",
]
