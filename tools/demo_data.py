"""Generate the demo retailer: deterministic, realistic data for the three ecom addons.

Run it through the Odoo shell on a database where the addons are installed::

    make db DB=ecom_demo DEMO=1                # what `make run` does the first time
    make shell DB=mydb < tools/demo_data.py    # on an existing database (runs once per database)

The same seed gives the same retailer every time; dates are relative to the day it runs, so the
120 days of history always end today. What it builds, all through Odoo's own models and flows
(sale orders confirmed and delivered, purchase orders confirmed and received, inventory applied):

- Northwind Outdoor Ltd, a UK outdoor-gear retailer, with a warehouse of named bins
  (aisle-rack-shelf, e.g. ``B-03-2``) and a putaway rule sending each product to its home bin;
- about 200 product variants (sizes and colours) with SKUs, EAN-13 barcodes, weights, costs and
  images;
- five suppliers with lead times from 3 to 35 days, minimum order quantities and order intervals;
- 120 days of sales on four channels (and some direct sales), with stock-outs where a supplier was
  late or forgotten, one-off bulk orders (spikes) and a few customer returns; slow movers (one
  unit on the shelf), seasonal items (summer and winter gear) and intermittent sellers (bought in
  lumps by groups now and then);
- the buyer's hand-set Odoo reordering rules, then the rules computed from the history;
- purchase orders still open (ordered, not yet received) and channel orders waiting to ship;
- four channels (Shopify, WooCommerce, eBay, Amazon) pointing at the local emulator, and the demo
  website as a fifth (with ecom_website), listings,
  carrier services and shipping rules;
- one user per role: back office manager, warehouse operator, accountant (see README.md).
"""

import base64
import importlib
import importlib.util
import io
import logging
import math
import os
import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from freezegun import freeze_time
from PIL import Image, ImageDraw

_logger = logging.getLogger("ecom.demo")

SEED = 20261128
RATE_FACTOR = 0.6  # scales every product's sales rate below (units a day for the whole template)
MARKER = "ecom_demo.generated"
EMULATOR_URL = "http://127.0.0.1:8079"

SUPPLIERS = [
    # name, country code, lead time (days), order interval (days), review day offset
    ("Peak Gear Wholesale Ltd", "GB", 3, 7, 0),
    ("TrailLite Distributors", "GB", 5, 14, 3),
    ("Coastal Footwear Lda", "PT", 14, 21, 5),
    ("Alpine Textiles GmbH", "DE", 10, 14, 8),
    ("Shenzhen Outdoor Manufacturing", "CN", 35, 28, 11),
]

COLOURS = {
    "Black": (30, 30, 30),
    "Navy": (25, 45, 95),
    "Red": (180, 35, 40),
    "Forest Green": (35, 95, 55),
    "Sand": (200, 180, 140),
    "Orange": (230, 120, 30),
}
# Short codes of colours in SKUs (sizes keep their name: S, M, L, XL, 6 ... 11).
CODES = {
    "Black": "BLK",
    "Navy": "NVY",
    "Red": "RED",
    "Forest Green": "GRN",
    "Sand": "SND",
    "Orange": "ORG",
}
CLOTHING_SIZES = ["S", "M", "L", "XL"]
SHOE_SIZES = ["UK 6", "UK 7", "UK 8", "UK 9", "UK 10", "UK 11"]

# category, template name, SKU stem, supplier index, weight kg, price, sizes, colours, rate/day
CATALOGUE = [
    (
        "Clothing / Jackets",
        "Storm Shell Jacket",
        "JKT-STORM",
        3,
        0.55,
        149.0,
        "clothing",
        ["Black", "Red", "Navy"],
        1.6,
    ),
    (
        "Clothing / Jackets",
        "Ridge Down Jacket",
        "JKT-RIDGE",
        3,
        0.45,
        189.0,
        "clothing",
        ["Navy", "Orange", "Black"],
        0.9,
    ),
    (
        "Clothing / Jackets",
        "Packable Rain Jacket",
        "JKT-PACK",
        4,
        0.25,
        59.0,
        "clothing",
        ["Red", "Forest Green", "Navy"],
        1.2,
    ),
    (
        "Clothing / Fleece",
        "Summit Fleece",
        "FLC-SUMMIT",
        3,
        0.40,
        69.0,
        "clothing",
        ["Navy", "Forest Green", "Red"],
        1.0,
    ),
    (
        "Clothing / Fleece",
        "Grid Fleece Hoodie",
        "FLC-GRID",
        4,
        0.35,
        55.0,
        "clothing",
        ["Black", "Sand", "Navy"],
        0.7,
    ),
    (
        "Clothing / Base Layers",
        "Merino Base Layer Top",
        "BLT-MERINO",
        3,
        0.20,
        65.0,
        "clothing",
        ["Black", "Navy", "Forest Green"],
        1.1,
    ),
    (
        "Clothing / Base Layers",
        "Thermal Leggings",
        "BLL-THERM",
        4,
        0.18,
        35.0,
        "clothing",
        ["Black"],
        0.8,
    ),
    (
        "Clothing / Trousers",
        "Trek Convertible Trousers",
        "TRS-TREK",
        4,
        0.42,
        59.0,
        "clothing",
        ["Sand", "Black"],
        0.6,
    ),
    (
        "Clothing / Trousers",
        "Softshell Trousers",
        "TRS-SOFT",
        3,
        0.48,
        79.0,
        "clothing",
        ["Black"],
        0.5,
    ),
    (
        "Clothing / Accessories",
        "Merino Beanie",
        "ACC-BEANIE",
        0,
        0.08,
        19.0,
        None,
        ["Black", "Red", "Navy"],
        0.9,
    ),
    (
        "Clothing / Accessories",
        "Touchscreen Gloves",
        "ACC-GLOVE",
        0,
        0.09,
        22.0,
        "clothing",
        ["Black"],
        0.6,
    ),
    (
        "Footwear",
        "Fell Runner Trail Shoe",
        "FTW-FELL",
        2,
        0.62,
        119.0,
        "shoes",
        ["Orange", "Black"],
        0.7,
    ),
    (
        "Footwear",
        "Highland Walking Boot",
        "FTW-HIGH",
        2,
        1.30,
        159.0,
        "shoes",
        ["Sand", "Black"],
        0.5,
    ),
    ("Footwear", "Approach Shoe", "FTW-APPR", 2, 0.80, 99.0, "shoes", ["Black"], 0.3),
    ("Footwear", "Camp Sandal", "FTW-CAMP", 2, 0.35, 35.0, "shoes", ["Navy"], 0.25),
    (
        "Tents",
        "Trail 2P Backpacking Tent",
        "TNT-TRAIL2",
        4,
        1.90,
        249.0,
        None,
        ["Forest Green", "Orange"],
        0.35,
    ),
    ("Tents", "Basecamp 4P Family Tent", "TNT-BASE4", 4, 8.50, 399.0, None, ["Forest Green"], 0.15),
    ("Tents", "Solo Ultralight Tarp", "TNT-TARP", 1, 0.45, 89.0, None, ["Sand"], 0.2),
    ("Tents", "Tent Footprint 2P", "TNT-FOOT2", 1, 0.30, 29.0, None, [], 0.25),
    (
        "Sleeping",
        "Three Season Sleeping Bag",
        "SLP-3SEAS",
        4,
        1.20,
        129.0,
        None,
        ["Navy", "Red"],
        0.45,
    ),
    ("Sleeping", "Summer Sleeping Bag", "SLP-SUMMER", 4, 0.70, 69.0, None, ["Orange"], 0.3),
    ("Sleeping", "Self-Inflating Mat", "SLP-MAT", 1, 0.90, 59.0, None, [], 0.5),
    ("Sleeping", "Inflatable Pillow", "SLP-PILLOW", 1, 0.10, 19.0, None, [], 0.6),
    ("Cooking", "Compact Gas Stove", "CKG-STOVE", 0, 0.20, 39.0, None, [], 0.8),
    ("Cooking", "Gas Canister 230g", "CKG-GAS230", 0, 0.38, 6.5, None, [], 2.5),
    ("Cooking", "Titanium Mug 450ml", "CKG-MUG", 1, 0.07, 29.0, None, [], 0.5),
    ("Cooking", "Cook Set 2P", "CKG-SET2", 1, 0.45, 45.0, None, [], 0.3),
    ("Cooking", "Spork", "CKG-SPORK", 1, 0.02, 4.5, None, ["Orange", "Forest Green", "Navy"], 1.0),
    ("Lighting", "Head Torch 350", "LGT-HT350", 0, 0.08, 35.0, None, ["Black", "Red"], 1.2),
    ("Lighting", "Rechargeable Lantern", "LGT-LANT", 0, 0.25, 29.0, None, [], 0.35),
    ("Hydration", "Water Filter Bottle", "HYD-FILT", 1, 0.18, 39.0, None, ["Navy"], 0.5),
    (
        "Hydration",
        "Insulated Bottle 750ml",
        "HYD-INS750",
        1,
        0.36,
        25.0,
        None,
        ["Black", "Forest Green", "Red"],
        0.8,
    ),
    ("Hydration", "Hydration Bladder 2L", "HYD-BLAD2", 1, 0.17, 29.0, None, [], 0.3),
    ("Packs", "Daypack 25L", "PCK-DAY25", 4, 0.85, 75.0, None, ["Black", "Navy", "Orange"], 0.6),
    ("Packs", "Trekking Pack 55L", "PCK-TREK55", 4, 1.60, 149.0, None, ["Forest Green"], 0.25),
    ("Packs", "Dry Bag 10L", "PCK-DRY10", 0, 0.10, 15.0, None, ["Orange", "Navy"], 0.7),
    ("Accessories", "Trekking Poles (pair)", "ACC-POLES", 1, 0.52, 49.0, None, [], 0.4),
    ("Accessories", "Gaiters", "ACC-GAITER", 1, 0.25, 32.0, None, [], 0.15),
    ("Accessories", "First Aid Kit", "ACC-FAK", 0, 0.30, 24.0, None, [], 0.5),
    ("Accessories", "Emergency Bivvy Bag", "ACC-BIVVY", 0, 0.12, 12.0, None, [], 0.04),
    ("Accessories", "Compass", "ACC-COMPASS", 1, 0.05, 18.0, None, [], 0.05),
    ("Accessories", "Map Case", "ACC-MAPCASE", 1, 0.09, 14.0, None, [], 0.03),
    (
        "Clothing / Accessories",
        "Walking Socks",
        "ACC-SOCK",
        0,
        0.07,
        16.0,
        "clothing",
        ["Black", "Navy"],
        1.2,
    ),
    (
        "Clothing / Accessories",
        "Neck Gaiter",
        "ACC-NECK",
        0,
        0.04,
        14.0,
        None,
        ["Black", "Red", "Navy", "Sand"],
        0.6,
    ),
    (
        "Accessories",
        "Paracord 15m",
        "ACC-CORD15",
        1,
        0.11,
        9.0,
        None,
        ["Orange", "Black", "Forest Green"],
        0.4,
    ),
    ("Accessories", "Carabiner Set", "ACC-KARABS", 1, 0.12, 15.0, None, [], 0.3),
    ("Accessories", "Midge Head Net", "ACC-MIDGE", 0, 0.03, 7.0, None, [], 0.2),
    ("Accessories", "Insect Repellent 100ml", "ACC-REPEL", 0, 0.12, 8.5, None, [], 0.7),
    ("Accessories", "Sun Cream SPF50", "ACC-SUNSPF", 0, 0.13, 11.0, None, [], 0.5),
    ("Sleeping", "Foam Sit Mat", "SLP-SITMAT", 1, 0.06, 9.0, None, [], 0.3),
    ("Tents", "Spare Tent Pegs (10)", "TNT-PEGS10", 1, 0.15, 12.0, None, [], 0.2),
    ("Tents", "Tent Repair Kit", "TNT-REPAIR", 1, 0.08, 10.0, None, [], 0.06),
    # Sold in lumps to clubs and groups, a few days a month (see INTERMITTENT).
    ("Tents", "Group Shelter 8P", "TNT-GRP8", 4, 2.40, 179.0, None, [], 0.12),
    ("Cooking", "Gas Canister 12-Pack", "CKG-GAS12", 0, 4.60, 69.0, None, [], 0.15),
    ("Accessories", "Avalanche Probe", "ACC-PROBE", 1, 0.30, 65.0, None, [], 0.05),
    ("Accessories", "Bothy Bag 4P", "ACC-BOTHY4", 0, 0.60, 59.0, None, [], 0.03),
]

# Seasonal items: the catalogue's rate is the yearly mean, multiplied by 1 + 0.8 x cos(2 pi x
# (day of year - peak) / 365): summer gear peaks in July, winter gear in January.
SEASONAL = {
    "ACC-SUNSPF": 195,
    "ACC-REPEL": 200,
    "ACC-MIDGE": 190,
    "SLP-SUMMER": 180,
    "FTW-CAMP": 190,
    "ACC-GLOVE": 15,
    "ACC-BEANIE": 20,
    "JKT-RIDGE": 25,
    "BLL-THERM": 20,
    "ACC-PROBE": 35,
}
SEASON_AMPLITUDE = 0.8
# Intermittent sellers: on a day with demand (probability rate / mean lump) a customer buys a
# lump of lo..hi units in one order line.
INTERMITTENT = {
    "TNT-GRP8": (2, 5),
    "CKG-GAS12": (1, 6),
    "TNT-BASE4": (1, 3),
    "ACC-BOTHY4": (1, 2),
}

CHANNELS = [
    # name, type, share of orders, service levels with weights, account reference
    ("Shopify Store", "shopify", 0.20, [("Standard", 8), ("Express", 2)], "northwind-outdoor"),
    (
        "WooCommerce Trade Site",
        "woocommerce",
        0.10,
        [("flat_rate", 9), ("local_pickup", 1)],
        "trade.example",
    ),
    (
        "eBay UK",
        "ebay",
        0.25,
        [
            ("UK_RoyalMailSecondClassStandard", 6),
            ("UK_RoyalMailFirstClass", 3),
            ("UK_Parcelforce48", 1),
        ],
        "3",
    ),
    (
        "Amazon UK",
        "amazon",
        0.40,
        [("Standard", 7), ("Expedited", 2), ("NextDay", 1)],
        "A1NWDEMO00UK",
    ),
]

# The channels' own categories: eBay UK category ids, Amazon product types, Shopify product types
# and WooCommerce category slugs, by Odoo category name.
CHANNEL_CATEGORIES = {
    "ebay": {
        "Jackets": ("185702", "Coats, Jackets & Waistcoats"),
        "Fleece": ("185702", "Coats, Jackets & Waistcoats"),
        "Base Layers": ("62178", "Base Layers"),
        "Trousers": ("62180", "Trousers"),
        "Accessories": ("36137", "Camping & Hiking Accessories"),
        "Footwear": ("181392", "Hiking Shoes & Boots"),
        "Tents": ("179010", "Tents"),
        "Sleeping": ("181385", "Sleeping Bags"),
        "Cooking": ("181386", "Camping Cooking Supplies"),
        "Lighting": ("181387", "Camping Lights & Lanterns"),
        "Hydration": ("181389", "Hydration Packs & Bottles"),
        "Packs": ("181390", "Backpacks & Bags"),
        "default": ("36137", "Camping & Hiking Accessories"),
    },
    "amazon": {
        "Jackets": ("COAT", "Coat"),
        "Fleece": ("SWEATSHIRT", "Sweatshirt"),
        "Base Layers": ("SHIRT", "Shirt"),
        "Trousers": ("PANTS", "Pants"),
        "Footwear": ("SHOES", "Shoes"),
        "Tents": ("TENT", "Tent"),
        "Sleeping": ("SLEEPING_BAG", "Sleeping bag"),
        "Cooking": ("CAMPING_STOVE", "Camping stove"),
        "Lighting": ("FLASHLIGHT", "Flashlight"),
        "Hydration": ("BOTTLE", "Bottle"),
        "Packs": ("BACKPACK", "Backpack"),
        "default": ("SPORTING_GOODS", "Sporting goods"),
    },
}

FIRST_NAMES = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Freya",
    "Lily",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
    "Jack",
    "Sophie",
    "Ruth",
    "Callum",
    "Eilidh",
    "Rhys",
    "Sian",
    "Aoife",
    "Conor",
    "Léa",
    "Lukas",
    "Priya",
    "Tom",
    "Hannah",
    "Yusuf",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Campbell",
    "MacDonald",
    "Murphy",
    "Kelly",
    "Martin",
]
TOWNS = [
    ("GB", "Keswick", "CA12 5AB"),
    ("GB", "Manchester", "M1 4BT"),
    ("GB", "Bristol", "BS1 5TR"),
    ("GB", "Edinburgh", "EH1 1YZ"),
    ("GB", "Cardiff", "CF10 1EP"),
    ("GB", "Leeds", "LS1 4DY"),
    ("GB", "Inverness", "IV1 1QW"),
    ("GB", "London", "SE1 9SG"),
    ("GB", "Belfast", "BT1 5GS"),
    ("IE", "Dublin", "D02 X285"),
    ("FR", "Chamonix", "74400"),
    ("DE", "Munich", "80331"),
]
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "Lake Road",
    "Fell View",
    "Market Place",
    "Victoria Road",
    "Bridge Street",
]


def emulator_connection(channel_type):
    """The credentials, refresh token and token URL the local channel emulator accepts
    (tests/emulators/server.py), so that the demo channels work offline against it."""
    root = os.environ.get("ECOM_ROOT")
    if root and root not in sys.path:
        sys.path.append(root)
    try:
        server = importlib.import_module("tests.emulators.server")
    except ImportError:
        _logger.warning("the channel emulator is not importable: demo channels get no credentials")
        return {}
    return server.connection(EMULATOR_URL, channel_type)


#: Demo data of further addons: tools/demo_data_<area>.py with ``generate(generator)``, run after
#: the steps above when the addon ``ecom_<area>`` is installed.
EXTENSIONS = ("fulfilment", "warehouse", "accounting", "website")


def repo_root():
    """The repository: ECOM_ROOT (set by tools/ecom), else the parent of this file's folder."""
    root = os.environ.get("ECOM_ROOT")
    if root:
        return Path(root)
    here = globals().get("__file__")  # not set when the Odoo shell reads this file on stdin
    return Path(here).resolve().parent.parent if here else Path.cwd()


class DemoGenerator:
    """Builds the demo retailer in ``env``. ``days`` of history and ``scale`` (fraction of the
    catalogue) can be reduced for tests."""

    def __init__(self, env, days=120, scale=1.0, seed=SEED, today=None):
        self.env = env
        self.days = days
        self.scale = scale
        self.rng = random.Random(seed)
        self.today = today or date.today()
        self.company = env.company
        self.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.stock = self.warehouse.lot_stock_id
        self.customer_loc = env.ref("stock.stock_location_customers")
        self.simulated = {}  # product id -> units on hand in the simulation
        self.counts = {}

    # ------------------------------------------------------------------ helpers

    def _ean13(self, number):
        digits = "50%05d%05d" % (1234, number)  # GS1 UK prefix 50, company 01234, item number
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
        return digits + str((10 - total % 10) % 10)

    def _image(self, label, rgb):
        img = Image.new("RGB", (512, 512), rgb)
        draw = ImageDraw.Draw(img)
        light = tuple(min(255, c + 60) for c in rgb)
        draw.rounded_rectangle((56, 56, 456, 456), radius=60, outline=light, width=18)
        draw.text((80, 230), label[:30], fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
        return base64.b64encode(buf.getvalue())

    def _country(self, code):
        return self.env.ref("base.uk" if code == "GB" else "base.%s" % code.lower())

    def _at(self, day_offset, hour=10):
        """A UTC datetime ``day_offset`` days before today (0 = today) at ``hour`` o'clock."""
        return datetime.combine(self.today - timedelta(days=day_offset), time(hour, 0))

    # ------------------------------------------------------------------ set-up

    def setup_company(self):
        env = self.env
        gbp = env.ref("base.GBP")
        gbp.active = True
        self.company.write(
            {
                "name": "Northwind Outdoor Ltd",
                "country_id": env.ref("base.uk").id,
                "street": "Unit 4, Fellside Trading Estate",
                "city": "Kendal",
                "zip": "LA9 6NH",
                "email": "hello@northwind-outdoor.example",
                "phone": "+44 1539 000000",
            }
        )
        self.setup_localisation()
        if not env["account.move.line"].search_count(
            [("company_id", "=", self.company.id)], limit=1
        ):
            self.company.currency_id = gbp
            # the pricelists made at install (Default) follow the company into GBP, so that
            # sales and invoices are in pounds
            pricelists = env["product.pricelist"].search(
                [("company_id", "in", [False, self.company.id]), ("currency_id", "!=", gbp.id)]
            )
            if not env["sale.order"].search_count([("pricelist_id", "in", pricelists.ids)]):
                pricelists.currency_id = gbp
        env.user.tz = "Europe/London"
        self.company.partner_id.tz = "Europe/London"
        settings = env["res.config.settings"].create(
            {"group_stock_multi_locations": True, "group_product_variant": True, "group_uom": False}
        )
        settings.execute()
        self.warehouse.write({"name": "Kendal Warehouse", "code": "KEN"})

    def setup_localisation(self):
        """UK books before any entry exists: Odoo's UK chart of accounts (l10n_uk: accounts,
        20 % / 5 % / 0 % VAT, GBP, fiscal country United Kingdom) replaces the generic one, and
        English (UK) with day-first dates is the company's and the administrator's language."""
        env = self.env
        company = self.company
        has_entries = env["account.move"].search_count([("company_id", "=", company.id)], limit=1)
        if company.chart_template != "uk" and not has_entries:
            module = env["ir.module.module"].search([("name", "=", "l10n_uk")])
            if module.state != "installed":
                raise RuntimeError(
                    "the demo company needs Odoo's UK localisation: install l10n_uk with the "
                    "addons (make db installs it)"
                )
            env["account.chart.template"].try_loading("uk", company, install_demo=False)
        elif company.chart_template != "uk":
            _logger.warning("demo data: entries exist already; the chart of accounts is kept")
        lang = env["res.lang"]._activate_lang("en_GB")
        lang.write({"date_format": "%d/%m/%Y", "time_format": "%H:%M:%S", "week_start": "1"})
        company.partner_id.lang = "en_GB"
        admin = env.ref("base.user_admin", raise_if_not_found=False) or env.user
        (env.user | admin).write({"lang": "en_GB", "tz": "Europe/London"})

    def setup_bins(self):
        Location = self.env["stock.location"]
        vals = []
        for aisle in "ABCD":
            for rack in range(1, 6):
                for shelf in range(1, 5):
                    name = "%s-%02d-%d" % (aisle, rack, shelf)
                    vals.append(
                        {
                            "name": name,
                            "location_id": self.stock.id,
                            "usage": "internal",
                            "barcode": "KEN-%s" % name,
                        }
                    )
        self.bins = Location.create(vals)
        self.counts["bins"] = len(self.bins)

    def setup_suppliers(self):
        Partner = self.env["res.partner"]
        self.suppliers = []
        for name, country, lead, interval, offset in SUPPLIERS:
            partner = Partner.create(
                {
                    "name": name,
                    "is_company": True,
                    "country_id": self._country(country).id,
                    "email": "orders@%s.example" % name.split()[0].lower(),
                }
            )
            self.suppliers.append(
                {
                    "partner": partner,
                    "lead": lead,
                    "interval": interval,
                    "offset": offset,
                    "products": [],
                }
            )

    def _channel_pricelist(self, channel):
        """The channel's pricelist in its currency, as the order import picks it (none without
        ecom_fulfilment, which imports orders)."""
        SaleOrder = self.env["sale.order"]
        if not hasattr(SaleOrder, "_ecom_pricelists"):
            return self.env["product.pricelist"]
        return SaleOrder._ecom_pricelists(channel, [])[channel.currency_id.name]

    def setup_products(self):
        env = self.env
        Attribute = env["product.attribute"]
        size_attr = Attribute.create(
            {
                "name": "Size",
                "create_variant": "always",
                "value_ids": [
                    (0, 0, {"name": n, "sequence": i})
                    for i, n in enumerate(CLOTHING_SIZES + SHOE_SIZES)
                ],
            }
        )
        colour_attr = Attribute.create(
            {
                "name": "Colour",
                "display_type": "color",
                "create_variant": "always",
                "value_ids": [
                    (0, 0, {"name": n, "html_color": "#%02x%02x%02x" % rgb})
                    for n, rgb in COLOURS.items()
                ],
            }
        )
        size_values = {v.name: v for v in size_attr.value_ids}
        colour_values = {v.name: v for v in colour_attr.value_ids}
        categories = {}
        all_goods = env.ref("product.product_category_all")
        catalogue = CATALOGUE[: max(4, round(len(CATALOGUE) * self.scale))]
        item = 0
        self.products = env["product.product"]
        self.rate = {}
        self.planned_rate = {}  # product id -> units a day the buyer planned for
        self.season_peak = {}  # product id -> day of the year its sales peak (SEASONAL)
        self.lumps = {}  # product id -> (lo, hi) units a sale (INTERMITTENT)
        for categ, name, stem, sup_idx, weight, price, sizes, colours, rate in catalogue:
            parent = all_goods
            for part in categ.split(" / "):
                key = (parent.id, part)
                if key not in categories:
                    categories[key] = env["product.category"].create(
                        {"name": part, "parent_id": parent.id}
                    )
                parent = categories[key]
            attribute_lines = []
            size_names = (
                CLOTHING_SIZES if sizes == "clothing" else SHOE_SIZES if sizes == "shoes" else []
            )
            if size_names:
                attribute_lines.append(
                    (
                        0,
                        0,
                        {
                            "attribute_id": size_attr.id,
                            "value_ids": [(6, 0, [size_values[s].id for s in size_names])],
                        },
                    )
                )
            if len(colours) > 1:
                attribute_lines.append(
                    (
                        0,
                        0,
                        {
                            "attribute_id": colour_attr.id,
                            "value_ids": [(6, 0, [colour_values[c].id for c in colours])],
                        },
                    )
                )
            main_rgb = COLOURS[colours[0]] if colours else (90, 100, 110)
            cost = round(price * self.rng.uniform(0.38, 0.52), 2)
            template = env["product.template"].create(
                {
                    "name": name,
                    "categ_id": parent.id,
                    "is_storable": True,
                    "weight": weight,
                    "list_price": price,
                    "standard_price": cost,
                    "sale_ok": True,
                    "purchase_ok": True,
                    "attribute_line_ids": attribute_lines,
                    "image_1920": self._image(name, main_rgb),
                    "description_sale": "%s by Northwind Outdoor, for British hills and weather."
                    % name,
                }
            )
            # A template with variants keeps no cost of its own: each variant gets it.
            template.product_variant_ids.standard_price = cost
            supplier = self.suppliers[sup_idx]
            pack = 1 if price > 40 else self.rng.choice([5, 10])
            env["product.supplierinfo"].create(
                {
                    "partner_id": supplier["partner"].id,
                    "product_tmpl_id": template.id,
                    "delay": supplier["lead"],
                    "min_qty": pack,
                    "price": template.standard_price,
                }
            )
            variants = template.product_variant_ids
            popularity = {}
            for variant in variants:
                item += 1
                values = variant.product_template_attribute_value_ids
                suffix = "-".join(CODES.get(v.name, v.name.replace("UK ", "")) for v in values)
                colour = values.filtered(lambda v: v.attribute_id == colour_attr)[:1].name
                variant.write(
                    {
                        "default_code": "%s-%s" % (stem, suffix) if suffix else stem,
                        "barcode": self._ean13(item),
                        "weight": weight,
                    }
                )
                if colour and len(colours) > 1:
                    variant.image_variant_1920 = self._image(
                        "%s %s" % (name, colour), COLOURS[colour]
                    )
                # Middle sizes sell best; the catalogue's rate is for the whole template.
                size = values.filtered(lambda v: v.attribute_id == size_attr)[:1].name
                popularity[variant.id] = 1.6 if size in ("M", "L", "UK 8", "UK 9") else 1.0
                supplier["products"].append((variant, pack))
            total = sum(popularity.values())
            for variant_id, share in popularity.items():
                self.rate[variant_id] = RATE_FACTOR * rate * share / total
                # the buyer's plan: the style's sales shared evenly between its variants
                self.planned_rate[variant_id] = RATE_FACTOR * rate / len(popularity)
                if stem in SEASONAL:
                    self.season_peak[variant_id] = SEASONAL[stem]
                if stem in INTERMITTENT:
                    self.lumps[variant_id] = INTERMITTENT[stem]
            self.products |= variants
        # Home bins and putaway rules: every product lives in one bin of its aisle.
        bins = list(self.bins)
        self.home = {}
        putaways = []
        for index, product in enumerate(self.products):
            self.home[product.id] = bins[index % len(bins)]
            putaways.append(
                {
                    "product_id": product.id,
                    "location_in_id": self.stock.id,
                    "location_out_id": self.home[product.id].id,
                }
            )
        env["stock.putaway.rule"].create(putaways)
        self.counts["products"] = len(self.products)

    def setup_customers(self):
        Partner = self.env["res.partner"]
        vals = []
        countries = {}
        for index in range(max(30, int(300 * self.scale))):
            code, town, zip_code = TOWNS[index % len(TOWNS)] if index % 7 else TOWNS[index % 9]
            if code not in countries:
                countries[code] = self._country(code).id
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            vals.append(
                {
                    "name": "%s %s" % (first, last),
                    "street": "%d %s" % (self.rng.randint(1, 120), self.rng.choice(STREETS)),
                    "city": town,
                    "zip": zip_code,
                    "country_id": countries[code],
                    "email": "%s.%s%d@mail.example" % (first.lower(), last.lower(), index),
                }
            )
        self.customers = Partner.create(vals)
        self.trade_customer = Partner.create(
            {
                "name": "Lakeland Scout Association",
                "is_company": True,
                "city": "Windermere",
                "country_id": countries["GB"],
            }
        )

    def setup_channels(self):
        env = self.env
        self.channels = []
        Channel = env["ecom.channel"]
        for name, ctype, share, services, account in CHANNELS:
            vals = {
                "name": name,
                "channel_type": ctype,
                "api_base_url": "%s/%s" % (EMULATOR_URL, ctype),
                "warehouse_id": self.warehouse.id,
            }
            vals.update(emulator_connection(ctype))
            vals["account_ref"] = vals.get("account_ref") or account
            if ctype == "ebay":
                # the site is its own field; payouts come from the Finances "host"
                vals.update(account_ref=False, ebay_site_id=account)
                vals["ebay_finances_url"] = "%s/ebay" % EMULATOR_URL
            channel = Channel.create(vals)
            self.channels.append((channel, share, services))
        # what the import gives each channel's orders, worked out once
        self.channel_pricelists = {
            c.id: self._channel_pricelist(c).id for c, _s, _v in self.channels
        }
        self.channel_teams = {
            c.id: c.team_id.id if "team_id" in c._fields else False for c, _s, _v in self.channels
        }
        self.setup_category_maps()
        # Listings: every channel lists most of the catalogue, Amazon and WooCommerce a subset.
        Listing = env["ecom.channel.listing"]
        vals = []
        for channel, _share, _services in self.channels:
            subset = {"shopify": 1.0, "ebay": 0.85, "amazon": 0.6, "woocommerce": 0.5}[
                channel.channel_type
            ]
            for product in self.products:
                if self.rng.random() <= subset:
                    vals.append(self._listing_values(channel, product))
        Listing.create(vals)
        self.counts["listings"] = len(vals)

    def setup_category_maps(self):
        """Each Odoo category mapped to the channel's own category (eBay category id, Amazon
        product type, Shopify product type, WooCommerce category)."""
        vals = []
        for channel, _share, _services in self.channels:
            for categ in self.products.categ_id:
                known = CHANNEL_CATEGORIES.get(channel.channel_type)
                if known:  # eBay category ids, Amazon product types
                    ref, name = known.get(categ.name, known["default"])
                else:  # Shopify product types and WooCommerce categories: our own names
                    ref, name = categ.name.lower().replace(" ", "-"), categ.name
                vals.append(
                    {
                        "channel_id": channel.id,
                        "categ_id": categ.id,
                        "channel_category_ref": ref,
                        "channel_category_name": name,
                    }
                )
        self.env["ecom.channel.category.map"].create(vals)

    def _listing_values(self, channel, product):
        """A listing with a detailed description carrying its keywords, and two images."""
        template = product.product_tmpl_id
        values = ", ".join(product.product_template_attribute_value_ids.mapped("name"))
        keywords = [template.categ_id.name.lower(), template.name.split()[-1].lower()]
        description = (
            "<p>%s</p><ul><li>Category: %s</li>%s<li>Weight: %.2f kg</li></ul>"
            "<p>Ideal %s for walking, camping and the %s outdoors.</p>"
            % (
                template.description_sale or template.name,
                template.categ_id.name,
                "<li>Options: %s</li>" % values if values else "",
                product.weight,
                keywords[1],
                keywords[0],
            )
        )
        images = [(0, 0, {"sequence": 1, "name": product.name, "image": product.image_1920})]
        if product.image_variant_1920 and template.image_1920:
            images.append(
                (0, 0, {"sequence": 2, "name": template.name, "image": template.image_1920})
            )
        extra = {}
        if channel.channel_type == "amazon":
            amazon = CHANNEL_CATEGORIES["amazon"]
            extra["amazon_product_type"] = amazon.get(template.categ_id.name, amazon["default"])[0]
        elif channel.channel_type == "shopify":
            extra["shopify_product_type"] = template.categ_id.name
        return {
            **extra,
            "channel_id": channel.id,
            "product_id": product.id,
            "description": description,
            "keywords": ", ".join(keywords),
            "tags": "%s, outdoor" % template.categ_id.name.lower(),
            "image_ids": images,
        }

    def setup_shipping(self):
        env = self.env
        ship = env["product.product"].create(
            {
                "name": "Delivery charge",
                "type": "service",
                "default_code": "SHIP",
                "list_price": 0.0,
            }
        )
        carriers = {}
        for name, price in [
            ("Royal Mail Tracked 48", 3.2),
            ("Royal Mail Tracked 24", 4.1),
            ("Royal Mail 2nd Class", 2.7),
            ("Parcelforce Express 48 Large", 12.5),
            ("Royal Mail International Tracked", 9.9),
        ]:
            carriers[name] = env["delivery.carrier"].create(
                {
                    "name": name,
                    "product_id": ship.id,
                    "delivery_type": "fixed",
                    "fixed_price": price,
                }
            )
        channel = {c.channel_type: c for c, _s, _x in self.channels}
        Rule = env["ecom.shipping.rule"]
        Rule.create(
            [
                {
                    "sequence": 1,
                    "weight_min": 5.0,
                    "carrier_id": carriers["Parcelforce Express 48 Large"].id,
                },
                {
                    "sequence": 2,
                    "country_ids": [
                        (6, 0, (env.ref("base.fr") | env.ref("base.de") | env.ref("base.ie")).ids)
                    ],
                    "carrier_id": carriers["Royal Mail International Tracked"].id,
                },
                {
                    "sequence": 5,
                    "channel_id": channel["amazon"].id,
                    "service_level": "Standard",
                    "carrier_id": carriers["Royal Mail Tracked 48"].id,
                },
                {
                    "sequence": 6,
                    "channel_id": channel["amazon"].id,
                    "service_level": "Expedited, NextDay",
                    "carrier_id": carriers["Royal Mail Tracked 24"].id,
                },
                {
                    "sequence": 7,
                    "channel_id": channel["ebay"].id,
                    "service_level": "*SecondClass*",
                    "carrier_id": carriers["Royal Mail 2nd Class"].id,
                },
                {
                    "sequence": 8,
                    "service_level": "Express, *FirstClass*",
                    "carrier_id": carriers["Royal Mail Tracked 24"].id,
                },
                {
                    "sequence": 20,
                    "is_default": True,
                    "carrier_id": carriers["Royal Mail Tracked 48"].id,
                },
            ]
        )

    def setup_users(self):
        env = self.env
        Users = env["res.users"].with_context(no_reset_password=True)

        def groups(*xmlids):
            # Groups of an addon that is not installed are left out.
            found = [env.ref(x, raise_if_not_found=False) for x in xmlids]
            return [(6, 0, [group.id for group in found if group])]

        Users.create(
            [
                {
                    "name": "Beth Manager",
                    "login": "backoffice",
                    "password": "backoffice",
                    "email": "beth@northwind-outdoor.example",
                    "tz": "Europe/London",
                    "lang": "en_GB",
                    "groups_id": groups(
                        "base.group_user",
                        "ecom_channels.ecom_channels_group_manager",
                        "ecom_fulfilment.ecom_fulfilment_group_manager",
                        "ecom_replenishment.ecom_replenishment_group_manager",
                        "sales_team.group_sale_manager",
                        "stock.group_stock_manager",
                        "purchase.group_purchase_manager",
                    ),
                },
                {
                    "name": "Will Warehouse",
                    "login": "warehouse",
                    "password": "warehouse",
                    "email": "will@northwind-outdoor.example",
                    "tz": "Europe/London",
                    "lang": "en_GB",
                    "groups_id": groups(
                        "base.group_user", "ecom_fulfilment.ecom_fulfilment_group_user"
                    ),
                },
                {
                    "name": "Anna Accountant",
                    "login": "accountant",
                    "password": "accountant",
                    "email": "anna@northwind-outdoor.example",
                    "tz": "Europe/London",
                    "lang": "en_GB",
                    "groups_id": groups("base.group_user", "account.group_account_readonly"),
                },
            ]
        )

    # ------------------------------------------------------------------ history

    def initial_stock(self):
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        vals = []
        for product in self.products:
            qty = max(2, round(self.rate[product.id] * self.rng.uniform(20, 45)))
            if self.rate[product.id] < 0.06:
                qty = 1  # the slow movers: one unit on the shelf
            self.simulated[product.id] = qty
            vals.append(
                {
                    "product_id": product.id,
                    "location_id": self.home[product.id].id,
                    "inventory_quantity": qty,
                }
            )
        with freeze_time(self._at(self.days + 1)):
            Quant.create(vals).action_apply_inventory()

    def _deliver(self, orders):
        pickings = orders.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        pickings.action_assign()
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings._action_done()

    def _receive(self, purchases):
        pickings = purchases.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings._action_done()

    def _order_lines(self, items):
        return [
            (0, 0, {"product_id": product.id, "product_uom_qty": qty}) for product, qty in items
        ]

    def _new_orders(self, day, items, deliver=True):
        """Spread the day's sold items over channel orders of one to three lines."""
        env = self.env
        SaleOrder = env["sale.order"]
        self.rng.shuffle(items)
        vals = []
        while items:
            size = min(len(items), self.rng.choice([1, 1, 2, 2, 3]))
            chunk, items = items[:size], items[size:]
            roll = self.rng.random()
            customer = self.rng.choice(self.customers)
            order = {"partner_id": customer.id, "order_line": self._order_lines(chunk)}
            cumulative = 0.0
            for channel, share, services in self.channels:
                cumulative += share
                if roll < cumulative:
                    self.order_number[channel.id] = self.order_number.get(channel.id, 1000) + 1
                    service = self.rng.choices(
                        [s for s, _w in services], [w for _s, w in services]
                    )[0]
                    order.update(
                        {
                            "ecom_channel_id": channel.id,
                            "ecom_service_level": service,
                            "ecom_external_ref": "%s-%06d"
                            % (channel.channel_type[:3].upper(), self.order_number[channel.id]),
                            "ecom_ship_by_date": self._at(day - 1, 16) if day else self._at(0, 23),
                            # the import's pricelist (the channel's own, in its currency) and team
                            "pricelist_id": self.channel_pricelists[channel.id],
                            "team_id": self.channel_teams[channel.id],
                        }
                    )
                    break
            vals.append(order)
        with freeze_time(self._at(day, self.rng.randint(8, 20))):
            orders = SaleOrder.create(vals)
            orders.action_confirm()
            if deliver:
                self._deliver(orders)
        return orders

    def history(self):
        """Day by day, oldest first: receipts arrive, customers buy what is on the shelf, bulk
        orders and returns happen, and each supplier is ordered from on its order days.

        With ecom_accounting installed, the channels invoice nothing during the history (its demo
        data invoices the last weeks afterwards): invoicing months of orders one delivery at a
        time would make the demo many times slower."""
        channels = self.env["ecom.channel"].search([])
        if "invoice_policy" not in channels._fields:
            return self._history()
        policies = {channel: channel.invoice_policy for channel in channels}
        channels.write({"invoice_policy": "manual"})
        try:
            return self._history()
        finally:
            for channel, policy in policies.items():
                channel.invoice_policy = policy

    def _history(self):
        self.order_number = {}
        self.on_order = {p.id: 0 for p in self.products}
        self.incoming = []  # (arrival day offset, purchase order, {product id: qty})
        # Some products are forgotten for a while: stock-outs with nothing arriving.
        sample = max(2, len(self.products) // 25)
        self.forgotten = {p.id for p in self.rng.sample(list(self.products), k=sample)}
        self.forgotten_window = (self.days // 3, self.days * 2 // 3)
        spikes = {self.days * 2 // 3: 40, self.days // 4: 25}
        self.returns_due = []
        for day in range(self.days, 0, -1):
            if day % 10 == 0:
                _logger.info("demo data: history, %d days to go (%s)", day, self.counts)
            self._history_receipts(day)
            self._history_sales(day)
            if day in spikes:
                self._history_spike(day, spikes[day])
            for entry in [r for r in self.returns_due if r[0] == day]:
                self.returns_due.remove(entry)
                self._return(day, entry[1])
            for supplier in self.suppliers:
                if not (self.days - day - supplier["offset"]) % supplier["interval"]:
                    self._history_purchase(day, supplier)
        self.counts["open_purchases"] = self.env["purchase.order"].search_count(
            [("state", "=", "purchase"), ("receipt_status", "!=", "full")]
        )

    def _history_receipts(self, day):
        for entry in [entry for entry in self.incoming if entry[0] == day]:
            self.incoming.remove(entry)
            with freeze_time(self._at(day, 9)):
                self._receive(entry[1])
            for product_id, qty in entry[2].items():
                self.simulated[product_id] += qty
                self.on_order[product_id] -= qty

    def _history_sales(self, day):
        weekday = (self.today - timedelta(days=day)).weekday()
        factor = 1.25 if weekday in (5, 6) else 0.95
        items = []
        for product in self.products:
            sold = min(self._demand(product, day, factor), self.simulated[product.id])
            if sold:
                self.simulated[product.id] -= sold
                if product.id in self.lumps:
                    items.append((product, sold))  # one order line for the lump
                else:
                    items.extend([(product, 1)] * sold)
        self.counts["stock_out_days"] = self.counts.get("stock_out_days", 0) + sum(
            1 for product in self.products if not self.simulated[product.id]
        )
        if items:
            orders = self._new_orders(day, items)
            if self.rng.random() < 0.15 and day > 3:
                self.returns_due.append((day - self.rng.randint(2, 3), orders[0]))

    def season(self, product_id, day):
        """Multiplier of the yearly mean rate ``day`` days before today (1 out of SEASONAL)."""
        peak = self.season_peak.get(product_id)
        if peak is None:
            return 1.0
        day_of_year = (self.today - timedelta(days=day)).timetuple().tm_yday
        return 1 + SEASON_AMPLITUDE * math.cos(2 * math.pi * (day_of_year - peak) / 365.0)

    def _demand(self, product, day, factor):
        """Units customers want ``day`` days before today: Poisson at the product's rate (with
        its season), or a lump now and then for the intermittent sellers."""
        rate = self.rate[product.id] * factor * self.season(product.id, day)
        if product.id in self.lumps:
            low, high = self.lumps[product.id]
            if self.rng.random() < rate / ((low + high) / 2):
                return self.rng.randint(low, high)
            return 0
        return self._poisson(rate)

    def _history_spike(self, day, quantity):
        """A one-off bulk order: a scout group buys the best-stocked product in one go."""
        product = max(self.products, key=lambda p: self.simulated[p.id])
        qty = min(quantity, self.simulated[product.id])
        if not qty:
            return
        self.simulated[product.id] -= qty
        with freeze_time(self._at(day, 11)):
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.trade_customer.id,
                    "order_line": self._order_lines([(product, qty)]),
                }
            )
            order.action_confirm()
            self._deliver(order)
        self.counts["spikes"] = self.counts.get("spikes", 0) + 1

    def _history_purchase(self, day, supplier):
        """Order up to cover lead time + order interval + a margin, in pack multiples."""
        lines = {}
        low, high = self.forgotten_window
        for product, pack in supplier["products"]:
            if product.id in self.forgotten and low < day <= high:
                continue
            cover = supplier["lead"] + supplier["interval"]
            target = math.ceil(self.rate[product.id] * cover * 1.2 + 1)
            position = self.simulated[product.id] + self.on_order[product.id]
            if position < target:
                lines[product.id] = math.ceil((target - position) / pack) * pack
        if not lines:
            return
        with freeze_time(self._at(day, 15)):
            purchase = self.env["purchase.order"].create(
                {
                    "partner_id": supplier["partner"].id,
                    "order_line": [
                        (0, 0, {"product_id": pid, "product_qty": qty})
                        for pid, qty in lines.items()
                    ],
                }
            )
            purchase.button_confirm()
        for product_id, qty in lines.items():
            self.on_order[product_id] += qty
        late = self.rng.randint(1, 4) if self.rng.random() < 0.2 else 0
        arrival = day - supplier["lead"] - late
        if arrival > 0:
            self.incoming.append((arrival, purchase, lines))
        self.counts["purchases"] = self.counts.get("purchases", 0) + 1

    def _return(self, day, order):
        picking = order.picking_ids.filtered(lambda p: p.state == "done")[:1]
        if not picking:
            return
        with freeze_time(self._at(day, 14)):
            wizard = (
                self.env["stock.return.picking"]
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            for line in wizard.product_return_moves:
                line.quantity = 1
            action = wizard.action_create_returns()
            returned = self.env["stock.picking"].browse(action["res_id"])
            for move in returned.move_ids:
                move.quantity = move.product_uom_qty
                self.simulated[move.product_id.id] += int(move.product_uom_qty)
            returned.move_ids.picked = True
            returned._action_done()
        self.counts["returns"] = self.counts.get("returns", 0) + 1

    def waiting_orders(self):
        """Today's channel orders: confirmed, stock reserved, not shipped yet."""
        items = []
        for product in self.rng.sample(list(self.products), k=min(len(self.products), 24)):
            if self.simulated[product.id] > 0:
                items.append((product, 1))
                self.simulated[product.id] -= 1
        orders = self._new_orders(0, items, deliver=False)
        self.counts["orders_to_ship"] = len(orders)

    def reordering_rules(self):
        """Odoo reordering rules as the buyer set them by hand before computing them from sales
        (when ecom_replenishment is installed), from their plan (the style's yearly sales shared
        evenly between its sizes and colours): minimum = the planned sales of the lead time and
        a week, maximum = minimum + the order interval's sales, in packs; each supplier's order
        interval on the vendor. The recompute keeps the levels as the rules' configured ones,
        which the backtest replays as Odoo's static rules."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        if "ecom_static_min_qty" not in Orderpoint._fields:
            return
        vals = []
        for supplier in self.suppliers:
            supplier["partner"].ecom_order_interval_days = supplier["interval"]
            for product, pack in supplier["products"]:
                rate = self.planned_rate[product.id]
                minimum = max(1, math.ceil(rate * (supplier["lead"] + 7)))
                order = max(pack, math.ceil(rate * supplier["interval"] / pack) * pack)
                vals.append(
                    {
                        "product_id": product.id,
                        "warehouse_id": self.warehouse.id,
                        "location_id": self.stock.id,
                        "product_min_qty": minimum,
                        "product_max_qty": minimum + order,
                        "qty_multiple": pack,
                        "trigger": "manual",
                    }
                )
        rules = Orderpoint.create(vals)
        rules._set_default_route_id()
        self.counts["configured_rules"] = len(rules)

    def replenishment(self):
        """Reorder suggestions from the history, when ecom_replenishment is installed."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        if hasattr(Orderpoint, "_cron_ecom_recompute"):
            Orderpoint._cron_ecom_recompute()
            self.counts["reorder_rules"] = Orderpoint.search_count([("ecom_daily_sales", ">", 0)])

    def _poisson(self, rate):
        """A Poisson draw (Knuth) from the generator's own random source."""
        if rate <= 0:
            return 0
        limit, k, p = math.exp(-rate), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    # ------------------------------------------------------------------ entry point

    def extensions(self):
        """Demo data of the other addons (see EXTENSIONS), in that order."""
        installed = set(
            self.env["ir.module.module"]
            .search([("state", "=", "installed"), ("name", "=like", "ecom_%")])
            .mapped("name")
        )
        for area in EXTENSIONS:
            path = repo_root() / "tools" / ("demo_data_%s.py" % area)
            if "ecom_%s" % area not in installed or not path.exists():
                continue
            spec = importlib.util.spec_from_file_location("ecom_demo_data_%s" % area, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _logger.info("demo data: %s", area)
            module.generate(self)

    def run(self):
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(MARKER):
            _logger.info("demo data already generated on %s", params.get_param(MARKER))
            return False
        steps = [
            self.setup_company,
            self.setup_bins,
            self.setup_suppliers,
            self.setup_products,
            self.setup_customers,
            self.setup_channels,
            self.setup_shipping,
            self.setup_users,
            self.initial_stock,
            self.history,
            self.waiting_orders,
            self.reordering_rules,
            self.replenishment,
            self.extensions,
        ]
        for step in steps:
            _logger.info("demo data: %s", step.__name__)
            step()
        params.set_param(MARKER, str(self.today))
        return True


if "env" in globals():  # run by `odoo shell` (make db DEMO=1, make run, make shell < this file)
    generator = DemoGenerator(
        env,  # noqa: F821 (bound by the Odoo shell)
        days=int(os.environ.get("ECOM_DEMO_DAYS", 120)),
        scale=float(os.environ.get("ECOM_DEMO_SCALE", 1.0)),
    )
    if generator.run():
        env.cr.commit()  # noqa: F821
        print(
            "demo data generated:",
            ", ".join("%s %s" % (v, k) for k, v in sorted(generator.counts.items())),
        )
    else:
        print("demo data were already generated in this database")
