"""Shipping labels we print ourselves (carriers without an API): 4x6 inch PDF or ZPL.

Each parcel gets one label with the carrier and service, the sender, the recipient, a Code128
barcode of the tracking number (bars computed by python-barcode and drawn as rectangles, so that
the PDF and the ZPL carry the very same barcode), the weight, the parcel count and the order
reference.
"""

import io
from dataclasses import dataclass, field
from datetime import date

from barcode import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from .parcels import CarrierError, Party

PAGE = (4 * inch, 6 * inch)
#: ZPL at 203 dpi: a 4x6 inch label is 812 x 1218 dots.
ZPL_DPI = 203


@dataclass
class LabelData:
    tracking_number: str
    carrier: str
    service: str
    sender: Party
    recipient: Party
    weight_kg: float
    reference: str
    parcel_index: int = 1
    parcel_count: int = 1
    ship_date: date | None = None
    extra: list[str] = field(default_factory=list)


def check_address(recipient, reference=""):
    """Raise a CarrierError naming what is missing when the recipient cannot be labelled."""
    missing = recipient.missing()
    if missing:
        raise CarrierError(
            "%s: the delivery address lacks %s" % (reference or "label", ", ".join(missing)),
            reference=reference,
        )


def barcode_modules(text):
    """Code128 modules of ``text`` as a string of '1' (bar) and '0' (space), quiet zones off."""
    if not text:
        raise CarrierError("a label needs a tracking number for its barcode")
    try:
        return "".join(Code128(text).build())
    except Exception as exc:  # python-barcode raises its own errors on unencodable text
        raise CarrierError("%r cannot be printed as a Code128 barcode: %s" % (text, exc)) from exc


def bar_runs(modules):
    """``(start, width)`` of every bar in module units."""
    runs, start = [], None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module != "1" and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def _weight(value):
    return "%.3f kg" % value if value < 1 else "%.2f kg" % value


def _latin(text):
    return (text or "").encode("latin-1", "replace").decode("latin-1")


def draw_pdf_label(pdf, label):
    """Draw one label on the current page of a reportlab canvas."""
    width, height = PAGE
    margin = 0.15 * inch
    top = height - margin
    pdf.setLineWidth(1.5)
    pdf.rect(margin / 2, margin / 2, width - margin, height - margin)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(margin, top - 16, _latin(label.carrier)[:30])
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(margin, top - 32, _latin(label.service)[:40])
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(
        width - margin, top - 16, "Parcel %d / %d" % (label.parcel_index, label.parcel_count)
    )
    pdf.drawRightString(width - margin, top - 32, _weight(label.weight_kg))
    pdf.line(margin, top - 40, width - margin, top - 40)
    pdf.setFont("Helvetica", 7)
    y = top - 50
    pdf.drawString(margin, y, "From:")
    for row in label.sender.lines()[:5]:
        y -= 9
        pdf.drawString(margin + 4, y, _latin(row)[:60])
    pdf.line(margin, y - 6, width - margin, y - 6)
    y -= 22
    pdf.setFont("Helvetica", 8)
    pdf.drawString(margin, y, "To:")
    pdf.setFont("Helvetica-Bold", 13)
    for row in label.recipient.lines()[:7]:
        y -= 16
        pdf.drawString(margin + 8, y, _latin(row)[:34])
    # barcode of the tracking number
    modules = barcode_modules(label.tracking_number)
    module = min(1.4, (width - 2 * margin) / len(modules))
    bar_height = 0.9 * inch
    x0 = (width - module * len(modules)) / 2
    y0 = 1.05 * inch
    for start, run in bar_runs(modules):
        pdf.rect(x0 + start * module, y0, run * module, bar_height, stroke=0, fill=1)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawCentredString(width / 2, y0 - 14, label.tracking_number)
    pdf.setFont("Helvetica", 8)
    footer = "Ref %s" % label.reference
    if label.ship_date:
        footer += "   %s" % label.ship_date.isoformat()
    pdf.drawString(margin, margin + 18, _latin(footer)[:60])
    for index, row in enumerate(label.extra[:1]):
        pdf.drawString(margin, margin + 8 - index * 9, _latin(row)[:60])


def render_pdf(labels):
    """One PDF with a page per label."""
    if not labels:
        raise CarrierError("no label to print")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=1)
    pdf.setTitle("Shipping labels")
    for label in labels:
        check_address(label.recipient, label.reference)
        draw_pdf_label(pdf, label)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _zpl_text(text):
    # ^ and ~ start ZPL commands; everything else goes through as UTF-8 (^CI28)
    return (text or "").replace("^", " ").replace("~", " ")


def render_zpl(labels):
    """ZPL II for a 4x6 inch, 203 dpi printer: one ``^XA...^XZ`` block per label."""
    if not labels:
        raise CarrierError("no label to print")
    blocks = []
    for label in labels:
        check_address(label.recipient, label.reference)
        out = ["^XA", "^CI28", "^PW812", "^LL1218", "^FO20,20^GB772,1178,3^FS"]
        out.append("^FO40,40^A0N,44,44^FD%s^FS" % _zpl_text(label.carrier)[:30])
        out.append("^FO40,92^A0N,32,32^FD%s^FS" % _zpl_text(label.service)[:40])
        out.append(
            "^FO520,40^A0N,26,26^FDParcel %d / %d^FS" % (label.parcel_index, label.parcel_count)
        )
        out.append("^FO520,92^A0N,26,26^FD%s^FS" % _weight(label.weight_kg))
        out.append("^FO40,136^GB732,3,3^FS")
        y = 150
        out.append("^FO40,%d^A0N,20,20^FDFrom:^FS" % y)
        for row in label.sender.lines()[:5]:
            y += 24
            out.append("^FO56,%d^A0N,20,20^FD%s^FS" % (y, _zpl_text(row)[:60]))
        y += 36
        out.append("^FO40,%d^GB732,3,3^FS" % y)
        y += 16
        out.append("^FO40,%d^A0N,22,22^FDTo:^FS" % y)
        for row in label.recipient.lines()[:7]:
            y += 44
            out.append("^FO60,%d^A0N,40,40^FD%s^FS" % (y, _zpl_text(row)[:34]))
        modules = barcode_modules(label.tracking_number)
        module = max(1, min(4, 732 // len(modules)))
        x0 = (812 - module * len(modules)) // 2
        for start, run in bar_runs(modules):
            out.append(
                "^FO%d,880^GB%d,180,%d^FS" % (x0 + start * module, run * module, run * module)
            )
        out.append("^FO0,1075^FB812,1,0,C^A0N,34,34^FD%s^FS" % _zpl_text(label.tracking_number))
        footer = "Ref %s" % label.reference
        if label.ship_date:
            footer += "   %s" % label.ship_date.isoformat()
        out.append("^FO40,1140^A0N,24,24^FD%s^FS" % _zpl_text(footer)[:60])
        out.append("^XZ")
        blocks.append("\n".join(out))
    return ("\n".join(blocks) + "\n").encode("utf-8")


def render(labels, label_format="pdf"):
    if label_format == "zpl":
        return render_zpl(labels)
    if label_format == "pdf":
        return render_pdf(labels)
    raise CarrierError("unknown label format %r (pdf or zpl)" % label_format)
