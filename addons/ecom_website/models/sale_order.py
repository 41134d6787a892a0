# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _get_cart_and_free_qty(self, product, line=None):
        """On a website channel's shop the cart may hold what the channel offers (its stock
        rules), not all the free stock. Odoo's method (and any module's above it, such as a
        pickup point's stock) still gives the cart's quantity."""
        cart_qty, free_qty = super()._get_cart_and_free_qty(product, line=line)
        product = product or (line and line.product_id)
        channel = self.website_id._ecom_channel()
        if channel and product and product.is_storable:
            free_qty = channel._ecom_website_quantity(product)
        return cart_qty, free_qty

    def action_confirm(self):
        self._ecom_website_bind()
        return super().action_confirm()

    def _ecom_website_bind(self):
        """Website orders of a website channel become the channel's orders as they are
        confirmed (paid, or confirmed by a salesperson): the channel, its warehouse and sales
        team, the service level of the delivery method the customer chose, and the carrier of
        the first matching shipping rule, as imported channel orders get them. An order no
        rule matches is confirmed all the same (the customer paid) and flagged as needing
        attention, with a line in the channel's sync log."""
        Rule = self.env["ecom.shipping.rule"].sudo()
        for order in self.sudo().filtered(
            lambda o: o.website_id and not o.ecom_channel_id and o.state in ("draft", "sent")
        ):
            channel = order.website_id._ecom_channel()
            if not channel:
                continue
            vals = {
                "ecom_channel_id": channel.id,
                "ecom_external_ref": order.name,
                "ecom_service_level": order.carrier_id.name or False,
                "warehouse_id": channel.warehouse_id.id,
            }
            team = channel["team_id"] if "team_id" in channel._fields else None
            if team:  # the channel's sales team (ecom_accounting)
                vals["team_id"] = team.id
            if "ecom_channel_total" in order._fields:  # the total the shopper paid
                vals["ecom_channel_total"] = order.amount_total
            order.write(vals)
            rule = Rule._select_for_order(order)
            if rule:
                order.write({"ecom_shipping_rule_id": rule.id, "carrier_id": rule.carrier_id.id})
                continue
            reason = self.env._(
                "Order %(order)s: no shipping rule matches service level %(service)s.",
                order=order.name,
                service=vals["ecom_service_level"] or "-",
            )
            order.write({"ecom_needs_attention": True, "ecom_attention_reason": reason})
            self.env["ecom.sync.log"]._log(order, "website order", "warning", reason)
