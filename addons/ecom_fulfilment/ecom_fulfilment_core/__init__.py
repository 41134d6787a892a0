"""Plain-Python core of ecom_fulfilment: no Odoo import anywhere below this package."""
