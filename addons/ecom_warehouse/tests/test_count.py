# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WarehouseCase


@tagged("post_install", "-at_install")
class TestCount(WarehouseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bin_ = cls.bin["T-2-1"]
        cls._stock(cls.tent, cls.bin_, 10)
        cls._stock(cls.rope, cls.bin_, 4)
        cls.Count = cls.env["ecom.warehouse.count"]

    def _count(self, user, quantities):
        Count = self.Count.with_user(user)
        res = Count.ecom_wh_count_start("LOC-T-2-1")
        count = Count.browse(res["state"]["id"])
        for product, qty in quantities.items():
            line = count.line_ids.filtered(lambda line, p=product: line.product_id == p)
            if line:
                count.ecom_wh_count_set(line.id, qty)
            else:
                for _i in range(int(qty)):
                    count.ecom_wh_count_scan(product.barcode)
        return count, res["state"]

    def test_blind_count_with_variance_applies_through_inventory_adjustment(self):
        count, state = self._count(self.user, {self.tent: 8, self.rope: 4})
        self.assertTrue(state["blind"])
        self.assertTrue(all("expected" not in line for line in state["lines"]))
        self.assertEqual({line["id"] for line in state["lines"]}, {self.tent.id, self.rope.id})
        result = count.ecom_wh_count_submit()
        self.assertEqual(result, {"name": count.name, "state": "review", "variances": 1})
        tent_line = count.line_ids.filtered(lambda line: line.product_id == self.tent)
        rope_line = count.line_ids - tent_line
        self.assertEqual(rope_line.state, "accepted", "no variance: applied at once")
        self.assertEqual(tent_line.state, "pending")
        self.assertEqual(tent_line.difference_qty, -2)
        self.assertEqual(tent_line.difference_value, -20.0)
        self.assertEqual(count.variance_value, -20.0)
        # Counted through Odoo's inventory mode, not applied yet.
        quant = tent_line.quant_id
        self.assertEqual(quant.inventory_quantity, 8)
        self.assertTrue(quant.inventory_quantity_set)
        self.assertEqual(quant.quantity, 10)
        with self.assertRaises(AccessError):
            tent_line.with_user(self.user).action_accept()
        # The manager sees expected quantities and accepts.
        manager_state = count.with_user(self.manager).ecom_wh_count_state()
        self.assertFalse(manager_state["blind"])
        count.with_user(self.manager).action_accept()
        self.assertEqual(count.state, "done")
        self.assertEqual(self.qty_in(self.tent, self.bin_), 8)
        adjustment = self.env["stock.move"].search(
            [
                ("product_id", "=", self.tent.id),
                ("is_inventory", "=", True),
                ("location_id", "=", self.bin_.id),
            ]
        )
        self.assertEqual(adjustment.quantity, 2)
        self.assertEqual(adjustment.state, "done")
        self.assertEqual(self.bin_.ecom_last_count_date, fields.Date.today())
        # The variance report lists the line with quantity and value.
        lines = self.env["ecom.warehouse.count.line"].search(
            [("count_id", "=", count.id), ("difference_qty", "!=", 0)]
        )
        self.assertEqual(lines, tent_line)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "ecom_warehouse.report_count_variance", count.ids
        )
        html = html.decode().replace("\ufeff", "")  # Odoo keeps minus signs with the digits
        self.assertIn(">-2.00<", html)
        self.assertIn(">-20.00<", html)

    def test_picked_units_are_not_counted_twice(self):
        delivery = self._delivery([(self.tent, 3)])
        delivery.move_ids.picked = True  # 3 tents in the tote, not shipped yet
        count, _state = self._count(self.user, {self.tent: 7, self.rope: 4})
        count.ecom_wh_count_submit()
        self.assertEqual(count.state, "done", "7 on the shelf + 3 in the tote: no variance")
        tent_line = count.line_ids.filtered(lambda line: line.product_id == self.tent)
        self.assertEqual(tent_line.picked_qty, 3)
        self.assertEqual(self.qty_in(self.tent, self.bin_), 10)
        delivery.button_validate()
        self.assertEqual(self.qty_in(self.tent, self.bin_), 7)

    def test_another_bin_scanned_while_counting(self):
        count, _state = self._count(self.user, {})
        res = count.ecom_wh_count_scan("LOC-T-1-1")
        self.assertEqual(res["type"], "error")
        self.assertIn("T-2-1", res["message"])
        self.assertEqual(
            self.Count.with_user(self.user).ecom_wh_count_start("NO-BIN")["type"], "error"
        )

    def test_lots_are_counted_by_lot_number(self):
        self.lamp.tracking = "lot"
        lot_bin = self.bin["T-1-1"]
        lots = self.env["stock.lot"].create(
            [{"name": name, "product_id": self.lamp.id} for name in ("L-1", "L-2")]
        )
        for lot in lots:
            self.env["stock.quant"]._update_available_quantity(self.lamp, lot_bin, 2, lot_id=lot)
        Count = self.Count.with_user(self.user)
        count = Count.browse(Count.ecom_wh_count_start("LOC-T-1-1")["state"]["id"])
        self.assertEqual(count.line_ids.lot_id, lots)
        refused = count.ecom_wh_count_scan(self.lamp.barcode)
        self.assertEqual(refused["type"], "error")
        self.assertIn("lot", refused["message"])
        for barcode in ("L-1", "L-1", "L-2"):
            count.ecom_wh_count_scan(barcode)
        count.ecom_wh_count_submit()
        l2 = count.line_ids.filtered(lambda line: line.lot_id.name == "L-2")
        self.assertEqual((l2.counted_qty, l2.difference_qty), (1, -1))
        count.with_user(self.manager).action_accept()
        quants = self.env["stock.quant"].search(
            [("product_id", "=", self.lamp.id), ("location_id", "=", lot_bin.id)]
        )
        self.assertEqual(
            {q.lot_id.name: q.quantity for q in quants if q.quantity}, {"L-1": 2, "L-2": 1}
        )

    def test_rejected_count_is_recounted(self):
        count, _state = self._count(self.user, {self.tent: 5, self.rope: 4})
        count.ecom_wh_count_submit()
        count.with_user(self.manager).action_reject()
        self.assertEqual(count.state, "done")
        tent_line = count.line_ids.filtered(lambda line: line.product_id == self.tent)
        self.assertEqual(tent_line.state, "rejected")
        self.assertFalse(tent_line.quant_id.inventory_quantity_set)
        self.assertEqual(self.qty_in(self.tent, self.bin_), 10)
        self.assertEqual(self.bin_.ecom_count_requested, "discrepancy")
        self.assertEqual(self.bin_.ecom_count_due_date, fields.Date.today())

    def test_unexpected_product_found_in_bin(self):
        count, _state = self._count(self.user, {self.tent: 10, self.rope: 4, self.lamp: 2})
        count.ecom_wh_count_submit()
        lamp_line = count.line_ids.filtered(lambda line: line.product_id == self.lamp)
        self.assertEqual(lamp_line.difference_qty, 2)
        count.with_user(self.manager).action_accept()
        self.assertEqual(self.qty_in(self.lamp, self.bin_), 2)

    def test_abc_classes_and_due_dates(self):
        Location = self.env["stock.location"]
        customer = self._delivery([(self.tent, 10)])
        customer.button_validate()  # the bin still holds 10 - 10 = 0 tents and 4 ropes
        self._stock(self.stove, self.home[self.stove], 5)
        self._delivery([(self.stove, 1)]).button_validate()
        self._stock(self.tent, self.bin_, 5)
        Location._cron_ecom_count_schedule()
        self.assertEqual(self.tent.ecom_abc_class, "a")  # 10 x 20 = 200
        self.assertEqual(self.stove.ecom_abc_class, "b")  # 1 x 40 = 40: 200/240 before it
        self.assertEqual(self.lamp.ecom_abc_class, "c")
        self.assertEqual(self.bin_.ecom_abc_class, "a")
        self.assertEqual(self.bin_.ecom_count_reason, "never")
        due = Location.with_user(self.user).ecom_wh_count_due_list(limit=100)
        self.assertIn(self.bin_.id, [d["id"] for d in due])
        count, _state = self._count(self.user, {self.tent: 5, self.rope: 4})
        count.ecom_wh_count_submit()
        today = fields.Date.today()
        self.assertEqual(self.bin_.ecom_count_due_date, today + timedelta(days=30))
        self.assertEqual(self.bin_.ecom_count_reason, "schedule")
        self.company.ecom_count_a_days = 7
        self.assertEqual(self.bin_.ecom_count_due_date, today + timedelta(days=7))

    def test_emptied_bin_is_due(self):
        lamp_bin = self.home[self.lamp]
        self._stock(self.lamp, lamp_bin, 2)
        lamp_bin.sudo().write({"ecom_last_count_date": fields.Date.today()})
        self.assertNotEqual(lamp_bin.ecom_count_reason, "zero")
        self._delivery([(self.lamp, 2)]).with_user(self.user).button_validate()
        self.assertEqual(lamp_bin.ecom_count_requested, "zero")
        self.assertEqual(lamp_bin.ecom_count_due_date, fields.Date.today())
