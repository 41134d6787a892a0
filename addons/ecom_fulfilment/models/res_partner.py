# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, models

from .odoo_own import methods_only_from

#: The methods with which ``create`` syncs a new contact with its company, and the modules
#: whose versions ``_ecom_create_contacts`` does the same as (Odoo's base, this one).
CONTACT_SYNC = (
    "_fields_sync",
    "_commercial_sync_from_company",
    "_company_dependent_commercial_sync",
    "_commercial_sync_to_children",
    "_onchange_parent_id_for_lang",
)
CONTACT_SYNC_MODULES = frozenset({"odoo.addons.base.models.res_partner", __name__})
#: Fields whose presence in the values a partner's ``create`` reads (base: the language taken
#: from the parent; account: the ranks of ``res_partner_search_mode``).
PRESENCE_READ = ("lang", "customer_rank", "supplier_rank")


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
        (address of "contact" types, first contact of a company) is Odoo's, per contact. A
        module that changes how ``create`` syncs contacts (``CONTACT_SYNC``) gets Odoo's
        ``create``."""
        if any(
            not vals.get("parent_id") or vals.get("child_ids") for vals in vals_list
        ) or not methods_only_from(self, CONTACT_SYNC, CONTACT_SYNC_MODULES):
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
        partners = self.with_context(_partners_skip_fields_sync=True).create(
            self._ecom_with_defaults(vals_list)
        )
        partners = partners.with_context(_partners_skip_fields_sync=False)
        synced = partners.filtered(lambda p: p.commercial_partner_id != p)
        self.sudo()._ecom_write_grouped(synced, self._commercial_fields())
        company_fields = self._company_dependent_commercial_fields()
        if company_fields and synced:
            for company in self.env["res.company"].sudo().search([]):
                if company == self.env.company:
                    continue
                self.sudo().with_company(company)._ecom_write_grouped(synced, company_fields)
        # changes to the parents (a first contact's address) are tracked as usual
        tracked = partners.with_context(tracking_disable=False, mail_notrack=False)
        for partner in tracked:
            if partner.parent_id and partner.type == "contact":
                partner.update_address(partner.onchange_parent_id().get("value", {}))
            partner._handle_first_contact_creation()
        return partners

    @api.model
    def _ecom_with_defaults(self, vals_list):
        """``vals_list`` completed with the partners' default values, read once for all. Odoo's
        ``create`` reads them again for each partner (``_add_missing_default_values``, with a
        count of invoice layouts each time), although a partner's defaults depend on the
        context only; a value given wins over the default, as there."""
        if len(vals_list) < 2:
            return vals_list
        defaults = self._add_missing_default_values({})
        # values whose presence ``create`` reads (a parent's language, a rank asked for by the
        # context) are left out: then as there
        for name in PRESENCE_READ:
            defaults.pop(name, None)
        return [{**defaults, **vals} for vals in vals_list]

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
            self.browse(ids).with_context(ecom_contacts_together=True).write(values[key])

    def _inverse_product_pricelist(self):
        """Odoo's inverse of the pricelist searches the default pricelist of each partner's
        country (one search per partner), and its result depends on nothing else than that
        country, the pricelist written and the partner's own pricelist before. For the new
        contacts ``_ecom_write_grouped`` writes together, it runs on one partner of each such
        state and the others take its result."""
        if len(self) < 2 or not self.env.context.get("ecom_contacts_together"):
            return super()._inverse_product_pricelist()
        same = defaultdict(list)
        for partner in self:
            state = (
                partner.country_id.code,
                partner.property_product_pricelist.id,
                partner.specific_property_product_pricelist.id,
            )
            same[state].append(partner.id)
        for ids in same.values():
            first, others = self.browse(ids[:1]), self.browse(ids[1:])
            super(ResPartner, first)._inverse_product_pricelist()
            if others:
                result = first.specific_property_product_pricelist
                others.filtered(
                    lambda p, result=result: p.specific_property_product_pricelist != result
                ).specific_property_product_pricelist = result
