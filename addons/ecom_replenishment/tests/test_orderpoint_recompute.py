# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.ecom_replenishment.models.stock_warehouse_orderpoint import RESULT_COLUMNS

from .common import DAY0, NOW, ReplenishmentCase


@tagged("post_install", "-at_install")
class TestOrderpointRecompute(ReplenishmentCase):
    # ------------------------------------------------------------------ acceptance

    def test_out_of_stock_days_are_excluded(self):
        """2 a day for 20 days, then out of stock for 10: 2 a day; lead 7, interval 14:
        min 14, max 42."""
        product = self._product("Twenty days")
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product)
        self._recompute(rule)
        self.assertAlmostEqual(rule.ecom_daily_sales, 2.0)
        self.assertEqual(rule.ecom_in_stock_days, 20)
        self.assertEqual(rule.ecom_lead_days, 7.0)
        self.assertEqual(rule.ecom_order_interval_days, 14.0)
        self.assertEqual(rule.product_min_qty, 14.0)
        self.assertEqual(rule.product_max_qty, 42.0)
        self.assertIn("70 days out of stock excluded", rule.ecom_explanation)
        self.assertIn("mean of the days in stock", rule.ecom_explanation)

    def test_slow_mover_is_not_one_a_day(self):
        """The only unit in stock sells on the first day, then the product is out of stock."""
        product = self._product("Slow mover")
        self._done(product, 1, self.suppliers, self.stock, DAY0 - timedelta(hours=3))
        self._done(product, 1, self.stock, self.customers, DAY0)
        rule = self._rule(product)
        self._recompute(rule)
        self.assertEqual(rule.ecom_in_stock_days, 1)
        self.assertEqual(rule.ecom_estimate_method, "bayes")
        # no comparable product: 1/14 x 1 a day + 13/14 x 1 sold in the 30 days since
        self.assertAlmostEqual(rule.ecom_daily_sales, 43 / 420, places=3)
        self.assertLess(rule.product_min_qty, 1.0)
        self.assertIn("too little evidence", rule.ecom_explanation)
        self.assertIn("no comparable product", rule.ecom_explanation)

    def test_brief_case_one_sale_among_fast_sellers(self):
        """Issue 17: received once (1 unit), sold the same day, then out of stock for 59 days,
        in the category of two products selling 2 and 1 a day. The shrinkage towards the
        category's rate gave 1.359 a day (minimum 6.8); the estimate stays below 0.5 and the
        minimum at 1-2 units, while the two sellers keep their own rates."""
        self.company.ecom_sales_window_days = 60
        start = NOW - timedelta(days=60)
        sellers = self.env["product.product"]
        for name, rate in (("Two a day", 2), ("One a day", 1)):
            seller = self._product(name, delay=5)
            self._done(seller, 200, self.suppliers, self.stock, start - timedelta(hours=2))
            self._sell_daily(seller, rate, 60, start=start)
            sellers |= seller
        product = self._product("Received once", delay=5)
        self._done(product, 1, self.suppliers, self.stock, start + timedelta(hours=1))
        self._done(product, 1, self.stock, self.customers, start + timedelta(hours=3))
        rules = self._rule(product) | self._rule(sellers[0]) | self._rule(sellers[1])
        self._recompute(rules)
        rule = rules[0]
        self.assertEqual((rule.ecom_in_stock_days, rules[1].ecom_in_stock_days), (1, 60))
        # prior 1.5 a day from 2 comparables (14 x 2/3 days), weighed against 1 sold in 60 days:
        # 45/208; the product's own 1 a day counts 1/14: 793/2912 = 0.272
        self.assertAlmostEqual(rule.ecom_daily_sales, 793 / 2912, places=3)
        self.assertLess(rule.ecom_daily_sales, 0.5)
        self.assertLessEqual(rule.product_min_qty, 2.0)
        self.assertAlmostEqual(rule.product_min_qty, 1.37)  # 0.272 x 5 days, rounded up
        self.assertIn(
            "comparable products (2, similar category, price and age)", rule.ecom_explanation
        )
        self.assertEqual(rules[1].ecom_daily_sales, 2.0)
        self.assertEqual(rules[2].ecom_daily_sales, 1.0)
        self.assertEqual(rules[1].ecom_estimate_method, "mean")

    def test_returns_transfers_and_receipts_are_not_sales(self):
        product = self._product("Returned")
        self._done(product, 100, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 3, 20)
        # a customer return, an internal transfer, another receipt
        self._done(product, 10, self.customers, self.stock, DAY0 + timedelta(days=5, hours=2))
        self._done(product, 20, self.stock, self.shelf, DAY0 + timedelta(days=6, hours=2))
        self._done(product, 50, self.suppliers, self.shelf, DAY0 + timedelta(days=10, hours=2))
        rule = self._rule(product)
        self._recompute(rule)
        # 60 delivered - 10 returned; in stock on each of the last 30 days
        self.assertEqual(rule.ecom_in_stock_days, 30)
        self.assertAlmostEqual(rule.ecom_daily_sales, 50 / 30, places=3)
        self.assertIn("50 sold on 30 days in stock", rule.ecom_explanation)

    def test_days_follow_company_timezone(self):
        """Received at 08:00 and sold out at 20:00 in Tokyo: one day in stock, though the two
        moves fall on two different days in UTC."""
        self.company.partner_id.tz = "Asia/Tokyo"
        product = self._product("Tokyo")
        # 2026-02-20 08:00 and 20:00 in Tokyo (UTC+9): 2026-02-19 23:00 and 2026-02-20 11:00 UTC
        self._done(product, 5, self.suppliers, self.stock, datetime(2026, 2, 19, 23, 0))
        self._done(product, 5, self.stock, self.customers, datetime(2026, 2, 20, 11, 0))
        rule = self._rule(product)
        self._recompute(rule)
        self.assertEqual(rule.ecom_in_stock_days, 1)
        self.company.partner_id.tz = "UTC"
        self._recompute(rule)
        self.assertEqual(rule.ecom_in_stock_days, 2)

    def test_spike_is_capped_and_explained(self):
        product = self._product("Bulk order")
        self._done(product, 300, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        self._done(product, 100, self.stock, self.customers, DAY0 + timedelta(days=10, hours=1))
        rule = self._rule(product)
        self._recompute(rule)
        # day 10: 102 sold, capped at 5 x 2 = 10
        self.assertAlmostEqual(rule.ecom_daily_sales, (19 * 2 + 10) / 30, places=3)
        self.assertIn("1 day(s) capped at 10, 92 excluded", rule.ecom_explanation)

    def test_supplier_minimum_pack_multiple_and_product_interval(self):
        product = self._product("Minimum", min_qty=50.0)
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product)
        self._recompute(rule)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 64.0))
        rule.qty_multiple = 12.0
        self._recompute(rule)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 74.0))
        product.seller_ids.min_qty = 0.0
        rule.qty_multiple = 1.0
        product.ecom_order_interval_days = 7.0
        self._recompute(rule)
        self.assertEqual(rule.ecom_order_interval_days, 7.0)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 28.0))

    def test_safety_stock_from_service_level(self):
        self.company.ecom_service_level = 95.0
        product = self._product("Irregular")
        self._done(product, 200, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        for day in range(30):
            self._done(product, 1 + day % 3, self.stock, self.customers, DAY0 + timedelta(day))
        rule = self._rule(product)
        self._recompute(rule)
        self.assertAlmostEqual(rule.ecom_daily_sales, 2.0)
        self.assertGreater(rule.ecom_safety_stock, 0.0)
        self.assertAlmostEqual(rule.product_min_qty, 14.0 + rule.ecom_safety_stock, delta=0.011)

    def test_measured_lead_time(self):
        self.company.ecom_lead_time_mode = "measured"
        product = self._product("Measured", delay=10)
        for week in range(3):
            ordered = DAY0 + timedelta(days=7 * week)
            with freeze_time(ordered):
                order = self.env["purchase.order"].create(
                    {
                        "partner_id": self.vendor.id,
                        "order_line": [
                            Command.create({"product_id": product.id, "product_qty": 20})
                        ],
                    }
                )
                order.button_confirm()
            with freeze_time(ordered + timedelta(days=4)):
                order.picking_ids.button_validate()
        self._sell_daily(product, 2, 10, start=DAY0 + timedelta(days=5))
        rule = self._rule(product)
        self._recompute(rule)
        self.assertAlmostEqual(rule.ecom_lead_days, 4.0, places=2)
        self.assertIn("measured on 3 receipts", rule.ecom_explanation)
        # the same measure on the vendor form, as the planner sees it
        with freeze_time(NOW):
            vendor = self.vendor.with_user(self.planner)
            self.assertEqual(vendor.ecom_lead_time_receipts, 3)
            self.assertAlmostEqual(vendor.ecom_measured_lead_time, 4.0, places=2)
        self.company.ecom_lead_time_min_samples = 4
        self._recompute(rule)
        self.assertEqual(rule.ecom_lead_days, 10.0)

    # ------------------------------------------------------------------ Odoo replenishment

    def test_standard_replenishment_orders_computed_quantities(self):
        """The planner recomputes, opens Odoo's replenishment report and orders: the purchase
        order has the computed quantity (max 42 - forecast 0)."""
        product = self._product("Replenished")
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product)
        self._recompute(rule)
        Orderpoint = self.env["stock.warehouse.orderpoint"].with_user(self.planner)
        with freeze_time(NOW):
            Orderpoint.action_open_orderpoints()
            rule = rule.with_user(self.planner)
            self.assertEqual(rule.qty_to_order, 42.0)
            rule.action_replenish()
        line = self.env["purchase.order.line"].search([("product_id", "=", product.id)])
        self.assertEqual(line.product_qty, 42.0)
        self.assertEqual(line.order_id.partner_id, self.vendor)

    def test_scheduler_orders_automatic_rules(self):
        product = self._product("Automatic")
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product)
        rule.trigger = "auto"
        self._recompute(rule)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 42.0))
        # nothing left: below min 14, Odoo's scheduler orders up to max 42
        with freeze_time(NOW):
            self.env["procurement.group"].run_scheduler()
        line = self.env["purchase.order.line"].search([("product_id", "=", product.id)])
        self.assertEqual(line.product_qty, 42.0)

    def test_cron_creates_rules_for_products_that_sell(self):
        seller = self._product("Sells without rule")
        self._done(seller, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(seller, 2, 20)
        idle = self._product("Only received")
        self._done(idle, 40, self.suppliers, self.stock, DAY0)
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        with freeze_time(NOW):
            Orderpoint._cron_ecom_recompute()
        rule = Orderpoint.search([("product_id", "=", seller.id)])
        self.assertEqual(len(rule), 1)
        self.assertEqual(rule.location_id, self.stock)
        self.assertEqual(rule.trigger, "manual")
        self.assertEqual(rule.route_id, self.buy_route)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 42.0))
        self.assertFalse(Orderpoint.search([("product_id", "=", idle.id)]))
        # a second run creates nothing new
        with freeze_time(NOW):
            Orderpoint._cron_ecom_recompute()
        self.assertEqual(Orderpoint.search_count([("product_id", "=", seller.id)]), 1)

    def test_computed_rules_survive_odoo_clean_up(self):
        """Opening Odoo's replenishment report removes superuser-made manual rules with nothing
        to order; the rules the nightly recompute made are kept."""
        seller = self._product("Well stocked seller")
        self._done(seller, 100, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(seller, 2, 20)
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        with freeze_time(NOW):
            Orderpoint._cron_ecom_recompute()
            rule = Orderpoint.search([("product_id", "=", seller.id)])
            self.assertEqual(rule.create_uid.id, SUPERUSER_ID)
            self.assertEqual(rule.qty_to_order, 0.0, "60 on hand is above the maximum of 42")
            self.env["stock.warehouse.orderpoint"].with_user(self.planner).action_open_orderpoints()
            self.assertTrue(rule.exists())
            # Odoo's own temporary suggestions are still cleaned up.
            other = self._product("Odoo suggestion")
            temporary = Orderpoint.create(
                {"product_id": other.id, "location_id": self.stock.id, "trigger": "manual"}
            )
            self.assertEqual(Orderpoint._unlink_processed_orderpoints(), temporary)
            self.assertFalse(temporary.exists())
            self.assertTrue(rule.exists())

    def test_stockout_risk_before_next_delivery(self):
        product = self._product("At risk")
        self._done(product, 45, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        # 5 left, 40 sold on 30 days in stock, next delivery in 7 days: about 9.3 needed
        rule = self._rule(product).with_user(self.planner)
        self._recompute(rule)
        with freeze_time(NOW):
            self.assertGreater(rule.ecom_stockout_risk, 0.5)
            self.assertLess(rule.ecom_days_of_cover, 7.0)

    def test_cover_risk_and_history(self):
        product = self._product("Covered")
        self._done(product, 60, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product).with_user(self.planner)
        self._recompute(rule)
        with freeze_time(NOW):
            rule.invalidate_recordset()
            # 40 sold on 30 days in stock: 20 left last 15 days
            self.assertAlmostEqual(rule.ecom_days_of_cover, 15.0)
            self.assertLess(rule.ecom_stockout_risk, 0.001)
            action = rule.action_ecom_view_history()
        self.assertEqual(action["res_model"], "stock.move.line")
        lines = self.env["stock.move.line"].with_user(self.planner).search(action["domain"])
        self.assertEqual(len(lines), 21)

    def test_list_action_and_read_only_auditor(self):
        product = self._product("From the list")
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product)
        action = self.env.ref("ecom_replenishment.stock_warehouse_orderpoint_action_ecom_recompute")
        with freeze_time(NOW):
            action.with_user(self.planner).with_context(
                active_model=rule._name, active_ids=rule.ids, active_id=rule.id
            ).run()
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 42.0))
        auditor = new_test_user(
            self.env, login="ecom_auditor", groups="base.group_user,account.group_account_readonly"
        )
        figures = rule.with_user(auditor).read(["ecom_daily_sales", "ecom_explanation"])[0]
        self.assertAlmostEqual(figures["ecom_daily_sales"], 2.0)
        with self.assertRaises(AccessError):
            rule.with_user(auditor).action_ecom_recompute()

    # ------------------------------------------------------------------ bulk path

    def _figures(self, rules):
        rules.invalidate_recordset()
        names = [name for name in RESULT_COLUMNS if name != "ecom_recompute_date"]
        return {rule.id: rule.read(names)[0] for rule in rules}

    def test_bulk_path_matches_record_by_record(self):
        """The set-based recompute (SQL reads, one UPDATE per batch) and the ORM one (vendor from
        _get_filtered_sellers, unit conversion, write per rule) give the same figures."""
        self.company.ecom_service_level = 90.0
        dozen = self.env.ref("uom.product_uom_dozen")
        products = self.env["product.product"]
        # a regular seller whose vendor sells by the dozen, minimum 2 dozens
        regular = self._product("Regular")
        regular.uom_po_id = dozen
        regular.seller_ids.min_qty = 2.0
        self._done(regular, 100, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(regular, 2, 20)
        products |= regular
        # an intermittent seller with an expired pricelist line before the valid one
        intermittent = self._product("Intermittent", delay=12)
        other = self.env["res.partner"].create({"name": "Old Vendor"})
        self.env["product.supplierinfo"].create(
            {
                "partner_id": other.id,
                "product_tmpl_id": intermittent.product_tmpl_id.id,
                "delay": 2,
                "sequence": 0,
                "date_end": DAY0.date() - timedelta(days=1),
            }
        )
        self._done(intermittent, 30, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        for day in range(0, 30, 6):
            self._done(intermittent, 3, self.stock, self.customers, DAY0 + timedelta(days=day))
        products |= intermittent
        # a slow mover with a product order interval, a spike seller, a product never in stock
        slow = self._product("Slow")
        slow.product_tmpl_id.ecom_order_interval_days = 30.0
        self._done(slow, 1, self.suppliers, self.stock, DAY0 - timedelta(hours=3))
        self._done(slow, 1, self.stock, self.customers, DAY0)
        spiky = self._product("Spiky")
        self._done(spiky, 300, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(spiky, 2, 20)
        self._done(spiky, 100, self.stock, self.customers, DAY0 + timedelta(days=10, hours=1))
        products |= slow | spiky | self._product("Never in stock")
        rules = self.env["stock.warehouse.orderpoint"]
        for product in products:
            rules |= self._rule(product)
        # a rule with its own vendor line, and a pack multiple
        rules[0].supplier_id = self.env["product.supplierinfo"].create(
            {"partner_id": other.id, "product_tmpl_id": regular.product_tmpl_id.id, "delay": 9}
        )
        rules[3].qty_multiple = 12.0
        with freeze_time(NOW):
            rules.with_user(self.planner)._ecom_recompute(bulk=True)
            bulk = self._figures(rules)
            rules.with_user(self.planner)._ecom_recompute(bulk=False)
            orm = self._figures(rules)
        self.assertEqual(bulk, orm)
        self.assertEqual(rules[0].ecom_lead_days, 9.0)
        self.assertEqual(rules[1].ecom_lead_days, 12.0)
        self.assertEqual(rules[1].ecom_estimate_method, "croston")
        self.assertEqual(rules[2].ecom_order_interval_days, 30.0)
        self.assertEqual(rules[4].ecom_estimate_method, "none")

    def test_figures_read_before_the_bulk_recompute_are_refreshed(self):
        """The bulk UPDATE bypasses the ORM: the cache of the rules read before is invalidated,
        and Odoo's own computed quantity to order follows the new levels."""
        product = self._product("Cached")
        self._done(product, 40, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        rule = self._rule(product).with_user(self.planner)
        with freeze_time(NOW):
            self.assertEqual((rule.product_min_qty, rule.ecom_daily_sales), (0.0, 0.0))
            self.assertEqual(rule.qty_to_order, 0.0)
            rule.action_ecom_recompute()
            self.assertEqual((rule.product_min_qty, rule.product_max_qty), (14.0, 42.0))
            self.assertEqual(rule.ecom_daily_sales, 2.0)
            self.assertEqual(rule.qty_to_order, 42.0)

    # ------------------------------------------------------------------ company method

    def test_method_setting_naive_and_static(self):
        product = self._product("Method")
        self._done(product, 300, self.suppliers, self.stock, DAY0 - timedelta(hours=2))
        self._sell_daily(product, 2, 20)
        self._done(product, 100, self.stock, self.customers, DAY0 + timedelta(days=10, hours=1))
        rule = self._rule(product)
        rule.write({"product_min_qty": 5.0, "product_max_qty": 50.0})
        self.company.ecom_demand_method = "static"
        self._recompute(rule)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (5.0, 50.0))
        self.assertEqual((rule.ecom_static_min_qty, rule.ecom_static_max_qty), (5.0, 50.0))
        self.assertAlmostEqual(rule.ecom_daily_sales, 48 / 30, places=3)
        self.assertIn("static min/max", rule.ecom_explanation)
        self.company.ecom_demand_method = "naive"
        self._recompute(rule)
        # naive: 140 recorded on 30 days in stock, the bulk order counted
        self.assertAlmostEqual(rule.ecom_daily_sales, 140 / 30, places=3)
        self.assertEqual(rule.ecom_estimate_method, "naive")
        self.company.ecom_demand_method = "ecom"
        self._recompute(rule)
        self.assertAlmostEqual(rule.ecom_daily_sales, 48 / 30, places=3)
        self.assertAlmostEqual(rule.product_min_qty, 11.2)
        self.company.ecom_demand_method = "static"
        self._recompute(rule)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (5.0, 50.0))
