# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile payouts and the scheduled import: a payout the channel sends broken, dated in the
future or in an unknown currency is parked without stopping the others or poisoning the import
mark; the cron queues one job per channel, which imports with its own rights, in the channel's
company."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.models.ecom_channel_jobs import EcomJobFailed
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import AccountingCase

NUL_DESCRIPTION = "Subscription\x00fee"


@tagged("post_install", "-at_install")
class TestPayoutImport(AccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("ecom_accounting.ecom_channel_cron_import_payouts")
        cls.channel.active = False  # the shop of the channel tests, not on the emulator

    def setUp(self):
        super().setUp()
        if "amazon" not in self.channel_types:
            self.skipTest("the Amazon client is needed")
        self.app = self.emulator.apps["amazon"]
        self.amazon = self.channels["amazon"]
        self.amazon.sudo().payouts_imported_until = "2024-03-01 00:00:00"

    def payouts(self, channel=None):
        channel = channel or self.amazon
        return self.env["ecom.payout"].search([("channel_id", "=", channel.id)])

    def add_service_fee(self, group_id, fee, description):
        """A marketplace charge (Amazon service fee event) added to the payout ``group_id``,
        deducted from its amount."""
        group, events = self.app.event_groups[group_id]
        currency = group["OriginalTotal"]["CurrencyCode"]
        events.setdefault("ServiceFeeEventList", []).append(
            {
                "FeeReason": "Subscription",
                "FeeDescription": description,
                "FeeList": [
                    {
                        "FeeType": "Subscription",
                        "FeeAmount": {"CurrencyCode": currency, "CurrencyAmount": -fee},
                    }
                ],
            }
        )
        total = group["OriginalTotal"]
        total["CurrencyAmount"] = round(total["CurrencyAmount"] - fee, 2)
        return total["CurrencyAmount"]

    def seed_charge_payout(self, fee, date):
        """A payout of nothing but a marketplace charge (a negative payout)."""
        with self.app.lock:
            group_id = "FEG-%d" % self.app.next_id()
            self.app.event_groups[group_id] = (
                {
                    "FinancialEventGroupId": group_id,
                    "ProcessingStatus": "Closed",
                    "FundTransferStatus": "Succeeded",
                    "OriginalTotal": {"CurrencyCode": "GBP", "CurrencyAmount": 0.0},
                    "FundTransferDate": date,
                    "TraceId": "TRACE%d" % self.app.next_id(),
                    "AccountTail": "0042",
                    "FinancialEventGroupStart": date,
                    "FinancialEventGroupEnd": date,
                },
                {"ShipmentEventList": [], "RefundEventList": []},
            )
        return group_id, self.add_service_fee(group_id, fee, "Subscription fee")

    def run_payout_cron(self, user=None):
        """Run the scheduled import as Odoo runs it: the cron only queues one job per channel
        due (checked with queue_job's test helpers), then the job runner performs them; a job
        that fails is kept in ``self.failed_jobs`` (channel, message), as the runner would
        mark it failed. Return the channels queued."""
        self.failed_jobs = []
        with trap_jobs() as trap:
            if user:
                self.env["ecom.channel"].with_user(user)._cron_import_payouts()
            else:
                self.cron.method_direct_trigger()
            jobs = list(trap.enqueued_jobs)
            for job in jobs:
                self.assertEqual(job.method_name, "_ecom_job_import_payouts")
                self.assertEqual(job.channel, job.recordset.sudo()._ecom_job_channel())
                try:
                    with self.env.cr.savepoint():
                        job.perform()
                except EcomJobFailed as exc:
                    self.failed_jobs.append((job.recordset, str(exc)))
        return [job.recordset.id for job in jobs]

    # ------------------------------------------------------------------
    # Hostile payouts
    # ------------------------------------------------------------------

    def test_broken_payout_does_not_stop_the_others(self):
        """A payout whose data cannot be stored (a NUL character in a fee description) is parked
        with its reference, amount, error and raw data (without credentials); the payouts before
        and after it are settled and the mark moves past all of them. The accountant completes
        it by hand and retries it."""
        refs, orders = self.shipped_orders("amazon", 3, tax_rate=0.2)
        by_ref = {order.ecom_external_ref: order for order in orders}
        first = self.app.seed_payout([refs[0]], fees={refs[0]: 5.0}, date="2024-03-05T06:00:00Z")
        broken = self.app.seed_payout([refs[1]], fees={refs[1]: 5.6}, date="2024-03-06T06:00:00Z")
        broken_amount = self.add_service_fee(broken["id"], 25.0, NUL_DESCRIPTION)
        last = self.app.seed_payout([refs[2]], fees={refs[2]: 4.0}, date="2024-03-07T06:00:00Z")
        channel = self.amazon.with_user(self.billing)
        with mute_logger("odoo.sql_db"):
            action = channel.action_import_payouts()
        self.assertEqual(action["params"]["type"], "warning", action["params"]["message"])
        payouts = {p.external_ref: p for p in self.payouts()}
        self.assertEqual(set(payouts), {first["id"], broken["id"], last["id"]})
        for seeded, ref in ((first, refs[0]), (last, refs[2])):
            self.assertEqual(payouts[seeded["id"]].state, "settled", payouts[seeded["id"]].error)
            self.assertEqual(by_ref[ref].invoice_ids.payment_state, "paid")
        parked = payouts[broken["id"]]
        self.assertEqual(parked.state, "parked")
        self.assertFalse(parked.line_ids)
        self.assertFalse(parked.move_id)
        self.assertAlmostEqual(parked.amount, broken_amount)
        self.assertIn("could not be stored", parked.error)
        self.assertIn(broken["id"], parked.raw_payload)
        self.assertIn("Subscription", parked.raw_payload)
        for secret in self.amazon.sudo()._secrets():
            self.assertNotIn(secret, parked.raw_payload)
        self.assertEqual(by_ref[refs[1]].invoice_ids.payment_state, "not_paid")
        self.assertEqual(self.amazon.sudo().payouts_imported_until, datetime(2024, 3, 7, 6, 0, 0))
        log = self.env["ecom.sync.log"].search(
            [("res_model", "=", "ecom.payout"), ("res_id", "=", parked.id)]
        )
        self.assertEqual(log.status, "error")
        self.assertIn(broken["id"], log.message)
        # the accountant enters the lines from the channel's data and retries it
        parked.with_user(self.billing).write(
            {
                "line_ids": [
                    Command.create(
                        {"kind": "order", "order_ref": refs[1], "amount": 37.2, "fee": 5.6}
                    ),
                    Command.create(
                        {"kind": "charge", "fee": 25.0, "description": "Subscription fee"}
                    ),
                ]
            }
        )
        parked.with_user(self.billing).action_retry()
        self.assertEqual(parked.state, "settled", parked.error)
        self.assertEqual(by_ref[refs[1]].invoice_ids.payment_state, "paid")

    def test_nul_characters_in_references(self):
        """NUL characters where the importer looks records up (an order id, a currency code)
        park their payouts; the payout of the same run that is fine is settled."""
        refs, orders = self.shipped_orders("amazon", 3, tax_rate=0.2)
        by_ref = {order.ecom_external_ref: order for order in orders}
        bad_order = self.app.seed_payout([refs[0]], date="2024-03-07T06:00:00Z")
        events = self.app.event_groups[bad_order["id"]][1]
        events["ShipmentEventList"][0]["AmazonOrderId"] = refs[0] + "\x00"
        bad_currency = self.app.seed_payout([refs[1]], date="2024-03-08T06:00:00Z")
        self.app.event_groups[bad_currency["id"]][0]["OriginalTotal"]["CurrencyCode"] = "GB\x00"
        good = self.app.seed_payout([refs[2]], date="2024-03-09T06:00:00Z")
        with mute_logger("odoo.sql_db"):
            self.amazon.with_user(self.billing).action_import_payouts()
        payouts = {p.external_ref: p for p in self.payouts()}
        self.assertEqual(payouts[good["id"]].state, "settled", payouts[good["id"]].error)
        self.assertEqual(by_ref[refs[2]].invoice_ids.payment_state, "paid")
        for seeded, ref in ((bad_order, refs[0]), (bad_currency, refs[1])):
            self.assertEqual(payouts[seeded["id"]].state, "parked")
            self.assertFalse(payouts[seeded["id"]].move_id)
            self.assertEqual(by_ref[ref].invoice_ids.payment_state, "not_paid")
        self.assertIn("GB\\0", payouts[bad_currency["id"]].error)
        self.assertEqual(self.amazon.sudo().payouts_imported_until, datetime(2024, 3, 9, 6, 0, 0))

    def test_future_dated_payout_does_not_move_the_mark(self):
        """A payout dated in 2099 is parked (never booked in the future) and the mark stays at
        the time of the reading; a mark an earlier reading left in the future is brought back,
        so the payouts of the last days are read again."""
        refs, orders = self.shipped_orders("amazon", 3, tax_rate=0.2)
        by_ref = {order.ecom_external_ref: order for order in orders}
        good = self.app.seed_payout([refs[0]], date="2024-03-09T06:00:00Z")
        future = self.app.seed_payout([refs[1]], date="2099-01-01T00:00:00Z")
        channel = self.amazon.with_user(self.billing)
        before = fields.Datetime.now().replace(microsecond=0)
        channel.action_import_payouts()
        after = fields.Datetime.now()
        mark = self.amazon.sudo().payouts_imported_until
        self.assertTrue(before <= mark <= after, mark)
        payouts = {p.external_ref: p for p in self.payouts()}
        self.assertEqual(payouts[good["id"]].state, "settled", payouts[good["id"]].error)
        parked = payouts[future["id"]]
        self.assertEqual(parked.state, "parked")
        self.assertIn("in the future", parked.error)
        self.assertFalse(parked.move_id)
        self.assertEqual(by_ref[refs[1]].invoice_ids.payment_state, "not_paid")
        # retried as it is, it fails again on its date
        parked.with_user(self.billing).action_retry()
        self.assertEqual(parked.state, "error")
        self.assertIn("in the future", parked.error)
        self.assertFalse(parked.move_id)
        # a mark poisoned by an earlier reading (2099) does not hide today's payout
        self.amazon.sudo().payouts_imported_until = "2099-01-01 00:00:00"
        recent = self.app.seed_payout([refs[2]])
        channel.action_import_payouts()
        self.assertIn(recent["id"], self.payouts().mapped("external_ref"))
        self.assertLessEqual(self.amazon.sudo().payouts_imported_until, fields.Datetime.now())

    def test_payout_in_unknown_currency_is_parked(self):
        """A payout in a currency Odoo does not know is not booked in the channel's currency:
        it is parked, the others are settled."""
        refs, __ = self.shipped_orders("amazon", 2, tax_rate=0.2)
        good = self.app.seed_payout([refs[0]], date="2024-03-08T06:00:00Z")
        odd = self.app.seed_payout([refs[1]], date="2024-03-09T06:00:00Z")
        self.app.event_groups[odd["id"]][0]["OriginalTotal"]["CurrencyCode"] = "XTS"
        self.amazon.with_user(self.billing).action_import_payouts()
        payouts = {p.external_ref: p for p in self.payouts()}
        self.assertEqual(payouts[good["id"]].state, "settled", payouts[good["id"]].error)
        self.assertEqual(payouts[odd["id"]].state, "parked")
        self.assertIn("XTS", payouts[odd["id"]].error)
        self.assertTrue(payouts[odd["id"]].line_ids, "read with its lines, for the accountant")

    def test_payout_read_with_problems_is_parked(self):
        """A payout the reader could not fully read (its transfer date is 'yesterday') is
        parked with the reader's problems and its lines, never settled; the others are."""
        refs, orders = self.shipped_orders("amazon", 2, tax_rate=0.2)
        by_ref = {order.ecom_external_ref: order for order in orders}
        odd = self.app.seed_payout([refs[0]], date="2024-03-08T06:00:00Z")
        good = self.app.seed_payout([refs[1]], date="2024-03-09T06:00:00Z")
        self.app.event_groups[odd["id"]][0]["FundTransferDate"] = "yesterday"
        self.amazon.with_user(self.billing).action_import_payouts()
        payouts = {p.external_ref: p for p in self.payouts()}
        self.assertEqual(payouts[good["id"]].state, "settled", payouts[good["id"]].error)
        parked = payouts[odd["id"]]
        self.assertEqual(parked.state, "parked")
        self.assertIn("yesterday", parked.error)
        self.assertEqual(parked.line_ids.sale_order_id, by_ref[refs[0]])
        self.assertFalse(parked.move_id)
        self.assertEqual(by_ref[refs[0]].invoice_ids.payment_state, "not_paid")
        self.assertEqual(self.amazon.sudo().payouts_imported_until, datetime(2024, 3, 9, 6, 0, 0))

    def test_payout_listed_twice_is_stored_once(self):
        """The channel lists the same payout twice in one answer (pages overlapping): it is
        stored and settled once, and the import goes on."""
        refs, orders = self.shipped_orders("amazon", 1, tax_rate=0.2)
        seeded = self.app.seed_payout(refs, date="2024-03-09T06:00:00Z")
        self.app.event_groups["duplicate"] = self.app.event_groups[seeded["id"]]
        action = self.amazon.with_user(self.billing).action_import_payouts()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        payout = self.payouts()
        self.assertEqual(payout.external_ref, seeded["id"])
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(orders.invoice_ids.payment_state, "paid")

    # ------------------------------------------------------------------
    # Scheduled import
    # ------------------------------------------------------------------

    def test_cron_settles_with_its_own_rights(self):
        """The scheduled import settles and reconciles payouts whoever it runs as (here a user
        with no right on channels or accounting): one job per channel due, never twice."""
        refs, orders = self.shipped_orders("amazon", 2, tax_rate=0.2)
        by_ref = {order.ecom_external_ref: order for order in orders}
        seeded = self.app.seed_payout(refs[:1], date="2024-03-09T06:00:00Z")
        st_line = self.bank_line(seeded["amount"])
        payout_channels = self.env["ecom.channel"].search(
            [("api_base_url", "!=", False), ("channel_type", "in", ("amazon", "shopify", "ebay"))]
        )
        self.assertEqual(sorted(self.run_payout_cron()), sorted(payout_channels.ids))
        payout = self.payouts()
        self.assertEqual(payout.state, "reconciled", payout.error)
        self.assertEqual(payout.statement_line_id, st_line)
        self.assertEqual(by_ref[refs[0]].invoice_ids.payment_state, "paid")
        self.assertTrue(all(payout_channels.sudo().mapped("payouts_checked_at")))
        # read again within the hour: nothing is due
        self.assertEqual(self.run_payout_cron(), [])
        # the next payout, imported by the cron's method run as a plain internal user
        plain = new_test_user(self.env, "ecom_acc_plain", groups="base.group_user")
        seeded = self.app.seed_payout(refs[1:], date="2024-03-10T06:00:00Z")
        self.amazon.sudo().payouts_checked_at = fields.Datetime.now() - timedelta(hours=2)
        self.assertEqual(self.run_payout_cron(user=plain), self.amazon.ids)
        payout = self.payouts().filtered(lambda p: p.external_ref == seeded["id"])
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(by_ref[refs[1]].invoice_ids.payment_state, "paid")

    def test_cron_logs_a_failing_channel_and_goes_on(self):
        """A channel whose import fails unexpectedly is rolled back: its job fails (a dead
        letter with the reason, for Retry); the other channels' jobs go on."""
        if "shopify" not in self.channel_types:
            self.skipTest("the Shopify client is needed")
        refs, orders = self.shipped_orders("shopify", 1, tax_rate=0.2, taxes_included=True)
        self.emulator.apps["shopify"].seed_payout(refs, date="2024-03-09T06:00:00Z")
        self.seed_charge_payout(25.0, "2024-03-09T06:00:00Z")
        Payout = type(self.env["ecom.payout"])
        original = Payout._import_remote_payouts
        amazon = self.amazon

        def failing(payouts, channel, remote_payouts):
            if channel == amazon:
                raise RuntimeError("unexpected failure")
            return original(payouts, channel, remote_payouts)

        with (
            patch.object(Payout, "_import_remote_payouts", failing),
            mute_logger("odoo.addons.ecom_accounting.models.ecom_channel"),
        ):
            self.run_payout_cron()
        self.assertFalse(self.payouts())
        self.assertEqual(
            self.amazon.sudo().payouts_imported_until, datetime(2024, 3, 1), "rolled back"
        )
        self.assertEqual(len(self.failed_jobs), 1)
        self.assertEqual(self.failed_jobs[0][0], amazon)
        self.assertIn("RuntimeError", self.failed_jobs[0][1])
        shopify_payout = self.payouts(self.channels["shopify"])
        self.assertEqual(shopify_payout.state, "settled", shopify_payout.error)
        self.assertEqual(orders.invoice_ids.payment_state, "paid")

    def test_payout_job_failed_for_good_is_in_the_sync_log(self):
        """When queue_job marks a payout import job failed (after its transaction, with its
        sync log line, was rolled back), the reason goes to the channel's sync log and the
        try counts as a check; a job postponed or queued again writes nothing."""
        channel = self.amazon.sudo()
        channel.payouts_checked_at = False
        job = channel._ecom_delay()._ecom_job_import_payouts().db_record()
        Log = self.env["ecom.sync.log"].sudo()
        domain = [("channel_id", "=", channel.id), ("operation", "=", "import payouts")]
        before = Log.search(domain)
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write({"state": "pending"})
        self.assertEqual(Log.search(domain), before)
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write(
            {
                "state": "failed",
                "exc_name": "EcomJobFailed",
                "exc_message": "Amazon refused the token (HTTP 403)",
            }
        )
        line = Log.search(domain) - before
        self.assertEqual(len(line), 1)
        self.assertEqual(line.status, "error")
        self.assertIn("Amazon refused the token (HTTP 403)", line.message)
        self.assertTrue(channel.payouts_checked_at)

    def test_cron_books_in_the_channel_company(self):
        """A channel of another company: the cron (running in the main company) books its
        payout in that company, on its accounts and journal."""
        other = self.env["res.company"].create(
            {"name": "Other Retail Ltd", "currency_id": self.env.ref("base.GBP").id}
        )
        Account = self.env["account.account"]
        fee_account = Account.create(
            {
                "name": "Other marketplace fees",
                "code": "620901",
                "account_type": "expense",
                "company_ids": [Command.set(other.ids)],
            }
        )
        clearing = Account.create(
            {
                "name": "Other marketplace receivable",
                "code": "101901",
                "account_type": "asset_current",
                "reconcile": True,
                "company_ids": [Command.set(other.ids)],
            }
        )
        journal = self.env["account.journal"].create(
            {"name": "Other misc", "code": "OMSC", "type": "general", "company_id": other.id}
        )
        source = self.amazon.sudo()
        channel = (
            self.env["ecom.channel"]
            .with_company(other)
            .create(
                {
                    "name": "Other Amazon",
                    "channel_type": "amazon",
                    "company_id": other.id,
                    "currency_id": source.currency_id.id,
                    "api_base_url": source.api_base_url,
                    "api_key": source.api_key,
                    "api_secret": source.api_secret,
                    "access_token": source.access_token,
                    "refresh_token": source.refresh_token,
                    "token_url": source.token_url,
                    "account_ref": source.account_ref,
                    "timeout_seconds": 2.0,
                    "fee_account_id": fee_account.id,
                    "clearing_account_id": clearing.id,
                    "settlement_journal_id": journal.id,
                    "payouts_imported_until": "2024-03-01 00:00:00",
                }
            )
        )
        group_id, amount = self.seed_charge_payout(25.0, "2024-03-09T06:00:00Z")
        self.assertEqual(amount, -25.0)
        self.run_payout_cron()
        payout = self.payouts(channel)
        self.assertEqual(payout.external_ref, group_id)
        self.assertEqual(payout.state, "settled", payout.error)
        self.assertEqual(payout.company_id, other)
        self.assertEqual(payout.move_id.company_id, other)
        self.assertEqual(payout.move_id.journal_id, journal)
        self.assertEqual(payout.move_id.line_ids.account_id, fee_account | clearing)
        # the main company's channel books the same charge in its own company
        main = self.payouts()
        self.assertEqual(main.state, "settled", main.error)
        self.assertEqual(main.move_id.company_id, self.env.company)
        # the billing user of the main company does not see the other company's payout
        self.assertNotIn(payout, self.env["ecom.payout"].with_user(self.billing).search([]))
