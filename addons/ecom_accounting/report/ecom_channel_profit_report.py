# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class EcomChannelProfitReport(models.Model):
    """Channel profitability: revenue of posted invoices, marketplace fees of posted settlement
    entries, carrier cost of shipped deliveries and cost of goods of their stock moves, per
    channel, product and day, in the company's currency."""

    _name = "ecom.channel.profit.report"
    _description = "Channel Profitability"
    _auto = False
    _order = "date desc"
    _rec_name = "channel_id"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    channel_id = fields.Many2one("ecom.channel", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", "Product Category", readonly=True)
    revenue = fields.Monetary(readonly=True, help="Invoiced, without taxes, less credit notes.")
    fees = fields.Monetary("Marketplace Fees", readonly=True)
    shipping_cost = fields.Monetary(readonly=True, help="Carrier cost of the deliveries.")
    cogs = fields.Monetary("Cost of Goods", readonly=True, help="Stock value of the goods sold.")
    margin = fields.Monetary(
        readonly=True, help="Revenue less fees, shipping cost and cost of goods."
    )

    @property
    def _table_query(self):
        return """
            SELECT row_number() OVER () AS id, r.*, r.revenue - r.fees - r.shipping_cost - r.cogs
                   AS margin, pt.categ_id, c.currency_id
              FROM (
                -- revenue: posted customer invoices and credit notes of channel orders
                SELECT aml.date, aml.company_id, am.ecom_channel_id AS channel_id, aml.product_id,
                       -aml.balance AS revenue, 0.0 AS fees, 0.0 AS shipping_cost, 0.0 AS cogs
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'out_refund')
                   AND am.ecom_channel_id IS NOT NULL
                   AND aml.display_type = 'product'
                UNION ALL
                -- marketplace fees: journal items flagged as fees in posted entries
                SELECT aml.date, aml.company_id, am.ecom_channel_id, NULL, 0.0, aml.balance,
                       0.0, 0.0
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE am.state = 'posted' AND aml.ecom_fee AND am.ecom_channel_id IS NOT NULL
                UNION ALL
                -- carrier cost of the shipped deliveries
                SELECT sp.date_done::date, sp.company_id, so.ecom_channel_id, NULL, 0.0, 0.0,
                       sp.carrier_price, 0.0
                  FROM stock_picking sp
                  JOIN sale_order so ON so.id = sp.sale_id
                 WHERE sp.state = 'done' AND so.ecom_channel_id IS NOT NULL
                   AND COALESCE(sp.carrier_price, 0.0) != 0.0
                UNION ALL
                -- cost of goods: stock value of the moves of channel order lines
                SELECT sm.date::date, svl.company_id, so.ecom_channel_id, svl.product_id, 0.0,
                       0.0, 0.0, -svl.value
                  FROM stock_valuation_layer svl
                  JOIN stock_move sm ON sm.id = svl.stock_move_id
                  JOIN sale_order_line sol ON sol.id = sm.sale_line_id
                  JOIN sale_order so ON so.id = sol.order_id
                 WHERE so.ecom_channel_id IS NOT NULL AND sm.state = 'done'
              ) r
              LEFT JOIN product_product pp ON pp.id = r.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN res_company c ON c.id = r.company_id
        """
