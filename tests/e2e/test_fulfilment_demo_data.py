"""Demo data of ecom_fulfilment (tools/demo_data_fulfilment.py) on a small generated retailer:
carriers with labels and their rules, and the waiting channel orders print."""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _load(name):
    spec = importlib.util.spec_from_file_location("ecom_%s" % name, TOOLS / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_data = _load("demo_data")
demo_data_fulfilment = _load("demo_data_fulfilment")


@tagged("post_install", "-at_install")
class TestFulfilmentDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generator = demo_data.DemoGenerator(cls.env, days=14, scale=0.1, today=date(2026, 3, 2))
        cls.generator.run()
        cls.carriers = demo_data_fulfilment.generate(cls.generator)

    def test_carriers_and_rules(self):
        carriers = self.carriers
        self.assertEqual(carriers["tracked24"].delivery_type, "ecom_selfprint")
        self.assertEqual(carriers["tracked48"].delivery_type, "ecom_selfprint")
        cnd = carriers["clickanddrop"]
        self.assertEqual(cnd.delivery_type, "clickanddrop")
        self.assertEqual(cnd.cnd_api_url, "http://127.0.0.1:8079/clickanddrop")
        self.assertEqual(cnd.sudo().cnd_api_key, demo_data_fulfilment.EMULATOR_KEY)
        Rule = self.env["ecom.shipping.rule"]
        amazon = self.env["ecom.channel"].search([("channel_type", "=", "amazon")], limit=1)
        ebay = self.env["ecom.channel"].search([("channel_type", "=", "ebay")], limit=1)
        buyer = self.env["res.partner"].create(
            {"name": "Demo buyer", "country_id": self.env.ref("base.uk").id}
        )
        for channel, service, carrier in (
            (amazon, "Standard", carriers["tracked48"]),
            (ebay, "Express", carriers["tracked24"]),
        ):
            order = self.env["sale.order"].new(
                {
                    "partner_id": buyer.id,
                    "ecom_channel_id": channel.id,
                    "ecom_service_level": service,
                    "company_id": channel.company_id.id,
                }
            )
            self.assertEqual(Rule._select_for_order(order).carrier_id, carrier)
        # a second run changes nothing
        again = demo_data_fulfilment.generate(self.generator)
        self.assertEqual(again["tracked48"], carriers["tracked48"])

    def test_waiting_orders_print(self):
        pickings = self.env["stock.picking"].search(
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "not in", ("draft", "done", "cancel")),
                ("sale_id.ecom_channel_id", "!=", False),
            ],
            limit=5,
        )
        self.assertTrue(pickings, "the demo has channel orders waiting to ship")
        # the emulator does not run under the tests: the self-printed service labels them
        pickings.carrier_id = self.carriers["tracked48"]
        run = self.env["ecom.label.batch"]._create_for_pickings(
            pickings, include_packing_slips=False
        )
        run.action_print()
        self.assertEqual(run.done_count, len(pickings), run.line_ids.mapped("message"))
        self.assertTrue(all(p.carrier_tracking_ref.startswith("NW48") for p in pickings))
