from . import test_ecom_channel
from . import test_listing_content
from . import test_channel_publishing
from . import test_stock_sync
from . import test_channel_endpoints
from . import test_sync_log
from . import test_channel_jobs
from . import test_channel_connection
