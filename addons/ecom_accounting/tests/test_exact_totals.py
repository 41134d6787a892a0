# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Invoices equal to the channel's order total and tax, to the cent: the same baskets through
each channel, with prices including tax and without, with the tax each line reports mapped to
the company's tax of that rate (issues 16 and 18)."""

from datetime import datetime

from odoo.tests import tagged

from ..ecom_accounting_core.payouts import Payout, PayoutLine
from .common import AccountingCase

#: Baskets: lines (product, quantity, price, extra line values) and the shipping charge.
BASKETS = {
    "2 x 9.99": ([("mug", 2, 9.99, {})], 0.0),
    "3 x 9.99": ([("mug", 3, 9.99, {})], 0.0),
    "12.49 + 4.99 + 3.49 shipping": ([("mug", 1, 12.49, {}), ("bottle", 1, 4.99, {})], 3.49),
}
#: Channel types and the seed arguments of an order with prices including tax or not (None:
#: the channel does not sell that way). Amazon's and eBay's UK prices include VAT (the channel's
#: setting); eBay reports no tax per line: the channel's tax applies.
SEEDS = {
    "woocommerce": lambda rate, incl: {"tax_rate": rate, "prices_include_tax": incl},
    "shopify": lambda rate, incl: {"tax_rate": rate, "taxes_included": incl},
    "amazon": lambda rate, incl: {"tax_rate": rate} if incl else None,
    "ebay": lambda rate, incl: {} if incl else None,
}
#: The channel types that report a rate or a tax per line (a basket of several rates).
PER_LINE_TAX = ("woocommerce", "shopify", "amazon")


@tagged("post_install", "-at_install")
class TestExactTotals(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.vat5, cls.vat0 = Tax.create(
            [
                {
                    "name": "VAT %s%%" % rate,
                    "amount": rate,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include_override": "tax_excluded",
                    "company_id": cls.env.company.id,
                }
                for rate in (5.0, 0.0)
            ]
        )
        cls.env.company.tax_calculation_rounding_method = "round_per_line"
        for channel in cls.channels.values():
            channel.sudo().invoice_policy = "import"

    def lines(self, items):
        products = {"mug": self.mug, "bottle": self.bottle}
        return [
            dict({"sku": products[name].default_code, "quantity": qty, "price": price}, **extra)
            for name, qty, price, extra in items
        ]

    def assert_exact(self, order, label):
        """The order's invoice is posted at the channel's total and tax, nothing flagged."""
        self.assertFalse(order.ecom_needs_attention, (label, order.ecom_attention_reason))
        self.assertFalse(order.ecom_total_mismatch, (label, order.amount_total, order.amount_tax))
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1, label)
        self.assertEqual(invoice.state, "posted", label)
        self.assertFalse(invoice.ecom_total_mismatch, label)
        self.assertEqual(
            invoice.currency_id.compare_amounts(invoice.amount_total, order.ecom_channel_total),
            0,
            (label, invoice.amount_total, order.ecom_channel_total),
        )
        if any(order.order_line.mapped("ecom_channel_tax_reported")):  # eBay reports none
            self.assertEqual(
                invoice.currency_id.compare_amounts(invoice.amount_tax, order.ecom_channel_tax),
                0,
                (label, invoice.amount_tax, order.ecom_channel_tax),
            )
        return invoice

    def test_woocommerce_vat_inclusive_orders_to_the_cent(self):
        """WooCommerce prices with 20 % VAT included: 2 x 9.99 and 12.49 + 4.99 + 3.49 shipping
        are invoiced at exactly 19.98 and 20.97 with tax 3.33 and 3.49, nothing flagged, and a
        payout of both minus fees leaves both invoices paid."""
        if "woocommerce" not in self.channel_types:
            self.skipTest("the WooCommerce client is needed")
        channel = self.channels["woocommerce"]
        refs = []
        for basket in ("2 x 9.99", "12.49 + 4.99 + 3.49 shipping"):
            items, shipping = BASKETS[basket]
            refs.append(
                self.seed(
                    "woocommerce",
                    self.lines(items),
                    shipping,
                    tax_rate=0.2,
                    prices_include_tax=True,
                )
            )
        orders = self.import_orders("woocommerce")
        by_ref = {o.ecom_external_ref: o for o in orders}
        first, second = by_ref[refs[0]], by_ref[refs[1]]
        invoices = self.assert_exact(first, "19.98") | self.assert_exact(second, "20.97")
        self.assertEqual(first.invoice_ids.amount_total, 19.98)
        self.assertEqual(first.invoice_ids.amount_tax, 3.33)
        self.assertEqual(second.invoice_ids.amount_total, 20.97)
        self.assertEqual(second.invoice_ids.amount_tax, 3.49)
        taxes = invoices.invoice_line_ids.tax_ids
        self.assertEqual(set(taxes.mapped("amount")), {20.0})
        self.assertTrue(all(taxes.mapped("price_include")))
        self.assertEqual(len(invoices.invoice_line_ids.filtered(lambda line: not line.tax_ids)), 0)
        # the payment provider pays both orders minus its fees
        fees = {refs[0]: 0.48, refs[1]: 0.51}
        remote = Payout(
            external_ref="WOO-PAYOUT-1",
            amount=round(19.98 + 20.97 - sum(fees.values()), 2),
            currency="GBP",
            date=datetime(2024, 3, 9, 6, 0),
            lines=[
                PayoutLine("order", amount=19.98, fee=fees[refs[0]], order_ref=refs[0]),
                PayoutLine("order", amount=20.97, fee=fees[refs[1]], order_ref=refs[1]),
            ],
        )
        result = (
            self.env["ecom.payout"]
            .with_user(self.billing)
            ._import_remote_payouts(channel.with_user(self.billing), [remote])
        )
        payout = result["created"]
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(set(invoices.mapped("payment_state")), {"paid"})

    def test_matrix(self):
        """Every basket through each channel type, prices with tax and without: invoice total
        = channel total and tax = channel tax, to the cent."""
        types = [t for t in SEEDS if t in self.channel_types]
        if not types:
            self.skipTest("no channel client with taxes is available")
        baskets = dict(
            BASKETS,
            **{
                "a discount line": (
                    [("mug", 3, 3.5, {"discount": 0.5}), ("bottle", 2, 9.99, {})],
                    3.49,
                ),
                "0 %, 5 % and 20 % lines": (
                    [
                        ("mug", 2, 4.99, {"tax_rate": 0.0}),
                        ("bottle", 3, 2.49, {"tax_rate": 0.05}),
                        ("mug", 1, 7.77, {}),
                    ],
                    2.99,
                ),
            },
        )
        for channel_type in types:
            for included in (True, False):
                seed = SEEDS[channel_type](0.2, included)
                if seed is None:
                    continue
                for basket, (items, shipping) in baskets.items():
                    if channel_type not in PER_LINE_TAX and basket[0] in "0a":
                        continue  # eBay: neither rates per line nor discounts
                    label = "%s %s %s" % (channel_type, "incl." if included else "excl.", basket)
                    with self.subTest(label):
                        ref = self.seed(channel_type, self.lines(items), shipping, **seed)
                        order = self.import_orders(channel_type).filtered(
                            lambda o, ref=ref: o.ecom_external_ref == ref
                        )
                        self.assertEqual(len(order), 1, label)
                        self.assert_exact(order, label)
                        rates = {
                            line.product_id: line.tax_id.amount
                            for line in order.order_line
                            if line.product_id in (self.mug, self.bottle) and line.tax_id
                        }
                        self.assertTrue(rates, label)

    def test_discount_priced_exactly(self):
        """A line of 3 x 3.50 with 0.50 off (a WooCommerce coupon, a Shopify discount, an
        Amazon promotion) costs 10.00: no unit price with two decimals gives it, so the line is
        priced 2 x 3.33 + 1 x 3.34; the invoice is exact."""
        cases = [
            (t, SEEDS[t](0.2, incl))
            for t in ("woocommerce", "shopify", "amazon")
            if t in self.channel_types
            for incl in (True, False)
            if SEEDS[t](0.2, incl) is not None
        ]
        if not cases:
            self.skipTest("the WooCommerce, Shopify or Amazon client is needed")
        for channel_type, seed in cases:
            with self.subTest(channel=channel_type, seed=seed):
                items = [("mug", 3, 3.5, {"discount": 0.5}), ("bottle", 1, 4.99, {})]
                ref = self.seed(channel_type, self.lines(items), 0.0, **seed)
                order = self.import_orders(channel_type).filtered(
                    lambda o, ref=ref: o.ecom_external_ref == ref
                )
                mugs = order.order_line.filtered(lambda line: line.product_id == self.mug)
                self.assertEqual(sorted(mugs.mapped("price_unit")), [3.33, 3.34])
                self.assertEqual(sum(mugs.mapped("product_uom_qty")), 3)
                self.assertEqual(len(set(mugs.mapped("ecom_line_ref"))), 1)
                self.assert_exact(order, "discount")

    def test_shopify_vat_on_lines_and_shipping(self):
        """A Shopify order reporting 20 % VAT on its lines and its shipping is invoiced with
        20 % on every line, the shipping included, tax equal to the channel's to the penny."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        self.channels["shopify"].sudo().sale_tax_id = False  # the products' taxes: none here
        (self.mug | self.bottle).taxes_id = False
        items, shipping = BASKETS["12.49 + 4.99 + 3.49 shipping"]
        self.seed("shopify", self.lines(items), shipping, tax_rate=0.2, taxes_included=True)
        order = self.import_orders("shopify")
        invoice = self.assert_exact(order, "shopify 20 %")
        self.assertEqual(len(invoice.invoice_line_ids), 3)
        for line in invoice.invoice_line_ids:
            self.assertEqual(line.tax_ids.mapped("amount"), [20.0], line.name)
        self.assertEqual(invoice.amount_tax, order.ecom_channel_tax)

    def test_mismatching_line_tax_is_flagged(self):
        """A line taxed at a rate the company has no tax for keeps the channel's tax: the
        order's tax differs from the channel's and the order and its invoice are flagged."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        items = [("mug", 2, 9.99, {"tax_rate": 0.07}), ("bottle", 1, 4.99, {})]
        self.seed("shopify", self.lines(items), 0.0, tax_rate=0.2, taxes_included=True)
        order = self.import_orders("shopify")
        self.assertTrue(order.ecom_tax_mismatch)
        self.assertTrue(order.ecom_total_mismatch)
        self.assertEqual(order.invoice_ids.state, "draft")
        self.assertTrue(order.invoice_ids.ecom_total_mismatch)
        differ = order._ecom_lines_tax_differ()
        self.assertEqual(differ.product_id, self.mug)

    def test_pricelist_is_the_channels(self):
        """Each channel's orders get the channel's own pricelist, named after it."""
        types = [t for t in SEEDS if t in self.channel_types]
        if len(types) < 2:
            self.skipTest("two channel clients are needed")
        pricelists = self.env["product.pricelist"]
        for channel_type in types:
            items, shipping = BASKETS["2 x 9.99"]
            self.seed(channel_type, self.lines(items), shipping)
            order = self.import_orders(channel_type)
            channel = self.channels[channel_type]
            self.assertEqual(order.pricelist_id.ecom_channel_id, channel)
            self.assertIn(channel.name, order.pricelist_id.name)
            pricelists |= order.pricelist_id
        self.assertEqual(len(pricelists), len(types))

    def test_channel_rounding_globally(self):
        """A WooCommerce store rounding its tax on the order total ("round tax at subtotal
        level") while the company rounds per line: with the channel set to round globally, the
        invoice has the channel's tax (2 x 4.99 + 4.99 + 4.99 shipping without tax: 3.99, not
        2.00 + 1.00 + 1.00; with tax: 3.33, not 1.66 + 0.83 + 0.83); left to the company's
        rounding, the cent of difference is flagged."""
        if "woocommerce" not in self.channel_types:
            self.skipTest("the WooCommerce client is needed")
        channel = self.channels["woocommerce"]
        items = [("mug", 2, 4.99, {}), ("bottle", 1, 4.99, {})]
        for method, included, tax, per_line in (
            (False, False, 3.99, 4.0),
            (False, True, 3.33, 3.32),
            ("round_globally", False, 3.99, None),
            ("round_globally", True, 3.33, None),
        ):
            with self.subTest(method=method, included=included):
                channel.sudo().tax_rounding_method = method
                ref = self.seed(
                    "woocommerce",
                    self.lines(items),
                    4.99,
                    tax_rate=0.2,
                    prices_include_tax=included,
                    round_at_subtotal=True,
                )
                order = self.import_orders("woocommerce").filtered(
                    lambda o, ref=ref: o.ecom_external_ref == ref
                )
                self.assertEqual(order.ecom_channel_tax, tax)
                if per_line is not None:
                    self.assertEqual(order.amount_tax, per_line)
                    self.assertTrue(order.ecom_total_mismatch)
                    continue
                invoice = self.assert_exact(order, "rounding %s" % included)
                self.assertEqual(invoice.amount_tax, tax)
