# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import math

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ecom_fulfilment.ecom_fulfilment_core import pricing

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ecom_channel_total = fields.Monetary(
        "Channel Total",
        copy=False,
        help="Total of the order as the channel reported it (taxes and shipping included).",
    )
    ecom_total_difference = fields.Monetary(
        "Difference with Channel",
        compute="_compute_ecom_total_difference",
        store=True,
        help="Order total minus the channel's total.",
    )
    ecom_channel_tax = fields.Monetary(
        "Channel Tax",
        copy=False,
        help="Tax of the order (lines and shipping) as the channel reported it.",
    )
    ecom_tax_difference = fields.Monetary(
        "Tax Difference with Channel",
        compute="_compute_ecom_total_difference",
        store=True,
        help="Order tax minus the channel's tax, when the channel reports its taxes.",
    )
    ecom_tax_mismatch = fields.Boolean(
        "Tax Differs from Channel",
        compute="_compute_ecom_total_difference",
        store=True,
        help="The tax of the order, or of one of its lines, differs from the channel's.",
    )
    ecom_total_mismatch = fields.Boolean(
        "Total Differs from Channel",
        compute="_compute_ecom_total_difference",
        store=True,
        index=True,
        help="The total of the order differs from the channel's, or its tax does (of the order "
        "or of a line): the channel itself does not explain the difference.",
    )

    ecom_invoice_to_check = fields.Boolean(
        "Invoice to Check",
        compute="_compute_ecom_invoice_to_check",
        search="_search_ecom_invoice_to_check",
        help="An invoice of the order was left in draft because its total differs from the "
        "channel's: an accountant checks it and posts it.",
    )

    @api.depends(
        "amount_total",
        "amount_tax",
        "ecom_channel_total",
        "ecom_channel_tax",
        "ecom_channel_id",
        "state",
        "order_line.price_tax",
        "order_line.ecom_channel_tax",
        "order_line.ecom_channel_tax_reported",
    )
    def _compute_ecom_total_difference(self):
        for order in self:
            # orders entered by hand on a channel have no channel total to compare with
            if not order.ecom_channel_id or not order.ecom_channel_total or order.state == "cancel":
                order.ecom_total_difference = 0.0
                order.ecom_tax_difference = 0.0
                order.ecom_tax_mismatch = False
                order.ecom_total_mismatch = False
                continue
            currency = order.currency_id
            diff = currency.round(order.amount_total - order.ecom_channel_total)
            reported = order.order_line.filtered("ecom_channel_tax_reported")
            tax_diff = (
                currency.round(order.amount_tax - order.ecom_channel_tax) if reported else 0.0
            )
            tax_mismatch = not currency.is_zero(tax_diff) or bool(order._ecom_lines_tax_differ())
            order.ecom_total_difference = diff
            order.ecom_tax_difference = tax_diff
            order.ecom_tax_mismatch = tax_mismatch
            order.ecom_total_mismatch = not currency.is_zero(diff) or tax_mismatch

    def _ecom_lines_tax_differ(self):
        """The lines of the order whose tax differs from the one the channel reported (a
        channel line priced over two order lines counts as one). Rounding the tax globally, the
        company may differ by a cent on a line (never on the order's tax)."""
        self.ensure_one()
        currency = self.currency_id
        rounding = (
            self.ecom_channel_id.sudo()._ecom_tax_rounding()
            if self.ecom_channel_id
            else self.company_id.tax_calculation_rounding_method
        )
        tolerance = currency.rounding if rounding != "round_per_line" else 0.0
        groups = {}
        for line in self.order_line.filtered("ecom_channel_tax_reported"):
            groups.setdefault(line.ecom_line_ref or line.id, self.env["sale.order.line"])
            groups[line.ecom_line_ref or line.id] |= line
        differ = self.env["sale.order.line"]
        for lines in groups.values():
            gap = currency.round(
                sum(lines.mapped("price_tax")) - sum(lines.mapped("ecom_channel_tax"))
            )
            if currency.compare_amounts(abs(gap), tolerance) > 0:
                differ |= lines
        return differ

    @api.depends("invoice_ids.state", "invoice_ids.ecom_total_mismatch")
    def _compute_ecom_invoice_to_check(self):
        for order in self:
            order.ecom_invoice_to_check = any(
                move.state == "draft" and move.ecom_total_mismatch for move in order.invoice_ids
            )

    def _search_ecom_invoice_to_check(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        domain = [
            (
                "order_line.invoice_lines.move_id",
                "any",
                [("state", "=", "draft"), ("ecom_total_mismatch", "=", True)],
            )
        ]
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------------
    # Order import hooks (ecom_fulfilment)
    # ------------------------------------------------------------------

    @api.model
    def _ecom_import_data(self, run, remote_orders):
        data = super()._ecom_import_data(run, remote_orders)
        Tax = self.env["account.tax"]
        company = run.channel.company_id
        country = company.account_fiscal_country_id
        data["sale_taxes"] = Tax.search(
            [
                *Tax._check_company_domain(company),
                # the company's own country's taxes (not those it files abroad, e.g. OSS); all
                # of them while the company has no fiscal country yet
                *([("country_id", "=", country.id)] if country else []),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
            ],
            order="sequence, id",
        )
        return data

    @api.model
    def _ecom_reported_taxes(self, run, remote, product, amount, tax, rate):
        """The company's taxes for a line of ``amount`` (in the order's basis) on which the
        channel reports ``tax`` at ``rate`` percent (None: not reported, found from the amounts
        among the rates of the company's taxes): a tax of that rate, priced as the order says
        (its tax-included twin when the order's prices include tax); the channel's tax or the
        product's when it has that rate. No tax for a line the channel taxed at nothing when
        the company has no 0 % tax. None when the channel reports no taxes, or when no tax of
        the company has that rate: the caller keeps the channel's or the product's taxes, the
        line's tax then differs from the channel's and the order is flagged."""
        channel = run.channel
        if not remote.taxes_reported or not (math.isfinite(amount) and math.isfinite(tax)):
            return None
        included = remote.prices_include_tax
        if included is None:
            included = channel.prices_include_tax
        company_taxes = run.data.get("sale_taxes") or self.env["account.tax"]
        digits = self._ecom_amount_digits(run, remote)
        no_tax = pricing.to_units(tax, digits) == 0
        if rate is None or not math.isfinite(rate):
            rate = pricing.match_rate(
                amount, tax, company_taxes.mapped("amount"), included, digits=digits
            )
            if rate is None:
                return self.env["account.tax"] if no_tax else None
        candidates = (
            channel.sudo().sale_tax_id.with_env(self.env)
            # the product's taxes as Odoo's order line takes them (its company, else a parent's)
            | product.taxes_id._filter_taxes_by_company(channel.company_id)
            | company_taxes
        )
        same = candidates.filtered(
            lambda t: t.amount_type == "percent" and pricing.same_rate(t.amount, rate)
        )
        if not same:
            return self.env["account.tax"] if no_tax else None
        chosen = same.filtered(lambda t: t.price_include == included)[:1] or same[:1]
        # one twin search per tax and price basis in an import
        variants = run.data.setdefault("tax_variants", {})
        key = (chosen.id, included)
        if key not in variants:
            variants[key] = channel._ecom_tax_variant(chosen, included)
        return variants[key]

    @api.model
    def _ecom_order_line_vals(self, run, remote, line, product):
        vals = super()._ecom_order_line_vals(run, remote, line, product)
        amount = vals.get("ecom_channel_line_total")
        taxes = None
        if amount is not None:
            taxes = self._ecom_reported_taxes(
                run, remote, product, amount, line.tax_amount, line.tax_rate
            )
        if taxes is None:
            taxes = run.channel._ecom_line_taxes(remote, product, line)
        vals["tax_id"] = [fields.Command.set(taxes.ids)]
        return vals

    @api.model
    def _ecom_shipping_line_vals(self, run, remote, shipping_product):
        vals = super()._ecom_shipping_line_vals(run, remote, shipping_product)
        taxes = self._ecom_reported_taxes(
            run,
            remote,
            shipping_product,
            remote.shipping_amount,
            vals.get("ecom_channel_tax") or 0.0,
            remote.shipping_tax_rate,
        )
        if taxes is None:
            taxes = run.channel._ecom_line_taxes(remote, shipping_product)
        vals["tax_id"] = [fields.Command.set(taxes.ids)]
        return vals

    @api.model
    def _ecom_order_vals(self, run, remote, customer, delivery, pricelist, lines):
        vals = super()._ecom_order_vals(run, remote, customer, delivery, pricelist, lines)
        vals["ecom_channel_total"] = remote.total
        if remote.taxes_reported and math.isfinite(remote.tax_amount):
            vals["ecom_channel_tax"] = remote.tax_amount
        if run.channel.team_id:
            vals["team_id"] = run.channel.team_id.id
        return vals

    @api.model
    def _ecom_created(self, run, order, problems):
        res = super()._ecom_created(run, order, problems)
        # an order with problems (e.g. an unknown product) is flagged already: its total
        # differs for that reason
        if order.ecom_total_mismatch and order.state != "cancel" and not problems:
            if order.ecom_tax_mismatch:
                message = self.env._(
                    "Order %(order)s: its tax %(tax)s differs from the channel's tax "
                    "%(channel_tax)s (lines: %(lines)s); total %(total)s, channel's total "
                    "%(channel_total)s: check the taxes of the products and of the channel.",
                    order=order.client_order_ref or order.name,
                    tax=order.amount_tax,
                    channel_tax=order.ecom_channel_tax,
                    lines=", ".join(order._ecom_lines_tax_differ().mapped("name")) or "-",
                    total=order.amount_total,
                    channel_total=order.ecom_channel_total,
                )
            else:
                message = self.env._(
                    "Order %(order)s: its total %(total)s differs from the channel's total "
                    "%(channel_total)s by %(difference)s (check the taxes and prices).",
                    order=order.client_order_ref or order.name,
                    total=order.amount_total,
                    channel_total=order.ecom_channel_total,
                    difference=order.ecom_total_difference,
                )
            run.log("warning", message, record=order)
        return res

    @api.model
    def _ecom_confirm_orders(self, run, orders):
        """Channels invoicing on import: the new orders confirmed without a problem are
        invoiced at once."""
        res = super()._ecom_confirm_orders(run, orders)
        if run.channel.invoice_policy == "import":
            orders.filtered(
                lambda o: o.state == "sale" and not o.ecom_needs_attention
            )._ecom_invoice()
        return res

    # ------------------------------------------------------------------
    # Invoicing
    # ------------------------------------------------------------------

    def _prepare_invoice(self):
        vals = super()._prepare_invoice()
        if self.ecom_channel_id:
            vals["ecom_channel_id"] = self.ecom_channel_id.id
            vals["team_id"] = (self.team_id or self.ecom_channel_id.team_id).id
        return vals

    def _ecom_invoice(self):
        """Create the customer invoice of channel orders that have something to invoice and
        post it, unless its total differs from the channel's: that one is left in draft for an
        accountant to check (filter and menu *Invoices to Check*) and said in the sync log. A
        failure is logged on the channel's sync log and does not stop the others. Called from
        picking validation or order import, by whoever did that: the invoices are created with
        superuser rights, in the order's company."""
        invoices = self.env["account.move"]
        for order in self.filtered(
            lambda o: o.ecom_channel_id and o.invoice_status == "to invoice"
        ):
            channel = order.ecom_channel_id
            try:
                with self.env.cr.savepoint():
                    sudo_order = order.sudo().with_company(order.company_id)
                    invoice = sudo_order._create_invoices(final=True)
                    to_check = invoice.filtered("ecom_total_mismatch")
                    (invoice - to_check).action_post()
            except Exception as exc:  # pylint: disable=broad-except
                _logger.exception("channel order %s: invoice not created", order.id)
                channel._ecom_log_sync(
                    "invoice orders",
                    "error",
                    self.env._(
                        "Order %(order)s: the invoice could not be created: %(error)s",
                        order=order.name,
                        error=exc,
                    ),
                    record=order,
                )
                continue
            invoices |= invoice
            for move in to_check:
                channel._ecom_log_sync(
                    "invoice orders",
                    "warning",
                    self.env._(
                        "The invoice of order %(order)s is left in draft: its total %(total)s "
                        "differs from the channel's total %(channel_total)s by %(difference)s. "
                        "Check it and post it (Invoices to Check).",
                        order=order.name,
                        total=move.amount_total,
                        channel_total=move.ecom_channel_total,
                        difference=move.ecom_total_difference,
                    ),
                    record=move,
                )
        return invoices
