"""The national bench seed (bench/national.py) writes every column the schema requires.

Its INSERT … SELECT statements name their columns by hand; a migration that adds a NOT NULL
column without a database default broke it silently once (the bench is not part of
``make test``). Each statement must list every such column of its table, and only columns
that exist."""

import re
from pathlib import Path

import pytest
from django.db import connection

import bench.national

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the seed is PostgreSQL's")

INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")


def _inserts() -> dict[str, list[set[str]]]:
    source = Path(bench.national.__file__).read_text()
    found: dict[str, list[set[str]]] = {}
    for table, columns in INSERT.findall(source):
        found.setdefault(table, []).append({c.strip().strip('"') for c in columns.split(",")})
    return found


def _columns(table: str) -> tuple[set[str], set[str]]:
    """(every column, the NOT NULL columns without a default or identity) of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
            [table],
        )
        rows = cursor.fetchall()
    return {name for name, _ in rows}, {name for name, required in rows if required}


def test_the_seed_inserts_every_table_it_fills(db):
    inserts = _inserts()
    assert set(bench.national.TABLES) <= set(inserts), set(bench.national.TABLES) - set(inserts)


def test_each_seed_insert_names_every_required_column_and_only_existing_ones(db):
    for table, statements in _inserts().items():
        existing, required = _columns(table)
        assert existing, f"{table}: no such table"
        for columns in statements:
            assert columns <= existing, f"{table}: unknown columns {sorted(columns - existing)}"
            assert required <= columns, (
                f"{table}: NOT NULL without default, not seeded {sorted(required - columns)}"
            )
