# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channel orders imported from the emulator become posted invoices when they ship, at the
channel's total to the cent, whether the channel reports its prices with or without tax."""

import ast

from odoo.tests import tagged

from .common import AccountingCase

#: The same basket, as a channel reporting prices with tax (20 %) and one reporting them without.
BASKET_WITH_TAX = ([("mug", 2, 12.0), ("bottle", 1, 8.4)], 4.8)
BASKET_WITHOUT_TAX = ([("mug", 2, 10.0), ("bottle", 1, 7.0)], 4.0)


@tagged("post_install", "-at_install")
class TestInvoicing(AccountingCase):
    def lines(self, basket):
        items, shipping = basket
        products = {"mug": self.mug, "bottle": self.bottle}
        return [
            {"sku": products[name].default_code, "quantity": qty, "price": price}
            for name, qty, price in items
        ], shipping

    def test_shipped_order_invoiced_at_channel_total(self):
        """Amazon reports prices with tax, Shopify (here) without: same invoice totals."""
        if not {"amazon", "shopify"} <= set(self.channel_types):
            self.skipTest("the Amazon and Shopify clients are needed")
        lines, shipping = self.lines(BASKET_WITH_TAX)
        self.seed("amazon", lines, shipping, tax_rate=0.2)
        lines, shipping = self.lines(BASKET_WITHOUT_TAX)
        self.seed("shopify", lines, shipping, tax_rate=0.2, taxes_included=False)
        invoices = {}
        for channel_type in ("amazon", "shopify"):
            with self.subTest(channel=channel_type):
                order = self.import_orders(channel_type)
                self.assertEqual(len(order), 1)
                self.assertEqual(order.state, "sale")
                self.assertAlmostEqual(order.ecom_channel_total, 37.2)
                self.assertFalse(order.ecom_total_mismatch, order.ecom_attention_reason)
                self.assertEqual(order.team_id, self.channels[channel_type].team_id)
                self.assertFalse(order.invoice_ids, "invoiced only when shipped")
                self.ship(order)
                invoice = order.invoice_ids
                self.assertEqual(len(invoice), 1)
                self.assertEqual(invoice.state, "posted")
                self.assertEqual(invoice.ecom_channel_id, self.channels[channel_type])
                self.assertEqual(invoice.team_id, self.channels[channel_type].team_id)
                self.assertEqual(invoice.amount_total, 37.2)
                self.assertEqual(invoice.amount_untaxed, 31.0)
                self.assertEqual(invoice.amount_tax, 6.2)
                self.assertFalse(invoice.ecom_total_mismatch)
                invoices[channel_type] = invoice
        self.assertTrue(invoices["amazon"].invoice_line_ids.tax_ids.price_include)
        self.assertFalse(invoices["shopify"].invoice_line_ids.tax_ids.price_include)

    def test_total_difference_is_flagged(self):
        """A Shopify order taxed at 10 % on a channel configured with 20 % VAT: the order and
        its invoice show the difference, the invoice is left in draft for the accountant
        (Invoices to Check) and the sync log says it; the billing user posts it once checked."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        lines, shipping = self.lines(BASKET_WITHOUT_TAX)
        self.seed("shopify", lines, shipping, tax_rate=0.1, taxes_included=False)
        order = self.import_orders("shopify")
        self.assertAlmostEqual(order.ecom_channel_total, 34.1)
        self.assertAlmostEqual(order.amount_total, 37.2)
        self.assertTrue(order.ecom_total_mismatch)
        self.assertAlmostEqual(order.ecom_total_difference, 3.1)
        self.assertEqual(order.state, "sale", "a difference does not stop the order")
        self.assertIn(order, self.env["sale.order"].search([("ecom_total_mismatch", "=", True)]))
        self.ship(order)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "draft", "an invoice that differs is never posted")
        self.assertTrue(invoice.ecom_total_mismatch)
        self.assertAlmostEqual(invoice.ecom_total_difference, 3.1)
        self.assertTrue(order.ecom_invoice_to_check)
        self.assertEqual(
            self.env["sale.order"].search(
                [("ecom_invoice_to_check", "=", True), ("id", "=", order.id)]
            ),
            order,
        )
        # the accountant finds it under Invoices to Check
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecom_accounting.account_move_action_ecom_to_check"
        )
        Move = self.env["account.move"].with_user(self.billing)
        to_check = ast.literal_eval(action["domain"])
        self.assertIn(invoice, Move.search(to_check))
        logs = self.env["ecom.sync.log"].search(
            [("channel_id", "=", self.channels["shopify"].id), ("status", "=", "warning")]
        )
        self.assertTrue(any("differs from the channel" in m for m in logs.mapped("message")))
        self.assertTrue(any("left in draft" in m for m in logs.mapped("message")))
        self.assertIn(("account.move", invoice.id), [(lg.res_model, lg.res_id) for lg in logs])
        # checked and posted by hand: no longer to check, still showing the difference
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertNotIn(invoice, Move.search(to_check))
        self.assertFalse(order.ecom_invoice_to_check)
        self.assertTrue(invoice.ecom_total_mismatch)

    def test_invoice_when_imported_left_draft_on_difference(self):
        """Invoicing on import: an order whose total differs is invoiced in draft too, the
        others of the same import are posted."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        self.channels["shopify"].sudo().invoice_policy = "import"
        lines, shipping = self.lines(BASKET_WITHOUT_TAX)
        self.seed("shopify", lines, shipping, tax_rate=0.1, taxes_included=False)
        self.seed("shopify", lines, shipping, tax_rate=0.2, taxes_included=False)
        orders = self.import_orders("shopify")
        self.assertEqual(len(orders), 2)
        differs = orders.filtered("ecom_total_mismatch")
        self.assertEqual(len(differs), 1)
        self.assertEqual(differs.invoice_ids.state, "draft")
        self.assertTrue(differs.ecom_invoice_to_check)
        self.assertEqual((orders - differs).invoice_ids.state, "posted")
        self.assertFalse((orders - differs).ecom_invoice_to_check)

    def test_order_without_tax_reported_is_not_taxed(self):
        """Shopify reports no tax on the order: it was sold without tax."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        lines, shipping = self.lines(BASKET_WITHOUT_TAX)
        self.seed("shopify", lines, shipping, taxes_included=False)
        order = self.import_orders("shopify")
        self.assertFalse(order.order_line.tax_id)
        self.assertAlmostEqual(order.amount_total, 31.0)
        self.assertFalse(order.ecom_total_mismatch)

    def test_invoice_when_imported(self):
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        self.channels["amazon"].sudo().invoice_policy = "import"
        lines, shipping = self.lines(BASKET_WITH_TAX)
        self.seed("amazon", lines, shipping, tax_rate=0.2)
        order = self.import_orders("amazon")
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(order.invoice_ids.amount_total, 37.2)

    def test_manual_policy_does_not_invoice(self):
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        self.channels["amazon"].sudo().invoice_policy = "manual"
        lines, shipping = self.lines(BASKET_WITH_TAX)
        self.seed("amazon", lines, shipping, tax_rate=0.2)
        order = self.import_orders("amazon")
        self.ship(order)
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.invoice_status, "to invoice")

    def test_channel_is_a_sales_team_and_read_only_for_accountants(self):
        channel = self.channels.get("amazon") or next(iter(self.channels.values()))
        self.assertTrue(channel.team_id)
        self.assertEqual(channel.team_id.name, channel.name)
        accountant_channel = channel.with_user(self.accountant)
        self.assertEqual(accountant_channel.invoice_policy, "ship")
        with self.assertRaises(Exception):  # noqa: B017 - AccessError, raised by the ORM
            accountant_channel.write({"invoice_policy": "manual"})

    def test_shipment_in_parts_is_invoiced_in_parts(self):
        """An order shipped in two parts gets two posted invoices: the first bills part of the
        order and is never compared alone with the channel's total of the whole order; with
        the second, the order's invoices together equal the channel's total."""
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        # goods billed as delivered (Odoo's product setting): each part bills what left
        (self.mug | self.bottle).product_tmpl_id.invoice_policy = "delivery"
        lines, shipping = self.lines(BASKET_WITH_TAX)
        self.seed("amazon", lines, shipping, tax_rate=0.2)
        order = self.import_orders("amazon")
        self.assertAlmostEqual(order.ecom_channel_total, 37.2)
        picking = order.picking_ids.with_user(self.operator)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if move.product_id == self.mug else 0.0
        picking.move_ids.picked = True
        picking._action_done()
        first = order.invoice_ids
        self.assertEqual(len(first), 1)
        self.assertEqual(first.state, "posted", "a part invoice is not a difference")
        self.assertFalse(first.ecom_total_mismatch)
        self.assertLess(first.amount_total, 37.2)
        self.ship(order)  # the backorder: the rest
        second = order.invoice_ids - first
        self.assertEqual(len(second), 1)
        self.assertEqual(second.state, "posted")
        self.assertFalse(second.ecom_total_mismatch)
        self.assertAlmostEqual(first.amount_total + second.amount_total, 37.2)

    def test_credit_note_then_new_invoice_is_no_difference(self):
        """An invoice credited in full and billed again (a correction by the accountant): the
        order's invoices less its credit note equal the channel's total, so the new invoice is
        no difference, while one billed twice without a credit note still is."""
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        lines, shipping = self.lines(BASKET_WITH_TAX)
        self.seed("amazon", lines, shipping, tax_rate=0.2)
        order = self.import_orders("amazon")
        self.ship(order)
        first = order.invoice_ids
        self.assertEqual(first.state, "posted")
        self.assertFalse(first.ecom_total_mismatch)
        credit = first._reverse_moves(cancel=True)
        self.assertEqual(credit.move_type, "out_refund")
        again = order._create_invoices()
        self.assertAlmostEqual(again.amount_total, 37.2)
        self.assertFalse(again.ecom_total_mismatch, again.ecom_total_difference)
        self.assertFalse(first.ecom_total_mismatch)
        # without the credit note the order would be billed twice: a difference
        credit.button_draft()
        credit.button_cancel()
        self.assertTrue(again.ecom_total_mismatch)
