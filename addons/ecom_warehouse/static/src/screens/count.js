/** @odoo-module **/
import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { WarehouseScreen } from "./common";

const COUNT = "ecom.warehouse.count";

/** Cycle count: scan a bin, scan or type what is there, submit. Blind unless manager. */
export class CountScreen extends WarehouseScreen {
    static template = "ecom_warehouse.CountScreen";

    setup() {
        super.setup();
        this.state = useState({ due: [], count: null, result: null, confirmSubmit: false });
    }

    async load() {
        await this.loadDue();
    }

    async loadDue() {
        this.state.due = await this.orm.call("stock.location", "ecom_wh_count_due_list", []);
        this.info(_t("Scan the bin to count."));
    }

    async onBarcode(barcode) {
        if (!this.state.count || this.state.result) {
            const res = await this.call(COUNT, "ecom_wh_count_start", [barcode]);
            if (res?.type === "count") {
                this.state.count = res.state;
                this.state.result = null;
                this.state.confirmSubmit = false;
                this.info(_t("Bin %(bin)s: scan every unit, or type the quantities.", { bin: res.state.location }));
            } else if (res) {
                this.refuse(res.message);
            }
            return;
        }
        const res = await this.call(COUNT, "ecom_wh_count_scan", [[this.state.count.id], barcode]);
        if (!res) {
            return;
        }
        if (res.type === "count") {
            this.state.count = res.state;
            const line = res.state.lines.find((l) => l.line_id === res.line_id);
            this.ok(_t("%(product)s: %(qty)s counted.", { product: line.name, qty: line.counted }));
        } else {
            this.refuse(res.message);
        }
    }

    async setQty(line, ev) {
        const value = ev.target.value === "" ? null : Number(ev.target.value);
        if (value === null || Number.isNaN(value) || value < 0) {
            this.refuse(_t("Type a quantity of 0 or more."));
            return;
        }
        const count = await this.call(COUNT, "ecom_wh_count_set", [[this.state.count.id], line.line_id, value]);
        if (count) {
            this.state.count = count;
            this.ok(_t("%(product)s: %(qty)s counted.", { product: line.name, qty: value }));
        }
    }

    get uncounted() {
        return this.state.count.lines.filter((l) => l.counted === null).length;
    }

    async submit() {
        if (this.uncounted && !this.state.confirmSubmit) {
            this.state.confirmSubmit = true;
            this.refuse(_t("%(n)s products not counted: submit them as 0?", { n: this.uncounted }));
            return;
        }
        const result = await this.call(COUNT, "ecom_wh_count_submit", [[this.state.count.id]]);
        if (result) {
            this.state.result = result;
            this.ok(
                result.variances
                    ? _t("Count %(name)s submitted: %(n)s variances go to a manager.", { name: result.name, n: result.variances })
                    : _t("Count %(name)s submitted and applied: no variance.", { name: result.name })
            );
        }
    }

    async next() {
        this.state.count = null;
        this.state.result = null;
        await this.loadDue();
    }
}

registry.category("actions").add("ecom_warehouse.count", CountScreen);
