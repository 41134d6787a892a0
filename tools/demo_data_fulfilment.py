"""Demo data of ecom_fulfilment, called by tools/demo_data.py as ``generate(gen)``.

``gen`` is the DemoGenerator (gen.env, gen.company, gen.warehouse, gen.channels...). It sets up
the carriers the demo retailer prints labels with and the rules that choose them:

- Royal Mail Click & Drop (Tracked 48) pointing at the local emulator
  (http://127.0.0.1:8079/clickanddrop) with the emulator's API key;
- self-printed Royal Mail Tracked 24 and Tracked 48 (4x6 PDF labels, own tracking numbers): the
  carriers of that name the generator made already become self-printed, else they are created;
- shipping rules: Amazon 'Standard' -> Tracked 48, eBay 'Express' -> Tracked 24, Shopify ->
  Click & Drop (rules that exist for those channel and service levels are kept).
"""

EMULATOR_URL = "http://127.0.0.1:8079/clickanddrop"
#: The emulator's default Click & Drop key (tests/emulators/server.py DEFAULT_CREDENTIALS).
EMULATOR_KEY = "cnd_emulator_api_key_0001"
TRACKING_URL = (
    "https://www.royalmail.com/track-your-item#/tracking-results/<shipmenttrackingnumber>"
)


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
    counts = getattr(gen, "counts", None)
    if isinstance(counts, dict):
        counts["carriers with labels"] = 3
        counts["fulfilment rules"] = len(vals)
    # The history's channel orders were made in Odoo, never on the (emulated) channels: their
    # past deliveries have nothing to report there.
    env["stock.picking"].search([("ecom_push_state", "in", ("pending", "error"))]).write(
        {"ecom_push_state": "none"}
    )
    return {"tracked24": tracked24, "tracked48": tracked48, "clickanddrop": clickanddrop}
