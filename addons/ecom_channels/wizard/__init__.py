from . import ecom_listing_create_wizard
from . import ecom_channel_connect
