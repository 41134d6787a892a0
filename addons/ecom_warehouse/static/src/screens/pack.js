/** @odoo-module **/
import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { WarehouseScreen } from "./common";

const PICKING = "stock.picking";

/** Packing: scan the order, verify each item by scanning it, close parcels, validate, print. */
export class PackScreen extends WarehouseScreen {
    static template = "ecom_warehouse.PackScreen";

    setup() {
        super.setup();
        this.state = useState({
            deliveries: [],
            picking: null,
            verified: {}, // product id -> units scanned
            inParcel: {}, // product id -> units scanned since the last parcel was closed
            packageTypeId: false,
            result: null,
        });
    }

    async load() {
        const pickingId = this.props.action?.params?.picking_id;
        if (pickingId) {
            await this.open(pickingId);
        } else {
            await this.loadList();
        }
    }

    async loadList() {
        this.state.deliveries = await this.orm.call(PICKING, "ecom_wh_pack_list", []);
        this.info(_t("Scan the packing slip or the order."));
    }

    setPicking(picking) {
        this.state.picking = picking;
        this.state.result = null;
        const verified = {};
        for (const line of picking.lines) {
            verified[line.id] = line.packed;
        }
        this.state.verified = verified;
        this.state.inParcel = {};
        this.state.packageTypeId = picking.package_types[0]?.id || false;
        this.info(_t("Scan each item."));
    }

    async open(pickingId) {
        const picking = await this.call(PICKING, "ecom_wh_pack_state", [[pickingId]]);
        if (picking) {
            this.setPicking(picking);
        }
    }

    async onBarcode(barcode) {
        if (!this.state.picking || this.state.result) {
            const res = await this.call(PICKING, "ecom_wh_pack_find", [barcode]);
            if (res?.type === "picking") {
                this.setPicking(res.state);
            } else if (res) {
                this.refuse(res.message);
            }
            return;
        }
        const res = await this.call(PICKING, "ecom_wh_pack_scan", [
            [this.state.picking.id],
            barcode,
            this.state.verified,
        ]);
        if (!res) {
            return;
        }
        if (res.type !== "product") {
            this.refuse(res.message);
            return;
        }
        const id = res.product_id;
        this.state.verified[id] = (this.state.verified[id] || 0) + 1;
        this.state.inParcel[id] = (this.state.inParcel[id] || 0) + 1;
        this.ok(this.allVerified ? _t("All items verified: close the parcel.") : _t("Verified."));
    }

    get allVerified() {
        const picking = this.state.picking;
        return Boolean(picking) && picking.lines.every((l) => (this.state.verified[l.id] || 0) >= l.qty);
    }

    get parcelCount() {
        return Object.values(this.state.inParcel).reduce((a, b) => a + b, 0);
    }

    async closeParcel() {
        if (!this.parcelCount) {
            this.refuse(_t("Scan the items of the parcel first."));
            return;
        }
        const picking = await this.call(PICKING, "ecom_wh_pack_parcel", [
            [this.state.picking.id],
            this.state.inParcel,
            this.state.packageTypeId,
        ]);
        if (picking) {
            this.state.picking = picking;
            this.state.inParcel = {};
            this.ok(_t("Parcel %(count)s closed.", { count: picking.parcels.length }));
        }
    }

    async validate() {
        if (!this.allVerified) {
            this.refuse(_t("Scan every item before validating."));
            return;
        }
        if (this.parcelCount && this.state.picking.parcels.length) {
            await this.closeParcel();
        }
        const result = await this.call(PICKING, "ecom_wh_pack_validate", [[this.state.picking.id]]);
        if (result) {
            this.state.result = result;
            this.ok(_t("%(name)s validated: print the documents.", { name: result.name }));
        }
    }

    async next() {
        this.state.picking = null;
        this.state.result = null;
        await this.loadList();
    }
}

registry.category("actions").add("ecom_warehouse.pack", PackScreen);
