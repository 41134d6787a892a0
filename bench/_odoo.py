"""Helpers shared by the benchmarks (not one: `make bench` skips files starting with _)."""

import subprocess
import sys
from pathlib import Path


def odoo_run(addons_path, conf, db, *args):
    """Run the ``odoo`` launcher of this virtualenv on ``db`` with ``args``, then stop."""
    odoo_bin = Path(sys.executable).parent / "odoo"
    subprocess.run(
        [
            str(odoo_bin),
            "-c",
            conf,
            f"--addons-path={addons_path}",
            f"--database={db}",
            *args,
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )
