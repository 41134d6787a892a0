# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestEcomShippingRule(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            "ful_manager",
            groups="ecom_fulfilment.ecom_fulfilment_group_manager,sales_team.group_sale_salesman",
        )
        cls.operator = new_test_user(
            cls.env, "ful_operator", groups="ecom_fulfilment.ecom_fulfilment_group_user"
        )
        cls.gb = cls.env.ref("base.uk")
        cls.fr = cls.env.ref("base.fr")
        ship_product = cls.env["product.product"].create(
            {"name": "Shipping", "type": "service", "list_price": 0.0}
        )

        def carrier(name):
            return cls.env["delivery.carrier"].create(
                {"name": name, "product_id": ship_product.id, "delivery_type": "fixed"}
            )

        cls.tracked48 = carrier("Royal Mail Tracked 48")
        cls.tracked24 = carrier("Royal Mail Tracked 24")
        cls.parcelforce = carrier("Parcelforce 48 Large")
        cls.international = carrier("International Tracked")
        cls.fallback = carrier("Hand-written fallback")
        cls.amazon = cls.env["ecom.channel"].create({"name": "Amazon UK", "channel_type": "amazon"})
        cls.ebay = cls.env["ecom.channel"].create({"name": "eBay UK", "channel_type": "ebay"})
        Rule = cls.env["ecom.shipping.rule"].with_user(cls.manager)
        cls.rule_heavy = Rule.create(
            {"sequence": 1, "weight_min": 2.0, "carrier_id": cls.parcelforce.id}
        )
        cls.rule_std = Rule.create(
            {
                "sequence": 5,
                "channel_id": cls.amazon.id,
                "service_level": "Standard, Std*",
                "country_ids": [(6, 0, cls.gb.ids)],
                "carrier_id": cls.tracked48.id,
            }
        )
        cls.rule_express = Rule.create(
            {"sequence": 6, "service_level": "Expedited, Next*", "carrier_id": cls.tracked24.id}
        )
        cls.rule_abroad = Rule.create(
            {"sequence": 7, "country_ids": [(6, 0, cls.fr.ids)], "carrier_id": cls.international.id}
        )
        cls.rule_default = Rule.create({"is_default": True, "carrier_id": cls.fallback.id})
        cls.light = cls.env["product.product"].create(
            {"name": "Head torch", "weight": 0.2, "list_price": 25.0, "is_storable": True}
        )
        cls.heavy = cls.env["product.product"].create(
            {"name": "Camping stove", "weight": 1.5, "list_price": 60.0, "is_storable": True}
        )

    def _order(self, channel, service, country, lines):
        partner = self.env["res.partner"].create({"name": "Buyer", "country_id": country.id})
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "ecom_channel_id": channel.id if channel else False,
                "ecom_service_level": service,
                "order_line": [
                    (0, 0, {"product_id": p.id, "product_uom_qty": q}) for p, q in lines
                ],
            }
        )

    def _rule(self, order):
        return self.env["ecom.shipping.rule"]._select_for_order(order)

    def test_amazon_standard_to_tracked_48(self):
        order = self._order(self.amazon, "  standard ", self.gb, [(self.light, 2)])
        self.assertEqual(self._rule(order), self.rule_std)
        order = self._order(self.amazon, "Std UK Dom", self.gb, [(self.light, 1)])
        self.assertEqual(self._rule(order).carrier_id, self.tracked48)

    def test_rule_conditions(self):
        # Same service level but another channel: the Amazon rule does not apply.
        order = self._order(self.ebay, "Standard", self.gb, [(self.light, 1)])
        self.assertEqual(self._rule(order), self.rule_default)
        # Heavier than 2 kg in all (2 x 1.5 kg): the first rule wins whatever the service level.
        order = self._order(self.amazon, "Standard", self.gb, [(self.heavy, 2)])
        self.assertEqual(self._rule(order), self.rule_heavy)
        # Exactly below the bound is not heavy.
        order = self._order(self.amazon, "Standard", self.gb, [(self.heavy, 1)])
        self.assertEqual(self._rule(order), self.rule_std)
        order = self._order(self.ebay, "NextDay", self.fr, [(self.light, 1)])
        self.assertEqual(self._rule(order), self.rule_express)
        order = self._order(self.ebay, "Economy", self.fr, [(self.light, 1)])
        self.assertEqual(self._rule(order), self.rule_abroad)

    def test_channel_default_before_global_default(self):
        Rule = self.env["ecom.shipping.rule"]
        ebay_default = Rule.create(
            {"channel_id": self.ebay.id, "is_default": True, "carrier_id": self.tracked48.id}
        )
        order = self._order(self.ebay, "Economy", self.gb, [(self.light, 1)])
        self.assertEqual(self._rule(order), ebay_default)
        order = self._order(self.amazon, "Economy", self.gb, [(self.light, 1)])
        self.assertEqual(self._rule(order), self.rule_default)

    def test_no_rule_matches(self):
        self.rule_default.active = False
        order = self._order(self.ebay, "Economy", self.gb, [(self.light, 1)])
        self.assertFalse(self._rule(order))

    def test_one_default_per_channel(self):
        with self.assertRaises(ValidationError):
            self.env["ecom.shipping.rule"].create(
                {"is_default": True, "carrier_id": self.tracked24.id}
            )

    def test_ranges_are_checked(self):
        with self.assertRaises(ValidationError):
            self.rule_heavy.write({"weight_max": 1.0})
        with self.assertRaises(ValidationError):
            self.rule_heavy.write({"amount_min": -5})

    def test_operators_read_rules_but_do_not_change_them(self):
        rule = self.rule_std.with_user(self.operator)
        self.assertEqual(rule.carrier_id, self.tracked48)
        with self.assertRaises(AccessError):
            rule.write({"service_level": "Anything"})

    def test_name_describes_the_mapping(self):
        self.assertEqual(
            self.rule_std.name, "Amazon UK / Standard, Std* / GB → Royal Mail Tracked 48"
        )
        self.assertEqual(self.rule_heavy.name, "2+ kg → Parcelforce 48 Large")
        self.assertEqual(self.rule_default.name, "Any order → Hand-written fallback")
        self.rule_heavy.write({"weight_max": 10, "amount_max": 500})
        self.assertEqual(self.rule_heavy.name, "2–10 kg / < 500 → Parcelforce 48 Large")
