from . import test_backtest, test_core_owners, test_orderpoint_recompute
