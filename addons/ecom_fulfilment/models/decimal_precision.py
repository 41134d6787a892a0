# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from contextlib import contextmanager

from odoo import models

#: The decimal precisions read while an import creates and confirms its orders:
#: ``{application: digits}`` (see ``remembered_precisions``).
PRECISIONS = "ecom_fulfilment.precisions"


@contextmanager
def remembered_precisions(env):
    """While an import creates and confirms its orders, each decimal precision is looked up
    once. Odoo reads the precision of every float field of every record it creates (``Float``
    fields convert their values with it), through a cached method whose every call binds its
    arguments again: thousands of calls per order. An import never changes a precision."""
    data = env.cr.cache  # the cursor's (a savepoint clears the transaction's data)
    if PRECISIONS in data:
        yield
        return
    data[PRECISIONS] = {}
    try:
        yield
    finally:
        data.pop(PRECISIONS, None)


class DecimalPrecision(models.Model):
    _inherit = "decimal.precision"

    def precision_get(self, application):
        memo = self.env.cr.cache.get(PRECISIONS)
        # account changes the discount's precision for the time of some computations
        if memo is None or application == "Discount":
            return super().precision_get(application)
        if application not in memo:
            memo[application] = super().precision_get(application)
        return memo[application]
