"""One print file out of labels, packing slips and other PDFs (pypdf), made in parallel.

A print file takes the parts of a print run in order: PDF files taken as they are (the labels
made by a carrier or by us, invoices) and packing slips to draw. Worker processes draw chunks
of slips into PDF files in a temporary folder, and one more process, the merger, appends the
files to the print file as they come, in order, deleting each chunk once added: memory holds
the print file being written, never every document at once, and the caller's process is free
for its own work meanwhile (e.g. making the next labels).
"""

import io
import multiprocessing
import os
import tempfile
from collections import deque
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


def looks_like_pdf(path):
    """Whether the file at ``path`` begins and ends as a PDF does: False for an empty file, one
    cut short or no PDF at all. Cheap (nothing is parsed): for files merged later."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 2048))
            tail = handle.read()
    except OSError:
        return False
    return b"%PDF-" in head and b"%%EOF" in tail


def _append(writer, path, name):
    try:
        writer.append(PdfReader(path))
    except Exception as exc:  # pypdf raises many types on a broken file
        raise CarrierError("%s is not a readable PDF: %s" % (name or path, exc)) from exc


def _slips_job(job):
    """Worker: one PDF file of a chunk of packing slips; returns its path."""
    slips, folder = job
    handle, path = tempfile.mkstemp(suffix=".pdf", dir=folder)
    with os.fdopen(handle, "wb") as output:
        render_slips(slips, output)
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


class _LocalMerger:
    """Appends the files here (small runs)."""

    def __init__(self, output):
        self.output = output
        self.writer = PdfWriter()
        self.sent = 0

    def send(self, path, name, owned):
        self.sent += 1
        try:
            _append(self.writer, path, name)
        finally:
            if owned:
                os.unlink(path)

    def finish(self):
        with open(self.output, "wb") as output:
            self.writer.write(output)
        return len(self.writer.pages)

    def close(self):
        self.writer = None


def _merge_loop(connection, output):
    """The merger process: append the files sent, in order, until None; then write ``output``
    and answer ("ok", pages) or ("error", message). After an error it only deletes what it is
    sent (the sender learns of it at the end)."""
    writer, error = PdfWriter(), None
    while True:
        item = connection.recv()
        if item is None:
            break
        path, name, owned = item
        try:
            if error is None:
                _append(writer, path, name)
        except CarrierError as exc:
            error = exc.message
        except Exception as exc:  # pylint: disable=broad-except
            error = "%s: %s" % (type(exc).__name__, exc)
        finally:
            if owned:
                os.unlink(path)
    if error is None:
        try:
            with open(output, "wb") as handle:
                writer.write(handle)
        except Exception as exc:  # pylint: disable=broad-except
            error = "%s: %s" % (type(exc).__name__, exc)
    connection.send(("error", error) if error else ("ok", len(writer.pages)))
    connection.close()


class _ProcessMerger:
    """Appends the files in a process of its own."""

    def __init__(self, output):
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_merge_process, args=(theirs, output), name="ecom-print-merger", daemon=True
        )
        self.process.start()
        theirs.close()
        self.sent = 0

    def send(self, path, name, owned):
        self.sent += 1
        self.connection.send((path, name, owned))

    def finish(self):
        self.connection.send(None)
        try:
            status, value = self.connection.recv()
        except EOFError as exc:
            raise CarrierError("the process merging the print file stopped") from exc
        self.process.join()
        self.process = None
        if status != "ok":
            raise CarrierError(value)
        return value

    def close(self):
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.process = None
        self.connection.close()


def _merge_process(connection, output):
    pool.init_worker()
    _merge_loop(connection, output)


class PrintFile:
    """A print file made of sections (e.g. labels, slips, invoices) in a fixed order, fed as
    their parts become known: each ``add`` cuts the slips into chunks that worker processes
    start drawing at once, while the caller goes on (e.g. labelling the next deliveries);
    ``pump`` passes the files and chunks that are ready and due to the merger; ``finish``
    passes the rest and returns the file.

        with PrintFile(["labels", "slips"]) as printer:
            printer.add("labels", files)
            printer.add("slips", slips)
            result = printer.finish()

    ``processes``: how many workers (default: one less than the CPUs, see pool.py); ``0`` does
    everything here, in order (small runs).
    """

    def __init__(self, sections, folder=None, chunk=CHUNK, processes=None):
        self.sections = list(sections)
        self.chunk = chunk
        self.processes = pool.processes_for(processes)
        self.parent_folder = folder
        self.folder = tempfile.mkdtemp(prefix="ecom-print-", dir=folder)
        handle, self.output = tempfile.mkstemp(prefix="ecom-print-", suffix=".pdf", dir=folder)
        os.close(handle)
        self.degraded = []
        self.pool = None
        self.merger = None
        #: per section: the chunks to pass on, in order, as (kind, item, pending result)
        self.queue = {section: deque() for section in self.sections}
        self.position = 0  # index of the section being passed on

    def __enter__(self):
        _unicode_fonts_installed()  # registered once here: the workers inherit it
        if self.processes:
            self.merger = _ProcessMerger(self.output)
            self.pool = pool.start(self.processes)
        else:
            self.merger = _LocalMerger(self.output)
        return self

    def __exit__(self, *exc):
        self.close()

    def _stop_workers(self, graceful):
        if self.pool is not None:
            if graceful:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
            self.pool = None

    def close(self):
        """Stop the processes (if still there) and remove the chunks; the print file stays
        (``finish`` returned it) or goes (it was not finished)."""
        self._stop_workers(graceful=False)
        if self.merger is not None:
            self.merger.close()
            self.merger = None
            if os.path.exists(self.output):
                os.unlink(self.output)
        if os.path.isdir(self.folder):
            for name in os.listdir(self.folder):
                os.unlink(os.path.join(self.folder, name))
            os.rmdir(self.folder)

    def add(self, section, parts):
        """Parts (``PdfFile`` and ``SlipData``, in print order) at the end of ``section``."""
        if self.sections.index(section) < self.position:
            raise ValueError("section %s is printed already" % section)
        queue = self.queue[section]
        parts = list(parts)
        self.degraded += _prepare_fonts(parts)
        run = []
        for part in [*parts, None]:
            if run and (not isinstance(part, SlipData) or len(run) == self.chunk):
                job = (run, self.folder)
                pending = self.pool.apply_async(_slips_job, (job,)) if self.pool else None
                queue.append(("slips", job, pending))
                run = []
            if isinstance(part, SlipData):
                run.append(part)
            elif part is not None:
                queue.append(("file", part, None))  # passed on as it is

    def is_empty(self):
        """Whether nothing was added."""
        return not self.merger.sent and not any(self.queue.values())

    def _pass_next(self, section, wait):
        """Pass the next chunk of ``section`` to the merger; False when it is not ready."""
        kind, item, pending = self.queue[section][0]
        if kind == "file":
            self.merger.send(item.path, item.name, owned=False)
        else:
            if pending is not None and not wait and not pending.ready():
                return False
            path = pending.get() if pending is not None else _slips_job(item)
            self.merger.send(path, "", owned=True)
        self.queue[section].popleft()
        return True

    def pump(self, section=None):
        """Pass on what is ready of the section being printed (``section``: only if it is
        that one). Returns the number of chunks passed on."""
        done = 0
        if self.position < len(self.sections):
            current = self.sections[self.position]
            if section in (None, current):
                while self.queue[current] and self._pass_next(current, wait=False):
                    done += 1
        return done

    def finish(self):
        """Pass on every chunk, in order, and wait for the file; returns a PrintResult whose
        file the caller deletes."""
        while self.position < len(self.sections):
            current = self.sections[self.position]
            while self.queue[current]:
                self._pass_next(current, wait=True)
            self.position += 1
        self._stop_workers(graceful=True)
        if not self.merger.sent:
            raise CarrierError("nothing to print")
        pages = self.merger.finish()
        self.merger = None  # the file is the caller's now
        return PrintResult(path=self.output, pages=pages, degraded=self.degraded)


def build_print_file(parts, folder=None, chunk=CHUNK, processes=None):
    """The print file of ``parts`` (``PdfFile`` and ``SlipData``, in print order), written in
    ``folder`` (a new temporary file there, which the caller deletes). Returns a PrintResult."""
    if not parts:
        raise CarrierError("nothing to print")
    if processes is None and len(parts) <= chunk:
        processes = 0  # one chunk: no worker would help
    with PrintFile(["all"], folder=folder, chunk=chunk, processes=processes) as printer:
        printer.add("all", parts)
        return printer.finish()
