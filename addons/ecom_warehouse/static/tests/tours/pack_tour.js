/** @odoo-module **/
import { registry } from "@web/core/registry";
import { scanStep } from "./helpers";

// Data: tests/test_screens.py (SO-PACK-1: 2 tents and a mug; package type "Tour box").
const TENT = "5900000000001";
const MUG = "5900000000004";
const ROPE = "5900000000005";

registry.category("web_tour.tours").add("ecom_warehouse_pack_tour", {
    steps: () => [
        scanStep(".o_ecom_wh_pack", "SO-PACK-1"),
        scanStep(".o_ecom_wh_title:contains(SO-PACK-1)", ROPE),
        scanStep(".o_ecom_wh_refused:contains(is not on)", TENT),
        scanStep(`.o_ecom_wh_line[data-barcode='${TENT}'] .o_ecom_wh_verified:contains(1 / 2)`, TENT),
        scanStep(`.o_ecom_wh_line[data-barcode='${TENT}'] .o_ecom_wh_verified:contains(2 / 2)`, TENT),
        scanStep(".o_ecom_wh_refused:contains(already verified)", MUG),
        {
            trigger: ".o_ecom_wh_package_type:contains(Tour box)",
            run: "click",
        },
        {
            trigger: ".o_ecom_wh_close_parcel:contains(3 items)",
            run: "click",
        },
        {
            trigger: ".o_ecom_wh_parcels:contains(Tour box)",
        },
        {
            trigger: ".o_ecom_wh_pack_validate",
            run: "click",
        },
        {
            content: "Validated: the delivery slip is offered to print",
            trigger: ".o_ecom_wh_pack_done .o_ecom_wh_document:contains(Delivery slip)",
        },
    ],
});
