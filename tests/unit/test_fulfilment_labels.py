"""Self-printed labels (PDF and ZPL with a python-barcode Code128), packing slips, parcels and
the print file (PDF merging in worker processes)."""

import io
import os
import re

import pytest
from barcode import Code128
from ecom_fulfilment_core import documents, fonts, labels, slips
from ecom_fulfilment_core.documents import PdfFile, PrintFile, merge_pdfs, page_count
from ecom_fulfilment_core.drawing import wrap_rows
from ecom_fulfilment_core.parcels import CarrierError, Party, split_weight
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

SENDER = Party(name="Northwind Outdoor", street="1 Dock Road", city="Leeds", zip="LS1 4AP",
               country_code="GB")  # fmt: skip
RECIPIENT = Party(name="Jane Doe", street="1 High Street", city="Bristol", zip="BS1 4DJ",
                  country_code="GB")  # fmt: skip
NAMES = ["Łukasz Żółć", "Ελένη Παπαδοπούλου", "Дмитрий Иванов", "Ærøskøbing"]
LONG_STREET = (
    "Flat 12, The Very Long Building Name That Does Not Fit On One Line, Riverside Quarter"
)


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


def text_of(pdf, page=None):
    """The text of a PDF (bytes or path), whitespace runs made single spaces."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    pages = reader.pages if page is None else [reader.pages[page]]
    return " ".join(" ".join(p.extract_text().split()) for p in pages)


def font_names(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].get_object().values()
    }


def rectangles(pdf, page=0):
    """(x, y, width, height) of the rectangles drawn on ``page``."""
    content = PdfReader(io.BytesIO(pdf)).pages[page].get_contents().get_data().decode("latin-1")
    return [tuple(map(float, m)) for m in re.findall(r"(\S+) (\S+) (\S+) (\S+) re\b", content)]


def slip(**values):
    data = dict(
        reference="WH/OUT/00042",
        company="Northwind Outdoor Ltd",
        sender_lines=["1 Dock Road", "Leeds LS1 4AP", "United Kingdom"],
        recipient_lines=["Jane Doe", "1 High Street", "Bristol BS1 4DJ", "United Kingdom"],
        order="1007",
        channel="WooCommerce",
        order_date="03/01/2024",
        carrier="Tracked 48",
        tracking="EC000000001GB",
        parcels=2,
        lines=[
            slips.SlipLine("MUG-01", "Enamel Mug (Blue)", "B-03-2", "2 Units"),
            slips.SlipLine("BTL-01", "Steel Bottle", "B-04-1, B-04-2", "1 Units"),
        ],
        note="Leave at the back door.",
    )
    data.update(values)
    return slips.SlipData(**data)


def slip_pdf(*data):
    buffer = io.BytesIO()
    slips.render_slips(list(data), buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------- labels
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


def test_pdf_label_draws_the_tracking_barcode():
    pdf = labels.render_pdf([label("EC000000001GB")])
    bars = [r for r in rectangles(pdf) if r[3] == pytest.approx(labels.BARCODE_HEIGHT)]
    runs = labels.bar_runs(labels.barcode_modules("EC000000001GB"))
    assert len(bars) == len(runs)
    module = bars[0][2] / runs[0][1]
    assert [round(b[2] / module) for b in bars] == [width for _start, width in runs]


@pytest.mark.parametrize("name", NAMES)
def test_pdf_label_prints_any_script(name):
    recipient = Party(name=name, street="ul. Świętokrzyska 12", city=name, zip="00-001",
                      country_code="PL")  # fmt: skip
    pdf = labels.render_pdf([label(recipient=recipient)])
    text = text_of(pdf)
    assert name in text
    assert "?" not in text
    assert "ul. Świętokrzyska 12" in text
    assert any("DejaVuSans" in font for font in font_names(pdf))


def test_western_labels_need_no_embedded_font():
    recipient = Party(name="Søren Ærø", street="Havnegade 1", city="Ærøskøbing", zip="5970",
                      country_code="DK")  # fmt: skip
    pdf = labels.render_pdf([label(recipient=recipient)])
    assert "Søren Ærø" in text_of(pdf) and "Ærøskøbing" in text_of(pdf)
    assert font_names(pdf) == {"/Helvetica", "/Helvetica-Bold"}
    assert len(pdf) < 5000


def test_long_address_lines_are_wrapped_not_cut():
    recipient = Party(name="Ελένη Παπαδοπούλου-Καραγιαννοπούλου", company="Дмитрий Иванов "
                      "Trading and Import Company Limited", street=LONG_STREET,
                      street2="Supercalifragilisticexpialidociousandevenlongerwordthanthat",
                      city="Bristol", zip="BS1 4DJ", country_code="GB")  # fmt: skip
    pdf = labels.render_pdf([label(recipient=recipient)])
    text = text_of(pdf).replace(" ", "")
    for row in recipient.lines():
        assert row.replace(" ", "") in text
    # every line stays inside the label
    width = labels.PAGE[0] - 2 * labels.MARGIN - 8
    for size in (13, 9):
        for row in wrap_rows(recipient.lines(), "Helvetica-Bold", size, width):
            assert stringWidth(row, "Helvetica-Bold", size) <= width


def test_zpl_label_draws_the_same_bars():
    zpl = labels.render_zpl([label()]).decode()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^FDJane Doe^FS" in zpl and "^FDEC000000001GB^FS" in zpl
    bars = [line for line in zpl.splitlines() if line.startswith("^FO") and ",880^GB" in line]
    assert len(bars) == len(labels.bar_runs(labels.barcode_modules("EC000000001GB")))


def test_zpl_is_utf8_and_wraps_long_lines():
    recipient = Party(name=NAMES[2], company=NAMES[1], street=LONG_STREET, city=NAMES[0],
                      zip="00-001", country_code="PL")  # fmt: skip
    zpl = labels.render_zpl([label(recipient=recipient)])
    text = zpl.decode("utf-8")
    assert "^CI28" in text
    for name in NAMES[:3]:
        assert "^FD%s^FS" % name in text
    fields = re.findall(r"\^FO60,\d+\^A0N,(\d+),\d+\^FD(.*?)\^FS", text)
    assert " ".join(row for _h, row in fields).split() == " ".join(recipient.lines()).split()
    assert len(fields) > len(recipient.lines())  # the street took more than one line
    for height, row in fields:
        assert stringWidth(row, "Helvetica-Bold", int(height)) <= 712


def test_bad_address_is_a_clear_error():
    incomplete = Party(name="Jane Doe", city="Bristol", country_code="GB")
    with pytest.raises(CarrierError, match="lacks street, zip"):
        labels.render_pdf([label(recipient=incomplete)])
    with pytest.raises(CarrierError, match="unknown label format"):
        labels.render([label()], "png")


def test_zpl_text_cannot_inject_commands():
    evil = Party(name="^XZ^XA Evil~", street="1 St", city="X", zip="1", country_code="GB")
    zpl = labels.render_zpl([label(recipient=evil)]).decode()
    assert "^FDXZ XA Evil^FS" in zpl
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "~" not in zpl


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_fontconfig_file", lambda pattern: None)
    assert fonts.find_font_file("DejaVuSans.ttf", dirs=[str(tmp_path)]) is None
    monkeypatch.setattr(fonts, "find_font_file", lambda name: None)
    with pytest.raises(fonts.FontMissing, match="fonts-dejavu-core"):
        fonts.unicode_fonts.__wrapped__()
    monkeypatch.setattr(fonts, "unicode_fonts", fonts.unicode_fonts.__wrapped__)
    polish = Party(name=NAMES[0], street="1 St", city="X", zip="1", country_code="PL")
    with pytest.raises(CarrierError, match="DejaVu Sans"):
        labels.render_pdf([label(recipient=polish)])
    assert "Jane Doe" in text_of(labels.render_pdf([label()]))  # Helvetica needs no font file


def test_dejavu_is_found_on_this_machine():
    path = fonts.find_font_file(fonts.REGULAR_FILE)
    assert path and os.path.basename(path) == "DejaVuSans.ttf"
    assert fonts.unicode_fonts().embedded


# ---------------------------------------------------------------------- slips
def test_slip_carries_every_element():
    pdf = slip_pdf(slip())
    text = text_of(pdf)
    for fact in ("Northwind Outdoor Ltd", "1 Dock Road", "Leeds LS1 4AP", "WH/OUT/00042",
                 "Packing Slip", "Deliver to", "Jane Doe", "1 High Street", "Bristol BS1 4DJ",
                 "Order: 1007", "Channel: WooCommerce", "Order date: 03/01/2024",
                 "Carrier: Tracked 48", "Tracking: EC000000001GB", "Parcels: 2",
                 "SKU Product Bin Quantity", "MUG-01 Enamel Mug (Blue) B-03-2 2 Units",
                 "BTL-01 Steel Bottle B-04-1, B-04-2 1 Units", "Leave at the back door.",
                 "Thank you for your order."):  # fmt: skip
        assert fact in text, fact
    # the barcode is the delivery's reference, for the dispatch scan
    bars = [r for r in rectangles(pdf) if r[3] == pytest.approx(44)]
    assert len(bars) == len(labels.bar_runs(labels.barcode_modules("WH/OUT/00042")))


def test_slip_without_order_facts_leaves_them_out():
    text = text_of(slip_pdf(slip(order="", channel="", order_date="", tracking="", note="")))
    assert "Order:" not in text and "Tracking:" not in text and "Channel:" not in text
    assert "Carrier: Tracked 48" in text and "Parcels: 2" in text


def test_slip_in_other_scripts_and_languages():
    texts = slips.SlipTexts(title="Накладная", deliver_to="Доставка", thanks="Ευχαριστούμε!")
    data = slip(
        recipient_lines=[NAMES[1], LONG_STREET, NAMES[3]],
        lines=[slips.SlipLine("X-1", "Футболка (Красная, XL)", "B-01-1", "1 шт")],
        texts=texts,
        company=NAMES[0],
        note=NAMES[2],
    )
    text = text_of(slip_pdf(data))
    for fact in (*NAMES, "Накладная", "Доставка", "Ευχαριστούμε!", "Футболка (Красная, XL)"):
        assert fact in text, fact
    assert LONG_STREET.replace(" ", "") in text.replace(" ", "")
    assert "?" not in text


def test_slip_of_a_reference_code128_cannot_carry_prints_without_bars():
    pdf = slip_pdf(slip(reference="Склад/OUT/00001"))
    assert "Склад/OUT/00001" in text_of(pdf)
    assert not rectangles(pdf)


def test_long_slip_continues_on_more_pages():
    many = [
        slips.SlipLine("SKU-%03d" % i, "Product %d" % i, "B-01-1", "1 Units") for i in range(90)
    ]
    pdf = slip_pdf(slip(lines=many))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    second = text_of(pdf, 1)
    assert "WH/OUT/00042 (continued)" in second and "SKU Product Bin Quantity" in second
    text = text_of(pdf)
    assert all("SKU-%03d Product %d" % (i, i) in text for i in range(90))


# ---------------------------------------------------------------------- the print file
def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return PdfFile(str(path), name=name)


@pytest.mark.parametrize("processes", [0, 2])
def test_print_file_sections_in_order(tmp_path, processes):
    label_files = [
        write(tmp_path, "l%d.pdf" % i, labels.render_pdf([label("EC%09dGB" % i)])) for i in range(6)
    ]
    data = [slip(reference="WH/OUT/%05d" % i) for i in range(6)]
    with PrintFile(["labels", "slips"], folder=str(tmp_path), chunk=2, processes=processes) as pf:
        pf.add("labels", label_files[:3])
        pf.add("slips", data[:3])
        pf.pump("labels")
        pf.add("labels", label_files[3:])
        pf.add("slips", data[3:])
        result = pf.finish()
    reader = PdfReader(result.path)
    assert result.pages == len(reader.pages) == 12
    for i in range(6):
        assert "EC%09dGB" % i in reader.pages[i].extract_text()
        assert "WH/OUT/%05d" % i in reader.pages[6 + i].extract_text()
    os.unlink(result.path)
    # the chunks and the work folder are gone
    assert sorted(os.listdir(tmp_path)) == sorted(f.name for f in label_files)


def test_print_file_names_a_broken_file(tmp_path):
    good = write(tmp_path, "good.pdf", labels.render_pdf([label()]))
    bad = write(tmp_path, "WH-OUT-00007.pdf", b"not a pdf")
    with pytest.raises(CarrierError, match="WH-OUT-00007.pdf is not a readable PDF"):
        documents.build_print_file([good, bad, good], folder=str(tmp_path), processes=2)
    assert sorted(os.listdir(tmp_path)) == ["WH-OUT-00007.pdf", "good.pdf"]


def test_looks_like_pdf(tmp_path):
    good = write(tmp_path, "good.pdf", labels.render_pdf([label()]))
    assert documents.looks_like_pdf(good.path)
    for name, data in (("empty", b""), ("html", b"<html>502</html>"), ("cut", good_bytes()[:900])):
        assert not documents.looks_like_pdf(write(tmp_path, name, data).path), name
    assert not documents.looks_like_pdf(str(tmp_path / "missing.pdf"))


def good_bytes():
    return labels.render_pdf([label()])


def test_print_file_without_the_font_prints_question_marks(monkeypatch, tmp_path):
    def missing():
        raise fonts.FontMissing("no DejaVu")

    monkeypatch.setattr(documents, "unicode_fonts", missing)
    data = [slip(recipient_lines=[NAMES[2], "1 High Street"]), slip(reference="WH/OUT/00043")]
    result = documents.build_print_file(data, folder=str(tmp_path), processes=0)
    assert result.degraded == ["WH/OUT/00042"]
    text = text_of(result.path)
    assert "??????? ??????" in text and "WH/OUT/00043" in text


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
