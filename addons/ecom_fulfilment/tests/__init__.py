from . import test_ecom_shipping_rule
