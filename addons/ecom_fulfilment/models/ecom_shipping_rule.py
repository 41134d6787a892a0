# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..ecom_fulfilment_core.shipping_rules import Shipment, ShippingRule, select_rule


class EcomShippingRule(models.Model):
    """Maps the service level a channel promised (e.g. Amazon 'Standard') to a carrier service."""

    _name = "ecom.shipping.rule"
    _description = "Shipping Rule"
    _order = "sequence, id"

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, required=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    channel_id = fields.Many2one(
        "ecom.channel",
        check_company=True,
        index=True,
        help="Only orders of this channel; empty: orders of any channel.",
    )
    service_level = fields.Char(
        help="The channel's service level, matched without regard to case or spacing. "
        "Several alternatives may be separated by commas, and * and ? are wildcards. "
        "Empty: any service level.",
    )
    country_ids = fields.Many2many(
        "res.country", string="Destination Countries", help="Empty: any destination."
    )
    weight_min = fields.Float("Weight From", digits="Stock Weight", help="0: no lower bound.")
    weight_max = fields.Float(
        "Weight Below", digits="Stock Weight", help="Strictly below this weight; 0: no bound."
    )
    amount_min = fields.Monetary("Order Value From", help="0: no lower bound.")
    amount_max = fields.Monetary(
        "Order Value Below", help="Strictly below this value; 0: no bound."
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    carrier_id = fields.Many2one(
        "delivery.carrier", "Carrier Service", required=True, check_company=True
    )
    is_default = fields.Boolean(
        "Default Rule",
        help="Used only when no other rule matches: the channel's default first, then a default "
        "for all channels.",
    )

    @api.depends(
        "channel_id",
        "service_level",
        "country_ids",
        "weight_min",
        "weight_max",
        "amount_min",
        "amount_max",
        "carrier_id",
    )
    def _compute_name(self):
        for rule in self:
            parts = [rule.channel_id.name, rule.service_level]
            if rule.country_ids:
                parts.append(", ".join(rule.country_ids.mapped("code")))
            parts.append(rule._range_label(rule.weight_min, rule.weight_max, " kg"))
            parts.append(rule._range_label(rule.amount_min, rule.amount_max, ""))
            source = " / ".join(part for part in parts if part) or self.env._("Any order")
            rule.name = "%s → %s" % (source, rule.carrier_id.name or "?")

    @staticmethod
    def _range_label(low, high, unit):
        """'2–5 kg', '5+ kg', '< 2 kg' or '' for a rule's bounds."""
        if low and high:
            return "%g–%g%s" % (low, high, unit)
        if low:
            return "%g+%s" % (low, unit)
        if high:
            return "< %g%s" % (high, unit)
        return ""

    @api.constrains("weight_min", "weight_max", "amount_min", "amount_max")
    def _check_ranges(self):
        for rule in self:
            if min(rule.weight_min, rule.weight_max, rule.amount_min, rule.amount_max) < 0:
                raise ValidationError(self.env._("Weights and order values cannot be negative."))
            if rule.weight_max and rule.weight_min >= rule.weight_max:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: 'Weight From' must be below 'Weight Below'.", rule=rule.name
                    )
                )
            if rule.amount_max and rule.amount_min >= rule.amount_max:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: 'Order Value From' must be below 'Order Value Below'.",
                        rule=rule.name,
                    )
                )

    @api.constrains("is_default", "channel_id", "company_id", "active")
    def _check_one_default(self):
        for rule in self.filtered(lambda r: r.is_default and r.active):
            count = self.search_count(
                [
                    ("is_default", "=", True),
                    ("channel_id", "=", rule.channel_id.id),
                    ("company_id", "=", rule.company_id.id),
                ]
            )
            if count > 1:
                raise ValidationError(
                    self.env._(
                        "There can be only one default rule for %(channel)s.",
                        channel=rule.channel_id.name or self.env._("all channels"),
                    )
                )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _to_core(self):
        return [
            ShippingRule(
                id=rule.id,
                sequence=rule.sequence,
                channel_id=rule.channel_id.id or None,
                service_level=rule.service_level or "",
                country_ids=frozenset(rule.country_ids.ids),
                weight_min=rule.weight_min,
                weight_max=rule.weight_max,
                amount_min=rule.amount_min,
                amount_max=rule.amount_max,
                is_default=rule.is_default,
            )
            for rule in self
        ]

    @api.model
    def _shipment_of_order(self, order):
        """The facts of a sale order that rules look at."""
        weight = sum(
            line.product_id.weight
            * line.product_uom._compute_quantity(line.product_uom_qty, line.product_id.uom_id)
            for line in order.order_line
            if line.product_id and not line.display_type
        )
        return Shipment(
            channel_id=order.ecom_channel_id.id or None,
            service_level=order.ecom_service_level or "",
            country_id=order.partner_shipping_id.country_id.id or None,
            weight=weight,
            amount=order.amount_total,
        )

    @api.model
    def _select_for_order(self, order, rules=None, core_rules=None):
        """The first matching rule of the order's company for ``order``, or an empty recordset.
        ``rules``: the candidate rules when the caller already read them; ``core_rules``: the
        same already made plain (``_to_core``, once for a batch of orders)."""
        order.ensure_one()
        if core_rules is None:
            if rules is None:
                rules = self.search([("company_id", "in", (order.company_id.id, False))])
            core_rules = rules._to_core()
        chosen = select_rule(core_rules, self._shipment_of_order(order))
        return self.browse(chosen.id) if chosen else self.browse()
