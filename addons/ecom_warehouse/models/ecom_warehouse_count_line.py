# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..ecom_warehouse_core import inventory_quantity_to_set

LINE_STATES = [
    ("pending", "To Review"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
]


class EcomWarehouseCountLine(models.Model):
    _name = "ecom.warehouse.count.line"
    _description = "Cycle Count Line"
    _order = "count_id, id"

    count_id = fields.Many2one(
        "ecom.warehouse.count", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="count_id.company_id", store=True, index=True)
    location_id = fields.Many2one(related="count_id.location_id", store=True)
    date = fields.Datetime(related="count_id.date", store=True)
    user_id = fields.Many2one(related="count_id.user_id", store=True)
    product_id = fields.Many2one("product.product", required=True)
    lot_id = fields.Many2one("stock.lot")
    counted = fields.Boolean(
        string="Counted Yet", help="The operator entered or scanned a quantity."
    )
    counted_qty = fields.Float(string="Counted", digits="Product Unit of Measure")
    theoretical_qty = fields.Float(
        string="Expected",
        digits="Product Unit of Measure",
        readonly=True,
        groups="ecom_warehouse.ecom_warehouse_group_manager,account.group_account_readonly",
        help="On hand when the count was submitted, less the units already picked by transfers "
        "not validated yet.",
    )
    picked_qty = fields.Float(
        string="Picked, Not Shipped",
        digits="Product Unit of Measure",
        readonly=True,
        help="Units taken from the bin by picks in progress at the time of the count.",
    )
    difference_qty = fields.Float(
        string="Qty Variance", digits="Product Unit of Measure", readonly=True
    )
    currency_id = fields.Many2one(related="count_id.currency_id")
    unit_cost = fields.Float(readonly=True, digits="Product Price")
    difference_value = fields.Monetary(string="Value Variance", readonly=True)
    state = fields.Selection(LINE_STATES, readonly=True)
    quant_id = fields.Many2one("stock.quant", readonly=True)

    def _ecom_key(self):
        return (self.location_id, self.product_id, self.lot_id)

    def _ecom_expected_map(self):
        """{(bin, product, lot): (units expected on the shelf, units picked not validated)} for
        these lines, from two grouped reads. Loose units only: stock in packages or owned by a
        third party is not part of a bin count."""
        common = [
            ("location_id", "in", self.location_id.ids),
            ("product_id", "in", self.product_id.ids),
        ]
        on_hand = {
            (location, product, lot): qty
            for location, product, lot, qty in self.env["stock.quant"]._read_group(
                common + [("package_id", "=", False), ("owner_id", "=", False)],
                ["location_id", "product_id", "lot_id"],
                ["quantity:sum"],
            )
        }
        picked = {
            (location, product, lot): qty
            for location, product, lot, qty in self.env["stock.move.line"]._read_group(
                common
                + [
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                    ("picked", "=", True),
                    ("state", "not in", ("done", "cancel")),
                ],
                ["location_id", "product_id", "lot_id"],
                ["quantity_product_uom:sum"],
            )
        }
        result = {}
        for line in self:
            key = line._ecom_key()
            picked_qty = picked.get(key, 0.0)
            result[key] = (on_hand.get(key, 0.0) - picked_qty, picked_qty)
        return result

    def _ecom_set_inventory_quantities(self):
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        expected_map = self._ecom_expected_map()
        quants = Quant.search(
            [
                ("location_id", "in", self.location_id.ids),
                ("product_id", "in", self.product_id.ids),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ]
        )
        quant_by_key = {(q.location_id, q.product_id, q.lot_id): q for q in quants}
        missing = self.filtered(lambda line: line._ecom_key() not in quant_by_key)
        if missing:
            created = Quant.create(
                [
                    {
                        "product_id": line.product_id.id,
                        "location_id": line.location_id.id,
                        "lot_id": line.lot_id.id,
                    }
                    for line in missing
                ]
            )
            for quant in created:
                quant_by_key[(quant.location_id, quant.product_id, quant.lot_id)] = quant
        for line in self:
            expected, picked = expected_map[line._ecom_key()]
            counted = line.counted_qty if line.counted else 0.0
            cost = line.product_id.with_company(line.company_id).standard_price
            difference = counted - expected
            quant = quant_by_key[line._ecom_key()]
            quant.write(
                {
                    "inventory_quantity": inventory_quantity_to_set(counted, picked),
                    "user_id": self.env.user.id,
                }
            )
            line.sudo().write(
                {
                    "theoretical_qty": expected,
                    "picked_qty": picked,
                    "difference_qty": difference,
                    "unit_cost": cost,
                    "difference_value": difference * cost,
                    "quant_id": quant.id,
                    "state": "pending",
                }
            )

    def _ecom_apply(self):
        """Apply the counted quantities through Odoo's inventory adjustment."""
        quants = self.quant_id.with_context(inventory_mode=True, ecom_counting=True)
        if quants:
            result = quants.action_apply_inventory()
            if isinstance(result, dict):
                raise UserError(
                    self.env._(
                        "The stock of %(products)s changed since the count: reject it and "
                        "count again.",
                        products=", ".join(self.product_id.mapped("display_name")),
                    )
                )
        self.write({"state": "accepted"})

    def _ecom_check_manager(self):
        if not self.env.user.has_group("ecom_warehouse.ecom_warehouse_group_manager"):
            raise AccessError(self.env._("Only a warehouse manager accepts or rejects variances."))

    def action_accept(self):
        self._ecom_check_manager()
        lines = self.filtered(lambda line: line.state == "pending")
        lines._ecom_apply()
        lines.count_id._ecom_update_state()
        return True

    def action_reject(self):
        """Drop the count of these lines and ask for a recount of their bins."""
        self._ecom_check_manager()
        lines = self.filtered(lambda line: line.state == "pending")
        lines.quant_id.with_context(inventory_mode=True).action_clear_inventory_quantity()
        lines.write({"state": "rejected"})
        lines.location_id._ecom_request_count("discrepancy")
        lines.count_id._ecom_update_state()
        return True
