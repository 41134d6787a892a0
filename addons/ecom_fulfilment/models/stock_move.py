# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import clean_context, float_compare, groupby

#: Where the deliveries' "created from" notes wait while an import creates its deliveries together.
ORIGIN_LINKS = "ecom_fulfilment.origin_links"
#: Whether a product has an automatic reordering rule, read once per product while an import
#: confirms its orders (``sale.order._ecom_confirm_chunk``): ``{product id: bool}`` in the
#: cursor's cache.
ORDERPOINTS = "ecom_fulfilment.orderpoints"
#: The quants' reservations of the move lines an import creates together, added up per product,
#: location, lot, package and owner before they are written (see ``stock.quant``).
RESERVATIONS = "ecom_fulfilment.reservations"
#: The customers to follow the deliveries an import creates together (see ``stock.picking``).
PICKING_FOLLOWERS = "ecom_fulfilment.picking_followers"
#: The ids of the moves whose reservation an import job left to its reservation job: a set in
#: the cursor's cache (a savepoint clears the transaction's data), see ``_action_assign``.
DEFERRED_MOVES = "ecom_fulfilment.deferred_moves"


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        """Order import jobs run side by side and would reserve the same products' quants at
        once: PostgreSQL then makes all but one run again (a concurrent update), and the work
        of the others is lost. They confirm their orders with ``ecom_defer_reservation`` in the
        context: the reservation is left to a short job of its own after them
        (``ecom.channel._ecom_job_reserve``), which calls this without it. Every move whose
        reservation is so left is noted (``DEFERRED_MOVES``): the orders' own moves and any
        other the import's confirmation asked to reserve (a resupply transfer that an
        automatic reordering rule started, for example)."""
        if self.env.context.get("ecom_defer_reservation"):
            deferred = self.env.cr.cache.get(DEFERRED_MOVES)
            if deferred is not None:
                deferred.update(self.ids)
            return True
        if not force_qty and (
            self.env.context.get("ecom_import_batch")
            or self.env.context.get("ecom_reserve_together")
        ):
            self._ecom_reserve_together()
        return super()._action_assign(force_qty=force_qty)

    def _ecom_reserve_together(self):
        """Reserve, for an import (``ecom_import_batch``; its reservation job:
        ``ecom_reserve_together``), what Odoo's ``_action_assign`` would
        reserve move after move, with one reading of the stock per product and location and one
        ``create`` of all the move lines. Odoo gives each move in turn the first free quants in
        the removal order (``stock.quant._get_reserve_quantity``); asking once for the needs of
        all the moves of a product and handing the quants out in the same order gives each move
        the same quants and quantities. Only plain moves are handled so (waiting to be
        reserved, from stock, no lots, packages, packagings or other unit, nothing reserved yet,
        a removal strategy that does not depend on the quantity, one source location per
        product); the rest, and every move of a product one of them moves, is left to Odoo's
        ``_action_assign`` that follows (which then finds these ones reserved)."""
        Quant = self.env["stock.quant"]
        plain_products = set()
        odd_products = set()
        for move in self:
            product = move.product_id
            plain = (
                move.state in ("confirmed", "partially_available")
                and not move.picked
                and not move.move_orig_ids
                and move.procure_method == "make_to_stock"
                and not move.move_line_ids
                and not move.product_packaging_id
                and not move.package_level_id
                and move.product_uom == product.uom_id
                and product.is_storable
                and product.tracking == "none"
                and not move._should_bypass_reservation()
            )
            (plain_products if plain else odd_products).add(product)
        # a product taken from two locations (one may hold the other's quants) keeps Odoo's
        # order, move after move
        sources = defaultdict(set)
        for move in self:
            sources[move.product_id].add((move.company_id, move.location_id))
        odd_products |= {product for product, where in sources.items() if len(where) > 1}
        moves = self.filtered(lambda m: m.product_id in plain_products - odd_products)
        # moves of one company (an import's), reserved in it as Odoo reserves each move
        if not moves or len(moves.company_id) > 1:
            return
        company = moves.company_id
        line_vals = []
        reserved = {}  # move: quantity reserved
        for (company, product, location), group in groupby(
            moves, key=lambda m: (m.company_id, m.product_id, m.location_id)
        ):
            Quant_c = Quant.with_company(company)
            if Quant_c._get_removal_strategy(product, location) == "least_packages":
                continue  # which quants depends on the quantity asked: Odoo's way
            group = [move.with_company(company) for move in group]
            rounding = product.uom_id.rounding
            pieces = [
                [quant, quantity]
                for quant, quantity in Quant_c._get_reserve_quantity(
                    product,
                    location,
                    sum(move.product_uom_qty for move in group),
                    uom_id=product.uom_id,
                    strict=False,
                )
            ]
            for move in group:
                need = move.product_uom_qty
                taken = {}  # (location, lot, package, owner): [first quant, quantity]
                while pieces and float_compare(need, 0, precision_rounding=rounding) > 0:
                    quant, available = pieces[0]
                    quantity = min(available, need)
                    key = (quant.location_id, quant.lot_id, quant.package_id, quant.owner_id)
                    taken.setdefault(key, [quant, 0.0])[1] += quantity
                    need -= quantity
                    pieces[0][1] -= quantity
                    if float_compare(pieces[0][1], 0, precision_rounding=rounding) <= 0:
                        pieces.pop(0)
                for quant, quantity in taken.values():
                    line_vals.append(
                        move._prepare_move_line_vals(quantity=quantity, reserved_quant=quant)
                    )
                if taken:
                    reserved[move] = move.product_uom_qty - need
        if not line_vals:
            return
        data = self.env.cr.precommit.data
        data[RESERVATIONS] = pending = {}
        try:
            lines = self.env["stock.move.line"].with_company(company).create(line_vals)
        finally:
            data.pop(RESERVATIONS, None)
        Quant = Quant.sudo().with_company(company)
        for (product, location, lot, package, owner), quantity in pending.items():
            Quant._update_reserved_quantity(
                product, location, quantity, lot_id=lot, package_id=package, owner_id=owner
            )
        moves = self.browse([move.id for move in reserved])
        full = moves.filtered(
            lambda m: (
                float_compare(
                    reserved[m], m.product_uom_qty, precision_rounding=m.product_id.uom_id.rounding
                )
                >= 0
            )
        )
        (moves - full).write({"state": "partially_available"})
        full.write({"state": "assigned"})
        lines._apply_putaway_strategy()
        self.env["ecom.channel.listing"]._mark_stock_pending(moves.product_id)

    def _action_confirm(self, merge=True, merge_into=False):
        """Odoo's confirmation assigns transfers group by group (one ``_assign_picking`` per
        procurement group and locations). For an import (``ecom_import_batch``) the moves
        that will need a transfer get theirs first, all at once (see ``_assign_picking``); Odoo's
        confirmation then finds them assigned. A new transfer is only reserved (and so only
        batched automatically) later in the same confirmation, as in Odoo's order. Confirming
        no moves (each new delivery's ``action_confirm`` when its order is confirmed, although
        its moves are confirmed already) does nothing then."""
        if self.env.context.get("ecom_import_batch"):
            if not self:
                return self
            self.filtered(lambda m: m.state == "draft" and m._should_be_assigned()).with_context(
                clean_context(self.env.context)
            )._assign_picking()
        return super()._action_confirm(merge=merge, merge_into=merge_into)

    def _assign_picking(self):
        """Odoo's ``_assign_picking`` creates the transfer of each group of moves in its own
        ``create`` and posts its "created from" note with ``message_post``. For an import
        (``ecom_import_batch`` in the context, set by ``sale.order._ecom_confirm_chunk``) the
        same transfers are made together: groups of moves that may join an existing transfer
        (their procurement group has one, or they have none) go through Odoo's own method; all
        the others get their transfers in one ``create``, then Odoo's post-processing, and the
        notes are logged in one batch."""
        if not self.env.context.get("ecom_import_batch"):
            return super()._assign_picking()
        Picking = self.env["stock.picking"]
        groups = [
            self.browse().concat(*moves)
            for __, moves in groupby(self, key=lambda m: m._key_assign_picking())
        ]
        used = Picking.search_fetch([("group_id", "in", self.group_id.ids)], ["group_id"]).group_id
        odoo_way = self.browse()
        new = []
        for moves in groups:
            if not moves[0].group_id or moves[0].group_id in used:
                odoo_way |= moves
                continue
            # as Odoo: no transfer for negative moves (they are reversed elsewhere)
            moves = moves.filtered(
                lambda m: (
                    float_compare(m.product_uom_qty, 0.0, precision_rounding=m.product_uom.rounding)
                    >= 0
                )
            )
            if moves:
                new.append(moves)
        if odoo_way:
            super(StockMove, odoo_way)._assign_picking()
        if not new:
            return True
        data = self.env.cr.precommit.data
        data[PICKING_FOLLOWERS] = followers = []
        try:
            pickings = Picking.create([moves._get_new_picking_values() for moves in new])
        finally:
            data.pop(PICKING_FOLLOWERS, None)
        Picking._ecom_subscribe_together(followers)
        for moves, picking in zip(new, pickings, strict=True):
            moves.write({"picking_id": picking.id})
        links = self.env.cr.precommit.data.setdefault(ORIGIN_LINKS, [])
        try:
            for moves in new:
                moves.with_context(ecom_collect_origin_links=True)._assign_picking_post_process(
                    new=True
                )
        finally:
            pending = list(links)
            links.clear()
        Picking.browse()._ecom_log_origin_links(pending)
        return True

    def _trigger_scheduler(self):
        """Odoo's ``_trigger_scheduler`` (run when each new delivery is confirmed) searches the
        automatic reordering rule of every move. While an import confirms its orders together
        (``ORDERPOINTS`` in the cursor's cache, see ``sale.order._ecom_confirm_chunk``) whether
        a product has one is read once per product (those of the orders, and any other the
        confirmation moves: a kit's components...): Odoo's method runs for the moves of the
        products that have one, as the others would find none."""
        known = self.env.cr.cache.get(ORDERPOINTS)
        if known is None:
            return super()._trigger_scheduler()
        unknown = set(self.product_id.ids) - known.keys()
        if unknown:
            with_rule = set(
                self.env["stock.warehouse.orderpoint"]
                .search([("trigger", "=", "auto"), ("product_id", "in", list(unknown))])
                .product_id.ids
            )
            known.update((product_id, product_id in with_rule) for product_id in unknown)
        moves = self.filtered(lambda move: known[move.product_id.id])
        return super(StockMove, moves)._trigger_scheduler()

    def _ecom_reserved_at_confirm(self):
        """The moves Odoo's confirmation reserves (``stock.move._action_confirm``): waiting
        ones whose location bypasses reservation, whose operation type reserves at
        confirmation, or whose reservation date has come. A deferred reservation reserves
        these and no others (an operation type set to reserve manually or by date keeps its
        choice)."""
        today = fields.Date.today()
        return self.filtered(
            lambda move: (
                move.state in ("confirmed", "partially_available")
                and (
                    move._should_bypass_reservation()
                    or move.picking_type_id.reservation_method == "at_confirm"
                    or (move.reservation_date and move.reservation_date <= today)
                )
            )
        )


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_reserved_quantity(
        self,
        product_id,
        location_id,
        quantity,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=True,
    ):
        """Each move line Odoo creates reserves its quantity on a quant of its product, location,
        lot, package and owner (reading them, locking one, writing it). For the lines an import
        creates together (``RESERVATIONS`` in the transaction's data, set by
        ``stock.move._ecom_reserve_together`` around their ``create``) the quantities are added
        up first and each quant is reserved once, with the sum of its lines."""
        pending = self.env.cr.precommit.data.get(RESERVATIONS)
        if pending is None:
            return super()._update_reserved_quantity(
                product_id,
                location_id,
                quantity,
                lot_id=lot_id,
                package_id=package_id,
                owner_id=owner_id,
                strict=strict,
            )
        key = (product_id, location_id, lot_id or None, package_id or None, owner_id or None)
        pending[key] = pending.get(key, 0.0) + quantity
        return None
