# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import float_compare, float_is_zero

from ..ecom_warehouse_core import receipt_status


class StockPicking(models.Model):
    _inherit = "stock.picking"

    ecom_receipt_report_id = fields.Many2one(
        "ecom.warehouse.receipt", string="Discrepancy Report", copy=False, readonly=True
    )
    ecom_tote = fields.Integer(
        string="Tote",
        copy=False,
        readonly=True,
        help="Tote of this delivery in its pick batch: given when the delivery joins the batch, "
        "printed on the pick list and kept until the delivery leaves for another batch.",
    )

    # ------------------------------------------------------------------ totes

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        pickings.batch_id._ecom_assign_totes()
        return pickings

    def write(self, vals):
        if vals.get("batch_id"):
            moved = self.filtered(lambda p: p.batch_id.id != vals["batch_id"] and p.ecom_tote)
            if moved:
                # a delivery joining another batch takes the next tote of that batch
                super(StockPicking, moved).write({"ecom_tote": 0})
        res = super().write(vals)
        if vals.get("batch_id"):
            self.batch_id._ecom_assign_totes()
        return res

    def _pre_action_done_hook(self):
        # stock_sms installed after this module: its question is settled here, before it
        # could open its dialog (see res.company._ecom_settle_sms_confirmation)
        self.company_id._ecom_settle_sms_confirmation()
        return super()._pre_action_done_hook()

    # ------------------------------------------------------------------ shared helpers

    def _ecom_find_product(self, barcode):
        Product = self.env["product.product"]
        return Product.search([("barcode", "=", barcode)], limit=1) or Product.search(
            [("default_code", "=", barcode)], limit=1
        )

    def _ecom_open_moves(self):
        return self.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))

    # ------------------------------------------------------------------ receive screen

    def _ecom_check_receipt(self):
        self.ensure_one()
        if self.picking_type_code != "incoming":
            raise UserError(self.env._("%(name)s is not a receipt.", name=self.name))
        if self.state in ("done", "cancel"):
            raise UserError(self.env._("Receipt %(name)s is already closed.", name=self.name))

    def _ecom_receipt_report(self):
        """The receipt's discrepancy report, created with the first scan."""
        self.ensure_one()
        if not self.ecom_receipt_report_id:
            purchase = self.purchase_id
            self.ecom_receipt_report_id = self.env["ecom.warehouse.receipt"].create(
                {
                    "picking_id": self.id,
                    "purchase_id": purchase.id,
                    "partner_id": (purchase.partner_id or self.partner_id).commercial_partner_id.id,
                    "company_id": self.company_id.id,
                    "date_order": purchase.date_approve,
                }
            )
        return self.ecom_receipt_report_id

    def _ecom_receipt_lines(self):
        """{product: (expected, received, moves)} of this receipt, received = picked units."""
        lines = defaultdict(lambda: [0.0, 0.0, self.env["stock.move"]])
        for move in self._ecom_open_moves():
            line = lines[move.product_id]
            line[0] += move.product_uom_qty
            line[1] += sum(move.move_line_ids.filtered("picked").mapped("quantity"))
            line[2] |= move
        return lines

    @api.model
    def _ecom_wh_screen_find(self, barcode, domain, not_found):
        """What a screen shows for a scanned transfer matching ``domain`` (see
        ``_ecom_find_scanned``): its screen state, or the error ``not_found``."""
        picking = self._ecom_find_scanned(barcode, domain)
        if not picking:
            return {"type": "error", "message": not_found}
        return {"type": "picking", "state": picking._ecom_wh_screen_state()}

    def _ecom_wh_screen_state(self):
        self.ensure_one()
        if self.picking_type_code == "incoming":
            return self.ecom_wh_receive_state()
        return self.ecom_wh_pack_state()

    @api.model
    def _ecom_wh_screen_list(self, picking_type_code):
        """The transfers of this type ready for a screen, oldest first."""
        pickings = self.search(
            [("picking_type_code", "=", picking_type_code), ("state", "=", "assigned")],
            order="scheduled_date, id",
            limit=40,
        )
        return [
            {
                "id": p.id,
                "name": p.name,
                "origin": p.origin or "",
                "partner": p.partner_id.display_name or "",
            }
            for p in pickings
        ]

    @api.model
    def ecom_wh_receive_find(self, barcode):
        """The open receipt whose name or purchase order (origin) was scanned."""
        return self._ecom_wh_screen_find(
            barcode,
            [
                ("picking_type_code", "=", "incoming"),
                ("state", "not in", ("draft", "done", "cancel")),
            ],
            self.env._("No open receipt for %(barcode)s.", barcode=barcode),
        )

    @api.model
    def ecom_wh_receive_list(self):
        """The receipts waiting to be received, oldest first."""
        return self._ecom_wh_screen_list("incoming")

    def ecom_wh_receive_state(self):
        """What the receive screen shows: expected versus received per product, home bins."""
        self._ecom_check_receipt()
        tolerance = self.company_id.ecom_receipt_tolerance_pct
        lines = []
        for product, (expected, received, moves) in self._ecom_receipt_lines().items():
            home = product._ecom_home_location(self.location_dest_id)
            status = receipt_status(expected, received, tolerance)
            lines.append(
                dict(
                    product._ecom_screen_values()[0],
                    expected=expected,
                    received=received,
                    status=status.status,
                    home_id=home.id,
                    home_name=home.name,
                    home_barcode=home.barcode or "",
                    bins=", ".join(
                        moves.move_line_ids.filtered("picked").location_dest_id.mapped("name")
                    ),
                )
            )
        unexpected = [
            {"name": line.product_id.display_name, "qty": line.received_qty}
            for line in self.ecom_receipt_report_id.line_ids.filtered(
                lambda line: line.status == "unexpected"
            )
        ]
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin or "",
            "partner": self.partner_id.display_name or "",
            "tolerance": tolerance,
            "lines": lines,
            "unexpected": unexpected,
        }

    def ecom_wh_receive_scan(self, barcode, pending_product_id=False, pending_lot=False):
        """Interpret a scan on the receive screen: a product of the receipt, a product that was
        not ordered (flagged), a bin, or the lot number of the tracked product in hand."""
        self._ecom_check_receipt()
        product = self._ecom_find_product(barcode)
        if product:
            lines = self._ecom_receipt_lines()
            if product not in lines:
                return {
                    "type": "unexpected",
                    "product": product._ecom_screen_values()[0],
                    "message": self.env._(
                        "%(product)s is not on %(po)s: set it aside.",
                        product=product.display_name,
                        po=self.origin or self.name,
                    ),
                }
            home = product._ecom_home_location(self.location_dest_id)
            return {
                "type": "product",
                "product": product._ecom_screen_values()[0],
                "home_name": home.name,
                "home_barcode": home.barcode or "",
            }
        location = self.env["stock.location"]._ecom_find_by_barcode(barcode)
        if location:
            return {"type": "location", "id": location.id, "name": location.name}
        package = self.env["stock.quant.package"].search([("name", "=", barcode)], limit=1)
        if package:
            if package.quant_ids:
                return {
                    "type": "error",
                    "message": self.env._(
                        "Package %(name)s already holds stock.", name=package.name
                    ),
                }
            return {"type": "package", "id": package.id, "name": package.name}
        pending = self.env["product.product"].browse(pending_product_id)
        if pending.exists() and pending.tracking != "none" and not pending_lot:
            return {"type": "lot", "lot_name": barcode}
        return {
            "type": "error",
            "message": self.env._("Unknown barcode %(barcode)s.", barcode=barcode),
        }

    def ecom_wh_receive_put(
        self, product_id, qty, location_barcode, lot_name=False, confirmed=False, package_id=False
    ):
        """Put ``qty`` units of a product of the receipt away into the scanned bin (in the
        scanned package, if any)."""
        self._ecom_check_receipt()
        if qty <= 0:
            raise UserError(self.env._("The quantity must be positive."))
        product = self.env["product.product"].browse(product_id).exists()
        lines = self._ecom_receipt_lines()
        if product not in lines:
            raise UserError(self.env._("This product is not expected on %(n)s.", n=self.name))
        if product.tracking != "none" and not lot_name:
            raise UserError(
                self.env._("Scan the lot number of %(product)s.", product=product.display_name)
            )
        location = self.env["stock.location"]._ecom_find_by_barcode(location_barcode)
        if not location or not location._child_of(self.location_dest_id):
            return {
                "type": "error",
                "message": self.env._(
                    "%(barcode)s is not a bin of %(dest)s.",
                    barcode=location_barcode,
                    dest=self.location_dest_id.display_name,
                ),
            }
        home = product._ecom_home_location(self.location_dest_id)
        if home != self.location_dest_id and location != home:
            return {
                "type": "error",
                "message": self.env._(
                    "Wrong bin %(scanned)s: %(product)s goes to %(home)s.",
                    scanned=location.name,
                    product=product.display_name,
                    home=home.name,
                ),
            }
        expected, received, moves = lines[product]
        status = receipt_status(
            expected, received + qty, self.company_id.ecom_receipt_tolerance_pct
        )
        if status.needs_confirmation and not confirmed:
            return {
                "type": "confirm",
                "message": self.env._(
                    "%(received)s of %(expected)s ordered: more than the %(tol)s%% tolerance. "
                    "Receive anyway?",
                    received=received + qty,
                    expected=expected,
                    tol=self.company_id.ecom_receipt_tolerance_pct,
                ),
            }
        self._ecom_receipt_report()
        if not any(moves.move_line_ids.mapped("picked")):
            # Drop the lines Odoo prefilled with the ordered quantities: only scans count.
            moves.move_line_ids.unlink()
        move = moves.filtered(lambda m: m.quantity < m.product_uom_qty)[:1] or moves[:1]
        package = self.env["stock.quant.package"].browse(package_id).exists()
        existing = move.move_line_ids.filtered(
            lambda ml: (
                ml.picked
                and ml.location_dest_id == location
                and (ml.lot_name or False) == (lot_name or False)
                and ml.result_package_id == package
            )
        )[:1]
        if existing:
            existing.quantity += qty
        else:
            self.env["stock.move.line"].create(
                {
                    "move_id": move.id,
                    "picking_id": self.id,
                    "product_id": product.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": location.id,
                    "quantity": qty,
                    "lot_name": lot_name or False,
                    "result_package_id": package.id,
                    "picked": True,
                }
            )
        move.picked = True
        return {"type": "done", "state": self.ecom_wh_receive_state()}

    def ecom_wh_receive_flag(self, product_id, qty):
        """Record units of a product that was not ordered: set aside, not put into stock."""
        self._ecom_check_receipt()
        product = self.env["product.product"].browse(product_id).exists()
        if not product or qty <= 0:
            raise UserError(self.env._("Scan the unexpected item and give a positive quantity."))
        report = self._ecom_receipt_report()
        line = report.line_ids.filtered(
            lambda line: line.product_id == product and line.status == "unexpected"
        )
        if line:
            line.received_qty += qty
            line.difference_qty += qty
        else:
            report.line_ids = [
                Command.create(
                    {
                        "product_id": product.id,
                        "expected_qty": 0.0,
                        "received_qty": qty,
                        "difference_qty": qty,
                        "status": "unexpected",
                        "note": self.env._("Not on the purchase order: set aside."),
                    }
                )
            ]
        return self.ecom_wh_receive_state()

    def ecom_wh_receive_validate(self):
        """Validate as Odoo does (backorder for what is missing) and close the discrepancy
        report. Returns what the screen shows afterwards."""
        self._ecom_check_receipt()
        lines = self._ecom_receipt_lines()
        if not any(received for _e, received, _m in lines.values()):
            raise UserError(self.env._("Nothing was received on %(name)s yet.", name=self.name))
        report = self._ecom_receipt_report()
        tolerance = self.company_id.ecom_receipt_tolerance_pct
        vals = []
        for product, (expected, received, moves) in lines.items():
            status = receipt_status(expected, received, tolerance, final=True)
            vals.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "expected_qty": expected,
                        "received_qty": received,
                        "difference_qty": status.difference,
                        "status": status.status if status.status != "pending" else "short",
                        "location_names": ", ".join(
                            moves.move_line_ids.filtered("picked").location_dest_id.mapped("name")
                        ),
                    }
                )
            )
        report.line_ids = vals
        # Lines without a scan go to the backorder, as in Odoo's own validation.
        for _product, (_e, received, moves) in lines.items():
            if not received:
                moves.move_line_ids.unlink()
                moves.picked = False
        self.with_context(skip_backorder=True, picking_ids_not_to_backorder=[]).button_validate()
        if self.state != "done":
            raise UserError(self.env._("%(name)s could not be validated.", name=self.name))
        report.write(
            {
                "date_done": self.date_done or fields.Datetime.now(),
                "user_id": self.env.user.id,
                "backorder_id": self.backorder_ids[:1].id,
            }
        )
        return {
            "report_id": report.id,
            "backorder": self.backorder_ids[:1].name or "",
            "discrepancies": report.discrepancy_count,
        }

    # ------------------------------------------------------------------ pack screen

    def action_ecom_open_screen(self):
        """Open this transfer on its barcode screen: receive for receipts, pack otherwise."""
        self.ensure_one()
        tag = (
            "ecom_warehouse.receive"
            if self.picking_type_code == "incoming"
            else "ecom_warehouse.pack"
        )
        return {
            "type": "ir.actions.client",
            "tag": tag,
            "name": self.name,
            "params": {"picking_id": self.id},
        }

    def _ecom_check_pack(self):
        self.ensure_one()
        if self.picking_type_code != "outgoing" or self.state in ("done", "cancel", "draft"):
            raise UserError(self.env._("%(name)s is not a delivery to pack.", name=self.name))

    def _ecom_pack_quantities(self):
        """{product: units to pack}: the picked units, or the reserved ones when nothing was
        picked through the pick screen."""
        qty = defaultdict(float)
        moves = self._ecom_open_moves()
        picked = any(moves.mapped("picked"))
        for move in moves:
            if picked and not move.picked:
                continue
            qty[move.product_id] += move.quantity
        return qty

    @api.model
    def ecom_wh_pack_list(self):
        """Deliveries ready to pack: all their units reserved or picked."""
        return self._ecom_wh_screen_list("outgoing")

    @api.model
    def ecom_wh_pack_find(self, barcode):
        """The delivery whose name, origin (sales order) or packing slip barcode was scanned."""
        return self._ecom_wh_screen_find(
            barcode,
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "in", ("assigned", "confirmed", "waiting")),
            ],
            self.env._("No delivery to pack for %(barcode)s.", barcode=barcode),
        )

    def ecom_wh_pack_state(self):
        self._ecom_check_pack()
        packed = defaultdict(float)
        for ml in self.move_line_ids.filtered("result_package_id"):
            packed[ml.product_id] += ml.quantity
        lines = [
            dict(product._ecom_screen_values()[0], qty=qty, packed=packed.get(product, 0.0))
            for product, qty in self._ecom_pack_quantities().items()
        ]
        package_types = self.env["stock.package.type"].search(
            ["|", ("company_id", "=", False), ("company_id", "=", self.company_id.id)]
        )
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin or "",
            "partner": self.partner_id.display_name or "",
            "carrier": self.carrier_id.display_name or "",
            "lines": lines,
            "parcels": [
                {"name": p.name, "type": p.package_type_id.name or ""}
                for p in self.move_line_ids.result_package_id
            ],
            "package_types": [{"id": t.id, "name": t.name} for t in package_types],
        }

    def ecom_wh_pack_scan(self, barcode, verified):
        """Check a scanned item against the order: ``verified`` {product id: units scanned
        so far}. Refuses items that are not on the order or already all verified."""
        self._ecom_check_pack()
        product = self._ecom_find_product(barcode)
        if not product:
            return {
                "type": "error",
                "message": self.env._("Unknown barcode %(barcode)s.", barcode=barcode),
            }
        to_pack = self._ecom_pack_quantities()
        if product not in to_pack:
            return {
                "type": "error",
                "message": self.env._(
                    "%(product)s is not on %(name)s.", product=product.display_name, name=self.name
                ),
            }
        done = float((verified or {}).get(str(product.id), 0.0))
        if float_compare(done + 1, to_pack[product], precision_digits=3) > 0:
            return {
                "type": "error",
                "message": self.env._(
                    "All %(qty)s × %(product)s are already verified.",
                    qty=to_pack[product],
                    product=product.display_name,
                ),
            }
        return {"type": "product", "product_id": product.id}

    def ecom_wh_pack_parcel(self, quantities, package_type_id=False):
        """Put the given units ({product id: qty}) into a new parcel of the chosen type."""
        self._ecom_check_pack()
        package_type = self.env["stock.package.type"].browse(package_type_id).exists()
        lines = self.env["stock.move.line"]
        for product_id, qty in (quantities or {}).items():
            remaining = float(qty)
            for ml in self.move_line_ids.filtered(
                lambda ml, p=int(product_id): (
                    ml.product_id.id == p and not ml.result_package_id and ml.quantity > 0
                )
            ):
                if float_is_zero(remaining, precision_digits=3):
                    break
                take = min(ml.quantity, remaining)
                if float_compare(take, ml.quantity, precision_digits=3) < 0:
                    rest = ml.quantity - take
                    ml.quantity = take
                    ml.copy({"quantity": rest, "move_id": ml.move_id.id})
                lines |= ml
                remaining -= take
            if not float_is_zero(remaining, precision_digits=3):
                raise UserError(self.env._("More units than left to pack."))
        if not lines:
            raise UserError(self.env._("Scan the items of the parcel first."))
        lines.picked = True
        package = self._put_in_pack(lines)
        if package_type:
            package.package_type_id = package_type
        return self.ecom_wh_pack_state()

    def ecom_wh_pack_validate(self):
        """Validate the delivery as the dispatch bench does (ecom_fulfilment's
        ``_ecom_dispatch``): with a carrier, Odoo's send_shipping attaches the label(s).
        Returns the documents to print."""
        self._ecom_check_pack()
        before = set(
            self.env["ir.attachment"]
            .search([("res_model", "=", "stock.picking"), ("res_id", "=", self.id)])
            .ids
        )
        self._ecom_dispatch()
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", self.id)]
        )
        documents = [
            {"name": a.name, "url": "/web/content/%s?download=true" % a.id}
            for a in attachments
            if a.id not in before
        ]
        documents.append(
            {
                "name": self.env._("Delivery slip"),
                "url": "/report/pdf/stock.report_deliveryslip/%s" % self.id,
            }
        )
        return {
            "name": self.name,
            "tracking": self.carrier_tracking_ref or "",
            "documents": documents,
            "backorder": self.backorder_ids[:1].name or "",
        }
