"""Choose the carrier service for an order from the merchant's service-level rules.

Rules are tried in (sequence, id) order and the first one whose every condition holds wins.
Default rules are only used when no ordinary rule matches: the order's channel's default first,
then a default that names no channel.
"""

import fnmatch
import re
from dataclasses import dataclass, field


def normalise(text):
    """Case- and spacing-insensitive form of a service level ('Std  Standard' -> 'std standard')."""
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


@dataclass(frozen=True)
class ShippingRule:
    id: int
    sequence: int = 10
    channel_id: int | None = None
    service_level: str = ""
    country_ids: frozenset = field(default_factory=frozenset)
    weight_min: float = 0.0
    weight_max: float = 0.0
    amount_min: float = 0.0
    amount_max: float = 0.0
    is_default: bool = False

    def service_patterns(self):
        """The rule's service levels: comma-separated alternatives, each may use * and ?."""
        return [normalise(p) for p in (self.service_level or "").split(",") if p.strip()]

    def matches_service(self, service_level):
        patterns = self.service_patterns()
        if not patterns:
            return True
        wanted = normalise(service_level)
        return any(fnmatch.fnmatchcase(wanted, pattern) for pattern in patterns)

    def matches(self, shipment):
        """Every condition the rule sets holds for the shipment (unset conditions hold)."""
        if self.channel_id and self.channel_id != shipment.channel_id:
            return False
        if self.country_ids and shipment.country_id not in self.country_ids:
            return False
        if not _in_range(shipment.weight, self.weight_min, self.weight_max):
            return False
        if not _in_range(shipment.amount, self.amount_min, self.amount_max):
            return False
        return self.matches_service(shipment.service_level)


@dataclass(frozen=True)
class Shipment:
    channel_id: int | None
    service_level: str
    country_id: int | None
    weight: float
    amount: float


def _in_range(value, low, high):
    """``low <= value < high``; a bound of 0 means no bound on that side."""
    if low and value < low:
        return False
    if high and value >= high:
        return False
    return True


def select_rule(rules, shipment):
    """Return the rule to apply to ``shipment``, or ``None`` when nothing matches."""
    ordered = sorted(rules, key=lambda r: (r.sequence, r.id))
    for rule in ordered:
        if not rule.is_default and rule.matches(shipment):
            return rule
    defaults = [r for r in ordered if r.is_default and r.matches(shipment)]
    for rule in defaults:
        if rule.channel_id:
            return rule
    return defaults[0] if defaults else None
