# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.ecom_replenishment.models.res_company import BACKTEST_JOB_CHANNEL
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NOW, ReplenishmentCase

START = NOW - timedelta(days=60)  # the 30-day sales window, then the 30 days replayed


@tagged("post_install", "-at_install")
class TestBacktest(ReplenishmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"ecom_sales_window_days": 30, "ecom_backtest_days": 30})
        # sells one a day for 60 days: 31 received before, 30 more on day 30 after the sale
        cls.steady = cls._product("Steady", delay=5)
        cls.steady.standard_price = 10.0
        cls._done(cls.steady, 31, cls.suppliers, cls.stock, START - timedelta(hours=2))
        cls._done(cls.steady, 30, cls.suppliers, cls.stock, START + timedelta(days=30, hours=2))
        cls._sell_daily(cls.steady, 1, 60, start=START)
        # received once, sold on the first day, out of stock since
        cls.slow = cls._product("Slow", delay=5)
        cls.slow.standard_price = 50.0
        cls._done(cls.slow, 1, cls.suppliers, cls.stock, START - timedelta(hours=2))
        cls._done(cls.slow, 1, cls.stock, cls.customers, START)

    def _rules(self):
        rules = self._rule(self.steady) | self._rule(self.slow)
        # the levels a buyer configured by hand
        rules[0].write({"product_min_qty": 3.0, "product_max_qty": 10.0})
        rules[1].write({"product_min_qty": 2.0, "product_max_qty": 6.0})
        return rules

    def test_backtest_per_method_and_recommendation(self):
        rules = self._rules()
        company = self.company.with_user(self.planner)
        Backtest = self.env["ecom.replenishment.backtest"]
        with trap_jobs() as trap, freeze_time(NOW):
            action = company.action_ecom_backtest()
            # queued, not run in the web request: the user is told so
            self.assertEqual(action["tag"], "display_notification")
            self.assertIn("background", action["params"]["message"])
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                company._ecom_run_backtest,
                args=(),
                kwargs={},
                properties={
                    "channel": BACKTEST_JOB_CHANNEL,
                    "identity_key": company._ecom_backtest_identity(),
                },
            )
            self.assertFalse(Backtest.search([]))
            trap.perform_enqueued_jobs()
        backtest = Backtest.search([], limit=1)
        self.assertTrue(backtest)
        # the user who queued it is notified with the recommendation
        notifications = self.env.cr.precommit.data.get("bus.bus.values", [])
        self.assertTrue(
            any(
                "Backtest done" in value["message"] and backtest.name in value["message"]
                for value in notifications
            ),
            notifications,
        )
        action = backtest.action_view_lines()
        self.assertEqual(action["domain"], [("backtest_id", "=", backtest.id)])
        self.assertEqual((backtest.replay_days, backtest.product_count), (30, 2))
        lines = backtest.line_ids
        self.assertEqual(len(lines), 8)
        self.assertEqual(set(lines.mapped("method")), {"static", "naive", "ecom", "ecom_safety"})
        by = {(line.method, line.product_id): line for line in lines}
        # the steady seller: 30 units demanded over the replay, one a day
        for method in ("static", "naive", "ecom", "ecom_safety"):
            line = by[method, self.steady]
            self.assertEqual(line.units_demanded, 30.0, method)
            self.assertEqual(line.vendor_id, self.vendor)
            self.assertEqual(line.categ_id, self.category)
            self.assertEqual(line.orderpoint_id, rules[0])
        # static 3/10 with a 5-day lead and 1 in stock at the start: orders of 10, 8 and 8 on
        # days 0, 12 and 22, each arriving after 2 to 4 days out of stock
        static = by["static", self.steady]
        self.assertEqual((static.units_sold, static.stockout_days), (22.0, 8))
        self.assertEqual((static.units_bought, static.orders), (26.0, 3))
        self.assertAlmostEqual(static.fill_rate, 22 / 30 * 100)
        self.assertAlmostEqual(static.average_stock_value, 910.0 / 30, places=2)
        # ours: 1 a day x 5 days, + 14 days: 5/19, out of stock only until the first receipt
        ours = by["ecom", self.steady]
        self.assertEqual((ours.units_sold, ours.stockout_days), (26.0, 4))
        # the slow mover: no known demand in the replay (out of stock all along in reality)
        self.assertEqual(by["ecom", self.slow].units_demanded, 0.0)
        self.assertLess(by["ecom", self.slow].units_bought, by["naive", self.slow].units_bought)
        recommended = lines.filtered(lambda line: line.method == backtest.recommended_method)
        self.assertAlmostEqual(
            backtest.recommended_fill_rate,
            sum(recommended.mapped("units_sold")) / sum(recommended.mapped("units_demanded")) * 100,
        )
        self.assertIn("fill rate", backtest.summary)
        self.assertIn("fill rate", self.company.ecom_backtest_recommendation)
        # grouped, the fill rate is units sold / units demanded
        Line = self.env["ecom.replenishment.backtest.line"].with_user(self.planner)
        groups = Line.read_group(
            [("backtest_id", "=", backtest.id)],
            ["fill_rate:avg", "units_sold:sum", "units_demanded:sum"],
            ["method"],
        )
        for group in groups:
            expected = group["units_sold"] / group["units_demanded"] * 100
            self.assertAlmostEqual(group["fill_rate"], expected, places=6)

    def test_backtest_uses_rules_as_configured_before_the_recompute(self):
        rules = self._rules()
        self._recompute(rules)  # the levels now come from sales; the configured ones are kept
        self.assertEqual((rules[1].ecom_static_min_qty, rules[1].ecom_static_max_qty), (2.0, 6.0))
        with freeze_time(NOW):
            backtest = self.env["ecom.replenishment.backtest"]._ecom_run(self.company)
        static = backtest.line_ids.filtered(
            lambda line: line.method == "static" and line.product_id == self.slow
        )
        # nothing in stock, min 2: one order up to 6 on the first day
        self.assertEqual((static.units_bought, static.orders), (6.0, 1))

    def test_backtest_needs_the_planner(self):
        self._rules()
        auditor = new_test_user(
            self.env, login="ecom_auditor2", groups="base.group_user,account.group_account_readonly"
        )
        with self.assertRaises(AccessError), freeze_time(NOW):
            self.company.with_user(auditor).action_ecom_backtest()
        with trap_jobs() as trap, freeze_time(NOW):
            self.company.with_user(self.planner).action_ecom_backtest()
            trap.perform_enqueued_jobs()
        lines = self.env["ecom.replenishment.backtest.line"].with_user(auditor).search([])
        self.assertEqual(len(lines), 8)

    def test_backtest_queued_once_and_shown_as_queued(self):
        self._rules()
        company = self.company.with_user(self.planner)
        with freeze_time(NOW):
            company.action_ecom_backtest()
            company.action_ecom_backtest()
        jobs = self.env["queue.job"].search(
            [("identity_key", "=", self.company._ecom_backtest_identity())]
        )
        self.assertEqual(len(jobs), 1, "a backtest waiting is not queued twice")
        self.assertEqual(jobs.state, "pending")
        self.assertEqual(jobs.channel, BACKTEST_JOB_CHANNEL)
        self.assertEqual(jobs.user_id, self.planner)
        company.invalidate_recordset(["ecom_backtest_recommendation"])
        self.assertIn("queued", company.ecom_backtest_recommendation)
        self.assertFalse(self.env["ecom.replenishment.backtest"].search([]))
