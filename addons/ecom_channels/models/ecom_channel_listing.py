# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

LISTING_STATES = [
    ("draft", "Draft"),
    ("ready", "Ready"),
    ("published", "Published"),
    ("error", "Error"),
    ("ended", "Ended"),
]


class EcomChannelListing(models.Model):
    """One product offered on one channel: the binding between an Odoo product variant and the
    channel's item/variant, with the content the channel shows."""

    _name = "ecom.channel.listing"
    _description = "Channel Listing"
    _inherit = ["mail.thread"]
    _order = "channel_id, product_id, id"
    _rec_names_search = ["name", "product_id", "external_ref"]

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade", index=True)
    channel_type = fields.Selection(related="channel_id.channel_type")
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="restrict", index=True, check_company=True
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True)
    default_code = fields.Char(related="product_id.default_code", string="SKU")
    barcode = fields.Char(related="product_id.barcode")
    state = fields.Selection(
        LISTING_STATES, required=True, default="draft", index=True, tracking=True, copy=False
    )
    external_ref = fields.Char(
        "External Reference",
        copy=False,
        index=True,
        help="The channel's own id of this item or variant (Shopify variant GID, WooCommerce id, "
        "eBay item id, Amazon SKU).",
    )
    name = fields.Char(
        "Title",
        compute="_compute_name",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        tracking=True,
    )
    description = fields.Html(sanitize_style=True)
    price = fields.Float(
        digits="Product Price",
        compute="_compute_price",
        store=True,
        readonly=False,
        precompute=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    sync_log_ids = fields.One2many("ecom.sync.log", "listing_id")

    _sql_constraints = [
        (
            "channel_product_uniq",
            "unique(channel_id, product_id)",
            "This product already has a listing on this channel.",
        ),
        (
            "channel_external_ref_uniq",
            "unique(channel_id, external_ref)",
            "Another listing on this channel already has this external reference.",
        ),
    ]

    @api.depends("product_id")
    def _compute_name(self):
        for listing in self:
            if not listing.name and listing.product_id:
                listing.name = listing.product_id.display_name

    @api.depends("product_id")
    def _compute_price(self):
        for listing in self:
            if not listing.price and listing.product_id:
                listing.price = listing.product_id.lst_price

    @api.depends("name", "channel_id")
    def _compute_display_name(self):
        for listing in self:
            listing.display_name = "[%s] %s" % (listing.channel_id.name or "", listing.name or "")

    def action_view_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_channels.ecom_sync_log_action")
        action["domain"] = [("listing_id", "=", self.id)]
        return action
