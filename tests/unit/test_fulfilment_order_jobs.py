"""The channel orders handed from the fetch job to the import jobs: JSON and back, in chunks."""

import json
from datetime import datetime

from ecom_channels_core.payloads import Address, RemoteOrder, RemoteOrderLine
from ecom_fulfilment_core.order_jobs import from_json, order_chunks, to_json


def order(ref, **kwargs):
    return RemoteOrder(external_ref=ref, **kwargs)


def test_order_survives_json():
    remote = order(
        "1001",
        name="#1001",
        created_at=datetime(2024, 3, 1, 10, 0, 0),
        updated_at=datetime(2024, 3, 1, 10, 5, 30, 123000),
        total=19.5,
        prices_include_tax=None,
        shipping_address=Address(name="Łukasz Żółć", city="Kraków", country_code="PL"),
        lines=[RemoteOrderLine("L1", sku="MUG", quantity=2, unit_price=9.75)],
        raw={"id": 1001, "line_items": [{"sku": "MUG"}]},
        problems=["the ship-by date does not parse"],
    )
    data = json.loads(json.dumps(to_json(remote)))
    assert from_json(RemoteOrder, data) == remote


def test_broken_date_and_unknown_keys_are_dropped():
    data = to_json(order("1002"))
    data.update(created_at="not a date", surprise="x")
    back = from_json(RemoteOrder, data)
    assert back.created_at is None
    assert back.external_ref == "1002"


def test_chunks_keep_each_order_once_in_its_last_state():
    first = order("1", status="pending")
    again = order("1", status="processing")
    orders = [first, order("2"), order(""), again, order("3")]
    chunks = order_chunks(orders, size=2)
    assert [[o.external_ref for o in chunk] for chunk in chunks] == [["2", "1"], ["3", ""]]
    assert chunks[0][1].status == "processing"
    assert order_chunks([], size=2) == []
