# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields, models

STATS_DAYS = 365


class ResPartner(models.Model):
    _inherit = "res.partner"

    ecom_receipt_count = fields.Integer(
        string="Receipts (12 months)", compute="_compute_ecom_supplier_stats"
    )
    ecom_fill_rate = fields.Float(
        string="Fill Rate (%)",
        compute="_compute_ecom_supplier_stats",
        digits=(16, 1),
        help="Share of the ordered quantity delivered, over the receipts of the last 12 months.",
    )

    def _compute_ecom_supplier_stats(self):
        since = fields.Datetime.now() - timedelta(days=STATS_DAYS)
        groups = self.env["ecom.warehouse.receipt"]._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("date_done", ">=", since),
            ],
            ["partner_id"],
            ["__count", "expected_qty:sum", "filled_qty:sum"],
        )
        stats = {
            partner.id: (count, expected, filled) for partner, count, expected, filled in groups
        }
        for partner in self:
            count, expected, filled = stats.get(partner.commercial_partner_id.id, (0, 0.0, 0.0))
            partner.ecom_receipt_count = count
            partner.ecom_fill_rate = 100.0 * filled / expected if expected else 0.0
