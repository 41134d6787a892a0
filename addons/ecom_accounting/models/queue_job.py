# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class QueueJob(models.Model):
    _inherit = "queue.job"

    @api.model
    def _ecom_job_state_hooks(self):
        return {
            **super()._ecom_job_state_hooks(),
            ("ecom.channel", "_ecom_job_import_payouts"): "_ecom_payout_job_state",
        }
