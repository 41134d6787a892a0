# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import mute_logger

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError

_logger = logging.getLogger(__name__)

#: How far before the last import mark each import reads again, so that an order dated at the
#: boundary, or one the channel indexed late, is never missed (duplicates are skipped anyway).
IMPORT_OVERLAP = timedelta(minutes=10)


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    orders_imported_until = fields.Datetime(
        copy=False,
        help="Date (UTC) of the newest order change read from the channel. The next import asks "
        "for the changes since this date, minus a safety overlap.",
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
        "link. Empty: no email (e.g. when the channel emails its buyers itself).",
    )

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
        problems = result["attention"] or result["failed"]
        return self._notification(
            self.env._("Orders imported"),
            message + (self.env._(" See the sync log for the details.") if problems else ""),
            kind="warning" if problems else "success",
            sticky=bool(problems),
        )

    @api.model
    def _cron_import_orders(self):
        """Import the new and changed orders of every active channel with an API URL; one
        failing channel does not stop the others."""
        for channel in self.search([("api_base_url", "!=", False)]):
            try:
                with self.env.cr.savepoint():
                    result = channel._import_orders()
            except Exception:  # pylint: disable=broad-except
                _logger.exception("order import of channel %s failed", channel.id)
                continue
            _logger.info("order import of channel %s: %s", channel.id, result)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _import_summary(self, result):
        return self.env._(
            "%(read)s channel orders read: %(created)s imported, %(attention)s need attention, "
            "%(cancelled)s cancelled, %(failed)s failed.",
            read=result["read"],
            created=len(result["created"]),
            attention=len(result["attention"]),
            cancelled=len(result["cancelled"]),
            failed=len(result["failed"]),
        )

    def _import_orders(self):
        """Read the orders changed since the last mark (minus the overlap), import them and move
        the mark to the newest change seen; an order that failed keeps the mark before it."""
        self.ensure_one()
        since = self.orders_imported_until - IMPORT_OVERLAP if self.orders_imported_until else None
        try:
            with self._get_client() as client:
                remote_orders = list(client.fetch_orders(since=since))
        except ChannelError as exc:
            self._log_sync("import orders", "error", exc.message, payload=exc.payload)
            return {"error": exc.message}
        result = self.env["sale.order"]._ecom_import_remote_orders(self, remote_orders)
        dates = [
            o.updated_at or o.created_at for o in remote_orders if o.updated_at or o.created_at
        ]
        failed = [
            o.updated_at or o.created_at for o in result["failed"] if o.updated_at or o.created_at
        ]
        mark = min(failed) if failed else max(dates, default=None)
        if mark and (not self.orders_imported_until or mark > self.orders_imported_until):
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
            self._log_sync("import orders", status, self._import_summary(result))
        return result
