"""Benchmark of the live stock link (ecom_channels): quantities of every listing, and the
latency from a stock change to the channel.


Run by ``make bench`` (tools/ecom bench), which sets ECOM_ADDONS_PATH and ECOM_ODOO_CONF; or
``make bench BENCH=stock_sync`` for this one only. It creates its own database with
``ecom_channels``, PRODUCTS storable products with stock in the main warehouse (some of it
reserved), one channel per channel type on the local emulator (tests/emulators, started here),
and one published listing per product and channel (PRODUCTS x 4 listings). The emulator is filled
by cloning one item published through each real client (publishing 20,000 items over HTTP would
take the benchmark's whole time).

It prints:
1. the time and number of SQL queries to compute ``qty_to_publish`` of every listing (cold
   cache), next to the naive way: one product at a time, ``qty_available``/``free_qty`` read per
   product in the channel's warehouse, then the same channel rules (the ratio);
2. the latency from the commit of a stock change (an inventory adjustment) to the moment the
   emulator of every channel holds the new quantity, p50/p90/p99/max over CHANGES changes on
   distinct products, with a real Odoo server running OCA queue_job's job runner (a stock
   change enqueues its channels' push jobs in the same transaction; the runner dispatches them
   as soon as it commits: no polling interval).

Environment: ECOM_BENCH_DB (default ecom_bench_stock, dropped and recreated), ECOM_BENCH_PRODUCTS
(default 5000), ECOM_BENCH_CHANGES (default 200), ECOM_BENCH_RATE (changes per second, default
4), ECOM_BENCH_PORT (Odoo's HTTP port, default 8075). Figures are printed, never judged.
"""

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addons" / "ecom_channels")]

import requests  # noqa: E402
from _scale_out_stock import channel_values, clone_items  # noqa: E402
from ecom_channels_core.jobs import runner_channels  # noqa: E402

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

from tests.emulators import Emulator  # noqa: E402

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_stock")
PRODUCTS = int(os.environ.get("ECOM_BENCH_PRODUCTS", "5000"))
CHANGES = int(os.environ.get("ECOM_BENCH_CHANGES", "200"))
RATE = float(os.environ.get("ECOM_BENCH_RATE", "4"))
PORT = int(os.environ.get("ECOM_BENCH_PORT", "8075"))
WARMUP = 30
TYPES = ("shopify", "woocommerce", "ebay", "amazon")


def say(message):
    print(f"[bench stock_sync] {message}", flush=True)


def odoo_bin():
    return str(Path(sys.executable).parent / "odoo")


def create_database(addons_path, conf):
    subprocess.run(["dropdb", "--if-exists", DB], check=True)
    say(f"creating database {DB} with ecom_channels")
    subprocess.run(
        [
            odoo_bin(),
            "-c",
            conf,
            f"--addons-path={addons_path}",
            f"--database={DB}",
            "--init=ecom_channels",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )


# --------------------------------------------------------------------------- emulator
def shown_quantities(emulator, channel_type, skus):
    """``{sku: quantity}`` the emulator of ``channel_type`` holds for these SKUs (from memory)."""
    app = emulator.apps[channel_type]
    wanted = set(skus)
    with app.lock:
        if channel_type == "shopify":
            return {
                v["sku"]: app._variant_obj(v)["inventoryQuantity"]
                for v in app.variants.values()
                if v["sku"] in wanted
            }
        if channel_type == "woocommerce":
            return {
                p["sku"]: p["stock_quantity"] for p in app.products.values() if p["sku"] in wanted
            }
        if channel_type == "ebay":
            return {
                i["SKU"]: int(i["Quantity"]) - int(i["SellingStatus"]["QuantitySold"])
                for i in app.items.values()
                if i["SKU"] in wanted
            }
        return {
            sku: app.listings[sku]["attributes"]["fulfillment_availability"][0]["quantity"]
            for sku in wanted
            if sku in app.listings
        }


# --------------------------------------------------------------------------- data
def populate(env, emulator):
    rng = random.Random(42)
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    stock = warehouse.lot_stock_id
    shelves = env["stock.location"].create(
        [{"name": "Aisle %02d" % i, "location_id": stock.id} for i in range(20)]
    )
    say(f"creating {PRODUCTS} products")
    t0 = time.perf_counter()
    Product = env["product.product"].with_context(tracking_disable=True)
    products = Product.browse()
    for start in range(0, PRODUCTS, 1000):
        products |= Product.create(
            [
                {
                    "name": "Bench item %05d" % i,
                    "default_code": "BENCH-%05d" % i,
                    "list_price": 10.0 + i % 50,
                    "is_storable": True,
                }
                for i in range(start, min(PRODUCTS, start + 1000))
            ]
        )
    say(f"  {time.perf_counter() - t0:.1f} s; stock in 20 bins (SQL), 10% of it reserved")
    rows = []
    for product in products:
        shelf = shelves[product.id % len(shelves)]
        qty = rng.randint(0, 60)
        rows.append((product.id, shelf.id, qty, qty // 10))
    env.cr.execute(
        """INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                    reserved_quantity, in_date, create_uid, write_uid,
                                    create_date, write_date)
           SELECT p, l, %s, q, r, now(), 1, 1, now(), now()
             FROM unnest(%s::int[], %s::int[], %s::numeric[], %s::numeric[]) AS t(p, l, q, r)""",
        (
            env.company.id,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
        ),
    )
    env["stock.quant"].invalidate_model()
    channels = env["ecom.channel"]
    for channel_type in TYPES:
        channels |= channels.create(
            channel_values(
                emulator,
                channel_type,
                warehouse,
                "Bench %s" % channel_type,
                stock_buffer_qty={"ebay": 2}.get(channel_type, 0),
                stock_percent={"amazon": 80}.get(channel_type, 100),
                stock_max_qty={"shopify": 40}.get(channel_type, 0),
            )
        )
    say("publishing one listing per channel through the clients, cloning it in the emulator")
    Listing = env["ecom.channel.listing"].with_context(tracking_disable=True)
    for channel in channels:
        template = Listing.create(
            {
                "channel_id": channel.id,
                "product_id": products[0].id,
                "description": "<p>Bench item</p>",
                "category_override": "20",
                "amazon_product_type": "CUP",
                "asin": "B0BENCH001" if channel.channel_type == "amazon" else False,
            }
        )
        template.action_mark_ready()
        template._publish()
        assert template.state == "published", template.last_error
        refs = clone_items(
            emulator,
            channel.channel_type,
            template.external_ref,
            products[1:].mapped("default_code"),
        )
        for start in range(1, len(products), 2000):
            chunk = products[start : start + 2000]
            Listing.create(
                [
                    {
                        "channel_id": channel.id,
                        "product_id": product.id,
                        "description": "<p>Bench item</p>",
                        "category_override": "20",
                        "amazon_product_type": "CUP",
                        "state": "published",
                        "external_ref": refs[product.default_code],
                    }
                    for product in chunk
                ]
            )
    env.cr.commit()
    return channels, products


# --------------------------------------------------------------------------- measurements
def measure_compute(registry, channels):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        listings = env["ecom.channel.listing"].search([("channel_id", "in", channels.ids)])
        listing_ids = listings.ids
        env.invalidate_all()
        listings = env["ecom.channel.listing"].browse(listing_ids)
        queries = cr.sql_log_count
        t0 = time.perf_counter()
        ours = dict(zip(listing_ids, listings.mapped("qty_to_publish"), strict=True))
        ours_time = time.perf_counter() - t0
        ours_queries = cr.sql_log_count - queries

        env.invalidate_all()
        listings = env["ecom.channel.listing"].browse(listing_ids)
        pairs = [(lst.id, lst.product_id.id, lst.channel_id) for lst in listings]
        queries = cr.sql_log_count
        t0 = time.perf_counter()
        free = {}
        for _lid, product_id, channel in pairs:  # the naive way: one product at a time
            key = (product_id, channel.warehouse_id.id)
            if key not in free:
                product = env["product.product"].browse(product_id)
                product = product.with_context(warehouse_id=channel.warehouse_id.id)
                product.qty_available  # noqa: B018 - what a naive loop reads
                free[key] = product.free_qty
        naive = {
            lid: channel._sellable_quantity(free[(pid, channel.warehouse_id.id)])
            for lid, pid, channel in pairs
        }
        naive_time = time.perf_counter() - t0
        naive_queries = cr.sql_log_count - queries
    wrong = sum(1 for lid in listing_ids if ours[lid] != naive[lid])
    say(f"qty_to_publish of {len(listing_ids)} listings: {ours_time:.2f} s, {ours_queries} queries")
    say(
        f"naive per-product loop ({len(free)} products): {naive_time:.2f} s, {naive_queries} "
        f"queries; ratio {naive_time / ours_time:.1f}x faster, "
        f"{naive_queries / max(ours_queries, 1):.0f}x fewer queries; "
        f"{wrong} listings differ between the two"
    )


def start_server(addons_path, conf):
    log = ROOT / ".run" / "log" / "bench-stock-sync-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # The job runner of queue_job (a server-wide module), with the channels' job channels.
    env = dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=runner_channels(workers=2))
    server = subprocess.Popen(
        [
            odoo_bin(),
            "-c",
            conf,
            f"--addons-path={addons_path}",
            f"--database={DB}",
            f"--db-filter=^{DB}$",
            f"--http-port={PORT}",
            "--load=base,web,queue_job",
            "--max-cron-threads=2",
            f"--logfile={log}",
            "--log-level=info",
        ],
        env=env,
    )
    for _i in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/web/health", timeout=1).ok:
                # Let the crons due at start-up (scheduler, autovacuum...) run first.
                say(f"server up on port {PORT} with the job runner; {WARMUP} s of start-up crons")
                time.sleep(WARMUP)
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("the Odoo server did not start (see %s)" % log)


def measure_latency(registry, emulator, products):
    rng = random.Random(7)
    sample = rng.sample(list(products.ids), min(CHANGES, len(products)))
    pending = {}  # (product sku) -> (commit time, {channel type: expected})
    latencies = []
    lock = threading.Lock()
    finished = threading.Event()
    errors = []

    def watch():
        while not finished.is_set() or pending:
            with lock:
                items = list(pending.items())
            if not items:
                time.sleep(0.02)
                continue
            skus = [sku for sku, _v in items]
            try:
                shown = {t: shown_quantities(emulator, t, skus) for t in TYPES}
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, never hides
                errors.append(repr(exc))
                time.sleep(0.1)
                continue
            now = time.perf_counter()
            with lock:
                for sku, (t0, expected) in items:
                    if all(shown[t].get(sku) == q for t, q in expected.items()):
                        latencies.append(now - t0)
                        del pending[sku]
            time.sleep(0.02)
            if finished.is_set() and time.perf_counter() - last_commit[0] > 180:
                break

    last_commit = [time.perf_counter()]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    say(f"{len(sample)} stock changes at {RATE:g}/s on distinct products, job runner running")
    for product_id in sample:
        started = time.perf_counter()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            product = env["product.product"].browse(product_id)
            quant = env["stock.quant"].search(
                [("product_id", "=", product_id), ("location_id.usage", "=", "internal")], limit=1
            )
            quant.inventory_quantity = quant.quantity + rng.choice([-3, -2, -1, 1, 2, 5, 12])
            if quant.inventory_quantity < quant.reserved_quantity:
                quant.inventory_quantity = quant.quantity + 4
            quant.action_apply_inventory()
            listings = env["ecom.channel.listing"].search([("product_id", "=", product_id)])
            listings.invalidate_recordset(["qty_to_publish"])
            expected = {lst.channel_id.channel_type: lst.qty_to_publish for lst in listings}
            sku = product.default_code
            cr.commit()
            committed = time.perf_counter()
        with lock:
            pending[sku] = (committed, expected)
        last_commit[0] = committed
        time.sleep(max(0.0, 1.0 / RATE - (time.perf_counter() - started)))
    finished.set()
    watcher.join(200)
    lost = len(pending)
    if errors:
        say(f"watcher errors: {len(errors)}, first: {errors[0]}")
    if latencies:
        ordered = sorted(latencies)

        def pct(p):
            return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

        say(
            f"latency commit -> every channel (n={len(ordered)}): p50 {pct(50):.2f} s, "
            f"p90 {pct(90):.2f} s, p99 {pct(99):.2f} s, max {ordered[-1]:.2f} s, "
            f"mean {statistics.mean(ordered):.2f} s; not arrived after 180 s: {lost}"
        )
    else:
        say(f"no change arrived; not arrived after 180 s: {lost}")


def main():
    addons_path = os.environ["ECOM_ADDONS_PATH"]
    conf = os.environ["ECOM_ODOO_CONF"]
    create_database(addons_path, conf)
    odoo.tools.config.parse_config(["-c", conf, f"--addons-path={addons_path}", "-d", DB])
    emulator = Emulator(
        port=0,
        options={"shopify": {"throttle_max": 1e9, "restore_rate": 1e9}},
    ).start()
    try:
        registry = odoo.modules.registry.Registry(DB)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channels, products = populate(env, emulator)
            channel_ids, product_ids = channels.ids, products.ids
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            measure_compute(registry, env["ecom.channel"].browse(channel_ids))
        server = start_server(addons_path, conf)
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                measure_latency(registry, emulator, env["product.product"].browse(product_ids))
        finally:
            server.terminate()
            server.wait(30)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
