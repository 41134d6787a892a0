# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ecom_channel
from . import ecom_channel_category_map
from . import ecom_channel_listing
from . import product_image
from . import sale_order
from . import website
