# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import dataclasses
import json
import logging
import math
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ecom_channels.ecom_channels_core.redact import excerpt, redact

_logger = logging.getLogger(__name__)

#: How many days a bank statement line may be dated before or after the payout it is.
BANK_DATE_TOLERANCE = 7
#: Failed settlements after which a payout is parked: no more automatic attempts, Retry by hand.
PAYOUT_MAX_ATTEMPTS = 5
#: How far after now a payout may be dated (time zones) before its date is taken as wrong.
FUTURE_TOLERANCE = timedelta(days=1)
#: Longest channel text (reference, error) stored as read.
TEXT_LIMIT = 2000


def printable(value, limit=TEXT_LIMIT):
    """``value`` as text that PostgreSQL stores (no NUL character), cut to ``limit``."""
    text = str(value if value is not None else "").replace("\x00", "\\0")
    return text if len(text) <= limit else text[:limit] + "..."


def searchable(values):
    """The distinct texts among ``values`` that a database search can take (no NUL)."""
    return sorted({v for v in values if v and isinstance(v, str) and "\x00" not in v})


class EcomPayout(models.Model):
    _name = "ecom.payout"
    _description = "Channel Payout"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    channel_id = fields.Many2one(
        "ecom.channel", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, precompute=True
    )
    external_ref = fields.Char("Payout Reference", required=True, index=True, readonly=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary("Paid to Bank", required=True, tracking=True)
    gross_amount = fields.Monetary("Sales", compute="_compute_amounts", store=True)
    fee_amount = fields.Monetary("Fees", compute="_compute_amounts", store=True)
    difference = fields.Monetary(
        compute="_compute_amounts",
        store=True,
        help="Amount paid minus sales plus fees: what the lines leave unexplained.",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("settled", "Settled"),
            ("reconciled", "Reconciled"),
            ("error", "Error"),
            ("parked", "Parked"),
        ],
        default="new",
        required=True,
        index=True,
        tracking=True,
        help="Settled: its entry pays the invoices and records the fees. Reconciled: the bank "
        "statement line of the payout is matched with it. Error: it could not be settled yet "
        "and is tried again at each import. Parked: the channel sent it with problems, or it "
        "failed too many times; it waits for an accountant (Retry).",
    )
    error = fields.Text("Last Error", readonly=True, copy=False)
    attempt_count = fields.Integer(
        "Attempts",
        readonly=True,
        copy=False,
        help="Failed settlements since it was imported or last retried by hand; at "
        "%s the payout is parked." % PAYOUT_MAX_ATTEMPTS,
    )
    raw_payload = fields.Text(
        "Channel Data",
        readonly=True,
        copy=False,
        help="The payout as the channel sent it, credentials removed, kept when it could not "
        "be imported as is.",
    )
    line_ids = fields.One2many("ecom.payout.line", "payout_id", "Lines")
    move_id = fields.Many2one(
        "account.move", "Settlement Entry", readonly=True, copy=False, check_company=True
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        "Bank Statement Line",
        readonly=True,
        copy=False,
        check_company=True,
    )
    invoice_ids = fields.Many2many(
        "account.move", compute="_compute_invoice_ids", string="Invoices"
    )

    _sql_constraints = [
        (
            "channel_external_ref_uniq",
            "unique(channel_id, external_ref)",
            "A payout is imported once per channel.",
        )
    ]

    @api.depends("channel_id.name", "external_ref")
    def _compute_name(self):
        for payout in self:
            payout.name = "%s %s" % (payout.channel_id.name or "", payout.external_ref or "")

    @api.depends("amount", "line_ids.amount", "line_ids.fee")
    def _compute_amounts(self):
        for payout in self:
            gross = sum(payout.line_ids.mapped("amount"))
            fees = sum(payout.line_ids.mapped("fee"))
            payout.gross_amount = gross
            payout.fee_amount = fees
            payout.difference = payout.currency_id.round(payout.amount - gross + fees)

    @api.depends("line_ids.invoice_id")
    def _compute_invoice_ids(self):
        for payout in self:
            payout.invoice_ids = payout.line_ids.invoice_id

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_billing(self, action):
        self.env["ecom.channel"]._ecom_check_billing(action)

    def action_settle(self):
        """Post the settlement entry of these payouts (invoices paid, fees recorded) and match
        them with the bank."""
        self._check_billing(self.env._("settle payouts"))
        self.check_access("write")
        for payout in self.filtered(lambda p: p.state in ("new", "error", "parked")):
            payout._settle_logged()
        self.filtered(lambda p: p.state == "settled")._match_bank()
        return True

    def action_retry(self):
        """Parked payouts (or payouts in error): count the attempts from zero and settle them
        now; they are tried again automatically if this fails."""
        self._check_billing(self.env._("settle payouts"))
        self.check_access("write")
        self.filtered(lambda p: p.state in ("error", "parked")).write({"attempt_count": 0})
        return self.action_settle()

    def action_match_bank(self):
        """Look for the bank statement line of these payouts and reconcile it."""
        self._check_billing(self.env._("match payouts with the bank"))
        self.check_access("write")
        matched = self.filtered(lambda p: p.state == "settled")._match_bank()
        if len(self) == 1 and self.state == "settled" and not matched:
            raise UserError(
                self.env._(
                    "No unreconciled bank statement line of %(amount)s dated within %(days)s days "
                    "of %(date)s was found in the payout bank journal.",
                    amount=self.amount,
                    days=BANK_DATE_TOLERANCE,
                    date=self.date,
                )
            )
        return True

    def action_view_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    @api.model
    def _import_remote_payouts(self, channel, remote_payouts):
        """Store the payouts of ``channel`` not seen yet, each in its own savepoint, and settle
        them. Return ``{"read": n, "created": payouts, "failed": payouts in error, "parked":
        payouts parked}``; one payout that cannot be stored or settled never stops the
        others."""
        self._check_billing(self.env._("import payouts"))
        # the reference as stored: a NUL character in it cannot be
        keyed = [
            (printable(p.external_ref, 255) if p.external_ref else "", p) for p in remote_payouts
        ]
        seen = set(
            self.search(
                [
                    ("channel_id", "=", channel.id),
                    ("external_ref", "in", [r for r, _p in keyed if r]),
                ]
            ).mapped("external_ref")
        )
        result = {
            "read": len(remote_payouts),
            "created": self.browse(),
            "failed": self.browse(),
            "parked": self.browse(),
        }
        new = []
        for ref, remote in keyed:
            if not ref:
                channel._ecom_log_sync(
                    "import payouts",
                    "error",
                    self.env._("A payout without reference was skipped."),
                    payload=self._remote_payload(channel, remote),
                )
            elif ref not in seen:  # a payout listed twice is stored once
                seen.add(ref)
                new.append(remote)
        # channel texts are looked up only when PostgreSQL can compare them (no NUL)
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", searchable(p.currency for p in new))])
        )
        by_code = {c.name: c for c in currencies}
        order_refs = searchable(line.order_ref for p in new for line in p.lines)
        # a technical lookup by channel reference: whoever reads payouts links them to the
        # channel's orders, even those of other salespeople
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("ecom_channel_id", "=", channel.id),
                    ("ecom_external_ref", "in", order_refs),
                ]
            )
        )
        order_by_ref = {o.ecom_external_ref: o.id for o in orders}
        for remote in new:
            payout = self._store_remote_payout(channel, remote, by_code, order_by_ref)
            if not payout:
                continue
            result["created"] |= payout
            if payout.state == "parked":
                continue
            if not payout._settle_logged():
                result["failed" if payout.state == "error" else "parked"] |= payout
        result["parked"] |= result["created"].filtered(lambda p: p.state == "parked")
        return result

    @api.model
    def _remote_payout_problems(self, remote, by_code):
        """What makes a payout read from a channel unfit to settle as it is: what the reader
        could not read in it, an unknown currency, a date in the future."""
        problems = [printable(problem) for problem in getattr(remote, "problems", None) or []]
        if remote.currency and (
            not isinstance(remote.currency, str) or remote.currency not in by_code
        ):
            problems.append(
                self.env._(
                    "its currency %(currency)s is not in Odoo: set the payout's currency before "
                    "settling it",
                    currency=printable(remote.currency, 20),
                )
            )
        if (
            isinstance(remote.date, datetime)
            and remote.date > fields.Datetime.now() + FUTURE_TOLERANCE
        ):
            problems.append(
                self.env._(
                    "it is dated %(date)s, in the future: check it on the channel and correct "
                    "its date",
                    date=remote.date,
                )
            )
        return problems

    @api.model
    def _remote_payout_vals(self, channel, remote, by_code, order_by_ref):
        currency = by_code.get(remote.currency) or channel.currency_id
        return {
            "channel_id": channel.id,
            "external_ref": printable(remote.external_ref, 255),
            "date": remote.date.date() if remote.date else fields.Date.context_today(self),
            "currency_id": currency.id,
            "amount": remote.amount,
            "line_ids": [
                fields.Command.create(
                    {
                        "kind": line.kind,
                        "order_ref": line.order_ref or False,
                        "sale_order_id": order_by_ref.get(line.order_ref, False),
                        "amount": line.amount,
                        "fee": line.fee,
                        "description": line.description
                        or ", ".join("%s %.2f" % item for item in sorted(line.fee_details.items()))
                        or False,
                    }
                )
                for line in remote.lines
            ],
        }

    @api.model
    def _parked_payout_vals(self, channel, remote):
        """A payout that could not be stored as read: its reference and what could be kept,
        without lines, parked for an accountant."""
        amount = remote.amount if isinstance(remote.amount, int | float) else 0.0
        date = remote.date if isinstance(remote.date, datetime) else None
        if date is None or date > fields.Datetime.now() + FUTURE_TOLERANCE:
            date = fields.Datetime.now()
        return {
            "channel_id": channel.id,
            "external_ref": printable(remote.external_ref, 255),
            "date": date.date(),
            "currency_id": channel.currency_id.id,
            "amount": amount if math.isfinite(amount) else 0.0,
            "state": "parked",
        }

    @api.model
    def _remote_payload(self, channel, remote):
        """The payout as the channel sent it and as it was read, as text without the channel's
        credentials."""
        try:
            data = {
                "payout": remote.raw,
                "lines": [dataclasses.asdict(line) for line in remote.lines],
            }
            text = json.dumps(data, default=str, sort_keys=True, indent=1)
        except (TypeError, ValueError):
            text = repr(remote)
        return excerpt(redact(printable(text, limit=20000), channel._secrets()))

    @api.model
    def _store_remote_payout(self, channel, remote, by_code, order_by_ref):
        """Create the payout read from the channel in its own savepoint. A payout read with
        problems is stored parked with them; one that cannot be stored as read is stored parked
        without its lines. Either is logged on the channel's sync log. Return the payout (empty
        when even that failed: it is then only in the sync log)."""
        problems = self._remote_payout_problems(remote, by_code)
        try:
            with self.env.cr.savepoint():
                vals = self._remote_payout_vals(channel, remote, by_code, order_by_ref)
                if problems:
                    vals["state"] = "parked"
                payout = self.create(vals)
        except Exception as exc:  # pylint: disable=broad-except
            _logger.warning(
                "payout %s of channel %s could not be stored: %s",
                printable(remote.external_ref, 100),
                channel.id,
                exc,
            )
            problems.append(
                self.env._("it could not be stored as read: %(error)s", error=printable(exc))
            )
            payout = self.browse()
        payload = self._remote_payload(channel, remote) if problems else False
        if not payout:
            try:
                with self.env.cr.savepoint():
                    payout = self.create(self._parked_payout_vals(channel, remote))
            except Exception as exc:  # pylint: disable=broad-except
                _logger.warning("payout of channel %s could not be stored: %s", channel.id, exc)
                problems.append(printable(exc))
        if not problems:
            return payout
        message = self.env._(
            "Payout %(payout)s is parked: %(problems)s.",
            payout=printable(remote.external_ref, 255),
            problems="; ".join(problems),
        )
        if payout:
            payout.write({"error": message, "raw_payload": payload})
        channel._ecom_log_sync(
            "import payouts", "error", message, record=payout or None, payload=payload
        )
        return payout

    # ------------------------------------------------------------------
    # Settlement
    # ------------------------------------------------------------------

    def _settle_logged(self):
        """Settle in a savepoint; on failure keep the payout in error with the reason (parked
        after PAYOUT_MAX_ATTEMPTS failures), on the record and in the channel's sync log.
        Return whether it was settled."""
        self.ensure_one()
        self._check_billing(self.env._("settle payouts"))
        try:
            with self.env.cr.savepoint():
                self._settle()
        except UserError as exc:
            message = exc.args[0]
        except Exception as exc:  # pylint: disable=broad-except
            _logger.exception("payout %s could not be settled", self.id)
            message = str(exc)
        else:
            return True
        message = printable(message)
        attempts = self.attempt_count + 1
        parked = attempts >= PAYOUT_MAX_ATTEMPTS
        self.write(
            {
                "state": "parked" if parked else "error",
                "error": message,
                "attempt_count": attempts,
            }
        )
        if parked:
            text = self.env._(
                "Payout %(payout)s failed %(attempts)s times and is parked: %(error)s",
                payout=self.external_ref,
                attempts=attempts,
                error=message,
            )
        else:
            text = self.env._(
                "Payout %(payout)s: %(error)s", payout=self.external_ref, error=message
            )
        self.channel_id._ecom_log_sync("settle payouts", "error", text, record=self)
        return False

    def _settlement_invoices(self, line):
        """The posted customer invoices (for a refund: credit notes, those made by reversing
        its invoices included) of a payout line."""
        invoices = line.sale_order_id.invoice_ids.filtered(lambda m: m.state == "posted")
        if line.kind != "refund":
            return invoices.filtered(lambda m: m.move_type == "out_invoice")
        reversals = self.env["account.move"].search(
            [("reversed_entry_id", "in", invoices.ids), ("state", "=", "posted")]
        )
        return (invoices | reversals).filtered(lambda m: m.move_type == "out_refund")

    def _settle(self):
        """Post the settlement entry: the order amounts credited to (refunds debited from) the
        customers' receivables and reconciled with their invoices, the fees on the channel's
        fee account, the net amount on the marketplace receivable, to be matched with the bank.
        Raise UserError when something is missing."""
        self.ensure_one()
        self._check_billing(self.env._("settle payouts"))
        # the orders and invoices are read whoever settles (a billing user may not read sales
        # orders); the entry is created with superuser rights in the payout's company, by a
        # billing user or the scheduled import only
        lines = self.sudo().line_ids
        channel = self.channel_id
        channel._check_payout_config()
        if self.date > fields.Date.context_today(self) + FUTURE_TOLERANCE:
            raise UserError(
                self.env._(
                    "The payout is dated %(date)s, in the future: correct its date first.",
                    date=self.date,
                )
            )
        lines._link_orders()
        if not self.currency_id.is_zero(self.difference):
            raise UserError(
                self.env._(
                    "The lines add up to %(net)s but the payout is %(amount)s.",
                    net=self.gross_amount - self.fee_amount,
                    amount=self.amount,
                )
            )
        missing = [
            line.order_ref or line.description or line.kind
            for line in lines
            if line.kind in ("order", "refund") and line.amount and not line.sale_order_id
        ]
        if missing:
            raise UserError(
                self.env._(
                    "No channel order was imported for %(refs)s: import the orders first.",
                    refs=", ".join(missing),
                )
            )
        company = self.company_id
        Move = self.env["account.move"].sudo().with_company(company)
        line_cmds, to_reconcile = [], []
        fee_partner = channel.fee_partner_id
        for line in lines:
            invoices = self._settlement_invoices(line) if line.amount else Move.browse()
            if line.amount:
                if line.kind == "order" and not invoices:
                    raise UserError(
                        self.env._(
                            "Order %(order)s has no posted invoice to settle yet.",
                            order=line.sale_order_id.name,
                        )
                    )
                partner = (invoices[:1] or line.sale_order_id).partner_id.commercial_partner_id
                account = (
                    invoices[:1]
                    .line_ids.filtered(lambda ml: ml.account_id.account_type == "asset_receivable")[
                        :1
                    ]
                    .account_id
                    or partner.with_company(company).property_account_receivable_id
                )
                line_cmds.append(
                    self._line_vals(
                        self.env._(
                            "%(order)s paid through %(payout)s",
                            order=line.sale_order_id.name,
                            payout=self.name,
                        ),
                        account,
                        -line.amount,
                        partner,
                    )
                )
                to_reconcile.append((len(line_cmds) - 1, invoices, account))
            if line.fee:
                vals = self._line_vals(
                    self.env._(
                        "Fees %(what)s", what=line.sale_order_id.name or line.description or ""
                    ),
                    channel.fee_account_id,
                    line.fee,
                    fee_partner,
                )
                vals["ecom_fee"] = True
                line_cmds.append(vals)
        line_cmds.append(
            self._line_vals(
                self.env._("Payout %(payout)s", payout=self.name),
                channel.clearing_account_id,
                self.amount,
                fee_partner,
            )
        )
        move = Move.create(
            {
                "move_type": "entry",
                "journal_id": channel.settlement_journal_id.id,
                "date": self.date,
                "ref": self.name,
                "ecom_channel_id": channel.id,
                "ecom_payout_id": self.id,
                "line_ids": [fields.Command.create(vals) for vals in line_cmds],
            }
        )
        move.action_post()
        for index, invoices, account in to_reconcile:
            settlement_line = move.line_ids.sorted("id")[index]
            open_lines = invoices.line_ids.filtered(
                lambda ml, account=account: ml.account_id == account and not ml.reconciled
            )
            if open_lines:
                (settlement_line + open_lines).reconcile()
        self.write({"move_id": move.id, "state": "settled", "error": False})

    def _line_vals(self, name, account, amount, partner):
        """Journal item of ``amount`` (in the payout currency; positive: debit)."""
        company = self.company_id
        vals = {
            "name": name,
            "account_id": account.id,
            "partner_id": partner.id if partner else False,
            "currency_id": self.currency_id.id,
            "amount_currency": amount,
        }
        if self.currency_id == company.currency_id:
            vals["balance"] = amount
        return vals

    # ------------------------------------------------------------------
    # Bank matching
    # ------------------------------------------------------------------

    def _clearing_line(self):
        self.ensure_one()
        return self.move_id.line_ids.filtered(
            lambda ml: ml.account_id == self.channel_id.clearing_account_id and not ml.reconciled
        )

    def _candidate_statement_lines(self):
        """Unreconciled statement lines of the payout amount near its date, those naming the
        payout first."""
        self.ensure_one()
        journal = self.channel_id.payout_journal_id
        domain = [
            ("company_id", "=", self.company_id.id),
            ("is_reconciled", "=", False),
            ("date", ">=", self.date - timedelta(days=BANK_DATE_TOLERANCE)),
            ("date", "<=", self.date + timedelta(days=BANK_DATE_TOLERANCE)),
        ]
        if journal:
            domain.append(("journal_id", "=", journal.id))
        lines = self.env["account.bank.statement.line"].search(domain, order="date, id")
        lines = lines.filtered(
            lambda st: (
                self.currency_id.compare_amounts(
                    st.amount_currency if st.foreign_currency_id == self.currency_id else st.amount,
                    self.amount,
                )
                == 0
                and (st.foreign_currency_id or st.currency_id) == self.currency_id
            )
        )
        named = lines.filtered(lambda st: self.external_ref in (st.payment_ref or ""))
        return named + (lines - named)

    def _match_bank(self):
        """Reconcile each settled payout with its bank statement line: the line's suspense
        item moves to the marketplace receivable and is reconciled with the payout's. Return
        the payouts reconciled."""
        self._check_billing(self.env._("match payouts with the bank"))
        reconciled = self.browse()
        taken = self.env["account.bank.statement.line"]
        for payout in self.filtered(lambda p: p.state == "settled" and p.move_id):
            candidates = payout.sudo()._candidate_statement_lines() - taken
            if not candidates:
                continue
            st_line = candidates[0]
            try:
                with self.env.cr.savepoint():
                    payout.sudo()._reconcile_statement_line(st_line)
                    payout.write({"statement_line_id": st_line.id, "state": "reconciled"})
            except Exception as exc:  # pylint: disable=broad-except
                # the payout stays settled, waiting for the bank; the others go on
                _logger.warning("payout %s not reconciled with the bank: %s", payout.id, exc)
                payout.channel_id._ecom_log_sync(
                    "match bank",
                    "error",
                    self.env._(
                        "Payout %(payout)s could not be reconciled with the bank statement line "
                        "%(line)s: %(error)s",
                        payout=payout.external_ref,
                        line=st_line.sudo().display_name,
                        error=printable(exc),
                    ),
                    record=payout,
                )
                continue
            taken |= st_line
            payout.message_post(
                body=self.env._(
                    "Reconciled with the bank statement line %(line)s.",
                    line=st_line.display_name,
                )
            )
            reconciled |= payout
        return reconciled

    def _reconcile_statement_line(self, st_line):
        _liquidity, suspense, _other = st_line._seek_for_lines()
        clearing = self.channel_id.clearing_account_id
        suspense.write({"account_id": clearing.id, "partner_id": self.channel_id.fee_partner_id.id})
        (suspense + self._clearing_line()).reconcile()
