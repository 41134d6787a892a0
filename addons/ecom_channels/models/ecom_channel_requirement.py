# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields, models

from ..ecom_channels_core.payloads import Requirements

#: How long requirements read from a channel are used before being read again.
REQUIREMENT_TTL = timedelta(days=7)


class EcomChannelRequirement(models.Model):
    """What a channel requires for one product type or category, as read from it (Amazon
    product type definitions per marketplace, eBay item specifics per site and category):
    kept so that each is read once a week, not once per listing."""

    _name = "ecom.channel.requirement"
    _description = "Channel Requirements (cached)"
    _order = "channel_id, key"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    key = fields.Char(required=True, help="Marketplace or site, and product type or category.")
    source = fields.Char()
    required_names = fields.Text("Required Attributes", help="One per line.")
    recommended_names = fields.Text("Recommended Attributes", help="One per line.")
    fetched_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _sql_constraints = [
        ("channel_key_uniq", "unique(channel_id, key)", "One entry per channel and key.")
    ]

    def _requirements(self):
        self.ensure_one()
        return Requirements(
            required=(self.required_names or "").split("\n") if self.required_names else [],
            recommended=(self.recommended_names or "").split("\n")
            if self.recommended_names
            else [],
            source=self.source or "",
        )


class ChannelRequirementCache:
    """The client's requirement cache (see ``ChannelClient.requirements``), kept in
    ``ecom.channel.requirement``."""

    def __init__(self, channel):
        self.channel = channel.sudo()
        self.model = self.channel.env["ecom.channel.requirement"]

    def _find(self, key):
        return self.model.search([("channel_id", "=", self.channel.id), ("key", "=", key)], limit=1)

    def get(self, key):
        found = self._find(key)
        if not found or found.fetched_at < fields.Datetime.now() - REQUIREMENT_TTL:
            return None
        return found._requirements()

    def put(self, key, requirements):
        vals = {
            "source": requirements.source,
            "required_names": "\n".join(requirements.required) or False,
            "recommended_names": "\n".join(requirements.recommended) or False,
            "fetched_at": fields.Datetime.now(),
        }
        found = self._find(key)
        if found:
            found.write(vals)
        else:
            self.model.create(dict(vals, channel_id=self.channel.id, key=key))
