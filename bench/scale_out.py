"""Benchmark of the job engine: the same channel orders imported by 1 and by 2 job workers (and
more where the machine has the cores), then the quota-aware stock push (bench/_scale_out_stock.py).

Run by ``make bench BENCH=scale_out`` (tools/ecom bench), which sets ECOM_ADDONS_PATH and
ECOM_ODOO_CONF. It creates its own database with ecom_fulfilment (and queue_job), starts the
channel emulator in-process (real HTTP on 127.0.0.1) and seeds the orders on its WooCommerce
store, the same way as bench/orders.py. Then, for each number of job workers N, it creates a
new channel on that store (so that each run imports the same orders from scratch), starts a
real Odoo server on the database with ``--workers=N --max-cron-threads=0`` and the queue_job
runner (``ODOO_QUEUE_JOB_CHANNELS`` from ``ecom_channels_core.jobs.runner_channels(N)``),
queues the channel's order import as the 5-minute cron does (one fetch job, which queues one
import job per chunk of orders in ``root.ecom.local``) and waits until every job is done. The
time is the database's: from the fetch job's creation to the last job's end. Each run checks
that every order is there exactly once, that no job failed and no order failed, and counts
the jobs that PostgreSQL made run again (concurrent updates).

    ECOM_BENCH_DB        database name (default ecom_bench_scale_out); dropped and recreated
    ECOM_BENCH_REUSE     1: reuse the database of an earlier run (its products, carrier and rule)
    ECOM_BENCH_ORDERS    channel orders to import (default 2000)
    ECOM_BENCH_PRODUCTS  products the orders are spread over (default 40, as bench/orders.py)
    ECOM_BENCH_LISTINGS  listings of the stock push under a quota (default 20000)
    ECOM_BENCH_QUOTA_ITEMS  items the emulated eBay accepts before its quota answer (default 400)
    ECOM_BENCH_WORKERS   job worker counts to run, comma-separated (default: 1,2 and the core
                         count when there are more cores)

Printed: orders/s for each worker count and ``RATIO scale_out_2_vs_1`` (and
``RATIO scale_out_<N>_vs_1``). Target of issue 14: at least 1.6 on a 2-core machine, with every
order exactly once. The machine's load average is printed with each run: other processes on
the same cores lower the ratio; after each run with several workers the bench prints how much
faster the machine runs as many CPU-bound Python processes as one at that moment, which is the
ceiling of the ratio then. Figures are printed, never judged.
"""

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

from _odoo import odoo_run  # noqa: E402
from orders import generate, seed_orders  # noqa: E402

from tests.emulators import DEFAULT_CREDENTIALS, Emulator  # noqa: E402

DB = os.environ.get("ECOM_BENCH_DB", "ecom_bench_scale_out")
ORDERS = int(os.environ.get("ECOM_BENCH_ORDERS", "2000"))
PRODUCTS = int(os.environ.get("ECOM_BENCH_PRODUCTS", "40"))
STOCK_LISTINGS = int(os.environ.get("ECOM_BENCH_LISTINGS", "20000"))
STOCK_QUOTA = int(os.environ.get("ECOM_BENCH_QUOTA_ITEMS", "400"))
CORES = os.cpu_count() or 1
WORKERS = [
    int(n)
    for n in os.environ.get(
        "ECOM_BENCH_WORKERS", ",".join(map(str, sorted({1, 2, max(CORES, 2)})))
    ).split(",")
    if n.strip()
]
#: Longest wait for one import run (seconds).
RUN_TIMEOUT = float(os.environ.get("ECOM_BENCH_TIMEOUT", "3600"))
REUSE = os.environ.get("ECOM_BENCH_REUSE") == "1"
TEMPLATE = "Bench WooCommerce"
#: Given to the bench's Odoo server only (PYTHONPATH). The prefork server always starts a gevent
#: (websocket) worker; in a virtualenv whose pkg_resources cannot resolve gevent's own
#: requirements (zope.interface 8 with an older setuptools) that worker dies while patching and
#: is started again every second, which burns the CPU this benchmark measures. The benchmark
#: uses no websocket, so gevent's optional plugins are skipped there.
GEVENT_WORKAROUND = """\
try:
    import gevent.events as _events
    import pkg_resources as _pkg

    _pkg.require("zope.interface")
except ImportError:
    pass
except Exception:  # pkg_resources cannot resolve them: skip gevent's optional plugins
    _events.notify_and_call_entry_points = _events.notify
"""


def say(message):
    print(f"[bench scale_out] {message}", flush=True)


def _burn(rounds):
    total = 0
    for i in range(rounds):
        total += i * i
    return total


def cpu_scaling(workers, rounds=10_000_000):
    """How much faster this machine runs ``workers`` CPU-bound Python processes than one, now
    (other processes share the cores): the ceiling of any job-worker ratio measured here."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # started
        started = time.perf_counter()
        pool.map(_burn, [rounds])
        one = time.perf_counter() - started
        started = time.perf_counter()
        pool.map(_burn, [rounds] * workers, chunksize=1)
        many = time.perf_counter() - started
    return workers * one / max(many, 1e-9)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """A real Odoo server on the bench database: ``workers`` HTTP workers, no cron thread,
    the queue_job runner dispatching to them with ``channels``; stopped on exit."""

    def __init__(self, addons_path, conf, workers, channels, log):
        self.port = free_port()
        odoo_bin = Path(sys.executable).parent / "odoo"
        self.command = [
            str(odoo_bin),
            "-c",
            conf,
            f"--addons-path={addons_path}",
            f"--database={DB}",  # the runner serves this database only
            f"--db-filter=^{DB}$",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--log-level=warn",
            f"--logfile={log}",
        ]
        site = Path(log).parent / "bench-scale-out-site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(GEVENT_WORKAROUND)
        self.env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
            ODOO_QUEUE_JOB_CHANNELS=channels,
            ODOO_QUEUE_JOB_PORT=str(self.port),
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
        )
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 180
        url = f"http://127.0.0.1:{self.port}/web/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Odoo server stopped (exit {self.process.returncode})")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        time.sleep(2.0)  # the job runner starts with the server
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the Odoo server did not answer within 3 minutes")

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # graceful: workers finish their request
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return False


def new_channel(registry, template_id, workers):
    """A channel on the same emulated store as ``template_id``: it imports the same orders."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        template = env["ecom.channel"].browse(template_id)
        credentials = DEFAULT_CREDENTIALS["woocommerce"]
        channel = env["ecom.channel"].create(
            {
                "name": "%s, %d job workers, %s"
                % (TEMPLATE, workers, time.strftime("%Y-%m-%d %H:%M:%S")),
                "channel_type": "woocommerce",
                "api_base_url": template.api_base_url,
                "api_key": credentials["api_key"],
                "api_secret": credentials["api_secret"],
                "currency_id": template.currency_id.id,
                "warehouse_id": template.warehouse_id.id,
                "rate_limit": template.rate_limit,
            }
        )
        cr.commit()
        return channel.id


def queue_import(registry, channel_id):
    """Queue the channel's order import as the cron does; return the fetch job's uuid."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        channel = env["ecom.channel"].browse(channel_id)
        job = channel._ecom_delay()._ecom_job_fetch_orders()
        cr.commit()
        return job.uuid


def job_states(cr, since_id):
    cr.execute(
        "SELECT state, count(*), sum(CASE WHEN retry > 1 THEN 1 ELSE 0 END) "
        "FROM queue_job WHERE id > %s GROUP BY state",
        [since_id],
    )
    return {state: (count, retried) for state, count, retried in cr.fetchall()}


def wait_for_jobs(registry, since_id):
    """Wait until no job created after ``since_id`` waits or runs; return their states."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        with registry.cursor() as cr:
            states = job_states(cr, since_id)
        busy = sum(
            count
            for state, (count, __) in states.items()
            if state in ("wait_dependencies", "pending", "enqueued", "started")
        )
        if states and not busy:
            return states
        time.sleep(0.5)
    raise RuntimeError("the jobs did not finish within %d s: %s" % (RUN_TIMEOUT, states))


def check_run(registry, channel_id, since_id):
    """The run's figures from the database: seconds from the fetch job's creation to the last
    job's end, the orders (all, distinct), failures and jobs run again."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT extract(epoch FROM max(date_done) - min(date_created)), count(*) "
            "FROM queue_job WHERE id > %s",
            [since_id],
        )
        seconds, jobs = cr.fetchone()
        cr.execute(
            "SELECT count(*), count(DISTINCT ecom_external_ref), "
            "count(*) FILTER (WHERE state = 'sale'), "
            "count(*) FILTER (WHERE ecom_needs_attention) "
            "FROM sale_order WHERE ecom_channel_id = %s",
            [channel_id],
        )
        orders, distinct, confirmed, attention = cr.fetchone()
        cr.execute("SELECT count(*) FROM ecom_order_failure WHERE channel_id = %s", [channel_id])
        (failures,) = cr.fetchone()
        states = job_states(cr, since_id)
    return {
        "seconds": float(seconds or 0.0),
        "jobs": jobs,
        "orders": orders,
        "distinct": distinct,
        "confirmed": confirmed,
        "attention": attention,
        "failures": failures,
        "failed_jobs": states.get("failed", (0, 0))[0],
        "retried_jobs": sum(retried or 0 for __, retried in states.values()),
    }


def last_job_id(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
        return cr.fetchone()[0]


def run_stock_part(registry, emulator):
    """The quota-aware stock push (bench/_scale_out_stock.py, the stock side of issue 14): how
    many of the listings nearest to selling out go in the first batch under a channel's quota,
    next to what the oldest-first order would have sent."""
    from _scale_out_stock import run_stock_priority  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        result = run_stock_priority(
            env, emulator, listings=STOCK_LISTINGS, quota_items=STOCK_QUOTA, nearest=100, say=say
        )
    say(
        f"stock push under a quota: {result['listings']} listings changed on the emulated eBay, "
        f"a quota of {result['quota_items']} items; first batch {result['first_batch']} "
        f"quantities; {result['nearest_first']} of the {result['nearest']} listings nearest to "
        f"selling out went first (oldest first: {result['fifo_nearest_first']}); ordering by "
        f"risk {result['claim_seconds']:.2f} s, the job run {result['push_seconds']:.1f} s"
    )
    print(
        f"RATIO nearest_first_vs_fifo={result['nearest_first']}/{result['fifo_nearest_first']}",
        flush=True,
    )


def main():
    addons_path = os.environ["ECOM_ADDONS_PATH"]
    conf = os.environ["ECOM_ODOO_CONF"]
    if REUSE:
        say(f"reusing database {DB}")
    else:
        subprocess.run(["dropdb", "--if-exists", DB], check=True)
        say(f"creating database {DB} with ecom_fulfilment (and queue_job)")
        odoo_run(addons_path, conf, DB, "--init=ecom_fulfilment")
    odoo.tools.config.parse_config(
        ["-c", conf, f"--addons-path={addons_path}", f"--database={DB}", "--log-level=warn"]
    )
    # importable once the addons path is configured
    from odoo.addons.ecom_channels.ecom_channels_core.jobs import (  # noqa: PLC0415
        runner_channels,
    )

    registry = odoo.modules.registry.Registry(DB)
    log_dir = ROOT / ".run" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    rates = {}
    with Emulator() as emulator:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Channel = env["ecom.channel"].with_context(active_test=False)
            template = Channel.search([("name", "=", TEMPLATE)], limit=1) if REUSE else None
            if template:
                seed_orders(emulator, orders=ORDERS, product_count=PRODUCTS)
            else:
                template = generate(env, emulator, orders=ORDERS, product_count=PRODUCTS)
            # a new channel on the same store for each run (the same orders each time)
            template.write({"active": False, "api_base_url": emulator.url("woocommerce")})
            template_id = template.id
            cr.commit()
        say(
            f"{ORDERS} orders over {PRODUCTS} products seeded on the emulated WooCommerce store; "
            f"{CORES} cores; job workers: {', '.join(map(str, WORKERS))}"
        )
        for workers in WORKERS:
            channel_id = new_channel(registry, template_id, workers)
            channels = runner_channels(workers)
            log = log_dir / f"bench-scale-out-{workers}.log"
            with OdooServer(addons_path, conf, workers, channels, log):
                since = last_job_id(registry)
                load_before = os.getloadavg()[0]
                queue_import(registry, channel_id)
                wait_for_jobs(registry, since)
            figures = check_run(registry, channel_id, since)
            ceiling = cpu_scaling(workers) if workers > 1 else 1.0
            rate = figures["orders"] / max(figures["seconds"], 1e-9)
            rates[workers] = rate
            exact = figures["orders"] == figures["distinct"] == ORDERS
            say(
                f"{workers} job worker(s): {figures['orders']} orders ({figures['distinct']} "
                f"distinct, {figures['confirmed']} confirmed, {figures['attention']} need "
                f"attention) in {figures['seconds']:.1f} s = {rate:.1f} orders/s; "
                f"{figures['jobs']} jobs, {figures['failed_jobs']} failed, "
                f"{figures['retried_jobs']} run again, {figures['failures']} failed orders; "
                f"every order exactly once: {'yes' if exact else 'NO'}; load average "
                f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after (log: {log})"
            )
            if workers > 1:
                say(
                    f"this machine runs {workers} CPU-bound Python processes {ceiling:.2f}x as "
                    f"fast as one right now (the ceiling of the ratio under its current load)"
                )
        base = rates.get(1)
        if base:
            for workers, rate in sorted(rates.items()):
                if workers > 1:
                    print(f"RATIO scale_out_{workers}_vs_1={rate / base:.2f}", flush=True)
        run_stock_part(registry, emulator)


if __name__ == "__main__":
    main()
