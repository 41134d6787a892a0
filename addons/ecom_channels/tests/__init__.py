from . import test_ecom_channel
from . import test_listing_content
from . import test_channel_publishing
from . import test_stock_sync
