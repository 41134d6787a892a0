# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.ecom_channels.ecom_channels_core import registry
from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS, JOB_MAX_RETRY_WAIT

from ..ecom_accounting_core.payouts import PayoutMismatch, PayoutsNotSupported
from .ecom_payout import printable

_logger = logging.getLogger(__name__)

#: The package of the payout readers that the channel-type registry names (``payouts``).
PAYOUT_PACKAGE = "odoo.addons.ecom_accounting.ecom_accounting_core"
#: How far before the last payout mark each import reads again.
PAYOUT_OVERLAP = timedelta(days=2)
#: The cron reads the payouts of the channels not checked for this long.
PAYOUT_RECHECK = timedelta(hours=1)
#: Who may import, settle and match payouts and choose a channel's accounts, journals and taxes.
BILLING_GROUP = "account.group_account_invoice"
#: Who may read the accounting settings of a channel and its payouts.
ACCOUNTING_READ_GROUPS = "account.group_account_invoice,account.group_account_readonly"
#: Fields of ecom.channel that only billing users may set: they decide what is posted, on which
#: accounts and journals, with which taxes.
ACCOUNTING_FIELDS = frozenset(
    {
        "invoice_policy",
        "prices_include_tax",
        "tax_rounding_method",
        "sale_tax_id",
        "fee_account_id",
        "clearing_account_id",
        "settlement_journal_id",
        "payout_journal_id",
        "fee_partner_id",
        "payouts_imported_until",
        "payouts_checked_at",
    }
)


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    invoice_policy = fields.Selection(
        [("ship", "When Shipped"), ("import", "When Imported"), ("manual", "Manually")],
        default="ship",
        required=True,
        help="When the customer invoice of a channel order is created and posted: when its "
        "delivery is validated, as soon as it is imported, or by hand. An invoice whose total "
        "differs from the channel's is left in draft for an accountant to check. Set by billing "
        "users.",
    )
    prices_include_tax = fields.Boolean(
        default=True,
        help="Whether the channel's prices and shipping charges include tax, for channels whose "
        "orders do not say it (Amazon and eBay in Europe: yes). Shopify and WooCommerce orders "
        "say it themselves. Set by billing users.",
    )
    sale_tax_id = fields.Many2one(
        "account.tax",
        "Sales Tax",
        check_company=True,
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        domain=[("type_tax_use", "=", "sale")],
        help="Tax of every line of the channel's orders; empty: the product's own taxes. Its "
        "tax-included or tax-excluded twin is used as each order reports its prices.",
    )
    team_id = fields.Many2one(
        "crm.team",
        "Sales Team",
        check_company=True,
        help="Sales team of the channel's orders and invoices, so that sales and invoicing "
        "reports split by channel.",
    )
    fee_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        domain=[("account_type", "in", ("expense", "expense_direct_cost"))],
        help="Expense account of the marketplace's fees.",
    )
    clearing_account_id = fields.Many2one(
        "account.account",
        "Marketplace Receivable",
        check_company=True,
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        domain=[("reconcile", "=", True), ("account_type", "=", "asset_current")],
        help="Reconcilable account holding what the marketplace owes until its payout reaches "
        "the bank.",
    )
    settlement_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        domain=[("type", "=", "general")],
        help="Journal of the entries that settle the invoices and fees of each payout.",
    )
    payout_journal_id = fields.Many2one(
        "account.journal",
        "Payout Bank Journal",
        check_company=True,
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        domain=[("type", "=", "bank")],
        help="Bank journal whose statement lines receive the channel's payouts.",
    )
    fee_partner_id = fields.Many2one(
        "res.partner",
        "Marketplace Partner",
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        help="Partner of the fee and payout journal items (the marketplace as a vendor).",
    )
    payouts_imported_until = fields.Datetime(
        copy=False,
        groups=ACCOUNTING_READ_GROUPS,
        help="Date (UTC) of the newest payout read from the channel, never after the time it "
        "was read.",
    )
    payouts_checked_at = fields.Datetime(
        "Payouts Last Read",
        copy=False,
        readonly=True,
        groups=ACCOUNTING_READ_GROUPS,
        help="When the channel's payouts were last read (by hand or by the scheduled import).",
    )
    payout_ids = fields.One2many("ecom.payout", "channel_id", groups=ACCOUNTING_READ_GROUPS)
    payout_count = fields.Integer(compute="_compute_payout_count", groups=ACCOUNTING_READ_GROUPS)
    has_payout_api = fields.Boolean(
        compute="_compute_has_payout_api", help="The channel type's payouts can be read by API."
    )

    @api.depends("channel_type")
    def _compute_has_payout_api(self):
        readable = {c for c, t in registry.TYPES.items() if t.payouts}
        for channel in self:
            channel.has_payout_api = channel.channel_type in readable

    def _compute_payout_count(self):
        counts = dict(
            self.env["ecom.payout"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        for channel in self:
            channel.payout_count = counts.get(channel, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ecom_check_accounting_write(vals)
        channels = super().create(vals_list)
        channels._ecom_ensure_team()
        return channels

    def write(self, vals):
        self._ecom_check_accounting_write(vals)
        return super().write(vals)

    def copy_data(self, default=None):
        """A channel duplicated by a user who may not set its accounting gets the default
        accounting settings (the accounts, journals and taxes are not copied anyway)."""
        vals_list = super().copy_data(default)
        if not (self.env.su or self.env.user.has_group(BILLING_GROUP)):
            for vals in vals_list:
                for name in ACCOUNTING_FIELDS.difference(default or {}):
                    vals.pop(name, None)
        return vals_list

    @api.model
    def _ecom_check_accounting_write(self, vals):
        """The accounting settings of a channel (what is posted, on which accounts, journals and
        taxes) are set by billing users only; billing users who do not manage channels may set
        nothing else (they can write channels for these settings only)."""
        if self.env.su:
            return
        user = self.env.user
        accounting = sorted(ACCOUNTING_FIELDS.intersection(vals))
        if accounting and not user.has_group(BILLING_GROUP):
            raise AccessError(
                self.env._(
                    "Only billing users (Accounting / Billing) may change the accounting settings "
                    "of a channel: %(fields)s.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env) for name in accounting
                    ),
                )
            )
        others = sorted(set(vals) - ACCOUNTING_FIELDS)
        if others and not user.has_group("ecom_channels.ecom_channels_group_manager"):
            raise AccessError(
                self.env._(
                    "Only channel managers may change %(fields)s on a channel.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        if name in self._fields
                        else name
                        for name in others
                    ),
                )
            )

    def _ecom_ensure_team(self):
        """Give each channel without one its own sales team (created with superuser rights:
        the channel manager may not manage sales teams)."""
        channels = self.filtered(lambda c: not c.team_id)
        teams = (
            self.env["crm.team"]
            .sudo()
            .create([{"name": c.name, "company_id": c.company_id.id} for c in channels])
        )
        for channel, team in zip(channels, teams, strict=True):
            channel.team_id = team.sudo(False)

    # ------------------------------------------------------------------
    # Rights
    # ------------------------------------------------------------------

    @api.model
    def _ecom_check_billing(self, action):
        """Raise AccessError unless the user is a billing user (Accounting / Billing or above).
        ``action`` says what was refused. Code running with superuser rights (the scheduled
        payout import) passes: it checks nothing on behalf of a user."""
        if self.env.su or self.env.user.has_group(BILLING_GROUP):
            return
        raise AccessError(
            self.env._(
                "Only billing users (Accounting / Billing) may %(action)s.",
                action=action,
            )
        )

    # ------------------------------------------------------------------
    # Sync log
    # ------------------------------------------------------------------

    def _ecom_log_sync(self, operation, status, message, record=None, payload=None):
        """A sync log line of the channel, written as the system (sync logs are not written by
        users), linked to ``record`` (an order, an invoice, a payout) when given."""
        self.ensure_one()
        Log = self.env["ecom.sync.log"]
        vals = Log._vals(self, operation, status, message, payload)
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        return Log._create_logs([vals])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_import_payouts(self):
        """Read the channel's new payouts now."""
        self.ensure_one()
        self._ecom_check_billing(self.env._("import payouts"))
        self.env["ecom.payout"].check_access("create")
        result = self.with_company(self.company_id)._import_payouts()
        if result.get("error"):
            return self._notification(
                self.env._("Payout import failed"), result["error"], kind="danger", sticky=True
            )
        failed = len(result["failed"]) + len(result["parked"])
        return self._notification(
            self.env._("Payouts imported"),
            self.env._(
                "%(read)s payouts read, %(created)s new, %(reconciled)s reconciled with the "
                "bank, %(failed)s to look at.",
                read=result["read"],
                created=len(result["created"]),
                reconciled=len(result["reconciled"]),
                failed=failed,
            ),
            kind="warning" if failed else "success",
        )

    def action_view_payouts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_accounting.ecom_payout_action")
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    @api.model
    def _cron_import_payouts(self):
        """Queue the payout import of the channels with a payout API not read for an hour: one
        job per channel, in the channel's own job channel (it calls the channel's API), never
        twice while one waits; crons only enqueue. Each job runs with superuser rights, in the
        company of its channel (``_ecom_job_import_payouts``)."""
        now = fields.Datetime.now()
        due = self.sudo().search(
            [
                ("api_base_url", "!=", False),
                ("channel_type", "in", [c for c, t in registry.TYPES.items() if t.payouts]),
                "|",
                ("payouts_checked_at", "=", False),
                ("payouts_checked_at", "<", now - PAYOUT_RECHECK),
            ],
            order="payouts_checked_at asc nulls first, id",
        )
        for channel in due:
            channel._ecom_delay(
                description=self.env._("Import the payouts of %(channel)s", channel=channel.name)
            )._ecom_job_import_payouts()

    def _ecom_job_import_payouts(self):
        """Job: import the payouts of this channel (see ``_import_payouts``), as the system,
        in the channel's company. A channel that cannot be read follows the job engine's
        retry rule (later under a quota or after a server error; failed at once when the
        channel refuses); a payout that cannot be settled is kept in error and never fails
        the job."""
        self.ensure_one()
        channel = self.sudo().with_company(self.sudo().company_id)
        try:
            with self.env.cr.savepoint():  # a database error is undone: the reason is kept
                result = channel._import_payouts(raise_errors=True)
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            channel._ecom_job_error(exc)
        if result.get("error"):
            # payouts the channel gave but that cannot be read are an error line in the sync
            # log (kept: failing the job would roll it back), not a transport failure to retry
            return result["error"]
        _logger.info("payout import of channel %s: %s read", channel.id, result.get("read"))
        return self.env._(
            "%(read)s payouts read, %(created)s new, %(reconciled)s reconciled with the bank.",
            read=result["read"],
            created=len(result["created"]),
            reconciled=len(result["reconciled"]),
        )

    def _ecom_payout_job_state(self, job):
        """A payout import job that failed for good (queue_job writes it after the job's
        transaction was rolled back, its own sync log line with it): the reason goes to the
        channel's sync log, and the failed try counts as a check (the next one comes after
        ``PAYOUT_RECHECK``, not at every cron run)."""
        if job.state != "failed":
            return
        for channel in self:  # as the system (the job-state hook)
            channel._ecom_log_sync(
                "import payouts",
                "error",
                self.env._(
                    "The payout import failed: %(error)s (see Failed sync jobs to retry it).",
                    error=job.exc_message or job.exc_name or "?",
                ),
            )
            channel.payouts_checked_at = fields.Datetime.now()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _ecom_tax_variant(self, taxes, included):
        """``taxes`` with their price-included flag set to ``included``: the same tax (amount,
        type, group) from the company's taxes, created when the company has none."""
        result = self.env["account.tax"]
        Tax = self.env["account.tax"].sudo()
        for tax in taxes:
            if tax.price_include == included or tax.amount_type not in ("percent", "division"):
                result |= tax
                continue
            twin = Tax.search(
                [
                    ("company_id", "=", tax.company_id.id),
                    ("type_tax_use", "=", tax.type_tax_use),
                    ("amount_type", "=", tax.amount_type),
                    ("amount", "=", tax.amount),
                    ("tax_group_id", "=", tax.tax_group_id.id),
                    ("price_include", "=", included),
                ],
                limit=1,
            )
            if not twin:
                twin = tax.sudo().copy(
                    {
                        "name": "%s (%s)"
                        % (tax.name, self.env._("incl.") if included else self.env._("excl.")),
                        "price_include_override": "tax_included" if included else "tax_excluded",
                    }
                )
            result |= twin.sudo(False)
        return result

    def _ecom_line_taxes(self, remote, product, line=None):
        """Taxes of an order line of ``product`` (``line`` None: the shipping line): the
        channel's tax or the product's, priced as the order reports its prices (tax included or
        not). A channel that reports its taxes (Shopify, WooCommerce) and reports none on this
        line sold it without tax."""
        self.ensure_one()
        if remote.prices_include_tax is not None:
            reported = (
                line.tax_amount
                if line is not None
                else remote.tax_amount - sum(item.tax_amount for item in remote.lines)
            )
            if round(reported, 2) == 0.0:
                return self.env["account.tax"]
        # the channel's tax is an accounting setting (read by accountants); whoever imports
        # the orders applies it
        taxes = self.sudo().sale_tax_id.with_env(self.env) or product.taxes_id.filtered(
            lambda t: t.company_id == self.company_id
        )
        included = remote.prices_include_tax
        if included is None:
            included = self.prices_include_tax
        return self._ecom_tax_variant(taxes, included)

    def _ecom_payout_config_problems(self):
        self.ensure_one()
        labels = {
            "fee_account_id": self.env._("a fee account"),
            "clearing_account_id": self.env._("a marketplace receivable account"),
            "settlement_journal_id": self.env._("a settlement journal"),
        }
        return [label for name, label in labels.items() if not self[name]]

    def _import_payouts(self, raise_errors=False):
        """Read the payouts since the last mark (minus an overlap), store the new ones, settle
        them, settle again those that failed before, and match the settled ones with the bank.
        A payout that cannot be stored or settled is kept (in error, or parked) and never stops
        the others; the mark moves on, never past the time of the reading. When the channel
        cannot be read: the error in the result, or raised (a ChannelError) with
        ``raise_errors`` (a job: its retry rule decides)."""
        self.ensure_one()
        self._ecom_check_billing(self.env._("import payouts"))
        now = fields.Datetime.now()
        # a mark left in the future by an earlier reading is brought back to now
        mark = self.payouts_imported_until and min(self.payouts_imported_until, now)
        since = mark - PAYOUT_OVERLAP if mark else None
        self.sudo().payouts_checked_at = now
        api = registry.payout_module(self.channel_type, PAYOUT_PACKAGE)
        try:
            if api is None:
                raise PayoutsNotSupported(
                    self.env._("%(type)s has no payout API.", type=self.channel_type)
                )
            wait = JOB_MAX_RETRY_WAIT if raise_errors else None
            with self._get_client(max_retry_wait=wait) as client:
                remote_payouts = list(api.fetch_payouts(client, since=since))
        except ChannelError as exc:
            if raise_errors:
                raise
            self._ecom_log_sync("import payouts", "error", exc.message, payload=exc.payload)
            return {"error": exc.message}
        except (
            PayoutsNotSupported,
            PayoutMismatch,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            message = self.env._("Payouts could not be read: %(error)s", error=printable(exc))
            self._ecom_log_sync("import payouts", "error", message)
            return {"error": message}
        Payout = self.env["ecom.payout"]
        waiting = Payout.search([("channel_id", "=", self.id), ("state", "=", "error")])
        result = Payout._import_remote_payouts(self, remote_payouts)
        # payouts that failed before (an order not imported or not invoiced yet...) are tried
        # again until they settle or are parked
        result["retried"] = waiting
        for payout in waiting:
            if not payout._settle_logged():
                result["failed" if payout.state == "error" else "parked"] |= payout
        settled = Payout.search([("channel_id", "=", self.id), ("state", "=", "settled")])
        result["reconciled"] = settled._match_bank()
        dates = [p.date for p in remote_payouts if isinstance(p.date, datetime)]
        newest = max(dates + ([mark] if mark else []), default=None)
        if newest and min(newest, now) != self.payouts_imported_until:
            self.sudo().payouts_imported_until = min(newest, now)
        if remote_payouts or result["failed"] or result["parked"]:
            problems = len(result["failed"]) + len(result["parked"])
            self._ecom_log_sync(
                "import payouts",
                "warning" if problems else "ok",
                self.env._(
                    "%(read)s payouts read: %(created)s new, %(retried)s tried again, "
                    "%(failed)s in error, %(parked)s parked, %(reconciled)s reconciled with the "
                    "bank.",
                    read=result["read"],
                    created=len(result["created"]),
                    retried=len(waiting),
                    failed=len(result["failed"]),
                    parked=len(result["parked"]),
                    reconciled=len(result["reconciled"]),
                ),
            )
        return result

    def _check_payout_config(self):
        problems = self._ecom_payout_config_problems()
        if problems:
            raise UserError(
                self.env._(
                    "Channel %(channel)s needs %(missing)s to settle its payouts "
                    "(Channels > Configuration > Channels, Accounting tab).",
                    channel=self.display_name,
                    missing=", ".join(problems),
                )
            )
