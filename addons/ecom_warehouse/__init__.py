from . import models


def post_init_hook(env):
    """Odoo's SMS confirmation of deliveries is settled for the existing companies (see
    res.company._ecom_settle_sms_confirmation)."""
    env["res.company"].search([])._ecom_settle_sms_confirmation()
