# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    @api.model_create_multi
    def create(self, vals_list):
        st_lines = super().create(vals_list)
        st_lines._ecom_match_payouts()
        return st_lines

    def _ecom_match_payouts(self):
        """A channel payout waiting for the bank is reconciled as soon as its statement line
        arrives; a failure never stops the bank import (the payout stays waiting)."""
        payouts = (
            self.env["ecom.payout"]
            .sudo()
            .search([("state", "=", "settled"), ("company_id", "in", self.company_id.ids)])
        )
        if not payouts:
            return
        try:
            with self.env.cr.savepoint():
                payouts._match_bank()
        except Exception:  # pylint: disable=broad-except
            _logger.exception("channel payouts could not be matched with new bank lines")
