from . import ecom_channel
from . import ecom_channel_category_map
from . import ecom_channel_listing
from . import ecom_channel_listing_image
from . import ecom_stock_outbox
from . import ecom_sync_log
from . import sale_order
from . import stock_move
