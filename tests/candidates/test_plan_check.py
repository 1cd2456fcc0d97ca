"""The plan's inline validation reads only (issue 15: on the embedded SQLite each change of a
dropdown took the write lock) and answers what saving the plan would answer."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates import services
from candidates.plan_check import dossier_plan_check
from candidates.selectors import dossier_grid
from organisations.tenancy import tenant_context
from tests.candidates.conftest import make_candidate, make_dossier

WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT")


def _cases(grid):
    full = {f"modalite_{cr.capacite.pk}": str(cr.chosen.pk) for row in grid for cr in row.capacites}
    blocs = [row.bloc.pk for row in grid]
    cap = grid[0].capacites[0]
    multi = next(cr for row in grid for cr in row.capacites if len(cr.allowed) > 1)
    foreign = next(m.pk for row in grid for cr in row.capacites for m in cr.allowed if m not in cap.allowed)
    strip = {k.removeprefix("modalite_"): v for k, v in full.items()}
    return [
        (blocs, strip),
        ([], strip),
        (blocs[:1], strip),
        (blocs, strip | {str(multi.capacite.pk): ""}),
        (blocs, strip | {str(cap.capacite.pk): str(foreign)}),
        (blocs, strip | {"999999": str(foreign)}),
        (blocs + [999999], strip),
        (blocs, {k: "" for k in strip}),
        (blocs, {"abc": "1"}),
    ]


def test_the_check_writes_nothing_and_agrees_with_the_dry_run(habilitated, alice, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=make_candidate(alice))
        grid = dossier_grid(dossier=dossier)
        for blocs, modalites in _cases(grid):
            with CaptureQueriesContext(connection) as queries:
                answer = dossier_plan_check(dossier=dossier, blocs=blocs, modalites=modalites)
            writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
            assert writes == [], writes
            assert answer == services.dossier_plan_errors(
                dossier=dossier, blocs=blocs, modalites=modalites
            ), (
                blocs,
                modalites,
            )
