# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

#: How far before the last import mark each import reads again, so that an order dated at the
#: boundary, or one the channel indexed late, is never missed (duplicates are skipped anyway).
IMPORT_OVERLAP = timedelta(minutes=10)
#: Channels that always email the buyer when told an order shipped.
ALWAYS_NOTIFYING = frozenset({"amazon", "ebay"})
#: Channels that email the buyer when the shipment asks them to (``notify_customer``: a
#: Shopify fulfilment, a WooCommerce customer note).
NOTIFYING_ON_REQUEST = frozenset({"shopify", "woocommerce"})


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    orders_imported_until = fields.Datetime(
        copy=False,
        help="Date (UTC) of the newest order change read from the channel. The next import asks "
        "for the changes since this date, minus a safety overlap. Never after now: an order "
        "dated in the future does not move it.",
    )
    orders_import_date = fields.Datetime(
        "Last Scheduled Order Import",
        copy=False,
        readonly=True,
        help="When the scheduled job last imported this channel's orders (it takes the "
        "channels one by one, longest waiting first).",
    )
    order_failure_count = fields.Integer(
        "Failed Order Imports", compute="_compute_order_failure_count"
    )
    shipping_product_id = fields.Many2one(
        "product.product",
        "Delivery Product",
        check_company=True,
        domain=[("type", "=", "service")],
        default=lambda self: self.env.ref(
            "ecom_fulfilment.product_product_channel_shipping", raise_if_not_found=False
        ),
        help="Product of the order line that carries the shipping charge the buyer paid.",
    )
    dispatch_mail_template_id = fields.Many2one(
        "mail.template",
        "Dispatch Email",
        domain=[("model", "=", "stock.picking")],
        default=lambda self: self.env.ref(
            "ecom_fulfilment.mail_template_ecom_dispatch", raise_if_not_found=False
        ),
        help="Sent to the customer when a delivery of this channel leaves, with the tracking "
        "link (unless the channel emails the buyer itself, see Dispatch Emails). Empty: never.",
    )
    dispatch_email_mode = fields.Selection(
        [
            ("single", "One Email"),
            ("both", "Channel's and Ours"),
        ],
        "Dispatch Emails",
        default="single",
        required=True,
        help="One Email: when the channel itself tells the buyer that the order shipped "
        "(Amazon and eBay always do; Shopify and WooCommerce when the shipment asks them to), "
        "our dispatch email is not sent, so the buyer gets one email per shipment. Channel's "
        "and Ours: our dispatch email is sent as well.",
    )

    def _ecom_emails_buyer_on_dispatch(self, picking=None):
        """Whether the channel itself emails the buyer when told that ``picking`` (a delivery
        of one of its orders; None: any) left: always for some channels, for others when the
        channel update of the delivery asks for it (``notify_customer``)."""
        self.ensure_one()
        if self.channel_type in ALWAYS_NOTIFYING:
            return True
        if self.channel_type in NOTIFYING_ON_REQUEST:
            if picking is None or not picking.sale_id:
                return True
            return bool(picking._ecom_shipment().notify_customer)
        return False

    def _compute_order_failure_count(self):
        # a count on the channel's form, for whoever may read the channel
        counts = dict(
            self.env["ecom.order.failure"]
            .sudo()
            ._read_group(
                [("channel_id", "in", self.ids), ("state", "!=", "done")],
                ["channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.order_failure_count = counts.get(channel, 0)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_import_orders(self):
        """Import the channel's new and changed orders now."""
        self.ensure_one()
        self.env["sale.order"].check_access("create")
        result = self._import_orders()
        if result.get("error"):
            return self._notification(
                self.env._("Import failed"), result["error"], kind="danger", sticky=True
            )
        message = self._import_summary(result)
        if result.get("partial"):
            message += " " + self.env._(
                "The channel could not be read to the end: %(error)s", error=result["partial"]
            )
        problems = (
            result["attention"]
            or result["failed"]
            or result["unidentified"]
            or result.get("partial")
        )
        return self._notification(
            self.env._("Orders imported"),
            message + (self.env._(" See the sync log for the details.") if problems else ""),
            kind="warning" if problems else "success",
            sticky=bool(problems),
        )

    def action_view_order_failures(self):
        """The orders of this channel whose import fails (retrying or parked)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "ecom_fulfilment.ecom_order_failure_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        return action

    @api.model
    def _cron_import_orders(self):
        """Import the new and changed orders of the active channels with an API URL, one
        channel per transaction: each run of the job imports the channel waiting longest and
        reports its progress, and Odoo commits it and runs the job again for the next one. A
        failing channel is logged in its sync log and does not stop the others. Called
        outside the job (no progress to report), it imports every channel."""
        in_job = self._in_cron_job()
        due = self._orders_import_due()
        for index, channel in enumerate(due):
            result = channel._run_isolated("import orders", channel._import_orders)
            if result is not None:
                _logger.info(
                    "order import of channel %s: %s",
                    channel.id,
                    result.get("error") or channel._import_summary(result),
                )
            channel.sudo().orders_import_date = fields.Datetime.now()
            if in_job:
                self.env["ir.cron"]._notify_progress(done=1, remaining=len(due) - index - 1)
                return

    @api.model
    def _orders_import_due(self):
        """The channels the order import job has not imported in its current round, longest
        waiting first. The round began at the job's previous complete run (``lastcall``): a
        channel imported since then waits for the next round; the first round takes the
        channels never imported by the job."""
        domain = [("api_base_url", "!=", False)]
        if self._in_cron_job():
            lastcall = self.env.context.get("lastcall")
            domain += (
                ["|", ("orders_import_date", "=", False), ("orders_import_date", "<", lastcall)]
                if lastcall
                else [("orders_import_date", "=", False)]
            )
        return self.search(domain, order="orders_import_date asc nulls first, id")

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _import_summary(self, result):
        summary = self.env._(
            "%(read)s channel orders read: %(created)s imported, %(attention)s need attention, "
            "%(cancelled)s cancelled, %(failed)s failed.",
            read=result["read"],
            created=len(result["created"]),
            attention=len(result["attention"]),
            cancelled=len(result["cancelled"]),
            failed=len(result["failed"]),
        )
        if result.get("unidentified"):
            summary += " " + self.env._(
                "%(count)s without a channel reference could not be imported (their data is in "
                "the sync log).",
                count=len(result["unidentified"]),
            )
        return summary

    def _import_orders(self):
        """Read the orders changed since the last mark (minus the overlap), import them and move
        the mark to the newest change seen, never past now. An order that failed keeps the mark
        before it until it is parked (after PARK_AFTER attempts); an order dated in the future
        moves no mark; when the channel could not be read to the end, what was read is
        imported and the mark stays."""
        self.ensure_one()
        now = fields.Datetime.now()
        stored = self.orders_imported_until
        poisoned = bool(stored and stored > now)
        current = self._orders_healed_mark(now) if poisoned else stored
        since = current - IMPORT_OVERLAP if current else None
        remote_orders, read_error, payload = [], None, None
        try:
            with self._get_client() as client:
                for remote in client.fetch_orders(since=since):
                    remote_orders.append(remote)
        except ChannelError as exc:
            read_error, payload = exc.message, exc.payload
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            _logger.exception("channel %s: the orders could not be read", self.id)
            read_error = self._unexpected_error(exc).message
        if read_error and not remote_orders:
            self._log_sync("import orders", "error", read_error, payload=payload)
            return {"error": read_error}
        result = self.env["sale.order"]._ecom_import_remote_orders(self, remote_orders)
        parked = self.env["ecom.order.failure"]._ecom_track(self, remote_orders, result)
        mark = None
        if read_error:
            result["partial"] = read_error
            self._log_sync(
                "import orders",
                "error",
                self.env._(
                    "Reading the orders stopped after %(count)s orders (imported): "
                    "%(error)s. The next import reads them again.",
                    count=len(remote_orders),
                    error=read_error,
                ),
                payload=payload,
            )
        else:
            mark = self._orders_mark(remote_orders, result, parked, now)
        if mark and current and mark <= current:
            mark = None
        if not mark and poisoned:  # the mark in the future is replaced
            mark = current or (None if read_error else now)
        if mark:
            # a technical mark: whoever may import orders moves it. A concurrent import (the
            # job and a button) may have moved it meanwhile: then its value stands.
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    self.sudo().orders_imported_until = mark
                    self.env.flush_all()
            except psycopg2.errors.SerializationFailure:
                _logger.info("channel %s: the import mark was moved by another import", self.id)
        if remote_orders:
            status = "warning" if result["attention"] or result["failed"] else "ok"
            if result["unidentified"]:
                status = "warning"
            self._log_sync("import orders", status, self._import_summary(result))
        return result

    def _orders_healed_mark(self, now):
        """The mark to read from when the stored one is in the future (set by hand, or by an
        order dated in the future before marks were checked): when the newest order of the
        channel was imported (that import read every change made before it, and the import
        that moved the mark created at least the order dated in the future), or None
        (everything is read again; the orders imported already are skipped)."""
        self.ensure_one()
        newest = (
            self.env["sale.order"]
            .sudo()
            .search([("ecom_channel_id", "=", self.id)], order="create_date desc", limit=1)
        )
        return min(newest.create_date, now) if newest else None

    @api.model
    def _orders_mark(self, remote_orders, result, parked, now):
        """The new import mark: the newest change read, or, when orders failed (and are not
        parked yet), the oldest of them, so that they are read again. Dates in the future say
        nothing of what was read: they are left out, and the mark is never after now."""
        Order = self.env["sale.order"]

        def date(remote):
            value = remote.updated_at or remote.created_at
            return value if value and not Order._ecom_is_future(value, now) else None

        failed = [date(r) for r in result["failed"] if r.external_ref not in parked]
        failed = [d for d in failed if d]
        dates = [d for d in map(date, remote_orders) if d]
        mark = min(failed) if failed else max(dates, default=None)
        return min(mark, now) if mark else None
