from . import test_ecom_channel
from . import test_listing_content
from . import test_channel_publishing
