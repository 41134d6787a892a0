"""Warehouse demo data (ecom_warehouse), run by tools/demo_data.py's DemoGenerator after the
retailer exists: ``generate(gen)`` receives the generator (gen.env, gen.today, gen.bins, gen.home,
gen.products, gen.rng...).

It gives the demo users their warehouse groups, classifies products and bins (ABC), receives the
oldest open purchase order on the receive screen's methods with one line short (a discrepancy
report and a backorder), puts today's orders in a batch to pick, and leaves one blind count with
a variance waiting for the manager. Nothing happens when ecom_warehouse is not installed."""

import logging

from freezegun import freeze_time

_logger = logging.getLogger("ecom.demo.warehouse")


def _groups(gen):
    env = gen.env
    users = env["res.users"].search([("login", "in", ("warehouse", "backoffice"))])
    for user in users:
        xmlid = (
            "ecom_warehouse.ecom_warehouse_group_manager"
            if user.login == "backoffice"
            else "ecom_warehouse.ecom_warehouse_group_user"
        )
        user.groups_id = [(4, env.ref(xmlid).id)]


def _receive_one(gen):
    """The oldest open receipt, received bin by bin with its first line one unit short."""
    env = gen.env
    picking = env["stock.picking"].search(
        [
            ("picking_type_code", "=", "incoming"),
            ("state", "=", "assigned"),
            ("purchase_id", "!=", False),
        ],
        order="scheduled_date, id",
        limit=1,
    )
    if not picking:
        return None
    short_done = False
    for product, (expected, _received, _moves) in picking._ecom_receipt_lines().items():
        qty = expected
        if not short_done and expected > 1:
            qty, short_done = expected - 1, True
        home = product._ecom_home_location(picking.location_dest_id)
        picking.ecom_wh_receive_put(
            product.id, qty, home.barcode or home.complete_name, confirmed=True
        )
    picking.ecom_wh_receive_validate()
    return picking


def _batch(gen):
    env = gen.env
    pickings = env["stock.picking"].search(
        [
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "assigned"),
            ("batch_id", "=", False),
        ],
        order="id",
        limit=20,
    )
    if not pickings:
        return None
    return env["stock.picking.batch"].create(
        {"picking_ids": [(6, 0, pickings.ids)], "description": "Morning wave"}
    )


def _count(gen):
    """A count of the first stocked bin in walking order, one unit missing."""
    env = gen.env
    quants = env["stock.quant"].search(
        [("location_id", "in", gen.bins.ids), ("quantity", ">", 1)], limit=50
    )
    if not quants:
        return None
    location = quants.location_id._ecom_route_sorted()[0]
    res = env["ecom.warehouse.count"].ecom_wh_count_start(location.barcode)
    count = env["ecom.warehouse.count"].browse(res["state"]["id"])
    expected_map = count.line_ids._ecom_expected_map()
    for index, line in enumerate(count.line_ids):
        expected = expected_map[line._ecom_key()][0]
        count.ecom_wh_count_set(line.id, max(expected - 1, 0) if index == 0 else expected)
    count.action_submit()
    return count


def generate(gen):
    env = gen.env
    if "ecom.warehouse.count" not in env:
        _logger.info("ecom_warehouse is not installed: no warehouse demo data")
        return False
    _groups(gen)
    with freeze_time(gen._at(0, 7)):
        env["stock.location"]._cron_ecom_count_schedule()
    with freeze_time(gen._at(0, 9)):
        receipt = _receive_one(gen)
    with freeze_time(gen._at(0, 10)):
        batch = _batch(gen)
    with freeze_time(gen._at(0, 11)):
        count = _count(gen)
    gen.counts["warehouse_receipts"] = 1 if receipt else 0
    gen.counts["warehouse_batch_orders"] = len(batch.picking_ids) if batch else 0
    gen.counts["warehouse_counts"] = 1 if count else 0
    return True
