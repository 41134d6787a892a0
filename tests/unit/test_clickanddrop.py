"""Royal Mail Click & Drop client against the emulator over real HTTP (API v1), and the
emulator's checks against the published Swagger file."""

import io
from datetime import datetime

import pytest
import requests
from ecom_channels_core.http import HttpTransport, RetryPolicy
from ecom_fulfilment_core.clickanddrop import ClickAndDropClient, encode_identifiers
from ecom_fulfilment_core.parcels import CarrierError, ContentLine, Parcel, Party, ShipmentRequest
from pypdf import PdfReader

from tests.emulators import DEFAULT_CREDENTIALS
from tests.emulators.clickanddrop import parse_identifiers, render_pdf
from tests.emulators.specs import clickanddrop_errors, clickanddrop_spec

KEY = DEFAULT_CREDENTIALS["clickanddrop"]["api_key"]
SENDER = Party(name="Northwind Outdoor", street="1 Dock Road", city="Leeds", zip="LS1 4AP",
               country_code="GB")  # fmt: skip


def make_client(emu, fake_time, key=KEY, attempts=4):
    transport = HttpTransport(
        emu.url("clickanddrop"),
        channel="Click & Drop",
        secrets=(key,),
        timeout=(2.0, 5.0),
        retry=RetryPolicy(max_attempts=attempts, base=0.5),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        headers={"Authorization": "Bearer %s" % key, "Accept": "application/json"},
    )
    return ClickAndDropClient(transport, attempts=attempts)


def request(i, parcels=1, **changes):
    values = dict(
        reference="WH/OUT/%05d" % i,
        recipient=Party(name="Jane Doe %d" % i, street="%d High Street" % i, city="Bristol",
                        zip="BS1 4DJ", country_code="GB", email="jane%d@example.com" % i),
        sender=SENDER,
        parcels=[Parcel(weight_kg=0.75) for _p in range(parcels)],
        service_code="TPS48",
        order_reference="#%d" % (1000 + i),
        order_date=datetime(2024, 3, 1, 10, 0),
        subtotal=25.0,
        shipping_charged=3.95,
        total=28.95,
        contents=[ContentLine(sku="MUG-001", name="Camping mug", quantity=2, unit_value=12.5,
                              unit_weight_kg=0.3)],
    )  # fmt: skip
    values.update(changes)
    return ShipmentRequest(**values)


def orders(emu):
    return emu.apps["clickanddrop"].snapshot()["orders"]


def test_spec_is_loaded_and_checks_requests():
    spec = clickanddrop_spec()
    assert spec["swagger"] == "2.0" and spec["basePath"] == "/api/v1"
    assert "CreateOrdersRequest" in spec["definitions"]
    assert clickanddrop_errors({"items": []}, "CreateOrdersRequest") == []
    errors = clickanddrop_errors({"items": [{"orderDate": "x"}]}, "CreateOrdersRequest")
    assert any("recipient" in e for e in errors)
    # money: 12.35 is a multiple of 0.01 even in binary floating point
    item = {"recipient": {"address": {"addressLine1": "a", "city": "b", "countryCode": "GB"}},
            "orderDate": "2024-03-01T10:00:00Z", "subtotal": 12.35, "shippingCostCharged": 0,
            "total": 12.35}  # fmt: skip
    assert clickanddrop_errors(item, "CreateOrderRequest") == []
    assert clickanddrop_errors(dict(item, total=12.345), "CreateOrderRequest")


def test_identifiers_round_trip():
    text = encode_identifiers([1001, "WH/OUT/00001", "A;B"])
    assert text == '1001;"WH%2FOUT%2F00001";"A%3BB"'
    assert parse_identifiers(text) == [1001, "WH/OUT/00001", "A;B"]


def test_create_with_labels_and_tracking(emu, fake_time):
    client = make_client(emu, fake_time)
    results = client.create_shipments([request(1), request(2, parcels=3)])
    one, two = results["WH/OUT/00001"], results["WH/OUT/00002"]
    assert len(one.tracking_numbers) == 1 and len(two.tracking_numbers) == 3
    assert all(n.startswith("TT") and n.endswith("GB") for n in two.tracking_numbers)
    assert len(set(one.tracking_numbers + two.tracking_numbers)) == 4
    assert len(PdfReader(io.BytesIO(one.label)).pages) == 1
    assert len(PdfReader(io.BytesIO(two.label)).pages) == 3  # a page per parcel
    held = {o["orderReference"]: o for o in orders(emu)}
    assert held["WH/OUT/00002"]["trackingNumber"] == two.tracking_numbers[0]
    assert held["WH/OUT/00001"]["status"] == "labelGenerated"
    # the request on the wire: one call, bearer key, spec-valid, weights in grams
    calls = emu.calls("clickanddrop", "CreateOrdersAsync")
    assert len(calls) == 1 and calls[0].status == 200
    assert emu.apps["clickanddrop"].rejected_requests == []


def test_bad_address_fails_alone(emu, fake_time):
    client = make_client(emu, fake_time)
    bad = request(2, recipient=Party(name="No Street", city="Bristol", zip="NOT A POSTCODE",
                                     country_code="GB"))  # fmt: skip
    results = client.create_shipments([request(1), bad, request(3)])
    assert not isinstance(results["WH/OUT/00001"], CarrierError)
    assert not isinstance(results["WH/OUT/00003"], CarrierError)
    error = results["WH/OUT/00002"]
    assert isinstance(error, CarrierError)
    assert "addressLine1" in error.message and "postcode" in error.message
    assert {o["orderReference"] for o in orders(emu)} == {"WH/OUT/00001", "WH/OUT/00003"}


def test_more_than_100_orders_go_in_chunks(emu, fake_time):
    results = make_client(emu, fake_time).create_shipments([request(i) for i in range(150)])
    assert len(results) == 150 and not any(isinstance(r, CarrierError) for r in results.values())
    assert len(emu.calls("clickanddrop", "CreateOrdersAsync")) == 2


def test_wrong_key_is_refused_without_leaking_it(emu, fake_time):
    wrong = "cnd_wrong_key_123"
    with pytest.raises(CarrierError) as err:
        make_client(emu, fake_time, key=wrong).create_shipments([request(1)])
    assert err.value.status == 401
    assert wrong not in err.value.message and "credentials" in err.value.message


def test_server_error_after_create_is_not_a_duplicate(emu, fake_time):
    """A 500 after the orders were made: the client looks them up instead of creating twice."""
    emu.inject("clickanddrop", "500", match="CreateOrdersAsync", after=True)
    results = make_client(emu, fake_time).create_shipments([request(1), request(2)])
    assert len(results) == 2 and not any(isinstance(r, CarrierError) for r in results.values())
    assert len(orders(emu)) == 2
    assert len(emu.calls("clickanddrop", "CreateOrdersAsync")) == 1
    assert len(PdfReader(io.BytesIO(results["WH/OUT/00001"].label)).pages) == 1


def test_rate_limit_is_retried(emu, fake_time):
    emu.inject("clickanddrop", "429", retry_after=2, match="CreateOrdersAsync")
    results = make_client(emu, fake_time).create_shipments([request(1)])
    assert not isinstance(results["WH/OUT/00001"], CarrierError)
    assert 2 in fake_time.sleeps


def test_label_fetch_and_delete(emu, fake_time):
    client = make_client(emu, fake_time)
    results = client.create_shipments([request(1), request(2)])
    ids = [int(r.carrier_ref) for r in results.values()]
    pdf = client.fetch_label(ids)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert client.delete_orders(ids[:1]) == ids[:1]
    assert [o["orderIdentifier"] for o in orders(emu)] == ids[1:]
    with pytest.raises(CarrierError, match="could not cancel"):
        client.delete_orders(ids[:1])


def test_emulator_answers_raw_http(emu):
    url = emu.url("clickanddrop") + "/api/v1/version"
    assert requests.get(url, timeout=5).status_code == 401
    answer = requests.get(url, headers={"Authorization": "Bearer %s" % KEY}, timeout=5)
    assert answer.status_code == 200 and "releaseDate" in answer.json()
    bad = requests.post(emu.url("clickanddrop") + "/api/v1/orders", json={"nope": 1},
                        headers={"Authorization": KEY}, timeout=5)  # fmt: skip
    assert bad.status_code == 400 and bad.json()["message"]


def test_emulator_pdf_is_valid():
    pdf = render_pdf([["Hello (world)"], ["Page 2"]])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2 and "Hello (world)" in reader.pages[0].extract_text()


# ---------------------------------------------------------------------- hostile answers
def pieces(secret, size=4):
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def test_the_key_never_follows_a_redirect_to_another_host(emu, fake_time):
    emu.inject("clickanddrop", "redirect", match="CreateOrdersAsync")
    with pytest.raises(CarrierError, match="another host") as err:
        make_client(emu, fake_time).create_shipments([request(1)])
    assert not err.value.retryable
    assert emu.trap.requests == [] and not emu.trap.received(KEY)


def test_an_answer_cut_mid_body_after_create_is_not_a_duplicate(emu, fake_time):
    emu.inject("clickanddrop", "cut", match="CreateOrdersAsync")
    results = make_client(emu, fake_time).create_shipments([request(1), request(2)])
    assert not any(isinstance(r, CarrierError) for r in results.values())
    assert len(orders(emu)) == 2
    assert len(emu.calls("clickanddrop", "CreateOrdersAsync")) == 1


def test_invalid_json_is_a_carrier_error(emu, fake_time):
    emu.inject("clickanddrop", "body", body="{oops", count=10)
    with pytest.raises(CarrierError, match="could not be read") as err:
        make_client(emu, fake_time).version()
    assert err.value.retryable


def test_an_unreadable_created_order_fails_alone(emu, fake_time):
    answer = {
        "successCount": 3,
        "errorsCount": 0,
        "createdOrders": [
            {"orderReference": "WH/OUT/00001", "orderIdentifier": 5, "label": "!!!notbase64"},
            {"orderReference": "WH/OUT/00002"},
            "not an object",
        ],
        "failedOrders": [{"order": None, "errors": None}],
    }
    emu.inject("clickanddrop", "body", body=answer, match="CreateOrdersAsync")
    results = make_client(emu, fake_time).create_shipments([request(1), request(2), request(3)])
    for ref in ("WH/OUT/00001", "WH/OUT/00002", "WH/OUT/00003"):
        assert isinstance(results[ref], CarrierError) and results[ref].retryable, ref
    assert results["WH/OUT/00001"].reference == "WH/OUT/00001"
    assert "could not be read" in results["WH/OUT/00001"].message


def test_an_answer_of_the_wrong_shape_is_a_carrier_error(emu, fake_time):
    emu.inject("clickanddrop", "body", body=[1, 2], match="DeleteOrdersAsync")
    with pytest.raises(CarrierError, match="cancelling labels"):
        make_client(emu, fake_time).delete_orders([1001])


def test_an_echoed_key_leaves_no_piece_in_the_error(emu, fake_time):
    emu.inject("clickanddrop", "echo_secret", offset=285)
    with pytest.raises(CarrierError) as err:
        make_client(emu, fake_time).version()
    text = err.value.message + err.value.payload
    assert not [p for p in pieces(KEY) if p in text]


def test_long_waits_are_handed_back_to_the_caller(emu, fake_time):
    client = make_client(emu, fake_time)
    client.transport.max_retry_wait = 10
    emu.inject("clickanddrop", "429", retry_after=120)
    with pytest.raises(CarrierError, match="try again later") as err:
        client.version()
    assert err.value.retryable and err.value.retry_after == 120 and fake_time.sleeps == []
