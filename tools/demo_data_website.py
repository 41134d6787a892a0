"""Demo data of ecom_website, called by tools/demo_data.py as ``generate(gen)``.

``gen`` is the DemoGenerator (gen.env, gen.company, gen.warehouse, gen.products, gen.customers,
gen.channels...), run after the fulfilment demo data (its Royal Mail carriers). It makes the
demo website the retailer's fifth channel:

- the channel "Northwind Website" on the company's website, selling from the demo warehouse
  with a buffer of 2 units (the shop offers 2 less than the free stock, 0 below 3);
- a shop category per product category, mapped for the channel;
- listings of a third of the catalogue (titles, descriptions and images as on the other
  channels), published: the products appear in the shop;
- the shop's delivery methods (Standard and Express Delivery) and the channel's shipping rules
  choosing the Royal Mail service for each (Tracked 48 and Tracked 24);
- a few website orders confirmed today, as the shop confirms paid orders: they are the
  channel's, with its carrier, and wait to be labelled and shipped (counted in
  ``orders_to_ship``); one left earlier and is invoiced (profitability).

Run again on the same database, it makes nothing and returns the channel, listings and orders.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from freezegun import freeze_time

#: Own random source: the other demo data keep their sequence of draws.
SEED = 20261130
#: Share of the catalogue listed on the website.
LISTED_SHARE = 0.35
#: Website orders made (the last ones shipped already).
ORDERS = 6
SHIPPED = 1
DELIVERY_METHODS = [
    # name, price, service level pattern of the rule, carrier chosen by the rule
    ("Standard Delivery", 3.95, "Standard*", "Royal Mail Tracked 48"),
    ("Express Delivery", 6.95, "Express*", "Royal Mail Tracked 24"),
]


def _website(env, company):
    website = company.website_id or env["website"].search(
        [("company_id", "=", company.id)], limit=1
    )
    if not website:
        website = env.ref("website.default_website")
        website.company_id = company
    return website


def _delivery_methods(env, company, channel):
    """The shop's delivery methods and the channel's rules mapping them to carrier services."""
    Carrier = env["delivery.carrier"]
    product = env["product.product"].search([("default_code", "=", "SHIP")], limit=1)
    if not product:
        product = env["product.product"].create(
            {"name": "Delivery charge", "type": "service", "default_code": "SHIP"}
        )
    methods, rules = {}, []
    for sequence, (name, price, service, carrier_name) in enumerate(DELIVERY_METHODS, start=1):
        method = Carrier.search([("name", "=", name)], limit=1) or Carrier.create(
            {
                "name": name,
                "product_id": product.id,
                "delivery_type": "fixed",
                "fixed_price": price,
                "company_id": company.id,
            }
        )
        method.write({"website_published": True, "sequence": sequence})
        methods[name] = method
        carrier = Carrier.search([("name", "=", carrier_name)], limit=1)
        if carrier:
            rules.append(
                {
                    "sequence": sequence,
                    "channel_id": channel.id,
                    "service_level": service,
                    "carrier_id": carrier.id,
                    "company_id": company.id,
                }
            )
    # the shop offers its own methods only (not the carriers' services)
    Carrier.search([("id", "not in", [m.id for m in methods.values()])]).write(
        {"website_published": False}
    )
    env["ecom.shipping.rule"].create(rules)
    return methods


def _category_maps(env, channel, products, website):
    Public = env["product.public.category"]
    vals = []
    for categ in products.categ_id:
        public = Public.search([("name", "=", categ.name)], limit=1) or Public.create(
            {"name": categ.name, "website_id": website.id}
        )
        vals.append(
            {"channel_id": channel.id, "categ_id": categ.id, "website_public_categ_id": public.id}
        )
    env["ecom.channel.category.map"].create(vals)


def _listings(gen, channel, products, rng):
    Listing = gen.env["ecom.channel.listing"]
    chosen = products.filtered(lambda p: rng.random() <= LISTED_SHARE)
    make_values = getattr(gen, "_listing_values", None)
    vals = [
        make_values(channel, product)
        if make_values
        else {"channel_id": channel.id, "product_id": product.id}
        for product in chosen
    ]
    listings = Listing.create(vals)
    listings.action_mark_ready()
    listings._publish()
    return listings


def _at(today, hour, minute=0):
    """``today`` at ``hour``:``minute`` (UTC), never later than now."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return min(datetime.combine(today, time(hour, minute)), now - timedelta(minutes=5))


def _orders(env, website, listings, customers, methods, rng, today):
    """Website orders of the listed products in stock, confirmed as the shop does once paid
    (on the generator's ``today`` from 8 o'clock, never later than now)."""
    Order = env["sale.order"]
    in_stock = listings.filtered(lambda lst: lst.state == "published" and lst.qty_to_publish > 0)
    orders = Order
    if not in_stock or not customers:
        return orders
    for index in range(ORDERS):
        with freeze_time(_at(today, 8, 10 * index)):
            orders |= _order(env, website, in_stock, customers, methods, rng, index)
    with freeze_time(_at(today, 9, 30)):
        for order in orders[-SHIPPED:]:
            for picking in order.picking_ids.filtered(lambda p: p.state == "assigned"):
                picking._ecom_dispatch()
    # the shop has nothing to be told of its deliveries
    orders.picking_ids.filtered(lambda p: p.ecom_push_state == "pending").write(
        {"ecom_push_state": "none"}
    )
    return orders


def _order(env, website, in_stock, customers, methods, rng, index):
    """One website order of one or two listed products, with a delivery method."""
    customer = rng.choice(customers)
    picks = rng.sample(list(in_stock), min(len(in_stock), rng.choice((1, 1, 2))))
    order = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "website_id": website.id,
            "order_line": [
                (0, 0, {"product_id": listing.product_id.id, "product_uom_qty": 1})
                for listing in picks
            ],
        }
    )
    method = methods["Express Delivery" if index % 3 == 1 else "Standard Delivery"]
    order.set_delivery_line(method, method.fixed_price)
    order.action_confirm()
    return order


def generate(gen):
    env = gen.env
    company = gen.company
    rng = random.Random(SEED)
    website = _website(env, company)
    warehouse = getattr(gen, "warehouse", None) or env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    channel = env["ecom.channel"].search(
        [("channel_type", "=", "website"), ("website_id", "=", website.id)], limit=1
    )
    if channel:  # generated already: nothing is made twice
        orders = env["sale.order"].search([("ecom_channel_id", "=", channel.id)])
        return {"channel": channel, "listings": channel.listing_ids, "orders": orders}
    channel = env["ecom.channel"].create(
        {
            "name": "Northwind Website",
            "channel_type": "website",
            "website_id": website.id,
            "warehouse_id": warehouse.id,
            "stock_buffer_qty": 2,
        }
    )
    products = getattr(gen, "products", None) or env["product.product"].search(
        [("is_storable", "=", True), ("default_code", "!=", False), ("sale_ok", "=", True)]
    )
    customers = getattr(gen, "customers", None) or env["res.partner"].search(
        [("email", "!=", False), ("street", "!=", False), ("user_ids", "=", False)], limit=30
    )
    customers = customers.filtered(lambda c: c.email and c.street and c.country_id)
    _category_maps(env, channel, products, website)
    methods = _delivery_methods(env, company, channel)
    listings = _listings(gen, channel, products, rng)
    today = getattr(gen, "today", None) or date.today()
    orders = _orders(env, website, listings, list(customers), methods, rng, today)
    counts = getattr(gen, "counts", None)
    if isinstance(counts, dict):
        counts["website listings"] = len(listings)
        counts["website orders"] = len(orders)
        # today's orders waiting to ship include the shop's
        waiting = orders.filtered(lambda o: o.delivery_status != "full")
        counts["orders_to_ship"] = counts.get("orders_to_ship", 0) + len(waiting)
    return {"channel": channel, "listings": listings, "orders": orders}
