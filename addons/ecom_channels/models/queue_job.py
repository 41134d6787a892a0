# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)


class QueueJob(models.Model):
    """The jobs of the sales channels: which channel a job works for, and the *Retry* and
    *Discard* of the back office's *Failed sync jobs* list (dead letters)."""

    _inherit = "queue.job"

    ecom_channel_id = fields.Many2one(
        "ecom.channel",
        string="Sales Channel",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The sales channel the job works for: set when the job is stored, by the "
        "_job_store_values hook of its records (see Base below).",
    )

    @api.model
    def _ecom_job_state_hooks(self):
        """Jobs whose state is shown on their records: ``{(model, method): method of the
        records}``, called with the job when it is postponed after an error, fails, or is
        queued again or cancelled (queue_job writes that state after the job's own transaction
        was rolled back, so this is where a failure can be kept on the records). Modules add
        theirs."""
        return {}

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("pending", "failed", "cancelled"):
            hooks = self._ecom_job_state_hooks()
            for job in self.filtered(lambda job: (job.model_name, job.method_name) in hooks):
                records = job.records.sudo().exists()
                if not records:
                    continue
                # queue_job stores the job's state here: a hook that fails must not leave the
                # job "started" (run again later) instead of failed or postponed
                try:
                    with self.env.cr.savepoint():
                        getattr(records, hooks[(job.model_name, job.method_name)])(job)
                except Exception:  # pylint: disable=broad-except
                    _logger.exception("showing the state of job %s on its records failed", job.uuid)
        return result

    def _ecom_check_manager(self):
        if not (
            self.env.user.has_group("ecom_channels.ecom_channels_group_manager")
            or self.env.user.has_group("queue_job.group_queue_job_manager")
        ):
            raise AccessError(self.env._("Only channel managers can retry or discard sync jobs."))
        if self.filtered(lambda job: not job.ecom_channel_id) and not self.env.user.has_group(
            "queue_job.group_queue_job_manager"
        ):
            raise AccessError(self.env._("Only sync jobs of a sales channel can be handled here."))

    def action_ecom_retry(self):
        """Run failed (or discarded) jobs again, from their first attempt."""
        self.check_access("read")  # the user's record rules (company, sales channel jobs)
        self._ecom_check_manager()
        jobs = self.filtered(lambda job: job.state in ("failed", "cancelled", "done"))
        jobs.sudo().requeue()
        return True

    def action_ecom_discard(self):
        """Give failed jobs up: they stay in the list as cancelled, with the reason."""
        self.check_access("read")
        self._ecom_check_manager()
        self.filtered(lambda job: job.state != "done").sudo().button_cancelled()
        return True


class Base(models.AbstractModel):
    """queue_job's hook for the values stored with a job: the sales channel of the job's
    records (a channel, or records with a ``channel_id``/``ecom_channel_id`` to one), read once
    when the job is stored instead of computed for every job of the database."""

    _inherit = "base"

    def _job_store_values(self, job):
        vals = super()._job_store_values(job)
        records = self[:1]
        channel = False
        if records._name == "ecom.channel":
            channel = records.id
        else:
            for name in ("channel_id", "ecom_channel_id"):
                field = records._fields.get(name)
                if field is not None and field.comodel_name == "ecom.channel":
                    channel = records.sudo()[name].id
                    break
        if channel:
            vals["ecom_channel_id"] = channel
        return vals
