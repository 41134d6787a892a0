# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Connect a channel: the credentials of its type, and for OAuth channels the seller's consent
exchanged for an access token and a refresh token."""

from urllib.parse import parse_qs, urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..ecom_channels_core import registry
from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.tokens import code_grant


class EcomChannelConnect(models.TransientModel):
    _name = "ecom.channel.connect"
    _description = "Connect a Sales Channel"

    channel_id = fields.Many2one("ecom.channel", required=True, ondelete="cascade")
    channel_type = fields.Selection(related="channel_id.channel_type")
    connect_flow = fields.Char(compute="_compute_connect_flow")
    api_key = fields.Char(
        "App ID / Client ID / Key",
        help="eBay: App ID (Client ID); Amazon: LWA client identifier; WooCommerce: consumer "
        "key. Leave empty to keep the one saved.",
    )
    api_secret = fields.Char(
        "Cert ID / Client Secret / Secret",
        help="eBay: Cert ID (Client Secret); Amazon: LWA client secret; WooCommerce: consumer "
        "secret. Leave empty to keep the one saved.",
    )
    access_token = fields.Char(help="Shopify: the Admin API access token of the custom app.")
    ru_name = fields.Char(
        "RuName",
        help="eBay: the redirect URL name of your app (developer.ebay.com > User Tokens > "
        "Get a Token from eBay via Your Application).",
    )
    consent_url = fields.Char(compute="_compute_consent_url")
    code = fields.Char(
        "Consent Code",
        help="The code the channel gives back after the seller agreed (eBay: the 'code' of "
        "the page eBay redirects to, or that whole address; Amazon: spapi_oauth_code).",
    )
    refresh_token = fields.Char(
        help="Amazon: the refresh token of a self-authorisation (Seller Central > Apps and "
        "Services > Develop Apps > Authorize)."
    )

    @api.depends("channel_id.channel_type")
    def _compute_connect_flow(self):
        for wizard in self:
            declared = registry.TYPES.get(wizard.channel_id.channel_type)
            wizard.connect_flow = declared.connect if declared else False

    @api.depends("channel_id", "api_key", "ru_name")
    def _compute_consent_url(self):
        for wizard in self:
            channel = wizard.channel_id.sudo()
            flow = registry.token_flow(channel.channel_type)
            url = ""
            if flow:
                url = flow.consent_link(
                    wizard.api_key or channel.api_key,
                    redirect=wizard.ru_name or channel.ebay_ru_name,
                    scope=channel.ebay_oauth_scopes,
                )
            wizard.consent_url = url or False

    @staticmethod
    def _code_of(text):
        """The consent code of ``text``: the code itself, or the address the channel
        redirected to (its ``code`` or ``spapi_oauth_code`` parameter)."""
        text = (text or "").strip()
        if "?" in text and "://" in text:
            query = parse_qs(urlsplit(text).query)
            for name in ("code", "spapi_oauth_code"):
                if query.get(name):
                    return query[name][0]
        return text

    def action_connect(self):
        """Save the credentials, exchange the consent for tokens, test the connection."""
        self.ensure_one()
        channel = self.channel_id
        channel.check_access("write")
        if not self.env.user.has_group("ecom_channels.ecom_channels_group_manager"):
            raise UserError(self.env._("Only channel managers can connect a channel."))
        vals = {
            name: self[name]
            for name in ("api_key", "api_secret", "access_token", "refresh_token")
            if self[name]
        }
        if self.ru_name:
            vals["ebay_ru_name"] = self.ru_name
        vals.update(reconnect_needed=False, reconnect_reason=False)
        if self.refresh_token or self.code:
            vals.update(access_token=False, token_expires_at=False)
        channel.sudo().write(vals)
        channel = channel.sudo()
        try:
            with channel._get_client(token_store=False) as client:
                if self.code:
                    grant = code_grant(
                        client.token_transport(),
                        client.token_flow,
                        client.token_url,
                        client.api_key,
                        client.api_secret,
                        self._code_of(self.code),
                        channel.ebay_ru_name if channel.channel_type == "ebay" else "",
                        label=client.label,
                        now=client.token_now(),
                    )
                    client.use_token(grant)
                info = client.test_connection()
                if client.token_flow is not None and client.access_token:
                    channel.write(
                        {
                            "access_token": client.access_token,
                            "refresh_token": client.refresh_token or False,
                            "token_expires_at": client.token_expires_at or False,
                        }
                    )
        except ChannelError as exc:
            raise UserError(
                self.env._(
                    "%(channel)s could not be connected: %(error)s",
                    channel=channel.name,
                    error=exc.message,
                )
            ) from None
        message = self.env._("Connected to %(account)s", account=info)
        channel._log_sync("connect", "ok", message)
        return channel._notification(self.env._("Channel connected"), message)
