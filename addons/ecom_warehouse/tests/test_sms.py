# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's SMS confirmation of deliveries (stock_sms) is settled at set-up: its dialog never
interrupts a warehouse operator's validation."""

from odoo.tests import tagged

from odoo.addons.ecom_warehouse import post_init_hook

from .common import WarehouseCase, sms_check_as_in_production

UNSETTLED = {"has_received_warning_stock_sms": False, "stock_move_sms_validation": True}


@tagged("post_install", "-at_install")
class TestSmsConfirmation(WarehouseCase):
    def setUp(self):
        super().setUp()
        self._skip_without_stock_sms()

    def test_set_up_settles_the_question(self):
        _batch, orders = self._tote_batch()
        self.company.write(UNSETTLED)  # as stock_sms leaves a company
        with sms_check_as_in_production():
            self.assertEqual(orders[0]._check_warn_sms(), orders[0], "the dialog would open")
            post_init_hook(self.env)
            self.assertFalse(orders[0]._check_warn_sms())
        self.assertTrue(self.company.has_received_warning_stock_sms)
        self.assertFalse(self.company.stock_move_sms_validation, "no paid SMS on top of e-mails")

    def test_new_companies_are_settled(self):
        Company = self.env["res.company"]
        default = Company.create({"name": "Fellside Two"})
        self.assertTrue(default.has_received_warning_stock_sms)
        self.assertFalse(default.stock_move_sms_validation)
        chosen = Company.create({"name": "Fellside Three", "stock_move_sms_validation": True})
        self.assertTrue(chosen.has_received_warning_stock_sms)
        self.assertTrue(chosen.stock_move_sms_validation, "a company's own choice is kept")

    def test_stock_sms_installed_later_asks_nothing(self):
        _batch, orders = self._tote_batch()
        self.company.write(UNSETTLED)
        with sms_check_as_in_production():
            result = orders[0].with_user(self.user).ecom_wh_pack_validate()
        self.assertEqual(orders[0].state, "done")
        self.assertEqual(result["name"], orders[0].name)
        self.assertTrue(self.company.has_received_warning_stock_sms)
