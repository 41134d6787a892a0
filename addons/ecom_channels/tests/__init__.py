from . import test_ecom_channel
