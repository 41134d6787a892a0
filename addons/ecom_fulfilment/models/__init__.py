from . import ecom_shipping_rule
from . import ecom_channel
from . import sale_order
from . import sale_order_line
from . import delivery_carrier
from . import stock_picking
from . import ecom_label_batch
from . import ecom_label_batch_line
