"""The warehouse demo data (tools/demo_data_warehouse.py) on a small generated retailer."""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_data = _load("demo_data")


@tagged("post_install", "-at_install")
class TestWarehouseDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generator = demo_data.DemoGenerator(
            cls.env, days=24, scale=0.15, today=date(2026, 3, 2)
        )
        # run() ends with the demo data of the installed addons (tools/demo_data_<area>.py).
        cls.generated = cls.generator.run()

    def test_warehouse_demo(self):
        env = self.env
        self.assertTrue(self.generated)
        counts = self.generator.counts
        self.assertIn("warehouse_receipts", counts, "run() generated the warehouse demo data")
        warehouse_user = env["res.users"].search([("login", "=", "warehouse")])
        self.assertTrue(warehouse_user.has_group("ecom_warehouse.ecom_warehouse_group_user"))
        self.assertFalse(warehouse_user.has_group("ecom_warehouse.ecom_warehouse_group_manager"))
        report = env["ecom.warehouse.receipt"].search([("date_done", "!=", False)])
        self.assertEqual(len(report), counts["warehouse_receipts"])
        self.assertEqual(len(report), 1)
        self.assertIn("short", report.line_ids.mapped("status"))
        self.assertTrue(report.backorder_id)
        batch = env["stock.picking.batch"].search([("description", "=", "Morning wave")])
        self.assertEqual(len(batch.picking_ids), counts["warehouse_batch_orders"])
        bins = batch.ecom_pick_list()
        self.assertEqual(len({b["location_id"] for b in bins}), len(bins), "each bin once")
        count = env["ecom.warehouse.count"].search([("state", "=", "review")])
        self.assertEqual(len(count), 1)
        self.assertLess(count.variance_qty, 0)
        self.assertIn(
            "a", self.generator.products.mapped("ecom_abc_class"), "best sellers are class A"
        )
