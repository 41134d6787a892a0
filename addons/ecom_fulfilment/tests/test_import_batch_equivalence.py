# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The fast import (orders created and confirmed by chunks) gives each order what Odoo's own
one-by-one path (create, then ``action_confirm``, order after order) gives it: the same lines,
procurement group, deliveries (type, locations, partner), moves (product, quantity, state) and
reservations."""

import json
from unittest.mock import patch

from odoo.tests import tagged

from ..models.stock_move import ORDERPOINTS
from .common import ADDRESS, FulfilmentCase


@tagged("post_install", "-at_install")
class TestImportBatchEquivalence(FulfilmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.woo = cls.channels.get("woocommerce")

    def seed_orders(self):
        """Orders of several customers (one of them twice), one or two products, several
        units, another delivery address."""
        mug, bottle = self.mug.default_code, self.bottle.default_code
        specs = [
            ([(mug, 2), (bottle, 1)], "ann", ADDRESS),
            ([(bottle, 3)], "bob", ADDRESS),
            ([(mug, 1)], "ann", dict(ADDRESS, street="9 Park Row", zip="BS1 5LT")),
            ([(mug, 4), (bottle, 2)], "cat", dict(ADDRESS, name="Cat Shop", city="Bath")),
            ([(bottle, 1), (mug, 1)], "dan", ADDRESS),
        ]
        for lines, who, address in specs:
            self.seed(
                "woocommerce",
                lines=[{"sku": sku, "quantity": qty, "price": 7.5} for sku, qty in lines],
                customer={"name": who.title(), "email": "%s@example.com" % who},
                address=address,
            )
        return len(specs)

    def one_by_one(self, orders):
        """Odoo's own path: each order created with the same partners, lines and carrier,
        then confirmed, one after the other."""
        copies = self.env["sale.order"]
        for order in orders:
            copy = self.env["sale.order"].create(
                {
                    "partner_id": order.partner_id.id,
                    "partner_invoice_id": order.partner_invoice_id.id,
                    "partner_shipping_id": order.partner_shipping_id.id,
                    "warehouse_id": order.warehouse_id.id,
                    "pricelist_id": order.pricelist_id.id,
                    "carrier_id": order.carrier_id.id,
                    "client_order_ref": order.client_order_ref,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": line.product_id.id,
                                "name": line.name,
                                "product_uom_qty": line.product_uom_qty,
                                "price_unit": line.price_unit,
                                "is_delivery": line.is_delivery,
                                "tax_id": [(6, 0, line.tax_id.ids)],
                            },
                        )
                        for line in order.order_line
                    ],
                }
            )
            copy.action_confirm()
            copies |= copy
        return copies

    def picture(self, order):
        """What confirming gave ``order``, without its own names and ids."""

        def moves(picking):
            return sorted(
                (
                    move.product_id.id,
                    move.product_uom_qty,
                    move.product_uom.id,
                    move.state,
                    move.location_id.id,
                    move.location_dest_id.id,
                    move.procure_method,
                    move.rule_id.id,
                    move.sale_line_id.product_id.id,
                    move.partner_id.id,
                    move.group_id.sale_id == order,
                    # reservation: the quantity reserved, from where
                    move.quantity,
                    tuple(sorted((ml.location_id.id, ml.quantity) for ml in move.move_line_ids)),
                )
                for move in picking.move_ids
            )

        group = order.procurement_group_id
        return {
            "order": (
                order.state,
                order.partner_id.id,
                order.partner_shipping_id.id,
                order.warehouse_id.id,
                order.carrier_id.id,
                order.amount_untaxed,
                order.amount_total,
            ),
            "lines": sorted(
                (
                    line.product_id.id,
                    line.product_uom_qty,
                    line.price_unit,
                    line.qty_to_deliver,
                    json.dumps(line.analytic_distribution or {}, sort_keys=True),
                )
                for line in order.order_line
            ),
            "group": (group.name == order.name, group.partner_id.id, group.move_type),
            # the customer follows the order, the delivery address its delivery
            "followers": (
                order.partner_id in order.message_partner_ids,
                order.message_follower_ids.filtered(
                    lambda f: f.partner_id == order.partner_id
                ).subtype_ids.ids,
                sorted((p.partner_id in p.message_partner_ids) for p in order.picking_ids),
            ),
            "pickings": sorted(
                (
                    picking.picking_type_id.id,
                    picking.location_id.id,
                    picking.location_dest_id.id,
                    picking.partner_id.id,
                    picking.state,
                    picking.move_type,
                    picking.carrier_id.id,
                    (picking.origin or "").replace(order.name, "<order>"),
                    moves(picking),
                )
                for picking in order.picking_ids
            ),
        }

    def test_fast_import_equals_one_by_one(self):
        self.check_equivalence()

    def test_fast_import_equals_one_by_one_with_analytic_model(self):
        """The import leaves out the analytic distribution models only when there is none: with
        one, the lines get the distribution Odoo gives them."""
        plan = self.env["account.analytic.plan"].create({"name": "Channels"})
        account = self.env["account.analytic.account"].create(
            {"name": "Web shop", "plan_id": plan.id}
        )
        self.env["account.analytic.distribution.model"].create(
            {"product_id": self.bottle.id, "analytic_distribution": {str(account.id): 100}}
        )
        orders = self.check_equivalence()
        lines = orders.order_line.filtered(lambda line: line.product_id == self.bottle)
        self.assertTrue(lines)
        for line in lines:
            self.assertEqual(line.analytic_distribution, {str(account.id): 100.0})

    def test_fast_import_finds_each_products_stock_rule_as_odoo(self):
        """The import looks up the stock rule of each product (route, location, warehouse)
        once for all its lines: a product with a route of its own (shipped from another
        location) gets that route's rule, the others the warehouse's, as in Odoo's path."""
        stock = self.warehouse.lot_stock_id
        annex = self.env["stock.location"].create({"name": "Annex", "location_id": stock.id})
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.mug, stock, -1000)
        Quant._update_available_quantity(self.mug, annex, 50)
        route = self.env["stock.route"].create(
            {
                "name": "Ship from the annex",
                "sequence": 1,
                "product_selectable": True,
                "rule_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Annex -> Customers",
                            "action": "pull",
                            "picking_type_id": self.warehouse.out_type_id.id,
                            "location_src_id": annex.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                            "procure_method": "make_to_stock",
                        },
                    )
                ],
            }
        )
        self.mug.route_ids = [(4, route.id)]
        # an order of mugs and bottles has two deliveries: from the annex and from the stock
        orders = self.check_equivalence(deliveries_per_order=2)
        self.assertEqual(max(len(order.picking_ids) for order in orders), 2)
        moves = orders.picking_ids.move_ids
        mug_moves = moves.filtered(lambda m: m.product_id == self.mug)
        self.assertEqual(mug_moves.rule_id, route.rule_ids)
        self.assertEqual(mug_moves.location_id, annex)
        self.assertNotIn(route.rule_ids, (moves - mug_moves).rule_id)

    def test_rule_lookup_shared_only_when_it_is_odoos(self):
        """The import looks up the stock rule of a product once for all its lines, which is
        only right while the lookup is Odoo's (here it is); a module of its own makes each
        procurement look it up again."""
        Group = self.env["procurement.group"]
        self.assertTrue(Group._ecom_rule_lookup_is_odoos())

        class OwnLookup:  # a module's own way of finding rules, first in the class chain
            def _search_rule(self, *args, **kwargs):
                return None

        check = type(Group)._ecom_rule_lookup_is_odoos
        self.assertFalse(check(OwnLookup()))

    def check_equivalence(self, deliveries_per_order=1):
        if not self.woo:
            self.skipTest("no WooCommerce client is available")
        count = self.seed_orders()
        Order = self.registry["sale.order"]
        original = Order.action_confirm
        confirmed = []

        def counting(records):
            confirmed.append(len(records))
            return original(records)

        with patch.object(Order, "action_confirm", counting):
            orders = self.import_orders("woocommerce").sorted("id")
        # the chunk was confirmed at once, not order by order
        self.assertEqual(confirmed, [count])
        self.assertEqual(len(orders), count)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertFalse(orders.filtered("ecom_needs_attention"))
        copies = self.one_by_one(orders)
        for order, copy in zip(orders, copies, strict=True):
            with self.subTest(order=order.client_order_ref):
                ours, odoo = self.picture(order), self.picture(copy)
                self.assertTrue(ours["pickings"])
                self.assertEqual(ours, odoo)
                # each order has its own deliveries, fully reserved
                self.assertLessEqual(len(order.picking_ids), deliveries_per_order)
                self.assertEqual(set(order.picking_ids.mapped("state")), {"assigned"})
                self.assertNotEqual(order.procurement_group_id, copy.procurement_group_id)
        # no procurement group, delivery or move left without its order
        self.assertEqual(
            self.env["procurement.group"].search_count([("sale_id", "in", orders.ids)]), count
        )
        self.assertEqual(
            set(orders.picking_ids.move_ids.sale_line_id.order_id), set(orders), "moves"
        )
        return orders

    def test_fast_import_reserves_as_odoo_when_stock_runs_short(self):
        """With less stock than the orders need, spread over two shelves that the removal
        strategy (FIFO) empties in turn, the import's reservation made for all the orders at
        once gives each order the quantities, shelves, states and chatter notes that Odoo's
        ``action_confirm`` gives them order after order; the stock reserved is the same."""
        if not self.woo:
            self.skipTest("no WooCommerce client is available")
        stock = self.warehouse.lot_stock_id
        Quant = self.env["stock.quant"]
        Location = self.env["stock.location"]
        shelves = Location.create(
            [{"name": "Shelf %s" % n, "location_id": stock.id} for n in ("A", "B")]
        )
        for product in (self.mug, self.bottle):
            Quant._update_available_quantity(product, stock, -1000)
        # mugs: 3 older on shelf B, 3 newer on shelf A (the orders need 8); bottles: 4 (need 7)
        Quant._update_available_quantity(self.mug, shelves[1], 3, in_date="2024-01-01")
        Quant._update_available_quantity(self.mug, shelves[0], 3, in_date="2024-02-01")
        Quant._update_available_quantity(self.bottle, shelves[0], 4, in_date="2024-01-15")
        count = self.seed_orders()
        orders = self.import_orders("woocommerce").sorted("id")
        self.assertEqual(len(orders), count)

        def reserved():
            quants = Quant.search([("product_id", "in", (self.mug | self.bottle).ids)])
            return sorted(
                (q.product_id.id, q.location_id.id, q.quantity, q.reserved_quantity)
                for q in quants
                if q.quantity or q.reserved_quantity
            )

        def notes(order):
            return sorted(
                str(message.body)
                .replace(order.name, "<order>")
                .replace('data-oe-id="%s"' % order.id, 'data-oe-id="<order id>"')
                for picking in order.picking_ids
                for message in picking.message_ids
                # the "created from" note (imports log no "Transfer created")
                if message.subtype_id == self.env.ref("mail.mt_note")
                and "has been created from" in str(message.body)
            )

        ours = [(self.picture(order), notes(order)) for order in orders]
        ours_reserved = reserved()
        states = {move.state for move in orders.picking_ids.move_ids}
        self.assertIn("partially_available", states)
        self.assertIn("assigned", states)
        # give the stock back, then Odoo's own path reserves it again, order after order
        orders.picking_ids.do_unreserve()
        copies = self.one_by_one(orders)
        self.assertEqual(reserved(), ours_reserved)
        for order, copy, (picture, order_notes) in zip(orders, copies, ours, strict=True):
            with self.subTest(order=order.client_order_ref):
                self.assertEqual(picture, self.picture(copy))
                self.assertEqual(order_notes, notes(copy))
                self.assertEqual(len(order_notes), 1)

    def test_fast_import_triggers_reordering_rules_as_odoo(self):
        """A product with an automatic reordering rule gets it run when its orders are
        confirmed, by the import as by Odoo's own path; a product without one triggers none."""
        if not self.woo:
            self.skipTest("no WooCommerce client is available")
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        # two products with a rule: Odoo's reordering opens a savepoint for the first, which
        # must not switch the import's shared lookups off for the second
        rule = Orderpoint.create(
            [
                {
                    "product_id": product.id,
                    "location_id": self.warehouse.lot_stock_id.id,
                    "trigger": "auto",
                    "product_min_qty": 5000,
                    "product_max_qty": 6000,
                }
                for product in (self.mug, self.bottle)
            ]
        )
        triggered = []
        original = type(Orderpoint)._procure_orderpoint_confirm

        def recording(records, *args, **kwargs):
            triggered.append(set(records.ids))
            return original(records, *args, **kwargs)

        self.seed_orders()
        with patch.object(type(Orderpoint), "_procure_orderpoint_confirm", recording):
            orders = self.import_orders("woocommerce").sorted("id")
            ours = set().union(*triggered)
            triggered.clear()
            self.one_by_one(orders)
            odoo = set().union(*triggered)
        self.assertEqual(ours, set(rule.ids))
        self.assertEqual(ours, odoo)

    def test_reordering_rules_of_every_product_the_confirmation_moves(self):
        """While an import confirms its orders (``ORDERPOINTS`` in the cursor's cache), a move
        of a product on none of its orders (a kit's component, a manufacturing order's
        material) still triggers its product's automatic rule; whether a product has one is
        read once."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        part = self.env["product.product"].create({"name": "Mug handle", "is_storable": True})
        stock = self.warehouse.lot_stock_id
        rule = Orderpoint.create(
            {
                "product_id": part.id,
                "location_id": stock.id,
                "trigger": "auto",
                "product_min_qty": 10,
                "product_max_qty": 20,
            }
        )
        move = self.env["stock.move"].create(
            {
                "name": part.name,
                "product_id": part.id,
                "product_uom_qty": 1,
                "product_uom": part.uom_id.id,
                "location_id": stock.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
            }
        )
        triggered = []
        original = type(Orderpoint)._procure_orderpoint_confirm

        def recording(records, *args, **kwargs):
            triggered.append(set(records.ids))
            return original(records, *args, **kwargs)

        cache = self.env.cr.cache
        cache[ORDERPOINTS] = {self.mug.id: False}  # what the orders' products told
        try:
            with patch.object(type(Orderpoint), "_procure_orderpoint_confirm", recording):
                move._trigger_scheduler()
            self.assertEqual(cache[ORDERPOINTS][part.id], True)
        finally:
            cache.pop(ORDERPOINTS, None)
        self.assertEqual(set().union(*triggered), {rule.id})
