# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import WarehouseCase


@tagged("post_install", "-at_install")
class TestReceive(WarehouseCase):
    def test_user_is_not_a_manager(self):
        self.assertTrue(self.user.has_group("stock.group_stock_user"))
        self.assertFalse(self.user.has_group("stock.group_stock_manager"))
        self.assertFalse(self.user.has_group("account.group_account_invoice"))
        self.assertFalse(self.user.has_group("purchase.group_purchase_user"))

    def test_receive_three_products_over_short_and_unexpected(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            po = self._purchase([(self.tent, 10), (self.stove, 5), (self.lamp, 4)])
        picking = po.picking_ids.with_user(self.user)
        with freeze_time(datetime(2026, 3, 5, 9, 0)):
            state = picking.ecom_wh_receive_state()
            self.assertEqual({line["received"] for line in state["lines"]}, {0.0})
            scan = picking.ecom_wh_receive_scan(self.tent.barcode)
            self.assertEqual(scan["type"], "product")
            self.assertEqual(scan["home_name"], "T-2-1")
            # Wrong bin refused, right bin accepted.
            wrong = picking.ecom_wh_receive_put(self.tent.id, 10, "LOC-T-1-1")
            self.assertEqual(wrong["type"], "error")
            self.assertIn("T-2-1", wrong["message"])
            done = picking.ecom_wh_receive_put(self.tent.id, 10, "LOC-T-2-1")
            self.assertEqual(done["type"], "done")
            # 12 of 10 is beyond the 5% tolerance: confirmation first.
            over = picking.ecom_wh_receive_put(self.tent.id, 2, "LOC-T-2-1")
            self.assertEqual(over["type"], "confirm")
            picking.ecom_wh_receive_put(self.tent.id, 2, "LOC-T-2-1", confirmed=True)
            picking.ecom_wh_receive_put(self.stove.id, 3, "LOC-T-10-1")
            picking.ecom_wh_receive_put(self.lamp.id, 4, "LOC-T-1-1")
            unexpected = picking.ecom_wh_receive_scan(self.rope.barcode)
            self.assertEqual(unexpected["type"], "unexpected")
            picking.ecom_wh_receive_flag(self.rope.id, 1)
            self.assertEqual(picking.ecom_wh_receive_scan("NOPE-123")["type"], "error")
            result = picking.ecom_wh_receive_validate()

        self.assertEqual(picking.state, "done")
        self.assertEqual(self.qty_in(self.tent, self.bin["T-2-1"]), 12)
        self.assertEqual(self.qty_in(self.stove, self.bin["T-10-1"]), 3)
        self.assertEqual(self.qty_in(self.lamp, self.bin["T-1-1"]), 4)
        self.assertEqual(self.qty_in(self.rope, self.bin["T-2-2"]), 0, "set aside, not stocked")
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        self.assertEqual(result["backorder"], backorder.name)
        self.assertEqual(backorder.move_ids.product_id, self.stove)
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        self.assertEqual(po.order_line.mapped("qty_received"), [12, 3, 4])

        report = self.env["ecom.warehouse.receipt"].browse(result["report_id"])
        status = {line.product_id: line.status for line in report.line_ids}
        self.assertEqual(
            status,
            {self.tent: "over", self.stove: "short", self.lamp: "ok", self.rope: "unexpected"},
        )
        self.assertEqual(report.discrepancy_count, 3)
        self.assertEqual(report.date_order, datetime(2026, 3, 2, 9, 0))
        self.assertEqual(report.date_done, datetime(2026, 3, 5, 9, 0))
        self.assertAlmostEqual(report.fill_rate, 100.0 * 17 / 19, places=2)
        pdf, kind = self.env["ir.actions.report"]._render_qweb_html(
            "ecom_warehouse.report_receipt_discrepancy", report.ids
        )
        self.assertIn(b"Fellside Supplies", pdf)
        self.assertIn(b"Unexpected item", pdf)

        # Supplier statistics: the fill rate includes this receipt.
        with freeze_time(datetime(2026, 3, 6)):
            self.supplier.invalidate_recordset()
            self.assertEqual(self.supplier.ecom_receipt_count, 1)
            self.assertAlmostEqual(self.supplier.ecom_fill_rate, 100.0 * 17 / 19, places=1)
        # Supplier performance: receipts grouped by supplier with their fill rate.
        groups = (
            self.env["ecom.warehouse.receipt"]
            .with_user(self.user)
            .read_group([("date_done", "!=", False)], ["fill_rate"], ["partner_id"])
        )
        self.assertAlmostEqual(groups[0]["fill_rate"], 100.0 * 17 / 19, places=1)

    def test_lot_tracked_product_needs_its_lot(self):
        self.lamp.tracking = "lot"
        po = self._purchase([(self.lamp, 2)])
        picking = po.picking_ids.with_user(self.user)
        scan = picking.ecom_wh_receive_scan("LOT-A1", pending_product_id=self.lamp.id)
        self.assertEqual(scan, {"type": "lot", "lot_name": "LOT-A1"})
        with self.assertRaises(UserError):
            picking.ecom_wh_receive_put(self.lamp.id, 2, "LOC-T-1-1")
        picking.ecom_wh_receive_put(self.lamp.id, 2, "LOC-T-1-1", lot_name="LOT-A1")
        picking.ecom_wh_receive_validate()
        quant = self.env["stock.quant"].search(
            [("product_id", "=", self.lamp.id), ("location_id", "=", self.bin["T-1-1"].id)]
        )
        self.assertEqual(quant.lot_id.name, "LOT-A1")
        self.assertEqual(quant.quantity, 2)

    def test_open_screen_from_the_transfer(self):
        po = self._purchase([(self.tent, 1)])
        action = po.picking_ids.with_user(self.user).action_ecom_open_screen()
        self.assertEqual(action["tag"], "ecom_warehouse.receive")
        self.assertEqual(action["params"], {"picking_id": po.picking_ids.id})

    def test_received_into_a_package(self):
        package = self.env["stock.quant.package"].create({"name": "PACK-IN-1"})
        po = self._purchase([(self.tent, 3)])
        picking = po.picking_ids.with_user(self.user)
        scan = picking.ecom_wh_receive_scan("PACK-IN-1", pending_product_id=self.tent.id)
        self.assertEqual(scan["type"], "package")
        picking.ecom_wh_receive_put(self.tent.id, 3, "LOC-T-2-1", package_id=scan["id"])
        picking.ecom_wh_receive_validate()
        self.assertEqual(package.quant_ids.quantity, 3)
        self.assertEqual(package.location_id, self.bin["T-2-1"])
        again = picking.browse(self._purchase([(self.tent, 1)]).picking_ids.id)
        self.assertEqual(again.ecom_wh_receive_scan("PACK-IN-1")["type"], "error")

    def test_nothing_received_is_refused(self):
        po = self._purchase([(self.tent, 1)])
        with self.assertRaises(UserError):
            po.picking_ids.with_user(self.user).ecom_wh_receive_validate()

    def test_receipt_found_by_purchase_order(self):
        po = self._purchase([(self.tent, 1)])
        found = self.env["stock.picking"].with_user(self.user).ecom_wh_receive_find(po.name)
        self.assertEqual(found["state"]["id"], po.picking_ids.id)
        self.assertEqual(
            self.env["stock.picking"].with_user(self.user).ecom_wh_receive_find("PO?")["type"],
            "error",
        )
