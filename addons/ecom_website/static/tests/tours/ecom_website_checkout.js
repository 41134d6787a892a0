/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

function checkout() {
    return [
        ...tourUtils.searchProduct("Ridge Tent"),
        {
            content: "open the listed tent",
            trigger: '.oe_product_cart a:contains("Ridge Tent 2P, storm-proof")',
            run: "click",
        },
        {
            content: "add it to the cart",
            trigger: '#product_detail form[action^="/shop/cart/update"] #add_to_cart',
            run: "click",
        },
        tourUtils.goToCart(),
        tourUtils.goToCheckout(),
        {
            content: "the delivery method of the shop is offered",
            trigger: 'label:contains("Standard Delivery")',
        },
        tourUtils.confirmOrder(),
    ];
}

registry.category("web_tour.tours").add("ecom_website_checkout_demo", {
    url: "/shop",
    steps: () => [...checkout(), ...tourUtils.payWithDemo()],
});

registry.category("web_tour.tours").add("ecom_website_checkout_transfer", {
    url: "/shop",
    steps: () => [...checkout(), ...tourUtils.payWithTransfer()],
});
