# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..ecom_warehouse_core import CountPolicy


class ResCompany(models.Model):
    _inherit = "res.company"

    ecom_receipt_tolerance_pct = fields.Float(
        string="Over-receipt Tolerance (%)",
        default=5.0,
        help="Receiving more than the ordered quantity plus this percentage asks the operator "
        "to confirm.",
    )
    ecom_abc_window_days = fields.Integer(
        string="ABC Sales Window (days)",
        default=365,
        help="Days of delivered sales behind the ABC classes of the products.",
    )
    ecom_abc_a_share = fields.Float(
        string="A Class Share (%)",
        default=80.0,
        help="Best sellers making this share of the sales value are class A.",
    )
    ecom_abc_b_share = fields.Float(
        string="B Class Share (%)",
        default=95.0,
        help="The next sellers, up to this cumulative share of the sales value, are class B.",
    )
    ecom_count_a_days = fields.Integer(string="Count A Every (days)", default=30)
    ecom_count_b_days = fields.Integer(string="Count B Every (days)", default=90)
    ecom_count_c_days = fields.Integer(string="Count C Every (days)", default=365)

    @api.constrains(
        "ecom_receipt_tolerance_pct",
        "ecom_abc_a_share",
        "ecom_abc_b_share",
        "ecom_count_a_days",
        "ecom_count_b_days",
        "ecom_count_c_days",
        "ecom_abc_window_days",
    )
    def _check_ecom_warehouse_settings(self):
        for company in self:
            if company.ecom_receipt_tolerance_pct < 0:
                raise ValidationError(self.env._("The over-receipt tolerance cannot be negative."))
            if not 0 < company.ecom_abc_a_share <= company.ecom_abc_b_share <= 100:
                raise ValidationError(
                    self.env._("ABC shares must satisfy 0 < A share <= B share <= 100.")
                )
            if (
                min(
                    company.ecom_count_a_days,
                    company.ecom_count_b_days,
                    company.ecom_count_c_days,
                    company.ecom_abc_window_days,
                )
                <= 0
            ):
                raise ValidationError(
                    self.env._("Count intervals and the ABC window must be positive.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        chosen = companies.browse(
            company.id
            for company, vals in zip(companies, vals_list, strict=True)
            if "stock_move_sms_validation" in vals
        )
        (companies - chosen)._ecom_settle_sms_confirmation()
        chosen._ecom_settle_sms_confirmation(keep_choice=True)
        return companies

    def _ecom_settle_sms_confirmation(self, keep_choice=False):
        """Settle Odoo's SMS confirmation of deliveries (stock_sms, when installed) so that its
        dialog never interrupts a warehouse operator's validation: customers are told by the
        channel and the dispatch e-mail, so the SMS (paid IAP credits) is off unless the
        company chose it (``keep_choice``); either way the question counts as answered. It
        stays a setting of Inventory."""
        if "has_received_warning_stock_sms" not in self._fields:
            return
        todo = self.filtered(lambda company: not company.has_received_warning_stock_sms)
        if not todo:
            return
        vals = {"has_received_warning_stock_sms": True}
        if not keep_choice:
            vals["stock_move_sms_validation"] = False
        todo.sudo().write(vals)

    def _ecom_count_policy(self):
        self.ensure_one()
        return CountPolicy(self.ecom_count_a_days, self.ecom_count_b_days, self.ecom_count_c_days)
