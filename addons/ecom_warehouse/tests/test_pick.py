# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WarehouseCase


@tagged("post_install", "-at_install")
class TestPick(WarehouseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for product in (cls.tent, cls.stove, cls.lamp, cls.mug):
            cls._stock(product, cls.home[product], 50)
        cls.orders = cls.env["stock.picking"]
        for index in range(20):
            lines = [(cls.tent, 1)]
            if index % 2 == 0:
                lines.append((cls.stove, 2))
            if index % 3 == 0:
                lines.append((cls.lamp, 1))
            if index % 5 == 0:
                lines.append((cls.mug, 1))
            cls.orders |= cls._delivery(lines, origin="SO-%02d" % index)
        cls.batch = cls.env["stock.picking.batch"].create(
            {"name": "BATCH-TEST", "picking_ids": [(6, 0, cls.orders.ids)]}
        )

    def test_pick_list_of_twenty_orders(self):
        bins = self.batch.with_user(self.user).ecom_pick_list()
        # Each bin once, in walking order (natural order: T-2-1 before T-10-1).
        self.assertEqual([b["location"] for b in bins], ["S-01-1", "T-1-1", "T-2-1", "T-10-1"])
        totals = {b["location"]: b["total"] for b in bins}
        self.assertEqual(totals, {"S-01-1": 4, "T-1-1": 7, "T-2-1": 20, "T-10-1": 20})
        tent = bins[2]["products"][0]
        self.assertEqual(tent["id"], self.tent.id)
        self.assertEqual(len(tent["allocations"]), 20)
        self.assertEqual([a["tote"] for a in tent["allocations"]], list(range(1, 21)))
        self.assertEqual(sum(a["qty"] for a in tent["allocations"]), 20)
        self.assertEqual(self.batch.ecom_pick_bin_count, 4)

    def test_route_sequence_wins(self):
        self.bin["T-10-1"].ecom_route_sequence = -1
        bins = self.batch.with_user(self.user).ecom_pick_list()
        self.assertEqual(bins[0]["location"], "T-10-1")

    def test_printed_pick_list(self):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "ecom_warehouse.report_pick_list", self.batch.ids
        )
        html = html.decode()
        positions = [html.index(">%s<" % name) for name in ("S-01-1", "T-1-1", "T-2-1", "T-10-1")]
        self.assertEqual(positions, sorted(positions), "bins printed in walking order")
        self.assertEqual(html.count("o_ecom_bin"), 4, "each bin printed once")
        self.assertIn("Bin total: <span>20", html)
        self.assertIn("/report/barcode/?barcode_type=Code128&amp;value=LOC-T-2-1", html)

    def test_scan_checks_and_short_pick(self):
        batch = self.batch.with_user(self.user)
        bin_ = self.bin["T-10-1"]
        self.assertEqual(batch.ecom_wh_pick_scan("LOC-T-2-1", bin_.id)["type"], "error")
        self.assertEqual(batch.ecom_wh_pick_scan("LOC-T-10-1", bin_.id)["type"], "ok")
        self.assertEqual(
            batch.ecom_wh_pick_scan(self.tent.barcode, bin_.id, self.stove.id)["type"], "error"
        )
        self.assertEqual(
            batch.ecom_wh_pick_scan(self.stove.barcode, bin_.id, self.stove.id)["type"], "ok"
        )
        with self.assertRaises(UserError):
            batch.ecom_wh_pick_confirm(bin_.id, self.stove.id, 21)
        state = batch.ecom_wh_pick_confirm(bin_.id, self.stove.id, 17)
        stove = next(b for b in state["bins"] if b["location"] == "T-10-1")["products"][0]
        self.assertEqual(stove["picked_qty"], 17)
        self.assertEqual(stove["short_qty"], 3)
        self.assertTrue(stove["done"])
        stove_moves = self.orders.move_ids.filtered(lambda m: m.product_id == self.stove)
        self.assertEqual(sum(stove_moves.mapped("ecom_short_qty")), 3)
        self.assertEqual(sum(stove_moves.mapped("quantity")), 17)
        self.assertTrue(all(m.picked for m in stove_moves if m.quantity))
        self.assertEqual(bin_.ecom_count_requested, "discrepancy")
        self.assertEqual(self.batch.state, "in_progress")
        short_order = stove_moves.filtered("ecom_short_qty").picking_id
        self.assertTrue(
            any("Short pick" in m.body for m in short_order.message_ids if m.body),
        )


@tagged("post_install", "-at_install")
class TestTotes(WarehouseCase):
    def test_printed_totes_kept_when_deliveries_leave_the_batch(self):
        batch, orders = self._tote_batch()
        printed = self._print_totes(batch)
        self.assertEqual(printed, {order.name: index for index, order in enumerate(orders, 1)})
        # the operator packs and validates the first delivery: it leaves the batch (Odoo)
        first = orders[0].with_user(self.user)
        first.ecom_wh_pack_validate()
        self.assertEqual(first.state, "done")
        self.assertFalse(first.batch_id)
        # the others keep the totes printed on the pick list, on the screen and when printed again
        kept = {name: tote for name, tote in printed.items() if name != first.name}
        self.assertEqual(self._screen_totes(batch.with_user(self.user).ecom_wh_pick_state()), kept)
        self.assertEqual(self._print_totes(batch), kept)
        # a delivery joining the batch later takes the next tote, never one in use
        late = self._delivery([(self.tent, 1)], "SO-TOTE-4")
        late.batch_id = batch
        self.assertEqual(late.ecom_tote, 4)
        # moved to another batch, a delivery takes that batch's next tote
        other = self.env["stock.picking.batch"].create(
            {"name": "BATCH-TOTE-2", "picking_ids": [(6, 0, self._delivery([(self.tent, 1)]).ids)]}
        )
        orders[2].batch_id = other
        self.assertEqual(orders[2].ecom_tote, 2)
        self.assertEqual(orders[1].ecom_tote, 2, "the batch it left is not renumbered")
