"""Self-printed labels (PDF and ZPL with a python-barcode Code128), parcels and PDF merging."""

import io

import pytest
from barcode import Code128
from ecom_fulfilment_core import labels
from ecom_fulfilment_core.documents import merge_pdfs, page_count
from ecom_fulfilment_core.parcels import CarrierError, Party, split_weight
from pypdf import PdfReader

SENDER = Party(name="Northwind Outdoor", street="1 Dock Road", city="Leeds", zip="LS1 4AP",
               country_code="GB")  # fmt: skip
RECIPIENT = Party(name="Jane Doe", street="1 High Street", city="Bristol", zip="BS1 4DJ",
                  country_code="GB")  # fmt: skip


def label(number="EC000000001GB", recipient=RECIPIENT, index=1, count=1):
    return labels.LabelData(
        tracking_number=number,
        carrier="Royal Mail",
        service="Tracked 48",
        sender=SENDER,
        recipient=recipient,
        weight_kg=1.25,
        reference="S00042",
        parcel_index=index,
        parcel_count=count,
    )


def test_pdf_label_has_a_page_per_parcel_with_the_facts():
    pdf = labels.render_pdf([label("EC000000001GB", index=1, count=2),
                             label("EC000000002GB", index=2, count=2)])  # fmt: skip
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    for fact in ("Royal Mail", "Tracked 48", "Jane Doe", "BS1 4DJ", "Northwind Outdoor",
                 "EC000000002GB", "S00042", "Parcel 2 / 2", "1.25 kg"):  # fmt: skip
        assert fact in text
    assert float(reader.pages[0].mediabox.width) == pytest.approx(288)  # 4 inches


def test_barcode_is_python_barcode_code128():
    modules = labels.barcode_modules("EC000000001GB")
    assert modules == "".join(Code128("EC000000001GB").build())
    runs = labels.bar_runs(modules)
    assert sum(width for _start, width in runs) == modules.count("1")
    assert runs[0][0] == modules.index("1")


def test_zpl_label_draws_the_same_bars():
    zpl = labels.render_zpl([label()]).decode()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^FDJane Doe^FS" in zpl and "^FDEC000000001GB^FS" in zpl
    bars = [line for line in zpl.splitlines() if line.startswith("^FO") and ",880^GB" in line]
    assert len(bars) == len(labels.bar_runs(labels.barcode_modules("EC000000001GB")))


def test_bad_address_is_a_clear_error():
    incomplete = Party(name="Jane Doe", city="Bristol", country_code="GB")
    with pytest.raises(CarrierError, match="lacks street, zip"):
        labels.render_pdf([label(recipient=incomplete)])
    with pytest.raises(CarrierError, match="unknown label format"):
        labels.render([label()], "png")


def test_zpl_text_cannot_inject_commands():
    evil = Party(name="^XZ^XA Evil~", street="1 St", city="X", zip="1", country_code="GB")
    zpl = labels.render_zpl([label(recipient=evil)]).decode()
    assert "^FD XZ XA Evil ^FS" in zpl


def test_split_weight():
    assert split_weight(3.0, 3) == [1.0, 1.0, 1.0]
    assert sum(split_weight(1.0, 3)) == pytest.approx(1.0)
    assert split_weight(2.0, 0) == [2.0]


def test_merge_keeps_order_and_reports_broken_files():
    first = labels.render_pdf([label("EC000000001GB")])
    second = labels.render_pdf([label("EC000000002GB"), label("EC000000003GB")])
    merged = merge_pdfs([first, b"", second])
    assert page_count(merged) == 3
    assert "EC000000003GB" in PdfReader(io.BytesIO(merged)).pages[2].extract_text()
    with pytest.raises(CarrierError, match="document 2"):
        merge_pdfs([first, b"not a pdf"])
    with pytest.raises(CarrierError, match="nothing to print"):
        merge_pdfs([])
