"""Plain value classes of a shipment to a carrier, and the errors carriers raise."""

from dataclasses import dataclass, field
from datetime import datetime

#: Address fields a parcel cannot be labelled without.
REQUIRED_ADDRESS_FIELDS = ("name", "street", "city", "zip", "country_code")


class CarrierError(Exception):
    """A carrier call failed; ``message`` is plain words (no secret), ``retryable`` says whether
    trying again later can succeed, ``reference`` names the shipment when one failed alone."""

    def __init__(self, message, *, retryable=False, status=None, reference="", payload=""):
        self.message = message
        self.retryable = retryable
        self.status = status
        self.reference = reference
        self.payload = payload or ""
        super().__init__(message)

    def __str__(self):
        return self.message


@dataclass
class Party:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country_code: str = ""
    phone: str = ""
    email: str = ""

    def missing(self):
        """The required fields left empty, e.g. ``['street', 'zip']``."""
        return [name for name in REQUIRED_ADDRESS_FIELDS if not (getattr(self, name) or "").strip()]

    def lines(self):
        """The address as printed on a label."""
        city = " ".join(p for p in (self.city, self.state) if p)
        rows = [self.name, self.company, self.street, self.street2, city, self.zip]
        rows.append(self.country_code)
        return [row for row in rows if row]


@dataclass
class Parcel:
    weight_kg: float
    name: str = ""


@dataclass
class ContentLine:
    sku: str
    name: str
    quantity: int
    unit_value: float = 0.0
    unit_weight_kg: float = 0.0


@dataclass
class ShipmentRequest:
    """One order to send: ``reference`` is ours (unique per shipment, e.g. the picking name)."""

    reference: str
    recipient: Party
    sender: Party
    parcels: list[Parcel]
    service_code: str = ""
    service_name: str = ""
    order_reference: str = ""
    order_date: datetime | None = None
    subtotal: float = 0.0
    shipping_charged: float = 0.0
    total: float = 0.0
    currency: str = "GBP"
    contents: list[ContentLine] = field(default_factory=list)
    package_format: str = "parcel"

    @property
    def weight_kg(self):
        return sum(p.weight_kg for p in self.parcels)


@dataclass
class LabelResult:
    """A created shipment: the carrier's reference, a tracking number per parcel, the label."""

    reference: str
    carrier_ref: str
    tracking_numbers: list[str]
    label: bytes = b""
    label_format: str = "pdf"

    @property
    def tracking_number(self):
        return ",".join(self.tracking_numbers)


def split_weight(total_kg, count):
    """``count`` parcel weights summing to ``total_kg`` (the last one takes the rounding)."""
    count = max(1, int(count or 1))
    each = round(total_kg / count, 3)
    weights = [each] * (count - 1)
    weights.append(round(total_kg - each * (count - 1), 3))
    return weights
