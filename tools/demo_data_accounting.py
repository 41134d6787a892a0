"""Demo data of ecom_accounting: channel accounting set-up, the history's channel orders as the
import leaves them (the channel's sales team, the channel's total), invoices of every shipped
channel order as its channel's invoicing policy says (on the day it shipped; a credit note on
the day goods came back), weekly marketplace payouts covering them with their fees, settled and,
but for the latest, reconciled with the bank.

``generate(gen)`` receives the DemoGenerator of tools/demo_data.py after its history is built
(``gen.env``, ``gen.company``, ``gen.channels``, ``gen.rng``, ``gen.today``, ``gen.days``,
``gen.counts``). Deterministic: amounts come from the orders and the generator's seeded random
numbers.
"""

import logging
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tools import float_compare

_logger = logging.getLogger(__name__)

#: Invoicing policies that invoice shipped orders (on import: they are shipped too by now).
INVOICING_POLICIES = ("ship", "import")
#: Marketplace fee rates (share of the order total) and who collects them.
FEES = {
    "amazon": (0.153, "Amazon EU S.a r.l."),
    "ebay": (0.128, "eBay (UK) Limited"),
    "shopify": (0.022, "Shopify International Limited"),
}
#: Days between two payouts of a marketplace.
PAYOUT_EVERY = 7


def _account(env, company, code, name, account_type, reconcile=False):
    Account = env["account.account"].with_company(company)
    account = Account.search([("code", "=", code), ("company_ids", "in", company.id)], limit=1)
    return account or Account.create(
        {"code": code, "name": name, "account_type": account_type, "reconcile": reconcile}
    )


def setup_channels(gen):
    """Fee and marketplace receivable accounts, journals and partners of every channel."""
    env, company = gen.env, gen.company
    misc = env["account.journal"].search(
        [("type", "=", "general"), ("company_id", "=", company.id)], limit=1
    )
    bank = env["account.journal"].search(
        [("code", "=", "MKTB"), ("company_id", "=", company.id)], limit=1
    ) or env["account.journal"].create(
        {
            "name": "Marketplace Payouts",
            "code": "MKTB",
            "type": "bank",
            "company_id": company.id,
            "currency_id": False,
        }
    )
    vat = env["account.tax"].search(
        [
            ("company_id", "=", company.id),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("amount", "=", 20.0),
        ],
        limit=1,
    )
    for index, (channel, _share, _services) in enumerate(gen.channels):
        rate_partner = FEES.get(channel.channel_type)
        vals = {
            "fee_account_id": _account(
                env, company, "6209%02d" % index, "%s fees" % channel.name, "expense"
            ).id,
            "clearing_account_id": _account(
                env,
                company,
                "1019%02d" % index,
                "%s receivable" % channel.name,
                "asset_current",
                reconcile=True,
            ).id,
            "settlement_journal_id": misc.id,
            "payout_journal_id": bank.id,
            "prices_include_tax": True,
        }
        if vat:
            vals["sale_tax_id"] = vat.id
        if rate_partner:
            vals["fee_partner_id"] = (
                env["res.partner"].create({"name": rate_partner[1], "is_company": True}).id
            )
        channel.write(vals)
    return bank


def _channel_orders(gen, domain=()):
    return gen.env["sale.order"].search(
        [
            ("company_id", "=", gen.company.id),
            ("ecom_channel_id", "!=", False),
            ("state", "=", "sale"),
            *domain,
        ],
        order="date_order, id",
    )


def orders_as_imported(gen):
    """The history's channel orders as the import leaves them: the channel's sales team (the
    sales and invoicing reports split by channel) and the total the channel reported (what
    the buyer paid: the order's total, taxes included)."""
    orders = _channel_orders(gen)
    for channel in orders.ecom_channel_id:
        channel_orders = orders.filtered(lambda o, c=channel: o.ecom_channel_id == c)
        if channel.team_id:
            channel_orders.filtered(lambda o, c=channel: o.team_id != c.team_id).write(
                {"team_id": channel.team_id.id}
            )
    for order in orders.filtered(lambda o: not o.ecom_channel_total):
        order.ecom_channel_total = order.amount_total
    strays = orders.filtered(lambda o: o.currency_id != o.ecom_channel_id.currency_id)
    if strays:
        _logger.warning(
            "demo data: %d channel orders are not in their channel's currency", len(strays)
        )
    gen.counts["channel_orders"] = len(orders)


def _moves_by_kind(order, kind):
    """The done moves of the order's deliveries (``outgoing``) or returns (``incoming``)."""
    return order.picking_ids.filtered(
        lambda p: p.picking_type_code == kind and p.state == "done"
    ).move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id)


def _invoice_as_shipped(order):
    """The invoice of what left for ``order`` (posted), when part of it came back since (its
    lines invoice what was delivered, less what came back: the return gets a credit note on
    its own day)."""
    shipped = {}
    for move in _moves_by_kind(order, "outgoing"):
        line = move.sale_line_id
        qty = move.product_uom._compute_quantity(move.quantity, line.product_uom)
        shipped[line] = shipped.get(line, 0.0) + qty
    order = order.sudo().with_company(order.company_id)
    vals = order._prepare_invoice()
    vals["invoice_line_ids"] = [
        fields.Command.create(line._prepare_invoice_line(quantity=qty))
        for line, qty in shipped.items()
        if qty
    ]
    invoice = order.env["account.move"].with_context(default_move_type="out_invoice")
    invoice = invoice.create(vals)
    invoice.action_post()
    return invoice


def _credit_returned(order):
    """The credit note (posted) of what came back of ``order`` since it was invoiced; empty
    when nothing is to credit. Whatever the products' invoicing policy (ordered or delivered
    quantities): what was invoiced beyond what stays delivered is credited."""
    order = order.sudo().with_company(order.company_id)
    lines = [
        (line, line.qty_invoiced - line.qty_delivered)
        for line in order.order_line
        if line.product_id.type == "consu"
        and float_compare(
            line.qty_invoiced, line.qty_delivered, precision_rounding=line.product_uom.rounding
        )
        > 0
    ]
    Move = order.env["account.move"].with_context(default_move_type="out_refund")
    if not lines:
        return Move
    vals = dict(order._prepare_invoice(), move_type="out_refund")
    vals["invoice_line_ids"] = [
        fields.Command.create(line._prepare_invoice_line(quantity=qty)) for line, qty in lines
    ]
    credit = Move.create(vals)
    credit.action_post()
    return credit


def invoice_history(gen):
    """Invoice the shipped orders of the channels that invoice (when shipped, or imported)
    on the day they shipped, and credit what came back on the day it did: the history is
    made with invoicing off (invoicing one delivery at a time would be far slower). The
    months of invoices are created without chatter tracking (a "created" note and followers on
    each), which would take most of the time."""
    env = gen.env(context=dict(gen.env.context, tracking_disable=True))
    channels = env["ecom.channel"].search([("invoice_policy", "in", INVOICING_POLICIES)])
    shipped, returned = {}, {}
    orders = _channel_orders(gen, [("ecom_channel_id", "in", channels.ids)]).with_env(env)
    # goods are invoiced as they ship (what came back is credited, the order is then settled)
    templates = orders.order_line.product_id.product_tmpl_id.filtered(
        lambda t: t.type == "consu" and t.invoice_policy != "delivery"
    )
    if templates:
        templates.invoice_policy = "delivery"
        # the lines' quantities to invoice are stored: recomputed for the new policy (the
        # orders waiting to ship have nothing to invoice yet)
        env["sale.order.line"].search([("product_template_id", "in", templates.ids)]).modified(
            ["qty_delivered"]
        )
    for order in orders:
        deliveries = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )
        if not deliveries:
            continue  # waiting to ship
        day = max(deliveries.mapped("date_done")).date()
        shipped.setdefault(day, env["sale.order"])
        shipped[day] |= order
        returns = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state == "done"
        )
        if returns:
            back = max(returns.mapped("date_done")).date()
            returned.setdefault(back, env["sale.order"])
            returned[back] |= order
    invoices = credit_notes = env["account.move"]
    for day in sorted(set(shipped) | set(returned)):
        with freeze_time(day + timedelta(hours=18)):
            day_orders = shipped.get(day, env["sale.order"])
            with_returns = day_orders.filtered(lambda o: _moves_by_kind(o, "incoming"))
            invoices |= (day_orders - with_returns)._ecom_invoice()
            for order in with_returns.filtered(lambda o: not o.invoice_ids):
                invoices |= _invoice_as_shipped(order)
            for order in returned.get(day, env["sale.order"]):
                credit_notes |= _credit_returned(order)
    gen.counts["channel_invoices"] = len(invoices.filtered(lambda m: m.state == "posted"))
    gen.counts["channel_invoices_to_check"] = len(invoices.filtered(lambda m: m.state == "draft"))
    gen.counts["channel_credit_notes"] = len(credit_notes)


def _bank_line_vals(bank, payout, day):
    """The bank statement line of ``payout`` (converted when paid in another currency)."""
    company = bank.company_id
    bank_currency = bank.currency_id or company.currency_id
    vals = {
        "journal_id": bank.id,
        "date": day,
        "amount": payout.amount,
        "payment_ref": "%s %s" % (payout.channel_id.name.upper(), payout.external_ref),
    }
    if payout.currency_id != bank_currency:
        vals.update(
            amount=payout.currency_id._convert(payout.amount, bank_currency, company, day),
            amount_currency=payout.amount,
            foreign_currency_id=payout.currency_id.id,
        )
    return vals


def payouts(gen, bank):
    """Weekly payouts of each marketplace for its invoiced orders (less its refunds), fees at
    its rate, over the whole history; every payout but the latest has arrived in the bank
    and is reconciled (without chatter tracking, as the invoices)."""
    env = gen.env(context=dict(gen.env.context, tracking_disable=True))
    Payout = env["ecom.payout"]
    created = Payout
    start = gen.today - timedelta(days=gen.days + 1)
    for channel, _share, _services in gen.channels:
        if channel.channel_type not in FEES:
            continue  # WooCommerce: the payment provider pays the merchant
        rate = FEES[channel.channel_type][0]
        invoices = env["account.move"].search(
            [
                ("ecom_channel_id", "=", channel.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("invoice_date", ">=", start),
            ],
            order="invoice_date, id",
        )
        batches = {}
        for invoice in invoices:
            week = (gen.today - invoice.invoice_date).days // PAYOUT_EVERY
            if week == 0:
                continue  # this week's sales are paid out next week
            batches.setdefault(week, env["account.move"])
            batches[week] |= invoice
        for week, batch in sorted(batches.items(), reverse=True):
            pay_date = gen.today - timedelta(days=(week - 1) * PAYOUT_EVERY + 1)
            lines = []
            for invoice in batch:
                order = invoice.invoice_line_ids.sale_line_ids.order_id[:1]
                if invoice.move_type == "out_refund":
                    # the marketplace refunds the buyer and keeps its fee
                    amount, fee, kind = -invoice.amount_total, 0.0, "refund"
                else:
                    amount, kind = invoice.amount_total, "order"
                    fee = round(invoice.amount_total * rate * gen.rng.uniform(0.9, 1.1), 2)
                lines.append(
                    {
                        "kind": kind,
                        "order_ref": order.ecom_external_ref,
                        "sale_order_id": order.id,
                        "amount": amount,
                        "fee": fee,
                    }
                )
            amount = round(sum(line["amount"] - line["fee"] for line in lines), 2)
            payout = Payout.create(
                {
                    "channel_id": channel.id,
                    "external_ref": "%s-PAYOUT-%s" % (channel.channel_type.upper(), pay_date),
                    "date": pay_date,
                    "currency_id": batch.currency_id[:1].id,
                    "amount": amount,
                    "line_ids": [(0, 0, vals) for vals in lines],
                }
            )
            created |= payout
            payout._settle_logged()
            if week > 1:  # the latest payout is still on its way to the bank
                env["account.bank.statement.line"].create(
                    _bank_line_vals(bank, payout, pay_date + timedelta(days=1))
                )
        created.filtered(lambda p: p.state == "settled")._match_bank()
    gen.counts["payouts"] = len(created)
    gen.counts["payouts_reconciled"] = len(created.filtered(lambda p: p.state == "reconciled"))


def generate(gen):
    """Accounting demo data on top of the generated retailer."""
    _logger.info("demo data: accounting")
    bank = setup_channels(gen)
    orders_as_imported(gen)
    invoice_history(gen)
    payouts(gen, bank)
