from . import ecom_channel_profit_report
