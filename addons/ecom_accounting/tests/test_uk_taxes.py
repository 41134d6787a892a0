# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The tax a channel reports, mapped by rate to the taxes of a company on Odoo's UK chart
(l10n_uk: 20 %, 5 % and 0 % VAT), as the demo company and a UK retailer have them."""

from datetime import datetime
from types import SimpleNamespace

from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.ecom_channels.ecom_channels_core.payloads import (
    Address,
    RemoteOrder,
    RemoteOrderLine,
)


@tagged("post_install", "-at_install")
class TestUkTaxes(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        module = cls.env["ir.module.module"].search([("name", "=", "l10n_uk")])
        if module.state != "installed":
            cls.company = None
            return
        cls.company = cls.env["res.company"].create(
            {"name": "UK Retailer", "country_id": cls.env.ref("base.uk").id}
        )
        cls.env["account.chart.template"].try_loading("uk", cls.company, install_demo=False)
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.channel = (
            cls.env["ecom.channel"]
            .with_company(cls.company)
            .create(
                {
                    "name": "UK Shop",
                    "channel_type": "shopify",
                    "company_id": cls.company.id,
                    "warehouse_id": cls.env["stock.warehouse"]
                    .search([("company_id", "=", cls.company.id)], limit=1)
                    .id,
                }
            )
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Mug", "type": "consu", "default_code": "UK-MUG", "list_price": 9.99}
        )
        cls.gbp = cls.env.ref("base.GBP")
        carrier_product = cls.env["product.product"].create(
            {"name": "Tracked 48", "type": "service", "company_id": cls.company.id}
        )
        carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Tracked 48",
                "product_id": carrier_product.id,
                "delivery_type": "fixed",
                "company_id": cls.company.id,
            }
        )
        cls.env["ecom.shipping.rule"].create(
            {"carrier_id": carrier.id, "company_id": cls.company.id}
        )
        cls.importer = new_test_user(
            cls.env,
            "ecom_uk_importer",
            groups="ecom_channels.ecom_channels_group_user,"
            "ecom_fulfilment.ecom_fulfilment_group_user,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )

    def setUp(self):
        super().setUp()
        if not self.company:
            self.skipTest("l10n_uk is not installed in this database")

    def taxes(self, amount, tax, rate=None, included=True):
        SaleOrder = self.env["sale.order"]
        run = SimpleNamespace(channel=self.channel)
        run.data = {
            "sale_taxes": self.env["account.tax"].search(
                [
                    *self.env["account.tax"]._check_company_domain(self.company),
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                ],
                order="sequence, id",
            )
        }
        remote = RemoteOrder(
            external_ref="1", prices_include_tax=included, taxes_reported=True, tax_amount=tax
        )
        return SaleOrder._ecom_reported_taxes(run, remote, self.product, amount, tax, rate)

    def test_uk_chart(self):
        company = self.company
        self.assertEqual(company.currency_id, self.env.ref("base.GBP"))
        self.assertEqual(company.account_fiscal_country_id, self.env.ref("base.uk"))
        rates = set(
            self.env["account.tax"]
            .search([("company_id", "=", company.id), ("type_tax_use", "=", "sale")])
            .mapped("amount")
        )
        self.assertTrue({20.0, 5.0, 0.0} <= rates)

    def test_reported_rates_mapped_to_uk_taxes(self):
        for amount, tax, rate, included, expected in (
            (19.98, 3.33, None, True, 20.0),
            (19.98, 3.33, 20.0, True, 20.0),
            (16.65, 3.33, None, False, 20.0),
            (10.5, 0.5, None, True, 5.0),
            (9.98, 0.0, None, True, 0.0),
        ):
            with self.subTest(amount=amount, tax=tax, rate=rate, included=included):
                taxes = self.taxes(amount, tax, rate, included)
                self.assertEqual(len(taxes), 1)
                self.assertEqual(taxes.amount, expected)
                self.assertEqual(taxes.price_include, included)
                self.assertEqual(taxes.company_id, self.company)

    def test_rate_without_tax_keeps_the_default(self):
        self.assertIsNone(self.taxes(10.0, 0.7, None, False))  # 7 %: no UK tax
        self.assertIsNone(self.taxes(10.0, 0.7, 7.0, False))

    def shopify_order(self, ref, line_rate=20.0):
        """A Shopify order with prices including VAT: 2 x 9.99 (3.33 VAT at ``line_rate``
        as reported) and 3.49 shipping (0.58 VAT at 20 %)."""
        line_tax = 3.33 if line_rate == 20.0 else round(19.98 - 19.98 / (1 + line_rate / 100), 2)
        return RemoteOrder(
            external_ref=ref,
            name="#%s" % ref,
            created_at=datetime(2024, 3, 1, 10, 0),
            currency="GBP",
            total=23.47,
            shipping_amount=3.49,
            tax_amount=round(line_tax + 0.58, 2),
            prices_include_tax=True,
            taxes_reported=True,
            shipping_tax_amount=0.58,
            shipping_tax_rate=20.0,
            service_level="Standard",
            buyer_name="Jane Doe",
            buyer_email="jane.uk@example.com",
            shipping_address=Address(
                name="Jane Doe",
                street="1 High Street",
                city="Kendal",
                zip="LA9 4DJ",
                country_code="GB",
            ),
            lines=[
                RemoteOrderLine(
                    external_ref="%s-1" % ref,
                    sku="UK-MUG",
                    quantity=2,
                    unit_price=9.99,
                    tax_amount=line_tax,
                    tax_rate=line_rate,
                )
            ],
        )

    def import_remote(self, remote):
        SaleOrder = self.env["sale.order"].with_user(self.importer).with_company(self.company)
        channel = self.channel.with_user(self.importer).with_company(self.company)
        SaleOrder._ecom_import_remote_orders(channel, [remote])
        return self.env["sale.order"].search(
            [
                ("ecom_channel_id", "=", self.channel.id),
                ("ecom_external_ref", "=", remote.external_ref),
            ]
        )

    def test_shopify_order_with_uk_vat_on_lines_and_shipping(self):
        """Issue 18: a Shopify order reporting 20 % VAT on its lines and its shipping is booked
        with the company's 20 % VAT (its tax-included twin) on every line, the shipping
        included, tax equal to the channel's to the penny, in GBP, nothing flagged; whatever
        the product's tax (here zero-rated, as the generic chart's 15 % was in the issue)."""
        self.product.taxes_id = self.env["account.tax"].search(
            [
                ("company_id", "=", self.company.id),
                ("type_tax_use", "=", "sale"),
                ("amount", "=", 0),
            ],
            limit=1,
        )
        self.assertTrue(self.product.taxes_id)
        order = self.import_remote(self.shopify_order("UK1"))
        self.assertEqual(len(order), 1)
        self.assertEqual(order.currency_id, self.gbp)
        self.assertEqual(order.state, "sale", order.ecom_attention_reason)
        lines = order.order_line.filtered(lambda line: not line.display_type)
        self.assertEqual(len(lines), 2)
        for line in lines:
            self.assertEqual(line.tax_id.mapped("amount"), [20.0], line.name)
            self.assertTrue(line.tax_id.price_include)
            self.assertEqual(line.tax_id.company_id, self.company)
        self.assertEqual(order.amount_total, 23.47)
        self.assertEqual(order.amount_tax, 3.91)
        self.assertEqual(order.ecom_channel_tax, 3.91)
        self.assertFalse(order.ecom_total_mismatch)
        self.assertEqual(order.pricelist_id.ecom_channel_id, self.channel)

    def test_mismatching_uk_vat_is_flagged(self):
        """The channel reports 7 % on a line: the company has no such VAT, the line keeps the
        product's 20 %; the totals agree (prices include tax) but the tax differs: flagged."""
        order = self.import_remote(self.shopify_order("UK2", line_rate=7.0))
        self.assertEqual(order.amount_total, 23.47)
        self.assertTrue(order.ecom_tax_mismatch)
        self.assertTrue(order.ecom_total_mismatch)
        self.assertEqual(order._ecom_lines_tax_differ().product_id, self.product)
