# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The plain-Python owners shared by the recompute, the backtest and the vendor form: the
measured lead time, and the daily rate and levels of each replenishment method (no database)."""

from datetime import date, timedelta

from odoo.tests import BaseCase, tagged

from ..ecom_replenishment_core import (
    ECOM,
    NAIVE,
    STATIC,
    DemandSettings,
    estimate_demand,
    measure_lead_times,
    method_daily_rate,
    method_levels,
    observe_days,
    reorder_levels,
)

SETTINGS = DemandSettings(window_days=10, min_in_stock_days=14)


def _observation(sales):
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(len(sales))]
    return observe_days(days, [True] * len(sales), sales, SETTINGS)


@tagged("post_install", "-at_install")
class TestCoreOwners(BaseCase):
    def test_measure_lead_times_as_postgresql_avg_and_stddev_samp(self):
        self.assertEqual(measure_lead_times([]), (0, 0.0, 0.0))
        self.assertEqual(measure_lead_times([4.0]), (1, 4.0, 0.0))
        count, mean, std = measure_lead_times([3.0, 4.0, 5.0, None])
        self.assertEqual((count, mean), (3, 4.0))
        self.assertAlmostEqual(std, 1.0)

    def test_method_daily_rate(self):
        # few days in stock: the estimate shrinks the naive rate towards the prior
        observation = _observation([0, 3, 0, 0, 1, 0, 0, 0, 2, 0])
        naive = method_daily_rate(NAIVE, observation)
        self.assertEqual(naive, (observation.naive_rate, observation.naive_std, None))
        self.assertAlmostEqual(naive[0], 0.6)
        estimate = estimate_demand(observation, SETTINGS)
        ours = method_daily_rate(ECOM, observation, SETTINGS)
        self.assertEqual(ours[:2], (estimate.daily_sales, estimate.std_daily))
        self.assertNotAlmostEqual(ours[0], naive[0])
        # an estimate already made is used as it is, for every method but naive
        self.assertIs(method_daily_rate(STATIC, observation, estimate=estimate)[2], estimate)

    def test_method_levels(self):
        levels = reorder_levels(2.0, 7.0, 14.0, multiple=6.0)
        ours = method_levels(ECOM, 2.0, 1.0, 7.0, 14.0, multiple=6.0)
        self.assertEqual(ours, (levels.min_qty, levels.max_qty, levels))
        safe = method_levels(ECOM, 2.0, 1.0, 7.0, 14.0, service_level=95.0, multiple=6.0)
        self.assertGreater(safe[2].safety_stock, 0.0)
        self.assertGreater(safe[0], ours[0])
        static = method_levels(STATIC, 2.0, 1.0, 7.0, 14.0, multiple=6.0, static=(3.0, 10.0))
        self.assertEqual(static, (3.0, 10.0, levels), "configured levels, computed ones shown")
