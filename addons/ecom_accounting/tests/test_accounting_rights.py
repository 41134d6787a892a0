# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who sets the accounting of a channel: billing users choose its accounts, journals, taxes and
invoicing policy; channel managers without accounting rights keep editing the rest of the
channel and see none of it they may not read."""

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import AccountingCase


@tagged("post_install", "-at_install")
class TestAccountingRights(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_fee_account = cls.env["account.account"].create(
            {"name": "Other fees", "code": "620950", "account_type": "expense"}
        )
        cls.other_clearing = cls.env["account.account"].create(
            {
                "name": "Other receivable",
                "code": "101950",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        cls.other_journal = cls.env["account.journal"].create(
            {"name": "Other settlements", "code": "OSET", "type": "general"}
        )

    def accounting_values(self):
        return {
            "fee_account_id": self.other_fee_account.id,
            "clearing_account_id": self.other_clearing.id,
            "settlement_journal_id": self.other_journal.id,
            "payout_journal_id": self.bank_journal.id,
            "sale_tax_id": self.vat20.id,
            "fee_partner_id": self.marketplace.id,
            "invoice_policy": "import",
            "prices_include_tax": False,
            "payouts_imported_until": "2030-01-01 00:00:00",
        }

    def test_channel_manager_cannot_set_the_accounting(self):
        self.assertFalse(self.manager.has_group("account.group_account_invoice"))
        channel = self.channel.with_user(self.manager)
        for name, value in self.accounting_values().items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                channel.write({name: value})
        self.assertFalse(self.channel.sudo().fee_account_id)
        self.assertEqual(self.channel.invoice_policy, "ship")
        with self.assertRaises(AccessError):
            self.env["ecom.channel"].with_user(self.manager).create(
                {
                    "name": "Forged",
                    "channel_type": "shopify",
                    "fee_account_id": self.other_fee_account.id,
                }
            )
        # the rest of the channel is theirs
        channel.write({"name": "Renamed shop", "team_id": self.channel.team_id.id})
        self.assertEqual(self.channel.name, "Renamed shop")
        # a channel set up by the accountant duplicated by the manager: accounting left out
        self.channel.with_user(self.billing).write(
            {"invoice_policy": "manual", "fee_account_id": self.fee_account.id}
        )
        copy = channel.copy({"name": "Second shop"})
        self.assertEqual(copy.invoice_policy, "ship")
        self.assertFalse(copy.sudo().fee_account_id)

    def test_channel_manager_form_without_accounting(self):
        """The channel form opens and saves for a channel manager: the accounts and journals
        are not in it, the invoicing policy is shown read-only."""
        channel = self.channel.with_user(self.manager)
        arch = channel.get_view(view_type="form")["arch"]
        self.assertIn('name="accounting"', arch)
        self.assertIn('name="invoice_policy"', arch)
        for name in ("fee_account_id", "settlement_journal_id", "sale_tax_id", "payout_count"):
            self.assertNotIn('name="%s"' % name, arch)
        self.assertNotIn("action_import_payouts", arch)
        with Form(channel) as form:
            form.name = "Edited by the manager"
            with self.assertRaises(AssertionError):
                form.invoice_policy = "manual"
        self.assertEqual(self.channel.name, "Edited by the manager")
        self.assertEqual(self.channel.invoice_policy, "ship")

    def test_billing_user_sets_the_accounting_only(self):
        """A billing user sets the accounting of a channel (in the form too) and nothing else:
        neither its name nor where its credentials go."""
        channel = self.channel.with_user(self.billing)
        channel.write(self.accounting_values())
        self.assertEqual(self.channel.sudo().fee_account_id, self.other_fee_account)
        self.assertEqual(self.channel.invoice_policy, "import")
        for vals in (
            {"name": "Renamed"},
            {"api_base_url": "https://attacker.example"},
            {"fee_account_id": self.fee_account.id, "active": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                channel.write(vals)
        with self.assertRaises(AccessError):
            self.env["ecom.channel"].with_user(self.billing).create(
                {"name": "Forged", "channel_type": "shopify"}
            )
        with Form(channel) as form:
            form.invoice_policy = "manual"
            form.fee_account_id = self.fee_account
        self.assertEqual(self.channel.invoice_policy, "manual")
        self.assertEqual(self.channel.sudo().fee_account_id, self.fee_account)

    def test_accountant_reads_the_accounting(self):
        channel = self.channel.with_user(self.accountant)
        self.channel.sudo().fee_account_id = self.fee_account
        self.assertEqual(channel.fee_account_id, self.fee_account)
        with self.assertRaises(AccessError):
            channel.write({"fee_account_id": self.other_fee_account.id})
