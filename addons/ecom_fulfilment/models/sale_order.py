# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
import math
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import email_normalize, mute_logger

from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS

from ..ecom_fulfilment_core import pricing
from .decimal_precision import remembered_precisions
from .procurement_group import RULES
from .stock_move import ORDERPOINTS

_logger = logging.getLogger(__name__)

#: New channel orders created together (one ``create``). A chunk that fails is created again
#: order by order (then the one at fault fails alone), so a larger chunk saves more time on the
#: usual import and costs more on a broken one. The import jobs bring 50 orders each
#: (``order_jobs.ORDER_JOB_CHUNK``); the *Import Orders* button all the orders read.
CREATE_CHUNK = 200
#: Imported orders, the customers and addresses created for them, and (at confirmation) their
#: deliveries are created without "created" notes, followers, field tracking or subscription
#: notices, as connectors do for bulk imports: the sync log says what was imported, and later
#: changes are tracked as usual.
IMPORT_CONTEXT = {
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "tracking_disable": True,
    "mail_auto_subscribe_no_notify": True,
}
#: New orders confirmed together: one procurement run, their deliveries created together, one
#: reading of the stock per product to reserve (see ``_ecom_confirm_chunk``).
CONFIRM_CHUNK = 400
#: An order dated later than now plus this is dated wrong (the channel's clock, or hostile
#: data): it is kept for a human, and its date moves no import mark.
FUTURE_TOLERANCE = timedelta(days=1)


class OrderImportRun:
    """One import of channel orders, handed from step to step of the import: the channel,
    what the orders being created refer to (``data``, read once per batch by
    ``_ecom_import_data``), the ``result`` given back to the caller, the sync ``logs`` written
    at the end, the new orders waiting for confirmation and the customers created."""

    __slots__ = ("channel", "data", "result", "logs", "to_confirm", "created_partners", "raced")

    def __init__(self, channel, remote_orders):
        empty = channel.env["sale.order"]
        self.channel = channel
        self.data = {}
        self.result = {
            "read": len(remote_orders),
            "created": empty,
            "attention": empty,
            "cancelled": empty,
            "updated": empty,
            "failed": [],
            "errors": {},
            "unidentified": [],
        }
        self.logs = []
        self.to_confirm = []  # ids of the new orders to confirm once all are created
        self.created_partners = []  # ids of the customers and addresses created
        self.raced = []  # orders created meanwhile by a concurrent import

    def log(self, status, message, record=None, payload=None):
        """Queue one sync log line of the import, about ``record`` when given."""
        vals = self.channel._sync_log_vals("import orders", status, message, payload=payload)
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        self.logs.append(vals)


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    ecom_channel_id = fields.Many2one(
        "ecom.channel",
        "Sales Channel",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        help="The channel whose imported orders use this pricelist (one per channel and "
        "currency); the channel's prices are kept on the order lines.",
    )


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ecom_shipping_rule_id = fields.Many2one(
        "ecom.shipping.rule",
        "Shipping Rule",
        copy=False,
        check_company=True,
        help="The rule that chose the carrier of this channel order; change it to ship otherwise.",
    )
    ecom_needs_attention = fields.Boolean(
        "Needs Attention",
        copy=False,
        index=True,
        help="The channel order could not be imported as it is (unknown product, missing "
        "address, no shipping rule...): see the reason.",
    )
    ecom_attention_reason = fields.Text("Attention Reason", copy=False)

    @api.onchange("ecom_shipping_rule_id")
    def _onchange_ecom_shipping_rule_id(self):
        if self.ecom_shipping_rule_id:
            self.carrier_id = self.ecom_shipping_rule_id.carrier_id

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_ecom_mark_handled(self):
        """The problems of these channel orders were dealt with."""
        self.write({"ecom_needs_attention": False})

    # ------------------------------------------------------------------
    # Order import
    # ------------------------------------------------------------------

    @api.model
    def _ecom_existing_orders(self, channel, refs):
        """The orders of ``channel`` already imported for ``refs``, by reference (one search)."""
        orders = self.with_context(active_test=False).search(
            [("ecom_channel_id", "=", channel.id), ("ecom_external_ref", "in", list(refs))]
        )
        return {order.ecom_external_ref: order for order in orders}

    @api.model
    def _ecom_import_remote_orders(self, channel, remote_orders):
        """Create the orders of ``channel`` not imported yet, apply the changes (cancellation,
        address...) to the others. Orders are created in chunks with one ``create`` each; when
        a chunk fails, its orders are created one by one, each in its own savepoint: a failing
        one is logged and the others go on; one created meanwhile by a concurrent import counts
        as existing. The new orders are then confirmed in chunks. An order the channel sent
        without a reference cannot be imported (nor recognised again): it is logged with its
        data. ``result["failed"]`` lists the orders that failed, ``result["errors"]`` why.
        Meanwhile each decimal precision is read once (``remembered_precisions``)."""
        with remembered_precisions(self.env):
            return self._ecom_import_run(OrderImportRun(channel, remote_orders), remote_orders)

    @api.model
    def _ecom_import_run(self, run, remote_orders):
        channel = run.channel
        latest = {}
        for remote in remote_orders:  # a changed order may be read twice: keep its last state
            if remote.external_ref:
                latest[remote.external_ref] = remote
            else:
                run.result["unidentified"].append(remote)
        for remote in run.result["unidentified"]:
            self._ecom_unidentified_log(run, remote)
        existing = self._ecom_existing_orders(channel, latest)
        new = [r for ref, r in latest.items() if ref not in existing]
        for remotes in self._ecom_import_batches(run, new):
            for start in range(0, len(remotes), CREATE_CHUNK):
                chunk = remotes[start : start + CREATE_CHUNK]
                if len(chunk) > 1 and self._ecom_create_chunk(run, chunk):
                    continue
                for remote in chunk:  # one by one: a failing order does not stop the others
                    self._ecom_create_one(run, remote)
        self._ecom_confirm_orders(run, self.browse(run.to_confirm))
        if run.raced:
            refs = {r.external_ref for r in run.raced}
            existing.update(self._ecom_existing_orders(channel, refs))
            self._ecom_drop_unused_customers(self.env["res.partner"].browse(run.created_partners))
        changed = [
            (existing[r.external_ref], r) for r in latest.values() if r.external_ref in existing
        ]
        self._ecom_apply_changes(run, changed)
        self.env["ecom.sync.log"]._create_logs(run.logs)
        return run.result

    @api.model
    def _ecom_import_batches(self, run, remotes):
        """Yield the new orders in batches, with ``run.data`` set to what they refer to: read
        for all of them at once; when that fails (one order's data breaks a grouped create),
        for each order alone, and an order whose data cannot be prepared fails alone."""
        if not remotes:
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                data = self._ecom_import_data(run, remotes)
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except
            _logger.info(
                "channel %s: preparing the orders one by one", run.channel.id, exc_info=True
            )
        else:
            run.data = data
            yield remotes
            return
        for remote in remotes:
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    data = self._ecom_import_data(run, [remote])
            except CONCURRENCY_ERRORS:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                self._ecom_import_failed(run, remote, exc)
                continue
            run.data = data
            yield [remote]

    @api.model
    def _ecom_unidentified_log(self, run, remote):
        """Log an order that came without a reference: its data goes to the log (secrets
        removed), as there is no record to keep it on."""
        problems = "; ".join(remote.problems) or self.env._("the channel gave no order id")
        run.log(
            "error",
            self.env._(
                "An order (number %(number)s) could not be imported: it has no channel "
                "reference (%(problems)s). Its data is kept in this log line.",
                number=remote.name or "-",
                problems=problems,
            ),
            payload=json.dumps(remote.raw, default=str, sort_keys=True) if remote.raw else False,
        )

    @api.model
    def _ecom_import_failed(self, run, remote, exc):
        """``remote`` could not be imported (an error, not a problem of its data)."""
        _logger.exception("channel %s: order %s not imported", run.channel.id, remote.name)
        run.result["failed"].append(remote)
        run.result["errors"][remote.external_ref] = str(exc)
        run.log(
            "error",
            self.env._(
                "Order %(order)s could not be imported: %(error)s",
                order=remote.name or remote.external_ref,
                error=exc,
            ),
        )

    @api.model
    def _ecom_create_chunk(self, run, chunk):
        """Create the orders of ``chunk`` with their lines in one ``create`` (fast); False,
        with nothing created, when any of them fails (then they are created one by one)."""
        queued = len(run.to_confirm)
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                items = [(remote, *self._ecom_prepare_order(run, remote)) for remote in chunk]
                orders = self.with_context(**run.data["create_context"]).create(
                    [v for __, v, __ in items]
                )
                answers = self._ecom_finish_orders(run, [(r, p) for r, __, p in items], orders)
                self.env.flush_all()
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except
            del run.to_confirm[queued:]
            _logger.info(
                "channel %s: creating the orders one by one", run.channel.id, exc_info=True
            )
            return False
        for order, problems in zip(orders, answers, strict=True):
            self._ecom_created(run, order, problems)
        return True

    @api.model
    def _ecom_create_one(self, run, remote):
        queued = len(run.to_confirm)
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                order, problems = self._ecom_create_order(run, remote)
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation:
            del run.to_confirm[queued:]
            run.raced.append(remote)  # imported by another process since our search
            return
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            del run.to_confirm[queued:]
            self._ecom_import_failed(run, remote, exc)
            return
        self._ecom_created(run, order, problems)

    @api.model
    def _ecom_created(self, run, order, problems):
        run.result["created"] |= order
        if problems:
            run.result["attention"] |= order
            for problem in problems:
                run.log("warning", problem, record=order)

    @api.model
    def _ecom_confirm_orders(self, run, orders):
        """Confirm the new orders in chunks: Odoo's procurement, pickings and reservation then
        work on many orders at once (see ``_ecom_confirm_chunk``). A chunk that fails is
        confirmed order by order, so that one order that cannot be confirmed is flagged
        alone."""
        orders = orders.with_context(**IMPORT_CONTEXT)
        for start in range(0, len(orders), CONFIRM_CHUNK):
            chunk = orders[start : start + CONFIRM_CHUNK]
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    chunk._ecom_confirm_chunk()
                continue
            except CONCURRENCY_ERRORS:
                raise
            except Exception:  # pylint: disable=broad-except
                _logger.info("channel %s: confirming order by order", run.channel.id, exc_info=True)
            for order in chunk:
                try:
                    with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                        order.action_confirm()
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as exc:  # pylint: disable=broad-except
                    message = self.env._(
                        "Order %(order)s could not be confirmed: %(error)s",
                        order=order.client_order_ref or order.name,
                        error=exc,
                    )
                    order.write({"ecom_needs_attention": True, "ecom_attention_reason": message})
                    run.result["attention"] |= order
                    run.log("warning", message, record=order)

    def _ecom_confirm_chunk(self):
        """Confirm these new orders together. What Odoo's confirmation would do order by order
        and allows to do for all is done first, for all of them: their procurement groups are
        created in one ``create`` (Odoo creates each one while it launches the order's stock
        rules, and reuses the group an order has); the customers follow their orders (one
        ``create`` of followers, see ``_ecom_subscribe_customers``). Then one
        ``action_confirm`` runs the stock rules of all the lines at once: one procurement run,
        the moves created and confirmed together, their deliveries created together
        (``stock.move._assign_picking``), reservation in one ``_action_assign`` with one
        reading of the stock per product (``stock.move._ecom_reserve_together``), whether a
        product has an automatic reordering rule read once (``ORDERPOINTS``) and the stock rule
        of each product and location looked up once for all its lines (``RULES``)."""
        need_group = self.filtered(
            lambda o: (
                not o.procurement_group_id
                and any(line.product_id.type == "consu" for line in o.order_line)
            )
        )
        groups = self.env["procurement.group"].create(
            [order.order_line[:1]._prepare_procurement_group_vals() for order in need_group]
        )
        for order, group in zip(need_group, groups, strict=True):
            order.procurement_group_id = group
        self.flush_recordset(["procurement_group_id"])
        self._ecom_subscribe_customers()
        # lookups shared by the chunk's orders, in the cursor's cache: Odoo's reordering rules
        # open savepoints, which clear the transaction's data
        cache = self.env.cr.cache
        cache[ORDERPOINTS] = {}
        if self.env["procurement.group"]._ecom_rule_lookup_is_odoos():
            cache[RULES] = {}
        try:
            self.with_context(ecom_import_batch=True).action_confirm()
        finally:
            cache.pop(ORDERPOINTS, None)
            cache.pop(RULES, None)
        self.env.flush_all()

    def _ecom_subscribe_customers(self):
        """Make the customers follow their orders, as confirming does order by order (one
        subscription each: ``message_subscribe`` of ``action_confirm``, which skips an order its
        customer follows already), in one ``create`` for all the orders."""
        self._ecom_subscribe_together([(order.id, order.partner_id.ids) for order in self])

    @api.model
    def _ecom_drop_unused_customers(self, partners):
        """Customers created for orders another import created first: without an order of
        theirs they would be duplicates."""
        used = self.with_context(active_test=False).search(
            [
                "|",
                ("partner_id", "in", partners.ids),
                ("partner_shipping_id", "in", partners.ids),
            ]
        )
        unused = partners - used.partner_id - used.partner_shipping_id
        unused = unused.filtered(lambda p: not (p.child_ids - unused))
        if unused:
            with self.env.cr.savepoint():
                unused.unlink()

    @api.model
    def _ecom_apply_changes(self, run, changed):
        """Cancel the orders cancelled on the channel, unless they have shipped already; apply
        the other changes (delivery address, buyer email, ship-by date) to the others."""
        self._ecom_apply_updates(
            run, [(o, r) for o, r in changed if not r.cancelled and o.state != "cancel"]
        )
        for order, remote in changed:
            if not remote.cancelled or order.state == "cancel":
                continue
            label = order.name
            if any(picking.state == "done" for picking in order.picking_ids):
                run.log(
                    "warning",
                    self.env._(
                        "Order %(order)s was cancelled on the channel but has already shipped: "
                        "refund or recall it by hand.",
                        order=label,
                    ),
                    record=order,
                )
                continue
            try:
                with self.env.cr.savepoint():
                    order.with_context(disable_cancel_warning=True).action_cancel()
            except CONCURRENCY_ERRORS:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                _logger.exception("channel %s: order %s not cancelled", run.channel.id, label)
                run.log(
                    "error",
                    self.env._(
                        "Order %(order)s was cancelled on the channel but could not be "
                        "cancelled here: %(error)s",
                        order=label,
                        error=exc,
                    ),
                    record=order,
                )
                continue
            order.message_post(body=self.env._("Cancelled on the sales channel."))
            run.result["cancelled"] |= order

    @api.model
    def _ecom_apply_updates(self, run, changed):
        """Changes made on the channel to orders imported already: a new delivery address is
        applied to the order and its open deliveries (not to what has left: that is logged),
        a buyer email given later is kept, a new ship-by date too."""
        if not changed:
            return
        channel = run.channel
        addresses = [remote.shipping_address for __, remote in changed]
        countries = self.env["res.country"].search(
            [("code", "in", list({a.country_code.upper() for a in addresses if a.country_code}))]
        )
        country_by_code = {c.code: c for c in countries}
        states = self.env["res.country.state"].search(
            [
                ("country_id", "in", countries.ids),
                ("code", "in", list({a.state for a in addresses if a.state})),
            ]
        )
        for order, remote in changed:
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    order_logs = []
                    if order._ecom_apply_update(
                        channel, remote, country_by_code, states, order_logs
                    ):
                        run.result["updated"] |= order
                    self.env.flush_all()
            except CONCURRENCY_ERRORS:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                _logger.exception("channel %s: order %s not updated", channel.id, order.id)
                order_logs = [
                    dict(
                        channel._sync_log_vals(
                            "import orders",
                            "error",
                            self.env._(
                                "Order %(order)s changed on the channel but the change could "
                                "not be applied: %(error)s",
                                order=order.name,
                                error=exc,
                            ),
                        ),
                        res_model=self._name,
                        res_id=order.id,
                    )
                ]
            run.logs += order_logs

    def _ecom_apply_update(self, channel, remote, country_by_code, states, logs):
        """Apply the channel's changes to this order; True when its address changed."""
        self.ensure_one()
        order = self
        customer = order.partner_id
        if remote.buyer_email and not customer.email:
            customer.email = remote.buyer_email
        if remote.ship_by and remote.ship_by != order.ecom_ship_by_date:
            order.ecom_ship_by_date = remote.ship_by
        address = remote.shipping_address
        if self._ecom_address_missing(address, country_by_code, customer.name):
            return False  # nothing usable: keep what the order has
        vals = self._ecom_partner_vals(address, country_by_code, states)
        vals["name"] = address.name or customer.name
        current = order.partner_shipping_id
        if all((current[k].id if k.endswith("_id") else current[k]) == v for k, v in vals.items()):
            return False
        shipped = order.picking_ids.filtered(lambda p: p.state == "done")
        if shipped:
            vals_log = channel._sync_log_vals(
                "import orders",
                "warning",
                self.env._(
                    "Order %(order)s: the delivery address changed on the channel after "
                    "%(pickings)s left; the new address is only noted on the order.",
                    order=order.name,
                    pickings=", ".join(shipped.mapped("name")),
                ),
            )
            vals_log.update(res_model=self._name, res_id=order.id)
            logs.append(vals_log)
        delivery = customer.child_ids.filtered(
            lambda c, vals=vals: (
                c.type == "delivery"
                and all((c[k].id if k.endswith("_id") else c[k]) == v for k, v in vals.items())
            )
        )[:1] or self.env["res.partner"].create(
            dict(vals, parent_id=customer.id, type="delivery", company_id=channel.company_id.id)
        )
        order.partner_shipping_id = delivery
        open_pickings = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        open_pickings.partner_id = delivery
        labelled = open_pickings.filtered("carrier_tracking_ref")
        message = self.env._(
            "Delivery address changed on the channel: %(address)s.",
            address=delivery._display_address(without_company=True).replace("\n", ", "),
        )
        if labelled:
            note = self.env._(
                "Order %(order)s: the label of %(pickings)s has the old address: cancel it "
                "and print it again.",
                order=order.name,
                pickings=", ".join(labelled.mapped("name")),
            )
            order.write(
                {
                    "ecom_needs_attention": True,
                    "ecom_attention_reason": "\n".join(
                        filter(None, [order.ecom_attention_reason, note])
                    ),
                }
            )
            message = "%s %s" % (message, note)
        order.message_post(body=message)
        vals_log = channel._sync_log_vals("import orders", "warning" if labelled else "ok", message)
        vals_log.update(res_model=self._name, res_id=order.id)
        logs.append(vals_log)
        return True

    @api.model
    def _ecom_import_data(self, run, remote_orders):
        """Everything the new orders refer to, read (or created) in a few grouped queries,
        once for all of them: products by listing and SKU, countries, states, pricelists,
        customers and their delivery addresses, shipping rules, the shipping product. The
        customers created are added to ``run.created_partners``."""
        channel = run.channel
        listing_refs = {
            line.listing_ref for r in remote_orders for line in r.lines if line.listing_ref
        }
        skus = {line.sku for r in remote_orders for line in r.lines if line.sku}
        listings = self.env["ecom.channel.listing"].search(
            [("channel_id", "=", channel.id), ("external_ref", "in", list(listing_refs))]
        )
        products = self.env["product.product"].search(
            [
                ("default_code", "in", list(skus)),
                ("company_id", "in", [False, channel.company_id.id]),
            ]
        )
        addresses = [a for r in remote_orders for a in (r.shipping_address, r.billing_address)]
        countries = self.env["res.country"].search(
            [("code", "in", list({a.country_code.upper() for a in addresses if a.country_code}))]
        )
        country_by_code = {c.code: c for c in countries}
        states = self.env["res.country.state"].search(
            [
                ("country_id", "in", countries.ids),
                ("code", "in", list({a.state for a in addresses if a.state})),
            ]
        )
        return {
            "now": fields.Datetime.now(),
            "currency_problems": self._ecom_currency_problems(channel, remote_orders),
            "by_listing": {lst.external_ref: lst.product_id for lst in listings if lst.product_id},
            "by_sku": {p.default_code: p for p in products},
            "countries": country_by_code,
            "states": {(s.country_id.code, s.code): s for s in states},
            "pricelists": self._ecom_pricelists(channel, remote_orders),
            "customers": self._ecom_customers(
                channel, remote_orders, country_by_code, states, created=run.created_partners
            ),
            # the shipping rules as the plain-Python matcher reads them, built once per batch
            "rules": self.env["ecom.shipping.rule"]
            .search([("company_id", "in", (channel.company_id.id, False))])
            ._to_core(),
            # what the orders are created with (see sale.order.line's analytic distribution)
            "create_context": dict(
                IMPORT_CONTEXT,
                ecom_no_distribution_model=not self.env["account.analytic.distribution.model"]
                .sudo()
                .search_count([], limit=1),
            ),
            "shipping_product": channel.shipping_product_id
            or self.env.ref(
                "ecom_fulfilment.product_product_channel_shipping", raise_if_not_found=False
            ),
        }

    @api.model
    def _ecom_currency_code(self, channel, remote):
        """The ISO code of the currency of ``remote`` (the channel's when it gives none)."""
        return (remote.currency or "").strip().upper() or channel.currency_id.name

    @api.model
    def _ecom_currency_problems(self, channel, remote_orders):
        """``{currency code: why orders in it cannot be booked, or None}``. An order is booked
        only in a currency that exists, is active and has an exchange rate for the channel's
        company (Odoo would convert at 1:1 otherwise)."""
        codes = {self._ecom_currency_code(channel, r) for r in remote_orders}
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(codes))])
        )
        company = channel.company_id
        rated = {
            currency.id
            for [currency] in self.env["res.currency.rate"]
            .sudo()
            ._read_group(
                [
                    ("currency_id", "in", currencies.ids),
                    ("company_id", "in", [False, company.root_id.id]),
                ],
                ["currency_id"],
            )
        }
        by_code = {c.name: c for c in currencies}
        problems = {}
        for code in codes:
            currency = by_code.get(code)
            if not currency:
                problems[code] = self.env._(
                    "its currency %(code)s is unknown: it is not booked in another currency.",
                    code=code,
                )
            elif not currency.active:
                problems[code] = self.env._(
                    "its currency %(code)s is not active (Accounting > Configuration > "
                    "Currencies).",
                    code=code,
                )
            elif currency != company.currency_id and currency.id not in rated:
                problems[code] = self.env._(
                    "its currency %(code)s has no exchange rate for %(company)s: add one, then "
                    "confirm the order.",
                    code=code,
                    company=company.name,
                )
            else:
                problems[code] = None
        return problems

    @api.model
    def _ecom_pricelists(self, channel, remote_orders):
        """The channel's pricelist of each order currency, and of the channel's currency: one
        per channel and currency, named after the channel (the channel's prices are kept on the
        lines; the pricelist gives the order its currency and tells the channel in the sales
        reports). Never another channel's: missing ones are created, for active currencies
        only."""
        codes = {self._ecom_currency_code(channel, r) for r in remote_orders}
        codes.add(channel.currency_id.name)
        currencies = self.env["res.currency"].search([("name", "in", list(codes))])
        Pricelist = self.env["product.pricelist"].sudo().with_context(active_test=False)
        pricelists = Pricelist.search(
            [("ecom_channel_id", "=", channel.id), ("currency_id", "in", currencies.ids)],
            order="active desc, sequence, id",
        )
        by_currency = {}
        for pricelist in pricelists:
            by_currency.setdefault(pricelist.currency_id.name, pricelist)
        missing = [c for c in currencies if c.name not in by_currency]
        created = Pricelist.create(
            [
                {
                    "name": self._ecom_pricelist_name(channel, currency),
                    "currency_id": currency.id,
                    "company_id": channel.company_id.id,
                    "ecom_channel_id": channel.id,
                }
                for currency in missing
            ]
        )
        by_currency.update({p.currency_id.name: p for p in created})
        return {code: p.sudo(False) for code, p in by_currency.items()}

    @api.model
    def _ecom_pricelist_name(self, channel, currency):
        """The channel's name, with the currency when the name does not give it already."""
        if currency.name in (channel.name or ""):
            return channel.name
        return "%s (%s)" % (channel.name, currency.name)

    @api.model
    def _ecom_partner_vals(self, address, country_by_code, states):
        country = country_by_code.get((address.country_code or "").upper())
        state = states.filtered(lambda s: s.country_id == country and s.code == address.state)[:1]
        return {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
            "country_id": country.id if country else False,
            "state_id": state.id,
            "phone": address.phone or False,
        }

    @api.model
    def _ecom_address_missing(self, address, country_by_code, name=""):
        """What the delivery ``address`` lacks to ship to it, in plain words: a name (``name``
        stands in for it), street, city, country (one Odoo knows) and, where the country
        requires one, a postcode."""
        missing = []
        if not (address.name or name):
            missing.append(self.env._("a name"))
        if not address.street:
            missing.append(self.env._("a street"))
        if not address.city:
            missing.append(self.env._("a city"))
        country = country_by_code.get((address.country_code or "").strip().upper())
        if not address.country_code:
            missing.append(self.env._("a country"))
        elif not country:
            missing.append(
                self.env._("a known country (%(code)s is unknown)", code=address.country_code)
            )
        if not address.zip and (not country or country.zip_required):
            missing.append(self.env._("a postcode"))
        return missing

    @api.model
    def _ecom_matching_customers(self, channel, emails):
        """The customers a buyer's email may match: top-level contacts of the channel's
        company or shared by all companies, never a contact of a user, an employee or a
        company (a buyer giving a staff member's email does not order in their name)."""
        if not emails:
            return self.env["res.partner"]
        partners = self.env["res.partner"].search(
            [
                ("email_normalized", "in", emails),
                ("parent_id", "=", False),
                ("company_id", "in", [False, channel.company_id.id]),
            ],
            order="id",
        )
        internal = partners.sudo().with_context(active_test=False)
        staff = internal.user_ids.partner_id
        if "employee_ids" in internal._fields:  # hr installed
            staff |= internal.filtered("employee_ids")
        staff |= self.env["res.company"].sudo().search([]).partner_id
        return partners - staff.sudo(False)

    @api.model
    def _ecom_customers(self, channel, remote_orders, country_by_code, states, created=None):
        """``{external_ref: (customer, delivery address)}``: customers matched by email (one
        search) or created, each with its delivery address as a child contact (as the orders:
        without "created" notes or followers, see ``IMPORT_CONTEXT``)."""
        Partner = self.env["res.partner"].with_context(**IMPORT_CONTEXT)
        emails = {r.external_ref: email_normalize(r.buyer_email or "") for r in remote_orders}
        partners = self._ecom_matching_customers(channel, [e for e in emails.values() if e])
        by_email = {}
        for partner in partners:
            by_email.setdefault(partner.email_normalized, partner)
        new_vals, new_refs = {}, []
        for remote in remote_orders:
            email = emails[remote.external_ref]
            if email and (email in by_email or email in new_vals):
                continue
            billing = remote.billing_address
            if not (billing.street or billing.city):
                billing = remote.shipping_address
            vals = self._ecom_partner_vals(billing, country_by_code, states)
            vals.update(
                name=remote.buyer_name
                or billing.name
                or remote.shipping_address.name
                or email
                or remote.name
                or remote.external_ref,
                email=remote.buyer_email or False,
                company_id=channel.company_id.id,
            )
            if email:
                new_vals[email] = vals
            else:
                new_refs.append((remote.external_ref, vals))
        new_partners = Partner.create(
            Partner._ecom_with_defaults(list(new_vals.values()) + [vals for __, vals in new_refs])
        )
        by_email.update(zip(new_vals, new_partners[: len(new_vals)], strict=True))
        by_ref = dict(
            zip([ref for ref, __ in new_refs], new_partners[len(new_vals) :], strict=True)
        )
        # Delivery addresses: reuse an identical delivery contact, or create one.
        customers, delivery_vals = {}, {}
        for remote in remote_orders:
            email = emails[remote.external_ref]
            parent = by_ref.get(remote.external_ref) or by_email[email]
            address = remote.shipping_address
            if not (address.street or address.city or address.zip or address.country_code):
                customers[remote.external_ref] = (parent, parent)
                continue
            vals = self._ecom_partner_vals(address, country_by_code, states)
            vals.update(
                name=address.name or parent.name,
                parent_id=parent.id,
                type="delivery",
                company_id=channel.company_id.id,
            )
            key = tuple(sorted((k, v) for k, v in vals.items() if k != "company_id"))
            same = parent.child_ids.filtered(
                lambda c, vals=vals: (
                    c.type == "delivery"
                    and all(
                        c[k].id == v if k.endswith("_id") else c[k] == v for k, v in vals.items()
                    )
                )
            )[:1]
            customers[remote.external_ref] = (parent, same or key)
            if not same:
                delivery_vals.setdefault(key, vals)
        new_deliveries = Partner._ecom_create_contacts(list(delivery_vals.values()))
        deliveries = dict(zip(delivery_vals, new_deliveries, strict=True))
        if created is not None:
            created.extend((new_partners | new_deliveries).ids)
        return {
            ref: (parent, deliveries[delivery] if isinstance(delivery, tuple) else delivery)
            for ref, (parent, delivery) in customers.items()
        }

    @api.model
    def _ecom_price_digits(self):
        return self.env["decimal.precision"].precision_get("Product Price")

    @api.model
    def _ecom_pricelist_of(self, run, remote):
        """The pricelist (so the currency) the order of ``remote`` is booked in: the channel's
        pricelist of the order's currency, else of the channel's currency."""
        pricelists = run.data.get("pricelists") or {}
        code = self._ecom_currency_code(run.channel, remote)
        return pricelists.get(code) or pricelists.get(run.channel.currency_id.name)

    @api.model
    def _ecom_amount_digits(self, run, remote):
        """The decimals of the amounts of ``remote``: its currency's (0 for yen, 3 for dinars),
        as Odoo rounds the order's totals."""
        pricelist = self._ecom_pricelist_of(run, remote)
        currency = pricelist.currency_id if pricelist else run.channel.currency_id
        return currency.decimal_places

    @api.model
    def _ecom_order_line_vals(self, run, remote, line, product):
        """Values of the sale order line for one matched channel line (hook). The unit price
        reproduces the channel's line total (after its discounts, with or without tax as the
        order says) at the *Product Price* precision; when no price does (10.00 for 3),
        ``_ecom_exact_line_vals`` splits the line in two. The channel's tax of the line is kept
        beside it (``ecom_channel_tax``) to check Odoo's against it. Amounts are rounded as the
        order's currency rounds."""
        digits = self._ecom_amount_digits(run, remote)
        total = pricing.line_total(line.quantity, line.unit_price, line.total, digits)
        price = pricing.exact_unit_price(total, line.quantity, self._ecom_price_digits(), digits)
        return {
            "product_id": product.id,
            "product_uom_qty": line.quantity,
            "price_unit": line.unit_price if price is None else price,
            "ecom_line_ref": line.external_ref or False,
            "ecom_channel_line_total": total,
            "ecom_amount_digits": digits,
            "ecom_channel_tax": line.tax_amount if remote.taxes_reported else 0.0,
            "ecom_channel_tax_reported": remote.taxes_reported,
        }

    @api.model
    def _ecom_exact_line_vals(self, vals):
        """``vals`` of a product line as one or two lines whose prices give the channel's
        line total exactly: ``[(2, 3.33), (1, 3.34)]`` for 10.00 for 3. Both lines keep the
        channel's line reference; the first one carries the channel's tax of the line. A
        fractional quantity without an exact price keeps the nearest price (the difference is
        flagged with the order's total)."""
        total = vals.pop("ecom_channel_line_total", None)
        amount_digits = vals.pop("ecom_amount_digits", None)
        if total is None or "product_uom_qty" not in vals:
            return [vals]
        parts = pricing.exact_parts(
            total, vals["product_uom_qty"], self._ecom_price_digits(), amount_digits
        )
        if not parts or len(parts) == 1:
            if parts:
                vals["price_unit"] = parts[0][1]
            return [vals]
        (first_qty, first_price), (second_qty, second_price) = parts
        second = dict(vals, product_uom_qty=second_qty, price_unit=second_price)
        second["ecom_channel_tax"] = 0.0
        vals.update(product_uom_qty=first_qty, price_unit=first_price)
        return [vals, second]

    @api.model
    def _ecom_shipping_tax(self, remote, digits=2):
        """The channel's tax of the shipping charge: as reported apart, else the order's tax
        minus the lines' (0 when the channel reports no taxes), in a currency of ``digits``
        decimals."""
        if not remote.taxes_reported:
            return 0.0
        if pricing.is_amount(remote.shipping_tax_amount):
            return remote.shipping_tax_amount
        lines_tax = sum(
            line.tax_amount for line in remote.lines if pricing.is_amount(line.tax_amount)
        )
        if not pricing.is_amount(remote.tax_amount) or not math.isfinite(
            remote.tax_amount - lines_tax
        ):
            return 0.0
        return pricing.round_amount(remote.tax_amount - lines_tax, digits)

    @api.model
    def _ecom_shipping_line_vals(self, run, remote, shipping_product):
        """Values of the delivery line carrying the channel's shipping charge (hook)."""
        return {
            "product_id": shipping_product.id,
            "name": remote.service_level or shipping_product.display_name,
            "product_uom_qty": 1,
            "price_unit": remote.shipping_amount,
            "is_delivery": True,
            "ecom_channel_tax": self._ecom_shipping_tax(
                remote, self._ecom_amount_digits(run, remote)
            ),
            "ecom_channel_tax_reported": remote.taxes_reported,
        }

    @api.model
    def _ecom_order_vals(self, run, remote, customer, delivery, pricelist, lines):
        """Values of the sale order created for ``remote`` (hook)."""
        channel = run.channel
        return {
            "ecom_channel_id": channel.id,
            "ecom_external_ref": remote.external_ref,
            "ecom_service_level": remote.service_level or False,
            "ecom_ship_by_date": remote.ship_by,
            "company_id": channel.company_id.id,
            "warehouse_id": channel.warehouse_id.id,
            "partner_id": customer.id,
            "partner_invoice_id": customer.id,
            "partner_shipping_id": delivery.id,
            "pricelist_id": pricelist.id if pricelist else False,
            "client_order_ref": remote.name or remote.external_ref,
            "origin": remote.name or False,
            "date_order": remote.created_at or fields.Datetime.now(),
            "order_line": [fields.Command.create(vals) for vals in lines],
        }

    @api.model
    def _ecom_prepare_order(self, run, remote):
        """The values of the sale order of one channel order, and the problems found. Any
        problem keeps the order unconfirmed (so nothing is delivered, invoiced or returned):
        what the client could not read, a date in the future, an address the carrier cannot
        ship to, a currency that cannot be booked, a line that is not a sale (quantity not
        above zero, negative price: kept as a note, never as a product line), a product not
        found."""
        channel, data = run.channel, run.data
        label = remote.name or remote.external_ref
        problems = [
            self.env._("Order %(order)s: %(problem)s", order=label, problem=problem)
            for problem in remote.problems
        ]
        future = self._ecom_is_future(remote.created_at, data["now"])
        if future:
            problems.append(
                self.env._(
                    "Order %(order)s: it is dated %(date)s, in the future: check the order on "
                    "the channel.",
                    order=label,
                    date=remote.created_at,
                )
            )
        missing = self._ecom_address_missing(
            remote.shipping_address, data["countries"], remote.buyer_name
        )
        if missing:
            problems.append(
                self.env._(
                    "Order %(order)s: the delivery address lacks %(fields)s.",
                    order=label,
                    fields=", ".join(missing),
                )
            )
        code = self._ecom_currency_code(channel, remote)
        if data["currency_problems"].get(code):
            problems.append(
                self.env._(
                    "Order %(order)s: %(problem)s",
                    order=label,
                    problem=data["currency_problems"][code],
                )
            )
        customer, delivery = data["customers"][remote.external_ref]
        lines = []
        for line in remote.lines:
            line_problem = invalid = self._ecom_line_problem(line)
            product = None
            if not invalid:
                product = data["by_listing"].get(line.listing_ref) or data["by_sku"].get(line.sku)
                if not product:
                    line_problem = self.env._(
                        "no product for SKU %(sku)s (%(title)s, listing %(listing)s).",
                        sku=line.sku or "-",
                        title=line.title or "-",
                        listing=line.listing_ref or "-",
                    )
            if line_problem:
                problems.append(
                    self.env._("Order %(order)s: %(problem)s", order=label, problem=line_problem)
                )
                lines.append(self._ecom_line_note(line, unmatched=not invalid))
                continue
            lines.extend(
                self._ecom_exact_line_vals(self._ecom_order_line_vals(run, remote, line, product))
            )
        shipping_product = data["shipping_product"]
        if not (math.isfinite(remote.shipping_amount) and remote.shipping_amount >= 0):
            problems.append(
                self.env._(
                    "Order %(order)s: the shipping charge %(amount)s is not an amount that can "
                    "be charged; it is not on the order.",
                    order=label,
                    amount=remote.shipping_amount,
                )
            )
        elif remote.shipping_amount:
            if shipping_product:
                lines.append(self._ecom_shipping_line_vals(run, remote, shipping_product))
            else:
                problems.append(
                    self.env._(
                        "Order %(order)s: the channel has no delivery product for the shipping "
                        "charge of %(amount)s.",
                        order=label,
                        amount=remote.shipping_amount,
                    )
                )
        pricelist = self._ecom_pricelist_of(run, remote)
        vals = self._ecom_order_vals(run, remote, customer, delivery, pricelist, lines)
        if future:
            vals["date_order"] = data["now"]  # the channel's date is in the reason
        return vals, problems

    @api.model
    def _ecom_is_future(self, date, now):
        return bool(date and date > now + FUTURE_TOLERANCE)

    @api.model
    def _ecom_line_problem(self, line):
        """Why a channel line cannot be sold as it is, in plain words (the rule is
        ``pricing.line_problem``); None when it can."""
        problem = pricing.line_problem(line.quantity, line.unit_price, line.total, line.tax_amount)
        if problem is None:
            return None
        names = {"sku": line.sku or "-", "title": line.title or "-"}
        if problem == "quantity":
            return self.env._(
                "line %(sku)s (%(title)s) has quantity %(qty)s; only a quantity above zero is "
                "sold (a negative one would be a return): the line is kept as a note.",
                qty=line.quantity,
                **names,
            )
        if problem == "price":
            return self.env._(
                "line %(sku)s (%(title)s) has price %(price)s; a price cannot be negative: the "
                "line is kept as a note.",
                price=line.unit_price,
                **names,
            )
        if problem == "total":
            return self.env._(
                "line %(sku)s (%(title)s) has total %(total)s after its discounts; a line "
                "cannot cost less than nothing: the line is kept as a note.",
                total=line.total,
                **names,
            )
        return self.env._(
            "line %(sku)s (%(title)s) has tax %(tax)s, which is not an amount: the line is "
            "kept as a note.",
            tax=line.tax_amount,
            **names,
        )

    @api.model
    def _ecom_line_note(self, line, unmatched=False):
        """A note line keeping a channel line that is not sold as it is (no product moves)."""
        text = (
            self.env._("Unmatched channel line: %(qty)s x %(sku)s %(title)s at %(price)s")
            if unmatched
            else self.env._(
                "Channel line not sold as read: %(qty)s x %(sku)s %(title)s at %(price)s"
            )
        )
        return {
            "display_type": "line_note",
            "name": text
            % {
                "qty": line.quantity,
                "sku": line.sku or "-",
                "title": line.title or "",
                "price": line.unit_price,
            },
        }

    @api.model
    def _ecom_create_order(self, run, remote):
        """Create one sale order from a channel order (queued for confirmation if nothing is
        missing). Return the order and the problems that keep it unconfirmed or flagged."""
        vals, problems = self._ecom_prepare_order(run, remote)
        order = self.with_context(**run.data["create_context"]).create(vals)
        return order, self._ecom_finish_orders(run, [(remote, problems)], order)[0]

    @api.model
    def _ecom_finish_orders(self, run, items, orders):
        """After creation: shipping rule and carrier, cancellation, needs-attention flag, and
        the confirmation queue. ``items`` are ``(remote, problems)`` in the order of ``orders``.
        Return the problems of each order."""
        by_rule, answers = {}, []
        Rule = self.env["ecom.shipping.rule"]
        for (remote, problems), order in zip(items, orders, strict=True):
            label = remote.name or remote.external_ref
            rule = Rule._select_for_order(order, core_rules=run.data["rules"])
            if rule:
                by_rule.setdefault(rule, []).append(order.id)
            else:
                problems.append(
                    self.env._(
                        "Order %(order)s: no shipping rule matches service level %(service)s.",
                        order=label,
                        service=remote.service_level or "-",
                    )
                )
            blocking = len(problems) - (0 if rule else 1)
            if not blocking and not remote.cancelled:
                run.to_confirm.append(order.id)
            elif remote.cancelled:
                order.with_context(disable_cancel_warning=True).action_cancel()
            if problems and not remote.cancelled:
                order.write(
                    {"ecom_needs_attention": True, "ecom_attention_reason": "\n".join(problems)}
                )
            answers.append([] if remote.cancelled else problems)
        for rule, ids in by_rule.items():
            self.browse(ids).write(
                {"ecom_shipping_rule_id": rule.id, "carrier_id": rule.carrier_id.id}
            )
        return answers
