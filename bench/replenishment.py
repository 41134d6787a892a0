"""Benchmark of ecom_replenishment: recompute of every reordering rule from sales history,
next to Odoo's own replenishment report (``action_open_orderpoints``) on the same database.

Run by ``make bench`` (tools/ecom bench), which sets ECOM_ADDONS_PATH and ECOM_ODOO_CONF.
It creates its own database and fills it with SQL bulk inserts (rows cloned from one product
and one receipt and one delivery made through the ORM), then lets the nightly job create the
reordering rules once. Size and reuse, through environment variables:

    ECOM_BENCH_DB         database name (default ecom_bench_repl)
    ECOM_BENCH_PRODUCTS   products (default 5000; the issue's full size is 20000)
    ECOM_BENCH_DAYS       days of history (default 365)
    ECOM_BENCH_SALE_RATE  mean probability that a product sells on a day (default 0.4)
    ECOM_BENCH_REUSE      1: reuse the database when it was already built (its addon is updated
                          first); otherwise it is dropped and built again

The measured steps run in transactions that are rolled back, so a reused database gives the same
figures run after run; each prints its wall time, queries, CPU time of the Odoo process and of its
PostgreSQL backend (parallel workers not counted) and the load average, since the machine may be
shared. The last line is ``RATIO recompute_vs_odoo=<x>``: the time of Odoo's replenishment report
(``action_open_orderpoints``) over the time of the full recompute, on the same database.

The defaults finish in a few minutes (about 0.7 million deliveries). At full size
(ECOM_BENCH_PRODUCTS=20000: 2.6 million deliveries, 3.2 million done move lines) the data take
about 4 minutes and the first nightly run, which creates the 19,723 rules, about 2 minutes. Measured
on 2 cores, load average about 1 (2026-11-30): full recompute 4.7 s and 50 queries (CPU: Odoo
3.0 s, PostgreSQL 1.6 s), Odoo's replenishment report 70.2 s and 46,085 queries, RATIO 14.8; the
previous recompute (ORM writes per rule) took 12.8 s on the same database. Figures are printed,
never judged: a benchmark does not pass or fail.
"""

import os
import time
from datetime import timedelta

from _odoo import create_database as _create_database
from _odoo import marker_value
from psycopg2 import sql

import odoo
from odoo import SUPERUSER_ID, Command, api, fields

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_repl")
PRODUCTS = int(os.environ.get("ECOM_BENCH_PRODUCTS", "5000"))
DAYS = int(os.environ.get("ECOM_BENCH_DAYS", "365"))
SALE_RATE = float(os.environ.get("ECOM_BENCH_SALE_RATE", "0.4"))
REUSE = os.environ.get("ECOM_BENCH_REUSE") == "1"
MARKER = "ecom_bench.replenishment"
VENDORS = 50
CATEGORIES = 30
RESTOCK_DAYS = 14


def say(message):
    print(f"[bench replenishment] {message}", flush=True)


def built():
    """The database exists and its data were generated to the end."""
    return marker_value(DB, MARKER) == f"{PRODUCTS}x{DAYS}"


def create_database(addons_path, conf):
    modules = ["ecom_replenishment"]
    return _create_database(addons_path, conf, DB, modules, REUSE and built(), say)


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, template_id, source, overrides, where="TRUE", params=()):
    """INSERT INTO table SELECT <the template row's columns, some overridden> FROM table t, source
    WHERE where: one row per row of ``source`` matching ``where``.

    ``source``, ``where`` and the ``overrides`` are SQL written in this file; values go in
    ``params`` (in the order of their placeholders in source, then where).
    """
    names = columns(cr, table)
    exprs = [
        sql.SQL(overrides[name])
        if name in overrides
        else sql.SQL("t.{}").format(sql.Identifier(name))
        for name in names
    ]
    query = sql.SQL(
        "INSERT INTO {table} ({cols}) SELECT {exprs} FROM {table} t, {source}"
        " WHERE ({where}) AND t.id = %s"
    ).format(
        table=sql.Identifier(table),
        cols=sql.SQL(", ").join(map(sql.Identifier, names)),
        exprs=sql.SQL(", ").join(exprs),
        source=sql.SQL(source),
        where=sql.SQL(where),
    )
    cr.execute(query, [*params, template_id])
    return cr.rowcount


def generate(env):
    cr = env.cr
    company = env.company
    company.partner_id.tz = "Europe/Brussels"
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    stock = warehouse.lot_stock_id
    customers = env.ref("stock.stock_location_customers")
    suppliers = env.ref("stock.stock_location_suppliers")
    buy = env.ref("purchase_stock.route_warehouse0_buy")
    vendors = env["res.partner"].create(
        [
            {"name": f"Bench vendor {i}", "ecom_order_interval_days": 7 + i % 3 * 7}
            for i in range(VENDORS)
        ]
    )
    categories = env["product.category"].create(
        [{"name": f"Bench category {i}"} for i in range(CATEGORIES)]
    )
    product = env["product.product"].create(
        {
            "name": "Bench 0",
            "is_storable": True,
            "categ_id": categories[0].id,
            "route_ids": [Command.link(buy.id)],
            "seller_ids": [Command.create({"partner_id": vendors[0].id, "delay": 5})],
        }
    )
    moves = env["stock.move"]
    for src, dest in ((suppliers, stock), (stock, customers)):
        move = env["stock.move"].create(
            {
                "name": "Bench",
                "product_id": product.id,
                "product_uom_qty": 1,
                "product_uom": product.uom_id.id,
                "location_id": src.id,
                "location_dest_id": dest.id,
            }
        )
        move._action_confirm()
        move.quantity = 1
        move.picked = True
        move._action_done()
        moves |= move
    env.flush_all()
    receipt, delivery = moves
    template = product.product_tmpl_id

    # bulk load: no foreign-key triggers for this transaction (the rows are clones of valid ones)
    cr.execute("SET LOCAL session_replication_role = replica")
    say(f"cloning {PRODUCTS - 1} products")
    cr.execute(
        "CREATE TEMP TABLE bench_category AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id"
        " FROM product_category WHERE id = ANY(%s)",
        [categories.ids],
    )
    cr.execute(
        "CREATE TEMP TABLE bench_vendor AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id"
        " FROM res_partner WHERE id = ANY(%s)",
        [vendors.ids],
    )
    clone(
        cr,
        "product_template",
        template.id,
        "generate_series(1, %s) g JOIN bench_category c ON c.k = g %% " + str(CATEGORIES),
        {"name": "jsonb_build_object('en_US', 'Bench ' || g)", "categ_id": "c.id"},
        params=[PRODUCTS - 1],
    )
    clone(
        cr,
        "product_product",
        product.id,
        "product_template pt",
        {"product_tmpl_id": "pt.id"},
        where="pt.id > %s",
        params=[template.id],
    )
    clone(
        cr,
        "product_supplierinfo",
        product.seller_ids.id,
        "product_template pt JOIN bench_vendor v ON v.k = pt.id %% " + str(VENDORS),
        {"product_tmpl_id": "pt.id", "partner_id": "v.id", "delay": "2 + pt.id %% 12"},
        where="pt.id > %s",
        params=[template.id],
    )
    cr.execute(
        "INSERT INTO stock_route_product (product_id, route_id)"
        " SELECT pt.id, %s FROM product_template pt WHERE pt.id > %s",
        [buy.id, template.id],
    )

    say(f"generating {DAYS} days of receipts and deliveries")
    now = fields.Datetime.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    # rate per product: one in ten is a slow mover
    cr.execute(
        """
        CREATE TEMP TABLE bench_rate AS
        SELECT pp.id AS product_id,
               CASE WHEN pp.id %% 10 = 0 THEN 0.02 ELSE %s * (0.5 + (pp.id %% 7) / 6.0) END AS rate
          FROM product_product pp
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE pt.id >= %s
        """,
        [SALE_RATE, template.id],
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_flow AS
        SELECT r.product_id, 'out' AS kind, 1 + floor(random() * 4) AS qty,
               %(start)s::timestamp + d * interval '1 day' + random() * interval '14 hours'
                 + interval '6 hours' AS date
          FROM bench_rate r, generate_series(0, %(days)s - 1) d
         WHERE random() < r.rate + 0 * d  -- per product and day, not once per product
        UNION ALL
        SELECT r.product_id, 'in', ceil(r.rate * 2.5 * %(every)s * (0.6 + random() * 0.6)),
               %(start)s::timestamp + d * interval '1 day' + interval '5 hours'
          FROM bench_rate r, generate_series(0, %(days)s - 1, %(every)s) d
        """,
        {"start": start, "days": DAYS, "every": RESTOCK_DAYS},
    )
    cr.execute("SELECT kind, COUNT(*) FROM bench_flow GROUP BY kind")
    counts = dict(cr.fetchall())
    say(f"{counts.get('out', 0)} deliveries, {counts.get('in', 0)} receipts")
    for kind, template_move in (("in", receipt), ("out", delivery)):
        cr.execute("SELECT MAX(id) FROM stock_move")
        (last_move,) = cr.fetchone()
        clone(
            cr,
            "stock_move",
            template_move.id,
            "bench_flow f",
            {
                "product_id": "f.product_id",
                "date": "f.date",
                "product_uom_qty": "f.qty",
                "product_qty": "f.qty",
                "quantity": "f.qty",
            },
            where="f.kind = %s",
            params=[kind],
        )
        clone(
            cr,
            "stock_move_line",
            template_move.move_line_ids.id,
            "stock_move m",
            {
                "move_id": "m.id",
                "product_id": "m.product_id",
                "date": "m.date",
                "quantity": "m.quantity",
                "quantity_product_uom": "m.quantity",
            },
            where="m.id > %s",
            params=[last_move],
        )
    cr.execute(
        """
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity,
                                 in_date, create_uid, write_uid, create_date, write_date)
        SELECT f.product_id, %s, %s, SUM(CASE WHEN f.kind = 'in' THEN f.qty ELSE -f.qty END), 0,
               MIN(f.date), 1, 1, now(), now()
          FROM bench_flow f
         GROUP BY f.product_id
        """,
        [stock.id, company.id],
    )
    cr.execute("SET LOCAL session_replication_role = DEFAULT")
    cr.execute("ANALYZE")
    env.invalidate_all()


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def backend_cpu(cr):
    """CPU seconds used so far by the PostgreSQL backend of ``cr`` (None when it cannot be read:
    another host, or no /proc). Its parallel workers are not counted."""
    cr.execute("SELECT pg_backend_pid()")
    (pid,) = cr.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields_ = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")


def main():
    addons_path = os.environ["ECOM_ADDONS_PATH"]
    conf = os.environ["ECOM_ODOO_CONF"]
    fresh = create_database(addons_path, conf)

    odoo.tools.config.parse_config(
        ["-c", conf, f"--addons-path={addons_path}", f"--database={DB}", "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(DB)

    def timed(label, function, keep=False):
        """Run ``function`` in a transaction, committed only when ``keep``."""
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            queries = cr.sql_log_count
            backend = backend_cpu(cr)
            cpu = time.process_time()
            started = time.perf_counter()
            result = function(env)
            env.flush_all()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            if backend is not None:
                backend = f", PostgreSQL backend {backend_cpu(cr) - backend:.1f} s"
            say(
                f"{label}: {elapsed:.1f} s, {cr.sql_log_count - queries} queries"
                f" (CPU: Odoo {cpu:.1f} s{backend or ''}; load average {load_average()})"
            )
            if not keep:
                cr.rollback()
        return elapsed, result

    if fresh:
        started = time.perf_counter()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            generate(env)
            env["ir.config_parameter"].set_param(MARKER, f"{PRODUCTS}x{DAYS}")
        say(f"data generated in {time.perf_counter() - started:.0f} s")
    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*) FROM stock_warehouse_orderpoint")
        (rules,) = cr.fetchone()
    if not rules:
        timed(
            "first run of the cron (creates the missing rules, then recomputes)",
            lambda env: env["stock.warehouse.orderpoint"]._cron_ecom_recompute(),
            keep=True,
        )

    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*) FROM stock_move_line")
        (lines,) = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM product_product")
        (products,) = cr.fetchone()
    say(f"{products} products, {lines} done move lines over {DAYS} days")

    def recompute_all(env):
        rules = env["stock.warehouse.orderpoint"].search([])
        rules.action_ecom_recompute()
        return len(rules)

    recompute, count = timed("full recompute of every rule (action_ecom_recompute)", recompute_all)
    report, _ = timed(
        "Odoo's replenishment report (action_open_orderpoints)",
        lambda env: env["stock.warehouse.orderpoint"].action_open_orderpoints(),
    )
    say(
        f"{count} rules recomputed in {recompute:.1f} s"
        f" ({count / max(recompute, 1e-9):.0f} rules/s; target: at most 5 s)"
    )
    print(f"RATIO recompute_vs_odoo={report / max(recompute, 1e-9):.2f}", flush=True)


if __name__ == "__main__":
    main()
