"""When a bin is due for a cycle count, and what a count sets as the inventory quantity."""

from dataclasses import dataclass
from datetime import timedelta

ZERO = "zero"
DISCREPANCY = "discrepancy"
NEVER = "never"
SCHEDULE = "schedule"


@dataclass(frozen=True)
class CountPolicy:
    """Days between two counts of a bin holding an A, B or C product."""

    a_days: int = 30
    b_days: int = 90
    c_days: int = 365

    def interval(self, abc_class):
        days = {"a": self.a_days, "b": self.b_days, "c": self.c_days}.get(abc_class or "c")
        if days is None or days <= 0:
            raise ValueError("count intervals must be positive numbers of days")
        return days


def count_due_date(policy, abc_class, last_count, first_due, requested_on=None, reason=None):
    """(due date, reason) of a bin's next count.

    ``first_due`` is when a never-counted bin becomes due (e.g. its creation date). A count
    requested on ``requested_on`` (bin emptied, discrepancy found: ``reason``) is due that day
    unless the schedule already made it due earlier."""
    if not last_count:
        scheduled, why = first_due, NEVER
    else:
        scheduled, why = last_count + timedelta(days=policy.interval(abc_class)), SCHEDULE
    if requested_on and requested_on < scheduled:
        return requested_on, reason or DISCREPANCY
    return scheduled, why


def is_due(due_date, today):
    return bool(due_date) and due_date <= today


def inventory_quantity_to_set(counted, picked_not_done):
    """The quant's inventory quantity for a bin where ``counted`` units were found while
    ``picked_not_done`` units were already taken out by picks not validated yet: those units
    are still in the quant until the pick is validated, so adding them back keeps them from
    being counted missing now and removed a second time by the pick."""
    if counted < 0:
        raise ValueError("a counted quantity cannot be negative")
    return counted + max(picked_not_done, 0.0)
