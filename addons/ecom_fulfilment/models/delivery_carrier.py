# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import get_lang

from odoo.addons.ecom_channels.ecom_channels_core.endpoints import endpoint_problem
from odoo.addons.ecom_channels.ecom_channels_core.http import (
    HttpTransport,
    RetryPolicy,
    TokenBucket,
)

from ..ecom_fulfilment_core import clickanddrop, labels
from ..ecom_fulfilment_core.parcels import CarrierError, LabelResult

_logger = logging.getLogger(__name__)

#: The delivery types of this module: labels are created by our code for them.
ECOM_DELIVERY_TYPES = ("clickanddrop", "ecom_selfprint")
PACKAGE_FORMATS = [
    ("letter", "Letter"),
    ("largeLetter", "Large Letter"),
    ("smallParcel", "Small Parcel"),
    ("mediumParcel", "Medium Parcel"),
    ("largeParcel", "Large Parcel"),
    ("parcel", "Parcel"),
    ("documents", "Documents"),
]


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[
            ("clickanddrop", "Royal Mail Click & Drop"),
            ("ecom_selfprint", "Self-printed Label"),
        ],
        ondelete={"clickanddrop": "set default", "ecom_selfprint": "set default"},
    )
    ecom_carrier_label = fields.Char(
        "Carrier Name on Channels",
        help="The carrier as told to the sales channels and printed on labels (e.g. 'Royal "
        "Mail'); empty: the carrier service's name.",
    )
    ecom_service_name = fields.Char(
        "Service Name",
        help="The service printed on labels and told to the channels (e.g. 'Tracked 48'); "
        "empty: the carrier service's name.",
    )
    cnd_api_url = fields.Char(
        "Click & Drop URL",
        default=clickanddrop.DEFAULT_URL,
        groups="ecom_fulfilment.ecom_fulfilment_group_manager",
        help="Base URL of the Click & Drop API (the path /api/v1 is added). The API key is sent "
        "there: only Royal Mail's own https host is accepted (a local emulator only on a server "
        "configured for test endpoints).",
    )
    cnd_api_key = fields.Char(
        "Click & Drop API Key", copy=False, groups="ecom_fulfilment.ecom_fulfilment_group_manager"
    )
    cnd_service_code = fields.Char(
        "Service Code", help="Royal Mail service code of this carrier service, e.g. TPS48."
    )
    cnd_package_format = fields.Selection(
        PACKAGE_FORMATS, "Package Format", default="parcel", required=True
    )
    cnd_timeout = fields.Float("Timeout (s)", default=30.0)
    ecom_label_format = fields.Selection(
        [("pdf", "PDF (4x6 in)"), ("zpl", "ZPL (4x6 in, 203 dpi)")],
        "Label Format",
        default="pdf",
        required=True,
    )
    ecom_tracking_prefix = fields.Char(
        "Tracking Prefix",
        default="EC",
        help="Start of the tracking numbers of self-printed labels.",
    )
    ecom_tracking_sequence_id = fields.Many2one(
        "ir.sequence",
        "Tracking Sequence",
        copy=False,
        help="Numbers the self-printed labels of this carrier (created on the first label).",
    )

    @api.constrains("cnd_api_url")
    def _check_cnd_api_url(self):
        allow_test = self.env["ecom.channel"]._ecom_allow_test_endpoints()
        for carrier in self.sudo():
            problem = endpoint_problem(carrier.cnd_api_url, "clickanddrop", allow_test)
            if problem:
                raise ValidationError(
                    self.env._(
                        "Carrier %(carrier)s: %(problem)s.", carrier=carrier.name, problem=problem
                    )
                )

    # ------------------------------------------------------------------
    # Rates: the price the merchant configured (the channel set the customer's price)
    # ------------------------------------------------------------------

    def clickanddrop_rate_shipment(self, order):
        return self.fixed_rate_shipment(order)

    def ecom_selfprint_rate_shipment(self, order):
        return self.fixed_rate_shipment(order)

    # ------------------------------------------------------------------
    # Shipping (stock_delivery's dispatch pattern)
    # ------------------------------------------------------------------

    def clickanddrop_send_shipping(self, pickings):
        return self._ecom_send_shipping(pickings)

    def ecom_selfprint_send_shipping(self, pickings):
        return self._ecom_send_shipping(pickings)

    def clickanddrop_get_tracking_link(self, picking):
        number = (picking.carrier_tracking_ref or "").split(",")[0].strip()
        if not number:
            return False
        if self.tracking_url:
            return self.tracking_url.replace("<shipmenttrackingnumber>", number)
        return clickanddrop.TRACKING_URL % number

    def ecom_selfprint_get_tracking_link(self, picking):
        number = (picking.carrier_tracking_ref or "").split(",")[0].strip()
        if self.tracking_url and number:
            return self.tracking_url.replace("<shipmenttrackingnumber>", number)
        return False

    def clickanddrop_cancel_shipment(self, pickings):
        refs = [int(p.ecom_carrier_shipment_ref) for p in pickings if p.ecom_carrier_shipment_ref]
        if refs:
            try:
                with self._cnd_client() as client:
                    client.delete_orders(refs)
            except CarrierError as exc:
                raise UserError(exc.message) from exc
        pickings._ecom_void_labels()

    def ecom_selfprint_cancel_shipment(self, pickings):
        pickings._ecom_void_labels()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _ecom_name(self):
        return self.ecom_carrier_label or self.name

    def _ecom_service(self):
        return self.ecom_service_name or self.name

    def _ecom_send_shipping(self, pickings):
        """Labels for ``pickings`` (all of this carrier); raise on the first failure, as
        ``send_shipping`` callers expect."""
        results = self._ecom_create_labels(pickings)
        answers = []
        for picking in pickings:
            result = results[picking.id]
            if not isinstance(result, LabelResult):
                raise UserError(result)
            answers.append(
                {"exact_price": self.fixed_price, "tracking_number": result.tracking_number}
            )
        return answers

    def _cnd_client(self):
        """The Click & Drop client of this carrier (credentials read as superuser here only)."""
        self.ensure_one()
        carrier = self.sudo()
        if not carrier.cnd_api_key:
            raise CarrierError(
                "Carrier %s has no Click & Drop API key (Fulfilment > Configuration)." % self.name
            )
        url = carrier.cnd_api_url or clickanddrop.DEFAULT_URL
        # checked again when used: the server's configuration may have changed since it was set
        problem = endpoint_problem(
            url, "clickanddrop", self.env["ecom.channel"]._ecom_allow_test_endpoints()
        )
        if problem:
            raise CarrierError(
                "Carrier %s: %s; the API key is not sent there." % (self.name, problem)
            )
        timeout = carrier.cnd_timeout if carrier.cnd_timeout > 0 else 30.0
        transport = HttpTransport(
            url,
            channel="Click & Drop",
            secrets=(carrier.cnd_api_key,),
            timeout=(min(timeout, 10.0), timeout),
            retry=RetryPolicy(
                max_attempts=int(self.env.context.get("ecom_carrier_attempts", 4)),
                base=float(self.env.context.get("ecom_carrier_backoff", 1.0)),
                cap=30.0,
                retry_after_cap=30.0,
            ),
            limiter=TokenBucket(5.0, 5.0),  # the API's published limit: 5 calls a second
            headers={
                "Accept": "application/json",
                "Authorization": "Bearer %s" % carrier.cnd_api_key,
                "User-Agent": "ecom-backoffice/18.0",
            },
        )
        return clickanddrop.ClickAndDropClient(transport)

    def _ecom_tracking_sequence(self):
        self.ensure_one()
        if not self.ecom_tracking_sequence_id:
            sequence = (
                self.env["ir.sequence"]
                .sudo()
                .create(
                    {
                        "name": "Tracking numbers: %s" % self.name,
                        "code": "ecom.tracking.%s" % self.id,
                        "prefix": (self.ecom_tracking_prefix or "EC").strip(),
                        "suffix": "GB",
                        "padding": 9,
                        "company_id": self.company_id.id,
                    }
                )
            )
            self.sudo().ecom_tracking_sequence_id = sequence
        return self.sudo().ecom_tracking_sequence_id

    def _ecom_create_labels(self, pickings):
        """Create the label of each picking (all of this carrier).

        Returns ``{picking id: LabelResult or an error message}``; one picking that fails
        (bad address, refused by the carrier) does not stop the others. Successful pickings get
        their tracking number, the carrier's reference and the label as an attachment.
        """
        self.ensure_one()
        results, requests = {}, {}
        for picking in pickings:
            try:
                requests[picking.id] = picking._ecom_shipment_request()
            except CarrierError as exc:
                results[picking.id] = exc.message
        if self.delivery_type == "clickanddrop" and requests:
            try:
                with self._cnd_client() as client:
                    created = client.create_shipments(list(requests.values()))
            except CarrierError as exc:
                created = {r.reference: exc for r in requests.values()}
            for picking_id, request in requests.items():
                answer = created.get(request.reference)
                results[picking_id] = answer if isinstance(answer, LabelResult) else str(answer)
        elif requests:
            sequence = self._ecom_tracking_sequence()
            for picking_id, request in requests.items():
                numbers = [sequence.next_by_id() for _parcel in request.parcels]
                try:
                    label = labels.render(
                        self._ecom_label_data(request, numbers), self.ecom_label_format
                    )
                except CarrierError as exc:
                    results[picking_id] = exc.message
                    continue
                results[picking_id] = LabelResult(
                    reference=request.reference,
                    carrier_ref=numbers[0],
                    tracking_numbers=numbers,
                    label=label,
                    label_format=self.ecom_label_format,
                )
        done = {pid: r for pid, r in results.items() if isinstance(r, LabelResult)}
        self.env["stock.picking"].browse(list(done))._ecom_store_labels(self, done)
        return results

    def _ecom_label_data(self, request, numbers):
        count = len(request.parcels)
        company = self.company_id or self.env.company
        date_format = get_lang(self.env, company.partner_id.lang).date_format
        return [
            labels.LabelData(
                tracking_number=number,
                carrier=self._ecom_name(),
                service=self._ecom_service(),
                sender=request.sender,
                recipient=request.recipient,
                weight_kg=parcel.weight_kg,
                reference=request.order_reference or request.reference,
                parcel_index=index,
                parcel_count=count,
                ship_date=fields.Date.context_today(self),
                date_format=date_format,
                extra=[request.reference],
            )
            for index, (parcel, number) in enumerate(
                zip(request.parcels, numbers, strict=True), start=1
            )
        ]
