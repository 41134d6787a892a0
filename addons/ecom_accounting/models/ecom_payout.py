# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

#: How many days a bank statement line may be dated before or after the payout it is.
BANK_DATE_TOLERANCE = 7


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
        ],
        default="new",
        required=True,
        index=True,
        tracking=True,
        help="Settled: its entry pays the invoices and records the fees. Reconciled: the bank "
        "statement line of the payout is matched with it.",
    )
    error = fields.Text(readonly=True, copy=False)
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

    def action_settle(self):
        """Post the settlement entry of these payouts (invoices paid, fees recorded) and match
        them with the bank."""
        self.check_access("write")
        for payout in self.filtered(lambda p: p.state in ("new", "error")):
            payout._settle_logged()
        self.filtered(lambda p: p.state == "settled")._match_bank()
        return True

    def action_match_bank(self):
        """Look for the bank statement line of these payouts and reconcile it."""
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
        """Store the payouts of ``channel`` not seen yet, settle them and match them with the
        bank statement lines already there."""
        refs = [p.external_ref for p in remote_payouts]
        existing = set(
            self.search([("channel_id", "=", channel.id), ("external_ref", "in", refs)]).mapped(
                "external_ref"
            )
        )
        new = [p for p in remote_payouts if p.external_ref not in existing]
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list({p.currency for p in new if p.currency}))])
        )
        by_code = {c.name: c for c in currencies}
        order_refs = {line.order_ref for p in new for line in p.lines if line.order_ref}
        # a technical lookup by channel reference: whoever reads payouts links them to the
        # channel's orders, even those of other salespeople
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("ecom_channel_id", "=", channel.id),
                    ("ecom_external_ref", "in", list(order_refs)),
                ]
            )
        )
        order_by_ref = {o.ecom_external_ref: o for o in orders}
        vals_list = []
        for remote in new:
            currency = by_code.get(remote.currency) or channel.currency_id
            vals_list.append(
                {
                    "channel_id": channel.id,
                    "external_ref": remote.external_ref,
                    "date": remote.date.date() if remote.date else fields.Date.context_today(self),
                    "currency_id": currency.id,
                    "amount": remote.amount,
                    "line_ids": [
                        fields.Command.create(
                            {
                                "kind": line.kind,
                                "order_ref": line.order_ref or False,
                                "sale_order_id": order_by_ref[line.order_ref].id
                                if line.order_ref in order_by_ref
                                else False,
                                "amount": line.amount,
                                "fee": line.fee,
                                "description": line.description
                                or ", ".join(
                                    "%s %.2f" % item for item in sorted(line.fee_details.items())
                                )
                                or False,
                            }
                        )
                        for line in remote.lines
                    ],
                }
            )
        created = self.create(vals_list)
        result = {"read": len(remote_payouts), "created": created, "failed": self.browse()}
        for payout in created:
            if not payout._settle_logged():
                result["failed"] |= payout
        settled = self.search([("channel_id", "=", channel.id), ("state", "=", "settled")])
        result["reconciled"] = settled._match_bank()
        return result

    # ------------------------------------------------------------------
    # Settlement
    # ------------------------------------------------------------------

    def _settle_logged(self):
        """Settle in a savepoint; on failure keep the payout in error with the reason, on the
        record and in the channel's sync log. Return whether it was settled."""
        self.ensure_one()
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
        self.write({"state": "error", "error": message})
        vals = self.channel_id._sync_log_vals(
            "settle payouts",
            "error",
            self.env._("Payout %(payout)s: %(error)s", payout=self.external_ref, error=message),
        )
        vals.update(res_model=self._name, res_id=self.id)
        self.env["ecom.sync.log"].sudo().create(vals)
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
        # the orders and invoices are read whoever settles (a channel manager may see only
        # their own orders); the entry is created with superuser rights in the payout's company
        lines = self.sudo().line_ids
        channel = self.channel_id
        channel._check_payout_config()
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
        reconciled = self.browse()
        taken = self.env["account.bank.statement.line"]
        for payout in self.filtered(lambda p: p.state == "settled" and p.move_id):
            candidates = payout.sudo()._candidate_statement_lines() - taken
            if not candidates:
                continue
            st_line = candidates[0]
            taken |= st_line
            with self.env.cr.savepoint():
                payout.sudo()._reconcile_statement_line(st_line)
            payout.write({"statement_line_id": st_line.id, "state": "reconciled"})
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
