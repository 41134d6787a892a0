# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

COUNT_STATES = [
    ("draft", "Counting"),
    ("review", "To Review"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]


class EcomWarehouseCount(models.Model):
    _name = "ecom.warehouse.count"
    _description = "Cycle Count"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    location_id = fields.Many2one(
        "stock.location",
        string="Bin",
        required=True,
        index=True,
        domain="[('usage', '=', 'internal')]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one("res.users", string="Counted By", default=lambda self: self.env.user)
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    reason = fields.Selection(related="location_id.ecom_count_reason", string="Why Due")
    state = fields.Selection(COUNT_STATES, default="draft", required=True, tracking=True)
    line_ids = fields.One2many("ecom.warehouse.count.line", "count_id", string="Lines")
    currency_id = fields.Many2one(related="company_id.currency_id")
    variance_qty = fields.Float(
        compute="_compute_variance",
        store=True,
        string="Qty Variance",
        digits="Product Unit of Measure",
    )
    variance_value = fields.Monetary(
        compute="_compute_variance", store=True, string="Value Variance"
    )

    @api.depends("line_ids.difference_qty", "line_ids.difference_value")
    def _compute_variance(self):
        for count in self:
            count.variance_qty = sum(count.line_ids.mapped("difference_qty"))
            count.variance_value = sum(count.line_ids.mapped("difference_value"))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("ecom.warehouse.count") or "/"
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        if any(count.state == "done" for count in self):
            raise UserError(self.env._("An applied count is stock history: it cannot be deleted."))

    # ------------------------------------------------------------------ screen

    @api.model
    def ecom_wh_count_start(self, barcode):
        """Start (or resume) the count of the scanned bin."""
        location = self.env["stock.location"]._ecom_find_by_barcode(barcode)
        if not location:
            return {
                "type": "error",
                "message": self.env._("%(barcode)s is not a bin.", barcode=barcode),
            }
        count = self.search(
            [("location_id", "=", location.id), ("state", "=", "draft")], limit=1
        ) or self.create({"location_id": location.id, "company_id": location.company_id.id})
        if not count.line_ids:
            quants = self.env["stock.quant"].search(
                [
                    ("location_id", "=", location.id),
                    ("quantity", "!=", 0),
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                ]
            )
            keys = {(quant.product_id, quant.lot_id) for quant in quants}
            count.line_ids = [
                Command.create({"product_id": product.id, "lot_id": lot.id})
                for product, lot in sorted(keys, key=lambda k: (k[0].id, k[1].id or 0))
            ]
        return {"type": "count", "state": count.ecom_wh_count_state()}

    def ecom_wh_count_state(self):
        self.ensure_one()
        manager = self.env.user.has_group("ecom_warehouse.ecom_warehouse_group_manager")
        expected = self.line_ids._ecom_expected_map() if manager else {}
        lines = []
        for line in self.line_ids:
            values = dict(
                line.product_id._ecom_screen_values()[0],
                line_id=line.id,
                lot=line.lot_id.name or "",
                counted=line.counted_qty if line.counted else None,
            )
            if manager:
                values["expected"] = expected[line._ecom_key()][0]
            lines.append(values)
        return {
            "id": self.id,
            "name": self.name,
            "location": self.location_id.name,
            "state": self.state,
            "blind": not manager,
            "lines": lines,
        }

    def _ecom_check_draft(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Count %(name)s is already submitted.", name=self.name))

    def ecom_wh_count_scan(self, barcode):
        """One more unit of the scanned product (or lot) found in the bin. A product tracked
        by lots is counted by scanning its lot numbers."""
        self._ecom_check_draft()
        lot_line = self.line_ids.filtered(lambda line: line.lot_id.name == barcode)[:1]
        if not lot_line:
            lot = self.env["stock.lot"].search(
                [("name", "=", barcode), ("company_id", "in", [False, self.company_id.id])],
                limit=1,
            )
            if lot:
                lot_line = self.env["ecom.warehouse.count.line"].create(
                    {"count_id": self.id, "product_id": lot.product_id.id, "lot_id": lot.id}
                )
        if lot_line:
            lot_line.write({"counted_qty": lot_line.counted_qty + 1, "counted": True})
            return {"type": "count", "line_id": lot_line.id, "state": self.ecom_wh_count_state()}
        product = self.env["stock.picking"]._ecom_find_product(barcode)
        if product and product.tracking != "none":
            return {
                "type": "error",
                "message": self.env._(
                    "%(product)s is tracked by lot: scan the lot number.",
                    product=product.display_name,
                ),
            }
        if not product and self.env["stock.location"]._ecom_find_by_barcode(barcode):
            return {
                "type": "error",
                "message": self.env._(
                    "Submit the count of %(bin)s before counting another bin.",
                    bin=self.location_id.name,
                ),
            }
        if not product:
            return {
                "type": "error",
                "message": self.env._("Unknown barcode %(barcode)s.", barcode=barcode),
            }
        line = self.line_ids.filtered(lambda line: line.product_id == product)[:1]
        if not line:
            line = self.env["ecom.warehouse.count.line"].create(
                {"count_id": self.id, "product_id": product.id}
            )
        line.write({"counted_qty": line.counted_qty + 1, "counted": True})
        return {"type": "count", "line_id": line.id, "state": self.ecom_wh_count_state()}

    def ecom_wh_count_set(self, line_id, qty):
        self._ecom_check_draft()
        if qty is None or qty < 0:
            raise UserError(self.env._("A counted quantity cannot be negative."))
        line = self.line_ids.filtered(lambda line: line.id == line_id)
        if not line:
            raise UserError(self.env._("This line is not part of the count."))
        line.write({"counted_qty": qty, "counted": True})
        return self.ecom_wh_count_state()

    # ------------------------------------------------------------------ actions

    def action_submit(self):
        """Set the counted quantities on the quants (inventory mode). Lines without variance
        are applied at once; the others wait for a manager."""
        for count in self:
            count._ecom_check_draft()
            count.line_ids._ecom_set_inventory_quantities()
            count.location_id.sudo().write(
                {
                    "ecom_last_count_date": fields.Date.context_today(count),
                    "ecom_count_requested": False,
                    "ecom_count_requested_date": False,
                }
            )
            exact = count.line_ids.filtered(lambda line: not line.difference_qty)
            exact._ecom_apply()
            if count.line_ids - exact:
                count.state = "review"
            else:
                count.state = "done"
        return True

    def ecom_wh_count_submit(self):
        self.action_submit()
        return {
            "name": self.name,
            "state": self.state,
            "variances": len(self.line_ids.filtered("difference_qty")),
        }

    def action_accept(self):
        self.line_ids.filtered(lambda line: line.state == "pending").action_accept()
        return True

    def action_reject(self):
        self.line_ids.filtered(lambda line: line.state == "pending").action_reject()
        return True

    def _ecom_update_state(self):
        for count in self.filtered(lambda c: c.state == "review"):
            if all(line.state != "pending" for line in count.line_ids):
                count.state = "done"

    def action_print(self):
        return self.env.ref("ecom_warehouse.action_report_count_variance").report_action(self)
