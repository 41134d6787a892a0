# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A small warehouse for the tests: bins named aisle-rack-shelf with barcodes, products with
EAN barcodes and a putaway rule to their home bin, a supplier, and the two warehouse users."""

import re
import threading
from contextlib import contextmanager
from unittest.mock import patch

from odoo.modules.registry import Registry
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from odoo.addons.stock_sms.models.stock_picking import Picking as StockSmsPicking

PRINTED_TOTE = re.compile(
    r"Tote\s*<strong>(\d+)</strong>:\s*<span>[^<]*</span>\s*×\s*<span>([^<]+)</span>"
)


def printed_totes(html):
    """{delivery name: tote} as printed on the pick list (report_pick_list)."""
    return {name: int(tote) for tote, name in PRINTED_TOTE.findall(html)}


@contextmanager
def sms_check_as_in_production():
    """stock_sms never asks under tests (it checks the thread's ``testing`` flag and the
    registry's test mode): lift those two guards while its check runs, so that a test sees
    whether an operator would get its dialog."""
    check = StockSmsPicking._check_warn_sms

    def check_outside_tests(pickings):
        with (
            patch.object(Registry, "in_test_mode", lambda registry: False),
            patch.object(threading.current_thread(), "testing", False, create=True),
        ):
            return check(pickings)

    with patch.object(StockSmsPicking, "_check_warn_sms", check_outside_tests):
        yield


class WarehouseCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.company.ecom_receipt_tolerance_pct = 5.0
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers = env.ref("stock.stock_location_customers")
        names = ["T-10-1", "T-2-1", "T-2-2", "T-1-1", "S-01-1", "T-2-10"]
        cls.bins = env["stock.location"].create(
            [
                {"name": n, "location_id": cls.stock.id, "usage": "internal", "barcode": "LOC-" + n}
                for n in names
            ]
        )
        cls.bin = {b.name: b for b in cls.bins}
        cls.supplier = env["res.partner"].create({"name": "Fellside Supplies", "is_company": True})
        cls.products = env["product.product"].create(
            [
                {
                    "name": "Test %s" % name,
                    "default_code": "SKU-%s" % name,
                    "barcode": "590000000%04d" % index,
                    "is_storable": True,
                    "standard_price": 10.0 * index,
                    "list_price": 20.0 * index,
                    "seller_ids": [(0, 0, {"partner_id": cls.supplier.id, "price": 5.0})],
                }
                for index, name in enumerate(["Tent", "Stove", "Lamp", "Mug", "Rope"], 1)
            ]
        )
        cls.tent, cls.stove, cls.lamp, cls.mug, cls.rope = cls.products
        homes = ["T-2-1", "T-10-1", "T-1-1", "S-01-1", "T-2-2"]
        env["stock.putaway.rule"].create(
            [
                {
                    "product_id": product.id,
                    "location_in_id": cls.stock.id,
                    "location_out_id": cls.bin[home].id,
                }
                for product, home in zip(cls.products, homes, strict=True)
            ]
        )
        cls.home = {p: cls.bin[h] for p, h in zip(cls.products, homes, strict=True)}
        cls.user = new_test_user(
            env,
            login="wh_user",
            password="wh_user_pass",
            name="Will Warehouse",
            groups="base.group_user,ecom_warehouse.ecom_warehouse_group_user",
        )
        cls.manager = new_test_user(
            env,
            login="wh_manager",
            password="wh_manager_pass",
            name="Mia Manager",
            groups="base.group_user,ecom_warehouse.ecom_warehouse_group_manager",
        )

    @classmethod
    def _stock(cls, product, location, qty):
        cls.env["stock.quant"]._update_available_quantity(product, location, qty)

    def qty_in(self, product, location):
        return sum(
            self.env["stock.quant"]
            .search([("product_id", "=", product.id), ("location_id", "=", location.id)])
            .mapped("quantity")
        )

    @classmethod
    def _delivery(cls, lines, origin=False):
        """A confirmed, reserved delivery of ``lines`` [(product, qty)] from the stock."""
        picking_type = cls.warehouse.out_type_id
        picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": cls.stock.id,
                "location_dest_id": cls.customers.id,
                "origin": origin,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": cls.stock.id,
                            "location_dest_id": cls.customers.id,
                        },
                    )
                    for product, qty in lines
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    @classmethod
    def _purchase(cls, lines):
        po = cls.env["purchase.order"].create(
            {
                "partner_id": cls.supplier.id,
                "order_line": [
                    (0, 0, {"product_id": p.id, "product_qty": q, "price_unit": 5.0})
                    for p, q in lines
                ],
            }
        )
        po.button_confirm()
        return po

    def _skip_without_stock_sms(self):
        if "has_received_warning_stock_sms" not in self.env["res.company"]._fields:
            self.skipTest("stock_sms is not installed: Odoo asks no SMS question")

    def _tote_batch(self):
        """BATCH-TOTE-1: SO-TOTE-1, -2 and -3, one tent each, for a customer with a phone
        number (whom stock_sms would text)."""
        self._stock(self.tent, self.home[self.tent], 10)
        customer = self.env["res.partner"].create({"name": "Tess Tote", "phone": "+44 1539 000000"})
        orders = self.env["stock.picking"]
        for index in (1, 2, 3):
            orders |= self._delivery([(self.tent, 1)], "SO-TOTE-%s" % index)
        orders.partner_id = customer
        batch = self.env["stock.picking.batch"].create(
            {"name": "BATCH-TOTE-1", "picking_ids": [(6, 0, orders.ids)]}
        )
        return batch, orders

    def _print_totes(self, batch):
        """{delivery name: tote} of the pick list printed by the operator."""
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.user)
            ._render_qweb_html("ecom_warehouse.report_pick_list", batch.ids)
        )
        return printed_totes(html.decode())

    @staticmethod
    def _screen_totes(state):
        """{delivery name: tote} on the pick screen (ecom_wh_pick_state)."""
        return {
            allocation["picking"]: allocation["tote"]
            for bin_ in state["bins"]
            for product in bin_["products"]
            for allocation in product["allocations"]
        }
