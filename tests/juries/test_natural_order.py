"""Codes in their natural order (1, 2 … 10) wherever blocs or capacités are listed: the proposal
(deliberation page, API, PV data), the PV's « acquis » column, the attestation's capacités, the
messages naming blocs — never the text order (1, 10, 2) in which an évaluateur once marked
capacité 8 instead of 9 (issue 14, point 7)."""

from types import SimpleNamespace

from juries.documents import _acquis_pv, _capacites_acquises
from juries.engine import proposition_json
from referentiels.regles import Decision, Proposition


def test_the_proposal_lists_validated_blocs_naturally():
    p = Proposition(
        decision=Decision.PARTIEL, blocs_valides=frozenset({"BC10", "BC2", "BC1"}), blocs=(), raisons=[]
    )
    assert proposition_json(p)["blocs_valides"] == ["BC1", "BC2", "BC10"]


def test_the_pv_lists_validated_blocs_naturally():
    decision = SimpleNamespace(blocs_valides=["BC10", "BC1", "BC2"])
    intitules = {"BC1": "Accueil", "BC2": "Gestion", "BC10": "Pilotage"}
    assert _acquis_pv(None, decision, intitules, True) == [
        "BC1 — Accueil",
        "BC2 — Gestion",
        "BC10 — Pilotage",
    ]


def test_the_attestation_lists_capacites_naturally():
    """CQPM (seed 001): « Capacité 9 » before « Capacité 10 » even when the référentiel declares
    no order between them."""
    bloc = SimpleNamespace(order=0)
    capacites = [
        SimpleNamespace(code=code, intitule=f"Capacité {code}", order=0, bloc=bloc)
        for code in ("10", "9", "1")
    ]
    jury = SimpleNamespace(_capacites_cache=capacites)
    decision = SimpleNamespace(details={"blocs": [{"capacites_non_acquises": []}]})
    assert [c["code"] for c in _capacites_acquises(jury, decision)] == ["1", "9", "10"]
