"""Shipping labels we print ourselves (carriers without an API): 4x6 inch PDF or ZPL.

Each parcel gets one label with the carrier and service, the sender, the recipient, a Code128
barcode of the tracking number (bars computed by python-barcode and drawn as rectangles, so that
the PDF and the ZPL carry the very same barcode), the weight, the parcel count and the order
reference. Addresses are wrapped, never cut: the recipient's lines get smaller when there are
many. PDF text in any script DejaVu Sans has (see fonts.py); ZPL is UTF-8 (``^CI28``).
"""

import io
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from .drawing import bar_runs, barcode_modules, draw_barcode, fit_size, wrap_rows, wrap_text
from .fonts import fonts_for
from .parcels import CarrierError, Party

__all__ = [
    "PAGE",
    "LabelData",
    "bar_runs",
    "barcode_modules",
    "check_address",
    "render",
    "render_pdf",
    "render_zpl",
]

PAGE = (4 * inch, 6 * inch)
MARGIN = 0.15 * inch
#: Bottom of the recipient's block: the barcode and its number are below.
BARCODE_Y = 1.05 * inch
BARCODE_HEIGHT = 0.9 * inch
#: ZPL at 203 dpi: a 4x6 inch label is 812 x 1218 dots.
ZPL_DPI = 203
ZPL_WIDTH = 812


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
    #: strftime format of the ship date: the company's language's (e.g. ``%d/%m/%Y`` in the
    #: UK); ISO by default.
    date_format: str = "%Y-%m-%d"

    def texts(self):
        """Every text printed on the label."""
        return [
            self.tracking_number,
            self.carrier,
            self.service,
            self.reference,
            *self.sender.lines(),
            *self.recipient.lines(),
            *self.extra,
        ]


def check_address(recipient, reference=""):
    """Raise a CarrierError naming what is missing when the recipient cannot be labelled."""
    missing = recipient.missing()
    if missing:
        raise CarrierError(
            "%s: the delivery address lacks %s" % (reference or "label", ", ".join(missing)),
            reference=reference,
        )


def _weight(value):
    return "%.3f kg" % value if value < 1 else "%.2f kg" % value


def _date_text(value, date_format):
    """``value`` in ``date_format``; ISO when the format cannot be used."""
    try:
        return value.strftime(date_format or "%Y-%m-%d")
    except (ValueError, TypeError):
        return value.isoformat()


def _footer(label):
    footer = "Ref %s" % label.reference
    if label.ship_date:
        footer += "   %s" % _date_text(label.ship_date, label.date_format)
    return footer


def _header(pdf, label, fonts, width, top):
    """Carrier and service on the left, parcel count and weight on the right."""
    right = ["Parcel %d / %d" % (label.parcel_index, label.parcel_count), _weight(label.weight_kg)]
    pdf.setFont(fonts.regular, 9)
    for row, y in zip(right, (top - 16, top - 32), strict=True):
        pdf.drawRightString(width - MARGIN, y, row)
    room = width - 2 * MARGIN - max(stringWidth(r, fonts.regular, 9) for r in right) - 8
    for text, size, y in ((label.carrier, 16, top - 16), (label.service, 12, top - 32)):
        size = fit_size(text, fonts.bold, size, room, 7)
        pdf.setFont(fonts.bold, size)
        lines = wrap_text(text, fonts.bold, size, room)
        pdf.drawString(MARGIN, y, lines[0] if lines else "")
        if len(lines) > 1:  # still too long at 7 points: the rest on a second line, smaller
            pdf.setFont(fonts.bold, 6)
            pdf.drawString(MARGIN, y - 7, " ".join(lines[1:]))


def _recipient_size(rows, font, width, room):
    """Size and wrapped lines of the recipient's address: 13 points, smaller when needed."""
    size = 13.0
    while True:
        lines = wrap_rows(rows, font, size, width)
        if size <= 6 or len(lines) * size * 1.22 <= room:
            return size, lines
        size -= 0.5


def draw_pdf_label(pdf, label, fonts=None):
    """Draw one label on the current page of a reportlab canvas."""
    fonts = fonts or fonts_for(*label.texts())
    width, height = PAGE
    top = height - MARGIN
    text_width = width - 2 * MARGIN
    pdf.setLineWidth(1.5)
    pdf.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)
    _header(pdf, label, fonts, width, top)
    pdf.line(MARGIN, top - 40, width - MARGIN, top - 40)
    pdf.setFont(fonts.regular, 7)
    y = top - 50
    pdf.drawString(MARGIN, y, "From:")
    for row in wrap_rows(label.sender.lines(), fonts.regular, 7, text_width - 4):
        y -= 8.5
        pdf.drawString(MARGIN + 4, y, row)
    pdf.line(MARGIN, y - 6, width - MARGIN, y - 6)
    y -= 18
    pdf.setFont(fonts.regular, 8)
    pdf.drawString(MARGIN, y, "To:")
    room = y - (BARCODE_Y + BARCODE_HEIGHT + 6)
    size, lines = _recipient_size(label.recipient.lines(), fonts.bold, text_width - 8, room)
    pdf.setFont(fonts.bold, size)
    for row in lines:
        y -= size * 1.22
        pdf.drawString(MARGIN + 8, y, row)
    draw_barcode(pdf, label.tracking_number, MARGIN, BARCODE_Y, text_width, BARCODE_HEIGHT)
    pdf.setFont(fonts.bold, fit_size(label.tracking_number, fonts.bold, 11, text_width, 6))
    pdf.drawCentredString(width / 2, BARCODE_Y - 14, label.tracking_number)
    pdf.setFont(fonts.regular, 8)
    footer = [_footer(label), *label.extra[:1]]
    rows = wrap_rows(footer, fonts.regular, 8, text_width)
    y = MARGIN + 8 + 9 * (len(rows) - 1)
    for row in rows:
        pdf.drawString(MARGIN, y, row)
        y -= 9


def _pdf_document(labels, output):
    for label in labels:
        check_address(label.recipient, label.reference)
    texts = [text for label in labels for text in label.texts()]
    fonts = fonts_for(*texts)
    pdf = canvas.Canvas(output, pagesize=PAGE, pageCompression=1)
    pdf.setTitle("Shipping labels")
    for label in labels:
        draw_pdf_label(pdf, label, fonts)
        pdf.showPage()
    pdf.save()


def render_pdf(labels):
    """One PDF with a page per label."""
    if not labels:
        raise CarrierError("no label to print")
    buffer = io.BytesIO()
    _pdf_document(labels, buffer)
    return buffer.getvalue()


def _zpl_text(text):
    # ^ and ~ start ZPL commands; everything else goes through as UTF-8 (^CI28)
    return (text or "").replace("^", " ").replace("~", " ")


def _zpl_lines(rows, height, width):
    """``rows`` wrapped for the printer's font 0 at ``height`` dots: measured with Helvetica
    Bold, which is wider than font 0 (condensed), so that a line never runs off the label."""
    return wrap_rows([_zpl_text(r) for r in rows], "Helvetica-Bold", height, width)


def _zpl_label(label):
    out = ["^XA", "^CI28", "^PW812", "^LL1218", "^FO20,20^GB772,1178,3^FS"]
    for text, height, y in ((label.carrier, 44, 40), (label.service, 32, 92)):
        lines = _zpl_lines([text], height, 460) or [""]
        out.append("^FO40,%d^A0N,%d,%d^FD%s^FS" % (y, height, height, lines[0]))
        if len(lines) > 1:
            out.append("^FO40,%d^A0N,18,18^FD%s^FS" % (y + height, " ".join(lines[1:])))
    out.append("^FO520,40^A0N,26,26^FDParcel %d / %d^FS" % (label.parcel_index, label.parcel_count))
    out.append("^FO520,92^A0N,26,26^FD%s^FS" % _weight(label.weight_kg))
    out.append("^FO40,136^GB732,3,3^FS")
    y = 150
    out.append("^FO40,%d^A0N,20,20^FDFrom:^FS" % y)
    for row in _zpl_lines(label.sender.lines(), 20, 716):
        y += 24
        out.append("^FO56,%d^A0N,20,20^FD%s^FS" % (y, row))
    y += 36
    out.append("^FO40,%d^GB732,3,3^FS" % y)
    y += 16
    out.append("^FO40,%d^A0N,22,22^FDTo:^FS" % y)
    height = 40
    while True:  # the recipient's lines get smaller when there are many
        lines = _zpl_lines(label.recipient.lines(), height, 712)
        if height <= 20 or y + 4 + len(lines) * (height + 4) <= 860:
            break
        height -= 4
    for row in lines:
        y += height + 4
        out.append("^FO60,%d^A0N,%d,%d^FD%s^FS" % (y, height, height, row))
    modules = barcode_modules(label.tracking_number)
    module = max(1, min(4, 732 // len(modules)))
    x0 = (ZPL_WIDTH - module * len(modules)) // 2
    for start, run in bar_runs(modules):
        out.append("^FO%d,880^GB%d,180,%d^FS" % (x0 + start * module, run * module, run * module))
    out.append("^FO0,1075^FB812,1,0,C^A0N,34,34^FD%s^FS" % _zpl_text(label.tracking_number))
    y = 1140
    for row in _zpl_lines([_footer(label), *label.extra[:1]], 24, 732)[:2]:
        out.append("^FO40,%d^A0N,24,24^FD%s^FS" % (y, row))
        y += 28
    out.append("^XZ")
    return "\n".join(out)


def render_zpl(labels):
    """ZPL II for a 4x6 inch, 203 dpi printer: one ``^XA...^XZ`` block per label."""
    if not labels:
        raise CarrierError("no label to print")
    blocks = []
    for label in labels:
        check_address(label.recipient, label.reference)
        blocks.append(_zpl_label(label))
    return ("\n".join(blocks) + "\n").encode("utf-8")


def render(labels, label_format="pdf"):
    if label_format == "zpl":
        return render_zpl(labels)
    if label_format == "pdf":
        return render_pdf(labels)
    raise CarrierError("unknown label format %r (pdf or zpl)" % label_format)
