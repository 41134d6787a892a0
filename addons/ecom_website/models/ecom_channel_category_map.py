# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomChannelCategoryMap(models.Model):
    _inherit = "ecom.channel.category.map"

    website_public_categ_id = fields.Many2one(
        "product.public.category",
        "Website Category",
        ondelete="cascade",
        help="Website channels: the shop category (public category) of the products of this "
        "product category; its id becomes the channel category id.",
    )

    @api.onchange("website_public_categ_id")
    def _onchange_website_public_categ_id(self):
        if self.website_public_categ_id:
            self.update(self._ecom_public_category_vals(self.website_public_categ_id))

    @api.model
    def _ecom_public_category_vals(self, category):
        return {
            "channel_category_ref": str(category.id),
            "channel_category_name": category.display_name,
        }

    @api.model_create_multi
    def create(self, vals_list):
        Category = self.env["product.public.category"]
        for vals in vals_list:
            if vals.get("website_public_categ_id"):
                category = Category.browse(vals["website_public_categ_id"])
                vals.update(self._ecom_public_category_vals(category))
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("website_public_categ_id"):
            category = self.env["product.public.category"].browse(vals["website_public_categ_id"])
            vals = dict(vals, **self._ecom_public_category_vals(category))
        return super().write(vals)
