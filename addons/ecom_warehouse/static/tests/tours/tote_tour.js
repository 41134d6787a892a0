/** @odoo-module **/
import { registry } from "@web/core/registry";
import { scanStep } from "./helpers";

// Data: tests/test_screens.py test_totes_and_no_sms_dialog (BATCH-TOTE-1: SO-TOTE-1, -2 and -3,
// one tent each, totes 1, 2 and 3 on the printed pick list).
const TENT = "5900000000001";

registry.category("web_tour.tours").add("ecom_warehouse_tote_pack_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_pack", "SO-TOTE-1"),
        scanStep(".o_ecom_wh_title:contains(SO-TOTE-1)", TENT),
        {
            trigger: `.o_ecom_wh_line[data-barcode='${TENT}'] .o_ecom_wh_verified:contains(1 / 1)`,
        },
        {
            trigger: ".o_ecom_wh_pack_validate",
            run: "click",
        },
        {
            content: "Validated at once: no SMS question, the documents are offered",
            trigger: ".o_ecom_wh_pack_done .o_ecom_wh_document:contains(Delivery slip)",
        },
    ],
});

registry.category("web_tour.tours").add("ecom_warehouse_tote_pick_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_pick", "BATCH-TOTE-1"),
        {
            content: "The totes printed on the pick list, after SO-TOTE-1 left",
            trigger: ".o_ecom_wh_totes tr:contains(SO-TOTE-3):contains(Tote 3)",
        },
        {
            trigger: ".o_ecom_wh_totes tr:contains(SO-TOTE-2):contains(Tote 2)",
        },
        {
            trigger: ".o_ecom_wh_totes:not(:contains(SO-TOTE-1))",
        },
    ],
});
