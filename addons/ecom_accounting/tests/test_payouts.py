# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Payouts read from the emulated marketplaces: N orders minus fees, settled against their
invoices and reconciled with the bank statement line of the payout amount."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..models.ecom_payout import PAYOUT_MAX_ATTEMPTS
from .common import AccountingCase


@tagged("post_install", "-at_install")
class TestPayouts(AccountingCase):
    def assert_reconciled(self, payout, orders, st_line, fees):
        self.assertEqual(payout.state, "reconciled", payout.error)
        self.assertEqual(payout.statement_line_id, st_line)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(set(orders.invoice_ids.mapped("payment_state")), {"paid"})
        self.assertEqual(payout.invoice_ids, orders.invoice_ids)
        fee_lines = payout.move_id.line_ids.filtered("ecom_fee")
        self.assertAlmostEqual(sum(fee_lines.mapped("balance")), fees)
        self.assertEqual(fee_lines.account_id, self.fee_account)
        clearing = self.env["account.move.line"].search(
            [("account_id", "=", self.clearing_account.id)]
        )
        self.assertTrue(all(clearing.mapped("reconciled")))
        self.assertAlmostEqual(sum(clearing.mapped("balance")), 0.0)

    def test_payout_reconciles_with_bank(self):
        """For each marketplace: a payout of 3 orders minus fees settles their invoices and is
        reconciled with the bank statement line of its amount."""
        seed_kwargs = {
            "amazon": {"tax_rate": 0.2},
            "shopify": {"tax_rate": 0.2, "taxes_included": True},
            "ebay": {},
        }
        types = [t for t in seed_kwargs if t in self.channel_types]
        if not types:
            self.skipTest("no marketplace client is available")
        for channel_type in types:
            with self.subTest(channel=channel_type):
                refs, orders = self.shipped_orders(channel_type, 3, **seed_kwargs[channel_type])
                self.assertEqual(orders.invoice_ids.mapped("amount_total"), [37.2] * 3)
                app = self.emulator.apps[channel_type]
                fees = {refs[0]: 5.58, refs[1]: 5.6, refs[2]: 4.99}
                seeded = app.seed_payout(refs, fees=fees, date="2024-03-09T06:00:00Z")
                self.assertAlmostEqual(seeded["amount"], 95.43)
                st_line = self.bank_line(95.43, ref="%s PAYOUT %s" % (channel_type, seeded["id"]))
                channel = self.channels[channel_type].with_user(self.billing)
                channel.sudo().payouts_imported_until = "2024-03-01 00:00:00"
                action = channel.action_import_payouts()
                self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
                payout = self.env["ecom.payout"].search([("channel_id", "=", channel.id)])
                self.assertEqual(payout.external_ref, seeded["id"])
                self.assertAlmostEqual(payout.amount, 95.43)
                self.assertAlmostEqual(payout.gross_amount, 111.6)
                self.assertAlmostEqual(payout.fee_amount, 16.17)
                self.assertEqual(payout.line_ids.sale_order_id, orders)
                self.assert_reconciled(payout, orders, st_line, 16.17)
                # read again: nothing new
                channel.action_import_payouts()
                self.assertEqual(
                    self.env["ecom.payout"].search_count([("channel_id", "=", channel.id)]), 1
                )

    def test_refund_settles_the_credit_note(self):
        """A payout that pays one order and refunds another (whose credit note the accountant
        made) pays the invoice and the credit note, and records the fee Amazon gave back."""
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        refs, orders = self.shipped_orders("amazon", 2, tax_rate=0.2)
        sold = orders.filtered(lambda o: o.ecom_external_ref == refs[0])
        refunded = orders - sold
        app = self.emulator.apps["amazon"]
        app.seed_payout([refs[1]], fees={refs[1]: 5.6}, date="2024-03-02T06:00:00Z")
        credit_note = refunded.invoice_ids._reverse_moves(
            [{"ref": "Returned", "invoice_date": refunded.invoice_ids.invoice_date}]
        )
        credit_note.action_post()
        seeded = app.seed_payout(
            [refs[0]],
            fees={refs[0]: 5.58},
            refunds={refs[1]: (37.2, 4.48)},
            date="2024-03-09T06:00:00Z",
        )
        self.assertAlmostEqual(seeded["amount"], round(37.2 - 5.58 - 37.2 + 4.48, 2))
        channel = self.channels["amazon"].with_user(self.billing)
        channel.sudo().payouts_imported_until = "2024-03-01 00:00:00"
        channel.action_import_payouts()
        payouts = self.env["ecom.payout"].search([("channel_id", "=", channel.id)])
        self.assertEqual(set(payouts.mapped("state")), {"settled"}, payouts.mapped("error"))
        latest = payouts.filtered(lambda p: p.external_ref == seeded["id"])
        refund_line = latest.line_ids.filtered(lambda line: line.kind == "refund")
        self.assertEqual(refund_line.sale_order_id, refunded)
        self.assertEqual(refund_line.invoice_id, credit_note)
        self.assertEqual(sold.invoice_ids.payment_state, "paid")
        self.assertEqual(credit_note.payment_state, "paid")
        fees = latest.move_id.line_ids.filtered("ecom_fee")
        self.assertAlmostEqual(sum(fees.mapped("balance")), 5.58 - 4.48)
        # the payout (negative here: the refund exceeds the sale) meets its bank line
        st_line = self.bank_line(seeded["amount"], date="2024-03-10")
        self.assertEqual(latest.state, "reconciled")
        self.assertTrue(st_line.is_reconciled)

    def test_channel_manager_cannot_import_or_settle_payouts(self):
        """A channel manager without accounting rights can neither read payouts from the
        channel, nor create, settle or match one: nothing is posted on their behalf."""
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        refs, orders = self.shipped_orders("amazon", 1, tax_rate=0.2)
        unknown = self.seed(
            "amazon", [{"sku": self.mug.default_code, "quantity": 1, "price": 12.0}], 0.0
        )
        app = self.emulator.apps["amazon"]
        app.seed_payout(refs + [unknown], date="2024-03-09T06:00:00Z")
        channel = self.channels["amazon"]
        channel.sudo().payouts_imported_until = "2024-03-01 00:00:00"
        with self.assertRaises(AccessError):
            channel.with_user(self.manager).action_import_payouts()
        self.assertFalse(self.env["ecom.payout"].search([("channel_id", "=", channel.id)]))
        with self.assertRaises(AccessError):
            self.env["ecom.payout"].with_user(self.manager).create(
                {
                    "channel_id": channel.id,
                    "external_ref": "FORGED",
                    "currency_id": channel.currency_id.id,
                    "amount": 37.2,
                }
            )
        # the billing user imports it; it waits in error for an order not imported yet
        channel.with_user(self.billing).action_import_payouts()
        payout = self.env["ecom.payout"].search([("channel_id", "=", channel.id)])
        self.assertEqual(payout.state, "error", payout.error)
        self.import_orders("amazon")
        self.ship(self.env["sale.order"].search([("ecom_external_ref", "=", unknown)]))
        for method in ("action_settle", "action_retry", "action_match_bank"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(payout.with_user(self.manager), method)()
        with self.assertRaises(AccessError):
            payout.with_user(self.manager).read(["state"])
        self.assertEqual(payout.state, "error")
        self.assertFalse(payout.move_id)
        self.assertEqual(orders.invoice_ids.payment_state, "not_paid")
        # the billing user settles it
        payout.with_user(self.billing).action_settle()
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(orders.invoice_ids.payment_state, "paid")

    def test_payouts_of_other_companies_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Retail Ltd"})
        channel = (
            self.env["ecom.channel"]
            .with_company(other)
            .create({"name": "Other shop", "channel_type": "shopify", "company_id": other.id})
        )
        self.assertEqual(channel.team_id.company_id, other)
        payout = self.env["ecom.payout"].create(
            {
                "channel_id": channel.id,
                "external_ref": "P-OTHER",
                "currency_id": other.currency_id.id,
                "amount": 10.0,
            }
        )
        self.assertEqual(payout.company_id, other)
        Payout = self.env["ecom.payout"].with_user(self.accountant)
        self.assertFalse(Payout.search([("id", "=", payout.id)]))
        self.accountant.company_ids |= other
        self.assertEqual(
            Payout.with_context(allowed_company_ids=[other.id]).search([("id", "=", payout.id)]),
            payout,
        )

    def test_payout_views(self):
        Payout = self.env["ecom.payout"].with_user(self.accountant)
        for view_type in ("form", "list", "search"):
            self.assertTrue(Payout.get_view(view_type=view_type)["arch"])
        # a parked payout opens for the billing user, who corrects its date
        channel = next(iter(self.channels.values()))
        payout = self.env["ecom.payout"].create(
            {
                "channel_id": channel.id,
                "external_ref": "P-PARKED",
                "currency_id": channel.currency_id.id,
                "amount": 10.0,
                "date": "2099-01-01",
                "state": "parked",
                "error": "dated in the future",
                "attempt_count": 5,
            }
        )
        with Form(payout.with_user(self.billing)) as form:
            form.date = "2024-03-09"
        self.assertEqual(str(payout.date), "2024-03-09")
        arch = self.env["account.move"].with_user(self.accountant).get_view(view_type="form")
        self.assertIn("ecom_total_mismatch", arch["arch"])

    def test_woocommerce_has_no_payout_api(self):
        if "woocommerce" not in self.channel_types:
            self.skipTest("the WooCommerce client is needed")
        channel = self.channels["woocommerce"].with_user(self.billing)
        action = channel.action_import_payouts()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("no payout API", action["params"]["message"])

    def test_bank_line_arriving_later_is_matched(self):
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        refs, orders = self.shipped_orders("amazon", 2, tax_rate=0.2)
        seeded = self.emulator.apps["amazon"].seed_payout(
            refs, fee_rate=0.1, date="2024-03-09T06:00:00Z"
        )
        channel = self.channels["amazon"].with_user(self.billing)
        channel.sudo().payouts_imported_until = "2024-03-01 00:00:00"
        channel.action_import_payouts()
        payout = self.env["ecom.payout"].search([("channel_id", "=", channel.id)])
        self.assertEqual(payout.state, "settled")
        self.assertEqual(set(orders.invoice_ids.mapped("payment_state")), {"paid"})
        # a bank line of another amount is not taken
        other = self.bank_line(seeded["amount"] + 1)
        self.assertEqual(payout.state, "settled")
        with self.assertRaises(UserError):
            payout.with_user(self.billing).action_match_bank()
        # the payout's line is matched as soon as it arrives
        st_line = self.bank_line(seeded["amount"], date="2024-03-11")
        self.assertFalse(other.is_reconciled)
        self.assert_reconciled(payout, orders, st_line, round(2 * 3.72, 2))

    def test_payout_of_unknown_order_is_kept_in_error(self):
        """A payout of an order not imported yet waits in error, is tried again at each
        import, is parked after PAYOUT_MAX_ATTEMPTS failures (no more automatic attempts) and
        settles with Retry once the order is there."""
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        refs, orders = self.shipped_orders("amazon", 1, tax_rate=0.2)
        app = self.emulator.apps["amazon"]
        unknown = self.seed(
            "amazon", [{"sku": self.mug.default_code, "quantity": 1, "price": 12.0}], 0.0
        )
        app.seed_payout(refs + [unknown], fee_rate=0.1, date="2024-03-09T06:00:00Z")
        channel = self.channels["amazon"].with_user(self.billing)
        channel.sudo().payouts_imported_until = "2024-03-01 00:00:00"
        channel.action_import_payouts()
        payout = self.env["ecom.payout"].search([("channel_id", "=", channel.id)])
        self.assertEqual(payout.state, "error")
        self.assertEqual(payout.attempt_count, 1)
        self.assertIn(unknown, payout.error)
        self.assertFalse(payout.move_id)
        self.assertEqual(orders.invoice_ids.payment_state, "not_paid")
        log = self.env["ecom.sync.log"].search(
            [("res_model", "=", "ecom.payout"), ("res_id", "=", payout.id)]
        )
        self.assertEqual(log.status, "error")
        for attempt in range(2, PAYOUT_MAX_ATTEMPTS + 1):
            channel.action_import_payouts()
            self.assertEqual(payout.attempt_count, attempt)
        self.assertEqual(payout.state, "parked")
        self.assertIn(unknown, payout.error)
        channel.action_import_payouts()
        self.assertEqual(payout.attempt_count, PAYOUT_MAX_ATTEMPTS, "parked: not tried again")
        self.assertEqual(self.env["ecom.payout"].search_count([("channel_id", "=", channel.id)]), 1)
        # once the order is imported and shipped, Retry settles it
        self.import_orders("amazon")
        self.ship(self.env["sale.order"].search([("ecom_external_ref", "=", unknown)]))
        payout.with_user(self.billing).action_retry()
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(payout.attempt_count, 0)

    def test_accountant_reads_payouts_only(self):
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        refs, __ = self.shipped_orders("amazon", 1, tax_rate=0.2)
        self.emulator.apps["amazon"].seed_payout(refs, date="2024-03-09T06:00:00Z")
        self.channels["amazon"].sudo().payouts_imported_until = "2024-03-01 00:00:00"
        self.channels["amazon"].with_user(self.billing).action_import_payouts()
        payout = self.env["ecom.payout"].with_user(self.accountant).search([])
        self.assertEqual(len(payout), 1)
        self.assertTrue(payout.line_ids)
        with self.assertRaises(Exception):  # noqa: B017 - AccessError
            payout.write({"date": "2024-01-01"})
        with self.assertRaises(Exception):  # noqa: B017 - AccessError
            self.channels["amazon"].with_user(self.accountant).action_import_payouts()
