from . import (
    ecom_replenishment_backtest,
    product_template,
    res_company,
    res_partner,
    stock_warehouse_orderpoint,
)
