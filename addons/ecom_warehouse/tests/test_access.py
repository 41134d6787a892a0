# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged

from .common import WarehouseCase

VIEWS = {
    "ecom.warehouse.receipt": ["list", "form", "search"],
    "ecom.warehouse.receipt.line": ["list", "search"],
    "ecom.warehouse.count": ["list", "form", "search"],
    "ecom.warehouse.count.line": ["list", "search"],
    "stock.picking": ["form"],
    "stock.picking.batch": ["form"],
    "stock.location": ["form"],
    "res.partner": ["form"],
}


@tagged("post_install", "-at_install")
class TestAccess(HttpCase, WarehouseCase):
    def test_warehouse_app_and_screens_in_the_menu(self):
        self.authenticate("wh_user", "wh_user_pass")
        menus = self.url_open("/web/webclient/load_menus/1").json()
        apps = {menus[str(i)]["xmlid"]: menus[str(i)] for i in menus["root"]["children"]}
        app = apps["ecom_warehouse.ecom_warehouse_menu_root"]
        self.assertEqual(app["name"], "Warehouse")
        self.assertTrue(app["webIconData"])
        names = {menu["name"] for menu in menus.values() if isinstance(menu, dict)}
        for name in ("Receive", "Pick", "Pack", "Count", "Counts Due", "Variance Report"):
            self.assertIn(name, names)

    def test_views_open_for_the_operator(self):
        for model, kinds in VIEWS.items():
            views = (
                self.env[model].with_user(self.user).get_views([(False, kind) for kind in kinds])
            )
            self.assertEqual(set(views["views"]), set(kinds))
        count_view = (
            self.env["ecom.warehouse.count.line"].with_user(self.user).get_views([(False, "list")])
        )
        self.assertNotIn("theoretical_qty", count_view["models"]["ecom.warehouse.count.line"])

    def test_other_company_records_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.user.company_ids = [(4, other.id)]
        other_stock = self.env["stock.warehouse"].search([("company_id", "=", other.id)])
        count = (
            self.env["ecom.warehouse.count"]
            .with_company(other)
            .create({"location_id": other_stock.lot_stock_id.id, "company_id": other.id})
        )
        Count = self.env["ecom.warehouse.count"].with_user(self.user)
        self.assertFalse(
            Count.with_context(allowed_company_ids=[self.company.id]).search(
                [("id", "=", count.id)]
            )
        )
        self.assertTrue(
            Count.with_context(allowed_company_ids=[self.company.id, other.id]).search(
                [("id", "=", count.id)]
            )
        )
