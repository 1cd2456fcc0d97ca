"""The dossier plan's inline validation, reading only.

The plan form checks each change of a bloc checkbox or a modalité dropdown (htmx). That check used
to run :func:`candidates.services.dossier_plan_update` in a savepoint rolled back: a write, which on
the embedded SQLite database took the write lock for every change of a dropdown. This walks the
same rules over the same rows without writing; ``tests/candidates/test_plan_check.py`` holds it to
the same answers as the dry run.
"""

from collections.abc import Iterable

from candidates.models import Dossier
from candidates.services.dossiers import _plan_tree, _requested_modalites, allowed_modalites
from core.errors import ApplicationError

MODALITE_MISSING = "Modalité à choisir : l'inscription du candidat l'exige."


def _check(dossier: Dossier, blocs: Iterable | None, modalites: dict | None) -> dict[str, list[str]]:
    tree = _plan_tree(dossier)
    by_id = {b.pk: b for b in tree}
    if blocs is None:
        wanted = set(by_id)
    else:
        wanted = {getattr(b, "pk", b) for b in blocs}
        if wanted - set(by_id):
            raise ApplicationError("Un des blocs choisis n'appartient pas à ce référentiel.", field="blocs")
    if not wanted:
        raise ApplicationError("Choisissez au moins un bloc de compétences.", field="blocs")
    carried = {db.bloc_id for db in dossier.blocs_vises.all() if db.acquis_anterieur}
    wanted |= carried
    chosen = {dm.capacite_id: dm.modalite_id for dm in dossier.modalites_choisies.all()}
    requested = _requested_modalites(modalites)
    missing: dict[str, list[str]] = {}
    for bloc in tree:
        for capacite in bloc.capacites.all():
            capacite.bloc = bloc
            if bloc.pk not in wanted or bloc.pk in carried:
                continue
            allowed = {m.pk for m in allowed_modalites(capacite)}
            choice = requested.get(capacite.pk, chosen.get(capacite.pk))
            if choice is None and len(allowed) == 1:
                choice = next(iter(allowed))
            if choice is None:
                missing[f"modalite_{capacite.pk}"] = [MODALITE_MISSING]
                continue
            if choice not in allowed:
                raise ApplicationError(
                    f"La modalité choisie pour la capacité {capacite.code} n'est pas permise par le référentiel.",
                    field="modalites",
                    extra={"capacite_id": capacite.pk},
                )
    if set(requested) - {c.pk for b in tree for c in b.capacites.all()}:
        raise ApplicationError("Une des capacités n'appartient pas à ce référentiel.", field="modalites")
    return missing


def dossier_plan_check(*, dossier: Dossier, blocs: Iterable | None, modalites: dict | None) -> dict:
    """What saving the plan would refuse, and the capacités of targeted blocs still without
    modalité; same keys as :func:`candidates.services.dossier_plan_errors`. Reads only."""
    try:
        return _check(dossier, blocs, modalites)
    except ApplicationError as exc:
        capacite_id = exc.extra.get("capacite_id")
        return {f"modalite_{capacite_id}" if capacite_id else (exc.field or "__all__"): [exc.message]}
