# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

#: queue_job channel of the backtests (long, CPU-bound: one at a time when the job runner
#: configures it with a capacity of 1; otherwise they run in the root channel)
BACKTEST_JOB_CHANNEL = "root.ecom.replenishment"


class ResCompany(models.Model):
    _inherit = "res.company"

    ecom_sales_window_days = fields.Integer(
        string="Sales Window (days)",
        default=90,
        help="Days of sales history behind the daily sales of the reordering rules.",
    )
    ecom_demand_method = fields.Selection(
        [
            ("ecom", "Evidence-weighted estimate"),
            ("naive", "Naive: mean of the days in stock"),
            ("static", "Static min/max as configured"),
        ],
        string="Replenishment Method",
        default="ecom",
        required=True,
        help="How the recompute sets the reordering rules. Evidence-weighted: the mean of the days "
        "in stock when there are enough of them, Croston's method for products that sell on few "
        "days, comparable products when the product's own history is too short. Naive: recorded "
        "sales / days in stock. Static: the minimum and maximum configured by hand are kept "
        "(the daily sales are still computed, for information). The safety stock of the service "
        "level applies to the first two. Run the backtest to compare them on your history.",
    )
    ecom_min_in_stock_days = fields.Integer(
        string="Days in Stock for Full Confidence",
        default=14,
        help="With fewer days in stock, the product's own daily sales are given a weight of "
        "days / this number, the rest coming from comparable products (category, price, age) and "
        "from the days since the product was first in stock.",
    )
    ecom_spike_factor = fields.Float(
        string="Spike Factor",
        default=5.0,
        help="A day selling more than this factor times the median selling day is capped "
        "at that level (needs at least 3 selling days).",
    )
    ecom_order_interval_days = fields.Float(
        string="Default Order Interval (days)",
        default=14.0,
        help="Days between two orders to the same vendor when neither the vendor nor the "
        "product sets one.",
    )
    ecom_lead_time_mode = fields.Selection(
        [("vendor", "Vendor pricelist"), ("measured", "Measured from past purchases")],
        string="Lead Time Source",
        default="vendor",
        required=True,
        help="Measured: the average time from purchase order confirmation to receipt over the "
        "last year, per vendor, when at least the minimum number of receipts was measured; "
        "otherwise the lead time of the vendor pricelist.",
    )
    ecom_lead_time_min_samples = fields.Integer(
        string="Minimum Receipts Measured",
        default=3,
    )
    ecom_service_level = fields.Float(
        string="Service Level (%)",
        default=0.0,
        help="Adds a safety stock from the variance of demand and of lead time, so that stock "
        "covers the demand until the next delivery with this probability. 0: no safety stock.",
    )
    ecom_orderpoint_trigger = fields.Selection(
        [("manual", "Manual"), ("auto", "Auto")],
        string="Trigger of New Rules",
        default="manual",
        required=True,
        help="Trigger of the reordering rules created for products that sell and have none.",
    )
    ecom_backtest_days = fields.Integer(
        string="Backtest Period (days)",
        default=90,
        help="Days of history the backtest replays (after a sales window of history before them).",
    )
    ecom_backtest_recommendation = fields.Char(
        string="Backtest Recommendation",
        compute="_compute_ecom_backtest_recommendation",
        help="What the last backtest recommends: the best fill rate at the lowest stock value.",
    )

    @api.depends_context("company")
    def _compute_ecom_backtest_recommendation(self):
        Backtest = self.env["ecom.replenishment.backtest"].sudo()
        for company in self:
            if company.id and company._ecom_backtest_pending():
                company.ecom_backtest_recommendation = self.env._(
                    "A backtest is queued or running; its results appear when it is done."
                )
                continue
            last = Backtest.search([("company_id", "=", company.id)], limit=1)
            if not last or not last.recommended_method:
                company.ecom_backtest_recommendation = self.env._("No backtest run yet")
                continue
            label = dict(last._fields["recommended_method"]._description_selection(self.env))
            company.ecom_backtest_recommendation = self.env._(
                "%(method)s: fill rate %(fill).1f%% at an average stock value of %(value).2f "
                "(%(name)s)",
                method=label[last.recommended_method],
                fill=last.recommended_fill_rate,
                value=last.recommended_stock_value,
                name=last.name,
            )

    def _ecom_backtest_identity(self):
        """The identity key of this company's backtest job: one queued at a time."""
        self.ensure_one()
        return f"ecom_replenishment.backtest:{self.id}"

    def _ecom_backtest_pending(self):
        """The backtest job of this company waiting or running, if any."""
        self.ensure_one()
        return (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "=", self._ecom_backtest_identity()),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued", "started")),
                ],
                limit=1,
            )
        )

    def action_ecom_backtest(self):
        """Queue the backtest of this company (a job: it replays months of history with each
        method, see ecom.replenishment.backtest); the user is told it is queued, and notified
        with the recommendation when it is done. A backtest already waiting is not queued
        twice."""
        self.ensure_one()
        Backtest = self.env["ecom.replenishment.backtest"]
        Backtest.check_access("create")
        self.with_delay(
            channel=BACKTEST_JOB_CHANNEL,
            description=self.env._("Replenishment backtest of %(company)s", company=self.name),
            identity_key=self._ecom_backtest_identity(),
        )._ecom_run_backtest()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Backtest queued"),
                "message": self.env._(
                    "The backtest runs in the background; you will be notified when it is "
                    "done. Its results are under Replenishment > Reporting > Backtests."
                ),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _ecom_run_backtest(self):
        """The job of :meth:`action_ecom_backtest`, run as the user who queued it: the backtest,
        then a notification to that user with the recommendation. Returns the job's result."""
        self.ensure_one()
        backtest = self.env["ecom.replenishment.backtest"]._ecom_run(self)
        self.invalidate_recordset(["ecom_backtest_recommendation"])
        message = self.env._(
            "%(name)s of %(company)s: %(recommendation)s",
            name=backtest.name,
            company=self.name,
            recommendation=self.ecom_backtest_recommendation,
        )
        self.env.user._bus_send(
            "simple_notification",
            {
                "type": "success",
                "title": self.env._("Backtest done"),
                "message": message,
                "sticky": True,
            },
        )
        return message

    @api.model
    def action_ecom_replenishment_settings(self):
        """The replenishment settings of the current company."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Replenishment Settings"),
            "res_model": "res.company",
            "res_id": self.env.company.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("ecom_replenishment.res_company_view_form_ecom_settings").id, "form")
            ],
            "target": "current",
        }
