/** @odoo-module **/
import { registry } from "@web/core/registry";
import { scanStep } from "./helpers";

// Data: tests/test_screens.py (BATCH-TOUR-1: mug in S-01-1, lamp in T-1-1, 3 tents in T-2-1).
const TENT = "5900000000001";
const LAMP = "5900000000003";
const MUG = "5900000000004";

registry.category("web_tour.tours").add("ecom_warehouse_pick_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_pick", "BATCH-TOUR-1"),
        scanStep(".o_ecom_wh_pick_bin:contains(S-01-1)", "LOC-T-2-1"),
        scanStep(".o_ecom_wh_refused:contains(Wrong bin)", "LOC-S-01-1"),
        scanStep(".o_ecom_wh_pick_step .fa-check", TENT),
        scanStep(".o_ecom_wh_refused:contains(Wrong product)", MUG),
        {
            trigger: ".o_ecom_wh_pick_qty .o_ecom_wh_pick_confirm",
            run: "click",
        },
        scanStep(".o_ecom_wh_pick_bin:contains(T-1-1)", "LOC-T-1-1"),
        scanStep(".o_ecom_wh_pick_step .fa-check", LAMP),
        {
            content: "The lamp is not in its bin: short pick",
            trigger: ".o_ecom_wh_pick_qty input.o_ecom_wh_qty",
            run: "edit 0",
        },
        {
            trigger: ".o_ecom_wh_pick_confirm",
            run: "click",
        },
        scanStep(".o_ecom_wh_refused:contains(Short pick recorded)", "LOC-T-2-1"),
        scanStep(".o_ecom_wh_pick_product:contains(3 ×):contains(Test Tent)", TENT),
        {
            trigger: ".o_ecom_wh_pick_qty .o_ecom_wh_pick_confirm",
            run: "click",
        },
        {
            content: "The whole route is walked",
            trigger: ".o_ecom_wh_pick_done",
        },
    ],
});
