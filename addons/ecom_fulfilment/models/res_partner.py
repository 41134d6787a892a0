# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _ecom_create_contacts(self, vals_list):
        """Create contacts of existing partners (``parent_id`` in every ``vals``: the delivery
        addresses of channel customers) as ``create`` does, with fewer writes. Odoo's
        ``create`` gives each new contact its commercial partner's commercial fields (one
        ``write`` per contact, and one per other company for the company-dependent ones) and
        its parent's language. Here the language goes in the values, and the commercial fields
        are written once per distinct set of values (the customers an import creates share
        them), as Odoo's own ``_load_records_create`` batches the same sync. What is left
        (address of "contact" types, first contact of a company) is Odoo's, per contact."""
        if any(not vals.get("parent_id") or vals.get("child_ids") for vals in vals_list):
            return self.create(vals_list)
        parents = self.browse([vals["parent_id"] for vals in vals_list])
        vals_list = [
            vals
            if "lang" in vals
            else dict(
                vals,
                lang=parent.lang or self.env.context.get("default_lang") or self.env.lang,
            )
            for vals, parent in zip(vals_list, parents, strict=True)
        ]
        partners = self.with_context(_partners_skip_fields_sync=True).create(vals_list)
        partners = partners.with_context(_partners_skip_fields_sync=False)
        synced = partners.filtered(lambda p: p.commercial_partner_id != p)
        self.sudo()._ecom_write_grouped(synced, self._commercial_fields())
        company_fields = self._company_dependent_commercial_fields()
        if company_fields and synced:
            for company in self.env["res.company"].sudo().search([]):
                if company == self.env.company:
                    continue
                self.sudo().with_company(company)._ecom_write_grouped(synced, company_fields)
        for partner in partners:
            if partner.parent_id and partner.type == "contact":
                partner.update_address(partner.onchange_parent_id().get("value", {}))
            partner._handle_first_contact_creation()
        return partners

    @api.model
    def _ecom_write_grouped(self, partners, fnames):
        """Write on ``partners`` the fields ``fnames`` of their commercial partners (in this
        environment's company), one ``write`` per distinct set of values."""
        groups = defaultdict(list)
        values = {}
        for partner in self.browse(partners.ids):
            vals = partner.commercial_partner_id._update_fields_values(fnames)
            key = repr(sorted(vals.items()))
            values[key] = vals
            groups[key].append(partner.id)
        for key, ids in groups.items():
            self.browse(ids).write(values[key])
