# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero


class StockPickingBatch(models.Model):
    _inherit = "stock.picking.batch"

    ecom_pick_bin_count = fields.Integer(
        string="Bins to Visit", compute="_compute_ecom_pick_bin_count"
    )

    def _compute_ecom_pick_bin_count(self):
        for batch in self:
            batch.ecom_pick_bin_count = len(batch._ecom_pick_move_lines().location_id)

    # ------------------------------------------------------------------ pick list

    def _ecom_pick_move_lines(self):
        return self.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        ).move_line_ids.filtered(lambda ml: ml.quantity > 0)

    def _ecom_assign_totes(self):
        """Number the open deliveries of these batches that have no tote yet, after the
        highest tote of the batch, in name order. A number once given is kept (printed on the
        pick list, written on the tote): validating or removing another delivery of the batch
        never renumbers the others."""
        for batch in self:
            pickings = batch.picking_ids
            todo = pickings.filtered(
                lambda p: not p.ecom_tote and p.state not in ("done", "cancel")
            )
            last = max(pickings.mapped("ecom_tote"), default=0)
            for index, picking in enumerate(todo.sorted("name"), last + 1):
                picking.ecom_tote = index

    def _ecom_totes(self):
        """{picking: tote number} of the batch (numbered when the deliveries join it)."""
        self.ensure_one()
        if any(not p.ecom_tote and p.state not in ("done", "cancel") for p in self.picking_ids):
            self._ecom_assign_totes()
        return {picking: picking.ecom_tote for picking in self.picking_ids}

    def ecom_pick_list(self):
        """The pick list: one entry per bin in walking order, each with its products, the bin's
        total and where every unit goes (order and tote)."""
        self.ensure_one()
        totes = self._ecom_totes()
        by_bin = defaultdict(lambda: defaultdict(lambda: self.env["stock.move.line"]))
        for ml in self._ecom_pick_move_lines():
            by_bin[ml.location_id][ml.product_id] |= ml
        bins = []
        for location in self.env["stock.location"].union(*by_bin)._ecom_route_sorted():
            products = []
            for product, mls in sorted(
                by_bin[location].items(), key=lambda kv: kv[0].default_code or kv[0].name
            ):
                per_picking = defaultdict(lambda: [0.0, 0.0])
                for ml in mls:
                    per_picking[ml.picking_id][0] += ml.quantity
                    if ml.picked:
                        per_picking[ml.picking_id][1] += ml.quantity
                allocations = [
                    {
                        "picking_id": picking.id,
                        "picking": picking.name,
                        "origin": picking.origin or "",
                        "tote": totes.get(picking, 0),
                        "qty": qty,
                        "picked_qty": picked,
                    }
                    for picking, (qty, picked) in sorted(
                        per_picking.items(), key=lambda kv: totes.get(kv[0], 0)
                    )
                ]
                products.append(
                    dict(
                        product._ecom_screen_values()[0],
                        qty=sum(a["qty"] for a in allocations),
                        picked_qty=sum(a["picked_qty"] for a in allocations),
                        short_qty=sum(
                            self.picking_ids.move_ids.filtered(
                                lambda m, p=product: m.product_id == p
                            ).mapped("ecom_short_qty")
                        ),
                        done=all(mls.mapped("picked")),
                        allocations=allocations,
                    )
                )
            bins.append(
                {
                    "location_id": location.id,
                    "location": location.name,
                    "location_full": location.complete_name,
                    "location_barcode": location.barcode or "",
                    "total": sum(p["qty"] for p in products),
                    "products": products,
                }
            )
        return bins

    def ecom_wh_pick_state(self):
        self.ensure_one()
        if self.state not in ("draft", "in_progress"):
            raise UserError(self.env._("Batch %(name)s is not open.", name=self.name))
        return {"id": self.id, "name": self.name, "bins": self.ecom_pick_list()}

    def ecom_wh_pick_scan(self, barcode, location_id, product_id=False):
        """Check a scan against the step of the route: the bin (when ``product_id`` is not
        given) or the product in that bin."""
        self.ensure_one()
        if not product_id:
            location = self.env["stock.location"].browse(location_id)
            if barcode in (location.barcode, location.complete_name):
                return {"type": "ok"}
            return {
                "type": "error",
                "message": self.env._(
                    "Wrong bin: go to %(bin)s (scanned %(barcode)s).",
                    bin=location.name,
                    barcode=barcode,
                ),
            }
        product = self.env["product.product"].browse(product_id)
        if barcode in (product.barcode, product.default_code):
            return {"type": "ok"}
        return {
            "type": "error",
            "message": self.env._(
                "Wrong product: pick %(product)s (scanned %(barcode)s).",
                product=product.display_name,
                barcode=barcode,
            ),
        }

    def ecom_wh_pick_confirm(self, location_id, product_id, qty):
        """Record ``qty`` units of a product taken from a bin, spread over the orders in tote
        order; what is missing is recorded as a short pick and the bin is queued for a count."""
        self.ensure_one()
        if qty < 0:
            raise UserError(self.env._("The quantity cannot be negative."))
        totes = self._ecom_totes()
        mls = (
            self._ecom_pick_move_lines()
            .filtered(
                lambda ml: (
                    ml.location_id.id == location_id
                    and ml.product_id.id == product_id
                    and not ml.picked
                )
            )
            .sorted(lambda ml: (totes.get(ml.picking_id, 0), ml.id))
        )
        if not mls:
            raise UserError(self.env._("Nothing left to pick there."))
        wanted = sum(mls.mapped("quantity"))
        if float_compare(qty, wanted, precision_digits=3) > 0:
            raise UserError(
                self.env._("Only %(wanted)s units are to be picked here.", wanted=wanted)
            )
        remaining = qty
        short_pickings = self.env["stock.picking"]
        for ml in mls:
            take = min(ml.quantity, remaining)
            remaining -= take
            missing = ml.quantity - take
            if not float_is_zero(missing, precision_digits=3):
                ml.move_id.ecom_short_qty += missing
                short_pickings |= ml.picking_id
            if float_is_zero(take, precision_digits=3):
                ml.unlink()
            else:
                ml.write({"quantity": take, "picked": True})
        if short_pickings:
            location = self.env["stock.location"].browse(location_id)
            location._ecom_request_count("discrepancy")
            product = self.env["product.product"].browse(product_id)
            for picking in short_pickings:
                picking.message_post(
                    body=self.env._(
                        "Short pick: %(product)s missing in %(bin)s (batch %(batch)s).",
                        product=product.display_name,
                        bin=location.name,
                        batch=self.name,
                    )
                )
        if self.state == "draft":
            self.action_confirm()
        return self.ecom_wh_pick_state()

    def action_ecom_print_pick_list(self):
        self._ecom_assign_totes()
        return self.env.ref("ecom_warehouse.action_report_pick_list").report_action(self)

    def action_ecom_open_pick_screen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "ecom_warehouse.pick",
            "name": self.env._("Pick %(name)s", name=self.name),
            "params": {"batch_id": self.id},
        }
