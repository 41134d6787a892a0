# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_replenishment_core import measure_lead_times

# purchase history behind a measured lead time
LEAD_TIME_HISTORY_DAYS = 365


class ResPartner(models.Model):
    _inherit = "res.partner"

    ecom_order_interval_days = fields.Float(
        string="Order Interval (days)",
        help="Days between two purchase orders to this vendor; the reordering rules order "
        "this many days of sales. 0: the company's default.",
    )
    ecom_measured_lead_time = fields.Float(
        string="Measured Lead Time (days)",
        compute="_compute_ecom_measured_lead_time",
        digits=(16, 1),
        help="Average days from the confirmation of a purchase order line to its first receipt, "
        "over the last 12 months, in the current company. The reordering rules use it when the "
        "company's lead time source is 'Measured' and enough receipts were measured.",
    )
    ecom_lead_time_receipts = fields.Integer(
        string="Receipts Measured",
        compute="_compute_ecom_measured_lead_time",
        help="Purchase order lines received over the last 12 months behind the measured lead time.",
    )

    @api.depends_context("company")
    def _compute_ecom_measured_lead_time(self):
        measured = {}
        if self.ids:
            measured = self._ecom_read_lead_times(self.env.company, fields.Datetime.now(), self.ids)
        for partner in self:
            count, mean, _std = measured.get(partner.id, (0, 0.0, 0.0))
            partner.ecom_lead_time_receipts = count
            partner.ecom_measured_lead_time = mean

    @api.model
    def _ecom_read_lead_times(self, company, now, partner_ids=None):
        """{vendor: (receipts measured, mean days, std days)} of the company's purchases over the
        last year: purchase order confirmation to the first receipt of each line (the one
        measure of a supplier's lead time, see ecom_replenishment_core.measure_lead_times)."""
        vendors = SQL("TRUE")
        if partner_ids is not None:
            vendors = SQL("po.partner_id = ANY(%s)", list(partner_ids))
        self.env["purchase.order"].flush_model(["partner_id", "company_id", "date_approve"])
        self.env["stock.move"].flush_model(
            ["purchase_line_id", "state", "date", "location_dest_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, array_agg(days)
                  FROM (
                        SELECT po.partner_id,
                               EXTRACT(EPOCH FROM MIN(m.date) - po.date_approve)::float8
                                   / 86400.0 AS days
                          FROM purchase_order_line pol
                          JOIN purchase_order po ON po.id = pol.order_id
                          JOIN stock_move m ON m.purchase_line_id = pol.id AND m.state = 'done'
                          JOIN stock_location dest ON dest.id = m.location_dest_id
                         WHERE po.company_id = %(company)s AND po.date_approve >= %(since)s
                           AND dest.usage = 'internal' AND %(vendors)s
                         GROUP BY pol.id, po.partner_id, po.date_approve
                       ) receipts
                 GROUP BY partner_id
                """,
                company=company.id,
                since=now - timedelta(days=LEAD_TIME_HISTORY_DAYS),
                vendors=vendors,
            )
        )
        return {partner: measure_lead_times(days) for partner, days in self.env.cr.fetchall()}
