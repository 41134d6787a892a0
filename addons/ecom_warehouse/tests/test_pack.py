# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WarehouseCase


@tagged("post_install", "-at_install")
class TestPack(WarehouseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._stock(cls.tent, cls.home[cls.tent], 10)
        cls._stock(cls.mug, cls.home[cls.mug], 10)
        cls.box = cls.env["stock.package.type"].create({"name": "Small box"})
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Test courier",
                "delivery_type": "fixed",
                "fixed_price": 4.5,
                "product_id": cls.env["product.product"]
                .create({"name": "Courier", "type": "service"})
                .id,
            }
        )

    def test_pack_two_parcels_and_validate(self):
        picking = self._delivery([(self.tent, 2), (self.mug, 1)], origin="SO-PACK-9")
        picking.carrier_id = self.carrier
        Picking = self.env["stock.picking"].with_user(self.user)
        found = Picking.ecom_wh_pack_find("SO-PACK-9")
        self.assertEqual(found["state"]["id"], picking.id)
        self.assertEqual(found["state"]["carrier"], "Test courier")
        picking = picking.with_user(self.user)
        self.assertEqual(picking.ecom_wh_pack_scan(self.rope.barcode, {})["type"], "error")
        tent = str(self.tent.id)
        self.assertEqual(picking.ecom_wh_pack_scan(self.tent.barcode, {})["type"], "product")
        self.assertEqual(
            picking.ecom_wh_pack_scan(self.tent.barcode, {tent: 2})["type"],
            "error",
            "a third tent is refused",
        )
        state = picking.ecom_wh_pack_parcel({tent: 1}, self.box.id)
        self.assertEqual(len(state["parcels"]), 1)
        state = picking.ecom_wh_pack_parcel({tent: 1, str(self.mug.id): 1}, self.box.id)
        self.assertEqual(len(state["parcels"]), 2)
        with self.assertRaises(UserError):
            picking.ecom_wh_pack_parcel({tent: 1}, self.box.id)
        result = picking.ecom_wh_pack_validate()
        self.assertEqual(picking.state, "done")
        packages = picking.move_line_ids.result_package_id
        self.assertEqual(len(packages), 2)
        self.assertEqual(packages.package_type_id, self.box)
        self.assertEqual(picking.carrier_price, 4.5, "the carrier's send_shipping ran")
        self.assertEqual(
            result["documents"][-1]["url"], "/report/pdf/stock.report_deliveryslip/%s" % picking.id
        )
        self.assertEqual(self.qty_in(self.tent, self.home[self.tent]), 8)

    def test_carrier_label_is_offered(self):
        """A carrier connector attaches its label in send_shipping (as Odoo's connectors do);
        the pack screen offers it with the delivery slip."""

        def send_shipping(carrier, pickings):
            for picking in pickings:
                picking.message_post(
                    body="Label", attachments=[("Label-%s.pdf" % picking.id, b"%PDF-1.4 label")]
                )
            return [{"exact_price": 6.0, "tracking_number": "TRK-1"} for _p in pickings]

        picking = self._delivery([(self.mug, 1)], origin="SO-LABEL")
        picking.carrier_id = self.carrier
        Carrier = type(self.env["delivery.carrier"])
        with patch.object(Carrier, "fixed_send_shipping", send_shipping):
            result = picking.with_user(self.user).ecom_wh_pack_validate()
        self.assertEqual(result["tracking"], "TRK-1")
        names = [doc["name"] for doc in result["documents"]]
        self.assertEqual(names, ["Label-%s.pdf" % picking.id, "Delivery slip"])
        self.assertTrue(result["documents"][0]["url"].startswith("/web/content/"))

    def test_unknown_order(self):
        res = self.env["stock.picking"].with_user(self.user).ecom_wh_pack_find("SO-NONE")
        self.assertEqual(res["type"], "error")
