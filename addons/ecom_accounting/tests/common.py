# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import new_test_user

from odoo.addons.ecom_channels.tests.test_channel_publishing import ChannelEmulatorCase

ORDER_DATE = "2024-03-01T10:00:00Z"
ADDRESS = {
    "name": "Jane Doe",
    "street": "1 High Street",
    "city": "Bristol",
    "zip": "BS1 4DJ",
    "country_code": "GB",
}
CUSTOMER = {"name": "Jane Doe", "email": "jane.doe@example.com"}
#: The basket of the payout tests: 37.20 with a 4.80 shipping charge.
LINES = [("mug", 2, 12.0), ("bottle", 1, 8.4)]


class AccountingCase(ChannelEmulatorCase):
    """Channels on the emulator with a 20 % VAT, accounts for fees and payouts, two stocked
    products with a cost, a shipping rule to a carrier with a fixed cost."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # channel orders are booked only in a currency with a rate for the company
        gbp = cls.env.ref("base.GBP")
        if cls.env.company.currency_id != gbp and not gbp.rate_ids:
            cls.env["res.currency.rate"].create(
                {"currency_id": gbp.id, "rate": 1.0, "name": "2024-01-01"}
            )
        cls.importer = new_test_user(
            cls.env,
            "ecom_acc_importer",
            groups="ecom_channels.ecom_channels_group_user,ecom_fulfilment.ecom_fulfilment_group_user,"
            "base.group_partner_manager",
        )
        cls.operator = new_test_user(
            cls.env, "ecom_acc_operator", groups="ecom_fulfilment.ecom_fulfilment_group_user"
        )
        cls.billing = new_test_user(
            cls.env,
            "ecom_acc_billing",
            groups="account.group_account_invoice,account.group_account_readonly",
        )
        company = cls.env.company
        cls.vat20 = cls.env["account.tax"].create(
            {
                "name": "VAT 20%",
                "amount": 20.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
                "company_id": company.id,
            }
        )
        Account = cls.env["account.account"]
        cls.fee_account = Account.create(
            {"name": "Marketplace fees", "code": "620900", "account_type": "expense"}
        )
        cls.clearing_account = Account.create(
            {
                "name": "Marketplace receivable",
                "code": "101900",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        cls.misc_journal = cls.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", company.id)], limit=1
        )
        cls.bank_journal = cls.env["account.journal"].create(
            {
                "name": "Payout Bank",
                "code": "PBNK",
                "type": "bank",
                "company_id": company.id,
                "currency_id": cls.env.ref("base.GBP").id,
            }
        )
        cls.marketplace = cls.env["res.partner"].create({"name": "Marketplace Ltd"})
        for channel in cls.channels.values():
            channel.sudo().write(
                {
                    "sale_tax_id": cls.vat20.id,
                    "fee_account_id": cls.fee_account.id,
                    "clearing_account_id": cls.clearing_account.id,
                    "settlement_journal_id": cls.misc_journal.id,
                    "payout_journal_id": cls.bank_journal.id,
                    "fee_partner_id": cls.marketplace.id,
                }
            )
        cls.mug, cls.bottle = cls.products[:2]
        cls.mug.write({"is_storable": True, "standard_price": 4.0})
        cls.bottle.write({"is_storable": True, "standard_price": 2.5})
        stock = cls.warehouse.lot_stock_id
        for product in (cls.mug, cls.bottle):
            cls.env["stock.quant"]._update_available_quantity(product, stock, 100)
        ship_product = cls.env["product.product"].create(
            {"name": "Carrier", "type": "service", "list_price": 0.0}
        )
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Tracked 48",
                "product_id": ship_product.id,
                "delivery_type": "fixed",
                "fixed_price": 3.1,
            }
        )
        cls.env["ecom.shipping.rule"].create(
            {"country_ids": [(6, 0, cls.env.ref("base.uk").ids)], "carrier_id": cls.carrier.id}
        )

    def seed(self, channel_type, lines, shipping, **kwargs):
        values = {
            "lines": lines,
            "customer": CUSTOMER,
            "address": ADDRESS,
            "shipping": shipping,
            "created_at": ORDER_DATE,
        }
        values.update(kwargs)
        return str(self.emulator.apps[channel_type].seed_order(**values)["id"])

    def import_orders(self, channel_type):
        channel = self.channels[channel_type]
        channel.sudo().orders_imported_until = "2024-02-28 12:00:00"
        channel.with_user(self.importer).action_import_orders()
        return self.env["sale.order"].search(
            [("ecom_channel_id", "=", channel.id)], order="id desc"
        )

    def ship(self, order):
        """Validate the delivery of ``order`` as the warehouse operator."""
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking = picking.with_user(self.operator)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def shipped_orders(self, channel_type, count, **seed_kwargs):
        products = {"mug": self.mug, "bottle": self.bottle}
        refs = []
        for __ in range(count):
            lines = [
                {"sku": products[name].default_code, "quantity": qty, "price": price}
                for name, qty, price in LINES
            ]
            refs.append(self.seed(channel_type, lines, 4.8, **seed_kwargs))
        orders = self.import_orders(channel_type)
        self.assertEqual(len(orders), count)
        for order in orders:
            self.ship(order)
        self.assertEqual(set(orders.invoice_ids.mapped("state")), {"posted"})
        return refs, orders

    def bank_line(self, amount, ref="MARKETPLACE PAYOUT", date="2024-03-10"):
        """A line of the bank feed (in Community, bank statements are imported by accounting
        administrators)."""
        return self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": date, "amount": amount, "payment_ref": ref}
        )
