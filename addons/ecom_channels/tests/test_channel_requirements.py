# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Requirements read from the channels (Amazon product type definitions, eBay item specifics)
checked before anything is sent, and the listing's attribute editor that fills them."""

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .test_channel_publishing import CLIENT_LOGGERS, ChannelEmulatorCase


@tagged("post_install", "-at_install")
class TestChannelRequirements(ChannelEmulatorCase):
    def channel_of(self, channel_type):
        if channel_type not in self.channels:
            self.skipTest("no %s client" % channel_type)
        return self.channels[channel_type]

    def test_amazon_product_type_requires_brand_and_bullet_points(self):
        channel = self.channel_of("amazon")
        self.emulator.apps["amazon"].product_types["CUP"] = {"required": ["brand", "bullet_point"]}
        listing = self.make_ready(channel, self.products[0])
        with mute_logger(*CLIENT_LOGGERS):
            channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "error")
        self.assertIn("brand, bullet_point", listing.last_error)
        self.assertIn("product type CUP", listing.last_error)
        self.assertEqual(self.emulator.calls("amazon", "putListingsItem"), [])
        # the attribute editor: the channel's attributes loaded, then filled in
        listing.with_user(self.backoffice).action_load_channel_attributes()
        # the definition is kept per marketplace and product type
        cached = (
            self.env["ecom.channel.requirement"].sudo().search([("channel_id", "=", channel.id)])
        )
        self.assertEqual(cached.key, "amazon:A1F83G8C2ARO7P:CUP:LISTING")
        self.assertEqual(cached.required_names.split("\n")[-2:], ["brand", "bullet_point"])
        names = listing.channel_attribute_ids.mapped("name")
        self.assertIn("brand", names)
        self.assertIn("bullet_point", names)
        self.assertTrue(
            listing.channel_attribute_ids.filtered(lambda r: r.name == "brand").required
        )
        # known now: the listing cannot even be marked ready without them
        with self.assertRaises(UserError) as err:
            listing.with_user(self.backoffice).action_mark_ready()
        self.assertIn("brand, bullet_point", str(err.exception))
        with Form(listing.with_user(self.backoffice)) as form:
            for index in range(len(form.channel_attribute_ids)):
                with form.channel_attribute_ids.edit(index) as row:
                    if row.name == "brand":
                        row.value = "Northwind"
                    elif row.name == "bullet_point":
                        row.value = "Enamel steel\nDishwasher safe"
        listing.with_user(self.backoffice).action_mark_ready()
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "published", listing.last_error)
        attributes = self.emulator.apps["amazon"].listings[listing.external_ref]["attributes"]
        self.assertEqual(attributes["brand"][0]["value"], "Northwind")
        self.assertEqual(
            [b["value"] for b in attributes["bullet_point"]], ["Enamel steel", "Dishwasher safe"]
        )
        # read for the refused publish, then once more (kept since): not for the last publish
        self.assertEqual(len(self.emulator.calls("amazon", "getDefinitionsProductType")), 2)

    def test_ebay_category_with_a_required_item_specific(self):
        channel = self.channel_of("ebay")
        self.emulator.apps["ebay"].category_aspects["20"] = [
            {"name": "Material", "required": True},
            {"name": "Colour", "recommended": True},
        ]
        colour = self.env["product.attribute"].create({"name": "Color"})
        listing = self.make_ready(channel, self.products[1])
        with mute_logger(*CLIENT_LOGGERS):
            channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "error")
        self.assertIn("Material", listing.last_error)
        self.assertIn("category 20", listing.last_error)
        self.assertEqual(self.emulator.calls("ebay", "AddFixedPriceItem"), [])
        listing.with_user(self.backoffice).write(
            {
                "channel_attribute_ids": [
                    (0, 0, {"name": "Material", "value": "Enamel"}),
                    (0, 0, {"name": "Colour", "product_attribute_id": colour.id}),
                ]
            }
        )
        listing.with_user(self.backoffice).action_mark_ready()
        channel.with_user(self.backoffice).action_publish_listings()
        self.assertEqual(listing.state, "published", listing.last_error)
        (request,) = [b for n, b in self.emulator.apps["ebay"].requests if n == "AddFixedPriceItem"]
        entries = request["Item"]["ItemSpecifics"]["NameValueList"]
        entries = entries if isinstance(entries, list) else [entries]
        specifics = {e["Name"]: e["Value"] for e in entries}
        self.assertEqual(specifics["Material"], "Enamel")

    def test_ready_check_counts_what_the_listing_itself_sends(self):
        """The ready check asks the channel's client what a publish would send: Amazon's item
        name comes from the title and its main image from the listing's images, so a product
        type that requires them blocks a listing without images only until it has one."""
        channel = self.channel_of("amazon")
        self.emulator.apps["amazon"].product_types["CUP"] = {
            "required": ["item_name", "main_product_image_locator"]
        }
        Listing = self.env["ecom.channel.listing"].with_user(self.backoffice)
        listing = Listing.create(self.listing_values(channel, self.products[0]))
        listing.action_load_channel_attributes()  # the product type's definition, kept
        with self.assertRaises(UserError) as err:
            listing.action_mark_ready()
        self.assertIn("main_product_image_locator", str(err.exception))
        self.assertNotIn("item_name", str(err.exception))  # the title sends it
        listing.image_ids = [(0, 0, {"url": "https://cdn.example.com/cup.jpg"})]
        listing.action_mark_ready()
        self.assertEqual(listing.state, "ready")
