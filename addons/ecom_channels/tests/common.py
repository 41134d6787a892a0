# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class EcomChannelsCase(TransactionCase):
    """Channels, products and one user per role, built without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.manager = new_test_user(
            cls.env, "ecom_manager", groups="ecom_channels.ecom_channels_group_manager"
        )
        cls.backoffice = new_test_user(
            cls.env, "ecom_backoffice", groups="ecom_channels.ecom_channels_group_user"
        )
        cls.warehouse_user = new_test_user(cls.env, "ecom_wh", groups="stock.group_stock_user")
        cls.accountant = new_test_user(
            cls.env, "ecom_accountant", groups="account.group_account_readonly"
        )
        cls.channel = (
            cls.env["ecom.channel"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Test Shopify",
                    "channel_type": "shopify",
                    "api_base_url": "http://127.0.0.1:8079/shopify",
                    "api_key": "key-123456",
                    "api_secret": "secret-abcdef",
                    "access_token": "shpat_tok_987654321",
                }
            )
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Trail Tent 2P",
                "default_code": "TENT-2P",
                "barcode": "5012345678900",
                "is_storable": True,
                "list_price": 199.0,
            }
        )
