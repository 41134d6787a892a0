# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Background work of a sales channel on OCA queue_job: one job channel per sales channel, the
same retry rule for every flow, and the dead letters (failed jobs) shown on the channel."""

import logging

from odoo import fields, models

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.jobs import LOCAL_JOB_CHANNEL, MAX_ATTEMPTS, job_channel, retry_decision
from .ecom_channel import JOB_MAX_RETRY_WAIT

_logger = logging.getLogger(__name__)


class EcomJobFailed(Exception):
    """A job met a refusal that trying again cannot cure: queue_job marks it failed at once
    (a dead letter), with this message, for *Retry* after the data is fixed or *Discard*."""


class EcomChannel(models.Model):
    _inherit = "ecom.channel"

    job_ids = fields.One2many("queue.job", "ecom_channel_id", string="Sync Jobs", readonly=True)
    failed_job_count = fields.Integer(compute="_compute_failed_job_count")

    def _compute_failed_job_count(self):
        counts = dict(
            self.env["queue.job"]
            .sudo()
            ._read_group(
                [("ecom_channel_id", "in", self.ids), ("state", "=", "failed")],
                ["ecom_channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.failed_job_count = counts.get(channel, 0)

    def action_view_failed_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecom_channels.ecom_failed_job_action"
        )
        action["domain"] = [("ecom_channel_id", "=", self.id)]
        action["context"] = {"search_default_failed": 1}
        return action

    # ------------------------------------------------------------------
    # Enqueueing
    # ------------------------------------------------------------------

    def _ecom_job_channel(self):
        """The queue_job channel of this sales channel's API work (its own capacity)."""
        self.ensure_one()
        return job_channel(self.channel_type, self.id)

    def _ecom_delay(
        self,
        records=None,
        *,
        local=False,
        priority=None,
        eta=None,
        description=None,
        identity=True,
        max_retries=MAX_ATTEMPTS,
        job_channel=None,
    ):
        """``records`` (default: this channel) delayed as a job of this channel: call the job's
        method on what this returns, e.g. ``channel._ecom_delay(listings).method(args)``.

        API work goes to the channel's own job channel; ``local=True`` (work that calls no
        channel API: order chunks, documents) to the shared local channel; ``job_channel`` names
        another one. With ``identity`` the same call (records and arguments) is never queued
        twice while one waits.
        """
        self.ensure_one()
        target = self if records is None else records
        # the job belongs to the channel's company (queue_job stores env.company with it)
        return target.with_company(self.company_id).with_delay(
            channel=job_channel or (LOCAL_JOB_CHANNEL if local else self._ecom_job_channel()),
            priority=priority,
            eta=eta,
            description=description,
            max_retries=max_retries,
            identity_key=identity_exact if identity else None,
        )

    # ------------------------------------------------------------------
    # Inside a job
    # ------------------------------------------------------------------

    def _get_client(self, max_retry_wait=None, **kwargs):
        """In a job, as in a cron job, the client never sleeps long inside the transaction:
        beyond JOB_MAX_RETRY_WAIT a call fails with the delay the channel asked for, and the
        retry rule postpones the job instead."""
        if max_retry_wait is None and self.env.context.get("job_uuid"):
            max_retry_wait = JOB_MAX_RETRY_WAIT
        return super()._get_client(max_retry_wait=max_retry_wait, **kwargs)

    def _ecom_job_attempt(self):
        """Which try of the running job this is (1 for the first; 1 outside a job)."""
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return 1
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1)
        return (job.retry or 0) + 1

    def _ecom_job_error(self, error):
        """Raise what the running job must raise after ``error`` (a ChannelError or any other
        exception): a RetryableJobError when trying again later can succeed (with the delay
        the channel asked for, uncounted, under a quota; with a backoff, counted, after a
        server or network error), else EcomJobFailed, so that the job fails at once.
        The job's transaction is rolled back either way: record per-item results before."""
        self.ensure_one()
        if not isinstance(error, ChannelError):
            _logger.exception("job of channel %s failed", self.id)
            error = self._unexpected_error(error)
        decision = retry_decision(error, self._ecom_job_attempt())
        if decision.retry:
            raise RetryableJobError(
                error.message, seconds=decision.seconds, ignore_retry=not decision.counts
            ) from None
        raise EcomJobFailed(error.message) from None
