# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job as QueueJob


class EcomChannelsCase(TransactionCase):
    """Channels, products and one user per role, built without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.manager = new_test_user(
            cls.env, "ecom_manager", groups="ecom_channels.ecom_channels_group_manager"
        )
        cls.backoffice = new_test_user(
            cls.env, "ecom_backoffice", groups="ecom_channels.ecom_channels_group_user"
        )
        cls.warehouse_user = new_test_user(cls.env, "ecom_wh", groups="stock.group_stock_user")
        cls.accountant = new_test_user(
            cls.env, "ecom_accountant", groups="account.group_account_readonly"
        )
        cls.channel = (
            cls.env["ecom.channel"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Test Shopify",
                    "channel_type": "shopify",
                    "api_base_url": "http://127.0.0.1:8079/shopify",
                    "api_key": "key-123456",
                    "api_secret": "secret-abcdef",
                    "access_token": "shpat_tok_987654321",
                }
            )
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Trail Tent 2P",
                "default_code": "TENT-2P",
                "barcode": "5012345678900",
                "is_storable": True,
                "list_price": 199.0,
            }
        )

    # ------------------------------------------------------------------ jobs
    #: The channel jobs of this addon, performed by ``run_jobs`` by default.
    CHANNEL_JOBS = ("_job_push_stock", "_job_publish", "_job_reconcile_stock")

    def run_jobs(self, methods=CHANNEL_JOBS, rounds=20):
        """Perform the stored jobs that are due, as queue_job's runner and controller do: each
        in its own savepoint, a RetryableJobError postpones the job (its ``eta``), any other
        error fails it with the reason; again while the jobs enqueue more. Return the
        ``queue.job`` records performed."""
        Job = self.env["queue.job"].sudo()
        performed = Job.browse()
        for _round in range(rounds):
            self.env.flush_all()
            jobs = Job.search(
                [
                    ("state", "=", "pending"),
                    ("method_name", "in", list(methods)),
                    "|",
                    ("eta", "=", False),
                    ("eta", "<=", fields.Datetime.now()),
                ],
                order="priority, date_created, id",
            )
            if not jobs:
                break
            for record in jobs:
                job = QueueJob.load(self.env, record.uuid)
                job.set_started()
                job.store()
                try:
                    with self.env.cr.savepoint():
                        job.perform()
                except RetryableJobError as err:
                    job.postpone(result=str(err), seconds=err.seconds)
                    job.set_pending(reset_retry=False)
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as err:  # the controller's PG_RETRY
                    job.postpone(result=str(err), seconds=5)
                    job.set_pending(reset_retry=False)
                except Exception as exc:  # noqa: BLE001 - the runner records it the same way
                    job.set_failed(exc_name=type(exc).__name__, exc_message=str(exc))
                else:
                    job.set_done()
                job.store()
                performed |= record
            self.env.invalidate_all()
        return performed

    def jobs_due_now(self, channel):
        """Make the waiting jobs of ``channel`` due now (time travel past their eta)."""
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("ecom_channel_id", "=", channel.id), ("state", "=", "pending")])
        )
        jobs.with_context(_job_edit_sentinel=jobs.EDIT_SENTINEL).write(
            {"eta": fields.Datetime.subtract(fields.Datetime.now(), seconds=1)}
        )
        return jobs
