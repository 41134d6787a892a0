# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError


class QueueJob(models.Model):
    """The jobs of the sales channels: which channel a job works for, and the *Retry* and
    *Discard* of the back office's *Failed sync jobs* list (dead letters)."""

    _inherit = "queue.job"

    ecom_channel_id = fields.Many2one(
        "ecom.channel",
        string="Sales Channel",
        compute="_compute_ecom_channel_id",
        store=True,
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )

    @api.depends("records")
    def _compute_ecom_channel_id(self):
        for job in self:
            records = job.records
            channel = self.env["ecom.channel"]
            if records._name == "ecom.channel":
                channel = records[:1]
            elif "channel_id" in records._fields and (
                records._fields["channel_id"].comodel_name == "ecom.channel"
            ):
                channel = records[:1].sudo().channel_id
            elif "ecom_channel_id" in records._fields and (
                records._fields["ecom_channel_id"].comodel_name == "ecom.channel"
            ):
                channel = records[:1].sudo().ecom_channel_id
            job.ecom_channel_id = channel.id

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
        self._ecom_check_manager()
        jobs = self.filtered(lambda job: job.state in ("failed", "cancelled", "done"))
        jobs.sudo().requeue()
        return True

    def action_ecom_discard(self):
        """Give failed jobs up: they stay in the list as cancelled, with the reason."""
        self._ecom_check_manager()
        self.filtered(lambda job: job.state != "done").sudo().button_cancelled()
        return True
