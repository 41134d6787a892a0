from . import test_orderpoint_recompute
