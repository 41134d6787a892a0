# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

CHANNEL_TYPES = [
    ("shopify", "Shopify"),
    ("woocommerce", "WooCommerce"),
    ("ebay", "eBay"),
    ("amazon", "Amazon"),
]


class EcomChannel(models.Model):
    """A sales channel (one shop, one seller account, one marketplace site): the backend record
    that listings, imported orders and sync logs belong to."""

    _name = "ecom.channel"
    _description = "Sales Channel"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    color = fields.Integer()
    channel_type = fields.Selection(CHANNEL_TYPES, required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        check_company=True,
        default=lambda self: self._default_warehouse_id(),
        help="The warehouse whose stock this channel sells and ships from.",
        tracking=True,
    )
    api_base_url = fields.Char(
        "API Base URL",
        help="Root URL of the channel's API: the live service, its sandbox or a local emulator.",
        tracking=True,
    )
    account_ref = fields.Char(
        "Account Reference",
        help="Shop name (Shopify), seller id (Amazon), site id (eBay) or store URL (WooCommerce).",
    )
    api_key = fields.Char("API Key", groups="ecom_channels.ecom_channels_group_manager", copy=False)
    api_secret = fields.Char(
        "API Secret", groups="ecom_channels.ecom_channels_group_manager", copy=False
    )
    access_token = fields.Char(
        groups="ecom_channels.ecom_channels_group_manager",
        copy=False,
        help="OAuth access or refresh token, depending on the channel.",
    )
    listing_ids = fields.One2many("ecom.channel.listing", "channel_id")
    listing_count = fields.Integer(compute="_compute_counts")
    sync_log_ids = fields.One2many("ecom.sync.log", "channel_id")
    sync_error_count = fields.Integer(compute="_compute_counts")
    sale_order_count = fields.Integer(compute="_compute_counts")
    note = fields.Html()

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A channel with this name already exists in this company.",
        ),
    ]

    @api.model
    def _default_warehouse_id(self):
        return self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )

    @api.depends("listing_ids", "sync_log_ids.status")
    def _compute_counts(self):
        listings = dict(
            self.env["ecom.channel.listing"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        errors = dict(
            self.env["ecom.sync.log"]._read_group(
                [("channel_id", "in", self.ids), ("status", "=", "error")],
                ["channel_id"],
                ["__count"],
            )
        )
        orders = dict(
            self.env["sale.order"]._read_group(
                [("ecom_channel_id", "in", self.ids)], ["ecom_channel_id"], ["__count"]
            )
        )
        for channel in self:
            channel.listing_count = listings.get(channel, 0)
            channel.sync_error_count = errors.get(channel, 0)
            channel.sale_order_count = orders.get(channel, 0)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _secrets(self):
        """The channel's credentials, read with superuser rights, to redact them from logs."""
        self.ensure_one()
        channel = self.sudo()
        return [s for s in (channel.api_key, channel.api_secret, channel.access_token) if s]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_listings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecom_channels.ecom_channel_listing_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def action_view_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ecom_channels.ecom_sync_log_action")
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id, "search_default_filter_error": 1}
        return action

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("ecom_channel_id", "=", self.id)]
        action["context"] = {"default_ecom_channel_id": self.id}
        return action
