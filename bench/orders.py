"""Benchmark of ecom_fulfilment: channel order import from the local emulator, then one label
print run of 1,000 deliveries with their packing slips, each next to Odoo's own way.

Run by ``make bench`` (tools/ecom bench), which sets ECOM_ADDONS_PATH and ECOM_ODOO_CONF. It
creates its own database with ecom_fulfilment, starts the channel emulator in-process (real HTTP
on 127.0.0.1), seeds the orders on the emulated WooCommerce store (one customer in ten with a
Polish, Greek or Russian name) and imports them through the client, as the 5-minute job does.
Size, through environment variables:

    ECOM_BENCH_DB      database name (default ecom_bench_orders); dropped and recreated
    ECOM_BENCH_ORDERS  channel orders to import (default 2000)
    ECOM_BENCH_LABELS  deliveries in the print run (default 1000)

Measured, in the same run:

- import: our import of the channel orders, and Odoo's own one-by-one path for as many orders
  (``sale.order`` create + ``action_confirm`` of each order, with the same partners, products,
  lines and carrier; rolled back afterwards): ``RATIO import_vs_odoo`` = Odoo's time / ours;
- labels: one print run (self-printed 4x6 labels + packing slips in one PDF), and Odoo's own
  delivery slip report (``stock.action_report_delivery``, wkhtmltopdf) of the same deliveries:
  ``RATIO labels_vs_odoo`` = Odoo's time / ours. Odoo's report gives wkhtmltopdf one HTML body
  per delivery; the wkhtmltopdf of Linux distributions (without Odoo's patched Qt) fails on
  several in one call, so on such a machine Odoo's report is rendered as it works there, one
  delivery per call (the PDFs merged). It is also rendered once more in one wkhtmltopdf process
  with Odoo's bodies joined into one HTML document (``RATIO labels_vs_odoo_one_process``): a
  lower bound of Odoo's cost, as that wkhtmltopdf drops the page header and footer that the
  patched one draws on every page.

No Odoo server runs here: the report's wkhtmltopdf is pointed at an address nothing listens on
(as in the tests), so it renders without fetching the web assets from whatever serves port 8069
(Odoo's report is unstyled, and faster, here).
Targets of issue 15: import at least 3x Odoo's one-by-one path and 50 orders/s; 1,000 labels +
packing slips in at most 5 s on an idle 2-core machine and at least 10x Odoo's delivery slip
report.
Figures are printed, never judged: a benchmark does not pass or fail.
"""

import io
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
from pypdf import PdfReader

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools.pdf import merge_pdf

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.emulators import DEFAULT_CREDENTIALS, Emulator  # noqa: E402

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_orders")
ORDERS = int(os.environ.get("ECOM_BENCH_ORDERS", "2000"))
LABELS = int(os.environ.get("ECOM_BENCH_LABELS", "1000"))
PRODUCTS = 40
#: One customer in ten has a name outside Western European scripts.
NAMES = ["Łukasz Żółć", "Ελένη Παπαδοπούλου", "Дмитрий Иванов"]


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


def name(i):
    return "%s %d" % (NAMES[i // 10 % len(NAMES)], i) if i % 10 == 9 else "Buyer %d" % i


def generate(env, emulator, orders=ORDERS, product_count=PRODUCTS):
    """``product_count`` products with stock, a WooCommerce channel on the emulator, a self-printed
    carrier and its default rule; ``orders`` channel orders are seeded on the emulator."""
    uk = env.ref("base.uk")
    gbp = env.ref("base.GBP")
    gbp.active = True
    company = env.company
    # channel orders are booked only in a currency with a rate for the company
    if company.currency_id != gbp and not env["res.currency.rate"].search_count(
        [("currency_id", "=", gbp.id)]
    ):
        env["res.currency.rate"].create(
            {
                "currency_id": gbp.id,
                "company_id": company.root_id.id,
                "name": "2024-01-01",
                "rate": 1.0,
            }
        )
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
            for i in range(product_count)
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
    seed_orders(emulator, orders, product_count)
    return channel


def seed_orders(emulator, orders=ORDERS, product_count=PRODUCTS):
    """Seed ``orders`` channel orders of the ``product_count`` bench products on the emulated
    WooCommerce store."""
    app = emulator.apps["woocommerce"]
    for i in range(orders):
        app.seed_order(
            lines=[
                {"sku": "BENCH-%03d" % (i % product_count), "quantity": 1 + i % 3, "price": 12.5},
                {"sku": "BENCH-%03d" % ((i * 7 + 3) % product_count), "quantity": 1, "price": 8.0},
            ],
            customer={"name": name(i), "email": "buyer%d@example.com" % (i % 1500)},
            address={
                "name": name(i),
                "street": "%d High Street" % (i + 1),
                "city": "Bristol",
                "zip": "BS1 4DJ",
                "country_code": "GB",
            },
            shipping=3.95,
            created_at="2024-03-01T%02d:%02d:00Z" % (8 + i // 3600 % 10, i // 60 % 60),
        )


def cpu_seconds():
    """CPU time of this process and of its finished children (the print run's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def odoo_import(env, orders):
    """Odoo's own path for ``orders``' copies: create and confirm each sale order, one by one.
    Returns the seconds it took (the caller rolls it back)."""
    copies = [
        {
            "partner_id": order.partner_id.id,
            "partner_invoice_id": order.partner_invoice_id.id,
            "partner_shipping_id": order.partner_shipping_id.id,
            "warehouse_id": order.warehouse_id.id,
            "carrier_id": order.carrier_id.id,
            "client_order_ref": "ODOO-%s" % order.client_order_ref,
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": line.product_id.id,
                        "product_uom_qty": line.product_uom_qty,
                        "price_unit": line.price_unit,
                        "is_delivery": line.is_delivery,
                    },
                )
                for line in order.order_line
            ],
        }
        for order in orders
    ]
    env.flush_all()
    SaleOrder = env["sale.order"]
    started = time.perf_counter()
    for values in copies:
        SaleOrder.create(values).action_confirm()
    env.flush_all()
    return time.perf_counter() - started


def odoo_takes_several(env, picking_ids):
    """Whether this machine's wkhtmltopdf takes Odoo's report of several deliveries in one call.
    Odoo gives wkhtmltopdf one HTML body per delivery; the wkhtmltopdf of Linux distributions
    (without Odoo's patched Qt) fails on several bodies in one call."""
    try:
        env["ir.actions.report"]._render_qweb_pdf("stock.action_report_delivery", picking_ids[:2])
    except Exception:  # pylint: disable=broad-except
        return False
    return True


def odoo_delivery_slips(env, picking_ids):
    """Odoo's delivery slip report of ``picking_ids`` in one call: seconds, pages and MB."""
    started = time.perf_counter()
    pdf, _kind = env["ir.actions.report"]._render_qweb_pdf(
        "stock.action_report_delivery", picking_ids
    )
    elapsed = time.perf_counter() - started
    return elapsed, len(PdfReader(io.BytesIO(pdf)).pages), len(pdf) / 1024.0 / 1024.0


def odoo_delivery_slips_per_call(env, picking_ids):
    """Odoo's delivery slip report one delivery per call (the way a user of a distribution's
    wkhtmltopdf has to print them), the PDFs merged: seconds, pages and MB."""
    Report = env["ir.actions.report"]
    started = time.perf_counter()
    documents = [
        Report._render_qweb_pdf("stock.action_report_delivery", [picking_id])[0]
        for picking_id in picking_ids
    ]
    pdf = merge_pdf(documents)
    elapsed = time.perf_counter() - started
    return elapsed, len(PdfReader(io.BytesIO(pdf)).pages), len(pdf) / 1024.0 / 1024.0


def join_bodies(bodies):
    """One HTML document of Odoo's report bodies (one per delivery), a page break between two."""
    document = lxml.html.fromstring(bodies[0])
    body = document.find("body")
    for html in bodies[1:]:
        body.append(lxml.html.fromstring('<div style="page-break-before: always;"></div>'))
        for node in lxml.html.fromstring(html).find("body"):
            body.append(node)
    return lxml.html.tostring(document, encoding="unicode")


def odoo_delivery_slips_one_process(env, picking_ids):
    """Odoo's delivery slip report of ``picking_ids`` as Odoo prints it (the QWeb HTML of all
    the deliveries, ``_prepare_html``, one ``_run_wkhtmltopdf`` with the report's paper format
    and header), with the one change this machine's wkhtmltopdf needs to take them in one call:
    Odoo's bodies (one per delivery) joined into one HTML document, a page break between two.
    That is what Odoo's report costs with the wkhtmltopdf Odoo recommends, which takes them as
    they are. Returns seconds, pages and MB."""
    ref = "stock.action_report_delivery"
    Report = env["ir.actions.report"].with_context(debug=False)
    report = Report._get_report(ref)
    started = time.perf_counter()
    html = Report._render_qweb_html(ref, picking_ids, data={"debug": False})[0]
    bodies, _ids, header, footer, paper_args = report.sudo()._prepare_html(
        html, report_model=report.model
    )
    pdf = Report._run_wkhtmltopdf(
        [join_bodies(bodies)],
        report_ref=ref,
        header=header,
        footer=footer,
        specific_paperformat_args=paper_args,
    )
    elapsed = time.perf_counter() - started
    return elapsed, len(PdfReader(io.BytesIO(pdf)).pages), len(pdf) / 1024.0 / 1024.0


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
            # wkhtmltopdf (Odoo's report) fetches no assets from a server that is not ours
            env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
            cr.commit()
        say(f"{ORDERS} orders seeded on the emulated WooCommerce store ({emulator.base_url})")

        # 1. import, as the 5-minute job does (one transaction, like one cron run)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            queries = cr.sql_log_count
            started = time.perf_counter()
            result = env["ecom.channel"].browse(channel_id)._import_orders()
            env.flush_all()
            ours = time.perf_counter() - started
            cr.commit()
            created = result["created"]
            say(
                f"import: {len(created)} orders created ({len(result['attention'])} need "
                f"attention, {len(result['failed'])} failed) in {ours:.1f} s, "
                f"{cr.sql_log_count - queries} queries"
            )
            rate = len(created) / max(ours, 1e-9)
            say(f"import rate: {rate:.1f} orders/s (target: >= 50 on an idle machine)")
            order_ids = created.ids

        # 2. Odoo's own path for as many orders: create + confirm one by one (rolled back)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            theirs = odoo_import(env, env["sale.order"].browse(order_ids))
            cr.rollback()
        say(
            f"Odoo one by one (create + action_confirm): {len(order_ids)} orders in "
            f"{theirs:.1f} s ({len(order_ids) / max(theirs, 1e-9):.1f} orders/s)"
        )

        # 3. one print run of LABELS deliveries, labels + packing slips in one PDF
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            pickings = env["stock.picking"].search(
                [("picking_type_code", "=", "outgoing"), ("state", "=", "assigned")],
                limit=LABELS,
                order="id",
            )
            env.invalidate_all()
            rss_before = peak_mb()
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            run = env["ecom.label.batch"]._create_for_pickings(pickings, include_packing_slips=True)
            run._run()
            env.flush_all()
            label_time = time.perf_counter() - started
            cpu_after = cpu_seconds()
            size = len(run.document_id.raw or b"") / 1024.0 / 1024.0
            say(
                f"print run: {run.done_count} labels + packing slips, {run.failed_count} failed, "
                f"{run.page_count} pages, {size:.1f} MB PDF in {label_time:.2f} s "
                f"({run.done_count / max(label_time, 1e-9):.0f} deliveries/s, "
                f"{run.page_count / max(label_time, 1e-9):.0f} pages/s; "
                "target: 1,000 in <= 5 s)"
            )
            say(
                f"print run CPU: {cpu_after[0] - cpu_before[0]:.2f} s in Odoo's process, "
                f"{cpu_after[1] - cpu_before[1]:.2f} s in its worker processes; load average "
                "then: %.2f %.2f %.2f" % os.getloadavg()
            )
            say(
                f"peak memory: Odoo process {peak_mb():.0f} MB (was {rss_before:.0f} MB before the "
                f"run); largest child process {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB"
            )
            cr.commit()
            picking_ids = run.line_ids.filtered(lambda line: line.state == "done").picking_id.ids

        # 4. Odoo's own delivery slips of the same deliveries
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            n = len(picking_ids)
            joined_time = None
            if odoo_takes_several(env, picking_ids):
                report_time, pages, size = odoo_delivery_slips(env, picking_ids)
                how = "one call"
            else:
                say(
                    "this wkhtmltopdf (without Odoo's patched Qt) takes one delivery per call: "
                    "Odoo's report is rendered as it runs here, one delivery per call"
                )
                report_time, pages, size = odoo_delivery_slips_per_call(env, picking_ids)
                how = "one delivery per call"
                joined_time, joined_pages, joined_size = odoo_delivery_slips_one_process(
                    env, picking_ids
                )
                say(
                    "Odoo's delivery slips in one wkhtmltopdf process, its bodies joined (a lower "
                    "bound: no page header or footer, which this wkhtmltopdf ignores): "
                    f"{n} deliveries, {joined_pages} pages, {joined_size:.1f} MB PDF in "
                    f"{joined_time:.1f} s"
                )
            say(
                f"Odoo's delivery slips (stock.action_report_delivery, {how}): "
                f"{n} deliveries, {pages} pages, {size:.1f} MB PDF in "
                f"{report_time:.1f} s ({n / max(report_time, 1e-9):.1f} "
                f"deliveries/s, {pages / max(report_time, 1e-9):.1f} pages/s)"
            )
            cr.rollback()
    load = os.getloadavg()
    say("load average at the end: %.2f %.2f %.2f" % load)
    print("RATIO import_vs_odoo=%.2f" % (theirs / max(ours, 1e-9)), flush=True)
    print("RATIO labels_vs_odoo=%.2f" % (report_time / max(label_time, 1e-9)), flush=True)
    if joined_time is not None:
        print(
            "RATIO labels_vs_odoo_one_process=%.2f" % (joined_time / max(label_time, 1e-9)),
            flush=True,
        )


if __name__ == "__main__":
    main()
