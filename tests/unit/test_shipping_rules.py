"""Unit tests of ecom_fulfilment_core.shipping_rules (no Odoo, no database)."""

from ecom_fulfilment_core.shipping_rules import Shipment, ShippingRule, normalise, select_rule

GB, FR = 1, 2
AMAZON, EBAY = 10, 20


def shipment(channel=AMAZON, service="Standard", country=GB, weight=0.5, amount=20.0):
    return Shipment(channel, service, country, weight, amount)


def test_normalise():
    assert normalise("  Std   UK\tDom ") == "std uk dom"
    assert normalise(None) == ""


def test_first_match_by_sequence_then_id():
    rules = [
        ShippingRule(id=3, sequence=5, service_level="standard"),
        ShippingRule(id=2, sequence=5, service_level="Standard"),
        ShippingRule(id=1, sequence=9),
    ]
    assert select_rule(rules, shipment()).id == 2


def test_service_level_alternatives_and_wildcards():
    rule = ShippingRule(id=1, service_level="Expedited, Next*")
    assert rule.matches(shipment(service="NEXTDAY"))
    assert rule.matches(shipment(service="expedited"))
    assert not rule.matches(shipment(service="Standard"))
    assert ShippingRule(id=2).matches(shipment(service=""))


def test_channel_country_weight_and_amount_bounds():
    rule = ShippingRule(
        id=1,
        channel_id=AMAZON,
        country_ids=frozenset({GB}),
        weight_min=1.0,
        weight_max=2.0,
        amount_max=100.0,
    )
    assert rule.matches(shipment(weight=1.0))
    assert not rule.matches(shipment(weight=2.0)), "the upper bound is exclusive"
    assert not rule.matches(shipment(weight=0.99))
    assert not rule.matches(shipment(channel=EBAY, weight=1.5))
    assert not rule.matches(shipment(country=FR, weight=1.5))
    assert not rule.matches(shipment(country=None, weight=1.5))
    assert not rule.matches(shipment(amount=100.0, weight=1.5))


def test_defaults_only_when_nothing_else_matches():
    rules = [
        ShippingRule(id=1, is_default=True),
        ShippingRule(id=2, is_default=True, channel_id=EBAY),
        ShippingRule(id=3, service_level="Express"),
    ]
    assert select_rule(rules, shipment(service="Express")).id == 3
    assert select_rule(rules, shipment(channel=EBAY)).id == 2
    assert select_rule(rules, shipment(channel=AMAZON)).id == 1
    assert select_rule(rules[2:], shipment()) is None
    assert select_rule([], shipment()) is None
