"""Every package the addons import directly is pinned in requirements.txt, and the addon that
imports it (outside its tests) names it in its manifest's ``external_dependencies`` (Odoo then
refuses to install the addon without it). Read from the sources: no Odoo, no database."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Top-level names of the project's own packages (the tests' emulators, the benchmarks).
OWN = {path.name for path in ROOT.iterdir() if path.is_dir()} | {"odoo"}


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements():
    """``{distribution: pinned?}`` of requirements.txt."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"([A-Za-z0-9_.\-]+)\s*(==)?", line)
        found[normalize(match.group(1))] = found.get(normalize(match.group(1))) or bool(
            match.group(2)
        )
    return found


def imported_modules(path):
    """Top-level names of the absolute imports of the Python file ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def third_party(addon):
    """``{(file, module, in tests)}`` of the third-party imports of ``addon``'s code."""
    for path in sorted(addon.rglob("*.py")):
        in_tests = "tests" in path.relative_to(addon).parts
        for module in imported_modules(path):
            if module in sys.stdlib_module_names or module in OWN:
                continue
            if (addon / module).exists() or (addon / f"{module}.py").exists():
                continue  # the addon's own plain-Python package
            yield path.relative_to(ROOT), module, in_tests


def addons():
    return sorted(p.parent for p in (ROOT / "addons").glob("*/__manifest__.py"))


def test_every_direct_import_is_pinned_and_declared():
    pinned = requirements()
    providers = packages_distributions()
    problems = []
    for addon in addons():
        manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
        declared = {
            normalize(name) for name in manifest.get("external_dependencies", {}).get("python", [])
        }
        for path, module, in_tests in third_party(addon):
            dists = {normalize(d) for d in providers.get(module, [])}
            if not dists:
                problems.append(f"{path}: imports {module}, which no installed package provides")
                continue
            if not any(pinned.get(d) for d in dists):
                problems.append(f"{path}: imports {module} ({', '.join(dists)}), not pinned")
            if not in_tests and not dists & declared:
                problems.append(
                    f"{path}: imports {module} ({', '.join(dists)}), not in the manifest's "
                    "external_dependencies"
                )
    assert problems == []


def test_the_check_sees_imports():
    """The check reads imports, skips the standard library and the project's own packages."""
    this = Path(__file__)
    assert {"ast", "re", "sys", "pathlib", "importlib"} <= set(imported_modules(this))
    modules = {m for __, m, __ in third_party(ROOT / "addons" / "ecom_channels")}
    assert "requests" in modules and "odoo" not in modules and "json" not in modules
