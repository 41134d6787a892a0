# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Order lines priced so that they give the channel's line totals exactly (issue 16), and
totals the importer cannot take kept for a human."""

from odoo.tests import tagged

from odoo.addons.ecom_channels.ecom_channels_core.payloads import (
    Address,
    RemoteOrder,
    RemoteOrderLine,
)

from .common import ADDRESS, FulfilmentCase, ensure_rate


@tagged("post_install", "-at_install")
class TestExactPrices(FulfilmentCase):
    def import_remote(self, *lines, ref="X-1", currency="GBP"):
        if "woocommerce" not in self.channels:
            self.skipTest("the WooCommerce client is needed")
        channel = self.channels["woocommerce"].with_user(self.importer)
        remote = RemoteOrder(
            external_ref=ref,
            name=ref,
            currency=currency,
            buyer_email="ann@example.com",
            shipping_address=Address(**dict(ADDRESS, name="Ann Lee")),
            lines=list(lines),
        )
        self.env["sale.order"].with_user(self.importer)._ecom_import_remote_orders(
            channel, [remote]
        )
        return self.env["sale.order"].search(
            [("ecom_channel_id", "=", channel.id), ("ecom_external_ref", "=", ref)]
        )

    def test_line_total_reproduced_exactly(self):
        sku = self.products[0].default_code
        order = self.import_remote(
            RemoteOrderLine("1", sku=sku, quantity=3, unit_price=3.5, total=10.0),
            RemoteOrderLine("2", sku=sku, quantity=2, unit_price=9.99),
        )
        lines = order.order_line.filtered(lambda line: not line.display_type)
        by_ref = {}
        for line in lines:
            by_ref.setdefault(line.ecom_line_ref, []).append(
                (line.product_uom_qty, line.price_unit)
            )
        self.assertEqual(sorted(by_ref["1"]), [(1.0, 3.34), (2.0, 3.33)])
        self.assertEqual(by_ref["2"], [(2.0, 9.99)])
        self.assertAlmostEqual(sum(lines.mapped("price_total")), 29.98)

    def test_amounts_rounded_as_the_orders_currency(self):
        """A yen order: its amounts have no decimals, so 1,000 yen for 3 is one line at 333.33
        (Odoo rounds 999.99 to 1,000 yen), not two lines a cent apart as in pounds."""
        yen = self.env.ref("base.JPY")
        yen.active = True
        ensure_rate(self.env, yen)
        sku = self.products[0].default_code
        order = self.import_remote(
            RemoteOrderLine("1", sku=sku, quantity=3, unit_price=333.33, total=1000),
            ref="X-JPY",
            currency="JPY",
        )
        self.assertEqual(order.currency_id, yen)
        line = order.order_line.filtered(lambda line: not line.display_type)
        self.assertEqual(len(line), 1)
        self.assertEqual((line.product_uom_qty, line.price_unit), (3.0, 333.33))
        self.assertEqual(line.price_total, 1000.0)

    def test_unusable_totals_and_taxes_are_kept_as_notes(self):
        sku = self.products[0].default_code
        order = self.import_remote(
            RemoteOrderLine("1", sku=sku, quantity=1, unit_price=3.5, total=-1.0),
            RemoteOrderLine("2", sku=sku, quantity=1, unit_price=3.5, tax_amount=float("nan")),
            RemoteOrderLine("3", sku=sku, quantity=1, unit_price=3.5),
            ref="X-2",
        )
        self.assertEqual(order.state, "draft")
        self.assertIn("total -1.0", order.ecom_attention_reason)
        self.assertIn("tax nan", order.ecom_attention_reason)
        self.assertEqual(len(order.order_line.filtered("display_type")), 2)
        self.assertEqual(
            order.order_line.filtered(lambda line: not line.display_type).ecom_line_ref, "3"
        )
