from . import test_ecom_shipping_rule
from . import test_order_import
from . import test_hostile_orders
from . import test_labels_dispatch
from . import test_label_rendering
from . import test_parallel_import
from . import test_import_batch_equivalence
