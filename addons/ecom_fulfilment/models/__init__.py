from . import ecom_shipping_rule
