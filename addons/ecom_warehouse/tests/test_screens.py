# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The four barcode screens driven by browser tours, logged in as a warehouse operator; the
resulting stock is then checked here."""

from contextlib import nullcontext

from odoo.tests import HttpCase, tagged

from .common import WarehouseCase, sms_check_as_in_production


@tagged("post_install", "-at_install")
class TestScreens(HttpCase, WarehouseCase):
    def _tour(self, action, tour, login="wh_user"):
        self.start_tour("/odoo/action-ecom_warehouse.%s" % action, tour, login=login, timeout=120)

    def test_receive_screen(self):
        po = self.env["purchase.order"].create(
            {
                "name": "PO-TOUR-1",
                "partner_id": self.supplier.id,
                "order_line": [
                    (0, 0, {"product_id": self.tent.id, "product_qty": 3, "price_unit": 5.0}),
                    (0, 0, {"product_id": self.stove.id, "product_qty": 2, "price_unit": 5.0}),
                ],
            }
        )
        po.button_confirm()
        picking = po.picking_ids
        self._tour("ecom_warehouse_receive_action", "ecom_warehouse_receive_tour")
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.qty_in(self.tent, self.bin["T-2-1"]), 4)
        self.assertEqual(self.qty_in(self.stove, self.bin["T-10-1"]), 1)
        self.assertEqual(picking.backorder_ids.move_ids.product_uom_qty, 1)
        report = picking.ecom_receipt_report_id
        self.assertEqual(sorted(report.line_ids.mapped("status")), ["over", "short", "unexpected"])
        self.assertEqual(report.user_id, self.user)

    def test_pick_screen(self):
        for product in (self.tent, self.lamp, self.mug):
            self._stock(product, self.home[product], 5)
        orders = (
            self._delivery([(self.tent, 1), (self.mug, 1)], "SO-T1")
            | self._delivery([(self.tent, 2)], "SO-T2")
            | self._delivery([(self.lamp, 1)], "SO-T3")
        )
        batch = self.env["stock.picking.batch"].create(
            {"name": "BATCH-TOUR-1", "picking_ids": [(6, 0, orders.ids)]}
        )
        self._tour("ecom_warehouse_pick_action", "ecom_warehouse_pick_tour")
        moves = orders.move_ids
        by_product = {p: moves.filtered(lambda m, p=p: m.product_id == p) for p in moves.product_id}
        self.assertEqual(sum(by_product[self.tent].mapped("quantity")), 3)
        self.assertTrue(all(by_product[self.tent].mapped("picked")))
        self.assertEqual(by_product[self.mug].quantity, 1)
        self.assertEqual(by_product[self.lamp].ecom_short_qty, 1)
        self.assertEqual(by_product[self.lamp].quantity, 0)
        self.assertEqual(self.bin["T-1-1"].ecom_count_requested, "discrepancy")
        self.assertEqual(batch.state, "in_progress")

    def test_pack_screen(self):
        self._stock(self.tent, self.home[self.tent], 5)
        self._stock(self.mug, self.home[self.mug], 5)
        box = self.env["stock.package.type"].create({"name": "Tour box"})
        picking = self._delivery([(self.tent, 2), (self.mug, 1)], "SO-PACK-1")
        self._tour("ecom_warehouse_pack_action", "ecom_warehouse_pack_tour")
        self.assertEqual(picking.state, "done")
        package = picking.move_line_ids.result_package_id
        self.assertEqual(len(package), 1)
        self.assertEqual(package.package_type_id, box)
        self.assertEqual(self.qty_in(self.tent, self.home[self.tent]), 3)
        self.assertEqual(self.qty_in(self.mug, self.home[self.mug]), 4)

    def test_totes_and_no_sms_dialog(self):
        """The operator validates a delivery of a printed batch on the pack screen: no SMS
        question (stock_sms checked as outside tests); the pick screen then shows the other
        deliveries in the totes printed on the pick list."""
        batch, orders = self._tote_batch()
        printed = self._print_totes(batch)
        self.assertEqual(printed, {order.name: index for index, order in enumerate(orders, 1)})
        with_sms = "has_received_warning_stock_sms" in self.env["res.company"]._fields
        with sms_check_as_in_production() if with_sms else nullcontext():
            self._tour("ecom_warehouse_pack_action", "ecom_warehouse_tote_pack_tour")
        self.assertEqual(orders[0].state, "done")
        self._tour("ecom_warehouse_pick_action", "ecom_warehouse_tote_pick_tour")
        screen = self._screen_totes(batch.with_user(self.user).ecom_wh_pick_state())
        self.assertEqual(
            screen, {name: tote for name, tote in printed.items() if name != orders[0].name}
        )

    def test_count_screen(self):
        bin_ = self.bin["T-1-1"]
        self._stock(self.lamp, bin_, 5)
        self._stock(self.mug, bin_, 2)
        self._tour("ecom_warehouse_count_screen_action", "ecom_warehouse_count_tour")
        count = self.env["ecom.warehouse.count"].search([("location_id", "=", bin_.id)])
        self.assertEqual(count.state, "review")
        self.assertEqual(count.user_id, self.user)
        lamp = count.line_ids.filtered(lambda line: line.product_id == self.lamp)
        self.assertEqual((lamp.counted_qty, lamp.difference_qty, lamp.state), (3, -2, "pending"))
        self.assertEqual(lamp.difference_value, -60.0)
        self.assertEqual(lamp.quant_id.inventory_quantity, 3)
        self.assertEqual(self.qty_in(self.mug, bin_), 2)
        count.with_user(self.manager).action_accept()
        self.assertEqual(self.qty_in(self.lamp, bin_), 3)
