"""Demo data of ecom_fulfilment, called by tools/demo_data.py as ``generate(gen)``.

``gen`` is the DemoGenerator (gen.env, gen.company, gen.warehouse, gen.channels...). It sets up
the carriers the demo retailer prints labels with and the rules that choose them:

- Royal Mail Click & Drop (Tracked 48) pointing at the local emulator
  (http://127.0.0.1:8079/clickanddrop) with the emulator's API key;
- self-printed Royal Mail Tracked 24 and Tracked 48 (4x6 PDF labels, own tracking numbers): the
  carriers of that name the generator made already become self-printed, else they are created;
- shipping rules: Amazon 'Standard' -> Tracked 48, eBay 'Express' -> Tracked 24, Shopify ->
  Click & Drop (rules that exist for those channel and service levels are kept);
- every carrier a rule points at prints labels: the generator's fixed-price services (Royal Mail
  2nd Class, Parcelforce, International Tracked) become self-printed ones, so that each demo
  order can be labelled;
- the history's channel orders get the rule and carrier the import would have chosen, and their
  shipped deliveries the carrier and its cost, as a label run records them (the channel
  profitability report counts that cost).
"""

EMULATOR_URL = "http://127.0.0.1:8079/clickanddrop"
#: The emulator's default Click & Drop key (tests/emulators/server.py DEFAULT_CREDENTIALS).
EMULATOR_KEY = "cnd_emulator_api_key_0001"
TRACKING_URL = (
    "https://www.royalmail.com/track-your-item#/tracking-results/<shipmenttrackingnumber>"
)
#: The label details of the generator's fixed-price carrier services (tools/demo_data.py):
#: name -> (carrier on the label, service, tracking prefix, tracking URL).
SELF_PRINTED = {
    "Royal Mail 2nd Class": ("Royal Mail", "2nd Class", "NW2C", TRACKING_URL),
    "Royal Mail International Tracked": (
        "Royal Mail",
        "International Tracked",
        "NWIT",
        TRACKING_URL,
    ),
    "Parcelforce Express 48 Large": (
        "Parcelforce Worldwide",
        "Express 48 Large",
        "NWPF",
        "https://www.parcelforce.com/track-trace?trackNumber=<shipmenttrackingnumber>",
    ),
}
#: The delivery types that print labels (ecom_fulfilment's).
LABEL_TYPES = ("clickanddrop", "ecom_selfprint")


def _carrier(env, name, values):
    Carrier = env["delivery.carrier"]
    carrier = Carrier.search([("name", "=", name)], limit=1)
    if carrier:
        carrier.write(values)
        return carrier
    product = env["product.product"].search([("default_code", "=", "SHIP")], limit=1)
    if not product:
        product = env["product.product"].create(
            {"name": "Delivery charge", "type": "service", "default_code": "SHIP"}
        )
    return Carrier.create(dict(values, name=name, product_id=product.id))


def label_every_rule(env):
    """Make each carrier a shipping rule points at print labels: a fixed-price service (no
    label) becomes a self-printed one with its carrier's name, service and own tracking
    numbers; its price stays (the carrier cost of each delivery). Returns the carriers
    changed."""
    carriers = env["ecom.shipping.rule"].search([]).carrier_id
    changed = carriers.filtered(lambda c: c.delivery_type not in LABEL_TYPES)
    for index, carrier in enumerate(changed):
        label, service, prefix, url = SELF_PRINTED.get(
            carrier.name, (carrier.name, carrier.name, "NW%02d" % index, False)
        )
        carrier.write(
            {
                "delivery_type": "ecom_selfprint",
                "ecom_carrier_label": label,
                "ecom_service_name": service,
                "ecom_tracking_prefix": prefix,
                "tracking_url": url,
            }
        )
    return changed


def carriers_of_history(env, company):
    """The shipping rule and carrier of each channel order made without them (the history is
    made in Odoo, not imported), as the import chooses them; the carrier and its cost on
    their deliveries, the cost on those that left as a label run records it. Returns the
    number of orders given a carrier."""
    Rule = env["ecom.shipping.rule"]
    orders = env["sale.order"].search(
        [
            ("company_id", "=", company.id),
            ("ecom_channel_id", "!=", False),
            ("ecom_shipping_rule_id", "=", False),
            ("state", "=", "sale"),
        ]
    )
    core_rules = Rule.search([("company_id", "in", (company.id, False))])._to_core()
    by_rule = {}
    for order in orders:
        rule = Rule._select_for_order(order, core_rules=core_rules)
        if rule:
            by_rule.setdefault(rule, env["sale.order"])
            by_rule[rule] |= order
    for rule, rule_orders in by_rule.items():
        carrier = rule.carrier_id
        rule_orders.write({"ecom_shipping_rule_id": rule.id, "carrier_id": carrier.id})
        deliveries = rule_orders.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )
        deliveries.filtered(lambda p: p.state != "done").write({"carrier_id": carrier.id})
        deliveries.filtered(lambda p: p.state == "done").write(
            {"carrier_id": carrier.id, "carrier_price": carrier.fixed_price}
        )
    return sum(len(o) for o in by_rule.values())


def generate(gen):
    env = gen.env
    company = gen.company
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    sender = warehouse.partner_id or company.partner_id
    if not sender.street:
        sender.write(
            {
                "street": "Unit 4, Riverside Park",
                "city": "Leeds",
                "zip": "LS11 5QR",
                "country_id": env.ref("base.uk").id,
            }
        )
    common = {"ecom_carrier_label": "Royal Mail", "tracking_url": TRACKING_URL}
    tracked24 = _carrier(
        env,
        "Royal Mail Tracked 24",
        dict(
            common,
            delivery_type="ecom_selfprint",
            ecom_service_name="Tracked 24",
            ecom_tracking_prefix="NW24",
            fixed_price=4.1,
        ),  # fmt: skip
    )
    tracked48 = _carrier(
        env,
        "Royal Mail Tracked 48",
        dict(
            common,
            delivery_type="ecom_selfprint",
            ecom_service_name="Tracked 48",
            ecom_tracking_prefix="NW48",
            fixed_price=3.2,
        ),  # fmt: skip
    )
    clickanddrop = _carrier(
        env,
        "Royal Mail Click & Drop Tracked 48",
        dict(
            common,
            delivery_type="clickanddrop",
            ecom_service_name="Tracked 48",
            cnd_api_url=EMULATOR_URL,
            cnd_api_key=EMULATOR_KEY,
            cnd_service_code="TPS48",
            cnd_package_format="parcel",
            cnd_timeout=10.0,
            fixed_price=3.0,
        ),
    )
    channels = {}
    for entry in getattr(gen, "channels", []) or []:
        channel = entry[0] if isinstance(entry, tuple | list) else entry
        channels.setdefault(channel.channel_type, channel)
    if not channels:
        channels = {c.channel_type: c for c in env["ecom.channel"].search([])}
    Rule = env["ecom.shipping.rule"]
    wanted = [
        ("amazon", "Standard", tracked48, 3),
        ("ebay", "Express", tracked24, 4),
        ("shopify", "", clickanddrop, 9),
    ]
    vals = []
    for channel_type, service, carrier, sequence in wanted:
        channel = channels.get(channel_type)
        if not channel:
            continue
        exists = Rule.search_count(
            [
                ("channel_id", "=", channel.id),
                ("service_level", "=", service or False),
                ("is_default", "=", False),
            ]
        )
        if not exists:
            vals.append(
                {
                    "sequence": sequence,
                    "channel_id": channel.id,
                    "service_level": service or False,
                    "carrier_id": carrier.id,
                    "company_id": company.id,
                }
            )
    if not Rule.search_count([("is_default", "=", True), ("channel_id", "=", False)]):
        vals.append({"sequence": 50, "is_default": True, "carrier_id": tracked48.id})
    Rule.create(vals)
    relabelled = label_every_rule(env)
    with_carrier = carriers_of_history(env, company)
    counts = getattr(gen, "counts", None)
    if isinstance(counts, dict):
        counts["carriers with labels"] = 3 + len(relabelled)
        counts["fulfilment rules"] = len(vals)
        counts["channel orders given a carrier"] = with_carrier
    # The history's channel orders were made in Odoo, never on the (emulated) channels: their
    # past deliveries have nothing to report there.
    env["stock.picking"].search([("ecom_push_state", "in", ("pending", "error"))]).write(
        {"ecom_push_state": "none"}
    )
    return {"tracked24": tracked24, "tracked48": tracked48, "clickanddrop": clickanddrop}
