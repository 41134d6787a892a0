# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The delivery addresses an import creates together (``res.partner._ecom_create_contacts``) are
the contacts Odoo's ``create`` makes one by one: the parent's commercial fields (also those
kept per company), its language, and the parent's address for a "contact" type."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestImportContacts(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.other_company = env["res.company"].create({"name": "Second Shop Ltd"})
        Pricelist = env["product.pricelist"]
        cls.pricelist = Pricelist.create({"name": "Trade", "company_id": False})
        cls.other_pricelist = Pricelist.create(
            {"name": "Trade (second shop)", "company_id": cls.other_company.id}
        )
        fr = env.ref("base.lang_fr")
        fr.active = True
        industry = env["res.partner.industry"].search([], limit=1) or env[
            "res.partner.industry"
        ].create({"name": "Retail"})
        Partner = env["res.partner"]
        gb = env.ref("base.uk")
        cls.parents = Partner.create(
            [
                {
                    "name": "Trade Buyer Ltd",
                    "is_company": True,
                    "vat": "GB123456782",
                    "company_registry": "01234567",
                    "industry_id": industry.id,
                    "lang": "fr_FR",
                    "street": "1 Dock Road",
                    "city": "Leeds",
                    "zip": "LS1 4AP",
                    "country_id": gb.id,
                },
                {"name": "Plain Buyer", "email": "plain@example.com"},
            ]
        )
        cls.parents[0].property_product_pricelist = cls.pricelist
        cls.parents[0].with_company(
            cls.other_company
        ).property_product_pricelist = cls.other_pricelist

    def contact_vals(self):
        return [
            {
                "name": "Goods In",
                "parent_id": self.parents[0].id,
                "type": "delivery",
                "street": "7 Wharf Lane",
                "city": "Hull",
                "zip": "HU1 1AA",
            },
            {"name": "Buyer at home", "parent_id": self.parents[1].id, "type": "delivery"},
            {"name": "Accounts", "parent_id": self.parents[0].id, "type": "contact"},
            {
                "name": "Second drop",
                "parent_id": self.parents[0].id,
                "type": "delivery",
                "city": "York",
                "lang": "en_US",
            },
        ]

    def picture(self, partner):
        other = partner.with_company(self.other_company)
        return (
            partner.name,
            partner.type,
            partner.vat,
            partner.company_registry,
            partner.industry_id.id,
            partner.lang,
            partner.property_product_pricelist.id,
            other.property_product_pricelist.id,
            partner.specific_property_product_pricelist.id,
            other.specific_property_product_pricelist.id,
            partner.commercial_partner_id.id,
            (partner.street, partner.city, partner.zip, partner.country_id.id),
        )

    def test_contacts_created_together_are_odoos(self):
        Partner = self.env["res.partner"]
        ours = Partner._ecom_create_contacts(self.contact_vals())
        odoo = Partner.create(self.contact_vals())
        self.assertEqual(len(ours), 4)
        for mine, theirs in zip(ours, odoo, strict=True):
            with self.subTest(contact=mine.name):
                self.assertEqual(self.picture(mine), self.picture(theirs))
        trade = ours[0]
        self.assertEqual(trade.vat, "GB123456782")
        self.assertEqual(trade.lang, "fr_FR")
        self.assertEqual(trade.property_product_pricelist, self.pricelist)
        self.assertEqual(
            trade.with_company(self.other_company).property_product_pricelist,
            self.other_pricelist,
        )
        # a "contact" takes its company's address
        self.assertEqual(ours[2].city, "Leeds")

    def test_pricelists_of_contacts_written_together_are_odoos(self):
        """The contacts' own pricelists: Odoo's inverse runs for one contact of each country,
        pricelist and own pricelist, and the others take its result."""
        gb = self.env.ref("base.uk")
        group = self.env["res.country.group"].create(
            {"name": "United Kingdom", "country_ids": [(6, 0, gb.ids)]}
        )
        self.env["product.pricelist"].create(
            {"name": "UK retail", "company_id": False, "country_group_ids": [(6, 0, group.ids)]}
        )
        self.parents[1].country_id = gb  # its pricelist is then the UK default
        vals = [
            {"name": f"Drop {i}", "parent_id": parent.id, "type": "delivery", "country_id": country}
            for i, (parent, country) in enumerate(
                [(self.parents[0], gb.id)] * 3
                + [(self.parents[1], gb.id)] * 2
                + [(self.parents[1], False), (self.parents[0], False)]
            )
        ]
        Partner = self.env["res.partner"]
        ours = Partner._ecom_create_contacts(vals)
        odoo = Partner.create(vals)
        specific = [p.specific_property_product_pricelist for p in odoo]
        # both ways of Odoo's inverse: the trade buyer's own pricelist is pinned on its UK
        # contacts, the UK default is not pinned on the other buyer's
        self.assertIn(self.pricelist, specific)
        self.assertIn(self.env["product.pricelist"], specific)
        for mine, theirs in zip(ours, odoo, strict=True):
            with self.subTest(contact=mine.name):
                self.assertEqual(self.picture(mine), self.picture(theirs))

    def test_customers_with_defaults_read_once_are_odoos(self):
        """New customers created with their defaults read once have every stored value that
        Odoo's ``create`` gives them, reading the defaults for each."""
        vals = [
            {"name": "First Buyer", "email": "first@example.com"},
            {"name": "Second Buyer", "lang": "fr_FR", "country_id": self.env.ref("base.uk").id},
            {"name": "Third Buyer", "type": "invoice", "comment": "<p>Leave at door</p>"},
        ]
        Partner = self.env["res.partner"].with_context(default_comment="<p>Imported</p>")
        ours = Partner.create(Partner._ecom_with_defaults(vals))
        odoo = Partner.create(vals)
        skip = {"id", "create_date", "write_date", "__last_update", "display_name"}
        fnames = [
            name
            for name, field in Partner._fields.items()
            if field.store and name not in skip and field.type not in ("one2many", "binary")
        ]
        self.assertEqual(ours[0].comment, "<p>Imported</p>")
        self.assertEqual(ours[2].comment, "<p>Leave at door</p>")

        def value(partner, fname):
            found = partner[fname]
            return "itself" if isinstance(found, type(partner)) and found == partner else found

        for mine, theirs in zip(ours, odoo, strict=True):
            with self.subTest(customer=mine.name):
                self.assertEqual(
                    {fname: value(mine, fname) for fname in fnames},
                    {fname: value(theirs, fname) for fname in fnames},
                )
