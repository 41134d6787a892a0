# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The tax a channel reports, mapped by rate to the taxes of a company on Odoo's UK chart
(l10n_uk: 20 %, 5 % and 0 % VAT), as the demo company and a UK retailer have them."""

from types import SimpleNamespace

from odoo.tests import TransactionCase, tagged

from odoo.addons.ecom_channels.ecom_channels_core.payloads import RemoteOrder


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
        cls.product = cls.env["product.product"].create({"name": "Mug", "type": "consu"})

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
        default = self.env["account.tax"]
        return SaleOrder._ecom_reported_taxes(run, remote, self.product, amount, tax, rate, default)

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
        self.assertFalse(self.taxes(10.0, 0.7, None, False))  # 7 %: no UK tax
