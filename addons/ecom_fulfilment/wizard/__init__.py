from . import ecom_label_print_wizard
from . import ecom_dispatch_scan
