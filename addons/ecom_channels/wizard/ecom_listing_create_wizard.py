# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomListingCreateWizard(models.TransientModel):
    """Create listings on one channel for the selected products (variants of the selected
    templates), skipping those the channel already lists."""

    _name = "ecom.listing.create.wizard"
    _description = "Create Channel Listings"

    channel_id = fields.Many2one(
        "ecom.channel",
        required=True,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Products",
        default=lambda self: self._default_product_ids(),
        required=True,
    )
    already_listed_count = fields.Integer(compute="_compute_already_listed_count")
    mark_ready = fields.Boolean(
        "Mark Complete Listings Ready",
        default=True,
        help="Listings that already have everything the channel requires go straight to ready.",
    )

    @api.model
    def _default_product_ids(self):
        context = self.env.context
        ids = context.get("active_ids") or []
        if context.get("active_model") == "product.template":
            return self.env["product.template"].browse(ids).product_variant_ids
        if context.get("active_model") == "product.product":
            return self.env["product.product"].browse(ids)
        return self.env["product.product"]

    def _existing_listings(self):
        self.ensure_one()
        return self.env["ecom.channel.listing"].search(
            [
                ("channel_id", "=", self.channel_id.id),
                ("product_id", "in", self.product_ids.ids),
            ]
        )

    @api.depends("channel_id", "product_ids")
    def _compute_already_listed_count(self):
        for wizard in self:
            wizard.already_listed_count = (
                len(wizard._existing_listings()) if wizard.channel_id else 0
            )

    def action_create(self):
        self.ensure_one()
        products = self.product_ids - self._existing_listings().product_id
        listings = self.env["ecom.channel.listing"].create(
            [{"channel_id": self.channel_id.id, "product_id": p.id} for p in products]
        )
        if self.mark_ready:
            listings.filtered(lambda lst: not lst.missing_requirements).action_mark_ready()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecom_channels.ecom_channel_listing_action"
        )
        action["domain"] = [("id", "in", listings.ids)]
        action["context"] = {"default_channel_id": self.channel_id.id}
        return action
