# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Channels saved before the token fields and the eBay site field: an LWA refresh token kept
as the access token moves to ``refresh_token``; the eBay site id kept as the account
reference moves to ``ebay_site_id``."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ecom_channel
           SET refresh_token = access_token, access_token = NULL
         WHERE channel_type = 'amazon' AND access_token LIKE 'Atzr|%%'
           AND refresh_token IS NULL
        """
    )
    cr.execute(
        """
        UPDATE ecom_channel
           SET ebay_site_id = trim(account_ref)
         WHERE channel_type = 'ebay'
           AND trim(account_ref) IN ('0', '2', '3', '15', '71', '77', '101', '186')
        """
    )
