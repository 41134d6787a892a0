/** @odoo-module **/
import { registry } from "@web/core/registry";
import { scanStep } from "./helpers";

// Data: tests/test_screens.py (bin T-1-1 holds 5 lamps and 2 mugs; 3 lamps are found).
const LAMP = "5900000000003";

registry.category("web_tour.tours").add("ecom_warehouse_count_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_count .o_ecom_wh_due:contains(T-1-1)", "LOC-T-1-1"),
        {
            content: "Blind count: the operator does not see the expected quantities",
            trigger: ".o_ecom_wh_title:contains(T-1-1):contains(blind)",
            run() {
                if (document.querySelector(".o_ecom_wh_expected")) {
                    throw new Error("expected quantities shown in a blind count");
                }
            },
        },
        scanStep(".o_ecom_wh_line:contains(Test Lamp)", LAMP),
        scanStep(".o_ecom_wh_feedback:contains(Test Lamp: 1 counted)", LAMP),
        scanStep(".o_ecom_wh_feedback:contains(Test Lamp: 2 counted)", LAMP),
        {
            content: "Two mugs typed in",
            trigger: ".o_ecom_wh_feedback:contains(Test Lamp: 3 counted)",
            run() {
                const input = document.querySelector(
                    ".o_ecom_wh_line[data-barcode='5900000000004'] input.o_ecom_wh_counted"
                );
                input.value = "2";
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            trigger: ".o_ecom_wh_feedback:contains(Test Mug: 2 counted)",
        },
        {
            trigger: ".o_ecom_wh_count_submit",
            run: "click",
        },
        {
            content: "One variance (lamps) goes to the manager",
            trigger: ".o_ecom_wh_count_done:contains(1 variance)",
        },
    ],
});
