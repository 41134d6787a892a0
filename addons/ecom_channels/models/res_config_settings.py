# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .ecom_sync_log import DEFAULT_RETENTION_DAYS, RETENTION_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ecom_sync_log_retention_days = fields.Integer(
        "Keep Sync Logs (Days)",
        config_parameter=RETENTION_PARAM,
        default=DEFAULT_RETENTION_DAYS,
        help="Channel sync log lines older than this are deleted every night; 0 keeps them "
        "forever.",
    )
