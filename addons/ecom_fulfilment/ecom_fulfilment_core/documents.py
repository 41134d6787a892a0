"""One print file out of labels, packing slips and other PDFs (pypdf), made in parallel.

``build_print_file`` takes the parts of a print run in order: PDF files taken as they are (the
labels made by a carrier or by us, invoices) and packing slips to draw. Worker processes turn
chunks of them into PDF files in a temporary folder, the slips drawn with reportlab, the small
files merged; here the chunks are appended to the print file as they come, in order, each one
deleted once added: memory holds the print file being written, never every document at once.
"""

import io
import os
import tempfile
from dataclasses import dataclass, field

from pypdf import PdfReader, PdfWriter

from . import pool
from .fonts import FontMissing, fits_standard_fonts, unicode_fonts
from .parcels import CarrierError
from .slips import SlipData, render_slips

#: Parts per job of a worker process.
CHUNK = 50


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


@dataclass
class PdfFile:
    """A PDF taken as it is (a carrier's label, an invoice): ``name`` says which in errors."""

    path: str
    name: str = ""


@dataclass
class PrintResult:
    path: str
    pages: int
    #: Slips printed with '?' for characters no installed font has.
    degraded: list[str] = field(default_factory=list)


def _append(writer, path, name):
    try:
        writer.append(PdfReader(path))
    except Exception as exc:  # pypdf raises many types on a broken file
        raise CarrierError("%s is not a readable PDF: %s" % (name or path, exc)) from exc


def _chunk_job(job):
    """Worker: one PDF file of a chunk of parts (all slips, or all files); returns its path."""
    kind, parts, folder = job
    handle, path = tempfile.mkstemp(suffix=".pdf", dir=folder)
    with os.fdopen(handle, "wb") as output:
        if kind == "slips":
            render_slips(parts, output)
        else:
            writer = PdfWriter()
            for part in parts:
                _append(writer, part.path, part.name)
            writer.write(output)
    return path


def _latin_only(slip):
    """``slip`` with every character Helvetica lacks replaced by '?' (no Unicode font)."""

    def clean(text):
        return (text or "").encode("cp1252", "replace").decode("cp1252")

    for name in ("reference", "company", "order", "channel", "order_date", "carrier"):
        setattr(slip, name, clean(getattr(slip, name)))
    slip.tracking, slip.note = clean(slip.tracking), clean(slip.note)
    slip.sender_lines = [clean(t) for t in slip.sender_lines]
    slip.recipient_lines = [clean(t) for t in slip.recipient_lines]
    for line in slip.lines:
        line.sku, line.product = clean(line.sku), clean(line.product)
        line.bins, line.quantity = clean(line.bins), clean(line.quantity)
    for name, value in vars(slip.texts).items():
        setattr(slip.texts, name, clean(value))
    return slip


def _unicode_fonts_installed():
    try:
        unicode_fonts()
    except FontMissing:
        return False
    return True


def _prepare_fonts(parts):
    """Without DejaVu Sans, slips that need it get '?' for what Helvetica lacks: returns the
    references of those slips."""
    degraded, installed = [], None
    for part in parts:
        if isinstance(part, SlipData) and not fits_standard_fonts(*part.all_texts()):
            if installed is None:
                installed = _unicode_fonts_installed()
            if not installed:
                degraded.append(part.reference)
                _latin_only(part)
    return degraded


class PrintFile:
    """A print file made of sections (e.g. labels, slips, invoices) in a fixed order, fed as
    their parts become known: each ``add`` cuts the parts into chunks that worker processes
    start on at once, while the caller goes on (e.g. labelling the next deliveries); ``pump``
    appends the chunks that are ready and due; ``finish`` appends the rest and writes the file.

        with PrintFile(["labels", "slips"]) as printer:
            printer.add("labels", files)
            printer.add("slips", slips)
            result = printer.finish()

    ``processes=0`` does every chunk here, when it is appended (small runs).
    """

    def __init__(self, sections, folder=None, chunk=CHUNK, processes=None):
        self.sections = list(sections)
        self.chunk = chunk
        self.processes = pool.processes_for(10**6, processes) if processes != 0 else 0
        self.folder = tempfile.mkdtemp(prefix="ecom-print-", dir=folder)
        self.parent_folder = folder
        self.writer = PdfWriter()
        self.degraded = []
        self.pool = None
        self.sharing = None
        #: per section: the chunks to append, in order, as (kind, parts or None, pending)
        self.queue = {section: [] for section in self.sections}
        self.position = 0  # index of the section being appended

    def __enter__(self):
        if self.processes:
            self._start()
            # labels drawn meanwhile (labels.render_many) go to the same workers
            self.sharing = pool.shared(self.pool)
            self.sharing.__enter__()
        return self

    def __exit__(self, *exc):
        self.close()

    def _stop(self, graceful):
        if self.sharing is not None:
            self.sharing.__exit__(None, None, None)
            self.sharing = None
        if self.pool is not None:
            if graceful:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
            self.pool = None

    def close(self):
        """Stop the workers (if still there) and remove the chunks."""
        self._stop(graceful=False)
        if os.path.isdir(self.folder):
            for name in os.listdir(self.folder):
                os.unlink(os.path.join(self.folder, name))
            os.rmdir(self.folder)

    def _start(self):
        _unicode_fonts_installed()  # registered once here: the workers inherit it
        self.pool = pool.start(self.processes)

    def _submit(self, job):
        if not self.processes:
            return None
        if self.pool is None:
            self._start()
        return self.pool.apply_async(_chunk_job, (job,))

    def add(self, section, parts):
        """Parts (``PdfFile`` and ``SlipData``, in print order) at the end of ``section``."""
        queue = self.queue[section]
        if self.sections.index(section) < self.position:
            raise ValueError("section %s is printed already" % section)
        parts = list(parts)
        self.degraded += _prepare_fonts(parts)
        run = []
        for part in [*parts, None]:
            kind = "slips" if isinstance(part, SlipData) else "files"
            if run and (part is None or kind != run[0][0] or len(run) == self.chunk):
                items = [p for _k, p in run]
                if run[0][0] == "files" and len(items) == 1:
                    queue.append(("file", items[0], None))  # appended as it is
                else:
                    job = (run[0][0], items, self.folder)
                    queue.append(("job", job, self._submit(job)))
                run = []
            if part is not None:
                run.append((kind, part))

    def is_empty(self):
        """Whether nothing was added (or everything added was empty)."""
        return not self.writer.pages and not any(self.queue.values())

    def _append_next(self, section, wait):
        """Append the next chunk of ``section``; False when it is not ready."""
        kind, item, pending = self.queue[section][0]
        if kind == "file":
            _append(self.writer, item.path, item.name)
        else:
            if pending is not None and not wait and not pending.ready():
                return False
            path = pending.get() if pending is not None else _chunk_job(item)
            try:
                _append(self.writer, path, "")
            finally:
                os.unlink(path)
        self.queue[section].pop(0)
        return True

    def pump(self, section=None):
        """Append what is ready of the section being printed (``section``: only if it is
        that one). Returns the number of chunks appended."""
        done = 0
        if self.position < len(self.sections):
            current = self.sections[self.position]
            if section in (None, current):
                while self.queue[current] and self._append_next(current, wait=False):
                    done += 1
        return done

    def finish(self):
        """Append every chunk, in order, write the file; returns a PrintResult."""
        while self.position < len(self.sections):
            current = self.sections[self.position]
            while self.queue[current]:
                self._append_next(current, wait=True)
            self.position += 1
        self._stop(graceful=True)
        if not self.writer.pages:
            raise CarrierError("nothing to print")
        handle, path = tempfile.mkstemp(prefix="ecom-print-", suffix=".pdf", dir=self.parent_folder)
        with os.fdopen(handle, "wb") as output:
            self.writer.write(output)
        return PrintResult(path=path, pages=len(self.writer.pages), degraded=self.degraded)


def build_print_file(parts, folder=None, chunk=CHUNK, processes=None):
    """The print file of ``parts`` (``PdfFile`` and ``SlipData``, in print order), written in
    ``folder`` (a new temporary file there, which the caller deletes). Returns a PrintResult."""
    if not parts:
        raise CarrierError("nothing to print")
    with PrintFile(["all"], folder=folder, chunk=chunk, processes=processes) as printer:
        printer.add("all", parts)
        return printer.finish()
