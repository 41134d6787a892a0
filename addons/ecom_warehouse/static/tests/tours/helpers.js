/** @odoo-module **/

/**
 * Scan a barcode the way a keyboard-wedge scanner does: one keydown per character on the page,
 * then Enter. The barcodes module's service turns them into a `barcode_scanned` event.
 */
export function scan(barcode) {
    for (const key of barcode) {
        document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    }
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
}

/** A tour step that scans ``barcode`` once ``trigger`` is on the page. */
export function scanStep(trigger, barcode) {
    return { trigger, run: () => scan(barcode) };
}
