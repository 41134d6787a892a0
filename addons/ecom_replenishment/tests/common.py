# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

# "today" of the tests: the sales window ends the day before
NOW = datetime(2026, 3, 1, 12, 0, 0)
DAY0 = NOW - timedelta(days=30)  # 30 days ago, at noon


class ReplenishmentCase(TransactionCase):
    """Company, warehouse, vendor, category and planner, and helpers making history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.tz = "UTC"
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.shelf = cls.env["stock.location"].create(
            {"name": "Shelf 1", "usage": "internal", "location_id": cls.stock.id}
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.buy_route = cls.env.ref("purchase_stock.route_warehouse0_buy")
        cls.vendor = cls.env["res.partner"].create(
            {"name": "Acme Supplies", "ecom_order_interval_days": 14.0}
        )
        cls.category = cls.env["product.category"].create({"name": "Replenishment tests"})
        cls.planner = new_test_user(
            cls.env,
            login="ecom_planner",
            groups="base.group_user,ecom_replenishment.ecom_replenishment_group_manager",
        )

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _product(cls, name, delay=7, min_qty=0.0):
        return cls.env["product.product"].create(
            {
                "name": name,
                "is_storable": True,
                "categ_id": cls.category.id,
                "route_ids": [Command.link(cls.buy_route.id)],
                "seller_ids": [
                    Command.create(
                        {"partner_id": cls.vendor.id, "delay": delay, "min_qty": min_qty}
                    )
                ],
            }
        )

    @classmethod
    def _done(cls, product, qty, src, dest, when):
        """A done stock move of ``qty`` from ``src`` to ``dest`` at ``when`` (UTC)."""
        with freeze_time(when):
            move = cls.env["stock.move"].create(
                {
                    "name": product.name,
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "product_uom": product.uom_id.id,
                    "location_id": src.id,
                    "location_dest_id": dest.id,
                }
            )
            move._action_confirm()
            move.quantity = qty
            move.picked = True
            move._action_done()
        return move

    @classmethod
    def _sell_daily(cls, product, qty, days, start=DAY0):
        for day in range(days):
            cls._done(product, qty, cls.stock, cls.customers, start + timedelta(days=day))

    def _rule(self, product):
        return self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": product.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock.id,
                "trigger": "manual",
            }
        )

    def _recompute(self, orderpoints):
        with freeze_time(NOW):
            orderpoints.with_user(self.planner).action_ecom_recompute()
