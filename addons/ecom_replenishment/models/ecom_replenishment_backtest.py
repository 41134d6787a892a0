# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Backtest of the replenishment methods on the company's own history.

The last days of real history are replayed day by day (ecom_replenishment_core.backtest): each
method sets the reordering rules as it would have (recomputed weekly, orders arriving after the
vendor's lead time) and meets the demand that was recorded. The history is read with the
recompute's own set-based queries; the results are stored per method and product, with the
product's vendor and category, for Odoo's graph and pivot views.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_replenishment_core import (
    ECOM,
    ECOM_SAFETY,
    MEASURED,
    METHODS,
    NAIVE,
    STATIC,
    BacktestSettings,
    ProductHistory,
    daily_history,
    recommend,
    simulate,
    totals,
)

METHOD_SELECTION = [
    (STATIC, "Static min/max as configured"),
    (NAIVE, "Naive: mean of the days in stock"),
    (ECOM, "Evidence-weighted estimate"),
    (ECOM_SAFETY, "Evidence-weighted estimate + safety stock"),
]
DEFAULT_SERVICE_LEVEL = 95.0
REVIEW_DAYS = 7


class EcomReplenishmentBacktest(models.Model):
    _name = "ecom.replenishment.backtest"
    _description = "Replenishment Backtest"
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(string="Run On", required=True, default=fields.Datetime.now)
    replay_days = fields.Integer(string="Days Replayed", required=True)
    window_days = fields.Integer(string="Sales Window (days)")
    service_level = fields.Float(string="Service Level of the Safety Stock (%)")
    product_count = fields.Integer(string="Products")
    recommended_method = fields.Selection(
        METHOD_SELECTION,
        help="Best fill rate; among the methods within half a point of it, the lowest average "
        "stock value.",
    )
    recommended_fill_rate = fields.Float(string="Fill Rate of the Recommendation (%)")
    recommended_stock_value = fields.Monetary(
        string="Average Stock Value of the Recommendation", currency_field="currency_id"
    )
    summary = fields.Text(readonly=True)
    line_ids = fields.One2many("ecom.replenishment.backtest.line", "backtest_id")

    @api.depends("date", "replay_days")
    def _compute_name(self):
        for backtest in self:
            backtest.name = self.env._(
                "Backtest of %(date)s (%(days)s days)",
                date=fields.Date.to_string(backtest.date.date()) if backtest.date else "",
                days=backtest.replay_days,
            )

    def action_view_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "ecom.replenishment.backtest.line",
            "view_mode": "pivot,graph,list",
            "domain": [("backtest_id", "=", self.id)],
            "context": {"search_default_groupby_method": 1},
        }

    @api.model
    def _ecom_run(self, company, replay_days=None, now=None):
        """Replay the last ``replay_days`` days (default: the company's backtest period) of the
        company's reordering rules; store and return the run."""
        now = now or fields.Datetime.now()
        replay_days = replay_days or company.ecom_backtest_days or 90
        Orderpoint = self.env["stock.warehouse.orderpoint"].with_company(company)
        orderpoints = Orderpoint.search([("company_id", "=", company.id)])
        orderpoints.check_access("read")
        self.env.flush_all()
        rules = orderpoints._ecom_read_rules(company, now)
        demand = Orderpoint._ecom_settings(company)
        window = demand.window_days
        start, days, tz = Orderpoint._ecom_window(company, now, window=window + replay_days)
        history = Orderpoint._ecom_read_history(
            sorted({rule.product_id for rule in rules}),
            sorted({rule.warehouse_id for rule in rules}),
            start,
            days[0],
            tz.zone,
        )
        measured = {}
        if company.ecom_lead_time_mode == MEASURED:
            measured = self.env["res.partner"]._ecom_read_lead_times(company, now)
        products = (
            self.env["product.product"]
            .with_company(company)
            .browse({rule.product_id for rule in rules})
        )
        costs = {product.id: product.standard_price for product in products}
        histories = []
        for rule in rules:
            opening, events = history.get((rule.product_id, rule.warehouse_id), (0.0, ()))
            in_stock, sales, openings = daily_history(len(days), opening, events)
            lead = Orderpoint._ecom_lead_time(
                rule, measured, company.ecom_lead_time_mode, company.ecom_lead_time_min_samples
            )
            histories.append(
                ProductHistory(
                    key=rule.id,
                    days=tuple(days),
                    in_stock=tuple(in_stock),
                    sales=tuple(sales),
                    opening_stock=openings[window],
                    unit_cost=costs.get(rule.product_id, 0.0),
                    lead_days=lead.days,
                    interval_days=rule.interval,
                    min_order_qty=rule.min_order_qty,
                    multiple=rule.qty_multiple,
                    rounding=rule.rounding,
                    static_min=rule.static_min,
                    static_max=rule.static_max,
                    profile=rule.profile,
                )
            )
        service_level = company.ecom_service_level or DEFAULT_SERVICE_LEVEL
        settings = BacktestSettings(
            replay_days=replay_days,
            review_days=REVIEW_DAYS,
            service_level=service_level,
            demand=demand,
        )
        results = simulate(histories, settings)
        summary = totals(results)
        recommended = recommend(summary)
        backtest = self.create(
            {
                "company_id": company.id,
                "date": now,
                "replay_days": replay_days,
                "window_days": window,
                "service_level": service_level,
                "product_count": len(histories),
                "recommended_method": recommended,
                "recommended_fill_rate": summary[recommended].fill_rate * 100,
                "recommended_stock_value": summary[recommended].average_stock_value,
                "summary": self._ecom_summary(summary, service_level),
            }
        )
        backtest._ecom_store_lines(rules, results)
        return backtest

    def _ecom_summary(self, summary, service_level):
        labels = dict(self._fields["recommended_method"]._description_selection(self.env))
        lines = []
        for method in METHODS:
            outcome = summary[method]
            lines.append(
                self.env._(
                    "%(method)s: fill rate %(fill).1f%%, %(stockouts)s stock-out days, average "
                    "stock value %(value).2f, %(bought).0f units bought in %(orders)s orders.",
                    method=labels[method],
                    fill=outcome.fill_rate * 100,
                    stockouts=outcome.stockout_days,
                    value=outcome.average_stock_value,
                    bought=outcome.units_bought,
                    orders=outcome.orders,
                )
            )
        lines.append(
            self.env._("Safety stock at a %(level)s%% service level.", level=service_level)
        )
        return "\n".join(lines)

    def _ecom_store_lines(self, rules, results):
        """One line per method and rule, with the vendor and category of the product."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT pp.id, pt.categ_id FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE pp.id = ANY(%s)
                """,
                [rule.product_id for rule in rules],
            )
        )
        categories = dict(self.env.cr.fetchall())
        vals = []
        for method, outcomes in results.items():
            for rule in rules:
                outcome = outcomes[rule.id]
                vals.append(
                    {
                        "backtest_id": self.id,
                        "method": method,
                        "orderpoint_id": rule.id,
                        "product_id": rule.product_id,
                        "warehouse_id": rule.warehouse_id,
                        "vendor_id": rule.vendor_id or False,
                        "categ_id": categories.get(rule.product_id),
                        "units_demanded": outcome.demanded,
                        "units_sold": outcome.sold,
                        "stockout_days": outcome.stockout_days,
                        "average_stock_value": outcome.average_stock_value,
                        "units_bought": outcome.units_bought,
                        "orders": outcome.orders,
                    }
                )
        self.env["ecom.replenishment.backtest.line"].create(vals)


class EcomReplenishmentBacktestLine(models.Model):
    _name = "ecom.replenishment.backtest.line"
    _description = "Replenishment Backtest Result"
    _order = "backtest_id desc, method, id"

    backtest_id = fields.Many2one(
        "ecom.replenishment.backtest", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backtest_id.company_id", store=True)
    currency_id = fields.Many2one(related="backtest_id.currency_id")
    method = fields.Selection(METHOD_SELECTION, required=True)
    orderpoint_id = fields.Many2one(
        "stock.warehouse.orderpoint", string="Reordering Rule", ondelete="set null"
    )
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    warehouse_id = fields.Many2one("stock.warehouse", ondelete="cascade")
    vendor_id = fields.Many2one("res.partner", ondelete="set null")
    categ_id = fields.Many2one("product.category", string="Product Category")
    units_demanded = fields.Float(
        digits="Product Unit of Measure",
        help="Units customers asked for on the days the product was really in stock (the only "
        "days its demand is known).",
    )
    units_sold = fields.Float(digits="Product Unit of Measure")
    units_lost = fields.Float(
        compute="_compute_rates", store=True, digits="Product Unit of Measure"
    )
    fill_rate = fields.Float(
        string="Fill Rate (%)",
        compute="_compute_rates",
        store=True,
        aggregator="avg",
        help="Units sold / units demanded (weighted by the units demanded when grouped).",
    )
    stockout_days = fields.Integer(
        string="Stock-out Days",
        help="Days with known demand on which the simulated stock could not meet it.",
    )
    average_stock_value = fields.Monetary(
        currency_field="currency_id", help="Average over the days of the closing stock at cost."
    )
    units_bought = fields.Float(digits="Product Unit of Measure")
    orders = fields.Integer(string="Purchase Orders")

    @api.depends("units_demanded", "units_sold")
    def _compute_rates(self):
        for line in self:
            line.units_lost = max(line.units_demanded - line.units_sold, 0.0)
            line.fill_rate = (
                line.units_sold / line.units_demanded * 100 if line.units_demanded else 100.0
            )

    def _read_group_select(self, aggregate_spec, query):
        """The fill rate of a group is its units sold / units demanded, not a mean of rates."""
        if aggregate_spec in ("fill_rate:avg", "fill_rate:sum"):
            return SQL(
                "COALESCE(SUM(%(sold)s) / NULLIF(SUM(%(demanded)s), 0) * 100, 100.0)",
                sold=self._field_to_sql(self._table, "units_sold", query),
                demanded=self._field_to_sql(self._table, "units_demanded", query),
            )
        return super()._read_group_select(aggregate_spec, query)
