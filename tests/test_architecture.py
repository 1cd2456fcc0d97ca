"""The layers themselves are import-linter's contract (pyproject.toml, `make lint`); what it cannot
say is checked here: no app imports another app's private names (``_name`` or a ``_module``)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = {
    "accounts",
    "candidates",
    "certificateur",
    "config",
    "core",
    "documents",
    "espace_candidat",
    "evaluations",
    "juries",
    "organisations",
    "referentiels",
}


def _private_imports(path: Path, app: str, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        target = node.module.split(".")[0]
        if target not in APPS or target == app:
            continue
        names = [a.name for a in node.names if a.name.startswith("_")]
        if any(part.startswith("_") for part in node.module.split(".")):
            names.append(node.module)
        found += [f"{path.relative_to(root)}:{node.lineno} {node.module} {name}" for name in names]
    return found


def test_no_app_imports_another_apps_private_names():
    offenders = []
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                offenders += _private_imports(path, app)
    assert offenders == []


def test_the_check_sees_a_private_import(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from evaluations.services._common import _history\n", encoding="utf-8")
    assert len(_private_imports(module, "juries", root=tmp_path)) == 2  # the _module and the _name


def test_every_database_trigger_is_in_the_index():
    """docs/architecture.md lists the triggers PostgreSQL enforces; a new one joins the index."""
    index = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    created = set()
    for path in ROOT.glob("*/migrations/*.py"):
        created |= set(re.findall(r"CREATE TRIGGER (\w+)", path.read_text(encoding="utf-8")))
    assert created, "no trigger found: the scan is broken"
    assert sorted(t for t in created if f"`{t}`" not in index) == []


def test_every_oversight_policy_is_in_the_index():
    index = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tables = set()
    for path in ROOT.glob("*/migrations/*.py"):
        tables |= set(re.findall(r"OversightPolicy\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert tables, "no oversight policy found: the scan is broken"
    assert sorted(t for t in tables if f"`{t}`" not in index) == []
