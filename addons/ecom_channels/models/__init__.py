from . import ecom_channel
from . import ecom_channel_listing
from . import ecom_sync_log
from . import sale_order
