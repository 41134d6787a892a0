# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reordering rules fed by the daily sales on in-stock days (see ecom_replenishment_core).

One set-based pass per company: a handful of grouped SQL queries read what the rules need (the
rules with their product, vendor and units; the stock and the moves by product, warehouse and day
in the company's time zone; the receipts by vendor), the maths is plain Python, and the results
are written in bulk (one ``UPDATE ... FROM unnest(...)`` per batch) on Odoo's own rules, so that
the standard replenishment report and procurement create the purchase orders. A record-by-record
path (ORM reads and writes) computes the same figures; the tests compare the two.
"""

import functools
import logging
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..ecom_replenishment_core import (
    BAYES,
    CROSTON,
    ECOM,
    MEAN,
    MEASURED,
    NAIVE,
    STATIC,
    ComparablePool,
    DemandSettings,
    Profile,
    choose_lead_time,
    daily_events,
    days_of_cover,
    estimate_demand,
    index_categories,
    method_daily_rate,
    method_levels,
    near_categories,
    observe_events,
    stockout_probability,
)

_logger = logging.getLogger(__name__)

# products per history query, rules per write batch
HISTORY_CHUNK = 50000
WRITE_CHUNK = 2000
# memory of the history query's grouping by product and day (one query per recompute)
HISTORY_WORK_MEM = "256MB"

# What the recompute needs to know of one rule: read in bulk (SQL) or record by record (ORM).
RuleInput = namedtuple(
    "RuleInput",
    "id product_id warehouse_id profile vendor_id vendor_delay min_order_qty interval "
    "interval_source qty_multiple rounding static_min static_max",
)

# A vendor pricelist line, as the recompute needs it.
Seller = namedtuple(
    "Seller",
    "template_id product_id partner_id delay min_qty date_start date_end active interval",
)

# The fields the recompute writes, with their SQL type.
RESULT_COLUMNS = {
    "product_min_qty": "numeric",
    "product_max_qty": "numeric",
    "ecom_daily_sales": "numeric",
    "ecom_daily_sales_std": "numeric",
    "ecom_in_stock_days": "int4",
    "ecom_lead_days": "numeric",
    "ecom_lead_days_std": "numeric",
    "ecom_order_interval_days": "numeric",
    "ecom_safety_stock": "numeric",
    "ecom_static_min_qty": "numeric",
    "ecom_static_max_qty": "numeric",
    "ecom_estimate_method": "varchar",
    "ecom_explanation": "text",
    "ecom_recompute_date": "timestamp",
}


@functools.lru_cache(maxsize=4096)
def _category_path(parent_path):
    """(root id, ..., category id) from a category's parent_path "1/4/7/"."""
    return tuple(int(categ) for categ in (parent_path or "").strip("/").split("/") if categ)


def _num(value):
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


@dataclass
class RecomputeContext:
    """What one company's recompute shares between its rules."""

    company: object
    now: datetime
    settings: DemandSettings
    days: list
    observations: dict  # (product, warehouse) -> Observation
    pools: dict  # warehouse -> ComparablePool
    measured: dict  # vendor -> (receipts, mean days, std days)
    vendor_names: dict = field(default_factory=dict)
    # the company's settings, read once
    method: str = ECOM
    service_level: float = 0.0
    lead_time_mode: str = "vendor"
    lead_time_min_samples: int = 3
    texts: dict = field(default_factory=dict)
    empty: object = None


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    ecom_daily_sales = fields.Float(
        string="Daily Sales",
        digits=(16, 3),
        readonly=True,
        help="Units sold per day on the days the product was in stock in the warehouse, as "
        "estimated by the company's method (see the explanation).",
    )
    ecom_daily_sales_std = fields.Float(
        string="Daily Sales Std. Dev.", digits=(16, 3), readonly=True, aggregator=None
    )
    ecom_in_stock_days = fields.Integer(
        string="Days in Stock",
        readonly=True,
        aggregator="avg",
        help="Days of the sales window on which the product was in stock in the warehouse.",
    )
    ecom_estimate_method = fields.Selection(
        [
            (BAYES, "Little evidence: comparable products"),
            (MEAN, "Mean of the days in stock"),
            (CROSTON, "Intermittent: Croston (SBA)"),
            ("none", "No day in stock"),
            (NAIVE, "Naive in-stock rate"),
        ],
        string="Demand Method",
        readonly=True,
        help="How the daily sales were estimated, from the evidence the history gives.",
    )
    ecom_lead_days = fields.Float(
        string="Lead Time (days)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Vendor lead time (pricelist or measured from past purchases).",
    )
    ecom_lead_days_std = fields.Float(
        string="Lead Time Std. Dev.", digits=(16, 1), readonly=True, aggregator="avg"
    )
    ecom_order_interval_days = fields.Float(
        string="Order Interval (days)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Days between two orders: from the product, else the vendor, else the company.",
    )
    ecom_safety_stock = fields.Float(
        string="Safety Stock", digits="Product Unit of Measure", readonly=True
    )
    ecom_static_min_qty = fields.Float(
        string="Configured Min",
        digits="Product Unit of Measure",
        help="The minimum as configured by hand (Odoo's static rule), kept when the levels are "
        "computed from sales; used when the company's method is 'Static min/max' and by the "
        "backtest.",
    )
    ecom_static_max_qty = fields.Float(
        string="Configured Max",
        digits="Product Unit of Measure",
        help="The maximum as configured by hand (Odoo's static rule), see Configured Min.",
    )
    ecom_explanation = fields.Text(string="Explanation", readonly=True)
    ecom_recompute_date = fields.Datetime(string="Computed On", readonly=True)
    ecom_days_of_cover = fields.Float(
        string="Days of Cover",
        compute="_compute_ecom_cover",
        digits=(16, 1),
        help="Days the stock on hand lasts at the daily sales.",
    )
    ecom_stockout_risk = fields.Float(
        string="Stock-out Risk",
        compute="_compute_ecom_cover",
        help="Probability that the sales until a delivery ordered today arrives exceed the "
        "forecast stock.",
    )

    # ------------------------------------------------------------------ computes

    @api.depends(
        "qty_on_hand",
        "qty_forecast",
        "ecom_daily_sales",
        "ecom_daily_sales_std",
        "ecom_lead_days",
        "ecom_lead_days_std",
    )
    def _compute_ecom_cover(self):
        for orderpoint in self:
            daily = orderpoint.ecom_daily_sales
            orderpoint.ecom_days_of_cover = days_of_cover(orderpoint.qty_on_hand, daily) or 0.0
            orderpoint.ecom_stockout_risk = stockout_probability(
                orderpoint.qty_forecast,
                daily,
                orderpoint.ecom_daily_sales_std,
                orderpoint.ecom_lead_days,
                orderpoint.ecom_lead_days_std,
            )

    # ------------------------------------------------------------------ actions

    def action_ecom_recompute(self):
        """Recompute daily sales, lead time, order interval, min and max of these rules."""
        self._ecom_recompute()
        return True

    def action_ecom_view_history(self):
        """Graph of the done moves of the product in the warehouse over the sales window."""
        self.ensure_one()
        company = self.company_id
        start, _days, _tz = self._ecom_window(company, fields.Datetime.now())
        warehouse = self.warehouse_id.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "Sales and stock of %(product)s", product=self.product_id.display_name
            ),
            "res_model": "stock.move.line",
            "view_mode": "graph,pivot,list",
            "views": [
                (self.env.ref("ecom_replenishment.stock_move_line_view_graph_ecom").id, "graph"),
                (self.env.ref("ecom_replenishment.stock_move_line_view_pivot_ecom").id, "pivot"),
                (False, "list"),
            ],
            "domain": [
                ("product_id", "=", self.product_id.id),
                ("state", "=", "done"),
                ("date", ">=", start),
                "|",
                ("location_id.warehouse_id", "=", warehouse),
                ("location_dest_id.warehouse_id", "=", warehouse),
            ],
            "context": {"create": False},
        }

    @api.model
    def _cron_ecom_recompute(self):
        """Nightly: create rules for products that sell and have none, recompute every rule.
        A company or a batch of rules that fails is logged and does not stop the others."""
        for company in self.env["res.company"].search([]):
            try:
                with self.env.cr.savepoint():
                    warehouses = self.env["stock.warehouse"].search(
                        [("company_id", "=", company.id)]
                    )
                    self.with_company(company)._ecom_create_missing(company, warehouses)
                    orderpoints = self.search(
                        [("company_id", "=", company.id), ("warehouse_id", "in", warehouses.ids)]
                    )
                    _logger.info(
                        "Replenishment: recomputing %s rules of company %s",
                        len(orderpoints),
                        company.id,
                    )
                    orderpoints.with_company(company)._ecom_recompute(raise_errors=False)
            except Exception:
                _logger.exception("Replenishment: recompute failed for company %s", company.id)

    # ------------------------------------------------------------------ Odoo's clean-up

    @api.autovacuum
    def _unlink_processed_orderpoints(self):
        """Odoo removes the manual rules that its replenishment report created (as superuser) once
        they have nothing left to order. Rules whose levels come from the sales history are the
        products' reorder levels, not one-off suggestions: they are kept."""
        candidates = super(
            StockWarehouseOrderpoint, self.with_context(ecom_keep_computed_orderpoints=True)
        )._unlink_processed_orderpoints()
        return candidates - candidates.exists()

    def unlink(self):
        if self.env.context.get("ecom_keep_computed_orderpoints"):
            self = self.filtered(lambda orderpoint: not orderpoint.ecom_recompute_date)
        return super().unlink()

    # ------------------------------------------------------------------ helpers

    @api.model
    def _ecom_window(self, company, now, window=None):
        """(start in UTC, the days of the window, time zone) in the company's time zone: the
        ``window`` days (default: the company's sales window) before the day of ``now``."""
        tz = pytz.timezone(company.partner_id.tz or "UTC")
        today = pytz.utc.localize(now).astimezone(tz).date()
        window = window or company.ecom_sales_window_days or 90
        days = [today - timedelta(days=n) for n in range(window, 0, -1)]
        start = tz.localize(datetime.combine(days[0], time.min)).astimezone(pytz.utc)
        return start.replace(tzinfo=None), days, tz

    @api.model
    def _ecom_settings(self, company):
        return DemandSettings(
            window_days=company.ecom_sales_window_days or 90,
            min_in_stock_days=max(company.ecom_min_in_stock_days, 1),
            spike_factor=company.ecom_spike_factor or 5.0,
        )

    @api.model
    def _ecom_create_missing(self, company, warehouses):
        """Create a rule on the stock location of each warehouse for the storable products that
        sold there in the window and have no rule in that warehouse (archived ones count)."""
        if not warehouses:
            return self.browse()
        start, _days, _tz = self._ecom_window(company, fields.Datetime.now())
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT sold.product_id, sold.warehouse_id
                  FROM (
                        SELECT ml.product_id, src.warehouse_id, ml.quantity_product_uom AS qty
                          FROM stock_move_line ml
                          JOIN stock_location src ON src.id = ml.location_id
                          JOIN stock_location dest ON dest.id = ml.location_dest_id
                         WHERE ml.state = 'done' AND ml.date >= %(start)s
                           AND src.usage = 'internal' AND src.warehouse_id = ANY(%(warehouses)s)
                           AND dest.usage = 'customer'
                     UNION ALL
                        SELECT ml.product_id, dest.warehouse_id, -ml.quantity_product_uom
                          FROM stock_move_line ml
                          JOIN stock_location src ON src.id = ml.location_id
                          JOIN stock_location dest ON dest.id = ml.location_dest_id
                         WHERE ml.state = 'done' AND ml.date >= %(start)s
                           AND dest.usage = 'internal' AND dest.warehouse_id = ANY(%(warehouses)s)
                           AND src.usage = 'customer'
                       ) sold
                  JOIN product_product pp ON pp.id = sold.product_id AND pp.active
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id AND pt.is_storable
                 WHERE NOT EXISTS (
                        SELECT 1 FROM stock_warehouse_orderpoint op
                         WHERE op.product_id = sold.product_id
                           AND op.warehouse_id = sold.warehouse_id
                       )
                 GROUP BY sold.product_id, sold.warehouse_id
                HAVING SUM(sold.qty) > 0
                """,
                start=start,
                warehouses=warehouses.ids,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self.browse()
        stock_location = {warehouse.id: warehouse.lot_stock_id.id for warehouse in warehouses}
        trigger = company.ecom_orderpoint_trigger or "manual"
        orderpoints = self.create(
            [
                {
                    "product_id": product_id,
                    "warehouse_id": warehouse_id,
                    "location_id": stock_location[warehouse_id],
                    "company_id": company.id,
                    "trigger": trigger,
                }
                for product_id, warehouse_id in rows
            ]
        )
        orderpoints._set_default_route_id()
        _logger.info("Replenishment: created %s reordering rules", len(orderpoints))
        return orderpoints

    # ------------------------------------------------------------------ recompute

    def _ecom_recompute(self, raise_errors=True, bulk=True):
        """Recompute the rules, company by company: in bulk (set-based reads, one UPDATE per
        batch), or record by record through the ORM (``bulk=False``, same figures)."""
        # the bulk path writes in SQL: the ORM's access rights and record rules are checked here
        self.check_access("write")
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT company_id, array_agg(id ORDER BY id) FROM stock_warehouse_orderpoint"
                " WHERE id = ANY(%s) GROUP BY company_id",
                self.ids,
            )
        )
        for company_id, ids in self.env.cr.fetchall():
            company = self.env["res.company"].browse(company_id)
            self.browse(ids).with_company(company)._ecom_recompute_company(
                company, now, raise_errors, bulk
            )

    def _ecom_recompute_company(self, company, now, raise_errors=True, bulk=True):
        self.env.flush_all()
        if bulk:
            rules = self._ecom_read_rules(company, now)
        else:
            today = fields.Date.context_today(self)
            rules = [orderpoint._ecom_rule_input(company, now, today) for orderpoint in self]
        context = self._ecom_context(company, now, rules)
        values = [(rule.id, self._ecom_rule_values(rule, context)) for rule in rules]
        for batch in split_every(WRITE_CHUNK, values):
            try:
                with self.env.cr.savepoint():
                    if bulk:
                        self._ecom_write_bulk(batch)
                    else:
                        for orderpoint_id, vals in batch:
                            self.browse(orderpoint_id).write(vals)
            except Exception:
                if raise_errors:
                    raise
                _logger.exception(
                    "Replenishment: could not update the rules %s",
                    [orderpoint_id for orderpoint_id, _vals in batch],
                )

    @api.model
    def _ecom_context(self, company, now, rules):
        """The history the rules' products and their comparables need, read in one pass."""
        settings = self._ecom_settings(company)
        start, days, tz = self._ecom_window(company, now)
        warehouse_ids = sorted({rule.warehouse_id for rule in rules})
        categories = {rule.profile.category[-1] for rule in rules if rule.profile.category}
        product_ids = self._ecom_comparable_products(categories)
        if product_ids is not None:
            product_ids = sorted(set(product_ids) | {rule.product_id for rule in rules})
        observations = {}
        chunks = [None] if product_ids is None else split_every(HISTORY_CHUNK, product_ids, list)
        for chunk in chunks:
            history = self._ecom_read_history(chunk, warehouse_ids, start, days[0], tz.zone)
            for key, (opening, events) in history.items():
                observations[key] = observe_events(days, opening, events, settings)
        profiles = self._ecom_read_profiles({product for product, _wh in observations}, now)
        pools = defaultdict(lambda: ComparablePool(settings))
        for (product_id, warehouse_id), observation in observations.items():
            if product_id in profiles:
                pools[warehouse_id].add(profiles[product_id], observation)
        vendor_ids = {rule.vendor_id for rule in rules} - {False}
        measured = {}
        if company.ecom_lead_time_mode == MEASURED and vendor_ids:
            # only the vendors of these rules (one rule recomputed from its form reads one)
            measured = self.env["res.partner"]._ecom_read_lead_times(
                company, now, partner_ids=vendor_ids
            )
        vendors = self.env["res.partner"].browse(vendor_ids)
        return RecomputeContext(
            company=company,
            now=now,
            settings=settings,
            days=days,
            observations=observations,
            pools=pools,
            measured=measured,
            vendor_names={vendor.id: vendor.display_name for vendor in vendors},
            texts=self._ecom_texts(),
            empty=observe_events(days, 0.0, (), settings),
            method=company.ecom_demand_method or ECOM,
            service_level=company.ecom_service_level,
            lead_time_mode=company.ecom_lead_time_mode,
            lead_time_min_samples=company.ecom_lead_time_min_samples,
        )

    @api.model
    def _ecom_comparable_products(self, category_ids):
        """Storable products whose category is close enough to one of ``category_ids`` to be a
        comparable (see ecom_replenishment_core.similarity); None for all of them."""
        self.env.cr.execute(SQL("SELECT id, parent_path FROM product_category"))
        paths = {categ: _category_path(path) for categ, path in self.env.cr.fetchall()}
        index = index_categories(paths.values())
        near = set()
        for categ in category_ids:
            if categ in paths:
                near |= near_categories(paths[categ], index)
        related = [categ for categ, path in paths.items() if path in near]
        if len(related) == len(paths):
            return None
        self.env.cr.execute(
            SQL(
                """
                SELECT pp.id FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE pt.categ_id = ANY(%s) AND pt.is_storable AND pp.active
                """,
                related,
            )
        )
        return [product for (product,) in self.env.cr.fetchall()]

    def _ecom_rule_values(self, rule, context):
        """The values written on one rule (plain Python over the context)."""
        settings = context.settings
        observation = context.observations.get((rule.product_id, rule.warehouse_id), context.empty)
        pool = context.pools.get(rule.warehouse_id)
        prior = pool.prior(rule.profile) if pool else None
        estimate = estimate_demand(observation, settings, prior)
        lead = self._ecom_lead_time(
            rule, context.measured, context.lead_time_mode, context.lead_time_min_samples
        )
        method = context.method
        daily, std_daily, _estimate = method_daily_rate(method, observation, estimate=estimate)
        min_qty, max_qty, levels = method_levels(
            method,
            daily,
            std_daily,
            lead.days,
            rule.interval,
            lead_std=lead.std,
            service_level=context.service_level,
            min_order_qty=rule.min_order_qty,
            multiple=rule.qty_multiple,
            rounding=rule.rounding,
            static=(rule.static_min, rule.static_max),
        )
        safety = 0.0 if method == STATIC else levels.safety_stock
        explanation = self._ecom_explain(
            context, rule, method, estimate, daily, lead, levels, (min_qty, max_qty)
        )
        return {
            "product_min_qty": min_qty,
            "product_max_qty": max_qty,
            "ecom_daily_sales": daily,
            "ecom_daily_sales_std": std_daily,
            "ecom_in_stock_days": observation.in_stock_days,
            "ecom_estimate_method": NAIVE if method == NAIVE else estimate.method,
            "ecom_lead_days": lead.days,
            "ecom_lead_days_std": lead.std,
            "ecom_order_interval_days": rule.interval,
            "ecom_safety_stock": safety,
            "ecom_static_min_qty": rule.static_min,
            "ecom_static_max_qty": rule.static_max,
            "ecom_recompute_date": context.now,
            "ecom_explanation": explanation,
        }

    @api.model
    def _ecom_lead_time(self, rule, measured, mode, min_samples):
        """The lead time of a rule: its vendor's measured one (``measured``, from
        res.partner._ecom_read_lead_times) when ``mode`` asks for it and enough receipts were
        measured, else the vendor pricelist's."""
        samples, mean, std = measured.get(rule.vendor_id, (0, 0.0, 0.0))
        return choose_lead_time(rule.vendor_delay, mode, samples, mean, std, min_samples)

    # ------------------------------------------------------------------ rule inputs

    def _ecom_rule_input(self, company, now, today):
        """The inputs of one rule, through the ORM (the reference of :meth:`_ecom_read_rules`)."""
        self.ensure_one()
        product = self.product_id
        seller = self.supplier_id or product._get_filtered_sellers(quantity=None, date=today)[:1]
        min_order_qty = 0.0
        if seller.min_qty:
            min_order_qty = seller.product_uom._compute_quantity(
                seller.min_qty, product.uom_id, round=False
            )
        interval, source = self._ecom_order_interval(seller, company)
        if self.ecom_recompute_date:
            static = (self.ecom_static_min_qty, self.ecom_static_max_qty)
        else:
            static = (self.product_min_qty, self.product_max_qty)
        category = product.categ_id
        return RuleInput(
            self.id,
            product.id,
            self.warehouse_id.id,
            self._ecom_profile(
                category.parent_path, product.product_tmpl_id.list_price, product, now
            ),
            seller.partner_id.id,
            seller.delay,
            min_order_qty,
            interval,
            source,
            self.qty_multiple,
            product.uom_id.rounding,
            *static,
        )

    @api.model
    def _ecom_profile(self, parent_path, price, product_or_date, now):
        created = (
            product_or_date.create_date
            if isinstance(product_or_date, models.BaseModel)
            else product_or_date
        )
        age = max((now - created).days, 0) if created else 0
        return Profile(_category_path(parent_path), price or 0.0, age)

    def _ecom_order_interval(self, seller, company):
        self.ensure_one()
        if self.product_id.product_tmpl_id.ecom_order_interval_days > 0:
            return self.product_id.product_tmpl_id.ecom_order_interval_days, "product"
        if seller.partner_id.ecom_order_interval_days > 0:
            return seller.partner_id.ecom_order_interval_days, "vendor"
        return company.ecom_order_interval_days, "company"

    def _ecom_read_rules(self, company, now):
        """The inputs of these rules in two queries (rules with product, template and units; the
        vendor pricelists of their templates), with the vendor chosen as Odoo's
        ``_get_filtered_sellers`` does: the rule's own, else the first valid pricelist line by
        sequence, larger minimum, price, id."""
        if not self:
            return []
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT op.id, op.product_id, op.warehouse_id, op.supplier_id,
                       op.qty_multiple::float8, op.product_min_qty::float8,
                       op.product_max_qty::float8,
                       COALESCE(op.ecom_static_min_qty, 0)::float8,
                       COALESCE(op.ecom_static_max_qty, 0)::float8,
                       op.ecom_recompute_date IS NOT NULL, pp.product_tmpl_id, pc.parent_path,
                       COALESCE(pt.list_price, 0)::float8, pp.create_date,
                       COALESCE(pt.ecom_order_interval_days, 0)::float8, uom.rounding::float8,
                       CASE WHEN po_uom.id = uom.id THEN 1
                            ELSE uom.factor::float8 / po_uom.factor::float8 END
                  FROM stock_warehouse_orderpoint op
                  JOIN product_product pp ON pp.id = op.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom uom ON uom.id = pt.uom_id
                  JOIN uom_uom po_uom ON po_uom.id = pt.uom_po_id
                  LEFT JOIN product_category pc ON pc.id = pt.categ_id
                 WHERE op.id = ANY(%s)
                 ORDER BY op.id
                """,
                self.ids,
            )
        )
        rows = cr.fetchall()
        by_template, by_id = self._ecom_read_sellers(
            company, {row[10] for row in rows}, {row[3] for row in rows if row[3]}
        )
        today = fields.Date.context_today(self)
        default_interval = company.ecom_order_interval_days
        no_seller = Seller(False, False, False, 0, 0.0, None, None, True, 0.0)
        inputs = []
        for (
            orderpoint_id,
            product_id,
            warehouse_id,
            supplier_id,
            qty_multiple,
            min_qty,
            max_qty,
            static_min,
            static_max,
            recomputed,
            template_id,
            parent_path,
            list_price,
            create_date,
            product_interval,
            rounding,
            po_to_product,
        ) in rows:
            seller = by_id.get(supplier_id) if supplier_id else None
            if seller is None:
                seller = no_seller
                for line in by_template.get(template_id, ()):
                    if (
                        line.active
                        and (not line.product_id or line.product_id == product_id)
                        and (not line.date_start or line.date_start <= today)
                        and (not line.date_end or line.date_end >= today)
                    ):
                        seller = line
                        break
            if product_interval > 0:
                interval, source = product_interval, "product"
            elif seller.interval and seller.interval > 0:
                interval, source = seller.interval, "vendor"
            else:
                interval, source = default_interval, "company"
            static = (static_min, static_max) if recomputed else (min_qty, max_qty)
            inputs.append(
                RuleInput(
                    orderpoint_id,
                    product_id,
                    warehouse_id,
                    self._ecom_profile(parent_path, list_price, create_date, now),
                    seller.partner_id,
                    seller.delay,
                    seller.min_qty * po_to_product if seller.min_qty else 0.0,
                    interval,
                    source,
                    qty_multiple,
                    rounding,
                    *static,
                )
            )
        return inputs

    @api.model
    def _ecom_read_sellers(self, company, template_ids, supplier_ids):
        """Vendor pricelist lines: ({template: [lines valid for the company, in Odoo's order]},
        {line id: line})."""
        self.env.cr.execute(
            SQL(
                """
                SELECT si.id, si.product_tmpl_id, si.product_id, si.partner_id,
                       COALESCE(si.delay, 0), COALESCE(si.min_qty, 0)::float8, si.date_start,
                       si.date_end, rp.active, COALESCE(rp.ecom_order_interval_days, 0)::float8,
                       (si.company_id IS NULL OR si.company_id = %(company)s)
                  FROM product_supplierinfo si
                  JOIN res_partner rp ON rp.id = si.partner_id
                 WHERE si.product_tmpl_id = ANY(%(templates)s) OR si.id = ANY(%(suppliers)s)
                 ORDER BY si.sequence, si.min_qty DESC, si.price, si.id
                """,
                company=company.id,
                templates=list(template_ids),
                suppliers=list(supplier_ids),
            )
        )
        by_template, by_id = defaultdict(list), {}
        for line_id, template_id, *values, company_ok in self.env.cr.fetchall():
            line = by_id[line_id] = Seller(template_id, *values)
            if company_ok:
                by_template[template_id].append(line)
        return by_template, by_id

    @api.model
    def _ecom_read_profiles(self, product_ids, now):
        """{product: Profile} of the storable active products among ``product_ids``."""
        if not product_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT pp.id, pc.parent_path, pt.list_price, pp.create_date
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN product_category pc ON pc.id = pt.categ_id
                 WHERE pp.id = ANY(%s) AND pt.is_storable AND pp.active
                """,
                list(product_ids),
            )
        )
        return {
            product: self._ecom_profile(path, price, created, now)
            for product, path, price, created in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------ bulk write

    def _ecom_write_bulk(self, batch):
        """One UPDATE ... FROM unnest(<one array per column>) for a batch of (rule id, values);
        the ORM's cache of these rules is invalidated and the fields depending on them are
        marked as modified. Floats are rounded to their field's digits by PostgreSQL (half away
        from zero, as the ORM's float_round on the shortest decimal of the float)."""
        if not batch:
            return
        names = [name for name in RESULT_COLUMNS if name != "ecom_recompute_date"]
        assignments = []
        for name in names:
            value = SQL("v.%s", SQL.identifier(name))
            digits = None
            if RESULT_COLUMNS[name] == "numeric":
                digits = self._fields[name].get_digits(self.env)
            if digits:
                value = SQL("ROUND(%s, %s)", value, digits[1])
            assignments.append(SQL("%s = %s", SQL.identifier(name), value))
        # one array per column: psycopg2 adapts lists in C
        columns = [[orderpoint_id for orderpoint_id, _vals in batch]]
        columns += [[vals[name] for _id, vals in batch] for name in names]
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_warehouse_orderpoint op
                   SET %(assignments)s, ecom_recompute_date = %(computed)s,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(arrays)s) AS v(id, %(columns)s)
                 WHERE op.id = v.id
                """,
                assignments=SQL(", ").join(assignments),
                computed=batch[0][1]["ecom_recompute_date"],
                uid=self.env.uid,
                now=self.env.cr.now(),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", column, SQL(sql_type))
                    for column, sql_type in zip(
                        columns,
                        ["int4"] + [RESULT_COLUMNS[name] for name in names],
                        strict=True,
                    )
                ),
                columns=SQL(", ").join(SQL.identifier(name) for name in names),
            )
        )
        names.append("ecom_recompute_date")
        records = self.browse(columns[0])
        written = [*names, "write_uid", "write_date"]
        records.invalidate_recordset(written)
        # min and max compute each other: written together, as by write(), neither is recomputed
        levels = [self._fields["product_min_qty"], self._fields["product_max_qty"]]
        with self.env.protecting(levels, records):
            records.modified(written)

    # ------------------------------------------------------------------ explanation

    @api.model
    def _ecom_texts(self):
        """The explanation's sentences, translated once per recompute."""
        _ = self.env._
        return {
            "sales": _(
                "%(sales)s sold on %(days)s days in stock out of the last %(window)s "
                "(%(out)s days out of stock excluded)."
            ),
            "spikes": _(
                "Spikes: %(count)s day(s) capped at %(cap)s, %(excess)s excluded (%(dates)s)."
            ),
            MEAN: _(
                "Method: mean of the days in stock, %(rate)s a day (%(days)s days in stock are "
                "enough to rely on the product's own sales)."
            ),
            CROSTON: _(
                "Method: sells on few days (%(selling)s of %(days)s days in stock), so Croston's "
                "method for intermittent demand (Syntetos-Boylan correction): %(size)s per "
                "sale, one sale every %(interval)s days in stock: %(rate)s a day."
            ),
            BAYES: _(
                "Method: too little evidence to rely on the product's own sales (%(days)s days "
                "in stock, %(selling)s with sales; %(full)s days are needed). Its own rate of "
                "%(own)s a day counts for %(share)s%%; the rest comes from %(prior)s: "
                "%(rate)s a day."
            ),
            "prior": _(
                "comparable products (%(count)s, similar category, price and age) selling "
                "%(comparables)s a day, weighed against the %(listed)s days since the product was "
                "first in stock (%(sales)s sold), which gives %(listed_rate)s a day"
            ),
            "no_prior": _(
                "the %(listed)s days since the product was first in stock (%(sales)s sold), "
                "no comparable product being known, which gives %(listed_rate)s a day"
            ),
            "capped": _(
                "With a single sale the rate is held at the %(ceiling)s a day seen in stock."
            ),
            "none": _("Method: never in stock in the window, no demand assumed."),
            NAIVE: _(
                "Method (company setting): naive rate, recorded sales / days in stock = "
                "%(rate)s a day (the evidence-weighted estimate would give %(estimate)s)."
            ),
            "lead_measured": _(
                "Lead time: %(days)s days, measured on %(count)s receipts from %(vendor)s."
            ),
            "lead_vendor": _("Lead time: %(days)s days, from the pricelist of %(vendor)s."),
            "no_vendor": _("no vendor"),
            "levels": _(
                "Minimum %(min)s = %(rate)s x %(lead)s days + safety stock %(safety)s; "
                "maximum %(max)s = minimum + %(order)s (order interval %(interval)s days, "
                "%(origin)s)."
            ),
            STATIC: _(
                "Levels (company setting: static min/max): minimum %(min)s and maximum %(max)s "
                "as configured; the figures above are for information."
            ),
            "product": _("set on the product"),
            "vendor": _("set on the vendor"),
            "company": _("company default"),
        }

    @api.model
    def _ecom_explain(self, context, rule, method, estimate, daily, lead, levels, min_max):
        texts = context.texts
        observation = estimate.observation
        lines = [
            texts["sales"]
            % {
                "sales": _num(observation.sales),
                "days": observation.in_stock_days,
                "window": observation.window_days,
                "out": observation.out_of_stock_days,
            }
        ]
        if observation.spikes:
            lines.append(
                texts["spikes"]
                % {
                    "count": len(observation.spikes),
                    "cap": _num(observation.spikes[0][2]),
                    "excess": _num(observation.spike_excess),
                    "dates": ", ".join(str(day) for day, _sold, _cap in observation.spikes),
                }
            )
        lines.append(self._ecom_explain_method(texts, context.settings, estimate))
        if method == NAIVE:
            lines.append(
                texts[NAIVE] % {"rate": _num(daily), "estimate": _num(estimate.daily_sales)}
            )
        vendor = context.vendor_names.get(rule.vendor_id) or texts["no_vendor"]
        if lead.source == MEASURED:
            lines.append(
                texts["lead_measured"]
                % {"days": _num(lead.days), "count": lead.samples, "vendor": vendor}
            )
        else:
            lines.append(texts["lead_vendor"] % {"days": _num(lead.days), "vendor": vendor})
        if method == STATIC:
            lines.append(texts[STATIC] % {"min": _num(min_max[0]), "max": _num(min_max[1])})
        else:
            lines.append(
                texts["levels"]
                % {
                    "min": _num(levels.min_qty),
                    "rate": _num(daily),
                    "lead": _num(lead.days),
                    "safety": _num(levels.safety_stock),
                    "max": _num(levels.max_qty),
                    "order": _num(levels.order_qty),
                    "interval": _num(rule.interval),
                    "origin": texts[rule.interval_source],
                }
            )
        return "\n".join(lines)

    @api.model
    def _ecom_explain_method(self, texts, settings, estimate):
        observation = estimate.observation
        if estimate.method == MEAN:
            return texts[MEAN] % {
                "rate": _num(estimate.daily_sales),
                "days": observation.in_stock_days,
            }
        if estimate.method == CROSTON:
            size, interval = estimate.croston
            return texts[CROSTON] % {
                "selling": observation.selling_days,
                "days": observation.in_stock_days,
                "size": _num(size),
                "interval": _num(interval),
                "rate": _num(estimate.daily_sales),
            }
        if estimate.method == BAYES:
            figures = {
                "listed": observation.listed_days,
                "sales": _num(observation.sales),
                "listed_rate": _num(estimate.listed_rate),
                "count": _num(estimate.prior.comparables),
                "comparables": _num(estimate.prior.rate),
            }
            prior = texts["prior" if estimate.prior.comparables else "no_prior"] % figures
            text = texts[BAYES] % {
                "days": observation.in_stock_days,
                "selling": observation.selling_days,
                "full": settings.min_in_stock_days,
                "own": _num(estimate.own_rate),
                "share": round(estimate.confidence * 100),
                "prior": prior,
                "rate": _num(estimate.daily_sales),
            }
            if estimate.capped:
                text += " " + texts["capped"] % {"ceiling": _num(estimate.daily_sales)}
            return text
        return texts["none"]

    # ------------------------------------------------------------------ history queries

    @api.model
    def _ecom_read_history(self, product_ids, warehouse_ids, start, first_day, tz_name):
        """{(product, warehouse): (stock at the opening of ``first_day``, [(day index, net
        sales, net stock change)] by increasing day)} in one pass over the done move lines since
        ``start``, days counted from ``first_day`` in the time zone ``tz_name``; ``product_ids``
        None for every product. Sales are deliveries from the warehouse to customers less returns
        from customers; receipts, transfers and adjustments only change the stock. A move between
        two locations of the same warehouse changes nothing. Days after the window (today) only
        serve to rebuild the opening stock from the stock on hand."""
        if not warehouse_ids:
            return {}
        products = SQL("TRUE")
        quant_products = SQL("TRUE")
        if product_ids is not None:
            products = SQL("ml.product_id = ANY(%s)", product_ids)
            quant_products = SQL("q.product_id = ANY(%s)", product_ids)
        cr = self.env.cr
        # One pass over the move lines: each gives the warehouse it enters and the one it leaves
        # (both for a transfer between warehouses), its day found among the UTC instants of the
        # local midnights. The grouping by product and day is large: room to hash it in memory.
        tz = pytz.timezone(tz_name)
        bounds = [
            tz.localize(datetime.combine(first_day + timedelta(days=offset), time.min))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
            for offset in range((fields.Date.today() - first_day).days + 3)
        ]
        cr.execute(SQL("SET LOCAL work_mem = %s; SET LOCAL jit = off", HISTORY_WORK_MEM))
        cr.execute(
            SQL(
                """
                SELECT product_id, entered, left_from, customer,
                       array_agg(day ORDER BY day), array_agg(qty ORDER BY day)
                  FROM (
                        SELECT ml.product_id,
                               CASE WHEN dest.usage = 'internal'
                                     AND dest.warehouse_id = ANY(%(warehouses)s)
                                     AND (src.usage != 'internal'
                                          OR src.warehouse_id IS DISTINCT FROM dest.warehouse_id)
                                    THEN dest.warehouse_id END AS entered,
                               CASE WHEN src.usage = 'internal'
                                     AND src.warehouse_id = ANY(%(warehouses)s)
                                     AND (dest.usage != 'internal'
                                          OR dest.warehouse_id IS DISTINCT FROM src.warehouse_id)
                                    THEN src.warehouse_id END AS left_from,
                               width_bucket(ml.date, %(bounds)s::timestamp[]) - 1 AS day,
                               ml.quantity_product_uom::float8 AS qty,
                               src.usage = 'customer' OR dest.usage = 'customer' AS customer
                          FROM stock_move_line ml
                          JOIN stock_location src ON src.id = ml.location_id
                          JOIN stock_location dest ON dest.id = ml.location_dest_id
                         WHERE ml.state = 'done' AND ml.date >= %(start)s AND %(products)s
                           AND (src.usage = 'internal' OR dest.usage = 'internal')
                       ) moves
                 WHERE entered IS NOT NULL OR left_from IS NOT NULL
                 GROUP BY product_id, entered, left_from, customer
                """,
                start=start,
                bounds=bounds,
                products=products,
                warehouses=warehouse_ids,
            )
        )
        # a move entering a warehouse adds to its stock and, from a customer, is a return; a
        # move leaving it takes from its stock and, to a customer, is a sale
        sides = defaultdict(lambda: ([], [], []))
        for product, entered, left_from, customer, days, quantities in cr.fetchall():
            negated = [-quantity for quantity in quantities]
            if entered:
                side = sides[product, entered]
                side[0].extend(days)
                side[1].extend(negated if customer else [0.0] * len(days))
                side[2].extend(quantities)
            if left_from:
                side = sides[product, left_from]
                side[0].extend(days)
                side[1].extend(quantities if customer else [0.0] * len(days))
                side[2].extend(negated)
        cr.execute(SQL("SET LOCAL work_mem TO DEFAULT; SET LOCAL jit TO DEFAULT"))
        cr.execute(
            SQL(
                """
                SELECT q.product_id, loc.warehouse_id, SUM(q.quantity)::float8
                  FROM stock_quant q
                  JOIN stock_location loc ON loc.id = q.location_id
                 WHERE loc.usage = 'internal' AND loc.warehouse_id = ANY(%s) AND %s
                 GROUP BY q.product_id, loc.warehouse_id
                """,
                warehouse_ids,
                quant_products,
            )
        )
        stock = {(product, warehouse): qty for product, warehouse, qty in cr.fetchall()}
        history = {}
        for key in stock.keys() | sides.keys():
            days, sold, delta = sides.get(key, ((), (), ()))
            history[key] = (stock.get(key, 0.0) - sum(delta), daily_events(days, sold, delta))
        return history
