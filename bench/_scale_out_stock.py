"""Stock push under a channel's quota: do the listings nearest to selling out go first?

A module of ``bench/scale_out.py`` (issue 14), not a benchmark of its own (``make bench`` skips
files starting with ``_``). The contract with scale_out.py is this function:

    run_stock_priority(env, emulator, listings=20000, quota_items=400, nearest=100,
                       channel_type="ebay", say=print) -> dict

``env``: an Odoo environment (superuser) on a database where ``ecom_channels`` is installed and
the server configuration allows test endpoints (``ecom_test_endpoints = True``); ``emulator``: a
running ``tests.emulators.Emulator``. Everything is created in a savepoint of ``env.cr`` that is
rolled back before returning (the emulator keeps its cloned items; its faults are cleared).

What it does: ``listings`` storable products with a free stock of 0-200 units each (one SQL
insert of quants), one ``channel_type`` channel on the emulator whose items are cloned in its
memory, one published listing per product that the channel shows with 250 units; then every
listing's change is queued in an order unrelated to the stock (as sales would queue them), and
the channel's push job runs once under an emulated quota: the emulator accepts ``quota_items``
items (eBay: ``quota_items / 4`` ReviseInventoryStatus calls), then answers "call usage limit
reached" (eBay error 518) to every further call.

Returned keys:

- ``listings``, ``quota_items``, ``nearest``: the parameters;
- ``first_batch``: quantities the channel accepted in that first job run;
- ``nearest_first``: how many of the ``nearest`` listings nearest to selling out (the lowest
  sellable quantities: the run has no sales history, so a listing's days of cover is its
  quantity) went in the first batch (``nearest`` when the risk order works);
- ``fifo_nearest_first``: the same count had the changes gone oldest first (what the push did
  before the quota-aware order), computed from the same queue;
- ``claim_seconds`` / ``push_seconds``: time to order the queued changes by risk, and the whole
  job run.
"""

import copy
import random
import time

from odoo.tools import SQL

#: The quantity every item shows on the channel before the run (above any free stock).
SHOWN = 250
#: Items per quantity call of each channel type (eBay ReviseInventoryStatus: 4; WooCommerce
#: batch: 100; Shopify inventorySetQuantities: 250 here), for the quota in calls.
ITEMS_PER_CALL = {"ebay": 4, "woocommerce": 100, "shopify": 250}
#: The quantity call whose quota is emulated, per channel type.
QUANTITY_CALL = {
    "ebay": "ReviseInventoryStatus",
    "woocommerce": "products/batch",
    "shopify": "InventorySet",
}
#: The emulator's refusal once the quota is used.
QUOTA_FAULT = {"ebay": "throttled", "woocommerce": "429", "shopify": "throttled"}


def _products(env, count, rng):
    """``count`` storable products with 0-200 units of free stock in the main warehouse."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    Product = env["product.product"].with_context(tracking_disable=True)
    tag = "%06x" % rng.randrange(16**6)
    products = Product.browse()
    for start in range(0, count, 2000):
        products |= Product.create(
            [
                {
                    "name": "Scale-out item %s-%05d" % (tag, i),
                    "default_code": "SCALE-%s-%05d" % (tag, i),
                    "list_price": 10.0,
                    "is_storable": True,
                }
                for i in range(start, min(count, start + 2000))
            ]
        )
    free = {product.id: rng.randint(0, 200) for product in products}
    env.cr.execute(
        SQL(
            """INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                        reserved_quantity, in_date, create_uid, write_uid,
                                        create_date, write_date)
               SELECT p, %s, %s, q, 0, now(), 1, 1, now(), now()
                 FROM unnest(%s::int[], %s::numeric[]) AS t(p, q)""",
            warehouse.lot_stock_id.id,
            env.company.id,
            list(free),
            list(free.values()),
        )
    )
    env["stock.quant"].invalidate_model()
    return warehouse, products, free


def channel_values(emulator, channel_type, warehouse, name, **values):
    """Values of a channel of ``channel_type`` on ``emulator`` selling ``warehouse``'s stock
    (GBP, the emulator's credentials and token URL), with ``values`` on top. Shared with
    stock_sync.py."""
    gbp = warehouse.env.ref("base.GBP")
    gbp.active = True
    return dict(
        {
            "name": name,
            "channel_type": channel_type,
            "warehouse_id": warehouse.id,
            "api_base_url": emulator.url(channel_type),
            "currency_id": gbp.id,
            "rate_limit": 0,
            # credentials, token URL and refresh token on the emulator's own token "host"
            **emulator.connection(channel_type),
        },
        **values,
    )


def _channel(env, emulator, channel_type, warehouse):
    name = "Scale-out %s %s" % (channel_type, time.time_ns())
    # the quota answer is final for this run: no retry inside the job
    return env["ecom.channel"].create(
        channel_values(emulator, channel_type, warehouse, name, retry_max_attempts=1)
    )


def clone_items(emulator, channel_type, template_ref, skus):
    """Copy the item ``template_ref`` published on ``channel_type`` once per SKU, straight into
    the emulator's memory; return ``{sku: external ref}``."""
    app = emulator.apps[channel_type]
    refs = {}
    with app.lock:
        if channel_type == "shopify":
            variant0 = app.variants[template_ref]
            product0 = app.products[variant0["product_id"]]
            location = next(
                loc for item, loc in app.inventory if item == variant0["inventory_item_id"]
            )
            for sku in skus:
                pid, vid = "gid://shopify/Product/%d" % app.next_id(), app.next_id()
                variant = dict(copy.deepcopy(variant0), sku=sku, product_id=pid)
                variant["id"] = "gid://shopify/ProductVariant/%d" % vid
                variant["inventory_item_id"] = "gid://shopify/InventoryItem/%d" % vid
                product = dict(copy.deepcopy(product0), id=pid, variant_ids=[variant["id"]])
                product["handle"] = sku.lower()
                app.products[pid] = product
                app.variants[variant["id"]] = variant
                app.inventory[(variant["inventory_item_id"], location)] = 0
                refs[sku] = variant["id"]
        elif channel_type == "woocommerce":
            record0 = app.products[int(template_ref)]
            for sku in skus:
                record = dict(copy.deepcopy(record0), id=app.next_id(), sku=sku, stock_quantity=0)
                app.products[record["id"]] = record
                refs[sku] = str(record["id"])
        elif channel_type == "ebay":
            item0 = app.items[template_ref]
            for sku in skus:
                app.item_seq += 1
                item = dict(copy.deepcopy(item0), SKU=sku, Quantity=0, ItemID=str(app.item_seq))
                app.items[item["ItemID"]] = item
                refs[sku] = item["ItemID"]
        else:
            listing0 = app.listings[template_ref]
            for sku in skus:
                listing = dict(copy.deepcopy(listing0), sku=sku)
                listing["attributes"]["fulfillment_availability"][0]["quantity"] = 0
                app.listings[sku] = listing
                refs[sku] = sku
    return refs


def _listings(env, emulator, channel, products):
    """One published listing per product, its item cloned in the emulator's memory."""
    Listing = env["ecom.channel.listing"].with_context(tracking_disable=True)
    values = {
        "channel_id": channel.id,
        "description": "<p>Scale-out item</p>",
        "category_override": "20",
        "amazon_product_type": "CUP",
    }
    asin = "B0SCALE001" if channel.channel_type == "amazon" else False
    template = Listing.create(dict(values, product_id=products[0].id, asin=asin))
    template.action_mark_ready()
    template._publish()
    if template.state != "published":
        raise RuntimeError("the template listing was not published: %s" % template.last_error)
    refs = clone_items(
        emulator,
        channel.channel_type,
        template.external_ref,
        products[1:].mapped("default_code"),
    )
    for start in range(1, len(products), 2000):
        Listing.create(
            [
                dict(
                    values,
                    product_id=product.id,
                    state="published",
                    external_ref=refs[product.default_code],
                )
                for product in products[start : start + 2000]
            ]
        )
    listings = Listing.search([("channel_id", "=", channel.id)])
    env.flush_all()
    env.cr.execute(
        SQL(
            "UPDATE ecom_channel_listing SET qty_published = %s, qty_published_date = now()"
            " WHERE channel_id = %s",
            SHOWN,
            channel.id,
        )
    )
    listings.invalidate_recordset()
    return listings


def run_stock_priority(
    env,
    emulator,
    listings=20000,
    quota_items=400,
    nearest=100,
    channel_type="ebay",
    say=print,
):
    """Push ``listings`` changed quantities to one channel under a quota of ``quota_items``
    items; return the counts described in the module docstring."""
    rng = random.Random(14)
    savepoint = env.cr.savepoint()
    try:
        say(f"stock priority: {listings} listings on {channel_type}, quota {quota_items} items")
        warehouse, products, free = _products(env, listings, rng)
        channel = _channel(env, emulator, channel_type, warehouse)
        bound = _listings(env, emulator, channel, products)
        by_product = {listing.product_id.id: listing.id for listing in bound}
        # Queue every change, in an order unrelated to the stock, as sales queue them.
        order = list(by_product.values())
        rng.shuffle(order)
        # The nearest to selling out: the lowest quantities (no sales history: cover = qty),
        # equal quantities by the oldest change (as the push breaks ties).
        position = {listing_id: n for n, listing_id in enumerate(order)}
        ranked = sorted(by_product, key=lambda pid: (free[pid], position[by_product[pid]]))
        near = {by_product[pid] for pid in ranked[:nearest]}
        Outbox = env["ecom.stock.outbox"].sudo()
        env.flush_all()
        env.cr.execute(
            SQL(
                """INSERT INTO ecom_stock_outbox (listing_id, channel_id, date, attempts)
                   SELECT l, %s, now() AT TIME ZONE 'UTC', 0
                     FROM unnest(%s::int[]) WITH ORDINALITY AS t(l, n) ORDER BY n""",
                channel.id,
                order,
            )
        )
        Outbox.invalidate_model()
        fifo = set(order[:quota_items])
        calls = max(quota_items // ITEMS_PER_CALL.get(channel_type, 1), 1)
        emulator.clear_faults(channel_type)
        if quota_items:
            emulator.inject(
                channel_type, "slow", delay=0, count=calls, match=QUANTITY_CALL[channel_type]
            )
        emulator.inject(
            channel_type, QUOTA_FAULT[channel_type], count=10**9, match=QUANTITY_CALL[channel_type]
        )
        start = time.perf_counter()
        candidates = env["ecom.channel.listing"].browse(order)
        Outbox._by_risk(channel, candidates, {lid: n for n, lid in enumerate(order)})
        claim_seconds = time.perf_counter() - start
        candidates.invalidate_recordset()
        start = time.perf_counter()
        try:
            channel._job_push_stock()
        except Exception as exc:  # noqa: BLE001 - a quota with nothing accepted: the job retries
            say(f"  the push job ended with {type(exc).__name__}: {exc}")
        push_seconds = time.perf_counter() - start
        env.flush_all()
        env.cr.execute(
            SQL(
                "SELECT id FROM ecom_channel_listing WHERE channel_id = %s AND qty_published != %s",
                channel.id,
                SHOWN,
            )
        )
        accepted = {row[0] for row in env.cr.fetchall()}
        result = {
            "listings": listings,
            "quota_items": quota_items,
            "nearest": nearest,
            "first_batch": len(accepted),
            "nearest_first": len(near & accepted),
            "fifo_nearest_first": len(near & fifo),
            "claim_seconds": round(claim_seconds, 2),
            "push_seconds": round(push_seconds, 2),
        }
        say(
            "  first batch: {first_batch} quantities accepted; {nearest_first} of the {nearest} "
            "listings nearest to selling out in it (oldest first: {fifo_nearest_first}); "
            "risk order {claim_seconds} s, job {push_seconds} s".format(**result)
        )
        return result
    finally:
        emulator.clear_faults(channel_type)
        savepoint.close(rollback=True)
        env.invalidate_all()
