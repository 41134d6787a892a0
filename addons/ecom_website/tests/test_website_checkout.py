# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WebsiteChannelMixin


@tagged("post_install", "-at_install")
class TestWebsiteCheckout(WebsiteChannelMixin, HttpCase):
    """A shopper buys the listed tent in the shop and pays: the order is the website
    channel's, ships with the carrier of the channel's shipping rule, prints in a label run
    and, once shipped, is invoiced and counted in the channel's profitability."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_website_channel()
        cls.publish_listing()
        env = cls.env
        # the shop offers its own delivery method only
        env["delivery.carrier"].search([("id", "!=", cls.standard.id)]).website_published = False
        cls.shopper = new_test_user(
            env, "ecom_web_shopper", groups="base.group_portal", password="ecom_web_shopper"
        )
        cls.shopper.partner_id.write(
            {
                "name": "Jane Shopper",
                "email": "jane.shopper@example.com",
                "street": "1 High Street",
                "city": "Bristol",
                "zip": "BS1 4DJ",
                "country_id": env.ref("base.uk").id,
                "phone": "+44 117 496 0000",
            }
        )
        Module = env["ir.module.module"]
        Provider = env["payment.provider"].sudo()
        cls.tour = None
        for module, xmlid, tour in (
            ("payment_demo", "payment.payment_provider_demo", "ecom_website_checkout_demo"),
            (
                "payment_custom",
                "payment.payment_provider_transfer",
                "ecom_website_checkout_transfer",
            ),
        ):
            if Module._get(module).state == "installed":
                provider = env.ref(xmlid).sudo()
                Provider.search([("id", "!=", provider.id)]).write({"state": "disabled"})
                provider.write(
                    {"state": "test", "is_published": True, "company_id": cls.company.id}
                )
                if module == "payment_custom":
                    provider._transfer_ensure_pending_msg_is_set()
                cls.provider, cls.tour = provider, tour
                break

    def test_shop_order_is_a_channel_order(self):
        if not self.tour:
            self.skipTest("neither payment_demo nor payment_custom is installed")
        self.start_tour("/shop", self.tour, login="ecom_web_shopper")
        order = self.env["sale.order"].search(
            [("partner_id", "=", self.shopper.partner_id.id), ("website_id", "=", self.website.id)]
        )
        self.assertEqual(len(order), 1)
        if self.tour.endswith("transfer"):
            # the transfer arrives: the payment is confirmed as the bank statement says
            order.transaction_ids._set_done()
            order.transaction_ids._post_process()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.order_line.filtered("product_id.is_storable").product_id, self.tent)
        self.assertEqual(order.ecom_channel_id, self.channel)
        self.assertEqual(order.ecom_service_level, "Standard Delivery")
        self.assertEqual(order.carrier_id, self.tracked48)
        picking = order.picking_ids
        self.assertEqual(picking.carrier_id, self.tracked48)
        run = self.env["ecom.label.batch"].with_user(self.operator)._create_for_pickings(picking)
        run.action_print()
        self.assertEqual((run.done_count, run.failed_count), (1, 0), run.line_ids.message)
        self.assertTrue(picking.carrier_tracking_ref.startswith("TB"))
        picking.with_user(self.operator)._ecom_dispatch()
        self.assertEqual(picking.state, "done")
        if "ecom.channel.profit.report" not in self.env:
            return
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(order.team_id, self.channel.team_id)
        # Odoo reconciles the invoice with the payment of the shop
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        rows = self.env["ecom.channel.profit.report"].search([("channel_id", "=", self.channel.id)])
        self.assertAlmostEqual(sum(rows.mapped("revenue")), invoice.amount_untaxed, places=2)
