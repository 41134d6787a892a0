# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

#: Jobs whose state is shown on their records: (model, method) -> the records' method that
#: shows it.
SHOWN_ON_RECORDS = {
    ("stock.picking", "_ecom_job_push_shipment"): "_ecom_push_job_state",
    ("ecom.label.batch", "_ecom_job_process"): "_ecom_job_state",
}


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("pending", "failed", "cancelled"):
            for job in self:
                method = SHOWN_ON_RECORDS.get((job.model_name, job.method_name))
                if method:
                    getattr(job.records.sudo().exists(), method)(job)
        return result
