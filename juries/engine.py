"""The rules engine over many dossiers: one proposal per dossier, in a constant number of queries.

``referentiels.regles.propose`` is pure and judges one candidate; this module feeds it the
inputs of many dossiers at once (``evaluations.selectors.engine_inputs``: 6 queries whatever
the number) and turns each ``Proposition`` into plain JSON the jury's ``Decision`` keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from candidates.models import Dossier
from core.natural import natural_sorted
from evaluations.selectors import engine_inputs
from referentiels.regles import EntreeInvalide, Proposition, propose


def _num(value: Decimal | int | None) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def proposition_json(p: Proposition) -> dict:
    """What the deliberation page, the PV and the API show of a proposal (JSON-safe)."""
    ep = p.evaluation_professionnelle
    return {
        "decision": str(p.decision),
        "blocs_valides": natural_sorted(p.blocs_valides),  # BC2 before BC10
        "raisons": list(p.raisons),
        "total_points": _num(p.total_points),
        "total_max": p.total_max,
        # an exempted candidate's seuil is the blocs' share of it (375): an int, or exact digits
        "seuil_points": _num(p.seuil_points) if isinstance(p.seuil_points, Decimal) else p.seuil_points,
        "blocs": [
            {
                "code": b.code,
                "valide": b.valide,
                "reporte": b.reporte,
                "presente": b.presente,
                "controle_continu": _num(b.controle_continu),
                "epreuves": _num(b.epreuves),
                "points": _num(b.points),
                "points_max": b.points_max,
                "note_sur_20": _num(b.note_sur_20),
                "eliminatoire": b.eliminatoire,
                "capacites_non_acquises": list(b.capacites_non_acquises),
                "motif": b.motif,
            }
            for b in p.blocs
        ],
        "evaluation_professionnelle": None
        if ep is None
        else {
            "points": _num(ep.points),
            "points_max": ep.points_max,
            "minimum_points": ep.minimum_points,
            "atteinte": ep.atteinte,
            "calcul_tuteur": ep.calcul_tuteur,
            "composantes": [
                {"code": c.code, "libelle": c.libelle, "points": _num(c.points), "points_max": c.points_max}
                for c in ep.composantes
            ],
        },
    }


def propositions_for(dossiers: Iterable[Dossier], *, date_decision: dt.date) -> dict[int, Proposition]:
    """``{dossier_id: Proposition}`` for every dossier.

    Queries: those of ``engine_inputs`` (6), none per dossier (the règles are read there, once
    per référentiel: the dossiers need no ``select_related``). A dossier whose inputs
    contradict its règle gets no proposal but an ``EntreeInvalide`` in ``errors`` of
    :func:`propose_many`.
    """
    return propose_many(dossiers, date_decision=date_decision)[0]


def propose_many(
    dossiers: Iterable[Dossier], *, date_decision: dt.date
) -> tuple[dict[int, Proposition], dict[int, str]]:
    dossiers = list(dossiers)
    inputs = engine_inputs(dossiers)
    out: dict[int, Proposition] = {}
    errors: dict[int, str] = {}
    for dossier in dossiers:
        item = inputs[dossier.pk]
        try:
            out[dossier.pk] = propose(item.regle, item.structure, item.resultats, date_decision=date_decision)
        except EntreeInvalide as exc:
            errors[dossier.pk] = str(exc)
    return out, errors
