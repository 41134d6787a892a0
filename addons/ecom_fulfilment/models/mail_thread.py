# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _ecom_subscribe_together(self, pending):
        """Make partners follow records of this model, ``pending`` a list of ``(record id,
        partner ids)``: as ``message_subscribe`` would, one record after the other (active
        partners only, the default subtypes of customers or users, nobody twice), in one
        ``create`` (imports confirm and deliver many orders at once)."""
        if not pending:
            return
        record_ids = [record_id for record_id, __ in pending]
        # as message_subscribe: who may change the records may make others follow them
        self.browse(record_ids).check_access("write")
        partner_ids = list({pid for __, pids in pending for pid in pids})
        partners = (
            self.env["res.partner"]
            .sudo()
            .search_fetch([("id", "in", partner_ids), ("active", "=", True)], ["partner_share"])
        )
        active = set(partners.ids)
        customers = partners.filtered("partner_share").ids
        Followers = self.env["mail.followers"].sudo()
        following = {
            (follower.res_id, follower.partner_id.id)
            for follower in Followers.search(
                [("res_model", "=", self._name), ("res_id", "in", record_ids)]
            )
        }
        vals_list = []
        for record_id, pids in pending:
            new_ids = [pid for pid in pids if pid in active and (record_id, pid) not in following]
            if not new_ids:
                continue
            new, __ = Followers._add_default_followers(
                self._name, [record_id], new_ids, customer_ids=customers, check_existing=False
            )
            vals_list += [dict(v, res_id=res_id) for res_id, vals in new.items() for v in vals]
            following.update((record_id, pid) for pid in new_ids)
        Followers.create(vals_list)
        self.browse(record_ids).invalidate_recordset(
            ["message_follower_ids", "message_partner_ids"]
        )
