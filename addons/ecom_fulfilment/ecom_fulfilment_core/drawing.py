"""Drawing helpers shared by the labels and the packing slips (reportlab canvas, no HTML):
wrapping text to a width, and Code128 barcodes drawn as bars."""

from barcode import Code128
from reportlab.pdfbase.pdfmetrics import stringWidth

from .parcels import CarrierError


def wrap_text(text, font, size, width):
    """``text`` cut into lines of at most ``width`` points, at spaces, or inside a word that
    is longer than a line by itself. Never drops a character (but runs of spaces)."""
    words = (text or "").split()
    whole = " ".join(words)
    if not words or stringWidth(whole, font, size) <= width:
        return [whole] if words else []
    lines, current = [], ""
    for word in words:
        candidate = "%s %s" % (current, word) if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and stringWidth(word, font, size) > width:
            cut = len(word) - 1
            while cut > 1 and stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def wrap_rows(rows, font, size, width):
    """Every row of ``rows`` wrapped to ``width``; empty rows are left out."""
    return [line for row in rows for line in wrap_text(row, font, size, width)]


def fit_size(text, font, size, width, smallest):
    """The largest size from ``size`` down to ``smallest`` at which ``text`` fits on one line
    of ``width`` points (``smallest`` when none does)."""
    used = stringWidth(text or "", font, size)
    if used <= width:
        return size
    # widths grow with the size: the fitting size, down to the half point
    return max(int(size * width / used * 2) / 2.0, smallest)


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


def draw_barcode(pdf, text, x, y, width, height, max_module=1.4):
    """A Code128 barcode of ``text`` centred in the box (``x``, ``y``, ``width``, ``height``),
    as one filled path; returns its width."""
    modules = barcode_modules(text)
    module = min(max_module, width / len(modules))
    left = x + (width - module * len(modules)) / 2
    path = pdf.beginPath()
    for start, run in bar_runs(modules):
        path.rect(left + start * module, y, run * module, height)
    pdf.drawPath(path, stroke=0, fill=1)
    return module * len(modules)
