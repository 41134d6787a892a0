# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ecom_channels.ecom_channels_core.errors import ChannelError
from odoo.addons.ecom_channels.ecom_channels_core.redact import excerpt, redact
from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS

from .ecom_channel import IMPORT_OVERLAP

_logger = logging.getLogger(__name__)

#: Failed attempts after which an order is parked: the import mark no longer waits for it.
PARK_AFTER = 3
#: Longest stored channel data of one order.
PAYLOAD_LIMIT = 20000
FAILURE_STATES = [
    ("retrying", "Retrying"),
    ("parked", "Parked"),
    ("done", "Imported"),
]


class EcomOrderFailure(models.Model):
    """A channel order whose import failed (an error, not a problem of its data: those orders
    are imported as *needs attention*). Each import tries it again and counts the attempts;
    after PARK_AFTER attempts it is parked, so that the import mark moves on and the channel's
    other orders keep coming, and it waits here for a *Retry*."""

    _name = "ecom.order.failure"
    _description = "Channel Order Import Failure"
    _order = "state, last_attempt_date desc, id desc"
    _rec_name = "name"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    external_ref = fields.Char("Channel Order Reference", required=True, readonly=True)
    name = fields.Char("Order", readonly=True, help="The order's number on the channel.")
    state = fields.Selection(
        FAILURE_STATES,
        default="retrying",
        required=True,
        readonly=True,
        index=True,
        help="Retrying: each import tries it again, and the import waits for it. Parked: it "
        "failed too often; the import goes on without it until you retry it. Imported: done.",
    )
    attempt_count = fields.Integer("Attempts", readonly=True)
    last_error = fields.Text(readonly=True)
    last_attempt_date = fields.Datetime("Last Attempt", readonly=True)
    order_date = fields.Datetime(
        "Channel Date", readonly=True, help="The date of the order's last change on the channel."
    )
    payload = fields.Text(
        "Channel Data", readonly=True, help="The order as the channel sent it, secrets removed."
    )
    sale_order_id = fields.Many2one("sale.order", "Imported As", readonly=True)

    _sql_constraints = [
        (
            "channel_external_ref_uniq",
            "unique(channel_id, external_ref)",
            "This channel order is already listed as failing.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        channels = self.env["ecom.channel"].browse({v["channel_id"] for v in vals_list})
        secrets = {channel.id: channel._secrets() for channel in channels}
        for vals in vals_list:
            self._redact_vals(vals, secrets.get(vals["channel_id"], []))
        return super().create(vals_list)

    def write(self, vals):
        if {"payload", "last_error"}.intersection(vals):
            secrets = [s for channel in self.channel_id for s in channel._secrets()]
            self._redact_vals(vals, secrets)
        return super().write(vals)

    @api.model
    def _redact_vals(self, vals, secrets):
        for key, limit in (("payload", PAYLOAD_LIMIT), ("last_error", 4000)):
            if vals.get(key):
                vals[key] = excerpt(redact(vals[key], secrets), limit)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Read the order from the channel again and import it."""
        self.env["sale.order"].check_access("create")
        todo = self.filtered(lambda f: f.state != "done")
        if not todo:
            raise UserError(self.env._("These orders are imported already."))
        messages = [failure._retry() for failure in todo]
        done = todo.filtered(lambda f: f.state == "done")
        return self.env["ecom.channel"]._notification(
            self.env._("Orders imported") if done == todo else self.env._("Retry"),
            "\n".join(messages),
            kind="success" if done == todo else "warning",
            sticky=done != todo,
        )

    def _retry(self):
        """Fetch this order from its channel (its changes since its date) and import it; the
        outcome in plain words."""
        self.ensure_one()
        channel = self.channel_id
        since = self.order_date - IMPORT_OVERLAP if self.order_date else None
        remote, error = None, None
        try:
            with channel._get_client() as client:
                for candidate in client.fetch_orders(since=since):
                    if candidate.external_ref == self.external_ref:
                        remote = candidate  # the last one read is its latest state
        except ChannelError as exc:
            error = exc.message
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            _logger.exception("channel %s: order %s not read", channel.id, self.external_ref)
            error = channel._unexpected_error(exc).message
        if remote is None:
            existing = self.env["sale.order"]._ecom_existing_orders(channel, [self.external_ref])
            if existing:
                self._ecom_track(channel, [], {"failed": [], "errors": {}}, self)
                return self.env._("Order %(order)s is imported.", order=self.name)
            error = error or self.env._(
                "the channel did not return order %(order)s (changes since %(since)s).",
                order=self.external_ref,
                since=since or "-",
            )
            self.sudo().write(
                {
                    "last_error": error,
                    "last_attempt_date": fields.Datetime.now(),
                    "attempt_count": self.attempt_count + 1,
                }
            )
            return self.env._("Order %(order)s: %(error)s", order=self.name, error=error)
        result = self.env["sale.order"]._ecom_import_remote_orders(channel, [remote])
        self._ecom_track(channel, [remote], result)
        if self.state == "done":
            return self.env._("Order %(order)s is imported.", order=self.name)
        return self.env._("Order %(order)s: %(error)s", order=self.name, error=self.last_error)

    # ------------------------------------------------------------------
    # Bookkeeping of the imports
    # ------------------------------------------------------------------

    @api.model
    def _ecom_track(self, channel, remote_orders, result, failures=None):
        """After an import of ``remote_orders``: count one more attempt for each order that
        failed (parking it after PARK_AFTER), and close the failures whose order now exists.
        Technical bookkeeping, like the import mark: written with superuser rights. Return the
        references of the failed orders that are parked (they no longer hold the mark)."""
        Failure = self.sudo()
        failed = {r.external_ref: r for r in result["failed"] if r.external_ref}
        refs = {r.external_ref for r in remote_orders if r.external_ref} | set(failed)
        records = (
            Failure.search([("channel_id", "=", channel.id), ("external_ref", "in", list(refs))])
            | (failures or Failure).sudo()
        )
        by_ref = {record.external_ref: record for record in records}
        now = fields.Datetime.now()
        new, parked = [], set()
        for ref, remote in failed.items():
            record = by_ref.get(ref)
            open_record = record and record.state != "done"
            attempts = (record.attempt_count if open_record else 0) + 1
            state = (
                "parked"
                if attempts >= PARK_AFTER or (open_record and record.state == "parked")
                else "retrying"
            )
            if state == "parked":
                parked.add(ref)
            vals = {
                "name": remote.name or ref,
                "state": state,
                "attempt_count": attempts,
                "last_error": result["errors"].get(ref) or False,
                "last_attempt_date": now,
                "order_date": remote.updated_at or remote.created_at,
                "payload": json.dumps(remote.raw, default=str, sort_keys=True)
                if remote.raw
                else False,
                "sale_order_id": False,
            }
            if record:
                record.write(vals)
            else:
                new.append(dict(vals, channel_id=channel.id, external_ref=ref))
        Failure.create(new)
        pending = records.filtered(lambda f: f.state != "done" and f.external_ref not in failed)
        if pending:
            orders = self.env["sale.order"]._ecom_existing_orders(
                channel, pending.mapped("external_ref")
            )
            for record in pending.filtered(lambda f: f.external_ref in orders):
                record.write(
                    {
                        "state": "done",
                        "sale_order_id": orders[record.external_ref].id,
                        "last_attempt_date": now,
                    }
                )
        return parked
