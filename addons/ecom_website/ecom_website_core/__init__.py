"""Plain-Python rules of the website channel (no Odoo import): what a website listing needs,
the page title of a product from its variant listing, the public category a mapping names."""
