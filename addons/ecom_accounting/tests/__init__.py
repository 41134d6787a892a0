from . import test_invoicing
from . import test_payouts
from . import test_profit_report
from . import test_payout_import
from . import test_accounting_rights
from . import test_exact_totals
from . import test_uk_taxes
