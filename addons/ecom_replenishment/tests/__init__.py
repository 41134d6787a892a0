from . import test_backtest, test_orderpoint_recompute
