# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Listing content (PIM): categories, images, attributes, keywords, completeness, bulk creation.
No channel is called here."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import EcomChannelsCase


@tagged("post_install", "-at_install")
class TestListingContent(EcomChannelsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.camping = cls.env["product.category"].create({"name": "Camping"})
        cls.tents = cls.env["product.category"].create(
            {"name": "Tents", "parent_id": cls.camping.id}
        )
        cls.product.write({"categ_id": cls.tents.id, "weight": 2.4})
        cls.ebay = cls.channel.copy({"name": "Test eBay", "channel_type": "ebay"})
        cls.amazon = cls.channel.copy({"name": "Test Amazon", "channel_type": "amazon"})
        Map = cls.env["ecom.channel.category.map"].with_user(cls.manager)
        cls.ebay_map = Map.create(
            {
                "channel_id": cls.ebay.id,
                "categ_id": cls.camping.id,
                "channel_category_ref": "16034",
                "channel_category_name": "Camping & Hiking",
            }
        )
        cls.Listing = cls.env["ecom.channel.listing"].with_user(cls.backoffice)

    def test_category_from_closest_mapped_parent_with_override(self):
        listing = self.Listing.create({"channel_id": self.ebay.id, "product_id": self.product.id})
        self.assertEqual(listing.category_map_id, self.ebay_map)
        self.assertEqual(listing.channel_category_ref, "16034")
        self.assertEqual(listing._to_payload().category_id, "16034")
        # A mapping of the category itself wins over its parent's.
        tents_map = (
            self.env["ecom.channel.category.map"]
            .with_user(self.manager)
            .create(
                {
                    "channel_id": self.ebay.id,
                    "categ_id": self.tents.id,
                    "channel_category_ref": "36",
                }
            )
        )
        self.assertEqual(listing.category_map_id, tents_map)
        self.assertEqual(listing.channel_category_ref, "36")
        listing.category_override = "99"
        self.assertEqual(listing.channel_category_ref, "99")
        listing.category_override = False
        self.assertEqual(listing.channel_category_ref, "36")
        # The mapping only applies to its channel.
        shopify = self.Listing.create(
            {"channel_id": self.channel.id, "product_id": self.product.id}
        )
        self.assertFalse(shopify.channel_category_ref)

    def test_requirements_per_channel_in_plain_words(self):
        listing = self.Listing.create({"channel_id": self.amazon.id, "product_id": self.product.id})
        self.assertEqual(listing.gtin, "5012345678900", "GTIN defaults to the barcode")
        self.assertIn("an Amazon product type", listing.missing_requirements)
        with self.assertRaisesRegex(UserError, "an Amazon product type"):
            listing.action_mark_ready()
        listing.amazon_product_type = "TENT"
        self.assertFalse(listing.missing_requirements)
        listing.action_mark_ready()
        self.assertEqual(listing.state, "ready")

        ebay = self.Listing.create(
            {"channel_id": self.ebay.id, "product_id": self.product.id, "name": "x" * 90}
        )
        self.assertIn("a title of at most 80 characters (it has 90)", ebay.missing_requirements)
        self.assertIn("a description", ebay.missing_requirements)
        payload = ebay._to_payload()
        self.assertEqual((payload.condition, payload.category_id), ("1000", "16034"))

    def test_completeness_and_keywords(self):
        listing = self.Listing.create(
            {"channel_id": self.channel.id, "product_id": self.product.id}
        )
        start = listing.completeness
        self.assertLess(start, 100)
        listing.write(
            {
                "name": "Trail shelter 2P",
                "keywords": "tent, lightweight",
                "description": "<p>A roomy two person shelter.</p>",
            }
        )
        self.assertIn("The title uses none of the keywords", listing.keyword_issues)
        self.assertIn("does not use: tent, lightweight", listing.keyword_issues)
        listing.write(
            {
                "name": "Trail Tent 2P",
                "description": "<p>A lightweight tent for two.</p>",
                "category_override": "Tents",
                "image_ids": [(0, 0, {"url": "https://cdn.example.com/tent.jpg"})],
            }
        )
        self.assertFalse(listing.keyword_issues)
        self.assertEqual(listing.completeness, 100)
        self.assertGreater(listing.completeness, start)

    def test_images_ordered_attributes_and_weight_in_payload(self):
        listing = self.Listing.create(
            {
                "channel_id": self.channel.id,
                "product_id": self.product.id,
                "image_ids": [
                    (0, 0, {"url": "https://cdn.example.com/2.jpg", "sequence": 20}),
                    (0, 0, {"url": "https://cdn.example.com/1.jpg", "sequence": 10}),
                    (0, 0, {"image": self.env.company.logo, "sequence": 30}),
                ],
                "tags": "tent, camping",
            }
        )
        payload = listing._to_payload()
        self.assertEqual(
            payload.images[:2], ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"]
        )
        self.assertIn("/web/image/ecom.channel.listing.image/", payload.images[2])
        self.assertEqual(payload.tags, ["tent", "camping"])
        self.assertEqual(payload.weight_kg, 2.4)
        self.assertEqual(payload.sku, "TENT-2P")
        self.assertIn("Weight: 2.4 kg", listing.attribute_values)
        with self.assertRaises(ValidationError):
            listing.image_ids = [(0, 0, {"name": "nothing"})]

    def test_changed_parts_make_published_listings_due(self):
        """A new, changed, moved or deleted image or attribute makes the published listings it
        belongs (or belonged) to due for an update; a listing not published stays as it is."""
        first, second = self.Listing.create(
            [
                {"channel_id": self.ebay.id, "product_id": self.product.id},
                {"channel_id": self.amazon.id, "product_id": self.product.id},
            ]
        )
        draft = self.Listing.create({"channel_id": self.channel.id, "product_id": self.product.id})
        (first | second).sudo().write({"state": "published", "to_sync": False})

        def due():
            return (first | second | draft).filtered("to_sync")

        def settle():
            (first | second).sudo().write({"to_sync": False})

        for model, vals in (
            ("ecom.channel.listing.image", {"url": "https://cdn.example.com/1.jpg"}),
            ("ecom.channel.listing.attribute", {"name": "Brand", "value": "Acme"}),
        ):
            with self.subTest(part=model):
                Part = self.env[model].with_user(self.backoffice)
                part = Part.create(dict(vals, listing_id=first.id))
                self.assertEqual(due(), first)
                settle()
                part.sequence = 5
                self.assertEqual(due(), first)
                settle()
                part.listing_id = second  # moved: both listings change
                self.assertEqual(due(), first | second)
                settle()
                part.unlink()
                self.assertEqual(due(), second)
                settle()
                Part.create(dict(vals, listing_id=draft.id))
                self.assertFalse(due())

    def test_variant_attributes(self):
        colour = self.env["product.attribute"].create(
            {"name": "Colour", "value_ids": [(0, 0, {"name": "Red"}), (0, 0, {"name": "Blue"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "Mug",
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": colour.id, "value_ids": [(6, 0, colour.value_ids.ids)]})
                ],
            }
        )
        red = template.product_variant_ids.filtered(
            lambda p: p.product_template_attribute_value_ids.name == "Red"
        )
        listing = self.Listing.create({"channel_id": self.channel.id, "product_id": red.id})
        self.assertEqual(listing._to_payload().attributes, {"Colour": "Red"})

    def test_published_listing_changes_are_tracked(self):
        listing = self.Listing.create(
            {"channel_id": self.channel.id, "product_id": self.product.id}
        )
        listing.sudo().write({"state": "published", "external_ref": "gid://x/1"})
        self.assertFalse(listing.to_sync)
        listing.image_ids = [(0, 0, {"url": "https://cdn.example.com/a.jpg"})]
        self.assertTrue(listing.to_sync)

    def test_create_listings_wizard_from_templates(self):
        other = self.env["product.product"].create(
            {"name": "Stove", "default_code": "STOVE-1", "list_price": 30.0}
        )
        no_code = self.env["product.product"].create({"name": "Loose item", "list_price": 3.0})
        self.Listing.create({"channel_id": self.channel.id, "product_id": self.product.id})
        templates = (self.product | other | no_code).product_tmpl_id
        wizard_form = Form(
            self.env["ecom.listing.create.wizard"]
            .with_user(self.backoffice)
            .with_context(active_model="product.template", active_ids=templates.ids)
        )
        wizard_form.channel_id = self.channel
        wizard = wizard_form.save()
        self.assertEqual(wizard.already_listed_count, 1)
        action = wizard.action_create()
        created = self.Listing.search(action["domain"])
        self.assertEqual(created.product_id, other | no_code)
        self.assertEqual(created.filtered(lambda lst: lst.product_id == other).state, "ready")
        self.assertEqual(created.filtered(lambda lst: lst.product_id == no_code).state, "draft")

    def test_accountant_reads_content_but_cannot_change_it(self):
        listing = self.Listing.create(
            {
                "channel_id": self.ebay.id,
                "product_id": self.product.id,
                "image_ids": [(0, 0, {"url": "https://cdn.example.com/a.jpg"})],
            }
        )
        for user in (self.accountant, self.warehouse_user):
            as_user = listing.with_user(user)
            self.assertEqual(as_user.image_ids.url, "https://cdn.example.com/a.jpg")
            self.assertEqual(as_user.category_map_id.with_user(user).channel_category_ref, "16034")
            with self.assertRaises(AccessError):
                as_user.image_ids.write({"name": "changed"})
            with self.assertRaises(AccessError):
                self.ebay_map.with_user(user).write({"channel_category_ref": "1"})
            with self.assertRaises(AccessError):
                as_user.write({"keywords": "x"})
        with self.assertRaises(AccessError):
            self.ebay_map.with_user(self.backoffice).write({"channel_category_ref": "1"})
