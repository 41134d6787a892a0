"""Merging label and paperwork PDFs into one print job (pypdf)."""

import io

from pypdf import PdfReader, PdfWriter

from .parcels import CarrierError


def page_count(pdf):
    return len(PdfReader(io.BytesIO(pdf)).pages)


def merge_pdfs(documents):
    """One PDF with every page of ``documents`` (bytes), in order; empty ones are skipped."""
    writer = PdfWriter()
    for index, document in enumerate(documents):
        if not document:
            continue
        try:
            reader = PdfReader(io.BytesIO(document))
            for page in reader.pages:
                writer.add_page(page)
        except Exception as exc:  # pypdf raises many types on a broken file
            raise CarrierError("document %d is not a readable PDF: %s" % (index + 1, exc)) from exc
    if not writer.pages:
        raise CarrierError("nothing to print")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
