# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from ..ecom_warehouse_core import abc_classes, count_due_date, natural_key
from .product_product import ABC_CLASSES

_logger = logging.getLogger(__name__)

COUNT_REASONS = [
    ("never", "Never counted"),
    ("schedule", "ABC schedule"),
    ("zero", "Bin emptied"),
    ("discrepancy", "Discrepancy found"),
]


class StockLocation(models.Model):
    _inherit = "stock.location"

    ecom_route_sequence = fields.Integer(
        string="Route Sequence",
        default=0,
        help="Walking order of the pickers: lower first. Bins with the same sequence follow the "
        "natural order of their names (A-2-1 before A-10-1).",
    )
    ecom_abc_class = fields.Selection(
        ABC_CLASSES,
        string="ABC Class",
        readonly=True,
        help="The best class of the products stored in the bin.",
    )
    ecom_last_count_date = fields.Date(string="Last Cycle Count", readonly=True)
    ecom_count_requested = fields.Selection(
        [("zero", "Bin emptied"), ("discrepancy", "Discrepancy found")],
        string="Count Requested",
        readonly=True,
        help="Set when the bin was emptied or a discrepancy was found there; cleared by the "
        "next count.",
    )
    ecom_count_requested_date = fields.Date(string="Count Requested On", readonly=True)
    ecom_count_due_date = fields.Date(
        string="Count Due", compute="_compute_ecom_count_due", store=True
    )
    ecom_count_reason = fields.Selection(
        COUNT_REASONS, string="Why", compute="_compute_ecom_count_due", store=True
    )

    @api.depends(
        "ecom_abc_class",
        "ecom_last_count_date",
        "ecom_count_requested",
        "ecom_count_requested_date",
        "usage",
        "company_id.ecom_count_a_days",
        "company_id.ecom_count_b_days",
        "company_id.ecom_count_c_days",
    )
    def _compute_ecom_count_due(self):
        for location in self:
            if location.usage != "internal" or not location.company_id:
                location.ecom_count_due_date = False
                location.ecom_count_reason = False
                continue
            created = (location.create_date or fields.Datetime.now()).date()
            due, reason = count_due_date(
                location.company_id._ecom_count_policy(),
                location.ecom_abc_class or "c",
                location.ecom_last_count_date,
                created,
                location.ecom_count_requested and location.ecom_count_requested_date,
                location.ecom_count_requested,
            )
            location.ecom_count_due_date = due
            location.ecom_count_reason = reason

    # ------------------------------------------------------------------ helpers

    def _ecom_route_key(self):
        self.ensure_one()
        return (self.ecom_route_sequence, natural_key(self.complete_name))

    def _ecom_route_sorted(self):
        """These locations in the walking order of the pickers."""
        return self.sorted(key=lambda loc: loc._ecom_route_key())

    @api.model
    def _ecom_find_by_barcode(self, barcode):
        domain = [("barcode", "=", barcode), ("usage", "=", "internal")]
        return self.search(domain, limit=1) or self.search(
            [("complete_name", "=", barcode), ("usage", "=", "internal")], limit=1
        )

    @api.model
    def ecom_wh_count_due_list(self, limit=30):
        """The bins due for a count today, in walking order."""
        today = fields.Date.context_today(self)
        bins = self.search(
            [("usage", "=", "internal"), ("ecom_count_due_date", "<=", today)],
            limit=500,
            order="ecom_count_due_date, id",
        )
        reasons = dict(self._fields["ecom_count_reason"]._description_selection(self.env))
        return [
            {
                "id": loc.id,
                "name": loc.name,
                "barcode": loc.barcode or "",
                "abc": (loc.ecom_abc_class or "c").upper(),
                "reason": reasons.get(loc.ecom_count_reason, ""),
            }
            for loc in bins._ecom_route_sorted()[:limit]
        ]

    def _ecom_request_count(self, reason):
        """Ask for a count of these bins (emptied bin, discrepancy found)."""
        internal = self.filtered(lambda loc: loc.usage == "internal")
        if internal:
            internal.sudo().write(
                {
                    "ecom_count_requested": reason,
                    "ecom_count_requested_date": fields.Date.context_today(self),
                }
            )

    # ------------------------------------------------------------------ schedule

    @api.model
    def _cron_ecom_count_schedule(self):
        """Daily: ABC class of every product from its sales value, then of every bin."""
        for company in self.env["res.company"].search([]):
            self.with_company(company)._ecom_classify(company)

    def _ecom_classify(self, company):
        since = fields.Datetime.now() - timedelta(days=company.ecom_abc_window_days)
        customer_moves = self.env["stock.move"]._read_group(
            [
                ("state", "=", "done"),
                ("company_id", "=", company.id),
                ("date", ">=", since),
                ("location_dest_id.usage", "=", "customer"),
            ],
            ["product_id"],
            ["product_qty:sum"],
        )
        # Sales value at the product's sales price (list price with its variant extras).
        values = {
            product.id: qty * product.with_company(company).lst_price
            for product, qty in customer_moves
        }
        products = self.env["product.product"].search(
            [("is_storable", "=", True), ("company_id", "in", [False, company.id])]
        )
        for product in products:
            values.setdefault(product.id, 0.0)
        classes = abc_classes(
            values, company.ecom_abc_a_share / 100.0, company.ecom_abc_b_share / 100.0
        )
        by_class = defaultdict(list)
        for product_id, abc in classes.items():
            by_class[abc].append(product_id)
        Product = self.env["product.product"].sudo()
        for abc, product_ids in by_class.items():
            Product.browse(product_ids).filtered(lambda p, c=abc: p.ecom_abc_class != c).write(
                {"ecom_abc_class": abc}
            )
        # A bin takes the best class of what it holds.
        quants = self.env["stock.quant"]._read_group(
            [
                ("company_id", "=", company.id),
                ("location_id.usage", "=", "internal"),
                ("quantity", ">", 0),
            ],
            ["location_id", "product_id"],
        )
        best = {}
        for location, product in quants:
            abc = classes.get(product.id, "c")
            best[location] = min(best.get(location, "c"), abc)
        bins = self.search([("usage", "=", "internal"), ("company_id", "=", company.id)])
        for abc in ("a", "b", "c"):
            bins.filtered(
                lambda loc, c=abc: best.get(loc, "c") == c and loc.ecom_abc_class != c
            ).sudo().write({"ecom_abc_class": abc})
        _logger.info(
            "ABC classes of %s: %d products, %d bins", company.name, len(classes), len(bins)
        )
