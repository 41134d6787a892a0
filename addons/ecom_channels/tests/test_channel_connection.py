# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channel connections against the emulator: token lifecycles (refresh before expiry and once
on refusal, stored apart from the business transaction, shared between workers, reconnect
needed), the Connect wizard, and every client option set on the form reaching the wire."""

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode

import xmltodict

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..ecom_channels_core.tokens import ReconnectNeeded
from .test_channel_publishing import CLIENT_LOGGERS, ChannelEmulatorCase


@tagged("post_install", "-at_install")
class TestChannelTokens(ChannelEmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the token store's own transaction runs on the test transaction (as in HttpCase)
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        for channel_type in ("ebay", "amazon"):
            if channel_type not in cls.channels:
                continue
            # a stored token that Odoo believes valid for another hour
            cls.channels[channel_type].sudo().token_expires_at = fields.Datetime.now() + timedelta(
                hours=1
            )

    def channel_of(self, channel_type):
        if channel_type not in self.channels:
            self.skipTest("no %s client" % channel_type)
        return self.channels[channel_type]

    def token_calls(self, channel_type):
        host = {"ebay": "ebay-identity", "amazon": "amazon-lwa"}[channel_type]
        return self.emulator.calls(host, "token")

    def publish_one(self, channel, product):
        listing = self.make_ready(channel, product)
        channel.with_user(self.backoffice).action_publish_listings()
        return listing

    def test_expired_token_is_refreshed_once_and_stored(self):
        for channel_type, product in (("ebay", self.products[0]), ("amazon", self.products[1])):
            with self.subTest(channel=channel_type):
                channel = self.channel_of(channel_type)
                if channel_type == "amazon":  # a first token, stored
                    channel.with_user(self.manager).action_test_connection()
                    self.emulator.reset()
                before = channel.sudo().access_token
                app = self.emulator.apps[channel_type]
                app.expire_tokens()  # the channel says the token expired
                listing = self.publish_one(channel, product)
                self.assertEqual(listing.state, "published", listing.last_error)
                (call,) = self.token_calls(channel_type)
                form = parse_qs(call.body.decode())
                self.assertEqual(form["grant_type"], ["refresh_token"])
                if channel_type == "ebay":  # HTTP Basic app credentials, scopes
                    self.assertIn("sell.inventory", form["scope"][0])
                    self.assertNotIn("client_secret", form)
                else:  # LWA: client id and secret in the form
                    self.assertEqual(form["client_id"], [channel.sudo().api_key])
                stored = channel.sudo()
                self.assertNotEqual(stored.access_token, before)
                self.assertIn(stored.access_token, app.tokens)
                self.assertGreater(stored.token_expires_at, fields.Datetime.now())
                self.assertFalse(stored.reconnect_needed)

    def test_token_expiring_soon_is_refreshed_before_the_call(self):
        channel = self.channel_of("ebay")
        channel.sudo().token_expires_at = fields.Datetime.now() + timedelta(minutes=4)
        channel.flush_recordset()
        channel.with_user(self.manager).action_test_connection()
        self.assertEqual(len(self.token_calls("ebay")), 1)
        # the Trading call went out once, with the new token: never refused
        (call,) = self.emulator.calls("ebay", "GetUser")
        self.assertEqual(self.logs(channel, operation="test connection").status, "ok")

    def test_second_worker_adopts_the_token_of_the_first(self):
        channel = self.channel_of("ebay")
        self.emulator.apps["ebay"].expire_tokens()
        channel.sudo().token_expires_at = fields.Datetime.now() - timedelta(minutes=1)
        channel.flush_recordset()
        first, second = channel._get_client(), channel._get_client()  # both with the old token
        with first, second:
            first.test_connection()
            second.test_connection()
        self.assertEqual(second.access_token, first.access_token)
        self.assertEqual(len(self.token_calls("ebay")), 1)
        self.assertEqual(channel.sudo().access_token, first.access_token)

    def test_refused_refresh_stops_the_run_and_sends_nothing(self):
        for channel_type in ("ebay", "amazon"):
            with self.subTest(channel=channel_type):
                channel = self.channel_of(channel_type)
                app = self.emulator.apps[channel_type]
                app.expire_tokens()
                app.revoke_refresh_token()
                listings = self.make_ready(channel, self.products[2:5])
                with mute_logger(*CLIENT_LOGGERS):
                    channel.with_user(self.backoffice).action_publish_listings()
                self.assertEqual(set(listings.mapped("state")), {"error"})
                self.assertIn("connect the channel again", listings[0].last_error)
                self.assertIn("invalid_grant", listings[0].last_error)
                self.assertEqual(len(self.token_calls(channel_type)), 1)  # no hammering
                create = {"ebay": "AddFixedPriceItem", "amazon": "putListingsItem"}[channel_type]
                self.assertEqual(self.emulator.calls(channel_type, create), [])

    def test_reconnect_needed_sends_nothing_until_connected(self):
        channel = self.channel_of("ebay")
        channel.sudo().write({"reconnect_needed": True, "reconnect_reason": "invalid_grant"})
        self.make_ready(channel, self.products[5])
        with mute_logger(*CLIENT_LOGGERS):
            channel.with_user(self.backoffice).action_publish_listings()
            channel.with_user(self.backoffice).action_push_stock()
            action = channel.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("must be connected again", action["params"]["message"])
        self.assertEqual(self.emulator.calls("ebay"), [])
        self.assertEqual(self.token_calls("ebay"), [])
        form = channel.with_user(self.manager).get_view(view_type="form")["arch"]
        self.assertIn("Reconnect needed", form)

    def test_connect_wizard_ebay_exchanges_the_consent_code(self):
        channel = self.channel_of("ebay")
        channel.sudo().write(
            {"reconnect_needed": True, "reconnect_reason": "invalid_grant", "refresh_token": False}
        )
        app = self.emulator.apps["ebay"]
        code = app.issue_code()
        wizard = Form(
            self.env["ecom.channel.connect"]
            .with_user(self.manager)
            .with_context(default_channel_id=channel.id)
        )
        wizard.ru_name = "Northwind-Northwin-PRD-abc"
        self.assertIn("redirect_uri=Northwind-Northwin-PRD-abc", wizard.consent_url)
        self.assertIn("response_type=code", wizard.consent_url)
        wizard.code = "https://example.com/accepted?%s" % urlencode(
            {"state": "x", "code": code, "expires_in": 299}
        )
        wizard.save().action_connect()
        stored = channel.sudo()
        self.assertFalse(stored.reconnect_needed)
        self.assertEqual(stored.refresh_token, app.credentials["refresh_token"])
        self.assertIn(stored.access_token, app.tokens)
        self.assertGreater(stored.token_expires_at, fields.Datetime.now())
        (call,) = self.token_calls("ebay")
        self.assertEqual(parse_qs(call.body.decode())["grant_type"], ["authorization_code"])
        # a code used twice is refused: a clear message, nothing saved
        wizard = (
            self.env["ecom.channel.connect"]
            .with_user(self.manager)
            .create({"channel_id": channel.id, "code": code})
        )
        with self.assertRaises(UserError) as err, mute_logger(*CLIENT_LOGGERS):
            wizard.action_connect()
        self.assertIn("invalid_grant", str(err.exception))

    def test_connect_wizard_amazon_takes_a_refresh_token(self):
        channel = self.channel_of("amazon")
        refresh = channel.sudo().refresh_token
        channel.sudo().write({"refresh_token": False, "access_token": False})
        wizard = (
            self.env["ecom.channel.connect"]
            .with_user(self.manager)
            .create({"channel_id": channel.id, "refresh_token": refresh})
        )
        action = wizard.action_connect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(channel.sudo().refresh_token, refresh)
        self.assertTrue(channel.sudo().access_token.startswith("Atza|"))
        with self.assertRaises(UserError):
            self.env["ecom.channel.connect"].with_user(self.backoffice).create(
                {"channel_id": channel.id}
            ).action_connect()

    def test_connect_wizard_amazon_exchanges_a_website_consent_code(self):
        channel = self.channel_of("amazon")
        app = self.emulator.apps["amazon"]
        channel.sudo().write({"refresh_token": False, "access_token": False})
        wizard = (
            self.env["ecom.channel.connect"]
            .with_user(self.manager)
            .create(
                {
                    "channel_id": channel.id,
                    "code": "https://example.com/cb?state=1&spapi_oauth_code=%s&selling_partner_id=X"
                    % app.issue_code(),
                }
            )
        )
        self.assertIn("sellercentral", wizard.consent_url)
        wizard.action_connect()
        self.assertEqual(channel.sudo().refresh_token, app.credentials["access_token"])
        (call,) = self.token_calls("amazon")
        self.assertEqual(parse_qs(call.body.decode())["grant_type"], ["authorization_code"])

    def test_connect_wizard_shopify_takes_the_admin_token(self):
        channel = self.channel_of("shopify")
        token = channel.sudo().access_token
        channel.sudo().access_token = "shpat_old_revoked"
        with self.assertRaises(UserError), mute_logger(*CLIENT_LOGGERS):
            self.env["ecom.channel.connect"].with_user(self.manager).create(
                {"channel_id": channel.id}
            ).action_connect()
        wizard = (
            self.env["ecom.channel.connect"]
            .with_user(self.manager)
            .create({"channel_id": channel.id, "access_token": token})
        )
        self.assertEqual(wizard.connect_flow, "token")
        action = wizard.action_connect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(channel.sudo().access_token, token)

    def test_token_url_must_be_the_channels_token_host(self):
        channel = self.channel_of("amazon").with_user(self.manager)
        with self.assertRaises(ValidationError):
            channel.token_url = "https://evil.example.com/auth/o2/token"
        channel.token_url = "https://api.amazon.co.uk/auth/o2/token"
        ebay = (
            self.env["ecom.channel"]
            .with_user(self.manager)
            .create({"name": "New eBay", "channel_type": "ebay"})
        )
        self.assertEqual(ebay.token_url, "https://api.ebay.com/identity/v1/oauth2/token")
        shop = (
            self.env["ecom.channel"]
            .with_user(self.manager)
            .create({"name": "New shop", "channel_type": "shopify"})
        )
        self.assertFalse(shop.token_url)
        self.assertNotIn("refresh_token", shop.with_user(self.backoffice).read()[0])


@tagged("post_install", "-at_install")
class TestChannelTokenTransaction(ChannelEmulatorCase):
    """The token transaction is a real one: a token refreshed (or refused) during a business
    transaction that rolls back is kept. Needs two real transactions: the channel is
    committed, and deleted after the test."""

    def committed_channel(self, channel_type):
        connection = self.emulator.connection(channel_type)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["ecom.channel"].create(
                {
                    "name": "Committed %s %s" % (channel_type, self._testMethodName),
                    "channel_type": channel_type,
                    "api_base_url": self.emulator.url(channel_type),
                    "api_key": connection["api_key"],
                    "api_secret": connection["api_secret"],
                    "access_token": connection["access_token"],
                    "refresh_token": connection["refresh_token"],
                    "token_url": connection["token_url"],
                    "token_expires_at": fields.Datetime.now() + timedelta(hours=1),
                    "account_ref": connection["account_ref"],
                    "timeout_seconds": 2.0,
                    "retry_backoff": 0.01,
                    "retry_max_delay": 0.05,
                }
            )
            channel_id = channel.id
        self.addCleanup(self.drop_channel, channel_id)
        return self.env["ecom.channel"].browse(channel_id)

    def drop_channel(self, channel_id):
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["ecom.channel"].browse(channel_id).unlink()

    def committed(self, channel, *names):
        with self.registry.cursor() as cr:
            record = api.Environment(cr, SUPERUSER_ID, {})["ecom.channel"].browse(channel.id)
            return [record[name] for name in names]

    def business_transaction(self, channel_id, rollback=True):
        """Build a client of the channel and test the connection in a real transaction of its
        own (as a worker does), rolled back afterwards; return the client."""
        with self.registry.cursor() as cr:
            channel = api.Environment(cr, SUPERUSER_ID, {})["ecom.channel"].browse(channel_id)
            try:
                with mute_logger(*CLIENT_LOGGERS), channel._get_client() as client:
                    client.test_connection()
                channel.write({"note": "<p>rolled back</p>"})
            finally:
                if rollback:
                    cr.rollback()
        return client

    def test_token_survives_a_rollback_and_a_refusal_is_recorded(self):
        channel = self.committed_channel("ebay")
        app = self.emulator.apps["ebay"]
        app.expire_tokens()
        client = self.business_transaction(channel.id)
        token, expires, note = self.committed(channel, "access_token", "token_expires_at", "note")
        self.assertFalse(note)  # the business transaction was rolled back...
        self.assertEqual(token, client.access_token)  # ...the token was kept
        self.assertIn(token, app.tokens)
        self.assertGreater(expires, fields.Datetime.now())
        # a second worker uses the stored token: no second refresh
        second = self.business_transaction(channel.id)
        self.assertEqual(second.access_token, token)
        self.assertEqual(len(self.emulator.calls("ebay-identity", "token")), 1)
        # the channel refuses the refresh token: recorded, whatever the business transaction
        app.expire_tokens()
        app.revoke_refresh_token()
        with self.assertRaises(ReconnectNeeded):
            self.business_transaction(channel.id)
        needed, reason = self.committed(channel, "reconnect_needed", "reconnect_reason")
        self.assertTrue(needed)
        self.assertIn("invalid_grant", reason)
        self.assertEqual(len(self.emulator.calls("ebay-identity", "token")), 2)
        # and nothing more is sent for it
        with self.assertRaises(ReconnectNeeded):
            self.business_transaction(channel.id)
        self.assertEqual(len(self.emulator.calls("ebay-identity", "token")), 2)


@tagged("post_install", "-at_install")
class TestChannelOptions(ChannelEmulatorCase):
    """Every client option is a field of the channel form and reaches the wire."""

    def ebay_item(self, call="AddFixedPriceItem"):
        requests = [body for name, body in self.emulator.apps["ebay"].requests if name == call]
        return requests[-1]["Item"]

    def test_ebay_options_from_the_form(self):
        channel = self.channels.get("ebay")
        if not channel:
            self.skipTest("no eBay client")
        with Form(channel.with_user(self.manager)) as form:
            form.ebay_site_id = "3"
            form.dispatch_days = 3
            form.ebay_shipping_service = "UK_RoyalMailFirstClassStandard"
            form.ebay_shipping_cost = 2.5
            form.ebay_returns_within = "Days_60"
            form.ebay_returns_paid_by = "Seller"
            form.ebay_location = "Kendal"
            form.ebay_postal_code = "LA9 4AB"
        listing = self.make_ready(channel, self.products[0])
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "published", listing.last_error)
        item = self.ebay_item()
        self.assertEqual(item["DispatchTimeMax"], "3")
        self.assertEqual((item["Location"], item["PostalCode"]), ("Kendal", "LA9 4AB"))
        self.assertEqual(item["ReturnPolicy"]["ReturnsWithinOption"], "Days_60")
        self.assertEqual(item["ReturnPolicy"]["ShippingCostPaidByOption"], "Seller")
        service = item["ShippingDetails"]["ShippingServiceOptions"]
        self.assertEqual(service["ShippingService"], "UK_RoyalMailFirstClassStandard")
        self.assertEqual(service["ShippingServiceCost"]["#text"], "2.50")
        # business policies replace the inline shipping and returns
        with Form(channel.with_user(self.manager)) as form:
            form.ebay_payment_profile_id = "5001"
            form.ebay_return_profile_id = "5002"
            form.ebay_shipping_profile_id = "5003"
        listing2 = self.make_ready(channel, self.products[1])
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing2.state, "published", listing2.last_error)
        item = self.ebay_item()
        self.assertEqual(
            item["SellerProfiles"]["SellerShippingProfile"]["ShippingProfileID"], "5003"
        )
        self.assertNotIn("ShippingDetails", item)
        # the site goes in every call's header
        with Form(channel.with_user(self.manager)) as form:
            form.ebay_site_id = "77"
        channel.with_user(self.manager).action_test_connection()
        call = self.emulator.calls("ebay", "GetUser")[-1]
        self.assertEqual(call.headers["x-ebay-api-siteid"], "77")

    def test_amazon_options_from_the_form(self):
        channel = self.channels.get("amazon")
        if not channel:
            self.skipTest("no Amazon client")
        with Form(channel.with_user(self.manager)) as form:
            form.amazon_marketplace_ids = "A1F83G8C2ARO7P,A1PA6795UKMFR9"
            form.amazon_language_tag = "en_GB"
            form.dispatch_days = 4
        listing = self.make_ready(channel, self.products[0])
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "published", listing.last_error)
        (put,) = self.emulator.calls("amazon", "putListingsItem")
        body = json.loads(put.body)
        availability = body["attributes"]["fulfillment_availability"][0]
        self.assertEqual(availability["lead_time_to_ship_max_days"], 4)
        self.assertEqual(
            body["attributes"]["condition_type"][0]["marketplace_id"], "A1F83G8C2ARO7P"
        )
        with channel._get_client() as client:
            list(client.fetch_orders(since=datetime(2025, 1, 1)))
        (orders,) = self.emulator.calls("amazon", "getOrders")
        self.assertEqual(orders.query["MarketplaceIds"], ["A1F83G8C2ARO7P,A1PA6795UKMFR9"])
        # the region sets the API and LWA hosts
        with Form(channel.with_user(self.manager)) as form:
            form.amazon_region = "na"
            self.assertEqual(form.api_base_url, "https://sellingpartnerapi-na.amazon.com")
            self.assertEqual(form.token_url, "https://api.amazon.com/auth/o2/token")
            form.amazon_region = "eu"
            form.api_base_url = self.emulator.url("amazon")
            form.token_url = self.emulator.token_url("amazon")

    def test_shopify_location_from_the_form(self):
        channel = self.channels.get("shopify")
        if not channel:
            self.skipTest("no Shopify client")
        kendal = "gid://shopify/Location/2"
        with Form(channel.with_user(self.manager)) as form:
            form.shopify_location_id = kendal
        listing = self.make_ready(channel, self.products[0])
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "published", listing.last_error)
        app = self.emulator.apps["shopify"]
        self.assertEqual({loc for _item, loc in app.inventory}, {kendal})
        self.assertEqual(self.emulator.calls("shopify", "Locations"), [])

    def test_options_are_shown_for_their_type_only(self):
        arch = self.env["ecom.channel"].get_view(view_type="form")["arch"]
        for group in ("options_amazon", "options_shopify", "options_ebay"):
            self.assertIn('name="%s"' % group, arch)
        xml = xmltodict.parse(arch)
        self.assertTrue(xml)
        # eBay shows its site as a selection labelled "eBay Site", not the account reference
        field = self.env["ecom.channel"]._fields["ebay_site_id"]
        self.assertEqual(field.string, "eBay Site")
        self.assertIn(("3", "UK"), field.selection)
