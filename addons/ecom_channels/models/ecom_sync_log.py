# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..ecom_channels_core.redact import excerpt, redact

SYNC_STATUSES = [("ok", "Done"), ("warning", "Warning"), ("error", "Error")]


class EcomSyncLog(models.Model):
    """One line per API exchange with a channel that failed or did something worth seeing."""

    _name = "ecom.sync.log"
    _description = "Channel Sync Log"
    _order = "create_date desc, id desc"
    _rec_name = "operation"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    listing_id = fields.Many2one("ecom.channel.listing", ondelete="set null", index=True)
    operation = fields.Char(required=True, help="What was attempted, e.g. 'publish', 'push stock'.")
    res_model = fields.Char("Record Model")
    res_id = fields.Many2oneReference("Record ID", model_field="res_model")
    status = fields.Selection(SYNC_STATUSES, required=True, default="ok", index=True)
    message = fields.Text()
    payload = fields.Text(help="Excerpt of the request or answer, with secrets removed.")

    @api.model_create_multi
    def create(self, vals_list):
        channels = self.env["ecom.channel"].browse(
            {vals["channel_id"] for vals in vals_list if vals.get("channel_id")}
        )
        secrets = {channel.id: channel._secrets() for channel in channels}
        for vals in vals_list:
            channel_secrets = secrets.get(vals.get("channel_id"), [])
            for key in ("message", "payload"):
                if vals.get(key):
                    vals[key] = excerpt(redact(vals[key], channel_secrets))
        return super().create(vals_list)

    def action_open_record(self):
        self.ensure_one()
        if not (self.res_model and self.res_id):
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
