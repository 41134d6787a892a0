# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class EcomChannelListingAttribute(models.Model):
    """One attribute of a listing in the channel's own vocabulary (the attribute editor).

    ``name`` is the channel's attribute name (Amazon ``brand``, ``bullet_point``; an eBay item
    specific such as ``Brand`` or ``Colour``); the value is ``value``, or else the variant's
    value of the Odoo attribute ``product_attribute_id`` (Odoo's "Color" sent as eBay's
    "Colour"). Several values: one per line (Amazon bullet points).
    """

    _name = "ecom.channel.listing.attribute"
    _inherit = ["ecom.channel.listing.child"]
    _description = "Channel Attribute of a Listing"
    _order = "listing_id, sequence, id"

    name = fields.Char(
        "Channel Attribute",
        required=True,
        help="The attribute's name on the channel (Amazon: brand, bullet_point; eBay: the item "
        "specific, e.g. Brand, Colour, Size).",
    )
    product_attribute_id = fields.Many2one(
        "product.attribute",
        "Odoo Attribute",
        help="Send the variant's value of this attribute under the channel's name (when no "
        "value is typed).",
    )
    value = fields.Text(help="The value to send; several values one per line.")
    effective_value = fields.Text("Sent", compute="_compute_effective_value")
    required = fields.Boolean(
        compute="_compute_effective_value", help="The channel requires this attribute."
    )

    _sql_constraints = [
        (
            "listing_name_uniq",
            "unique(listing_id, name)",
            "This attribute is already on the listing.",
        )
    ]

    @api.depends("value", "product_attribute_id", "listing_id.product_id", "name")
    def _compute_effective_value(self):
        # what each listing's channel requires: one reading per listing, one client per channel
        required = self.listing_id._required_channel_attributes_by_listing()
        for row in self:
            row.effective_value = row._value()
            row.required = row.name in (required.get(row.listing_id) or ())

    def _value(self):
        self.ensure_one()
        if self.value:
            return self.value
        if self.product_attribute_id:
            for ptav in self.listing_id.product_id.product_template_attribute_value_ids:
                if ptav.attribute_id == self.product_attribute_id:
                    return ptav.name
        return ""
