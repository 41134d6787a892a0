# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models

from ..ecom_channels_core.redact import excerpt, redact

_logger = logging.getLogger(__name__)

SYNC_STATUSES = [("ok", "Done"), ("warning", "Warning"), ("error", "Error")]
#: ir.config_parameter holding how many days sync log lines are kept (0: forever).
RETENTION_PARAM = "ecom_channels.sync_log_retention_days"
DEFAULT_RETENTION_DAYS = 90
#: Lines deleted per batch by the retention job (one commit each in a cron worker).
GC_BATCH = 5000

#: Operation names of the sync log lines written here (other addons add theirs).
OP_TEST_CONNECTION = "test connection"
OP_IMPORT_LISTINGS = "import listings"
OP_PUBLISH = "publish"
OP_END_LISTING = "end listing"
OP_PUSH_STOCK = "push stock"
OP_RECONCILE_STOCK = "reconcile stock"


class EcomSyncLog(models.Model):
    """One line per API exchange with a channel that failed or did something worth seeing.

    Written by the system only: no group may create, change or delete lines (access rights);
    code records them through ``_create_logs`` (or ``ecom.channel._log_sync``), which writes
    them as superuser after removing the channel's secrets. A nightly job deletes the lines
    older than the retention set in the settings.
    """

    _name = "ecom.sync.log"
    _description = "Channel Sync Log"
    _order = "create_date desc, id desc"
    _rec_name = "operation"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    listing_id = fields.Many2one("ecom.channel.listing", ondelete="set null", index=True)
    operation = fields.Char(required=True, help="What was attempted, e.g. 'publish', 'push stock'.")
    res_model = fields.Char("Record Model")
    res_id = fields.Many2oneReference("Record ID", model_field="res_model")
    status = fields.Selection(SYNC_STATUSES, required=True, default="ok", index=True)
    message = fields.Text()
    payload = fields.Text(help="Excerpt of the request or answer, with secrets removed.")
    create_date = fields.Datetime("Date", index=True, readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        channels = (
            self.env["ecom.channel"]
            .sudo()
            .browse({vals["channel_id"] for vals in vals_list if vals.get("channel_id")})
        )
        secrets = {channel.id: channel._secrets() for channel in channels}
        for vals in vals_list:
            channel_secrets = secrets.get(vals.get("channel_id"), [])
            for key in ("message", "payload"):
                if vals.get(key):
                    vals[key] = excerpt(redact(vals[key], channel_secrets))
        return super().create(vals_list)

    @api.model
    def _vals(self, record, operation, status, message, payload=None):
        """The values of one line about ``record``: a channel, a listing, or any record of a
        channel (``channel_id`` or ``ecom_channel_id``), which the line then points at. The one
        helper that builds lines (``ecom.channel._sync_log_vals`` calls it)."""
        record.ensure_one()
        vals = {
            "operation": operation,
            "status": status,
            "message": message,
            "payload": payload or False,
        }
        if record._name == "ecom.channel":
            vals["channel_id"] = record.id
            return vals
        channel = record["channel_id"] if "channel_id" in record else record["ecom_channel_id"]
        vals.update(channel_id=channel.id, res_model=record._name, res_id=record.id)
        if record._name == "ecom.channel.listing":
            vals["listing_id"] = record.id
        return vals

    @api.model
    def _log(self, record, operation, status, message, payload=None):
        """Write one line about ``record`` (see ``_vals``) as the system."""
        return self._create_logs([self._vals(record, operation, status, message, payload)])

    @api.model
    def _create_logs(self, vals_list):
        """Record these lines (values from ``_vals``) whoever runs the job: the one way lines
        are written. Return them, read in the caller's environment."""
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        if not vals_list:
            return self.browse()
        return self.sudo().create(list(vals_list)).sudo(False)

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------

    @api.model
    def _retention_days(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(RETENTION_PARAM, str(DEFAULT_RETENTION_DAYS))
        )
        try:
            return int(value)
        except (TypeError, ValueError):
            _logger.warning(
                "%s is not a number of days (%r): sync logs are kept %d days",
                RETENTION_PARAM,
                value,
                DEFAULT_RETENTION_DAYS,
            )
            return DEFAULT_RETENTION_DAYS

    @api.model
    def _cron_delete_old_logs(self, batch=GC_BATCH):
        """Delete the lines older than the retention, ``batch`` lines per transaction: in a
        cron worker one batch per call (Odoo commits it and calls again while lines remain);
        elsewhere every batch in this call. Return the number of lines deleted."""
        days = self._retention_days()
        if days <= 0:  # kept forever
            return 0
        cutoff = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        domain = [("create_date", "<", cutoff)]
        Log = self.sudo().with_context(active_test=False)
        in_job = self.env["ecom.channel"]._in_cron_job()
        deleted = 0
        while True:
            old = Log.search(domain, limit=batch, order="id")
            if not old:
                break
            old.unlink()
            deleted += len(old)
            if in_job:
                remaining = Log.search_count(domain)
                self.env["ir.cron"]._notify_progress(done=len(old), remaining=remaining)
                break
        if deleted:
            _logger.info("sync log: %d lines older than %d days deleted", deleted, days)
        return deleted

    def action_open_record(self):
        self.ensure_one()
        if not (self.res_model and self.res_id):
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
