/** @odoo-module **/
import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { WarehouseScreen } from "./common";

const BATCH = "stock.picking.batch";

/** Picking a batch or wave: bin by bin in walking order, scan bin, scan product, confirm. */
export class PickScreen extends WarehouseScreen {
    static template = "ecom_warehouse.PickScreen";

    setup() {
        super.setup();
        this.state = useState({
            batches: [],
            batch: null,
            atBin: null, // location id scanned for the current step
            productOk: null, // product id scanned for the current step
            qty: 0,
        });
    }

    async load() {
        const batchId = this.props.action?.params?.batch_id;
        if (batchId) {
            await this.open(batchId);
        } else {
            await this.loadBatches();
        }
    }

    async loadBatches() {
        this.state.batches = await this.orm.searchRead(
            BATCH,
            [["state", "in", ["draft", "in_progress"]]],
            ["name", "is_wave", "ecom_pick_bin_count", "user_id"],
            { order: "scheduled_date, id", limit: 40 }
        );
        this.info(_t("Scan a batch or choose one below."));
    }

    async open(batchId) {
        const batch = await this.call(BATCH, "ecom_wh_pick_state", [[batchId]]);
        if (batch) {
            this.state.batch = batch;
            this.state.atBin = null;
            this.state.productOk = null;
            this.prompt();
        }
    }

    /** The first product of the route not picked yet, with its bin. */
    get current() {
        for (const bin of this.state.batch?.bins || []) {
            for (const product of bin.products) {
                if (!product.done) {
                    return { bin, product };
                }
            }
        }
        return null;
    }

    get progress() {
        const bins = this.state.batch?.bins || [];
        const done = bins.filter((bin) => bin.products.every((p) => p.done)).length;
        return `${done} / ${bins.length}`;
    }

    prompt() {
        const current = this.current;
        if (!current) {
            this.ok(_t("Everything is picked."));
        } else if (this.state.atBin !== current.bin.location_id) {
            this.info(_t("Go to %(bin)s and scan the bin.", { bin: current.bin.location }));
        } else if (this.state.productOk !== current.product.id) {
            this.info(_t("Scan %(product)s.", { product: current.product.name }));
        } else {
            this.info(_t("Confirm the quantity."));
        }
    }

    async onBarcode(barcode) {
        if (!this.state.batch) {
            const found = await this.orm.search(BATCH, [
                ["name", "=", barcode],
                ["state", "in", ["draft", "in_progress"]],
            ]);
            if (found.length) {
                await this.open(found[0]);
            } else {
                this.refuse(_t("No open batch %(name)s.", { name: barcode }));
            }
            return;
        }
        const current = this.current;
        if (!current) {
            this.refuse(_t("Everything is picked."));
            return;
        }
        const atBin = this.state.atBin === current.bin.location_id;
        if (atBin && this.state.productOk === current.product.id) {
            // Another unit of the product: nothing to check, the quantity is confirmed below.
            if (barcode === current.product.barcode || barcode === current.product.default_code) {
                this.info(_t("Confirm the quantity."));
                return;
            }
        }
        const res = await this.call(BATCH, "ecom_wh_pick_scan", [
            [this.state.batch.id],
            barcode,
            current.bin.location_id,
            atBin ? current.product.id : false,
        ]);
        if (!res) {
            return;
        }
        if (res.type !== "ok") {
            this.refuse(res.message);
            return;
        }
        if (!atBin) {
            this.state.atBin = current.bin.location_id;
            this.state.productOk = null;
            this.ok(_t("Bin %(bin)s: scan %(product)s.", { bin: current.bin.location, product: current.product.name }));
        } else {
            this.state.productOk = current.product.id;
            this.state.qty = current.product.qty - current.product.picked_qty;
            this.ok(_t("Pick %(qty)s and confirm.", { qty: this.state.qty }));
        }
    }

    changeQty(delta) {
        this.state.qty = Math.max(0, (Number(this.state.qty) || 0) + delta);
    }

    async confirm() {
        const current = this.current;
        const qty = Number(this.state.qty);
        const wanted = current.product.qty - current.product.picked_qty;
        const batch = await this.call(BATCH, "ecom_wh_pick_confirm", [
            [this.state.batch.id],
            current.bin.location_id,
            current.product.id,
            qty,
        ]);
        if (batch) {
            this.state.batch = batch;
            this.state.productOk = null;
            this.prompt();
            if (qty < wanted) {
                this.refuse(
                    _t("Short pick recorded: %(missing)s × %(product)s missing.", {
                        missing: wanted - qty,
                        product: current.product.name,
                    })
                );
            }
        }
    }

    async printPickList() {
        const action = await this.call(BATCH, "action_ecom_print_pick_list", [[this.state.batch.id]]);
        if (action) {
            await this.action.doAction(action);
        }
    }

    openPack() {
        this.action.doAction("ecom_warehouse.ecom_warehouse_pack_action");
    }

    async backToList() {
        this.state.batch = null;
        await this.loadBatches();
    }
}

registry.category("actions").add("ecom_warehouse.pick", PickScreen);
