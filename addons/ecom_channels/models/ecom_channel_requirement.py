# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL

from ..ecom_channels_core.payloads import Requirements

_logger = logging.getLogger(__name__)

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
        """Keep ``requirements`` in a transaction of its own (a publish refused for them rolls
        its own work back, not what was read); in the caller's when the channel is not
        committed yet (created in the same transaction)."""
        vals = {
            "source": requirements.source,
            "required_names": "\n".join(requirements.required) or False,
            "recommended_names": "\n".join(requirements.recommended) or False,
            "fetched_at": fields.Datetime.now(),
        }
        try:
            with self.model.env.registry.cursor() as cr:
                cr.execute(SQL("SELECT 1 FROM ecom_channel WHERE id = %s", self.channel.id))
                if cr.fetchone():
                    model = api.Environment(cr, SUPERUSER_ID, {})[self.model._name]
                    self._write(model, key, vals)
                    self.model.invalidate_model()
                    return
        except psycopg2.Error:  # e.g. another worker stored the same key meanwhile
            _logger.info("requirements %s of channel %s not kept", key, self.channel.id)
            return
        # the channel is not committed yet: kept with it in the caller's transaction
        self._write(self.model, key, vals)

    def _write(self, model, key, vals):
        found = model.search([("channel_id", "=", self.channel.id), ("key", "=", key)], limit=1)
        if found:
            found.write(vals)
        else:
            model.create(dict(vals, channel_id=self.channel.id, key=key))
