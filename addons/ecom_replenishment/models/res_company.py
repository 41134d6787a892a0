# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    ecom_sales_window_days = fields.Integer(
        string="Sales Window (days)",
        default=90,
        help="Days of sales history behind the daily sales of the reordering rules.",
    )
    ecom_demand_method = fields.Selection(
        [
            ("ecom", "Evidence-weighted estimate"),
            ("naive", "Naive: mean of the days in stock"),
            ("static", "Static min/max as configured"),
        ],
        string="Replenishment Method",
        default="ecom",
        required=True,
        help="How the recompute sets the reordering rules. Evidence-weighted: the mean of the days "
        "in stock when there are enough of them, Croston's method for products that sell on few "
        "days, comparable products when the product's own history is too short. Naive: recorded "
        "sales / days in stock. Static: the minimum and maximum configured by hand are kept "
        "(the daily sales are still computed, for information). The safety stock of the service "
        "level applies to the first two. Run the backtest to compare them on your history.",
    )
    ecom_min_in_stock_days = fields.Integer(
        string="Days in Stock for Full Confidence",
        default=14,
        help="With fewer days in stock, the product's own daily sales are given a weight of "
        "days / this number, the rest coming from comparable products (category, price, age) and "
        "from the days since the product was first in stock.",
    )
    ecom_spike_factor = fields.Float(
        string="Spike Factor",
        default=5.0,
        help="A day selling more than this factor times the median selling day is capped "
        "at that level (needs at least 3 selling days).",
    )
    ecom_order_interval_days = fields.Float(
        string="Default Order Interval (days)",
        default=14.0,
        help="Days between two orders to the same vendor when neither the vendor nor the "
        "product sets one.",
    )
    ecom_lead_time_mode = fields.Selection(
        [("vendor", "Vendor pricelist"), ("measured", "Measured from past purchases")],
        string="Lead Time Source",
        default="vendor",
        required=True,
        help="Measured: the average time from purchase order confirmation to receipt over the "
        "last year, per vendor, when at least the minimum number of receipts was measured; "
        "otherwise the lead time of the vendor pricelist.",
    )
    ecom_lead_time_min_samples = fields.Integer(
        string="Minimum Receipts Measured",
        default=3,
    )
    ecom_service_level = fields.Float(
        string="Service Level (%)",
        default=0.0,
        help="Adds a safety stock from the variance of demand and of lead time, so that stock "
        "covers the demand until the next delivery with this probability. 0: no safety stock.",
    )
    ecom_orderpoint_trigger = fields.Selection(
        [("manual", "Manual"), ("auto", "Auto")],
        string="Trigger of New Rules",
        default="manual",
        required=True,
        help="Trigger of the reordering rules created for products that sell and have none.",
    )
