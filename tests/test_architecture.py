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


# --- access by actor (issue 18, point 5) -------------------------------------------------------------

#: Every getter by id that pages and the API use: each takes the actor, without a default (the
#: system passes ``actor=None`` in writing); no unscoped getter by id is left.
ACTOR_GETTERS = {
    "candidates.selectors": [
        "candidate_get",
        "dossier_get",
        "dossier_get_for_actor",
        "entreprise_get",
        "tuteur_get",
        "piece_get",
        "import_job_get",
    ],
    "evaluations.selectors": ["session_get", "epreuve_get", "inscription_get", "convocation_get"],
    "documents.selectors": ["document_get"],
    "juries.selectors": ["jury_get"],
}


def _getter_calls_without_actor(path: Path, names: set[str], root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        keywords = {k.arg for k in node.keywords}
        if name in names and not keywords & {"actor", "membership"}:
            found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    return found


def test_every_getter_by_id_requires_the_actor():
    import importlib
    import inspect

    for module, names in ACTOR_GETTERS.items():
        for name in names:
            parameters = inspect.signature(getattr(importlib.import_module(module), name)).parameters
            actor = parameters.get("actor") or parameters.get("membership")
            assert actor is not None, f"{module}.{name} ne prend pas l'acteur"
            assert actor.default is inspect.Parameter.empty, (
                f"{module}.{name} : l'acteur a une valeur par défaut"
            )


def test_no_page_or_api_calls_a_getter_by_id_without_the_actor():
    names = {name for names in ACTOR_GETTERS.values() for name in names}
    offenders = []
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                offenders += _getter_calls_without_actor(path, names)
    assert offenders == []


def test_the_getter_check_sees_a_call_without_the_actor(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "selectors.dossier_get(public_id=x)\ndossier_get(public_id=x, actor=m)\n", encoding="utf-8"
    )
    assert _getter_calls_without_actor(module, {"dossier_get"}, root=tmp_path) == ["views.py:1 dossier_get"]


def test_make_test_pure_runs_every_pure_module():
    """``make test-pure`` names the modules of pure code (sparing a whole collection); they are the
    ones tests/conftest.py marks ``pure``, which skip the cache clean-up that needs Redis."""
    from tests.conftest import PURE_MODULES

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^PURE_TESTS := ((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    paths = listed.replace("\\\n", " ").split()
    assert sorted(p.rstrip("/") for p in paths) == sorted(p.rstrip("/") for p in PURE_MODULES)
    for path in paths:
        assert (ROOT / path).exists(), path
