# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A website channel on the company's website: a listed tent (5 in stock, a buffer of 2), a
delivery method the shop offers, self-printed carriers and the website's shipping rule, and
the users who run the channel, sell, print and account."""

import base64

from odoo.tests import new_test_user

#: A 1x1 PNG, uploaded as a listing image.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
)


class WebsiteChannelMixin:
    """Set-up shared by the TransactionCase and HttpCase tests (``cls`` is the test class)."""

    @classmethod
    def setup_website_channel(cls):
        env = cls.env
        cls.company = env.company
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse.partner_id.write(
            {
                "street": "1 Dock Road",
                "city": "Leeds",
                "zip": "LS1 4AP",
                "country_id": env.ref("base.uk").id,
            }
        )
        # wkhtmltopdf must not call the test server for report assets
        env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        cls.website = cls.company.website_id or env.ref("website.default_website")
        cls.website.company_id = cls.company
        cls.manager = new_test_user(
            env, "ecom_web_manager", groups="ecom_channels.ecom_channels_group_manager"
        )
        cls.backoffice = new_test_user(
            env, "ecom_web_backoffice", groups="ecom_channels.ecom_channels_group_user"
        )
        cls.operator = new_test_user(
            env, "ecom_web_operator", groups="ecom_fulfilment.ecom_fulfilment_group_user"
        )
        cls.salesman = new_test_user(
            env, "ecom_web_salesman", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.channel = (
            env["ecom.channel"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Northwind Website",
                    "channel_type": "website",
                    "website_id": cls.website.id,
                    "warehouse_id": cls.warehouse.id,
                    "stock_buffer_qty": 2,
                }
            )
        )
        cls.tent = env["product.product"].create(
            {
                "name": "Ridge Tent 2P",
                "default_code": "WEB-TENT-2P",
                "is_storable": True,
                "list_price": 120.0,
                "weight": 2.5,
                "sale_ok": True,
                "website_published": False,
            }
        )
        env["stock.quant"]._update_available_quantity(cls.tent, cls.warehouse.lot_stock_id, 5)
        cls.shop_category = env["product.public.category"].create({"name": "Tents"})
        cls.categ = env["product.category"].create({"name": "Camping"})
        cls.tent.categ_id = cls.categ
        env["ecom.channel.category.map"].with_user(cls.manager).create(
            {
                "channel_id": cls.channel.id,
                "categ_id": cls.categ.id,
                "website_public_categ_id": cls.shop_category.id,
            }
        )
        cls.listing = (
            env["ecom.channel.listing"]
            .with_user(cls.backoffice)
            .create(
                {
                    "channel_id": cls.channel.id,
                    "product_id": cls.tent.id,
                    "name": "Ridge Tent 2P, storm-proof",
                    "description": "<p>Pitches in three minutes.</p>",
                    "image_ids": [(0, 0, {"name": "Pitched", "image": PIXEL})],
                }
            )
        )
        postage = env["product.product"].create(
            {"name": "Postage", "type": "service", "list_price": 0.0}
        )
        Carrier = env["delivery.carrier"]
        cls.standard = Carrier.create(
            {
                "name": "Standard Delivery",
                "product_id": postage.id,
                "delivery_type": "fixed",
                "fixed_price": 4.95,
                "website_published": True,
            }
        )
        cls.tracked48 = Carrier.create(
            {
                "name": "Tracked 48",
                "product_id": postage.id,
                "delivery_type": "ecom_selfprint",
                "ecom_carrier_label": "Royal Mail",
                "ecom_tracking_prefix": "TB",
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )
        cls.rule = env["ecom.shipping.rule"].create(
            {
                "channel_id": cls.channel.id,
                "service_level": "Standard*",
                "carrier_id": cls.tracked48.id,
            }
        )
        cls.customer = env["res.partner"].create(
            {
                "name": "Jane Shopper",
                "email": "jane.shopper@example.com",
                "street": "1 High Street",
                "city": "Bristol",
                "zip": "BS1 4DJ",
                "country_id": env.ref("base.uk").id,
                "phone": "+44 117 496 0000",
            }
        )

    @classmethod
    def publish_listing(cls):
        cls.listing.with_user(cls.backoffice).action_mark_ready()
        cls.listing.with_user(cls.backoffice).action_publish()
