# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

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
    ecom_total_mismatch = fields.Boolean(
        "Total Differs from Channel",
        compute="_compute_ecom_total_difference",
        store=True,
        index=True,
    )

    ecom_invoice_to_check = fields.Boolean(
        "Invoice to Check",
        compute="_compute_ecom_invoice_to_check",
        search="_search_ecom_invoice_to_check",
        help="An invoice of the order was left in draft because its total differs from the "
        "channel's: an accountant checks it and posts it.",
    )

    @api.depends("amount_total", "ecom_channel_total", "ecom_channel_id", "state")
    def _compute_ecom_total_difference(self):
        for order in self:
            # orders entered by hand on a channel have no channel total to compare with
            if not order.ecom_channel_id or not order.ecom_channel_total or order.state == "cancel":
                order.ecom_total_difference = 0.0
                order.ecom_total_mismatch = False
                continue
            diff = order.currency_id.round(order.amount_total - order.ecom_channel_total)
            order.ecom_total_difference = diff
            order.ecom_total_mismatch = not order.currency_id.is_zero(diff)

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
    def _ecom_order_line_vals(self, run, remote, line, product):
        vals = super()._ecom_order_line_vals(run, remote, line, product)
        taxes = run.channel._ecom_line_taxes(remote, product, line)
        vals["tax_id"] = [fields.Command.set(taxes.ids)]
        return vals

    @api.model
    def _ecom_shipping_line_vals(self, run, remote, shipping_product):
        vals = super()._ecom_shipping_line_vals(run, remote, shipping_product)
        taxes = run.channel._ecom_line_taxes(remote, shipping_product)
        vals["tax_id"] = [fields.Command.set(taxes.ids)]
        return vals

    @api.model
    def _ecom_order_vals(self, run, remote, customer, delivery, pricelist, lines):
        vals = super()._ecom_order_vals(run, remote, customer, delivery, pricelist, lines)
        vals["ecom_channel_total"] = remote.total
        if run.channel.team_id:
            vals["team_id"] = run.channel.team_id.id
        return vals

    @api.model
    def _ecom_created(self, run, order, problems):
        res = super()._ecom_created(run, order, problems)
        # an order with problems (e.g. an unknown product) is flagged already: its total
        # differs for that reason
        if order.ecom_total_mismatch and order.state != "cancel" and not problems:
            run.log(
                "warning",
                self.env._(
                    "Order %(order)s: its total %(total)s differs from the channel's total "
                    "%(channel_total)s by %(difference)s (check the taxes and prices).",
                    order=order.client_order_ref or order.name,
                    total=order.amount_total,
                    channel_total=order.ecom_channel_total,
                    difference=order.ecom_total_difference,
                ),
                record=order,
            )
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
