from . import test_invoicing
from . import test_payouts
from . import test_profit_report
