"""pytest set-up shared by every test of the repository.

The addons' plain-Python cores (``addons/<addon>/<addon>_core``) are importable as top-level
packages (``import ecom_channels_core``) so that their unit tests need no Odoo and no database.
Odoo itself is started by pytest-odoo from the options ``make test`` passes.
"""

import sys
from pathlib import Path

ADDONS = Path(__file__).resolve().parent / "addons"
for addon in sorted(ADDONS.iterdir()):
    if (addon / "__manifest__.py").is_file() and str(addon) not in sys.path:
        sys.path.insert(0, str(addon))
