"""Plain-Python warehouse rules: walking order of bins, ABC classes, count due dates and
receipt tolerances. No Odoo import: the models call these functions with plain values."""

from .route import natural_key, route_sort
from .classify import abc_classes
from .schedule import CountPolicy, count_due_date, is_due, inventory_quantity_to_set
from .tolerance import ReceiptLineStatus, receipt_status, fill_rate
