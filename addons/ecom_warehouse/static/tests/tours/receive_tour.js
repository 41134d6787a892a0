/** @odoo-module **/
import { registry } from "@web/core/registry";
import { scanStep } from "./helpers";

// Data: tests/test_screens.py (PO-TOUR-1: 3 tents, 2 stoves; 5% tolerance).
const TENT = "5900000000001";
const STOVE = "5900000000002";
const ROPE = "5900000000005";

registry.category("web_tour.tours").add("ecom_warehouse_receive_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_receive", "PO-TOUR-1"),
        scanStep(".o_ecom_wh_title:contains(PO-TOUR-1)", TENT),
        scanStep(".o_ecom_wh_pending:contains(1 ×)", TENT),
        scanStep(".o_ecom_wh_pending:contains(2 ×):contains(T-2-1)", "LOC-T-1-1"),
        scanStep(".o_ecom_wh_refused:contains(Wrong bin)", "LOC-T-2-1"),
        scanStep(`.o_ecom_wh_line[data-barcode='${TENT}'] .o_ecom_wh_received:contains(2)`, TENT),
        scanStep(".o_ecom_wh_pending:contains(1 ×)", TENT),
        scanStep(".o_ecom_wh_pending:contains(2 ×)", "LOC-T-2-1"),
        {
            content: "4 of 3 ordered is beyond the tolerance: confirm",
            trigger: ".o_ecom_wh_confirm_over",
            run: "click",
        },
        scanStep(`.o_ecom_wh_line[data-barcode='${TENT}'] .o_ecom_wh_received:contains(4)`, STOVE),
        scanStep(".o_ecom_wh_pending:contains(T-10-1)", "LOC-T-10-1"),
        scanStep(`.o_ecom_wh_line[data-barcode='${STOVE}'] .o_ecom_wh_received:contains(1)`, ROPE),
        {
            content: "The rope was not ordered: flag it",
            trigger: ".o_ecom_wh_unexpected:contains(Not ordered) .o_ecom_wh_flag",
            run: "click",
        },
        {
            trigger: ".o_ecom_wh_line.table-danger:contains(Test Rope)",
        },
        {
            trigger: ".o_ecom_wh_validate",
            run: "click",
        },
        {
            content: "Validated with a backorder for the missing stove",
            trigger: ".o_ecom_wh_receive_done:contains(Backorder)",
        },
    ],
});
