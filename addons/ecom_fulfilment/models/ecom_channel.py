# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.ecom_channels_core.jobs import RESERVATION_JOB_CHANNEL
from odoo.addons.ecom_channels.ecom_channels_core.payloads import RemoteOrder
from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS, JOB_MAX_RETRY_WAIT
from odoo.addons.queue_job.exception import RetryableJobError

from ..ecom_fulfilment_core.order_jobs import from_json, order_chunks, to_json
from .stock_move import DEFERRED_MOVES

_logger = logging.getLogger(__name__)

#: Moves that an import job leaves to the reservation job (as confirmation would reserve them).
#: Reservations go before the import jobs waiting (queue_job: lower runs first, 10 by default):
#: one worker keeps reserving what the others import, instead of all reservations at the end.
RESERVATION_PRIORITY = 5
#: First key of the advisory lock that lets one reservation job run at a time per company.
RESERVATION_LOCK = 741_019

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
        help="When the scheduled import last read this channel's orders (its fetch job; the "
        "orders read are imported by jobs of their own).",
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
            return bool(picking._ecom_notifies_customer())
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

    def _order_poll_seconds(self):
        """Seconds between two imports of this channel's orders: the interval of the order
        import cron while it is active (the dynamic buffer adds it to the push latency)."""
        self.ensure_one()
        xmlid = "ecom_fulfilment.ecom_channel_cron_import_orders"
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if not cron or not cron.sudo().active:
            return super()._order_poll_seconds()
        return self._cron_interval(xmlid).total_seconds()

    @api.model
    def _cron_import_orders(self):
        """Queue the order import of the active channels with an API URL: one fetch job per
        channel, in the channel's own job channel (it calls the channel's API), never twice
        while one waits. The fetch job reads the orders and queues their import in chunks
        (``_ecom_job_fetch_orders``); the cron itself imports nothing."""
        for channel in self.search([("api_base_url", "!=", False)]):
            channel._ecom_delay(
                description=self.env._("Read the orders of %(channel)s", channel=channel.name)
            )._ecom_job_fetch_orders()

    def _ecom_job_fetch_orders(self):
        """Job: read the orders changed since the last mark (minus the overlap) and queue one
        import job per chunk of them in the local job channel (they call no API: as many run at
        once as there are job workers). The chunks are queued in this job's transaction, so
        the mark moves to the newest change read at once: the orders are safe in their jobs
        whatever order these finish in. An order whose import fails is listed in
        ``ecom.order.failure`` and the next reads start before it until it is parked.
        A channel that cannot be read follows the job engine's retry rule."""
        self.ensure_one()
        now = fields.Datetime.now()
        remote_orders, error, current, poisoned = self._ecom_read_orders(
            now, max_retry_wait=JOB_MAX_RETRY_WAIT
        )
        self.sudo().orders_import_date = now
        if error and not remote_orders:
            self._ecom_job_error(error)
        chunks = order_chunks(remote_orders)
        for chunk in chunks:
            self._ecom_delay(
                local=True,
                description=self.env._(
                    "Import %(count)s orders of %(channel)s", count=len(chunk), channel=self.name
                ),
            )._ecom_job_import_orders([to_json(remote) for remote in chunk])
        if error:
            self._ecom_log_partial_read(len(remote_orders), error)
            mark = None
        else:
            mark = self._orders_mark(remote_orders, {"failed": []}, set(), now)
        self._ecom_move_mark(mark, current, poisoned, bool(error), now)
        return self.env._(
            "%(count)s orders read, %(jobs)s import jobs queued.",
            count=len(remote_orders),
            jobs=len(chunks),
        )

    def _ecom_job_import_orders(self, orders):
        """Job: import a chunk of orders the fetch job read (RemoteOrder as ``to_json``
        dicts). Any number of these run side by side: an order another job (or import)
        created meanwhile is skipped, an order that fails goes to ``ecom.order.failure`` and
        the others go on; when PostgreSQL asks to run the transaction again, the job engine
        does. The orders are confirmed without reserving: a reservation job is queued for the
        moves that their confirmation would have reserved (see ``_ecom_job_reserve``)."""
        self.ensure_one()
        remote_orders = [from_json(RemoteOrder, data) for data in orders]
        channel = self.with_context(ecom_defer_reservation=True)
        cache = self.env.cr.cache
        cache[DEFERRED_MOVES] = deferred = set()
        try:
            result = channel._ecom_import_read_orders(remote_orders)
        finally:
            cache.pop(DEFERRED_MOVES, None)
        # a move of an order (or of an order's resupply) rolled back with its savepoint is gone
        moves = self.env["stock.move"].browse(sorted(deferred)).exists()
        moves = (result["created"].picking_ids.move_ids | moves)._ecom_reserved_at_confirm()
        if moves:
            self._ecom_delay(
                job_channel=RESERVATION_JOB_CHANNEL,
                priority=RESERVATION_PRIORITY,
                description=self.env._(
                    "Reserve the stock of %(count)s new orders of %(channel)s",
                    count=len(result["created"]),
                    channel=self.name,
                ),
            )._ecom_job_reserve(moves.ids)
        return self._import_summary(result)

    def _ecom_job_reserve(self, move_ids):
        """Job: reserve the stock of the orders an import job confirmed, as their confirmation
        would have (Odoo's ``_action_assign``). Reservations run one at a time: their job
        channel (``RESERVATION_JOB_CHANNEL``) has a capacity of one, and, should a runner be
        set up without it, one per company holds a lock: another one waits (without using an
        attempt) and starts afresh when this one is done, so that two never update the same
        quants at once."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [RESERVATION_LOCK, self.company_id.id]
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError("another reservation is running", seconds=1, ignore_retry=True)
        moves = self.env["stock.move"].browse(move_ids).exists()._ecom_reserved_at_confirm()
        # as at the import's confirmation: the plain moves reserved together (one reading of the
        # stock per product, see stock.move._ecom_reserve_together), the others by Odoo
        moves.with_context(ecom_reserve_together=True)._action_assign()
        return self.env._("%(count)s stock moves reserved.", count=len(moves))

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
        the mark to the newest change seen, never past now (at once, in this transaction: the
        *Import Orders* button). An order that failed keeps the mark before it until it is
        parked (after PARK_AFTER attempts); an order dated in the future moves no mark; when
        the channel could not be read to the end, what was read is imported and the mark
        stays."""
        self.ensure_one()
        now = fields.Datetime.now()
        remote_orders, error, current, poisoned = self._ecom_read_orders(now)
        if error and not remote_orders:
            self._log_sync("import orders", "error", error.message, payload=error.payload)
            return {"error": error.message}
        result, parked = self._ecom_import_read_orders(remote_orders, log=False)
        mark = None
        if error:
            result["partial"] = error.message
            self._ecom_log_partial_read(len(remote_orders), error)
        else:
            mark = self._orders_mark(remote_orders, result, parked, now)
        self._ecom_move_mark(mark, current, poisoned, bool(error), now)
        self._ecom_log_import(remote_orders, result)
        return result

    def _ecom_read_orders(self, now, max_retry_wait=None):
        """Read the orders changed since the mark, minus the overlap, and since the oldest
        order whose import is still being retried (it is read again): ``(orders, error,
        mark, poisoned)``; ``error`` a ChannelError when the channel could not be read (to the
        end), ``mark`` the mark read from (healed when the stored one is in the future)."""
        self.ensure_one()
        stored = self.orders_imported_until
        poisoned = bool(stored and stored > now)
        current = self._orders_healed_mark(now) if poisoned else stored
        since = current
        retrying = (
            self.env["ecom.order.failure"]
            .sudo()
            .search(
                [
                    ("channel_id", "=", self.id),
                    ("state", "=", "retrying"),
                    ("order_date", "!=", False),
                ],
                order="order_date",
                limit=1,
            )
        )
        if since and retrying and retrying.order_date < since:
            since = retrying.order_date
        since = since - IMPORT_OVERLAP if since else None
        remote_orders, error = [], None
        try:
            with self._get_client(max_retry_wait=max_retry_wait) as client:
                for remote in client.fetch_orders(since=since):
                    remote_orders.append(remote)
        except ChannelError as exc:
            error = exc
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            _logger.exception("channel %s: the orders could not be read", self.id)
            error = self._unexpected_error(exc)
        return remote_orders, error, current, poisoned

    def _ecom_import_read_orders(self, remote_orders, log=True):
        """Import orders read from the channel and keep the failures' bookkeeping; the result
        (and the references of the failed orders that are parked when ``log`` is False: the
        caller logs the summary itself)."""
        result = self.env["sale.order"]._ecom_import_remote_orders(self, remote_orders)
        parked = self.env["ecom.order.failure"]._ecom_track(self, remote_orders, result)
        if not log:
            return result, parked
        self._ecom_log_import(remote_orders, result)
        return result

    def _ecom_log_import(self, remote_orders, result):
        if remote_orders:
            status = "warning" if result["attention"] or result["failed"] else "ok"
            if result["unidentified"]:
                status = "warning"
            self._log_sync("import orders", status, self._import_summary(result))

    def _ecom_log_partial_read(self, count, error):
        self._log_sync(
            "import orders",
            "error",
            self.env._(
                "Reading the orders stopped after %(count)s orders (imported): "
                "%(error)s. The next import reads them again.",
                count=count,
                error=error.message,
            ),
            payload=error.payload,
        )

    def _ecom_move_mark(self, mark, current, poisoned, partial, now):
        """Move the import mark to ``mark`` when it is after the mark read from (``current``);
        a mark in the future is replaced in any case."""
        if mark and current and mark <= current:
            mark = None
        if not mark and poisoned:  # the mark in the future is replaced
            mark = current or (None if partial else now)
        if not mark:
            return
        # a technical mark: whoever may import orders moves it. A concurrent import (the job
        # and a button) may have moved it meanwhile: then its value stands.
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.sudo().orders_imported_until = mark
                self.env.flush_all()
        except psycopg2.errors.SerializationFailure:
            _logger.info("channel %s: the import mark was moved by another import", self.id)

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
