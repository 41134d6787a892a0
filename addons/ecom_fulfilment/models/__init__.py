from . import ecom_shipping_rule
from . import ecom_channel
from . import sale_order
