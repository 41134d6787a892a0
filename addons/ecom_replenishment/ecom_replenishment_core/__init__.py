"""Replenishment maths, plain Python (no Odoo): demand from in-stock days, reorder levels.

The Odoo models read history with a few grouped queries, hand it to these functions and write
the results on the reorder rules.
"""

from .demand import (
    BAYES,
    CROSTON,
    MAX_CATEGORY_DISTANCE,
    MEAN,
    NONE,
    ComparablePool,
    DemandEstimate,
    DemandSettings,
    Observation,
    Prior,
    Profile,
    cap_spikes,
    category_distance,
    croston_sba,
    estimate_demand,
    observe,
    observe_days,
    observe_events,
    similarity,
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
    "BAYES",
    "CROSTON",
    "MAX_CATEGORY_DISTANCE",
    "MEAN",
    "MEASURED",
    "NONE",
    "ComparablePool",
    "VENDOR",
    "DemandEstimate",
    "DemandSettings",
    "LeadTime",
    "Observation",
    "Prior",
    "Profile",
    "ReorderLevels",
    "cap_spikes",
    "category_distance",
    "choose_lead_time",
    "croston_sba",
    "days_of_cover",
    "estimate_demand",
    "observe",
    "observe_days",
    "observe_events",
    "reorder_levels",
    "round_up",
    "safety_stock",
    "similarity",
    "stockout_probability",
    "z_score",
]
