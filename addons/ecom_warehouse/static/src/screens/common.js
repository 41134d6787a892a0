/** @odoo-module **/
import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useBus, useService } from "@web/core/utils/hooks";
import { scanBarcode } from "@web/core/barcode/barcode_dialog";
import { isBarcodeScannerSupported } from "@web/core/barcode/barcode_video_scanner";

const ERROR_SOUND = "/barcodes/static/src/audio/error.ogg";

/**
 * A text field for typing a code when no scanner is at hand, and the phone camera where
 * the browser supports it. Both end in the same handler as the scanner.
 */
export class ScanInput extends Component {
    static template = "ecom_warehouse.ScanInput";
    static props = { onScan: Function, placeholder: { type: String, optional: true } };

    setup() {
        this.state = useState({ value: "" });
        this.cameraSupported = isBarcodeScannerSupported();
    }

    submit(ev) {
        ev.preventDefault();
        const value = this.state.value.trim();
        this.state.value = "";
        if (value) {
            this.props.onScan(value);
        }
    }

    async openCamera() {
        try {
            const barcode = await scanBarcode(this.env, "environment");
            if (barcode) {
                this.props.onScan(barcode);
            }
        } catch {
            // The user closed the camera: nothing scanned.
        }
    }
}

/**
 * Base of the barcode screens: listens to the barcodes module's scanner service, shows
 * the outcome of every scan (green / red with a sound) and calls the server through the orm.
 */
export class WarehouseScreen extends Component {
    static components = { ScanInput };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.ui = useState({ message: "", kind: "info", busy: false, flash: 0 });
        const barcode = useService("barcode");
        useBus(barcode.bus, "barcode_scanned", (ev) => this.scan(ev.detail.barcode));
        this.onScan = this.scan.bind(this);
        onWillStart(() => this.load());
    }

    async load() {}

    async onBarcode() {}

    /** Scans are handled one after the other, in the order they arrive. */
    scan(barcode) {
        this.queue = (this.queue || Promise.resolve()).then(async () => {
            this.ui.busy = true;
            try {
                await this.onBarcode(barcode);
            } finally {
                this.ui.busy = false;
            }
        });
        return this.queue;
    }

    ok(message) {
        this.ui.kind = "success";
        this.ui.message = message;
    }

    info(message) {
        this.ui.kind = "info";
        this.ui.message = message;
    }

    refuse(message) {
        this.ui.kind = "danger";
        this.ui.message = message;
        this.ui.flash++;
        try {
            const audio = new Audio(ERROR_SOUND);
            audio.play().catch(() => {});
        } catch {
            // No audio device: the red banner is the signal.
        }
        if (window.navigator.vibrate) {
            window.navigator.vibrate([100, 50, 100]);
        }
    }

    /** orm.call whose business errors (UserError...) are shown on the screen. */
    async call(model, method, args, kwargs = {}) {
        try {
            return await this.orm.call(model, method, args, kwargs);
        } catch (error) {
            const data = error.data || {};
            this.refuse(data.message || error.message || _t("The server refused the operation."));
            return null;
        }
    }
}
