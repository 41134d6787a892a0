# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import logging
from itertools import groupby

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..ecom_fulfilment_core.documents import merge_pdfs, page_count
from ..ecom_fulfilment_core.parcels import CarrierError
from .delivery_carrier import ECOM_DELIVERY_TYPES

_logger = logging.getLogger(__name__)

#: Deliveries labelled per step (one carrier call per chunk for Click & Drop).
CHUNK = 100
#: Larger runs go to the background job, which reports its progress on the record.
SYNC_LIMIT = 200


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
            self.env.ref("ecom_fulfilment.ecom_cron_process_label_batches")._trigger()
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
    def _cron_process_label_batches(self, chunk=CHUNK):
        """Work on the print runs in progress, a chunk at a time, reporting progress."""
        batch = self.search([("state", "=", "queued")], order="id", limit=1)
        if not batch:
            return
        batch._run(limit=chunk)
        pending = self.env["ecom.label.batch.line"].search_count(
            [("batch_id.state", "=", "queued"), ("state", "=", "pending")]
        )
        queued = self.search_count([("state", "=", "queued")])
        self.env["ir.cron"]._notify_progress(done=chunk, remaining=pending + queued)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _run(self, limit=None):
        """Label up to ``limit`` pending deliveries (all when None); once none is left, build
        the print file."""
        self.ensure_one()
        pending = self.line_ids.filtered(lambda line: line.state == "pending")
        todo = pending[:limit] if limit else pending
        for start in range(0, len(todo), CHUNK):
            self._label_lines(todo[start : start + CHUNK])
        if len(todo) == len(pending):
            self._build_documents()
            self.state = "done"

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
            for line in group_lines:
                result = results.get(line.picking_id.id)
                if line.picking_id.ecom_label_attachment_id:
                    line.write({"state": "done", "message": False})
                else:
                    self._line_failed(line, result or self.env._("No label was returned."))

    @staticmethod
    def _line_failed(line, message):
        line.write({"state": "failed", "message": message})
        line.picking_id._ecom_label_failed(message)

    def _build_documents(self):
        """One PDF: every label in pick sequence, then the packing slips, then the invoices;
        ZPL labels go to a separate file for the label printer."""
        self.ensure_one()
        done = self.line_ids.filtered(lambda line: line.state == "done").sorted("sequence")
        pickings = done.picking_id
        pdfs, zpl = [], []
        for picking in pickings:
            attachment = picking.ecom_label_attachment_id
            if attachment.mimetype == "application/pdf":
                pdfs.append(attachment.raw)
            else:
                zpl.append(attachment.raw)
        summary = [
            self.env._(
                "%(done)s labels printed, %(failed)s failed.",
                done=len(done),
                failed=len(self.line_ids) - len(done),
            )
        ]
        # a real PDF, also under tests (Odoo renders HTML there unless told otherwise)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        if self.include_packing_slips and pickings:
            slips, _kind = Report._render_qweb_pdf(
                "ecom_fulfilment.action_report_packing_slip", pickings.ids
            )
            pdfs.append(slips)
        if self.include_invoices and pickings:
            invoices = pickings.sale_id.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
            )
            if invoices:
                document, _kind = Report._render_qweb_pdf("account.account_invoices", invoices.ids)
                pdfs.append(document)
            else:
                summary.append(self.env._("No posted invoice to add."))
        Attachment = self.env["ir.attachment"]
        vals = {"summary": "\n".join(summary), "page_count": 0}
        if pdfs:
            merged = merge_pdfs(pdfs)
            vals["document_id"] = Attachment.create(
                {
                    "name": "%s.pdf" % self.name.replace("/", "-"),
                    "raw": merged,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            ).id
            vals["page_count"] = page_count(merged)
        if zpl:
            vals["zpl_document_id"] = Attachment.create(
                {
                    "name": "%s.zpl" % self.name.replace("/", "-"),
                    "datas": base64.b64encode(b"".join(zpl)),
                    "mimetype": "text/plain",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            ).id
        self.write(vals)
