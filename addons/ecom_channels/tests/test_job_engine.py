# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.jobrunner.channels import ChannelManager
from odoo.addons.queue_job.tests.common import trap_jobs

from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.jobs import runner_channels
from ..models.ecom_channel_jobs import EcomJobFailed
from .common import EcomChannelsCase


class TestJobEngine(EcomChannelsCase):
    """The shared queue_job plumbing: job channels, identity, the retry rule, dead letters."""

    def _failed_job(self, channel, message="Shopify refused the listing (HTTP 422)"):
        job = channel._ecom_delay(description="test job").action_test_connection().db_record()
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write(
            {"state": "failed", "exc_name": "EcomJobFailed", "exc_message": message}
        )
        return job

    def test_job_goes_to_the_channels_own_job_channel_once(self):
        with trap_jobs() as trap:
            self.channel._ecom_delay(priority=5).action_test_connection()
            self.channel._ecom_delay(priority=5).action_test_connection()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                self.channel.action_test_connection,
                properties={"channel": "root.ecom.shopify.%s" % self.channel.id, "priority": 5},
            )
        with trap_jobs() as trap:
            self.channel._ecom_delay(local=True).action_test_connection()
            trap.assert_enqueued_job(
                self.channel.action_test_connection, properties={"channel": "root.ecom.local"}
            )

    def test_stored_job_knows_its_sales_channel(self):
        listing = self.env["ecom.channel.listing"].create(
            {"channel_id": self.channel.id, "product_id": self.product.id}
        )
        self.channel._ecom_delay(listing).read(["id"])
        self.channel._ecom_delay().read(["id"])
        jobs = self.env["queue.job"].search([("ecom_channel_id", "=", self.channel.id)])
        self.assertEqual(len(jobs), 2)
        self.assertEqual(set(jobs.mapped("channel")), {"root.ecom.shopify.%s" % self.channel.id})

    def test_an_earlier_stock_push_brings_the_waiting_one_forward(self):
        """One delayed stock push waits per channel (its identity key); a push due before it
        moves it forward instead of being dropped, a later one leaves it as it is."""
        now = fields.Datetime.now().replace(microsecond=0)
        Job = self.env["queue.job"]
        domain = [
            ("ecom_channel_id", "=", self.channel.id),
            ("method_name", "=", "_job_push_stock"),
        ]
        self.channel._ecom_push_stock_later(eta=now + timedelta(minutes=30))
        job = Job.search(domain)
        self.assertEqual(len(job), 1)
        self.assertEqual(job.eta, now + timedelta(minutes=30))
        self.channel._ecom_push_stock_later(eta=now + timedelta(minutes=5))
        self.assertEqual(Job.search(domain), job)
        self.assertEqual(job.eta, now + timedelta(minutes=5))
        self.channel._ecom_push_stock_later(eta=now + timedelta(minutes=20))
        self.assertEqual(Job.search(domain), job)
        self.assertEqual(job.eta, now + timedelta(minutes=5))
        # postponed by queue_job after a quota (its result says why): the channel's time holds
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write(
            {"eta": now + timedelta(minutes=15), "result": "quota: wait 900 s"}
        )
        self.channel._ecom_push_stock_later(eta=now + timedelta(minutes=1))
        self.assertEqual(job.eta, now + timedelta(minutes=15))

    def test_a_failing_state_hook_never_keeps_a_job_from_failing(self):
        """queue_job stores a job's failure through the state hooks: one that raises is logged
        and the job is failed all the same (never left "started", to run again)."""
        job = self.channel._ecom_delay().action_test_connection().db_record()
        Job = type(self.env["queue.job"])

        def hooks(jobs):
            return {("ecom.channel", "action_test_connection"): "_ecom_no_such_method"}

        with (
            patch.object(Job, "_ecom_job_state_hooks", hooks),
            mute_logger("odoo.addons.ecom_channels.models.queue_job"),
        ):
            job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write(
                {"state": "failed", "exc_name": "EcomJobFailed", "exc_message": "refused"}
            )
        self.assertEqual(job.state, "failed")

    def test_a_channel_that_asks_to_wait_puts_off_the_waiting_publishing_job(self):
        """The publishing job that waits (queued by the cron, to run at once) is put off until
        the time the channel asked to wait for, instead of the delayed one being dropped."""
        now = fields.Datetime.now().replace(microsecond=0)
        Job = self.env["queue.job"]
        domain = [("ecom_channel_id", "=", self.channel.id), ("method_name", "=", "_job_publish")]
        self.channel._ecom_publish_later()
        job = Job.search(domain)
        self.assertEqual(len(job), 1)
        self.assertFalse(job.eta)
        self.channel._ecom_publish_later(eta=now + timedelta(minutes=2))
        self.assertEqual(Job.search(domain), job)
        self.assertEqual(job.eta, now + timedelta(minutes=2))
        # the cron's next run leaves it waiting
        self.channel._ecom_publish_later()
        self.assertEqual(job.eta, now + timedelta(minutes=2))

    def test_retry_rule_inside_a_job(self):
        channel = self.channel.with_context(job_uuid="no-such-job")
        with self.assertRaises(RetryableJobError) as caught:
            channel._ecom_job_error(ChannelError("quota", status=429, retry_after=120))
        self.assertEqual(caught.exception.seconds, 120)
        self.assertTrue(caught.exception.ignore_retry)
        with self.assertRaises(RetryableJobError) as caught:
            channel._ecom_job_error(ChannelError("down", status=503, retryable=True))
        self.assertFalse(caught.exception.ignore_retry)
        with self.assertRaisesRegex(EcomJobFailed, "HTTP 422"):
            channel._ecom_job_error(ChannelError("refused (HTTP 422)", status=422))
        # a bug is a dead letter at once, named by its type, without the channel's secrets
        with self.assertRaises(EcomJobFailed) as caught:
            channel._ecom_job_error(KeyError("token shpat_tok_987654321 missing"))
        self.assertIn("KeyError", str(caught.exception))
        self.assertNotIn("shpat_tok_987654321", str(caught.exception))

    def test_dead_letters_retry_and_discard_by_managers(self):
        job = self._failed_job(self.channel)
        self.assertEqual(self.channel.failed_job_count, 1)
        action = self.channel.with_user(self.backoffice).action_view_failed_jobs()
        self.assertEqual(action["res_model"], "queue.job")
        seen = self.env["queue.job"].with_user(self.backoffice).search(action["domain"])
        self.assertEqual(seen, job)
        self.assertEqual(seen.exc_message, "Shopify refused the listing (HTTP 422)")
        with self.assertRaises(AccessError):
            job.with_user(self.backoffice).action_ecom_retry()
        job.with_user(self.manager).action_ecom_retry()
        self.assertEqual(job.state, "pending")
        job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write({"state": "failed"})
        job.with_user(self.manager).action_ecom_discard()
        self.assertEqual(job.state, "cancelled")

    def test_channel_users_see_channel_jobs_only(self):
        other = self.env["res.partner"].with_delay().read(["id"])
        self.assertTrue(other)
        ecom_job = self._failed_job(self.channel)
        visible = self.env["queue.job"].with_user(self.backoffice).search([])
        self.assertIn(ecom_job, visible)
        self.assertNotIn(other.db_record(), visible)
        stock_only = new_test_user(self.env, "ecom_jobs_wh", groups="stock.group_stock_user")
        with self.assertRaises(AccessError):
            self.env["queue.job"].with_user(stock_only).search([])

    def test_runner_gives_each_listed_sales_channel_its_capacity(self):
        """queue_job's own runner reads the generated setting: a sales channel listed in it
        runs as many jobs at once as its type allows."""
        manager = ChannelManager()
        manager.simple_configure(runner_channels(4, channels=[("ebay", 7), ("shopify", 8)]))
        self.assertEqual(manager.get_channel_by_name("root.ecom.ebay.7").capacity, 1)
        self.assertEqual(manager.get_channel_by_name("root.ecom.shopify.8").capacity, 2)
        # channels not listed (created since) share their type's channel: one more share
        self.assertEqual(manager.get_channel_by_name("root.ecom.ebay").capacity, 2)
        self.assertEqual(manager.get_channel_by_name("root.ecom.amazon").capacity, 1)
        # (queue_job places a job of a channel it was not told of under its nearest parent)
        channel = manager.get_channel_by_name("root.ecom.amazon.99", parent_fallback=True)
        parents = []
        while channel is not None:
            parents.append(channel.fullname)
            channel = channel.parent
        self.assertIn("root.ecom.amazon", parents)
