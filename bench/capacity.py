"""Capacity of the stock link toward internet scale (issue 14): a plain model and a scaled-down
emulated run, side by side.

1. The model (``ecom_channels_core.capacity``, assumptions in its dataclasses): 100,000 SKUs on
   10 channels (3 Shopify, 3 eBay, 2 Amazon, 2 WooCommerce) at 200,000 order lines a day, peak
   hour 3x: the stock changes per second, what each channel type's quota lets through (Shopify
   cost points, eBay 4 items a call and its daily call cap, Amazon feeds, WooCommerce batches of
   100), the job workers and PostgreSQL cores needed, and the first bottleneck.
2. The run: ECOM_BENCH_SKUS (default 1,000) SKUs listed on the 4 emulated channels, each channel
   held to a quota of calls per second (the client's rate limit: Shopify 10, eBay 5, WooCommerce
   2; Amazon its own per-operation limits and feeds); every listing's quantity changes, then each
   channel's push job runs (in this process, one job after the other, as one job worker per
   channel does) until its outbox is empty (Amazon: until every quantity is in a submitted feed).
   Printed per channel: quantities, calls, seconds measured and the model's seconds for the same
   quota (``drain_seconds``).

Run by ``make bench BENCH=capacity`` (ECOM_ADDONS_PATH, ECOM_ODOO_CONF set by tools/ecom); it
creates its own database ECOM_BENCH_DB (default ecom_bench_capacity, dropped and recreated) with
ecom_channels (ECOM_BENCH_REUSE=1 reuses it: each run adds its own products and channels).
Figures are printed, never judged.
"""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addons" / "ecom_channels"), str(Path(__file__).parent)]

import _scale_out_stock as scale  # noqa: E402
from _odoo import marker_value, odoo_run  # noqa: E402
from ecom_channels_core.capacity import ChannelQuota, drain_seconds, model  # noqa: E402

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402
from odoo.tools import SQL  # noqa: E402

from tests.emulators import Emulator  # noqa: E402

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_capacity")
SKUS = int(os.environ.get("ECOM_BENCH_SKUS", "1000"))
#: Calls per second each emulated channel is held to in the run (its client's rate limit).
RUN_RATES = {"shopify": 10.0, "ebay": 5.0, "woocommerce": 2.0, "amazon": 0.0}
#: Items per quantity call of each client (Amazon: one feed).
RUN_ITEMS_PER_CALL = {"shopify": 250, "ebay": 4, "woocommerce": 100, "amazon": 10000}
QUANTITY_OPERATION = {
    "shopify": "InventorySet",
    "ebay": "ReviseInventoryStatus",
    "woocommerce": "products/batch",
    "amazon": "createFeed",
}


def say(message):
    print(f"[bench capacity] {message}", flush=True)


def print_model():
    result = model()
    say(
        "model: 100,000 SKUs on 10 channels, 200,000 order lines a day (peak x3): "
        f"{result['sku_changes_per_s']:.2f} stock changes/s, peak "
        f"{result['peak_changes_per_s']:.2f}/s"
    )
    say("  channel        asked/s  allowed/s  calls/s  jobs/s  use    backlog after a peak hour")
    for row in result["channels"]:
        say(
            f"  {row['channel']:<12}x{row['channels']:<2} {row['asked_per_s']:7.2f} "
            f"{row['allowed_per_s']:10.2f} {row['calls_per_s']:8.3f} {row['jobs_per_s']:7.3f} "
            f"{row['utilisation']:5.2f}  {row['backlog_after_peak_hour']:,.0f} quantities"
        )
    say(
        f"  job workers: {result['worker_load']:.2f} busy at peak, {result['workers_needed']} "
        f"needed; PostgreSQL: {result['queries_per_s']:.0f} statements/s, "
        f"{result['pg_cores']:.2f} core"
    )
    say(
        f"  first bottleneck: {result['bottleneck']} "
        f"({result['bottleneck_utilisation']:.1f}x its capacity at peak)"
    )


def run(env, emulator):
    say(f"run: {SKUS} SKUs on 4 emulated channels, every quantity changed")
    rng = random.Random(14)
    warehouse, products, _free = scale._products(env, SKUS, rng)
    rows = []
    for channel_type in ("shopify", "woocommerce", "ebay", "amazon"):
        channel = scale._channel(env, emulator, channel_type, warehouse)
        channel.rate_limit = RUN_RATES[channel_type]
        listings = scale._listings(env, emulator, channel, products)
        env.flush_all()
        env.cr.execute(
            SQL(
                """INSERT INTO ecom_stock_outbox (listing_id, channel_id, date, attempts)
                   SELECT id, channel_id, now() AT TIME ZONE 'UTC', 0
                     FROM ecom_channel_listing WHERE channel_id = %s""",
                channel.id,
            )
        )
        env["ecom.stock.outbox"].invalidate_model()
        env.cr.commit()
        calls = len(emulator.calls(channel_type))
        Outbox = env["ecom.stock.outbox"].sudo()
        start = time.perf_counter()
        jobs = 0
        while Outbox._waiting_count(channel):
            channel._job_push_stock()
            env.cr.commit()
            jobs += 1
        seconds = time.perf_counter() - start
        made = [
            c
            for c in emulator.calls(channel_type)[calls:]
            if QUANTITY_OPERATION[channel_type] in c.operation
            or QUANTITY_OPERATION[channel_type] in c.path
        ]
        quota = ChannelQuota(
            channel_type,
            RUN_ITEMS_PER_CALL[channel_type],
            RUN_RATES[channel_type] or 1.0,
            call_seconds=seconds / max(len(made), 1) if channel_type == "amazon" else 0.01,
        )
        rows.append((channel_type, len(listings), len(made), jobs, seconds, quota))
    say("  channel      quantities  calls  jobs  measured s  model s")
    for channel_type, items, calls, jobs, seconds, quota in rows:
        say(
            f"  {channel_type:<12} {items:10d} {calls:6d} {jobs:5d} {seconds:11.1f} "
            f"{drain_seconds(items, quota):8.1f}"
        )
    say("  (Amazon: until submitted in feeds; the model's Amazon time is the measured call's)")


def main():
    addons_path = os.environ["ECOM_ADDONS_PATH"]
    conf = os.environ["ECOM_ODOO_CONF"]
    print_model()
    if os.environ.get("ECOM_BENCH_REUSE") == "1" and marker_value(DB, "database.uuid"):
        say(f"reusing database {DB}")
    else:
        subprocess.run(["dropdb", "--if-exists", DB], check=True)
        say(f"creating database {DB} with ecom_channels")
        odoo_run(addons_path, conf, DB, "--init=ecom_channels")
    odoo.tools.config.parse_config(["-c", conf, f"--addons-path={addons_path}", "-d", DB])
    emulator = Emulator(
        port=0, options={"shopify": {"throttle_max": 1e9, "restore_rate": 1e9}}
    ).start()
    try:
        registry = odoo.modules.registry.Registry(DB)
        with registry.cursor() as cr:
            run(api.Environment(cr, SUPERUSER_ID, {}), emulator)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
