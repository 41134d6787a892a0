# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import EcomChannelsCase


@tagged("post_install", "-at_install")
class TestEcomChannel(EcomChannelsCase):
    def test_channel_defaults(self):
        self.assertEqual(self.channel.company_id, self.company)
        self.assertEqual(self.channel.warehouse_id, self.warehouse)
        self.assertTrue(self.channel.active)

    def test_secrets_visible_to_managers_only(self):
        self.assertEqual(self.channel.with_user(self.manager).api_secret, "secret-abcdef")
        for user in (self.backoffice, self.warehouse_user, self.accountant):
            channel = self.channel.with_user(user)
            self.assertEqual(channel.name, "Test Shopify")
            for field in ("api_key", "api_secret", "access_token"):
                with self.assertRaises(AccessError, msg="%s read %s" % (user.login, field)):
                    channel.invalidate_recordset()
                    channel.read([field])

    def test_only_managers_configure_channels(self):
        with self.assertRaises(AccessError):
            self.channel.with_user(self.backoffice).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["ecom.channel"].with_user(self.warehouse_user).create(
                {"name": "Mine", "channel_type": "ebay"}
            )

    def test_listing_defaults_from_product(self):
        listing = (
            self.env["ecom.channel.listing"]
            .with_user(self.backoffice)
            .create({"channel_id": self.channel.id, "product_id": self.product.id})
        )
        self.assertEqual(listing.state, "draft")
        self.assertEqual(listing.name, "Trail Tent 2P")
        self.assertEqual(listing.price, 199.0)
        self.assertEqual(listing.default_code, "TENT-2P")
        self.assertEqual(self.channel.listing_count, 1)
        self.assertEqual(listing.display_name, "[Test Shopify] Trail Tent 2P")

    def test_accountant_reads_listings_but_cannot_change_them(self):
        listing = self.env["ecom.channel.listing"].create(
            {"channel_id": self.channel.id, "product_id": self.product.id}
        )
        as_accountant = listing.with_user(self.accountant)
        self.assertEqual(as_accountant.name, listing.name)
        with self.assertRaises(AccessError):
            as_accountant.write({"price": 1.0})
        with self.assertRaises(AccessError):
            as_accountant.unlink()

    @mute_logger("odoo.sql_db")
    def test_listing_unique_per_channel_and_product(self):
        Listing = self.env["ecom.channel.listing"]
        Listing.create({"channel_id": self.channel.id, "product_id": self.product.id})
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            Listing.create({"channel_id": self.channel.id, "product_id": self.product.id})

    @mute_logger("odoo.sql_db")
    def test_listing_unique_external_ref_per_channel(self):
        Listing = self.env["ecom.channel.listing"]
        other = self.env["product.product"].create(
            {"name": "Trail Tent 3P", "default_code": "TENT-3P"}
        )
        Listing.create(
            {"channel_id": self.channel.id, "product_id": self.product.id, "external_ref": "42"}
        )
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            Listing.create(
                {"channel_id": self.channel.id, "product_id": other.id, "external_ref": "42"}
            )
        # The same reference on another channel is another item.
        ebay = self.channel.copy({"name": "Test eBay", "channel_type": "ebay"})
        Listing.create({"channel_id": ebay.id, "product_id": other.id, "external_ref": "42"})

    def test_sync_log_never_stores_secrets(self):
        log = self.channel.with_user(self.backoffice)._log_sync(
            "publish",
            "error",
            "401 for token shpat_tok_987654321",
            payload="POST /graphql\nX-Shopify-Access-Token: shpat_tok_987654321\n"
            '{"consumer_secret": "whatever-it-is", "title": "Tent"}',
        )
        self.assertEqual(log.env.user, self.backoffice, "returned in the caller's environment")
        for text in (log.message, log.payload):
            self.assertNotIn("shpat_tok_987654321", text)
        self.assertNotIn("whatever-it-is", log.payload)
        self.assertIn('"title": "Tent"', log.payload)
        self.assertEqual(self.channel.sync_error_count, 1)

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Retail Ltd"})
        outsider = new_test_user(
            self.env,
            "ecom_other_manager",
            groups="ecom_channels.ecom_channels_group_manager",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        visible = self.env["ecom.channel"].with_user(outsider).search([])
        self.assertNotIn(self.channel, visible)
        with self.assertRaises(AccessError):
            self.channel.with_user(outsider).read(["name"])

    @mute_logger("odoo.sql_db")
    def test_channel_order_imported_once(self):
        partner = self.env["res.partner"].create({"name": "Buyer"})
        SaleOrder = self.env["sale.order"]
        values = {
            "partner_id": partner.id,
            "ecom_channel_id": self.channel.id,
            "ecom_external_ref": "#1001",
            "ecom_service_level": "Standard",
        }
        order = SaleOrder.create(values)
        channel = self.env["ecom.channel"].browse(self.channel.id)
        self.assertEqual(channel.sale_order_count, 1)
        self.assertFalse(order.copy().ecom_external_ref, "a copy is not the channel's order")
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            SaleOrder.create(values)
