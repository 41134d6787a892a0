# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

ABC_CLASSES = [("a", "A"), ("b", "B"), ("c", "C")]


class ProductProduct(models.Model):
    _inherit = "product.product"

    ecom_abc_class = fields.Selection(
        ABC_CLASSES,
        string="ABC Class",
        default="c",
        readonly=True,
        help="By sales value over the company's ABC window (recomputed daily): decides how "
        "often the bins holding the product are counted.",
    )

    def _ecom_home_location(self, location):
        """The bin under ``location`` where the putaway rules send this product (``location``
        itself when no rule applies)."""
        self.ensure_one()
        return location._get_putaway_strategy(self)

    def _ecom_screen_values(self):
        return [
            {
                "id": product.id,
                "name": product.display_name,
                "barcode": product.barcode or "",
                "default_code": product.default_code or "",
                "tracking": product.tracking,
            }
            for product in self
        ]
