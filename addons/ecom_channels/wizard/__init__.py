from . import ecom_listing_create_wizard
