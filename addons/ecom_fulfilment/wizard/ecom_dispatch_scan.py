# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError


class EcomDispatchScan(models.TransientModel):
    """Dispatch by scanning: the packing slip's barcode (the delivery's reference) or the
    label's tracking number validates the delivery, which tells the channel and the customer."""

    _name = "ecom.dispatch.scan"
    _description = "Dispatch by Scan"

    barcode = fields.Char(help="Scan the packing slip or the label.")
    last_result = fields.Text(readonly=True)
    last_ok = fields.Boolean(readonly=True)
    dispatched_count = fields.Integer(readonly=True)

    def _find_picking(self, code):
        return self.env["stock.picking"]._ecom_find_scanned(
            code, [("picking_type_code", "=", "outgoing"), ("state", "!=", "cancel")]
        )

    def action_scan(self):
        self.ensure_one()
        code = (self.barcode or "").strip()
        values = {"barcode": False}
        try:
            if not code:
                raise UserError(self.env._("Scan a packing slip or a label."))
            picking = self._find_picking(code)
            if not picking:
                raise UserError(self.env._("No delivery found for %(code)s.", code=code))
            picking._ecom_dispatch()
            values.update(
                last_ok=True,
                dispatched_count=self.dispatched_count + 1,
                last_result=self.env._(
                    "%(picking)s dispatched (%(tracking)s).",
                    picking=picking.name,
                    tracking=picking.carrier_tracking_ref or "-",
                ),
            )
        except UserError as exc:
            values.update(last_ok=False, last_result=str(exc))
        self.write(values)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
