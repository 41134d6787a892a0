# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError

from ..ecom_accounting_core import amazon, ebay, shopify
from ..ecom_accounting_core.payouts import PayoutMismatch, PayoutsNotSupported

_logger = logging.getLogger(__name__)

#: The finance API module of each channel type (WooCommerce has none).
PAYOUT_APIS = {"amazon": amazon, "shopify": shopify, "ebay": ebay}
#: How far before the last payout mark each import reads again.
PAYOUT_OVERLAP = timedelta(days=2)


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    invoice_policy = fields.Selection(
        [("ship", "When Shipped"), ("import", "When Imported"), ("manual", "Manually")],
        default="ship",
        required=True,
        help="When the customer invoice of a channel order is created and posted: when its "
        "delivery is validated, as soon as it is imported, or by hand.",
    )
    prices_include_tax = fields.Boolean(
        default=True,
        help="Whether the channel's prices and shipping charges include tax, for channels whose "
        "orders do not say it (Amazon and eBay in Europe: yes). Shopify and WooCommerce orders "
        "say it themselves.",
    )
    sale_tax_id = fields.Many2one(
        "account.tax",
        "Sales Tax",
        check_company=True,
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
        domain=[("account_type", "in", ("expense", "expense_direct_cost"))],
        help="Expense account of the marketplace's fees.",
    )
    clearing_account_id = fields.Many2one(
        "account.account",
        "Marketplace Receivable",
        check_company=True,
        domain=[("reconcile", "=", True), ("account_type", "=", "asset_current")],
        help="Reconcilable account holding what the marketplace owes until its payout reaches "
        "the bank.",
    )
    settlement_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain=[("type", "=", "general")],
        help="Journal of the entries that settle the invoices and fees of each payout.",
    )
    payout_journal_id = fields.Many2one(
        "account.journal",
        "Payout Bank Journal",
        check_company=True,
        domain=[("type", "=", "bank")],
        help="Bank journal whose statement lines receive the channel's payouts.",
    )
    fee_partner_id = fields.Many2one(
        "res.partner",
        "Marketplace Partner",
        help="Partner of the fee and payout journal items (the marketplace as a vendor).",
    )
    payouts_imported_until = fields.Datetime(
        copy=False, help="Date (UTC) of the newest payout read from the channel."
    )
    payout_ids = fields.One2many("ecom.payout", "channel_id")
    payout_count = fields.Integer(compute="_compute_payout_count")

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
        channels = super().create(vals_list)
        channels._ecom_ensure_team()
        return channels

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
    # Actions
    # ------------------------------------------------------------------

    def action_import_payouts(self):
        """Read the channel's new payouts now."""
        self.ensure_one()
        self.env["ecom.payout"].check_access("create")
        result = self._import_payouts()
        if result.get("error"):
            return self._notification(
                self.env._("Payout import failed"), result["error"], kind="danger", sticky=True
            )
        return self._notification(
            self.env._("Payouts imported"),
            self.env._(
                "%(read)s payouts read, %(created)s new, %(reconciled)s reconciled with the bank.",
                read=result["read"],
                created=len(result["created"]),
                reconciled=len(result["reconciled"]),
            ),
        )

    def action_view_payouts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_accounting.ecom_payout_action")
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    @api.model
    def _cron_import_payouts(self):
        """Import the payouts of every channel with a payout API; one failing channel does not
        stop the others."""
        channels = self.search(
            [("api_base_url", "!=", False), ("channel_type", "in", list(PAYOUT_APIS))]
        )
        for channel in channels:
            try:
                with self.env.cr.savepoint():
                    result = channel._import_payouts()
            except Exception:  # pylint: disable=broad-except
                _logger.exception("payout import of channel %s failed", channel.id)
                continue
            _logger.info("payout import of channel %s: %s", channel.id, result.get("read"))

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
        taxes = self.sale_tax_id or product.taxes_id.filtered(
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

    def _import_payouts(self):
        """Read the payouts since the last mark (minus an overlap), store the new ones, settle
        them and match them with the bank."""
        self.ensure_one()
        api = PAYOUT_APIS.get(self.channel_type)
        since = (
            self.payouts_imported_until - PAYOUT_OVERLAP if self.payouts_imported_until else None
        )
        try:
            if api is None:
                raise PayoutsNotSupported(
                    self.env._("%(type)s has no payout API.", type=self.channel_type)
                )
            with self._get_client() as client:
                remote_payouts = list(api.fetch_payouts(client, since=since))
        except ChannelError as exc:
            self._log_sync("import payouts", "error", exc.message, payload=exc.payload)
            return {"error": exc.message}
        except (PayoutsNotSupported, PayoutMismatch, ValueError, KeyError) as exc:
            message = self.env._("Payouts could not be read: %(error)s", error=exc)
            self._log_sync("import payouts", "error", message)
            return {"error": message}
        result = self.env["ecom.payout"]._import_remote_payouts(self, remote_payouts)
        dates = [p.date for p in remote_payouts if p.date]
        if dates and (not self.payouts_imported_until or max(dates) > self.payouts_imported_until):
            self.sudo().payouts_imported_until = max(dates)
        if remote_payouts:
            status = "warning" if result["failed"] else "ok"
            self._log_sync(
                "import payouts",
                status,
                self.env._(
                    "%(read)s payouts read: %(created)s new, %(failed)s failed.",
                    read=result["read"],
                    created=len(result["created"]),
                    failed=len(result["failed"]),
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
