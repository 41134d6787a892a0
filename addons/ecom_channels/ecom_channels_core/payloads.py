"""Plain value classes exchanged between the channel clients and their callers (the ORM layer)."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ListingPayload:
    """What to publish for one product on one channel.

    ``condition`` is eBay's ``ConditionID`` (e.g. ``"1000"`` for new) or Amazon's ``condition_type``
    (e.g. ``"new_new"``); ``category_id`` is the channel's category; ``product_type`` is Amazon's
    product type or Shopify's free-text product type; ``gtin`` an EAN/UPC/GTIN (``barcode`` is used
    when empty); ``extra`` holds raw channel-specific values merged into the request.
    """

    sku: str
    title: str = ""
    description_html: str = ""
    price: float | None = None
    currency: str = "GBP"
    quantity: int | None = None
    barcode: str = ""
    images: list[str] = field(default_factory=list)
    category_id: str = ""
    condition: str = ""
    product_type: str = ""
    gtin: str = ""
    asin: str = ""
    brand: str = ""
    vendor: str = ""
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    #: Attributes in the channel's own vocabulary (the listing's attribute editor): name ->
    #: value (several values: one per line, e.g. Amazon bullet points).
    channel_attributes: dict[str, str] = field(default_factory=dict)
    weight_kg: float | None = None
    handling_days: int | None = None
    external_ref: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def product_code(self):
        """The GTIN to send: ``gtin`` or, failing that, ``barcode``."""
        return self.gtin or self.barcode


@dataclass
class Requirements:
    """What a channel requires of a listing in its own words: the attribute names it requires
    (``required``) and recommends (``recommended``) for the listing's product type or
    category, read from the channel (``source`` says from where)."""

    required: list[str] = field(default_factory=list)
    recommended: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class RemoteListing:
    """A listing as the channel holds it."""

    external_ref: str
    sku: str = ""
    barcode: str = ""
    title: str = ""
    price: float | None = None
    quantity: int | None = None
    currency: str = ""
    status: str = ""
    description_html: str = ""
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class QuantityResult:
    """Outcome of one quantity update: ``ok`` or the ``message`` saying why not; ``retryable``
    when the channel could not take it now (down, throttling) rather than refused it."""

    key: str
    quantity: int
    ok: bool
    message: str = ""
    retryable: bool = False
    #: Seconds the channel asked to wait before trying again (its ``Retry-After``), if it said.
    retry_after: float | None = None


@dataclass
class Address:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    zip: str = ""
    state: str = ""
    country_code: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class RemoteOrderLine:
    """A line of a channel order. ``unit_price`` and ``total`` are in the order's basis: with
    tax when the order's ``prices_include_tax``, without otherwise."""

    external_ref: str
    sku: str = ""
    title: str = ""
    quantity: float = 0
    #: Unit price before the line's discounts.
    unit_price: float = 0.0
    listing_ref: str = ""
    #: Tax of the whole line as the channel reports it (0 when it reports none).
    tax_amount: float = 0.0
    #: Tax rate of the line in percent (20.0) as the channel reports it; None when it does not.
    tax_rate: float | None = None
    #: What the buyer pays for the line, after its discounts; None: quantity x unit price.
    total: float | None = None


@dataclass
class RemoteOrder:
    """An order as the channel holds it; dates are naive UTC."""

    external_ref: str
    name: str = ""
    status: str = ""
    cancelled: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    currency: str = ""
    total: float = 0.0
    shipping_amount: float = 0.0
    #: Tax of the order (lines and shipping) as the channel reports it.
    tax_amount: float = 0.0
    #: Whether the line prices and the shipping amount include tax; None when the channel does
    #: not say (the channel's configuration decides).
    prices_include_tax: bool | None = None
    #: Whether the channel reports the tax of each line (``RemoteOrderLine.tax_amount``, and
    #: ``shipping_tax_amount``): then a line without tax was sold without tax.
    taxes_reported: bool = False
    #: Tax of the shipping charge as the channel reports it (None: not reported apart, then
    #: ``tax_amount`` minus the lines' tax), and its rate in percent (None: not reported).
    shipping_tax_amount: float | None = None
    shipping_tax_rate: float | None = None
    service_level: str = ""
    ship_by: datetime | None = None
    buyer_name: str = ""
    buyer_email: str = ""
    shipping_address: Address = field(default_factory=Address)
    billing_address: Address = field(default_factory=Address)
    lines: list[RemoteOrderLine] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)
    #: What the client could not read in the channel's data, in plain words (a date that does
    #: not parse, a missing id, a quantity that is not a number, a list that is null...). An
    #: order with problems is never booked as if it were fine: the importer keeps it as *needs
    #: attention* (or, without an ``external_ref``, logs it with its raw payload) for a retry.
    #: Clients never raise for one bad order: they yield it with its problems and go on.
    problems: list[str] = field(default_factory=list)


@dataclass
class Shipment:
    """A dispatch to report to the channel. Empty ``lines`` means the whole order; otherwise
    ``(line external_ref, quantity)`` pairs."""

    order_ref: str
    carrier: str
    tracking_number: str
    tracking_url: str = ""
    service: str = ""
    shipped_at: datetime | None = None
    lines: list[tuple[str, float]] = field(default_factory=list)
    notify_customer: bool = True
