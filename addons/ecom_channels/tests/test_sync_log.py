# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sync log is written by the system only, and old lines are deleted every night."""

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.ecom_sync_log import RETENTION_PARAM
from .common import EcomChannelsCase


@tagged("post_install", "-at_install")
class TestSyncLog(EcomChannelsCase):
    def age(self, logs, days):
        """Make ``logs`` look ``days`` old."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE ecom_sync_log SET create_date = %s WHERE id = ANY(%s)",
                fields.Datetime.subtract(fields.Datetime.now(), days=days),
                logs.ids,
            )
        )
        logs.invalidate_recordset(["create_date"])

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_no_group_writes_sync_logs(self):
        log = self.channel._log_sync("publish", "error", "Refused")
        vals = self.channel._sync_log_vals("publish", "ok", "Forged success")
        for user in (self.manager, self.backoffice, self.warehouse_user, self.accountant):
            with self.subTest(user=user.login):
                Log = self.env["ecom.sync.log"].with_user(user)
                self.assertEqual(Log.browse(log.id).message, "Refused")  # every role reads
                with self.assertRaises(AccessError):
                    Log.create(vals)
                with self.assertRaises(AccessError):
                    Log.browse(log.id).write({"status": "ok"})
                with self.assertRaises(AccessError):
                    Log.browse(log.id).unlink()
        self.assertEqual(log.status, "error")

    def test_jobs_log_as_the_user_doing_them(self):
        """The logging helpers record lines whoever runs the job, in the caller's environment."""
        for user in (self.backoffice, self.warehouse_user, self.accountant):
            with self.subTest(user=user.login):
                channel = self.channel.with_user(user)
                log = channel._log_sync("push stock", "warning", "Slow answer")
                self.assertEqual(log.env.uid, user.id)
                self.assertEqual(log.create_uid, user)
                logs = self.env["ecom.sync.log"].with_user(user)._create_logs(
                    [channel._sync_log_vals("push stock", "ok", "Sent %d" % i) for i in range(3)]
                )
                self.assertEqual(len(logs), 3)
                self.assertEqual(logs.mapped("channel_id"), self.channel)

    def test_old_lines_deleted_in_batches(self):
        ICP = self.env["ir.config_parameter"].sudo()
        Log = self.env["ecom.sync.log"]
        old = Log._create_logs(
            [self.channel._sync_log_vals("push stock", "ok", "Old %d" % i) for i in range(5)]
        )
        recent = Log._create_logs(
            [self.channel._sync_log_vals("push stock", "ok", "Recent %d" % i) for i in range(2)]
        )
        self.age(old, 100)
        self.age(recent[0], 80)

        # Default: 90 days.
        ICP.set_param(RETENTION_PARAM, False)
        self.assertEqual(Log._cron_delete_old_logs(batch=2), 5)
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)

        # In a cron worker: one batch per call, the rest reported to Odoo's progress API.
        ICP.set_param(RETENTION_PARAM, "30")
        older = Log._create_logs(
            [self.channel._sync_log_vals("push stock", "ok", "Older %d" % i) for i in range(3)]
        )
        self.age(older, 40)
        cron = self.env.ref("ecom_channels.ecom_sync_log_cron_delete_old")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        in_job = Log.with_context(ir_cron_progress_id=progress.id)
        self.assertEqual(in_job._cron_delete_old_logs(batch=2), 2)
        self.assertEqual((progress.done, progress.remaining), (2, 2))  # older[2] + recent[0]
        self.assertEqual(in_job._cron_delete_old_logs(batch=2), 2)
        self.assertEqual((progress.done, progress.remaining), (2, 0))
        self.assertEqual(recent.exists(), recent[1])

        # 0: kept forever; a broken value falls back to the default.
        self.age(recent[1], 1000)
        ICP.set_param(RETENTION_PARAM, "0")
        self.assertEqual(Log._cron_delete_old_logs(), 0)
        ICP.set_param(RETENTION_PARAM, "ninety")
        with mute_logger("odoo.addons.ecom_channels.models.ecom_sync_log"):
            self.assertEqual(Log._cron_delete_old_logs(), 1)

    def test_retention_set_in_settings(self):
        admin = new_test_user(
            self.env, "ecom_settings_admin", groups="base.group_system,base.group_user"
        )
        settings = self.env["res.config.settings"].with_user(admin).create({})
        self.assertEqual(settings.ecom_sync_log_retention_days, 90)
        settings.ecom_sync_log_retention_days = 14
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM), "14"
        )
        self.assertEqual(self.env["ecom.sync.log"]._retention_days(), 14)
        cron = self.env.ref("ecom_channels.ecom_sync_log_cron_delete_old")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
