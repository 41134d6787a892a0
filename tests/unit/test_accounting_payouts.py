"""Payouts of the marketplaces read from the emulator over real HTTP (Amazon Finances v0,
Shopify Payments, eBay Finances), and the payout maths."""

from datetime import datetime

import pytest

# The addons' own ``tests`` packages must not shadow the repository's ``tests`` package.
from ecom_accounting_core import amazon, ebay, shopify
from ecom_accounting_core.payouts import Payout, PayoutLine, PayoutMismatch, cents, merge_lines
from ecom_channels_core.amazon import AmazonClient
from ecom_channels_core.ebay import EbayClient
from ecom_channels_core.errors import ChannelError
from ecom_channels_core.http import RetryPolicy
from ecom_channels_core.shopify import ShopifyClient

from tests.emulators import DEFAULT_CREDENTIALS, Emulator
from tests.emulators.specs import validate_graphql

LINES = [{"sku": "MUG-001", "quantity": 2, "price": 12.0}, {"sku": "BOT-1", "price": 8.4}]


@pytest.fixture(scope="module")
def emulator():
    with Emulator(options={"shopify": {"throttle_max": 100000, "restore_rate": 10000}}) as emu:
        yield emu


def client(emu, fake_time, channel_type):
    creds = DEFAULT_CREDENTIALS[channel_type]
    cls = {"amazon": AmazonClient, "shopify": ShopifyClient, "ebay": EbayClient}[channel_type]
    return cls(
        emu.url(channel_type),
        api_key=creds.get("api_key", ""),
        api_secret=creds.get("api_secret", ""),
        access_token=creds.get("access_token", ""),
        token_url=emu.token_url(channel_type),
        account_ref=creds.get("seller_id", "3" if channel_type == "ebay" else ""),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=3, base=0.5),
        timeout=(2.0, 5.0),
    )


# ---------------------------------------------------------------------- maths
def test_cents_round_half_away_from_zero():
    assert cents(0.1 + 0.2) == 30
    assert cents(2.675) == 268
    assert cents(-1.005) == -101
    assert cents(None) == 0


def test_payout_check_and_difference():
    payout = Payout(
        "P1",
        amount=60.0,
        lines=[
            PayoutLine("order", amount=37.2, fee=5.58, order_ref="A"),
            PayoutLine("order", amount=31.0, fee=2.62, order_ref="B"),
        ],
    )
    assert payout.gross == 68.2
    assert payout.fees == 8.2
    assert payout.check() is payout
    payout.amount = 60.01
    assert payout.difference == 0.01
    with pytest.raises(PayoutMismatch, match="difference 0.01"):
        payout.check()


def test_unknown_line_kind_refused():
    with pytest.raises(ValueError, match="unknown payout line kind"):
        PayoutLine("bonus")


def test_merge_lines_adds_up_events_of_one_order():
    lines = merge_lines(
        [
            PayoutLine("order", amount=10.0, fee=1.0, order_ref="A", fee_details={"Commission": 1}),
            PayoutLine(
                "order", amount=2.5, fee=0.3, order_ref="A", fee_details={"Commission": 0.3}
            ),
            PayoutLine("refund", amount=-2.5, order_ref="A"),
        ]
    )
    assert [(line.kind, line.amount, line.fee) for line in lines] == [
        ("order", 12.5, 1.3),
        ("refund", -2.5, 0.0),
    ]
    assert lines[0].fee_details == {"Commission": 1.3}
    assert lines[0].net == 11.2


# ---------------------------------------------------------------------- Amazon
def test_amazon_payout_from_financial_event_groups(emu, fake_time):
    app = emu.apps["amazon"]
    first = app.seed_order(LINES, shipping=4.8, tax_rate=0.2)["id"]
    second = app.seed_order(LINES[:1], shipping=0.0, tax_rate=0.2)["id"]
    seeded = app.seed_payout([first, second], fees={first: 5.58, second: 3.6})
    app.seed_payout([second], status="Open")  # still collecting: not a payout yet
    with client(emu, fake_time, "amazon") as amz:
        payouts = list(amazon.fetch_payouts(amz))
    assert len(payouts) == 1
    payout = payouts[0].check()
    assert payout.external_ref == seeded["id"]
    assert payout.amount == seeded["amount"] == round(37.2 + 24.0 - 9.18, 2)
    assert payout.currency == "GBP"
    assert [(line.order_ref, line.amount, line.fee) for line in payout.lines] == [
        (first, 37.2, 5.58),
        (second, 24.0, 3.6),
    ]
    assert payout.lines[0].fee_details == {"Commission": 5.58}
    assert app.schema_failures == []  # answers valid against financesV0.json
    operations = {c.operation for c in app.calls}
    assert {"listFinancialEventGroups", "listFinancialEventsByGroupId"} <= operations


def test_amazon_refund_events(emu, fake_time):
    app = emu.apps["amazon"]
    sold = app.seed_order(LINES, shipping=4.8)["id"]
    refunded = app.seed_order(LINES[:1])["id"]
    seeded = app.seed_payout([sold], fees={sold: 5.0}, refunds={refunded: (24.0, 3.0)})
    with client(emu, fake_time, "amazon") as amz:
        (payout,) = list(amazon.fetch_payouts(amz))
    payout.check()
    assert payout.amount == seeded["amount"] == round(37.2 - 5.0 - 24.0 + 3.0, 2)
    assert [(line.kind, line.order_ref, line.amount, line.fee) for line in payout.lines] == [
        ("order", sold, 37.2, 5.0),
        ("refund", refunded, -24.0, -3.0),
    ]
    assert app.schema_failures == []


def test_amazon_payouts_since(emu, fake_time):
    app = emu.apps["amazon"]
    order = app.seed_order(LINES, shipping=4.8)["id"]
    app.seed_payout([order], date="2024-01-05T06:00:00Z")
    recent = app.seed_payout([order], date="2024-03-05T06:00:00Z")
    with client(emu, fake_time, "amazon") as amz:
        payouts = list(amazon.fetch_payouts(amz, since=datetime(2024, 3, 1)))
    assert [p.external_ref for p in payouts] == [recent["id"]]
    assert payouts[0].date == datetime(2024, 3, 5, 6, 0, 0)


# ---------------------------------------------------------------------- Shopify
def test_shopify_documents_are_valid():
    assert validate_graphql(shopify.Q_PAYOUTS) == []
    assert validate_graphql(shopify.Q_TRANSACTIONS) == []


def test_shopify_payments_payout(emu, fake_time):
    app = emu.apps["shopify"]
    first = app.seed_order(LINES, shipping=4.0, tax_rate=0.2)["id"]
    second = app.seed_order(LINES[:1], shipping=0.0)["id"]
    seeded = app.seed_payout([first, second], fees={first: 1.2, second: 0.7})
    other = app.seed_order(LINES[:1])["id"]
    app.seed_payout([other], status="SCHEDULED")  # not paid yet
    with client(emu, fake_time, "shopify") as shop:
        payouts = list(shopify.fetch_payouts(shop))
    assert len(payouts) == 1
    payout = payouts[0].check()
    assert payout.external_ref == seeded["id"]
    total_first = round((24.0 + 8.4 + 4.0) * 1.2, 2)
    assert payout.amount == round(total_first - 1.2 + 24.0 - 0.7, 2)
    assert [(line.order_ref, line.amount, line.fee) for line in payout.lines] == [
        (first, total_first, 1.2),
        (second, 24.0, 0.7),
    ]


# ---------------------------------------------------------------------- eBay
def test_ebay_finances_payout(emu, fake_time):
    app = emu.apps["ebay"]
    first = app.seed_order(LINES, shipping=3.5)["id"]
    second = app.seed_order(LINES[:1])["id"]
    seeded = app.seed_payout([first, second], fees={first: 4.2})
    with client(emu, fake_time, "ebay") as bay:
        payouts = list(ebay.fetch_payouts(bay))
    payout = payouts[0].check()
    assert len(payouts) == 1
    assert payout.external_ref == seeded["id"]
    fee_second = round(24.0 * 0.128, 2)
    assert [(line.order_ref, line.amount, line.fee) for line in payout.lines] == [
        (first, 35.9, 4.2),
        (second, 24.0, fee_second),
    ]
    assert payout.amount == round(35.9 - 4.2 + 24.0 - fee_second, 2)
    assert app.schema_failures == []


def test_ebay_finances_wrong_token(emu, fake_time):
    with client(emu, fake_time, "ebay") as bay:
        bay.access_token = "wrong"
        with pytest.raises(ChannelError, match="401|Invalid access token"):
            list(ebay.fetch_payouts(bay))


# ---------------------------------------------------------------------- hostile payouts
def test_ebay_bad_payouts_are_reported_not_raised(emu, fake_time):
    app = emu.apps["ebay"]
    order = app.seed_order(LINES)["id"]
    app.seed_payout([order])
    with client(emu, fake_time, "ebay") as bay:
        [good] = list(ebay.fetch_payouts(bay))
        raw = good.raw
        bad_date = dict(raw, payoutId="P-DATE", payoutDate="yesterday")
        no_id = {k: v for k, v in raw.items() if k != "payoutId"}
        bad_amount = dict(raw, payoutId="P-AMOUNT", amount={"value": "lots", "currency": "GBP"})
        page = {"payouts": [raw, bad_date, no_id, bad_amount, "junk"], "total": 5}
        emu.inject("ebay", "body", body=page, match="v1/payout")
        payouts = list(ebay.fetch_payouts(bay))
    assert len(payouts) == 5
    by_ref = {p.external_ref: p for p in payouts if p.external_ref}
    assert by_ref[good.external_ref].problems == []
    assert by_ref[good.external_ref].check()
    assert by_ref["P-DATE"].problems == ["payout date 'yesterday' cannot be read"]
    assert by_ref["P-AMOUNT"].problems == ["payout amount 'lots' is not a number"]
    nameless = [p for p in payouts if not p.external_ref]
    assert sorted(p.problems[0] for p in nameless) == [
        "payout id is missing",
        "the payout is not an object: 'junk'",
    ]
    assert all(p.raw for p in payouts)


def test_shopify_bad_transactions_are_reported_on_their_payout(emu, fake_time):
    app = emu.apps["shopify"]
    order = app.seed_order(LINES)["id"]
    app.seed_payout([order])
    with client(emu, fake_time, "shopify") as shop:
        [good] = list(shopify.fetch_payouts(shop))
        page = {
            "data": {
                "shopifyPaymentsAccount": {
                    "balanceTransactions": {
                        "pageInfo": {"hasNextPage": False, "endCursor": None},
                        "nodes": [
                            {"id": "tx-1", "type": "CHARGE", "amount": {"amount": "abc"}},
                            "junk",
                        ],
                    }
                }
            }
        }
        emu.inject("shopify", "body", body=page, match="PayoutTransactions")
        [payout] = list(shopify.fetch_payouts(shop))
    assert payout.external_ref == good.external_ref
    assert payout.problems == [
        "transaction tx-1: amount 'abc' is not a number",
        "transaction 2 is not an object: 'junk'",
    ]


def test_amazon_payout_whose_events_are_refused_is_reported(emu, fake_time):
    app = emu.apps["amazon"]
    order = app.seed_order(LINES, shipping=4.8)["id"]
    seeded = app.seed_payout([order])
    emu.inject("amazon", "body", body={"errors": []}, status=404, match="financialEvents")
    with client(emu, fake_time, "amazon") as amz:
        [payout] = list(amazon.fetch_payouts(amz))
    assert payout.external_ref == seeded["id"] and payout.lines == []
    assert payout.problems[0].startswith("its transactions cannot be read")


def test_amazon_payout_events_down_is_a_retryable_error(emu, fake_time):
    app = emu.apps["amazon"]
    app.seed_payout([app.seed_order(LINES)["id"]])
    emu.inject("amazon", "503", match="financialEvents", count=10)
    with client(emu, fake_time, "amazon") as amz:
        with pytest.raises(ChannelError) as err:
            list(amazon.fetch_payouts(amz))
    assert err.value.retryable


def test_a_payout_page_of_the_wrong_shape_is_a_channel_error(emu, fake_time):
    emu.inject("ebay", "body", body={"payouts": {"not": "a list"}}, match="v1/payout")
    with client(emu, fake_time, "ebay") as bay:
        with pytest.raises(ChannelError, match="not a list"):
            list(ebay.fetch_payouts(bay))
    emu.inject("shopify", "body", body={"data": {"shopifyPaymentsAccount": {}}}, match="Payouts")
    with client(emu, fake_time, "shopify") as shop:
        with pytest.raises(ChannelError, match="reading the payouts"):
            list(shopify.fetch_payouts(shop))


def test_ebay_payouts_on_the_finances_host_signed_for_uk_sellers(emu, fake_time):
    app = emu.apps["ebay"]
    order = app.seed_order(LINES)["id"]
    app.seed_payout([order])
    jwe, private_key = app.add_signing_key()  # a UK seller: Finances calls must be signed
    creds = DEFAULT_CREDENTIALS["ebay"]
    unsigned = EbayClient(
        emu.trap.base_url,  # the Trading API host: never called for payouts
        access_token=creds["access_token"],
        options={"finances_url": emu.url("ebay")},
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        retry=RetryPolicy(max_attempts=2, base=0.1),
        timeout=(2.0, 5.0),
    )
    with unsigned, pytest.raises(ChannelError) as err:
        list(ebay.fetch_payouts(unsigned))
    assert err.value.status == 400 and "signature" in str(err.value).lower()
    signed = EbayClient(
        emu.trap.base_url,
        access_token=creds["access_token"],
        options={
            "finances_url": emu.url("ebay"),
            "signing_key_jwe": jwe,
            "signing_private_key": private_key,
        },
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        timeout=(2.0, 5.0),
    )
    with signed:
        (payout,) = list(ebay.fetch_payouts(signed))
    assert payout.lines[0].order_ref == order
    assert emu.trap.requests == []
    call = emu.calls("ebay")[-1]
    assert call.headers["x-ebay-signature-key"] == jwe
    assert call.headers["signature-input"].startswith(
        'sig1=("x-ebay-signature-key" "@method" "@path" "@authority");created='
    )
    # the private key never travels
    assert not any(private_key.splitlines()[1] in str(c.headers) for c in emu.calls("ebay"))
