"""Plain-Python side of ecom_accounting: payout value classes, the channels' finance APIs and the
money maths, without any Odoo import."""
