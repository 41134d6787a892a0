# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class QueueJob(models.Model):
    _inherit = "queue.job"

    @api.model
    def _ecom_job_state_hooks(self):
        return {
            **super()._ecom_job_state_hooks(),
            ("stock.picking", "_ecom_job_push_shipment"): "_ecom_push_job_state",
            ("ecom.label.batch", "_ecom_job_process"): "_ecom_job_state",
        }
