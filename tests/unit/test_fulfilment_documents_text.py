"""What packing slips and labels say: quantities as people write them, the delivery address
once, the ship date in the company's language's format."""

import io
from datetime import date

import pytest
from ecom_fulfilment_core import labels, slips
from ecom_fulfilment_core.parcels import Party
from pypdf import PdfReader

SENDER = Party(name="Northwind Outdoor", street="1 Dock Road", city="Leeds", zip="LS1 4AP",
               country_code="GB")  # fmt: skip
RECIPIENT = Party(name="Alice Walker", street="3 Fell Lane", city="Kendal", zip="LA9 4AA",
                  country_code="GB")  # fmt: skip


def text_of(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


@pytest.mark.parametrize(
    ("quantity", "rounding", "unit", "is_unit", "expected"),
    [
        (1.0, 1.0, "Units", True, "1"),
        (2.0, 0.01, "Units", True, "2"),
        (12.0, 1.0, "Units", True, "12"),
        (1.5, 0.001, "kg", False, "1.5 kg"),
        (0.25, 0.01, "m", False, "0.25 m"),
        (2.0, 1.0, "Dozens", False, "2 Dozens"),
        (3.0, 1.0, "", False, "3"),
        (1.0004, 0.001, "kg", False, "1 kg"),
    ],
)
def test_quantity_text(quantity, rounding, unit, is_unit, expected):
    assert slips.quantity_text(quantity, rounding, unit, is_unit) == expected


def test_address_rows_print_the_name_once():
    rows = slips.address_rows(
        "Alice Walker", "Alice Walker", ["3 Fell Lane", "", "Kendal LA9 4AA", "United Kingdom"]
    )
    assert rows == ["Alice Walker", "3 Fell Lane", "Kendal LA9 4AA", "United Kingdom"]
    rows = slips.address_rows("Bob Stone", "Lakeland Scouts", ["1 Lake Road"])
    assert rows == ["Bob Stone", "Lakeland Scouts", "1 Lake Road"]


def test_slip_text_has_variant_integer_quantities_and_one_name():
    data = slips.SlipData(
        reference="KEN/OUT/01224",
        company="Northwind Outdoor Ltd",
        sender_lines=["1 Dock Road", "Leeds LS1 4AP"],
        recipient_lines=slips.address_rows(
            "Alice Walker", "Alice Walker", ["3 Fell Lane", "Kendal LA9 4AA"]
        ),
        order="SO123",
        order_date="28/11/2026",
        lines=[
            slips.SlipLine(
                "ACC-BEANIE-BLK",
                "Merino Beanie (Black)",
                "A-01-1",
                slips.quantity_text(1.0, 1.0, "Units", True),
            )
        ],
    )
    buffer = io.BytesIO()
    slips.render_slips([data], buffer)
    text = text_of(buffer.getvalue())
    assert "Merino Beanie (Black)" in text
    assert text.count("Alice Walker") == 1
    assert "Units" not in text and "1.0" not in text
    assert "28/11/2026" in text


def test_label_ship_date_in_the_given_format():
    label = labels.LabelData(
        tracking_number="NW2C000000001GB",
        carrier="Royal Mail",
        service="2nd Class",
        sender=SENDER,
        recipient=RECIPIENT,
        weight_kg=0.4,
        reference="SO123",
        ship_date=date(2026, 11, 3),
        date_format="%d/%m/%Y",
    )
    assert "03/11/2026" in text_of(labels.render_pdf([label]))
    assert b"03/11/2026" in labels.render_zpl([label])
    # ISO unless told
    label.date_format = "%Y-%m-%d"
    assert "2026-11-03" in text_of(labels.render_pdf([label]))
    # a broken format falls back to ISO instead of failing the label
    label.date_format = None
    assert "2026-11-03" in text_of(labels.render_pdf([label]))
