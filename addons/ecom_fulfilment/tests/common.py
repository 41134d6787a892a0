# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channel orders imported from the emulator, carriers (Click & Drop on the emulator and
self-printed), shipping rules and the users who print and dispatch."""

from datetime import datetime

from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.tests.test_channel_publishing import (
    DEFAULT_CREDENTIALS,
    ChannelEmulatorCase,
)
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

START = datetime(2024, 2, 28, 12, 0, 0)
ORDER_DATE = "2024-03-01T10:00:00Z"
ADDRESS = {
    "name": "Jane Doe",
    "street": "1 High Street",
    "city": "Bristol",
    "zip": "BS1 4DJ",
    "country_code": "GB",
    "phone": "+44 117 496 0000",
}
CUSTOMER = {"name": "Jane Doe", "email": "jane.doe@example.com"}


def ensure_rate(env, currency, company=None):
    """Give ``currency`` an exchange rate for ``company`` when it has none: channel orders are
    booked only in a currency with a rate (never at an implicit 1:1)."""
    company = company or env.company
    Rate = env["res.currency.rate"]
    if currency == company.currency_id or Rate.search_count(
        [("currency_id", "=", currency.id), ("company_id", "in", [False, company.root_id.id])]
    ):
        return Rate
    return Rate.create(
        {
            "currency_id": currency.id,
            "company_id": company.root_id.id,
            "name": "2024-01-01",
            "rate": 1.0,
        }
    )


class FulfilmentCase(ChannelEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        ensure_rate(env, env.ref("base.GBP"))
        cls.importer = new_test_user(
            env,
            "ecom_ful_importer",
            groups="ecom_channels.ecom_channels_group_user,ecom_fulfilment.ecom_fulfilment_group_user,"
            "base.group_partner_manager",
        )
        cls.operator = new_test_user(
            env, "ecom_ful_operator", groups="ecom_fulfilment.ecom_fulfilment_group_user"
        )
        cls.warehouse.partner_id.write(
            {
                "street": "1 Dock Road",
                "city": "Leeds",
                "zip": "LS1 4AP",
                "country_id": env.ref("base.uk").id,
            }
        )
        cls.warehouse.company_id.email = "shop@northwind.example.com"
        # wkhtmltopdf must not call the test server for the report assets (it answers with
        # an error there): an address nothing listens on gives plain PDFs without styles
        env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        cls.mug, cls.bottle = cls.products[:2]
        cls.products[:2].write({"is_storable": True, "weight": 0.4})
        stock = cls.warehouse.lot_stock_id
        for product in (cls.mug, cls.bottle):
            env["stock.quant"]._update_available_quantity(product, stock, 1000)
        ship_product = env["product.product"].create(
            {"name": "Postage", "type": "service", "list_price": 0.0}
        )
        Carrier = env["delivery.carrier"]
        cls.tracked24 = Carrier.create(
            {
                "name": "Tracked 24",
                "product_id": ship_product.id,
                "delivery_type": "ecom_selfprint",
                "ecom_carrier_label": "Royal Mail",
                "ecom_tracking_prefix": "TA",
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )
        cls.tracked48 = Carrier.create(
            {
                "name": "Tracked 48",
                "product_id": ship_product.id,
                "delivery_type": "ecom_selfprint",
                "ecom_carrier_label": "Royal Mail",
                "ecom_tracking_prefix": "TB",
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )
        cls.clickanddrop = Carrier.create(
            {
                "name": "Royal Mail Click & Drop Tracked 48",
                "product_id": ship_product.id,
                "delivery_type": "clickanddrop",
                "ecom_carrier_label": "Royal Mail",
                "ecom_service_name": "Tracked 48",
                "cnd_api_url": cls.emulator.url("clickanddrop"),
                "cnd_api_key": DEFAULT_CREDENTIALS["clickanddrop"]["api_key"],
                "cnd_service_code": "TPS48",
                "cnd_timeout": 5.0,
            }
        )
        Rule = env["ecom.shipping.rule"]
        cls.channel_types_present = [t for t in cls.channel_types]
        rules = []
        if "amazon" in cls.channels:
            rules.append(
                {
                    "channel_id": cls.channels["amazon"].id,
                    "service_level": "Standard",
                    "carrier_id": cls.tracked48.id,
                }  # fmt: skip
            )
        if "ebay" in cls.channels:
            rules.append(
                {
                    "channel_id": cls.channels["ebay"].id,
                    "service_level": "Express",
                    "carrier_id": cls.tracked24.id,
                }  # fmt: skip
            )
        if "shopify" in cls.channels:
            rules.append(
                {"channel_id": cls.channels["shopify"].id, "carrier_id": cls.clickanddrop.id}
            )
        rules.append({"is_default": True, "carrier_id": cls.tracked48.id, "sequence": 99})
        Rule.create(rules)

    def setUp(self):
        super().setUp()
        # no real waiting between the carrier's retries in tests
        self.env = self.env(context=dict(self.env.context, ecom_carrier_backoff=0.0))

    def seed(self, channel_type, address=None, customer=None, **kwargs):
        values = {
            "lines": [
                {"sku": self.mug.default_code, "quantity": 2, "price": 12.5},
                {"sku": self.bottle.default_code, "quantity": 1, "price": 8.0},
            ],
            "customer": CUSTOMER if customer is None else customer,
            "address": address or ADDRESS,
            "shipping": 3.95,
            "created_at": ORDER_DATE,
        }
        values.update(kwargs)
        return str(self.emulator.apps[channel_type].seed_order(**values)["id"])

    def import_orders(self, channel_type):
        channel = self.channels[channel_type]
        channel.sudo().orders_imported_until = START
        result = channel.with_user(self.importer)._import_orders()
        self.assertFalse(result.get("error"), result)
        return result["created"]

    def channel_tracking(self, channel_type, ref):
        """The tracking numbers the emulated channel holds for its order ``ref``."""
        app = self.emulator.apps[channel_type]
        with app.lock:
            if channel_type == "shopify":
                order = app.orders[ref]
                return [
                    info["number"]
                    for fid in order["fulfillment_ids"]
                    for info in app.fulfillments[fid]["trackingInfo"]
                ]
            if channel_type == "woocommerce":
                return [n["note"] for n in app.notes.get(int(ref), [])]
            if channel_type == "ebay":
                transactions = app.orders[ref]["TransactionArray"]["Transaction"]
                if isinstance(transactions, dict):
                    transactions = [transactions]
                return [
                    d["ShipmentTrackingNumber"]
                    for tr in transactions
                    for d in (tr.get("ShippingDetails") or {}).get("ShipmentTrackingDetails") or []
                ]
            return [
                s["packageDetail"]["trackingNumber"] for s in app.shipments if s["orderId"] == ref
            ]

    def print_labels(self, pickings, **options):
        """Print through the wizard as the warehouse operator; return the print run."""
        wizard = (
            self.env["ecom.label.print.wizard"]
            .with_user(self.operator)
            .create(dict({"picking_ids": [(6, 0, pickings.ids)]}, **options))
        )
        action = wizard.action_print()
        return self.env["ecom.label.batch"].browse(action["res_id"])

    def run_jobs(self, method_name):
        """Run the stored jobs of ``method_name`` that wait (in this transaction), as
        queue_job's runner does: each in its own savepoint; a RetryableJobError postpones the
        job (pending again, counting the attempt or not), any other error fails it with its
        message (a dead letter), else it is done. Return the jobs run."""
        records = self.env["queue.job"].search(
            [("method_name", "=", method_name), ("state", "in", ("pending", "enqueued"))],
            order="id",
        )
        for record in records:
            job = Job.load(self.env, record.uuid)
            job.set_started()
            job.store()
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    job.perform()
            except RetryableJobError as exc:
                job.postpone(result=str(exc), seconds=exc.seconds)
                job.set_pending(reset_retry=False)
            except Exception as exc:  # noqa: BLE001 - what the runner records
                job.set_failed(exc_name=type(exc).__name__, exc_message=str(exc))
            else:
                job.set_done()
            job.store()
        records.invalidate_recordset()
        return records

    def push_shipments(self):
        """Run the channel update jobs of the dispatched deliveries."""
        return self.run_jobs("_ecom_job_push_shipment")
