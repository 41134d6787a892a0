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
        Picking = self.env["stock.picking"]
        domain = [("picking_type_code", "=", "outgoing"), ("state", "not in", ("cancel",))]
        picking = Picking.search(domain + [("name", "=", code)], limit=1)
        if not picking:
            picking = Picking.search(
                domain + [("carrier_tracking_ref", "ilike", code)], order="id desc", limit=1
            )
        return picking

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
            if picking.state == "done":
                raise UserError(
                    self.env._("%(picking)s has been dispatched already.", picking=picking.name)
                )
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
