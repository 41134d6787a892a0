"""pytest set-up shared by every test of the repository.

- The addons' plain-Python cores (``addons/<addon>/<addon>_core``) are importable as top-level
  packages (``import ecom_channels_core``), so their unit tests need no Odoo and no database. The
  addon folders go at the end of ``sys.path``: ``tests`` stays this repository's ``tests`` package.
- ``make test`` passes the ``--odoo-*`` options, and pytest-odoo starts Odoo for the whole run.
  Without them (``.venv/bin/python -m pytest tests/unit``) the plugin is switched off, so the
  plain unit tests run on their own in seconds.
"""

import logging
import os
import sys
from pathlib import Path

import pytest

# pytest-odoo imports Odoo's test framework before Odoo's test mode is on, and Odoo then logs an
# ERROR meant for business code that imports it. Under pytest that import is the expected one.
logging.getLogger("odoo.tests.common").addFilter(
    lambda record: not record.getMessage().startswith("Importing test framework")
)

ADDONS = Path(__file__).resolve().parent / "addons"
for addon in sorted(ADDONS.iterdir()):
    if (addon / "__manifest__.py").is_file() and str(addon) not in sys.path:
        sys.path.append(str(addon))


def _odoo_requested(config):
    options = ("--odoo-database", "--odoo-config", "--odoo-dev")
    return any(config.getoption(o, default=None) for o in options) or bool(
        os.environ.get("ODOO_RC") or os.environ.get("OPENERP_SERVER")
    )


class _WithoutOdoo:
    """Registered after pytest-odoo when no Odoo was asked for: its session fixtures do nothing."""

    @pytest.fixture(scope="session", autouse=True)
    def load_registry(self):
        yield

    @pytest.fixture(scope="session", autouse=True)
    def load_http(self):
        yield

    @pytest.fixture(scope="module", autouse=True)
    def enable_odoo_test_flag(self):
        yield


def pytest_configure(config):
    if config.pluginmanager.has_plugin("odoo") and not _odoo_requested(config):
        config.pluginmanager.register(_WithoutOdoo(), "ecom-without-odoo")
