/** @odoo-module **/
import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { WarehouseScreen } from "./common";

const PICKING = "stock.picking";

/** Goods-in: scan the products of a supplier delivery and put each one away in its bin. */
export class ReceiveScreen extends WarehouseScreen {
    static template = "ecom_warehouse.ReceiveScreen";

    setup() {
        super.setup();
        this.state = useState({
            receipts: [],
            picking: null,
            pending: null, // {product, qty, lot, home_name, home_barcode}
            confirm: null, // {message, barcode}
            unexpected: null, // {product, qty, message}
            done: null,
        });
    }

    async load() {
        const pickingId = this.props.action?.params?.picking_id;
        if (pickingId) {
            await this.open(pickingId);
        } else {
            this.state.receipts = await this.orm.call(PICKING, "ecom_wh_receive_list", []);
            this.info(_t("Scan a purchase order or a receipt, or choose one below."));
        }
    }

    async open(pickingId) {
        const picking = await this.call(PICKING, "ecom_wh_receive_state", [[pickingId]]);
        if (picking) {
            this.state.picking = picking;
            this.state.done = null;
            this.info(_t("Scan a product."));
        }
    }

    async onBarcode(barcode) {
        if (!this.state.picking) {
            const res = await this.call(PICKING, "ecom_wh_receive_find", [barcode]);
            if (res?.type === "picking") {
                this.state.picking = res.state;
                this.info(_t("Scan a product."));
            } else if (res) {
                this.refuse(res.message);
            }
            return;
        }
        const pending = this.state.pending;
        const res = await this.call(PICKING, "ecom_wh_receive_scan", [
            [this.state.picking.id],
            barcode,
            pending?.product.id || false,
            pending?.lot || false,
        ]);
        if (!res) {
            return;
        }
        this.state.confirm = null;
        if (res.type === "product") {
            if (pending && pending.product.id !== res.product.id) {
                this.refuse(
                    _t("Put away %(product)s first: scan bin %(bin)s.", {
                        product: pending.product.name,
                        bin: pending.home_name,
                    })
                );
            } else if (pending) {
                pending.qty += 1;
                this.ok(_t("%(qty)s × %(product)s in hand.", { qty: pending.qty, product: res.product.name }));
            } else {
                this.state.unexpected = null;
                this.state.pending = { ...res, qty: 1, lot: false, package: false };
                if (res.product.tracking !== "none") {
                    this.info(_t("Scan the lot number."));
                } else {
                    this.ok(_t("Put it in %(bin)s and scan the bin.", { bin: res.home_name }));
                }
            }
        } else if (res.type === "package") {
            if (!pending) {
                this.refuse(_t("Scan a product before its package."));
            } else {
                pending.package = { id: res.id, name: res.name };
                this.ok(_t("Package %(name)s. Scan the bin %(bin)s.", { name: res.name, bin: pending.home_name }));
            }
        } else if (res.type === "lot") {
            pending.lot = res.lot_name;
            this.ok(_t("Lot %(lot)s. Put it in %(bin)s and scan the bin.", { lot: res.lot_name, bin: pending.home_name }));
        } else if (res.type === "location") {
            if (!pending) {
                this.refuse(_t("Scan a product before the bin."));
            } else {
                await this.put(barcode, false);
            }
        } else if (res.type === "unexpected") {
            const current = this.state.unexpected;
            if (current && current.product.id === res.product.id) {
                current.qty += 1;
            } else {
                this.state.unexpected = { ...res, qty: 1 };
            }
            this.refuse(res.message);
        } else {
            this.refuse(res.message);
        }
    }

    async put(barcode, confirmed) {
        const pending = this.state.pending;
        const res = await this.call(PICKING, "ecom_wh_receive_put", [
            [this.state.picking.id],
            pending.product.id,
            pending.qty,
            barcode,
            pending.lot,
            confirmed,
            pending.package?.id || false,
        ]);
        if (!res) {
            return;
        }
        if (res.type === "confirm") {
            this.state.confirm = { message: res.message, barcode };
            this.refuse(res.message);
        } else if (res.type === "error") {
            this.refuse(res.message);
        } else {
            this.state.picking = res.state;
            this.state.pending = null;
            this.state.confirm = null;
            this.ok(_t("Received %(qty)s × %(product)s.", { qty: pending.qty, product: pending.product.name }));
        }
    }

    changePending(delta) {
        const pending = this.state.pending;
        pending.qty = Math.max(1, pending.qty + delta);
    }

    async confirmOver() {
        await this.put(this.state.confirm.barcode, true);
    }

    cancelPending() {
        this.state.pending = null;
        this.state.confirm = null;
        this.info(_t("Scan a product."));
    }

    async flagUnexpected() {
        const unexpected = this.state.unexpected;
        const picking = await this.call(PICKING, "ecom_wh_receive_flag", [
            [this.state.picking.id],
            unexpected.product.id,
            unexpected.qty,
        ]);
        if (picking) {
            this.state.picking = picking;
            this.state.unexpected = null;
            this.ok(_t("Recorded as unexpected: set it aside."));
        }
    }

    async validate() {
        const res = await this.call(PICKING, "ecom_wh_receive_validate", [[this.state.picking.id]]);
        if (res) {
            this.state.done = res;
            this.ok(
                res.backorder
                    ? _t("Receipt validated; backorder %(name)s for what is missing.", { name: res.backorder })
                    : _t("Receipt validated.")
            );
        }
    }

    openReport() {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "ecom.warehouse.receipt",
            res_id: this.state.done.report_id,
            views: [[false, "form"]],
        });
    }

    async backToList() {
        this.state.picking = null;
        this.state.done = null;
        this.state.pending = null;
        this.state.receipts = await this.orm.call(PICKING, "ecom_wh_receive_list", []);
        this.info(_t("Scan a purchase order or a receipt, or choose one below."));
    }

    statusClass(line) {
        return {
            ok: "text-bg-success",
            over: "text-bg-warning",
            short: "text-bg-danger",
            pending: "text-bg-secondary",
            unexpected: "text-bg-danger",
        }[line.status];
    }
}

registry.category("actions").add("ecom_warehouse.receive", ReceiveScreen);
