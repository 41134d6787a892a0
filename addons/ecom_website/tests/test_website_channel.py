# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import ValidationError
from odoo.tests.common import TransactionCase

from odoo.addons.queue_job.job import Job
from odoo.addons.website.tools import MockRequest

from .common import WebsiteChannelMixin


class TestWebsiteChannel(WebsiteChannelMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_website_channel()

    # ------------------------------------------------------------------
    # Listings publish the product on the website
    # ------------------------------------------------------------------

    def test_publish_and_end_listing(self):
        template = self.tent.product_tmpl_id
        self.assertFalse(template.is_published)
        self.assertFalse(self.listing.missing_requirements)
        self.assertEqual(self.listing.channel_category_ref, str(self.shop_category.id))
        self.publish_listing()
        self.assertEqual(self.listing.state, "published", self.listing.last_error)
        self.assertEqual(self.listing.external_ref, str(self.tent.id))
        self.assertEqual(self.listing.qty_published, 3)
        self.assertTrue(template.is_published)
        self.assertEqual(template.website_id, self.website)
        self.assertEqual(template.name, "Ridge Tent 2P, storm-proof")
        self.assertIn("Pitches in three minutes.", str(template.description_ecommerce))
        self.assertIn(self.shop_category, template.public_categ_ids)
        self.assertFalse(template.allow_out_of_stock_order)
        images = self.env["product.image"].search([("ecom_listing_id", "=", self.listing.id)])
        self.assertEqual(images.mapped("name"), ["Pitched"])
        self.assertEqual(images.product_tmpl_id, template)
        # published again (changed content): the images are replaced, not added
        self.listing.with_user(self.backoffice).write({"description": "<p>Now lighter.</p>"})
        self.listing.with_user(self.backoffice).action_publish()
        self.assertEqual(
            self.env["product.image"].search_count([("ecom_listing_id", "=", self.listing.id)]), 1
        )
        self.assertIn("Now lighter.", str(template.description_ecommerce))
        # ended: off the website, and the shop offers none
        self.listing.with_user(self.backoffice).action_end()
        self.assertEqual(self.listing.state, "ended")
        self.assertFalse(template.is_published)
        self.assertEqual(self.website._get_product_available_qty(self.tent), 0)

    def test_unknown_website_category_fails_on_the_listing(self):
        self.listing.with_user(self.backoffice).category_override = "999999999"
        self.publish_listing()
        self.assertEqual(self.listing.state, "error")
        self.assertIn("does not exist", self.listing.last_error)
        self.assertFalse(self.tent.product_tmpl_id.is_published)
        log = self.env["ecom.sync.log"].search(
            [("listing_id", "=", self.listing.id), ("status", "=", "error")]
        )
        self.assertTrue(log)

    def test_product_of_another_website_is_refused(self):
        other = self.env["website"].create({"name": "Other shop", "company_id": self.company.id})
        self.tent.product_tmpl_id.website_id = other
        self.publish_listing()
        self.assertEqual(self.listing.state, "error")
        self.assertIn("Other shop", self.listing.last_error)

    def test_website_channel_needs_its_own_website(self):
        with self.assertRaises(ValidationError):
            self.env["ecom.channel"].create({"name": "No site", "channel_type": "website"})
        with self.assertRaises(ValidationError):
            self.env["ecom.channel"].create(
                {"name": "Second", "channel_type": "website", "website_id": self.website.id}
            )

    def test_stock_push_and_reconcile_need_no_api(self):
        self.publish_listing()
        self.env["stock.quant"]._update_available_quantity(
            self.tent, self.warehouse.lot_stock_id, 4
        )
        self.channel.with_user(self.backoffice).action_push_stock()
        self.assertEqual(self.listing.qty_published, 7)
        self.channel.with_user(self.backoffice).action_reconcile_stock()
        log = self.env["ecom.sync.log"].search(
            [("channel_id", "=", self.channel.id), ("operation", "=", "reconcile stock")], limit=1
        )
        self.assertEqual(log.status, "ok", log.message)
        self.assertIn("1 listings checked", log.message)

    # ------------------------------------------------------------------
    # The shop offers the channel's quantity
    # ------------------------------------------------------------------

    def test_shop_offers_quantity_after_channel_rules(self):
        self.publish_listing()
        template = self.tent.product_tmpl_id
        self.assertEqual(self.website._get_product_available_qty(self.tent), 3)
        info = template._get_additionnal_combination_info(self.tent, 1, None, self.website)
        self.assertEqual(info["free_qty"], 3)
        self.assertFalse(info["allow_out_of_stock_order"])
        self.assertEqual(self.tent._get_max_quantity(self.website), 3)
        # the other rules follow the channel: share, maximum, zero-out
        self.channel.stock_percent = 50.0
        self.assertEqual(self.website._get_product_available_qty(self.tent), 1)
        self.channel.write({"stock_percent": 100.0, "stock_max_qty": 2})
        self.assertEqual(self.website._get_product_available_qty(self.tent), 2)
        self.channel.write({"stock_max_qty": 0, "stock_zero_below": 3})
        self.assertEqual(self.website._get_product_available_qty(self.tent), 0)
        self.assertTrue(self.tent._is_sold_out())
        # a website that is no channel's shop offers all the free stock
        other = self.env["website"].create({"name": "Other shop", "company_id": self.company.id})
        other.warehouse_id = self.warehouse
        self.assertEqual(other._get_product_available_qty(self.tent), 5)

    def test_channel_lists_what_the_shop_offers(self):
        """The website client lists the shop's products with the quantities the shop offers
        one by one (``_get_product_available_qty``), read together: a listed product its
        listing's quantity (0 once ended), a product without a listing the channel's rules
        applied to its free stock."""
        self.publish_listing()
        lamp = self.env["product.product"].create(
            {
                "name": "Camp Lamp",
                "default_code": "LAMP-1",
                "is_storable": True,
                "list_price": 19.0,
                "is_published": True,
                "website_id": self.website.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(lamp, self.warehouse.lot_stock_id, 9)
        client = self.channel.sudo()._get_client()

        def listed():
            return {int(r.external_ref): r.quantity for r in client.list_listings()}

        def offered():
            return {
                product.id: int(self.website._get_product_available_qty(product))
                for product in (self.tent | lamp)
            }

        quantities = listed()
        self.assertEqual(quantities[self.tent.id], 3)
        self.assertEqual(quantities[lamp.id], 7)  # 9 less the channel's buffer of 2
        self.assertEqual({k: quantities[k] for k in offered()}, offered())
        self.listing.with_user(self.backoffice).action_end()
        self.tent.product_tmpl_id.is_published = True  # still shown, but not offered
        quantities = listed()
        self.assertEqual(quantities[self.tent.id], 0)
        self.assertEqual({k: quantities[k] for k in offered()}, offered())

    def test_cart_refuses_more_than_the_channel_offers(self):
        self.publish_listing()
        cart = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "website_id": self.website.id}
        )
        with MockRequest(self.env, website=self.website, sale_order_id=cart.id):
            values = cart._cart_update(product_id=self.tent.id, add_qty=3)
            self.assertEqual(cart.order_line.product_uom_qty, 3)
            self.assertFalse(values.get("warning"))
            values = cart._cart_update(
                product_id=self.tent.id, line_id=cart.order_line.id, add_qty=1
            )
            self.assertEqual(cart.order_line.product_uom_qty, 3)
            self.assertIn("only 3 is available", values.get("warning") or cart.shop_warning)

    # ------------------------------------------------------------------
    # Website orders are the channel's orders
    # ------------------------------------------------------------------

    def _website_order(self, carrier=None, qty=1):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "website_id": self.website.id,
                "order_line": [(0, 0, {"product_id": self.tent.id, "product_uom_qty": qty})],
            }
        )
        carrier = carrier or self.standard
        order.set_delivery_line(carrier, carrier.fixed_price)
        return order

    def test_confirmed_website_order_gets_channel_rule_and_team(self):
        self.publish_listing()
        order = self._website_order()
        self.assertFalse(order.ecom_channel_id)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.ecom_channel_id, self.channel)
        self.assertEqual(order.ecom_service_level, "Standard Delivery")
        self.assertEqual(order.ecom_shipping_rule_id, self.rule)
        self.assertEqual(order.carrier_id, self.tracked48)
        self.assertEqual(order.warehouse_id, self.warehouse)
        self.assertFalse(order.ecom_needs_attention)
        picking = order.picking_ids
        self.assertEqual(picking.carrier_id, self.tracked48)
        self.assertEqual(picking.ecom_channel_id, self.channel)
        if "team_id" in self.channel._fields:  # ecom_accounting: each channel a sales team
            self.assertTrue(self.channel.team_id)
            self.assertEqual(order.team_id, self.channel.team_id)
        # the customer's delivery charge is kept as chosen
        delivery_line = order.order_line.filtered("is_delivery")
        self.assertEqual(delivery_line.price_unit, 4.95)
        self.assertEqual(self.channel.sale_order_count, 1)

    def test_website_order_without_rule_is_flagged_not_refused(self):
        self.publish_listing()
        self.rule.active = False
        order = self._website_order()
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.ecom_channel_id, self.channel)
        self.assertTrue(order.ecom_needs_attention)
        self.assertIn("no shipping rule matches", order.ecom_attention_reason)
        log = self.env["ecom.sync.log"].search(
            [("channel_id", "=", self.channel.id), ("res_id", "=", order.id)]
        )
        self.assertEqual(log.status, "warning")

    def test_website_order_prints_ships_and_is_invoiced(self):
        self.publish_listing()
        order = self._website_order()
        order.with_user(self.salesman).action_confirm()
        picking = order.picking_ids
        Batch = self.env["ecom.label.batch"].with_user(self.operator)
        run = Batch._create_for_pickings(picking)
        run.action_print()
        self.assertEqual((run.done_count, run.failed_count), (1, 0), run.line_ids.message)
        self.assertTrue(picking.carrier_tracking_ref.startswith("TB"))
        self.assertTrue(run.document_id)
        picking.with_user(self.operator)._ecom_dispatch()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.ecom_push_state, "pending")
        mail = self.env["mail.mail"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertTrue(mail, "the dispatch email is queued")
        self.assertIn(picking.carrier_tracking_ref, mail[0].body_html)
        # the shop is told nothing, the shipment is done for the channel (its queued job)
        jobs = self.env["queue.job"].search(
            [("method_name", "=", "_ecom_job_push_shipment"), ("state", "=", "pending")]
        )
        self.assertEqual(jobs.ecom_channel_id, order.ecom_channel_id)
        for job in jobs:
            Job.load(self.env, job.uuid).perform()
        picking.invalidate_recordset()
        self.assertEqual(picking.ecom_push_state, "done")
        if "ecom.channel.profit.report" not in self.env:
            return
        # ecom_accounting: invoiced when shipped, in the channel's profitability
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.ecom_channel_id, self.channel)
        self.assertEqual(invoice.team_id, self.channel.team_id)
        rows = self.env["ecom.channel.profit.report"].search([("channel_id", "=", self.channel.id)])
        self.assertAlmostEqual(sum(rows.mapped("revenue")), invoice.amount_untaxed, places=2)
