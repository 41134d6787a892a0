"""Demo data of ecom_accounting: channel accounting set-up, invoices of the recent channel sales,
marketplace payouts settled against them and, but for the latest, reconciled with the bank.

``generate(gen)`` receives the DemoGenerator of tools/demo_data.py after its history is built
(``gen.env``, ``gen.company``, ``gen.channels``, ``gen.rng``, ``gen.today``, ``gen.counts``).
Deterministic: amounts come from the orders and the generator's seeded random numbers.
"""

import logging
from datetime import timedelta

from freezegun import freeze_time

_logger = logging.getLogger(__name__)

#: Recent days whose delivered channel orders are invoiced and paid out.
DAYS = 28
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


def invoice_recent_orders(gen):
    """Invoice the delivered channel orders of the last DAYS days not invoiced yet (the
    channels invoice on shipping, but the history may have been built before this module)."""
    env = gen.env
    start = gen.today - timedelta(days=DAYS)
    orders = env["sale.order"].search(
        [
            ("ecom_channel_id", "!=", False),
            ("state", "=", "sale"),
            ("invoice_status", "=", "to invoice"),
            ("date_order", ">=", start),
        ],
        order="date_order",
    )
    by_day = {}
    for order in orders:
        if all(p.state == "done" for p in order.picking_ids):
            by_day.setdefault(order.date_order.date(), env["sale.order"])
            by_day[order.date_order.date()] |= order
    invoices = env["account.move"]
    for day, day_orders in sorted(by_day.items()):
        with freeze_time(day + timedelta(hours=18)):
            invoices |= day_orders._ecom_invoice()
    gen.counts["channel_invoices"] = len(invoices)


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
    """Weekly payouts of each marketplace for its invoiced orders, fees at its rate; every
    payout but the latest has arrived in the bank and is reconciled."""
    env = gen.env
    Payout = env["ecom.payout"]
    created = Payout
    start = gen.today - timedelta(days=DAYS)
    for channel, _share, _services in gen.channels:
        if channel.channel_type not in FEES:
            continue  # WooCommerce: the payment provider pays the merchant
        rate = FEES[channel.channel_type][0]
        invoices = env["account.move"].search(
            [
                ("ecom_channel_id", "=", channel.id),
                ("move_type", "=", "out_invoice"),
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
                fee = round(invoice.amount_total * rate * gen.rng.uniform(0.9, 1.1), 2)
                lines.append(
                    {
                        "kind": "order",
                        "order_ref": order.ecom_external_ref,
                        "sale_order_id": order.id,
                        "amount": invoice.amount_total,
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
    invoice_recent_orders(gen)
    payouts(gen, bank)
