# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import os
import tempfile
from itertools import groupby
from pathlib import Path

from reportlab.lib import pagesizes
from reportlab.lib.units import mm

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, html2plaintext, is_html_empty

from odoo.addons.ecom_channels.ecom_channels_core.jobs import LOCAL_JOB_CHANNEL, MAX_ATTEMPTS
from odoo.addons.queue_job.job import identity_exact

from ..ecom_fulfilment_core.documents import (
    PdfFile,
    PrintFile,
    build_print_file,
    looks_like_pdf,
)
from ..ecom_fulfilment_core.parcels import CarrierError
from ..ecom_fulfilment_core.slips import (
    SlipData,
    SlipLine,
    SlipTexts,
    address_rows,
    quantity_text,
)
from .delivery_carrier import ECOM_DELIVERY_TYPES

_logger = logging.getLogger(__name__)

#: Deliveries labelled per step (one carrier call per chunk for Click & Drop).
CHUNK = 100
#: Larger runs go to background jobs (a chunk of deliveries each, in the local job channel: no
#: channel API is called), whose progress shows on the record as each one is done.
SYNC_LIMIT = 200
#: Runs of this many deliveries or more make their print file in worker processes.
PARALLEL_MIN = 40


class EcomLabelBatch(models.Model):
    """A label print run: the labels of a selection of deliveries (or of a batch transfer), in
    pick sequence, merged with their packing slips (and invoices) into one PDF."""

    _name = "ecom.label.batch"
    _description = "Label Print Run"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one("res.users", "Printed By", default=lambda self: self.env.user)
    picking_batch_id = fields.Many2one("stock.picking.batch", "Batch Transfer", check_company=True)
    line_ids = fields.One2many("ecom.label.batch.line", "batch_id", "Deliveries")
    include_packing_slips = fields.Boolean("Packing Slips", default=True)
    include_invoices = fields.Boolean(
        "Invoices", help="Add the posted customer invoices of the orders, when there are some."
    )
    state = fields.Selection(
        [("draft", "Draft"), ("queued", "In Progress"), ("done", "Done")],
        default="draft",
        required=True,
        index=True,
    )
    total_count = fields.Integer("Total", compute="_compute_counts")
    done_count = fields.Integer("Printed", compute="_compute_counts")
    failed_count = fields.Integer("Failed", compute="_compute_counts")
    progress = fields.Float(compute="_compute_counts")
    document_id = fields.Many2one("ir.attachment", "Print File", readonly=True, copy=False)
    zpl_document_id = fields.Many2one("ir.attachment", "ZPL Labels", readonly=True, copy=False)
    page_count = fields.Integer("Pages", readonly=True, copy=False)
    summary = fields.Text(readonly=True, copy=False)

    @api.depends("line_ids.state")
    def _compute_counts(self):
        counts = {
            (batch.id, state): count
            for batch, state, count in self.env["ecom.label.batch.line"]._read_group(
                [("batch_id", "in", self.ids)], ["batch_id", "state"], ["__count"]
            )
        }
        for batch in self:
            done = counts.get((batch.id, "done"), 0)
            failed = counts.get((batch.id, "failed"), 0)
            total = done + failed + counts.get((batch.id, "pending"), 0)
            batch.total_count = total
            batch.done_count = done
            batch.failed_count = failed
            batch.progress = 100.0 * (done + failed) / total if total else 0.0

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("ecom.label.batch") or "/"
        return super().create(vals_list)

    @api.model
    def _create_for_pickings(self, pickings, **options):
        """A print run of ``pickings`` in pick sequence."""
        pickings = pickings.filtered(lambda p: p.state not in ("done", "cancel"))
        if not pickings:
            raise UserError(self.env._("There is no delivery left to label."))
        ordered = pickings.sorted(lambda p: p._ecom_pick_sequence_key())
        return self.create(
            dict(
                options,
                company_id=ordered[0].company_id.id,
                line_ids=[
                    fields.Command.create({"picking_id": picking.id, "sequence": index})
                    for index, picking in enumerate(ordered, start=1)
                ],
            )
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_print(self):
        """Print now, or in the background (with progress) for long runs."""
        self.ensure_one()
        if self.state == "done":
            raise UserError(self.env._("This print run is done already."))
        pending = self.line_ids.filtered(lambda line: line.state == "pending")
        if len(pending) > SYNC_LIMIT:
            self.state = "queued"
            self.summary = False
            self._ecom_queue_step()
        else:
            self._run()
        return self._action_open()

    def action_retry_failed(self):
        """Try the failed deliveries again (e.g. after correcting their address)."""
        self.ensure_one()
        failed = self.line_ids.filtered(lambda line: line.state == "failed")
        if not failed:
            raise UserError(self.env._("No delivery failed in this print run."))
        failed.write({"state": "pending", "message": False})
        self.state = "draft"
        return self.action_print()

    def action_download(self):
        self.ensure_one()
        if not self.document_id:
            raise UserError(self.env._("Nothing has been printed in this run yet."))
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % self.document_id.id,
            "target": "self",
        }

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _cron_process_label_batches(self):
        """Queue the next step of the print runs in progress that have no job waiting (runs
        queued before the job engine, or whose job was lost): crons only enqueue."""
        for batch in self.search([("state", "=", "queued")], order="id"):
            batch._ecom_queue_step()

    def _ecom_queue_step(self):
        """Queue the next step of this print run (never twice while one waits)."""
        self.ensure_one()
        self.with_delay(
            channel=LOCAL_JOB_CHANNEL,
            identity_key=identity_exact,
            max_retries=MAX_ATTEMPTS,
            description=self.env._("Print run %(name)s", name=self.name),
        )._ecom_job_process()

    def _ecom_job_process(self, chunk=None):
        """Job: label the next ``chunk`` deliveries of this print run, and queue the next step;
        the last step makes the print file. Each step is its own transaction: the run's
        progress shows as the steps are done, and a failing step is retried alone."""
        self.ensure_one()
        if self.state != "queued":
            return self.env._("%(name)s is not in progress.", name=self.name)
        self._run(limit=chunk or CHUNK)
        if self.state == "queued":
            self._ecom_queue_step()
        return self.env._(
            "%(name)s: %(done)s of %(total)s deliveries settled.",
            name=self.name,
            done=self.done_count + self.failed_count,
            total=self.total_count,
        )

    def _ecom_job_state(self, job):
        """Show on the print run that its job failed for good: it can be printed again."""
        if job.state == "failed":
            self.filtered(lambda batch: batch.state == "queued").write(
                {
                    "state": "draft",
                    "summary": self.env._(
                        "The print run stopped: %(error)s Print it again to go on.",
                        error=job.exc_message or "",
                    ),
                }
            )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _run(self, limit=None):
        """Label up to ``limit`` pending deliveries (all when None); once none is left, build
        the print file. The last step makes the print file while it labels: as each chunk of
        deliveries gets its labels, they go to the print file's merger process and their
        packing slips to worker processes that draw them (ecom_fulfilment_core.documents);
        this process goes on labelling meanwhile."""
        self.ensure_one()
        pending = self.line_ids.filtered(lambda line: line.state == "pending")
        todo = pending[:limit] if limit else pending
        if len(todo) < len(pending):  # a step of a background run: labels only
            for start in range(0, len(todo), CHUNK):
                self._label_lines(todo[start : start + CHUNK])
            return
        processes = 0 if len(self.line_ids) < PARALLEL_MIN else None
        lines = self.line_ids.sorted(lambda line: (line.sequence, line.id))
        zpl = []
        with tempfile.TemporaryDirectory(prefix="ecom-labels-") as folder:
            with PrintFile(
                ["labels", "slips", "invoices"], folder=folder, processes=processes
            ) as printer:
                position = self._feed(printer, lines, 0, folder, zpl)
                for start in range(0, len(todo), CHUNK):
                    self._label_lines(todo[start : start + CHUNK])
                    position = self._feed(printer, lines, position, folder, zpl)
                self._build_documents(printer, folder, zpl)
        self.state = "done"

    def _feed(self, printer, lines, position, folder, zpl):
        """Give the printer the labels (and slips) of the deliveries settled since
        ``lines[position]``, in pick sequence, up to the first one still to label, and pass
        on what is ready; ZPL labels go to ``zpl``. A delivery whose label file is no PDF
        fails here, alone. Returns the new position."""
        settled = []
        while position < len(lines) and lines[position].state != "pending":
            settled.append(lines[position])
            position += 1
        ready = lines.browse([line.id for line in settled if line.state == "done"])
        if ready:
            parts, codes, broken = self._label_parts(ready.picking_id, folder)
            for line in ready.filtered(lambda line: line.picking_id in broken):
                self._line_failed(
                    line,
                    self.env._(
                        "%(picking)s: its label file is not a readable PDF: cancel the label "
                        "and print it again.",
                        picking=line.picking_id.name,
                    ),
                )
                ready -= line
            zpl += codes
            printer.add("labels", parts)
            if self.include_packing_slips:
                printer.add("slips", self._packing_slips(ready.picking_id))
            printer.pump("labels")
        return position

    def _label_lines(self, lines):
        """Create the missing labels of ``lines``; a delivery that fails is marked, with the
        reason on the line and on the delivery, and the others go on."""
        ready = lines.filtered(lambda line: line.picking_id.ecom_label_attachment_id)
        ready.write({"state": "done", "message": False})
        todo = lines - ready
        no_carrier = todo.filtered(
            lambda line: line.picking_id.carrier_id.delivery_type not in ECOM_DELIVERY_TYPES
        )
        for line in no_carrier:
            self._line_failed(
                line,
                self.env._(
                    "%(picking)s: its carrier %(carrier)s does not print labels here (choose a "
                    "Click & Drop or self-printed carrier service).",
                    picking=line.picking_id.name,
                    carrier=line.picking_id.carrier_id.name or self.env._("(none)"),
                ),
            )
        todo -= no_carrier
        by_carrier = sorted(todo, key=lambda line: line.picking_id.carrier_id.id)
        for carrier, group in groupby(by_carrier, key=lambda line: line.picking_id.carrier_id):
            group_lines = self.env["ecom.label.batch.line"].concat(*group)
            try:
                results = carrier._ecom_create_labels(group_lines.picking_id)
            except (CarrierError, UserError) as exc:
                results = {p.id: str(exc) for p in group_lines.picking_id}
            labelled = group_lines.filtered(lambda line: line.picking_id.ecom_label_attachment_id)
            labelled.write({"state": "done", "message": False})
            for line in group_lines - labelled:
                result = results.get(line.picking_id.id)
                self._line_failed(line, result or self.env._("No label was returned."))

    @staticmethod
    def _line_failed(line, message):
        line.write({"state": "failed", "message": message})
        line.picking_id._ecom_label_failed(message)

    def _build_documents(self, printer, folder, zpl):
        """The print file: every label in pick sequence, then the packing slips, then the
        invoices (Odoo's invoice report); ZPL labels go to a separate file for the label
        printer."""
        self.ensure_one()
        done = self.line_ids.filtered(lambda line: line.state == "done")
        pickings = done.picking_id
        summary = [
            self.env._(
                "%(done)s labels printed, %(failed)s failed.",
                done=len(done),
                failed=len(self.line_ids) - len(done),
            )
        ]
        vals = {"page_count": 0}
        if self.include_invoices and pickings:
            invoices = pickings.sale_id.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
            )
            if invoices:
                printer.add("invoices", [self._invoice_part(invoices, folder)])
            else:
                summary.append(self.env._("No posted invoice to add."))
        if not printer.is_empty():
            try:
                result = printer.finish()
            except CarrierError as exc:
                raise UserError(exc.message) from exc
            if result.degraded:
                summary.append(
                    self.env._(
                        "The font DejaVu Sans is not installed (package fonts-dejavu-core): "
                        "characters Helvetica lacks are printed as '?' on the packing slips of "
                        "%(pickings)s.",
                        pickings=", ".join(result.degraded),
                    )
                )
            vals["document_id"] = self._attach(
                "%s.pdf" % self.name.replace("/", "-"),
                Path(result.path).read_bytes(),
                "application/pdf",
            )
            vals["page_count"] = result.pages
        if zpl:
            vals["zpl_document_id"] = self._attach(
                "%s.zpl" % self.name.replace("/", "-"), b"".join(zpl), "text/plain"
            )
        vals["summary"] = "\n".join(summary)
        self.write(vals)

    def _attach(self, name, raw, mimetype):
        return (
            self.env["ir.attachment"]
            .create(
                {
                    "name": name,
                    "raw": raw,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            .id
        )

    @api.model
    def _label_parts(self, pickings, folder):
        """The PDF labels of ``pickings`` as files (their attachments' files, read by the
        workers as they are), the ZPL ones as bytes, and the pickings whose label file is no
        PDF (e.g. a carrier's answer cut short)."""
        parts, zpl, broken = [], [], self.env["stock.picking"]
        for picking in pickings:
            attachment = picking.ecom_label_attachment_id
            if attachment.mimetype != "application/pdf":
                zpl.append(attachment.raw)
                continue
            path = attachment.store_fname and attachment._full_path(attachment.store_fname)
            if not path or not os.path.isfile(path):  # kept in the database
                path = os.path.join(folder, "label-%s.pdf" % attachment.id)
                Path(path).write_bytes(attachment.raw or b"")
            if looks_like_pdf(path):
                parts.append(PdfFile(path, name="%s (%s)" % (attachment.name, picking.name)))
            else:
                broken |= picking
        return parts, zpl, broken

    @api.model
    def _invoice_part(self, invoices, folder):
        """The invoices through Odoo's own invoice report, as a file."""
        # a real PDF, also under tests (Odoo renders HTML there unless told otherwise)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        document, _kind = Report._render_qweb_pdf("account.account_invoices", invoices.ids)
        path = os.path.join(folder, "invoices.pdf")
        Path(path).write_bytes(document)
        return PdfFile(path, name=self.env._("Invoices"))

    # ------------------------------------------------------------------
    # Packing slips
    # ------------------------------------------------------------------

    @api.model
    def _slip_texts(self):
        _ = self.env._
        return SlipTexts(
            title=_("Packing Slip"),
            deliver_to=_("Deliver to"),
            order=_("Order:"),
            channel=_("Channel:"),
            order_date=_("Order date:"),
            carrier=_("Carrier:"),
            tracking=_("Tracking:"),
            parcels=_("Parcels:"),
            sku=_("SKU"),
            product=_("Product"),
            bins=_("Bin"),
            quantity=_("Quantity"),
            thanks=_("Thank you for your order."),
            continued=_("(continued)"),
        )

    @api.model
    def _page_size(self, company):
        """The page size of the company's paper format (A4 when it names none we know)."""
        paper = company.paperformat_id
        if paper.format == "custom" and paper.page_width and paper.page_height:
            return (paper.page_width * mm, paper.page_height * mm)
        return getattr(pagesizes, (paper.format or "A4").upper(), pagesizes.A4)

    @staticmethod
    def _address_lines(partner, with_name=True):
        """The partner's name (once: a delivery contact named as its customer is not printed
        "Alice Walker, Alice Walker"), its company, then the address in the format of its
        country."""
        if not partner:
            return []
        address = partner._display_address(without_company=True).split("\n")
        if not with_name:
            return address_rows("", "", address)
        parent = partner.parent_id
        company = parent.name if parent.is_company else ""
        return address_rows(partner.name or parent.name or "", company, address)

    @staticmethod
    def _quantity(quantity, uom, unit=None):
        """``2`` for units, ``1.5 kg`` for other units of measure (``unit``: Odoo's unit of
        measure "Units", looked up when not given)."""
        if unit is None:
            unit = uom.env.ref("uom.product_uom_unit", raise_if_not_found=False)
        return quantity_text(quantity, uom.rounding, uom.name, is_unit=uom == unit)

    @api.model
    def _packing_slips(self, pickings):
        """What the packing slips of ``pickings`` print, read in a few queries (the ORM
        prefetches each field for all of them), as plain data for the workers."""
        texts = self._slip_texts()
        unit = self.env.ref("uom.product_uom_unit", raise_if_not_found=False)
        page_sizes = {}
        slips = []
        for picking in pickings:
            order = picking.sale_id
            company = picking.company_id
            if company not in page_sizes:
                page_sizes[company] = self._page_size(company)
            lines = [
                SlipLine(
                    sku=move.product_id.default_code or "",
                    product=move.product_id.with_context(display_default_code=False).display_name,
                    bins=", ".join(move.move_line_ids.location_id.mapped("name")),
                    quantity=self._quantity(move.product_uom_qty, move.product_uom, unit),
                )
                for move in picking.move_ids
                if move.state != "cancel"
            ]
            order_date = ""
            if order.date_order:
                # in the company's language's date format (day first for a UK company)
                order_date = format_date(
                    self.env,
                    fields.Datetime.context_timestamp(self, order.date_order),
                    lang_code=company.partner_id.lang or self.env.lang,
                )
            slips.append(
                SlipData(
                    reference=picking.name,
                    company=company.name or "",
                    sender_lines=self._address_lines(
                        picking.picking_type_id.warehouse_id.partner_id, with_name=False
                    ),
                    recipient_lines=self._address_lines(picking.partner_id),
                    order=order.client_order_ref or order.name or "",
                    channel=order.ecom_channel_id.name or "",
                    order_date=order_date,
                    carrier=picking.carrier_id.name or "",
                    tracking=picking.carrier_tracking_ref or "",
                    parcels=picking.ecom_parcel_count,
                    lines=lines,
                    note="" if is_html_empty(order.note) else html2plaintext(order.note),
                    texts=texts,
                    page_size=page_sizes[company],
                )
            )
        return slips

    @api.model
    def _action_print_packing_slips(self, pickings):
        """The packing slips of ``pickings`` as one PDF to download (Print menu)."""
        if not pickings:
            raise UserError(self.env._("Select the deliveries whose packing slips to print."))
        with tempfile.TemporaryDirectory(prefix="ecom-slips-") as folder:
            result = build_print_file(self._packing_slips(pickings), folder=folder)
            raw = Path(result.path).read_bytes()
        name = self.env._("Packing Slips")
        if len(pickings) == 1:
            name = "%s - %s" % (name, pickings.name)
        attachment = self.env["ir.attachment"].create(
            {
                "name": "%s.pdf" % name.replace("/", "-"),
                "raw": raw,
                "mimetype": "application/pdf",
                # one delivery: kept on it; several: only for the user who printed them
                "res_model": "stock.picking" if len(pickings) == 1 else False,
                "res_id": pickings.id if len(pickings) == 1 else False,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % attachment.id,
            "target": "self",
        }
