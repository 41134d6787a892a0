"""Plain-Python core of ecom_channels: no Odoo import anywhere below this package.

The models call into it; tests import it directly (``import ecom_channels_core``), with no
database.
"""
