# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A small warehouse for the tests: bins named aisle-rack-shelf with barcodes, products with
EAN barcodes and a putaway rule to their home bin, a supplier, and the two warehouse users."""

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


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
