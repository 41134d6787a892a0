# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channels against the local emulator over real HTTP: import, publish, faults, access."""

import functools
from unittest import SkipTest
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import _super_send
from odoo.tools import mute_logger

from ..ecom_channels_core import registry
from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.payloads import ListingPayload
from .common import EcomChannelsCase

try:  # the repository's emulators (importable when the tests run under pytest from the root)
    from tests.emulators import DEFAULT_CREDENTIALS, Emulator
except ImportError:  # pragma: no cover - e.g. Odoo's own test runner
    Emulator = DEFAULT_CREDENTIALS = None

#: The clients' retry warnings, expected in these tests.
CLIENT_LOGGERS = (
    "odoo.addons.ecom_channels.ecom_channels_core.http",
    "odoo.addons.ecom_channels.ecom_channels_core.base",
)
#: The create call of each channel (where an injected slow answer means "done, but timed out").
CREATE_OPERATION = {
    "shopify": "ProductSet",
    "woocommerce": "POST products",
    "ebay": "AddFixedPriceItem",
    "amazon": "putListingsItem",
}


class ChannelEmulatorCase(EcomChannelsCase):
    """One emulator for the class, one channel per channel type whose client is available."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if Emulator is None:
            raise SkipTest("the channel emulator (tests/emulators) is not importable")
        cls.emulator = cls.enterClassContext(
            Emulator(options={"shopify": {"throttle_max": 100000, "restore_rate": 10000}})
        )
        cls.channel_types = [t for t in registry.available_types() if t in cls.emulator.apps]
        gbp = cls.env.ref("base.GBP")
        gbp.active = True  # the emulated eBay site is the UK's
        Channel = cls.env["ecom.channel"].with_user(cls.manager)
        cls.channels = {}
        for channel_type in cls.channel_types:
            connection = cls.emulator.connection(channel_type)  # token URL on the emulator
            cls.channels[channel_type] = Channel.create(
                {
                    "name": "Emulated %s" % channel_type,
                    "channel_type": channel_type,
                    "api_base_url": cls.emulator.url(channel_type),
                    "currency_id": gbp.id,
                    "api_key": connection["api_key"],
                    "api_secret": connection["api_secret"],
                    "access_token": connection["access_token"],
                    "refresh_token": connection["refresh_token"],
                    "token_url": connection.get("token_url", False),
                    "account_ref": connection["account_ref"],
                    # eBay's Finances host, on the emulator
                    "ebay_finances_url": cls.emulator.url("ebay")
                    if channel_type == "ebay"
                    else False,
                    # fast tests: tiny backoffs, short timeouts
                    "timeout_seconds": 2.0,
                    "retry_max_attempts": 5,
                    "retry_backoff": 0.01,
                    "retry_max_delay": 0.05,
                    "rate_limit": 500.0,
                }
            )
        cls.categ = cls.env["product.category"].create({"name": "Tents"})
        cls.products = cls.env["product.product"].create(
            [
                {
                    "name": "Camping mug %d" % i,
                    "default_code": "MUG-%03d" % i,
                    "barcode": "590000100%04d" % i,
                    "list_price": 10.0 + i,
                    "weight": 0.3,
                    "categ_id": cls.categ.id,
                }
                for i in range(50)
            ]
        )

    def setUp(self):
        super().setUp()
        self.emulator.reset()

    def each_channel(self):
        """(channel_type, channel as the back-office user) for each emulated channel type."""
        if not self.channel_types:
            self.skipTest("no channel client is available")
        return [(t, self.channels[t].with_user(self.backoffice)) for t in self.channel_types]

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # The emulator (and its redirect trap, 127.0.0.2) is local: keep the clients' own
        # (connect, read) timeouts, which Odoo's handler would raise to 10 s (and cannot compare
        # with a number).
        if (urlsplit(r.url).hostname or "").startswith("127."):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def listing_values(self, channel, products, **values):
        """Listing values complete for every channel type."""
        return [
            dict(
                {
                    "channel_id": channel.id,
                    "product_id": product.id,
                    "description": "<p>Enamel camping mug, light and tough.</p>",
                    "category_override": "20",
                    "amazon_product_type": "CUP",
                },
                **values,
            )
            for product in products
        ]

    @staticmethod
    def seed_payload(channel_type, sku, title, price, barcode=""):
        """A payload complete for ``channel_type``, to put items on the channel directly."""
        return ListingPayload(
            sku=sku,
            title=title,
            price=price,
            barcode=barcode,
            description_html="<p>%s</p>" % title,
            category_id="20",
            condition={"ebay": "1000", "amazon": "new_new"}.get(channel_type, ""),
            product_type="CUP" if channel_type == "amazon" else "",
            asin="" if barcode else "B0SEED%04d" % (sum(map(ord, sku)) % 10000),
        )

    def make_ready(self, channel, products, **values):
        listings = self.env["ecom.channel.listing"].with_user(self.backoffice)
        listings = listings.create(self.listing_values(channel, products, **values))
        listings.action_mark_ready()
        return listings

    def remote(self, channel):
        """The channel's listings by SKU, as its client reads them back."""
        with channel._get_client() as client:
            items = list(client.list_listings())
        by_sku = {}
        for item in items:
            by_sku.setdefault(item.sku, []).append(item)
        return by_sku

    def logs(self, channel, **domain):
        return self.env["ecom.sync.log"].search(
            [("channel_id", "=", channel.id)] + [(k, "=", v) for k, v in domain.items()]
        )


@tagged("post_install", "-at_install")
class TestChannelPublishing(ChannelEmulatorCase):
    def test_connection_logs_and_never_shows_secrets(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                action = channel.with_user(self.manager).action_test_connection()
                self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
                self.assertEqual(self.logs(channel, operation="test connection").status, "ok")
                # wrong credentials: a clear message, no secret anywhere
                bad = self.channels[channel_type].copy({"name": "Wrong %s" % channel_type})
                bad.write({"api_key": "wrong-key-000", "access_token": "wrong-token-000"})
                with mute_logger(*CLIENT_LOGGERS):
                    action = bad.with_user(self.manager).action_test_connection()
                self.assertEqual(action["params"]["type"], "danger")
                log = self.logs(bad, operation="test connection")
                self.assertEqual(log.status, "error")
                for text in (action["params"]["message"], log.message, log.payload or ""):
                    self.assertNotIn("wrong-token-000", text)
                    self.assertNotIn("wrong-key-000", text)

    def test_warehouse_user_cannot_test_connection(self):
        channel = next(iter(self.channels.values()), self.channel)
        with self.assertRaises(AccessError):
            channel.with_user(self.warehouse_user).action_test_connection()

    def test_import_links_by_sku_then_barcode_and_reports_unmatched(self):
        by_sku, by_barcode, listed = self.products[0], self.products[1], self.products[2]
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                with channel._get_client() as client:
                    seed = functools.partial(self.seed_payload, channel_type)
                    client.publish(seed(by_sku.default_code, "Mug A", 5))
                    client.publish(seed("OLD-SKU-1", "Mug B", 6, barcode=by_barcode.barcode))
                    ref_c = client.publish(seed(listed.default_code, "Mug C", 7))
                    client.publish(seed("UNKNOWN-9", "Stray item", 8))
                if channel_type == "woocommerce":
                    # The emulator does not store WooCommerce's global_unique_id (GTIN) yet.
                    for record in self.emulator.apps["woocommerce"].products.values():
                        if record["sku"] == "OLD-SKU-1":
                            record["global_unique_id"] = by_barcode.barcode
                Listing = self.env["ecom.channel.listing"].with_user(self.backoffice)
                existing = Listing.create({"channel_id": channel.id, "product_id": listed.id})

                action = channel.action_import_listings()

                self.assertEqual(action["params"]["type"], "warning")
                listings = Listing.search([("channel_id", "=", channel.id)])
                by_product = {lst.product_id: lst for lst in listings}
                # eBay's GetMyeBaySelling does not return the items' EAN: SKUs only there.
                by_code = channel_type != "ebay"
                expected = {by_sku, listed} | ({by_barcode} if by_code else set())
                self.assertEqual(set(by_product), expected)
                self.assertEqual(by_product[by_sku].name, "Mug A")
                if by_code:
                    self.assertEqual(by_product[by_barcode].name, "Mug B")
                self.assertEqual(by_product[listed], existing)
                self.assertEqual(existing.external_ref, ref_c)
                self.assertTrue(all(lst.external_ref for lst in listings))
                self.assertEqual(
                    set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
                )
                log = self.logs(channel, operation="import listings")
                self.assertEqual(log.status, "warning")
                self.assertIn("UNKNOWN-9", log.message)
                self.assertIn("%d unmatched" % (1 if by_code else 2), log.message)
                # Importing again changes nothing and creates nothing.
                channel.action_import_listings()
                self.assertEqual(
                    Listing.search_count([("channel_id", "=", channel.id)]), len(expected)
                )

    def test_publish_50_then_republish_changes_updates_one_item_each(self):
        for _channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                listings = self.make_ready(channel, self.products)
                action = channel.action_publish_listings()
                self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
                self.assertEqual(
                    set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
                )
                refs = listings.mapped("external_ref")
                self.assertEqual(len(set(refs)), 50)
                remote = self.remote(channel)
                self.assertEqual(len(remote), 50)
                self.assertTrue(all(len(items) == 1 for items in remote.values()))

                for listing in listings:
                    listing.write(
                        {
                            "price": listing.price + 100,
                            "description": "<p>New text for %s</p>" % listing.default_code,
                        }
                    )
                self.assertTrue(all(listings.mapped("to_sync")))
                channel.action_publish_listings()

                self.assertFalse(any(listings.mapped("to_sync")))
                self.assertEqual(listings.mapped("external_ref"), refs)
                remote = self.remote(channel)
                self.assertEqual(len(remote), 50)
                for listing in listings:
                    (item,) = remote[listing.default_code]
                    self.assertEqual(item.external_ref, listing.external_ref)
                    self.assertAlmostEqual(item.price, listing.price)
                # The full item (listing pages may leave the description out, as eBay's do).
                with channel._get_client() as client:
                    for listing in listings[:5]:
                        item = client.find_listing(listing.default_code)
                        self.assertIn(
                            "New text for %s" % listing.default_code, item.description_html
                        )
                # Nothing left to send.
                action = channel.action_publish_listings()
                self.assertEqual(action["params"]["type"], "info")

    def test_missing_data_blocks_ready_and_publishing(self):
        product = self.env["product.product"].create({"name": "No code", "list_price": 0.0})
        for _channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                listing = (
                    self.env["ecom.channel.listing"]
                    .with_user(self.backoffice)
                    .create({"channel_id": channel.id, "product_id": product.id, "price": 0.0})
                )
                self.assertIn("a SKU", listing.missing_requirements)
                self.assertLess(listing.completeness, 100)
                with self.assertRaises(UserError) as err:
                    listing.action_mark_ready()
                self.assertIn("a SKU (internal reference)", str(err.exception))
                self.assertEqual(listing.state, "draft")
                # Ready before the data went missing: publishing refuses it and says why.
                listing.sudo().state = "ready"
                calls = len(self.emulator.calls(channel.channel_type))
                channel.action_publish_listings()
                self.assertEqual(listing.state, "error")
                self.assertIn("a SKU", listing.last_error)
                self.assertEqual(len(self.emulator.calls(channel.channel_type)), calls)
                self.assertIn(
                    "a SKU", self.logs(channel, listing_id=listing.id, status="error").message
                )

    @mute_logger(*CLIENT_LOGGERS)
    def test_faults_are_retried_logged_and_never_duplicate(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                self.channels[channel_type].timeout_seconds = 0.5
                listings = self.make_ready(channel, self.products[:5])
                self.emulator.inject(channel_type, "429", count=2, retry_after=0)
                self.emulator.inject(channel_type, "500", count=2)
                self.emulator.inject(
                    channel_type, "slow", delay=1.0, match=CREATE_OPERATION[channel_type]
                )

                channel.action_publish_listings()

                self.assertEqual(
                    set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
                )
                remote = self.remote(channel)
                self.assertEqual(sorted(remote), sorted(listings.mapped("default_code")))
                self.assertTrue(all(len(items) == 1 for items in remote.values()))
                warnings = self.logs(channel, operation="publish", status="warning")
                text = "\n".join(warnings.mapped("message"))
                self.assertGreaterEqual(len(warnings), 5, text)
                self.assertIn("rate limit", text)
                self.assertIn("server error", text)
                self.assertIn("did not answer in time", text)
                self.assertTrue(all(warnings.mapped("listing_id")))
                self.channels[channel_type].timeout_seconds = 2.0

    @mute_logger(*CLIENT_LOGGERS)
    def test_channel_down_then_recovered(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                self.channels[channel_type].retry_max_attempts = 2
                listings = self.make_ready(channel, self.products[:3])
                self.emulator.inject(channel_type, "500", count=1000)
                action = channel.action_publish_listings()
                self.assertEqual(action["params"]["type"], "warning")
                self.assertEqual(set(listings.mapped("state")), {"error"})
                self.assertTrue(all("server error" in e for e in listings.mapped("last_error")))
                self.assertEqual(len(self.logs(channel, operation="publish", status="error")), 3)

                self.emulator.clear_faults(channel_type)
                channel.action_publish_listings()
                self.assertEqual(
                    set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
                )
                self.assertFalse(any(listings.mapped("last_error")))
                remote = self.remote(channel)
                self.assertEqual(len(remote), 3)
                self.assertTrue(all(len(items) == 1 for items in remote.values()))
                self.channels[channel_type].retry_max_attempts = 5

    def test_one_failing_listing_does_not_stop_the_others(self):
        for channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                listings = self.make_ready(channel, self.products[:3])
                client_class = registry.client_class(channel_type)
                original = client_class.publish
                failing_sku = listings[1].default_code

                def publish(client, payload, original=original, failing_sku=failing_sku):
                    if payload.sku == failing_sku:
                        raise ChannelError("The channel refused %s: bad data" % payload.sku)
                    return original(client, payload)

                with patch.object(client_class, "publish", publish):
                    action = channel.action_publish_listings()

                self.assertEqual(action["params"]["type"], "warning")
                self.assertEqual(listings[1].state, "error")
                self.assertIn("refused", listings[1].last_error)
                self.assertEqual((listings - listings[1]).mapped("state"), ["published"] * 2)
                self.assertEqual(len(self.remote(channel)), 2)
                log = self.logs(channel, operation="publish", status="error")
                self.assertEqual(log.listing_id, listings[1])
                # Fixed on the channel's side: the next run publishes it.
                channel.action_publish_listings()
                self.assertEqual(listings[1].state, "published")
                self.assertEqual(len(self.remote(channel)), 3)

    def test_unknown_client_is_a_clear_error(self):
        with self.assertRaisesRegex(registry.ClientNotAvailable, "not available"):
            with patch.dict(registry.CLIENTS, {"ebay": "no_such_module:EbayClient"}):
                registry.client_class("ebay")
        with self.assertRaisesRegex(registry.ClientNotAvailable, "No API client"):
            registry.client_class("myspace")
        channel = self.channel.with_user(self.backoffice)
        listing = self.make_ready(channel, self.products[:1], price=12.0)
        with patch.dict(registry.CLIENTS, {"shopify": "no_such_module:ShopifyClient"}):
            channel.action_publish_listings()
        self.assertEqual(listing.state, "error")
        self.assertIn("not available", listing.last_error)

    def test_end_listings(self):
        for _channel_type, channel in self.each_channel():
            with self.subTest(channel=channel.channel_type):
                self.emulator.reset()
                listings = self.make_ready(channel, self.products[:2])
                channel.action_publish_listings()
                listings.action_end()
                self.assertEqual(set(listings.mapped("state")), {"ended"})
                # The channel no longer offers them: gone, or archived / private.
                with channel.sudo()._get_client() as client:
                    for listing in listings:
                        remote = client.find_listing(listing.default_code)
                        self.assertTrue(
                            remote is None or remote.status.lower() in ("archived", "private"),
                            "%s still offered: %s" % (listing.default_code, remote),
                        )
                # Ended listings are not published again.
                self.assertEqual(channel.action_publish_listings()["params"]["type"], "info")

    def test_accountant_and_warehouse_cannot_publish(self):
        channel = next(iter(self.channels.values()), self.channel)
        listing = self.make_ready(channel.with_user(self.backoffice), self.products[:1])
        for user in (self.accountant, self.warehouse_user):
            with self.assertRaises(AccessError):
                listing.with_user(user).action_publish()
            with self.assertRaises(AccessError):
                channel.with_user(user).action_publish_listings()
            with self.assertRaises(AccessError):
                listing.with_user(user).action_mark_ready()
        self.assertEqual(listing.state, "ready")
        if self.channel_types:
            self.assertFalse(self.emulator.calls(channel.channel_type))

    def test_cron_publishes_what_waits_on_every_channel(self):
        listings = self.env["ecom.channel.listing"]
        for _channel_type, channel in self.each_channel():
            listings |= self.make_ready(channel, self.products[:2])
        self.env["ecom.channel"]._cron_publish_listings(limit=100)
        self.assertEqual(set(listings.mapped("state")), {"ready"}, "the cron only enqueues")
        performed = self.run_jobs(("_job_publish",))
        self.assertEqual(len(performed), len(self.channel_types), "one job per channel")
        self.assertEqual(
            set(listings.mapped("state")), {"published"}, listings.mapped("last_error")
        )
        for _channel_type, channel in self.each_channel():
            self.assertEqual(len(self.remote(channel)), 2)
