# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A channel's credentials go only to its own https hosts (loopback only on test servers)."""

from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, config, mute_logger

from .common import EcomChannelsCase


def endpoints_flag(flag):
    """The server configuration with ``ecom_test_endpoints`` set to ``flag`` (None: absent)."""
    options = dict(config.options)
    options.pop("ecom_test_endpoints", None)
    if flag is not None:
        options["ecom_test_endpoints"] = flag
    return patch.dict(config.options, options, clear=True)


@tagged("post_install", "-at_install")
class TestChannelEndpoints(EcomChannelsCase):
    def create_channel(self, channel_type, url, name=None):
        return (
            self.env["ecom.channel"]
            .with_user(self.manager)
            .create(
                {
                    "name": name or "%s %s" % (channel_type, url),
                    "channel_type": channel_type,
                    "api_base_url": url,
                    "api_key": "key-123456",
                }
            )
        )

    def test_flag_read_from_server_configuration(self):
        Channel = self.env["ecom.channel"]
        for flag, expected in (
            ("True", True),
            ("1", True),
            (True, True),
            ("False", False),
            ("", False),
            ("nonsense", False),
            (None, False),
        ):
            with self.subTest(flag=flag), endpoints_flag(flag):
                self.assertIs(Channel._ecom_allow_test_endpoints(), expected)

    def test_https_hosts_of_the_channel_type_only(self):
        good = {
            "shopify": "https://northwind.myshopify.com",
            "woocommerce": "https://shop.northwind.example",
            "ebay": "https://api.sandbox.ebay.com",
            "amazon": "https://sellingpartnerapi-eu.amazon.com",
        }
        bad = [
            ("shopify", "https://attacker.example/shopify", "not a host of shopify"),
            ("shopify", "http://northwind.myshopify.com", "must use https"),
            ("shopify", "https://northwind.myshopify.com.attacker.example", "not a host"),
            ("ebay", "https://api.ebay.com.attacker.example", "not a host of ebay"),
            ("amazon", "https://api.amazon.com", "not a host of amazon"),
            ("woocommerce", "http://shop.northwind.example", "must use https"),
            ("woocommerce", "https://user:pw@shop.northwind.example", "user name or password"),
            ("woocommerce", "ftp://shop.northwind.example", "not an http(s) URL"),
        ]
        for flag in (False, True):
            with endpoints_flag(flag):
                for channel_type, url in good.items():
                    with self.subTest(flag=flag, url=url):
                        channel = self.create_channel(channel_type, url, "ok %s %s" % (flag, url))
                        self.assertEqual(channel.api_base_url, url)
                for channel_type, url, reason in bad:
                    with self.subTest(flag=flag, url=url), self.assertRaises(ValidationError) as err:
                        self.create_channel(channel_type, url)
                    self.assertIn(reason, str(err.exception))
                    self.assertIn("cannot be used", str(err.exception))
        # Changing the type checks the URL again.
        shop = self.env["ecom.channel"].search([("api_base_url", "=", good["shopify"])], limit=1)
        with self.assertRaises(ValidationError) as err:
            shop.with_user(self.manager).channel_type = "ebay"
        self.assertIn("not a host of ebay", str(err.exception))

    def test_loopback_only_on_test_servers(self):
        with endpoints_flag(True):
            channel = self.create_channel("shopify", "http://127.0.0.1:8079/shopify")
            channel.api_base_url = "http://localhost:8079/shopify"
        for flag in (None, False, "False"):
            with self.subTest(flag=flag), endpoints_flag(flag):
                with self.assertRaises(ValidationError) as err:
                    self.create_channel("shopify", "http://127.0.0.1:8079/shopify", "Local")
                self.assertIn("ecom_test_endpoints", str(err.exception))
                with self.assertRaises(ValidationError):
                    channel.with_user(self.manager).api_base_url = "http://[::1]:8079/shopify"

    @mute_logger("odoo.addons.ecom_channels.models.ecom_channel_listing")
    def test_stored_url_refused_before_any_call(self):
        """A URL stored before the rule (or while the server allowed test endpoints) is refused
        when a client is built: the credentials are never sent, the listing says why."""
        self.env.cr.execute(
            SQL(
                "UPDATE ecom_channel SET api_base_url = %s WHERE id = %s",
                "https://attacker.example/collect",
                self.channel.id,
            )
        )
        self.channel.invalidate_recordset(["api_base_url"])
        listing = (
            self.env["ecom.channel.listing"]
            .with_user(self.backoffice)
            .create(
                {
                    "channel_id": self.channel.id,
                    "product_id": self.product.id,
                    "description": "<p>A tent.</p>",
                }
            )
        )
        listing.action_mark_ready()
        with patch("requests.Session.request") as request:
            action = listing.action_publish()
        request.assert_not_called()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(listing.state, "error")
        self.assertIn("cannot be used", listing.last_error)
        self.assertIn("not a host of shopify", listing.last_error)
        with endpoints_flag(False):
            self.channel.invalidate_recordset(["api_base_url"])
            self.env.cr.execute(
                SQL(
                    "UPDATE ecom_channel SET api_base_url = %s WHERE id = %s",
                    "http://127.0.0.1:8079/shopify",
                    self.channel.id,
                )
            )
            self.channel.invalidate_recordset(["api_base_url"])
            with patch("requests.Session.request") as request:
                self.channel.with_user(self.backoffice).action_publish_listings()
            request.assert_not_called()
            self.assertIn("ecom_test_endpoints", listing.last_error)
