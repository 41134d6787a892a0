# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One dispatch email per shipment: when the channel tells the buyer itself (Amazon and eBay
always, Shopify and WooCommerce when the channel update asks them to), the suite sends none of
its own unless the channel is set to send both; the email speaks of the order."""

from unittest.mock import patch

from odoo.tests import tagged

from ..models.stock_picking import StockPicking
from .common import FulfilmentCase

CHANNEL_TYPES = ("shopify", "woocommerce", "ebay", "amazon")


@tagged("post_install", "-at_install")
class TestDispatchEmail(FulfilmentCase):
    def need(self, *types):
        missing = [t for t in types if t not in self.channels]
        if missing:
            self.skipTest("no channel client for %s" % ", ".join(missing))

    def ship(self, channel_type):
        """Import an order of ``channel_type`` and validate its delivery as the operator."""
        ref = self.seed(channel_type)
        order = self.import_orders(channel_type).filtered(lambda o: o.ecom_external_ref == ref)
        self.assertEqual(order.state, "sale", order.ecom_attention_reason)
        picking = order.picking_ids.with_user(self.operator)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        self.assertIs(picking.button_validate(), True)
        self.assertEqual(picking.state, "done")
        return order, picking

    def mails(self, picking):
        return self.env["mail.mail"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )

    def test_default_is_one_email_the_channels(self):
        """By default each channel type's buyer gets the channel's email only."""
        self.need(*CHANNEL_TYPES)
        for channel_type in CHANNEL_TYPES:
            with self.subTest(channel=channel_type):
                channel = self.channels[channel_type]
                self.assertEqual(channel.dispatch_email_mode, "single")
                self.assertTrue(channel.dispatch_mail_template_id)
                __, picking = self.ship(channel_type)
                self.assertTrue(picking._ecom_shipment().notify_customer)
                self.assertFalse(self.mails(picking))
                self.assertFalse(picking.ecom_no_customer_email)
                # the channel is told, and tells the buyer
                self.push_shipments()
                self.assertEqual(picking.ecom_push_state, "done")

    def test_channel_set_to_both_sends_ours_too(self):
        self.need(*CHANNEL_TYPES)
        for channel_type in CHANNEL_TYPES:
            with self.subTest(channel=channel_type):
                self.channels[channel_type].dispatch_email_mode = "both"
                order, picking = self.ship(channel_type)
                mail = self.mails(picking)
                self.assertEqual(len(mail), 1)
                self.assertEqual(mail.recipient_ids, order.partner_id)

    def test_ours_when_the_channel_is_not_asked_to_notify(self):
        """A Shopify or WooCommerce update that does not ask the channel to tell the buyer:
        the suite's email is the one."""
        self.need("shopify", "woocommerce")

        def silent(picking):
            return False

        with patch.object(StockPicking, "_ecom_notifies_customer", silent):
            for channel_type in ("shopify", "woocommerce"):
                with self.subTest(channel=channel_type):
                    __, picking = self.ship(channel_type)
                    self.assertEqual(len(self.mails(picking)), 1)
                    # the update the channel gets says the same
                    self.assertFalse(picking._ecom_shipment().notify_customer)
        # Amazon and eBay tell their buyers whatever the update says
        self.need("amazon", "ebay")
        with patch.object(StockPicking, "_ecom_notifies_customer", silent):
            for channel_type in ("amazon", "ebay"):
                with self.subTest(channel=channel_type):
                    __, picking = self.ship(channel_type)
                    self.assertFalse(self.mails(picking))

    def test_email_speaks_of_the_order(self):
        self.need("shopify")
        self.channels["shopify"].dispatch_email_mode = "both"
        order, picking = self.ship("shopify")
        mail = self.mails(picking)
        self.assertEqual(len(mail), 1)
        reference = order.client_order_ref or order.name
        self.assertIn("Your order", mail.body_html)
        self.assertIn(reference, mail.body_html)
        self.assertIn("has been sent", mail.body_html)
        self.assertIn(reference, mail.subject)
        self.assertNotIn("Transfer", mail.body_html)
        self.assertNotIn(picking.name, mail.body_html)
        self.assertIn(picking.carrier_tracking_ref.split(",")[0], mail.body_html)
