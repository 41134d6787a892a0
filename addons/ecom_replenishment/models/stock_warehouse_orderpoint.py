# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reordering rules fed by the daily sales on in-stock days (see ecom_replenishment_core).

The history is read with a handful of grouped SQL queries per company (stock by product and
warehouse, stock moves by product, warehouse and day in the company's time zone, receipts by
vendor); the maths is plain Python; the results are written on Odoo's own rules, so that the
standard replenishment report and procurement create the purchase orders.
"""

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..ecom_replenishment_core import (
    MEASURED,
    DemandSettings,
    choose_lead_time,
    days_of_cover,
    estimate_demand,
    observe,
    pooled_rate,
    reorder_levels,
    safety_stock,
    stockout_probability,
)

_logger = logging.getLogger(__name__)

# products per history query, rules per write batch
HISTORY_CHUNK = 10000
WRITE_CHUNK = 1000
# purchase history behind a measured lead time
LEAD_TIME_HISTORY_DAYS = 365


def _num(value):
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    ecom_daily_sales = fields.Float(
        string="Daily Sales",
        digits=(16, 3),
        readonly=True,
        help="Units sold per day on the days the product was in stock in the warehouse.",
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
    def _ecom_window(self, company, now):
        """(start in UTC, the days of the window, time zone) in the company's time zone."""
        tz = pytz.timezone(company.partner_id.tz or "UTC")
        today = pytz.utc.localize(now).astimezone(tz).date()
        window = company.ecom_sales_window_days or 90
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

    def _ecom_recompute(self, raise_errors=True):
        now = fields.Datetime.now()
        for company, orderpoints in self.grouped("company_id").items():
            orderpoints.with_company(company)._ecom_recompute_company(company, now, raise_errors)

    def _ecom_recompute_company(self, company, now, raise_errors=True):
        settings = self._ecom_settings(company)
        start, days, tz = self._ecom_window(company, now)
        warehouse_ids = self.warehouse_id.ids
        # the category rates need the history of the categories' other storable products
        products = self.product_id | self.env["product.product"].search(
            [("categ_id", "in", self.product_id.categ_id.ids), ("is_storable", "=", True)]
        )
        observations = {}
        self.env.flush_all()
        for chunk in split_every(HISTORY_CHUNK, products.ids, list):
            stock = self._ecom_read_stock(chunk, warehouse_ids)
            flows = self._ecom_read_flows(chunk, warehouse_ids, start, tz.zone)
            for key in stock.keys() | flows.keys():
                sales_by_day, delta_by_day = flows.get(key, ({}, {}))
                opening = stock.get(key, 0.0) - sum(delta_by_day.values())
                observations[key] = observe(days, opening, sales_by_day, delta_by_day, settings)
        categ_of = {product.id: product.categ_id.id for product in products}
        pools = defaultdict(list)
        for (product_id, warehouse_id), observation in observations.items():
            pools[categ_of[product_id], warehouse_id].append(observation)
        priors = {key: pooled_rate(pool, settings) for key, pool in pools.items()}
        measured = {}
        if company.ecom_lead_time_mode == MEASURED:
            measured = self._ecom_read_lead_times(company, now)
        empty = observe(days, 0.0, {}, {}, settings)

        values = []
        for orderpoint in self:
            product = orderpoint.product_id
            key = (product.id, orderpoint.warehouse_id.id)
            estimate = estimate_demand(
                observations.get(key, empty),
                settings,
                priors.get((product.categ_id.id, key[1]), 0.0),
            )
            seller = orderpoint.supplier_id or product._get_filtered_sellers(quantity=None)[:1]
            samples, mean, std = measured.get(seller.partner_id.id, (0, 0.0, 0.0))
            lead = choose_lead_time(
                seller.delay,
                company.ecom_lead_time_mode,
                samples,
                mean,
                std,
                company.ecom_lead_time_min_samples,
            )
            interval, interval_source = orderpoint._ecom_order_interval(seller, company)
            min_order_qty = 0.0
            if seller.min_qty:
                min_order_qty = seller.product_uom._compute_quantity(
                    seller.min_qty, product.uom_id, round=False
                )
            safety = safety_stock(
                estimate.daily_sales,
                estimate.std_daily,
                lead.days,
                lead.std,
                company.ecom_service_level,
            )
            levels = reorder_levels(
                estimate.daily_sales,
                lead.days,
                interval,
                safety=safety,
                min_order_qty=min_order_qty,
                multiple=orderpoint.qty_multiple,
                rounding=product.uom_id.rounding,
            )
            values.append(
                (
                    orderpoint,
                    {
                        "product_min_qty": levels.min_qty,
                        "product_max_qty": levels.max_qty,
                        "ecom_daily_sales": estimate.daily_sales,
                        "ecom_daily_sales_std": estimate.std_daily,
                        "ecom_in_stock_days": estimate.observation.in_stock_days,
                        "ecom_lead_days": lead.days,
                        "ecom_lead_days_std": lead.std,
                        "ecom_order_interval_days": interval,
                        "ecom_safety_stock": levels.safety_stock,
                        "ecom_recompute_date": now,
                        "ecom_explanation": orderpoint._ecom_explain(
                            settings, estimate, seller, lead, interval, interval_source, levels
                        ),
                    },
                )
            )
        for batch in split_every(WRITE_CHUNK, values):
            try:
                with self.env.cr.savepoint():
                    for orderpoint, vals in batch:
                        orderpoint.write(vals)
            except Exception:
                if raise_errors:
                    raise
                _logger.exception(
                    "Replenishment: could not update the rules %s",
                    [orderpoint.id for orderpoint, _vals in batch],
                )

    def _ecom_order_interval(self, seller, company):
        self.ensure_one()
        if self.product_id.product_tmpl_id.ecom_order_interval_days > 0:
            return self.product_id.product_tmpl_id.ecom_order_interval_days, "product"
        if seller.partner_id.ecom_order_interval_days > 0:
            return seller.partner_id.ecom_order_interval_days, "vendor"
        return company.ecom_order_interval_days, "company"

    def _ecom_explain(self, settings, estimate, seller, lead, interval, interval_source, levels):
        self.ensure_one()
        _ = self.env._
        observation = estimate.observation
        lines = [
            _(
                "%(sales)s sold on %(days)s days in stock out of the last %(window)s "
                "(%(out)s days out of stock excluded).",
                sales=_num(observation.sales),
                days=observation.in_stock_days,
                window=observation.window_days,
                out=observation.out_of_stock_days,
            )
        ]
        if observation.spikes:
            lines.append(
                _(
                    "Spikes: %(count)s day(s) capped at %(cap)s, %(excess)s excluded (%(dates)s).",
                    count=len(observation.spikes),
                    cap=_num(observation.spikes[0][2]),
                    excess=_num(observation.spike_excess),
                    dates=", ".join(str(day) for day, _sold, _cap in observation.spikes),
                )
            )
        if estimate.method == "observed":
            lines.append(
                _(
                    "Method: mean of the days in stock, %(rate)s a day.",
                    rate=_num(estimate.daily_sales),
                )
            )
        elif estimate.method == "shrunk":
            lines.append(
                _(
                    "Method: fewer than %(min)s days in stock, shrunk towards the category's rate "
                    "of %(prior)s a day: %(rate)s a day.",
                    min=settings.min_in_stock_days,
                    prior=_num(estimate.prior_rate),
                    rate=_num(estimate.daily_sales),
                )
            )
        else:
            lines.append(_("Method: never in stock in the window, no demand assumed."))
        if lead.source == MEASURED:
            lines.append(
                _(
                    "Lead time: %(days)s days, measured on %(count)s receipts from %(vendor)s.",
                    days=_num(lead.days),
                    count=lead.samples,
                    vendor=seller.partner_id.display_name,
                )
            )
        else:
            lines.append(
                _(
                    "Lead time: %(days)s days, from the pricelist of %(vendor)s.",
                    days=_num(lead.days),
                    vendor=seller.partner_id.display_name or _("no vendor"),
                )
            )
        source = {
            "product": _("set on the product"),
            "vendor": _("set on the vendor"),
            "company": _("company default"),
        }[interval_source]
        lines.append(
            _(
                "Minimum %(min)s = %(rate)s x %(lead)s days + safety stock %(safety)s; "
                "maximum %(max)s = minimum + %(order)s (order interval %(interval)s days, "
                "%(origin)s).",
                min=_num(levels.min_qty),
                rate=_num(estimate.daily_sales),
                lead=_num(lead.days),
                safety=_num(levels.safety_stock),
                max=_num(levels.max_qty),
                order=_num(levels.order_qty),
                interval=_num(interval),
                origin=source,
            )
        )
        return "\n".join(lines)

    # ------------------------------------------------------------------ history queries

    @api.model
    def _ecom_read_stock(self, product_ids, warehouse_ids):
        """{(product, warehouse): quantity on hand in the warehouse's internal locations}"""
        self.env.cr.execute(
            SQL(
                """
                SELECT q.product_id, loc.warehouse_id, SUM(q.quantity)::float
                  FROM stock_quant q
                  JOIN stock_location loc ON loc.id = q.location_id
                 WHERE loc.usage = 'internal' AND loc.warehouse_id = ANY(%(warehouses)s)
                   AND q.product_id = ANY(%(products)s)
                 GROUP BY q.product_id, loc.warehouse_id
                """,
                warehouses=warehouse_ids,
                products=product_ids,
            )
        )
        return {(product, warehouse): qty for product, warehouse, qty in self.env.cr.fetchall()}

    @api.model
    def _ecom_read_flows(self, product_ids, warehouse_ids, start, tz_name):
        """{(product, warehouse): ({day: net sales}, {day: net stock change})} since ``start``,
        days in the time zone ``tz_name``. Sales are deliveries from the warehouse to customers
        less returns from customers; receipts, transfers and adjustments only change the stock.
        A move between two locations of the same warehouse changes nothing."""
        self.env.cr.execute(
            SQL(
                """
                SELECT product_id, warehouse_id, day, SUM(delta)::float, SUM(sold)::float
                  FROM (
                        SELECT ml.product_id, dest.warehouse_id,
                               (ml.date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
                               ml.quantity_product_uom AS delta,
                               CASE WHEN src.usage = 'customer'
                                    THEN -ml.quantity_product_uom ELSE 0 END AS sold
                          FROM stock_move_line ml
                          JOIN stock_location src ON src.id = ml.location_id
                          JOIN stock_location dest ON dest.id = ml.location_dest_id
                         WHERE ml.state = 'done' AND ml.date >= %(start)s
                           AND ml.product_id = ANY(%(products)s)
                           AND dest.usage = 'internal' AND dest.warehouse_id = ANY(%(warehouses)s)
                           AND (src.usage != 'internal'
                                OR src.warehouse_id IS DISTINCT FROM dest.warehouse_id)
                     UNION ALL
                        SELECT ml.product_id, src.warehouse_id,
                               (ml.date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date,
                               -ml.quantity_product_uom,
                               CASE WHEN dest.usage = 'customer'
                                    THEN ml.quantity_product_uom ELSE 0 END
                          FROM stock_move_line ml
                          JOIN stock_location src ON src.id = ml.location_id
                          JOIN stock_location dest ON dest.id = ml.location_dest_id
                         WHERE ml.state = 'done' AND ml.date >= %(start)s
                           AND ml.product_id = ANY(%(products)s)
                           AND src.usage = 'internal' AND src.warehouse_id = ANY(%(warehouses)s)
                           AND (dest.usage != 'internal'
                                OR dest.warehouse_id IS DISTINCT FROM src.warehouse_id)
                       ) flows
                 GROUP BY product_id, warehouse_id, day
                """,
                tz=tz_name,
                start=start,
                products=product_ids,
                warehouses=warehouse_ids,
            )
        )
        flows = defaultdict(lambda: ({}, {}))
        for product, warehouse, day, delta, sold in self.env.cr.fetchall():
            sales_by_day, delta_by_day = flows[product, warehouse]
            delta_by_day[day] = delta
            if sold:
                sales_by_day[day] = sold
        return flows

    @api.model
    def _ecom_read_lead_times(self, company, now):
        """{vendor: (receipts measured, mean days, std days)}: purchase order confirmation to
        first receipt of each line, over the last year."""
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, COUNT(*), AVG(days)::float, COALESCE(STDDEV_SAMP(days), 0)::float
                  FROM (
                        SELECT po.partner_id,
                               EXTRACT(EPOCH FROM MIN(m.date) - po.date_approve) / 86400.0 AS days
                          FROM purchase_order_line pol
                          JOIN purchase_order po ON po.id = pol.order_id
                          JOIN stock_move m ON m.purchase_line_id = pol.id AND m.state = 'done'
                          JOIN stock_location dest ON dest.id = m.location_dest_id
                         WHERE po.company_id = %(company)s AND po.date_approve >= %(since)s
                           AND dest.usage = 'internal'
                         GROUP BY pol.id, po.partner_id, po.date_approve
                       ) receipts
                 GROUP BY partner_id
                """,
                company=company.id,
                since=now - timedelta(days=LEAD_TIME_HISTORY_DAYS),
            )
        )
        return {
            partner: (count, float(mean), float(std))
            for partner, count, mean, std in self.env.cr.fetchall()
        }
