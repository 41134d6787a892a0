"""Packing slips drawn as PDF (reportlab, no HTML): what is in the parcel and for whom.

A slip has the company and the warehouse's address, a Code128 barcode of the delivery's
reference (scanned at the dispatch bench), the customer's address, the order, channel, order
date, carrier, tracking number and parcel count, a line per product (SKU, product and variant,
bins, quantity), the order's note and a thank-you. Every text is wrapped to its column; a slip
with many lines continues on more pages, with the table header repeated. The captions come
translated with the data (``SlipTexts``): this module never guesses a language.
"""

import contextlib
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from .drawing import draw_barcode, fit_size, wrap_rows, wrap_text
from .fonts import fonts_for
from .parcels import CarrierError

MARGIN = 42.0
GREY = 0.4


@dataclass
class SlipTexts:
    """The captions of a slip, in the reader's language."""

    title: str = "Packing Slip"
    deliver_to: str = "Deliver to"
    order: str = "Order:"
    channel: str = "Channel:"
    order_date: str = "Order date:"
    carrier: str = "Carrier:"
    tracking: str = "Tracking:"
    parcels: str = "Parcels:"
    sku: str = "SKU"
    product: str = "Product"
    bins: str = "Bin"
    quantity: str = "Quantity"
    thanks: str = "Thank you for your order."
    continued: str = "(continued)"

    def values(self):
        return list(vars(self).values())


@dataclass
class SlipLine:
    sku: str
    product: str
    bins: str
    quantity: str


@dataclass
class SlipData:
    #: The delivery's reference: printed under its barcode.
    reference: str
    company: str
    sender_lines: list[str]
    #: The customer's name, then the address.
    recipient_lines: list[str]
    order: str = ""
    channel: str = ""
    order_date: str = ""
    carrier: str = ""
    tracking: str = ""
    parcels: int = 1
    lines: list[SlipLine] = field(default_factory=list)
    note: str = ""
    texts: SlipTexts = field(default_factory=SlipTexts)
    page_size: tuple[float, float] = A4

    def facts(self):
        """(caption, value) of the order's facts that are known, as the slip shows them."""
        texts = self.texts
        facts = [
            (texts.order, self.order),
            (texts.channel, self.channel),
            (texts.order_date, self.order_date),
            (texts.carrier, self.carrier),
            (texts.tracking, self.tracking),
        ]
        return [(c, v) for c, v in facts if v] + [(texts.parcels, str(self.parcels))]

    def all_texts(self):
        """Every text printed on the slip."""
        texts = [self.reference, self.company, self.note, *self.sender_lines]
        texts += [*self.recipient_lines, *(v for _c, v in self.facts()), *self.texts.values()]
        for line in self.lines:
            texts += [line.sku, line.product, line.bins, line.quantity]
        return texts


def quantity_text(quantity, rounding=1.0, unit="", is_unit=False):
    """A quantity as a slip prints it: rounded to the unit's precision, with no trailing
    zeros, and without the unit's name when it is the plain unit (``is_unit``): ``2`` for two
    units, ``1.5 kg`` otherwise."""
    if rounding and rounding > 0:
        quantity = round(round(quantity / rounding) * rounding, 6)
    digits = 0
    if rounding and 0 < rounding < 1:
        digits = len(("%.6f" % rounding).rstrip("0").split(".")[1])
    text = "%.*f" % (digits, quantity)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text if is_unit or not unit else "%s %s" % (text, unit)


def address_rows(name, company="", address=()):
    """The rows of an address block: the name once, the company (when it is not the name),
    then the address rows, blank ones and any repeating a row above left out (a delivery
    contact named as its customer is printed once, not "Alice Walker, Alice Walker")."""
    rows, seen = [], set()
    for row in (name, company, *address):
        row = (row or "").strip()
        key = " ".join(row.split()).casefold()
        if row and key not in seen:
            seen.add(key)
            rows.append(row)
    return rows


class _SlipPainter:
    """Draws one slip on a canvas, page after page."""

    def __init__(self, pdf, slip, fonts):
        self.pdf = pdf
        self.slip = slip
        self.fonts = fonts
        self.width, self.height = slip.page_size
        self.inner = self.width - 2 * MARGIN
        # table columns: SKU, product (the rest), bins, quantity (right-aligned)
        self.columns = [0.17 * self.inner, 0.0, 0.17 * self.inner, 0.14 * self.inner]
        self.columns[1] = self.inner - sum(self.columns) - 3 * 8

    # -------------------------------------------------------------- blocks
    def text(self, x, y, text, size=9, bold=False):
        self.pdf.setFont(self.fonts.bold if bold else self.fonts.regular, size)
        self.pdf.drawString(x, y, text)

    def block(self, x, y, rows, width, size, leading, bold=False):
        """Wrapped rows from ``y`` down; returns the y under the last one."""
        font = self.fonts.bold if bold else self.fonts.regular
        self.pdf.setFont(font, size)
        for row in wrap_rows(rows, font, size, width):
            y -= leading
            self.pdf.drawString(x, y, row)
        return y

    def header(self):
        """Company, warehouse address, barcode and reference; the title under them."""
        slip, fonts, top = self.slip, self.fonts, self.height - MARGIN
        left_width = self.inner * 0.55
        size = fit_size(slip.company, fonts.bold, 15, left_width, 10)
        y = self.block(MARGIN, top + 4, [slip.company], left_width, size, size + 2, bold=True)
        y = self.block(MARGIN, y - 2, slip.sender_lines, left_width, 9, 11)
        code_width = min(200.0, self.inner * 0.4)
        right = self.width - MARGIN
        # a reference Code128 cannot carry (not ASCII) gets no bars: the slip still prints
        with contextlib.suppress(CarrierError):
            draw_barcode(
                self.pdf, slip.reference, right - code_width, top - 44, code_width, 44, 1.2
            )
        self.pdf.setFont(fonts.bold, 10)
        self.pdf.drawRightString(right, top - 58, slip.reference)
        y = min(y, top - 58) - 30
        self.text(MARGIN, y, slip.texts.title, 20, bold=True)
        return y - 12

    def addresses(self, y):
        """The customer's address on the left, the order's facts on the right."""
        slip, fonts = self.slip, self.fonts
        half = (self.inner - 20) / 2
        self.text(MARGIN, y - 12, slip.texts.deliver_to, 10, bold=True)
        left = self.block(MARGIN, y - 14, slip.recipient_lines, half, 10, 12.5)
        x = MARGIN + half + 20
        right = y - 12
        for caption, value in slip.facts():
            caption += " "
            indent = stringWidth(caption, fonts.bold, 10)
            rows = wrap_text(value, fonts.regular, 10, half - indent) or [""]
            text = self.pdf.beginText(x, right)
            text.setFont(fonts.bold, 10)
            text.textOut(caption)
            text.setFont(fonts.regular, 10)
            text.textOut(rows[0])
            self.pdf.drawText(text)
            for row in rows[1:]:
                right -= 12.5
                self.text(x + indent, right, row, 10)
            right -= 12.5
        return min(left, right) - 18

    def table_header(self, y):
        texts, pdf = self.slip.texts, self.pdf
        captions = [texts.sku, texts.product, texts.bins, texts.quantity]
        self.row(y, captions, bold=True)
        y -= 4 + 11 * max(
            len(wrap_text(c, self.fonts.bold, 9, w) or [""])
            for c, w in zip(captions, self.columns, strict=True)
        )
        pdf.setLineWidth(0.8)
        pdf.line(MARGIN, y, self.width - MARGIN, y)
        return y

    def cells(self, values, bold=False):
        font = self.fonts.bold if bold else self.fonts.regular
        return [
            wrap_text(value, font, 9, width) or [""]
            for value, width in zip(values, self.columns, strict=True)
        ]

    def row(self, y, values, bold=False):
        """One table row whose top is at ``y``; returns its height."""
        cells = self.cells(values, bold)
        self.pdf.setFont(self.fonts.bold if bold else self.fonts.regular, 9)
        x = MARGIN
        for index, (lines, width) in enumerate(zip(cells, self.columns, strict=True)):
            line_y = y
            for line in lines:
                line_y -= 11
                if index == len(self.columns) - 1:
                    self.pdf.drawRightString(x + width, line_y, line)
                else:
                    self.pdf.drawString(x, line_y, line)
            x += width + 8
        return 11 * max(len(lines) for lines in cells)

    def new_page(self):
        """Next page: the reference and the table header again."""
        self.pdf.showPage()
        y = self.height - MARGIN
        caption = "%s %s %s" % (
            self.slip.texts.title,
            self.slip.reference,
            self.slip.texts.continued,
        )
        self.text(MARGIN, y - 10, caption, 10, bold=True)
        return self.table_header(y - 22)

    # -------------------------------------------------------------- the slip
    def paint(self):
        pdf, slip = self.pdf, self.slip
        y = self.addresses(self.header())
        y = self.table_header(y)
        bottom = MARGIN + 12
        pdf.setLineWidth(0.3)
        for line in slip.lines:
            values = [line.sku, line.product, line.bins, line.quantity]
            height = 11 * max(len(cell) for cell in self.cells(values)) + 5
            if y - height < bottom:
                y = self.new_page()
                pdf.setLineWidth(0.3)
            self.row(y - 1, values)
            y -= height
            pdf.line(MARGIN, y, self.width - MARGIN, y)
        y -= 10
        closing = [slip.note, slip.texts.thanks] if slip.note else [slip.texts.thanks]
        for index, paragraph in enumerate(closing):
            rows = [r for part in paragraph.splitlines() for r in [part.strip()] if r]
            lines = wrap_rows(rows, self.fonts.regular, 9, self.inner)
            for row in lines:
                if y - 11 < bottom:
                    pdf.showPage()
                    y = self.height - MARGIN
                y -= 11
                pdf.setFillGray(GREY if index == len(closing) - 1 else 0)
                self.text(MARGIN, y, row)
            y -= 8
        pdf.setFillGray(0)
        pdf.showPage()


def draw_slip(pdf, slip, fonts=None):
    """Draw ``slip`` on ``pdf`` from its current (empty) page; ends with a new page."""
    _SlipPainter(pdf, slip, fonts or fonts_for(*slip.all_texts())).paint()


def render_slips(slips, output):
    """Write the slips into ``output`` (a path or a binary file): one PDF."""
    pdf = canvas.Canvas(output, pagesize=A4, pageCompression=1)
    pdf.setTitle(slips[0].texts.title if slips else "Packing Slips")
    for slip in slips:
        pdf.setPageSize(slip.page_size)
        draw_slip(pdf, slip)
    pdf.save()
