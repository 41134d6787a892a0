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


def marker_value(db, marker):
    """The ``ir_config_parameter`` value a benchmark wrote when its data were complete, or None
    (no such database, or not generated to the end)."""
    found = subprocess.run(
        ["psql", "-XtAc", f"SELECT value FROM ir_config_parameter WHERE key = '{marker}'", db],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def create_database(addons_path, conf, db, modules, reuse, say):
    """Reuse ``db`` (updating ecom_replenishment) when ``reuse`` is true, else recreate it with
    ``modules``; return whether it was created."""
    if reuse:
        say(f"reusing database {db}; updating ecom_replenishment")
        odoo_run(addons_path, conf, db, "--update=ecom_replenishment")
        return False
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    say(f"creating database {db} with {', '.join(modules)}")
    odoo_run(addons_path, conf, db, f"--init={','.join(modules)}")
    return True
