"""Benchmark of ecom_fulfilment: channel order import from the local emulator (orders/s), then
one label print run of 1,000 deliveries with their packing slips (seconds, peak memory).

Run by ``make bench`` (tools/ecom bench), which sets ECOM_ADDONS_PATH and ECOM_ODOO_CONF. It
creates its own database with ecom_fulfilment, starts the channel emulator in-process (real HTTP
on 127.0.0.1), seeds the orders on the emulated WooCommerce store and imports them through the
client, as the 5-minute job does. Size, through environment variables:

    ECOM_BENCH_DB      database name (default ecom_bench_orders); dropped and recreated
    ECOM_BENCH_ORDERS  channel orders to import (default 2000)
    ECOM_BENCH_LABELS  deliveries in the print run (default 1000)

Targets of the issue: at least 20 orders/s; 1,000 labels + packing slips in at most 60 s.
Measured on the shared 2-core machine (load about 3): import of 2,000 orders 273.5 s (7.3
orders/s, 61 queries an order, most of them Odoo's own confirmation: procurement, pickings,
reservation); print run of 1,000 self-printed labels + packing slips 59.8 s (2,000 pages,
16.4 MB), peak memory 525 MB for Odoo and 362 MB for wkhtmltopdf.
Figures are printed, never judged: a benchmark does not pass or fail.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.emulators import DEFAULT_CREDENTIALS, Emulator  # noqa: E402

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_orders")
ORDERS = int(os.environ.get("ECOM_BENCH_ORDERS", "2000"))
LABELS = int(os.environ.get("ECOM_BENCH_LABELS", "1000"))
PRODUCTS = 40


def say(message):
    print(f"[bench orders] {message}", flush=True)


def peak_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0


def create_database(addons_path, conf):
    odoo_bin = Path(sys.executable).parent / "odoo"
    subprocess.run(["dropdb", "--if-exists", DB], check=True)
    say(f"creating database {DB} with ecom_fulfilment")
    subprocess.run(
        [
            str(odoo_bin),
            "-c",
            conf,
            f"--addons-path={addons_path}",
            f"--database={DB}",
            "--init=ecom_fulfilment",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )


def generate(env, emulator):
    """Products with stock, a WooCommerce channel on the emulator, a self-printed carrier and
    its default rule; the channel orders are seeded on the emulator."""
    uk = env.ref("base.uk")
    gbp = env.ref("base.GBP")
    gbp.active = True
    company = env.company
    company.partner_id.write(
        {"street": "1 Dock Road", "city": "Leeds", "zip": "LS1 4AP", "country_id": uk.id}
    )
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    products = env["product.product"].create(
        [
            {
                "name": "Bench product %d" % i,
                "default_code": "BENCH-%03d" % i,
                "is_storable": True,
                "weight": 0.25 + (i % 5) * 0.1,
                "list_price": 10.0 + i,
            }
            for i in range(PRODUCTS)
        ]
    )
    for product in products:
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 100000)
    credentials = DEFAULT_CREDENTIALS["woocommerce"]
    channel = env["ecom.channel"].create(
        {
            "name": "Bench WooCommerce",
            "channel_type": "woocommerce",
            "api_base_url": emulator.url("woocommerce"),
            "api_key": credentials["api_key"],
            "api_secret": credentials["api_secret"],
            "currency_id": gbp.id,
            "warehouse_id": warehouse.id,
            "rate_limit": 1000.0,
        }
    )
    postage = env["product.product"].create({"name": "Postage", "type": "service"})
    carrier = env["delivery.carrier"].create(
        {
            "name": "Tracked 48",
            "product_id": postage.id,
            "delivery_type": "ecom_selfprint",
            "ecom_carrier_label": "Royal Mail",
            "tracking_url": "https://www.royalmail.com/track-your-item#/tracking-results/"
            "<shipmenttrackingnumber>",
        }
    )
    env["ecom.shipping.rule"].create({"is_default": True, "carrier_id": carrier.id})
    app = emulator.apps["woocommerce"]
    for i in range(ORDERS):
        app.seed_order(
            lines=[
                {"sku": "BENCH-%03d" % (i % PRODUCTS), "quantity": 1 + i % 3, "price": 12.5},
                {"sku": "BENCH-%03d" % ((i * 7 + 3) % PRODUCTS), "quantity": 1, "price": 8.0},
            ],
            customer={"name": "Buyer %d" % i, "email": "buyer%d@example.com" % (i % 1500)},
            address={
                "name": "Buyer %d" % i,
                "street": "%d High Street" % (i + 1),
                "city": "Bristol",
                "zip": "BS1 4DJ",
                "country_code": "GB",
            },
            shipping=3.95,
            created_at="2024-03-01T%02d:%02d:00Z" % (8 + i // 3600 % 10, i // 60 % 60),
        )
    return channel


def main():
    addons_path = os.environ["ECOM_ADDONS_PATH"]
    conf = os.environ["ECOM_ODOO_CONF"]
    create_database(addons_path, conf)
    odoo.tools.config.parse_config(
        ["-c", conf, f"--addons-path={addons_path}", f"--database={DB}", "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(DB)
    with Emulator() as emulator:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel_id = generate(env, emulator).id
            cr.commit()
        say(f"{ORDERS} orders seeded on the emulated WooCommerce store ({emulator.base_url})")

        # 1. import, as the 5-minute job does (one transaction, like one cron run)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            queries = cr.sql_log_count
            started = time.perf_counter()
            result = env["ecom.channel"].browse(channel_id)._import_orders()
            env.flush_all()
            elapsed = time.perf_counter() - started
            cr.commit()
            created = len(result["created"])
            say(
                f"import: {created} orders created ({len(result['attention'])} need attention, "
                f"{len(result['failed'])} failed) in {elapsed:.1f} s, "
                f"{cr.sql_log_count - queries} queries"
            )
            say(f"import rate: {created / max(elapsed, 1e-9):.1f} orders/s (target: >= 20)")

        # 2. one print run of LABELS deliveries, labels + packing slips in one PDF
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            pickings = env["stock.picking"].search(
                [("picking_type_code", "=", "outgoing"), ("state", "=", "assigned")],
                limit=LABELS,
                order="id",
            )
            rss_before = peak_mb()
            children_before = peak_mb(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            run = env["ecom.label.batch"]._create_for_pickings(pickings, include_packing_slips=True)
            run._run()
            env.flush_all()
            elapsed = time.perf_counter() - started
            size = len(run.document_id.raw or b"") / 1024.0 / 1024.0
            say(
                f"print run: {run.done_count} labels + packing slips, {run.failed_count} failed, "
                f"{run.page_count} pages, {size:.1f} MB PDF in {elapsed:.1f} s "
                f"({run.done_count / max(elapsed, 1e-9):.1f} deliveries/s; "
                "target: 1,000 in <= 60 s)"
            )
            children = peak_mb(resource.RUSAGE_CHILDREN)
            say(
                f"peak memory: Odoo process {peak_mb():.0f} MB (was {rss_before:.0f} MB before the "
                f"run); largest child process {children:.0f} MB"
                + (" (wkhtmltopdf)" if children > children_before else " (the database creation)")
            )
            cr.commit()


if __name__ == "__main__":
    main()
