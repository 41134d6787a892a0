# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two imports of the same channel orders at the same time, in two real database transactions
(two threads, each with its own cursor, as two workers would run the job and the button): every
order exists once afterwards, and no customer is duplicated.

The records this test needs are committed (the other transactions must see them) and removed at
the end."""

import threading
import uuid
from unittest import SkipTest
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tests.common import _super_send

from odoo.addons.ecom_channels.ecom_channels_core import registry as client_registry

from ..ecom_fulfilment_core.order_jobs import to_json
from .common import ensure_rate

try:
    from tests.emulators import DEFAULT_CREDENTIALS, Emulator
except ImportError:  # pragma: no cover - e.g. Odoo's own test runner
    Emulator = DEFAULT_CREDENTIALS = None

ORDERS = 12


@tagged("post_install", "-at_install")
class TestParallelImport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if Emulator is None or "woocommerce" not in client_registry.available_types():
            raise SkipTest("the WooCommerce emulator or client is not available")
        cls.emulator = cls.enterClassContext(Emulator())
        cls.tag = uuid.uuid4().hex[:8]

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # the emulator is local: keep the clients' own (connect, read) timeouts
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def committed(self, function):
        """Run ``function(env)`` in its own transaction and commit it."""
        with self.registry.cursor() as cr:
            result = function(api.Environment(cr, SUPERUSER_ID, {}))
            cr.commit()  # pylint: disable=invalid-commit
            return result

    def setUp(self):
        super().setUp()
        self.emulator.reset("woocommerce")  # only this test's orders
        tag = self.tag
        credentials = DEFAULT_CREDENTIALS["woocommerce"]

        def create(env):
            env.ref("base.GBP").active = True
            rate = ensure_rate(env, env.ref("base.GBP"))
            channel = env["ecom.channel"].create(
                {
                    "name": "Parallel %s" % tag,
                    "channel_type": "woocommerce",
                    "api_base_url": self.emulator.url("woocommerce"),
                    "api_key": credentials["api_key"],
                    "api_secret": credentials["api_secret"],
                    "currency_id": env.ref("base.GBP").id,
                    "timeout_seconds": 5.0,
                    "retry_backoff": 0.01,
                    "retry_max_delay": 0.05,
                }
            )
            product = env["product.product"].create(
                {"name": "Parallel mug", "default_code": "PAR-%s" % tag, "weight": 0.3}
            )
            return channel.id, product.id, rate.id

        self.channel_id, self.product_id, self.rate_id = self.committed(create)
        self.addCleanup(self.committed, self.cleanup)
        app = self.emulator.apps["woocommerce"]
        self.refs = set()
        for i in range(ORDERS):
            order = app.seed_order(
                lines=[{"sku": "PAR-%s" % tag, "quantity": 1, "price": 9.5}],
                customer={"name": "Buyer %d" % i, "email": "buyer%d.%s@example.com" % (i, tag)},
                address={
                    "name": "Buyer %d" % i,
                    "street": "%d Mill Lane" % i,
                    "city": "York",
                    "zip": "YO1 7HH",
                    "country_code": "GB",
                },  # fmt: skip
                shipping=2.5,
                created_at="2024-03-01T10:00:00Z",
            )
            self.refs.add(str(order["id"]))

    def cleanup(self, env):
        orders = env["sale.order"].search([("ecom_channel_id", "=", self.channel_id)])
        orders.with_context(disable_cancel_warning=True)._action_cancel()
        pickings = orders.picking_ids
        partners = orders.partner_id | orders.partner_shipping_id
        groups = pickings.group_id
        pickings.move_ids.unlink()
        pickings.unlink()
        groups.unlink()
        orders.unlink()
        partners |= env["res.partner"].search([("email", "like", "%%.%s@example.com" % self.tag)])
        (partners.child_ids | partners).unlink()
        env["ecom.channel"].browse(self.channel_id).unlink()
        product = env["product.product"].browse(self.product_id)
        product.product_tmpl_id.unlink()
        env["res.currency.rate"].browse(self.rate_id).unlink()

    def run_imports(self, barrier=None, payloads=None):
        """Two imports at once; each thread in its own transaction, committed at its end.
        With ``payloads``: two import jobs of those orders (as two job workers run them)."""
        errors, created = [], []
        payloads = list(payloads or [None, None])

        def work():
            payload = payloads.pop()
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    channel = env["ecom.channel"].browse(self.channel_id)
                    if payload is None:
                        count = len(channel._import_orders()["created"])
                    else:
                        channel._ecom_job_import_orders(payload)
                        count = env["sale.order"].search_count(  # created by this transaction
                            [("ecom_channel_id", "=", channel.id), ("create_date", "=", cr.now())]
                        )
                    cr.commit()  # pylint: disable=invalid-commit
                    created.append(count)
            except Exception as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
                if barrier:
                    barrier.abort()

        threads = [threading.Thread(target=work) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])
        return created

    def counts(self, env):
        orders = env["sale.order"].search([("ecom_channel_id", "=", self.channel_id)])
        customers = env["res.partner"].search(
            [("email", "like", "%%.%s@example.com" % self.tag), ("parent_id", "=", False)]
        )
        return sorted(orders.mapped("ecom_external_ref")), len(customers)

    def test_two_transactions_import_each_order_once(self):
        Order = self.registry["sale.order"]
        original = Order._ecom_existing_orders
        barrier = threading.Barrier(2, timeout=60)

        waited = threading.local()

        def in_step(model, channel, refs):
            # both imports look up the existing orders before either has created one
            found = original(model, channel, refs)
            if not getattr(waited, "done", False):
                waited.done = True
                barrier.wait()
            return found

        with patch.object(Order, "_ecom_existing_orders", in_step):
            created = self.run_imports(barrier)
        # both saw no order, both tried: the database let each order in once
        self.assertEqual(sum(created), ORDERS)
        refs, customers = self.committed(self.counts)
        self.assertEqual(refs, sorted(self.refs))
        self.assertEqual(customers, ORDERS)
        # and again, both at once, without waiting for each other: nothing new
        self.assertEqual(self.run_imports(), [0, 0])
        self.assertEqual(self.committed(self.counts), (sorted(self.refs), ORDERS))

    def test_two_import_jobs_of_overlapping_orders_import_each_once(self):
        """Two import jobs holding the same orders (two overlapping reads of the channel) run
        at once in two job workers: each order is created once, the job that lost the race
        skips it without an error, and no order is listed as failing."""
        Order = self.registry["sale.order"]
        original = Order._ecom_existing_orders
        barrier = threading.Barrier(2, timeout=60)
        waited = threading.local()

        def in_step(model, channel, refs):
            found = original(model, channel, refs)
            if not getattr(waited, "done", False):
                waited.done = True
                barrier.wait()
            return found

        def read(env):
            channel = env["ecom.channel"].browse(self.channel_id)
            with channel._get_client() as client:
                return [to_json(remote) for remote in client.fetch_orders()]

        orders = self.committed(read)
        self.assertEqual(len(orders), ORDERS)
        # the second job holds the last half of the first one's orders and the others
        first, second = orders[: ORDERS * 3 // 4], orders[ORDERS // 4 :]
        with patch.object(Order, "_ecom_existing_orders", in_step):
            created = self.run_imports(barrier, payloads=[first, second])
        self.assertEqual(sum(created), ORDERS)
        self.assertEqual(self.committed(self.counts), (sorted(self.refs), ORDERS))

        def failures(env):
            return env["ecom.order.failure"].search_count([("channel_id", "=", self.channel_id)])

        self.assertEqual(self.committed(failures), 0)
