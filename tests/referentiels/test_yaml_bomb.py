"""Issue 16: « a 420-byte référentiel file (8 levels × 10 aliases) on the import dry run took 52.8 s
and 2.5 GB ». YAML is read without aliases: the bomb is refused at its first alias."""

import time
import tracemalloc

import pytest

from referentiels.exchange import FormatError, document_parse
from referentiels.forms import RegleForm


def alias_bomb(levels: int = 8, fanout: int = 10) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(fanout))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_on_the_import_is_refused_within_budget():
    text = alias_bomb()
    assert len(text.encode()) < 600
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(FormatError) as exc:
        document_parse(text.encode(), "bombe.yaml")
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n[budget] YAML 8 niveaux × 10 alias: peak {peak / 1024 / 1024:.2f} MB, {seconds:.3f} s")
    assert "alias YAML (*a0) ne sont pas acceptés" in str(exc.value)
    assert "ligne 2, colonne 10" in str(exc.value)
    assert seconds < 1 and peak < 10 * 1024 * 1024


def test_alias_bomb_in_the_regle_editor_is_a_form_error():
    form = RegleForm(data={"regle": "type: toutes_capacites\n" + alias_bomb()})
    assert not form.is_valid()
    assert "alias YAML" in form.errors["regle"][0]


def test_yaml_without_aliases_still_reads():
    from core import safeyaml

    assert safeyaml.safe_load("a: &x 1\nb: [1, 2]\n") == {"a": 1, "b": [1, 2]}
