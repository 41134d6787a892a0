# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ecom_channels.ecom_channels_core.payloads import Shipment
from odoo.addons.ecom_channels.models.ecom_channel import CONCURRENCY_ERRORS, JOB_MAX_RETRY_WAIT

from ..ecom_fulfilment_core.parcels import (
    CarrierError,
    ContentLine,
    Parcel,
    Party,
    ShipmentRequest,
    split_weight,
)
from .stock_move import ORIGIN_LINKS, PICKING_FOLLOWERS

_logger = logging.getLogger(__name__)

PUSH_STATES = [
    ("none", "Not Needed"),
    ("pending", "To Send"),
    ("done", "Sent"),
    ("error", "Failed"),
]
#: The layout of the dispatch email: headed with the order, not the transfer.
DISPATCH_EMAIL_LAYOUT = "ecom_fulfilment.mail_layout_dispatch"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def message_post_with_source(self, source_ref, render_values=None, **kwargs):
        """While an import creates its deliveries together (see
        ``stock.move._assign_picking``), the "created from" note of each new delivery is kept
        to be logged with the others (``_ecom_log_origin_links``) instead of posted alone."""
        if (
            self.env.context.get("ecom_collect_origin_links")
            and source_ref == "mail.message_origin_link"
            and len(self) == 1
            and set(kwargs) <= {"subtype_xmlid"}
            and kwargs.get("subtype_xmlid", "mail.mt_note") == "mail.mt_note"
        ):
            self.env.cr.precommit.data.setdefault(ORIGIN_LINKS, []).append(
                (self.id, dict(render_values or {}))
            )
            return self.env["mail.message"]
        return super().message_post_with_source(source_ref, render_values=render_values, **kwargs)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        """A new delivery makes its customer follow it (``create``). While an import creates
        its deliveries together (``PICKING_FOLLOWERS`` in the transaction's data, see
        ``stock.move._assign_picking``), the subscriptions are kept and made together
        (``_ecom_subscribe_together``), with the same checks and default subtypes."""
        pending = self.env.cr.precommit.data.get(PICKING_FOLLOWERS)
        if (
            pending is None
            or not self
            or not partner_ids
            or subtype_ids
            or set(partner_ids) == {self.env.user.partner_id.id}
        ):
            return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)
        self.check_access("write")
        pending.extend((picking_id, list(partner_ids)) for picking_id in self.ids)
        return True

    def _ecom_log_origin_links(self, pending):
        """Log the "created from" notes ``pending`` (``(picking id, render values)``) as
        ``message_post_with_source`` would have posted them, in one batch."""
        if not pending:
            return
        view = self.env.ref("mail.message_origin_link")
        Render = self.env["mail.render.mixin"]
        bodies = {}
        for picking_id, values in pending:
            bodies.update(
                Render._render_template_qweb_view(
                    view, self._name, [picking_id], add_context=values
                )
            )
        self.browse(list(bodies))._message_log_batch(bodies)

    ecom_channel_id = fields.Many2one(
        related="sale_id.ecom_channel_id", string="Sales Channel", store=True, index=True
    )
    ecom_parcel_count = fields.Integer(
        "Parcels",
        default=1,
        help="Number of parcels when the goods are not put in packages: the weight is split "
        "evenly and each parcel gets its own label and tracking number. With packages, each "
        "package is a parcel.",
    )
    ecom_label_attachment_id = fields.Many2one(
        "ir.attachment", "Label", copy=False, readonly=True, index="btree_not_null"
    )
    ecom_carrier_shipment_ref = fields.Char(
        "Carrier Shipment", copy=False, readonly=True, help="The carrier's reference of the label."
    )
    ecom_label_error = fields.Text("Label Problem", copy=False, readonly=True)
    ecom_push_state = fields.Selection(
        PUSH_STATES,
        "Channel Update",
        default="none",
        required=True,
        copy=False,
        index=True,
        help="Whether the sales channel was told that this delivery left, with its tracking.",
    )
    ecom_push_job_id = fields.Many2one(
        "queue.job",
        "Channel Update Job",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The job that tells the channel (retried with the channel's backoff; a refusal "
        "is a failed sync job, with Retry and Discard).",
    )
    ecom_push_attempts = fields.Integer(
        "Channel Update Attempts", compute="_compute_ecom_push_attempts"
    )
    ecom_push_error = fields.Text("Channel Update Problem", copy=False, readonly=True)
    ecom_pushed_date = fields.Datetime("Channel Updated On", copy=False, readonly=True)
    ecom_no_customer_email = fields.Boolean(
        "No Customer Email",
        copy=False,
        readonly=True,
        help="The dispatch email could not be sent: the customer has no email address.",
    )

    @api.depends("ecom_push_job_id")
    def _compute_ecom_push_attempts(self):
        for picking in self:
            # the job is the one owner of the attempts (read as the system: whoever sees the
            # delivery sees how often the channel was tried)
            picking.ecom_push_attempts = picking.sudo().ecom_push_job_id.retry

    @api.constrains("ecom_parcel_count")
    def _check_ecom_parcel_count(self):
        if any(picking.ecom_parcel_count < 1 for picking in self):
            raise UserError(self.env._("A delivery has at least one parcel."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_ecom_print_labels(self):
        """Open the label printing wizard for these deliveries."""
        action = self.env["ir.actions.actions"]._for_xml_id(
            "ecom_fulfilment.ecom_label_print_wizard_action"
        )
        action["context"] = {"default_picking_ids": self.ids}
        return action

    def action_ecom_reprint_label(self):
        """Download the label again (the same tracking number: nothing is sent to the carrier)."""
        self.ensure_one()
        if not self.ecom_label_attachment_id:
            raise UserError(
                self.env._("%(picking)s has no label yet: print it first.", picking=self.name)
            )
        self.message_post(body=self.env._("Label printed again."))
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % self.ecom_label_attachment_id.id,
            "target": "self",
        }

    def action_ecom_cancel_label(self):
        """Cancel the label at the carrier; a new one can then be printed."""
        self.ensure_one()
        if self.state == "done":
            raise UserError(
                self.env._("%(picking)s has left already: its label stays.", picking=self.name)
            )
        if not self.carrier_tracking_ref:
            raise UserError(self.env._("%(picking)s has no label.", picking=self.name))
        self.cancel_shipment()
        return True

    def action_ecom_push_shipment(self):
        """Tell the sales channel now: the update's job is queued (again, when it failed)
        to run at once."""
        self.check_access("write")
        todo = self.filtered(lambda p: p.ecom_push_state in ("pending", "error"))
        if not todo:
            raise UserError(self.env._("There is no channel update to send."))
        # the deliveries' orders and channel are read as the job reads them: a warehouse user
        # may send what they may write, even for orders they may not read
        todo.sudo()._ecom_queue_shipment_push(now=True)
        return True

    # ------------------------------------------------------------------
    # Dispatch: validation, email, channel update
    # ------------------------------------------------------------------

    @api.model
    def _ecom_find_scanned(self, code, domain):
        """The transfer matching ``domain`` whose reference, else source document (the sales
        order or purchase order), else carrier tracking number is the scanned ``code``: what
        the dispatch bench and the warehouse screens find from a packing slip, an order or a
        label."""
        code = (code or "").strip()
        if not code:
            return self.browse()
        return (
            self.search(domain + [("name", "=", code)], limit=1)
            or self.search(domain + [("origin", "=", code)], order="id desc", limit=1)
            or self.search(
                domain + [("carrier_tracking_ref", "ilike", code)], order="id desc", limit=1
            )
        )

    def _ecom_dispatch(self):
        """Validate this delivery as it is packed, as a scan at the dispatch bench or the
        pack screen does: the units reserved or picked leave, the rest goes to a backorder,
        with Odoo's validation (the carrier's label is made when none was printed)."""
        self.ensure_one()
        if self.picking_type_code != "outgoing" or self.state in ("draft", "cancel"):
            raise UserError(
                self.env._("%(picking)s is not a delivery to dispatch.", picking=self.name)
            )
        if self.state == "done":
            raise UserError(
                self.env._("%(picking)s has been dispatched already.", picking=self.name)
            )
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            move.picked = bool(move.quantity)
        result = self.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[]
        ).button_validate()
        if self.state != "done":
            raise UserError(
                self.env._("%(picking)s could not be validated: open it.", picking=self.name)
            )
        return result

    def _ecom_dispatch_pickings(self):
        """The deliveries of channel orders among these (read on the delivery: whoever
        validates it may not be allowed to read the order)."""
        return self.filtered(lambda p: p.picking_type_code == "outgoing" and p.ecom_channel_id)

    def _action_done(self):
        res = super()._action_done()
        done = self._ecom_dispatch_pickings().filtered(lambda p: p.state == "done")
        if done:
            done.write({"ecom_push_state": "pending", "ecom_push_error": False})
            done.sudo()._ecom_queue_shipment_push()
        return res

    def _send_confirmation_email(self):
        """Odoo's (the label is made at validation when none was printed, a carrier error
        after the first delivery becomes an activity), then, for channel orders, the channel's
        dispatch email (with the tracking link) is queued to the customer, unless the channel
        emails the buyer itself (one email per shipment, see ``dispatch_email_mode``)."""
        res = super()._send_confirmation_email()
        self._ecom_dispatch_pickings()._ecom_send_dispatch_email()
        return res

    def _ecom_channel_emails_buyer(self):
        """Whether the channel of this delivery tells the buyer itself that it shipped (as
        the channel update of the delivery asks it to)."""
        self.ensure_one()
        picking = self.sudo()
        return picking.ecom_channel_id._ecom_emails_buyer_on_dispatch(picking)

    def _ecom_send_dispatch_email(self):
        """Queue the channel's dispatch email of these deliveries, except where the channel
        emails the buyer itself and is set to one email per shipment. Whoever validates a
        delivery sends it, whether or not they may read the order or the channel: the
        channel's template and the order's customer are read with superuser rights. The
        email speaks of the order (its own layout), not of the transfer."""
        for picking in self:
            channel = picking.ecom_channel_id.sudo()
            template = channel.dispatch_mail_template_id
            if not template:
                continue
            if channel.dispatch_email_mode == "single" and picking._ecom_channel_emails_buyer():
                continue
            customer = picking.sudo().sale_id.partner_id
            if not customer.email:
                picking.ecom_no_customer_email = True
                picking.message_post(
                    body=self.env._(
                        "No dispatch email sent: customer %(customer)s has no email address.",
                        customer=customer.display_name,
                    )
                )
                continue
            template.send_mail(picking.id, email_layout_xmlid=DISPATCH_EMAIL_LAYOUT)
            picking.message_post(
                body=self.env._(
                    "Dispatch email queued to %(email)s.", email=customer.email_formatted
                )
            )

    @api.model
    def _cron_push_shipments(self):
        """Queue the channel updates still to send that have no job waiting (a job lost with
        a database restore, or deliveries done before the job engine): crons only enqueue."""
        pickings = self.search([("ecom_push_state", "=", "pending")])
        waiting = pickings.sudo().ecom_push_job_id.filtered(
            lambda job: job.state in ("wait_dependencies", "pending", "enqueued", "started")
        )
        pickings.filtered(
            lambda p: p.sudo().ecom_push_job_id not in waiting
        ).sudo()._ecom_queue_shipment_push()

    def _ecom_queue_shipment_push(self, now=False):
        """Queue one job per delivery that tells its channel it left, in the channel's own job
        channel (so the channel's quota and backoff apply), never twice while one waits. A
        delivery whose job failed gets that job again (``now``: to run at once). The
        delivery's own job (``ecom_push_job_id``) tells whether one waits, so queue_job's
        identity key (one more search per delivery) is not needed."""
        for picking in self:
            job = picking.ecom_push_job_id
            if job.state in ("failed", "cancelled") or (now and job.state == "pending"):
                job.requeue()
                if now:
                    job.with_context(_job_edit_sentinel=job.EDIT_SENTINEL).write({"eta": False})
                continue
            if job.state in ("wait_dependencies", "pending", "enqueued", "started"):
                continue
            queued = picking.ecom_channel_id._ecom_delay(
                picking,
                description=self.env._(
                    "Tell %(channel)s that %(picking)s left",
                    channel=picking.ecom_channel_id.name,
                    picking=picking.name,
                ),
                identity=False,
            )._ecom_job_push_shipment()
            record = queued.db_record() if queued else None
            if record:
                picking.ecom_push_job_id = record

    def _ecom_job_push_shipment(self):
        """Job: tell the channel that this delivery left, with its tracking (mark_shipped).
        A failure follows the job engine's one retry rule: under the channel's quota (429)
        the job waits the delay the channel asked for without using an attempt; after a
        server or network error it is tried again with a backoff; a refusal (4xx) fails the
        job at once, with the reason, shown on the delivery (see ``queue.job.write``)."""
        self.ensure_one()
        picking = self.sudo()
        if picking.ecom_push_state == "done":
            return self.env._("%(picking)s: the channel was told already.", picking=picking.name)
        channel = picking.ecom_channel_id
        try:
            # a database error is rolled back here, so that the job can record why it failed
            with (
                self.env.cr.savepoint(),
                channel._get_client(max_retry_wait=JOB_MAX_RETRY_WAIT) as client,
            ):
                answer = client.mark_shipped(picking._ecom_shipment())
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            channel._ecom_job_error(exc)
        picking.write(
            {
                "ecom_push_state": "done",
                "ecom_push_error": False,
                "ecom_pushed_date": fields.Datetime.now(),
            }
        )
        message = self.env._(
            "%(picking)s: channel told it shipped with %(carrier)s, tracking %(tracking)s%(note)s.",
            picking=picking.name,
            carrier=picking.carrier_id.name or "-",
            tracking=picking.carrier_tracking_ref or "-",
            note="" if answer else self.env._(" (the channel had it already)"),
        )
        self.env["ecom.sync.log"]._create_logs([self._ecom_push_log(picking, "ok", message)])
        return message

    def _ecom_push_job_state(self, job):
        """Show on these deliveries how their update job stands (called when the job is
        postponed after an error, fails, or is queued again: a job queued again after it
        failed keeps its error name until it runs)."""
        pickings = self.sudo().filtered(lambda p: p.ecom_push_state != "done")
        if job.state == "failed":
            pickings.write({"ecom_push_state": "error", "ecom_push_error": job.exc_message})
        elif job.state == "pending" and not job.exc_name and job.result:  # postponed
            pickings.write(
                {
                    "ecom_push_state": "error",
                    "ecom_push_error": self.env._(
                        "%(error)s (tried again automatically)", error=job.result
                    ),
                }
            )
        elif job.state == "pending":
            pickings.write({"ecom_push_state": "pending", "ecom_push_error": False})

    @api.model
    def _ecom_push_log(self, picking, status, message, payload=None):
        vals = picking.ecom_channel_id._sync_log_vals(
            "mark shipped", status, message, payload=payload
        )
        vals.update(res_model="stock.picking", res_id=picking.id)
        return vals

    def _ecom_shipment(self):
        """The dispatch as the channel clients take it: whole order, or the lines of this
        delivery when it ships part of the order."""
        self.ensure_one()
        order = self.sale_id
        shipped = {}
        for move in self.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id):
            line = move.sale_line_id
            qty = move.product_uom._compute_quantity(move.quantity, line.product_uom)
            shipped[line] = shipped.get(line, 0.0) + qty
        product_lines = order.order_line.filtered(
            lambda line: line.product_id.type == "consu" and not line.display_type
        )
        whole = all(
            line.ecom_line_ref
            and shipped.get(line, 0.0) >= line.product_uom_qty
            and not line.qty_delivered - shipped.get(line, 0.0)
            for line in product_lines
        )
        lines = []
        if not whole:
            # a channel line priced exactly may be two order lines (2 x 3.33 + 1 x 3.34): the
            # channel hears of its line once, with the quantities of both
            by_ref = {}
            for line, qty in shipped.items():
                if line.ecom_line_ref:
                    by_ref[line.ecom_line_ref] = by_ref.get(line.ecom_line_ref, 0.0) + qty
            lines = list(by_ref.items())
        carrier = self.carrier_id
        return Shipment(
            order_ref=order.ecom_external_ref,
            carrier=carrier._ecom_name() if carrier else "",
            tracking_number=(self.carrier_tracking_ref or "").split(",")[0].strip(),
            tracking_url=self.carrier_tracking_url or "",
            service=carrier._ecom_service() if carrier else "",
            shipped_at=self.date_done,
            lines=lines,
            notify_customer=self._ecom_notifies_customer(),
        )

    def _ecom_notifies_customer(self):
        """Whether the channel update of this delivery asks the channel to tell the buyer
        (``Shipment.notify_customer``: a Shopify fulfilment's notification, a WooCommerce
        customer note). Always, here (hook)."""
        self.ensure_one()
        return True

    # ------------------------------------------------------------------
    # Labels
    # ------------------------------------------------------------------

    @staticmethod
    def _ecom_party(partner, email=""):
        partner = partner.sudo()
        company = partner.parent_id.name if partner.parent_id.is_company else ""
        return Party(
            name=partner.name or partner.parent_id.name or "",
            company=company or "",
            street=partner.street or "",
            street2=partner.street2 or "",
            city=partner.city or "",
            state=partner.state_id.code or "",
            zip=partner.zip or "",
            country_code=partner.country_id.code or "",
            phone=partner.phone or partner.mobile or "",
            email=email or "",
        )

    def _ecom_parcels(self):
        """One Parcel per package (and one for what is not packed), else the picking's weight
        split over its number of parcels."""
        self.ensure_one()
        # with the picking in context, a package weighs what this delivery puts in it
        packages = self.move_line_ids.result_package_id.with_context(picking_id=self.id)
        if packages:
            parcels = [
                Parcel(weight_kg=pack.shipping_weight or pack.weight or 0.0, name=pack.name)
                for pack in packages
            ]
            if self.weight_bulk:
                parcels.append(Parcel(weight_kg=self.weight_bulk, name=self.env._("Loose")))
            return parcels
        weight = self.shipping_weight or self.weight or self._get_estimated_weight()
        return [Parcel(weight_kg=w) for w in split_weight(weight, self.ecom_parcel_count)]

    def _ecom_shipment_request(self):
        """What the carrier needs to label this delivery; CarrierError when it cannot be."""
        self.ensure_one()
        recipient = self._ecom_party(self.partner_id, email=self.sale_id.partner_id.email or "")
        missing = recipient.missing()
        if not self.partner_id or missing:
            raise CarrierError(
                self.env._(
                    "%(picking)s: the delivery address lacks %(fields)s.",
                    picking=self.name,
                    fields=", ".join(missing or ["a partner"]),
                ),
                reference=self.name,
            )
        warehouse_partner = (
            self.picking_type_id.warehouse_id.partner_id or self.company_id.partner_id
        )
        sender = self._ecom_party(warehouse_partner, email=self.company_id.email or "")
        order = self.sale_id
        contents = [
            ContentLine(
                sku=move.product_id.default_code or "",
                # the variant too (size, colour): "Merino Beanie (Black)"
                name=move.product_id.with_context(display_default_code=False).display_name,
                quantity=max(1, int(round(move.product_uom_qty))),
                unit_value=move.sale_line_id.price_unit if move.sale_line_id else 0.0,
                unit_weight_kg=move.product_id.weight,
            )
            for move in self.move_ids
            if move.state != "cancel"
        ]
        goods = sum(c.unit_value * c.quantity for c in contents)
        shipping = (
            sum(order.order_line.filtered("is_delivery").mapped("price_unit")) if order else 0.0
        )
        return ShipmentRequest(
            reference=self.name,
            recipient=recipient,
            sender=sender,
            parcels=self._ecom_parcels(),
            service_code=self.carrier_id.cnd_service_code or "",
            service_name=self.carrier_id._ecom_service(),
            order_reference=order.client_order_ref or order.name or self.origin or self.name,
            order_date=order.date_order or self.scheduled_date,
            subtotal=goods,
            shipping_charged=shipping,
            total=goods + shipping,
            currency=(order.currency_id or self.company_id.currency_id).name,
            contents=contents,
            package_format=self.carrier_id.cnd_package_format or "parcel",
        )

    def _ecom_store_labels(self, carrier, results):
        """Keep each created label: attachment, tracking number, carrier reference, a note."""
        if not self:
            return
        prefix = carrier._get_delivery_label_prefix()
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": "%s-%s.%s"
                    % (
                        prefix,
                        results[p.id].tracking_numbers[0]
                        if results[p.id].tracking_numbers
                        else p.name,
                        results[p.id].label_format,
                    ),
                    "datas": base64.b64encode(results[p.id].label),
                    "mimetype": "application/pdf"
                    if results[p.id].label_format == "pdf"
                    else "text/plain",
                    "res_model": "stock.picking",
                    "res_id": p.id,
                }
                for p in self
            ]
        )
        bodies = {}
        for picking, attachment in zip(self, attachments, strict=True):
            result = results[picking.id]
            picking.write(
                {
                    "carrier_tracking_ref": result.tracking_number,
                    "ecom_carrier_shipment_ref": result.carrier_ref,
                    "ecom_label_attachment_id": attachment.id,
                    "ecom_label_error": False,
                    "carrier_price": carrier.fixed_price,
                }
            )
            bodies[picking.id] = self.env._(
                "Label created with %(carrier)s: tracking %(tracking)s (%(file)s).",
                carrier=carrier.name,
                tracking=result.tracking_number,
                file=attachment.name,
            )
        # one note per delivery, written in bulk (label runs create hundreds at once)
        self._message_log_batch(bodies=bodies)

    def _ecom_void_labels(self):
        """Forget the labels of these pickings (after the carrier cancelled them)."""
        for picking in self:
            if picking.ecom_label_attachment_id:
                picking.ecom_label_attachment_id.name = (
                    "VOID-%s" % picking.ecom_label_attachment_id.name
                )
        self.write(
            {
                "ecom_label_attachment_id": False,
                "ecom_carrier_shipment_ref": False,
            }
        )

    def _ecom_label_failed(self, message):
        self.ensure_one()
        self.ecom_label_error = message
        self.message_post(
            body=Markup("<strong>%s</strong> %s") % (self.env._("Label not printed:"), message)
        )

    def _ecom_pick_sequence_key(self):
        """Order in which the picker walks: by the first bin of the delivery, then its name."""
        locations = self.move_line_ids.location_id.mapped(
            "complete_name"
        ) or self.move_ids.location_id.mapped("complete_name")
        return (min(locations) if locations else "", self.name)
