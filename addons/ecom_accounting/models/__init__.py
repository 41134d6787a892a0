from . import ecom_channel
from . import sale_order
from . import account_move
from . import stock_picking
from . import ecom_payout
from . import ecom_payout_line
from . import account_bank_statement_line
from . import queue_job
