# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from .odoo_own import methods_only_from

#: The stock rule found for each product, location and procurement values while an import
#: confirms its orders together (``sale.order._ecom_confirm_chunk``): ``{key: rule ids}`` in
#: the cursor's cache (Odoo's reordering rules open savepoints, which clear the transaction's
#: data).
RULES = "ecom_fulfilment.rules"
#: The methods that find a procurement's rule, and the modules whose versions of them read
#: nothing of the procurement but what ``_ecom_rule_key`` keeps (Odoo's stock and drop-shipping).
RULE_LOOKUP = ("_get_rule", "_get_rule_domain", "_search_rule", "_search_rule_for_warehouses")
RULE_LOOKUP_MODULES = frozenset(
    {
        "odoo.addons.stock.models.stock_rule",
        "odoo.addons.stock_dropshipping.models.stock",
        __name__,
    }
)


class ProcurementGroup(models.Model):
    _inherit = "procurement.group"

    @api.model
    def _get_rule(self, product_id, location_id, values):
        """Odoo looks up the rule of every procurement (each order line). While an import
        confirms its orders together (``RULES`` in the cursor's cache, set by
        ``sale.order._ecom_confirm_chunk`` only while the lookup is Odoo's own: a module that
        changes how rules are found may read more of the procurement) the lines of one
        product, location, route, packaging, warehouse and company share one lookup."""
        found = self.env.cr.cache.get(RULES)
        if found is None:
            return super()._get_rule(product_id, location_id, values)
        key = self._ecom_rule_key(product_id, location_id, values)
        if key not in found:
            found[key] = super()._get_rule(product_id, location_id, values).ids
        return self.env["stock.rule"].browse(found[key])

    @api.model
    def _ecom_rule_key(self, product_id, location_id, values):
        """What Odoo's rule lookup reads of a procurement (see ``RULE_LOOKUP``), and who asks."""

        def ids(name):
            records = values.get(name)
            return tuple(sorted(records.ids)) if records else ()

        return (
            product_id.id,
            location_id.id,
            ids("route_ids"),
            ids("product_packaging_id"),
            # Odoo takes the location's warehouse when none is given, none when it is empty
            "warehouse_id" in values,
            ids("warehouse_id"),
            ids("company_id"),
            "sale_line_id" in values,
            self.env.uid,
            self.env.su,
            tuple(self.env.companies.ids),
        )

    @api.model
    def _ecom_rule_lookup_is_odoos(self):
        """Whether every version of the rule lookup methods comes from ``RULE_LOOKUP_MODULES``."""
        return methods_only_from(self, RULE_LOOKUP, RULE_LOOKUP_MODULES)
