"""The engine over real results for every rule family and boundary of seeds 000–004.

The pure engine is unit-tested in tests/referentiels/test_regles.py; here results go through
the evaluations services, are read back by ``juries.engine`` (constant queries) and land on
the jury's decisions — the path a real deliberation takes.
"""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import Dossier
from candidates.services import dossier_deliberate, dossier_rattrapage_open, dossier_transition
from juries.engine import propose_many, proposition_json
from organisations.models import Organisation
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant
from tests.juries.conftest import JURY_DATE, grade_capacites, grade_rncp, ready_dossier


def _propose(dossier, day=JURY_DATE):
    dossier = Dossier.objects.select_related("referentiel").get(pk=dossier.pk)
    propositions, errors = propose_many([dossier], date_decision=day)
    assert not errors, errors
    return propositions[dossier.pk]


@pytest.fixture
def more_referentiels(org_a, referentiels):
    uimm = Organisation.objects.get(slug="uimm")
    cpnef = Organisation.objects.create(kind="certificateur", slug="cpnef", name="CPNEF Papier-Carton")
    out = dict(referentiels)
    out["cqpm_management"] = load_seed("cqpm-management-equipes.json", uimm)
    out["cqpm_affaires"] = load_seed("cqpm-responsable-affaires.json", uimm)
    out["cqpi"] = load_seed("cqpi-assistant.json", cpnef)
    for ref, cert in ((out["cqpm_management"], uimm), (out["cqpm_affaires"], uimm), (out["cqpi"], cpnef)):
        habilitation_grant(certificateur=cert, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1))
    return out


# --- seeds 000–002: CQPM, every capacité acquired -------------------------------------------


@pytest.mark.parametrize("key", ["cqpm", "cqpm_management", "cqpm_affaires"])
def test_cqpm_every_capacite_acquired(in_a, alice, more_referentiels, key):
    ref = more_referentiels[key]
    caps = list(ref.capacites.order_by("bloc__order", "order"))
    assert _propose(ready_dossier(alice, ref)).decision == "certifie"
    last = caps[-1].code
    p = _propose(
        ready_dossier(alice, ref, grade=lambda d, by: grade_capacites(d, by, etats={last: "non_acquis"}))
    )
    assert p.decision == "ajourne" and p.blocs_valides == frozenset()
    assert any(last in r and "non acquise" in r for r in p.raisons)
    p = _propose(
        ready_dossier(alice, ref, grade=lambda d, by: grade_capacites(d, by, etats={caps[0].code: "absent"}))
    )
    assert p.decision == "ajourne" and any("absent" in r for r in p.raisons)


# --- seed 003: CQPI, every bloc acquired (a bloc when all its compétences are) --------------


def test_cqpi_blocs(in_a, alice, more_referentiels):
    ref = more_referentiels["cqpi"]
    assert _propose(ready_dossier(alice, ref)).decision == "certifie"
    bc2 = ref.blocs.get(code="BC2").capacites.first().code
    p = _propose(
        ready_dossier(alice, ref, grade=lambda d, by: grade_capacites(d, by, etats={bc2: "non_acquis"}))
    )
    assert p.decision == "partiel" and p.blocs_valides == {"BC1", "BC3", "BC4"}
    one_per_bloc = {b.capacites.first().code: "non_acquis" for b in ref.blocs.all()}
    p = _propose(ready_dossier(alice, ref, grade=lambda d, by: grade_capacites(d, by, etats=one_per_bloc)))
    assert p.decision == "ajourne" and p.blocs_valides == frozenset()


# --- seed 004: RNCP36390 points grid ---------------------------------------------------------

# Every bloc exactly at 10/20 and the évaluation professionnelle exactly at its minimum: 500/1000.
AT_10 = {
    "RNCP36390BC01": (50, 75),
    "RNCP36390BC02": (35, "52.5"),
    "RNCP36390BC03": (35, "52.5"),
    "RNCP36390BC04": (30, 45),
}
EP_MIN = {"ecrit": 65, "oral": 35, "tuteur": 25}


def _rncp(alice, ref, **kwargs):
    return _propose(ready_dossier(alice, ref, grade=lambda d, by: grade_rncp(d, by, **kwargs)))


def test_rncp_total_exactly_at_the_seuil_certifies(in_a, alice, referentiels):
    p = _rncp(alice, referentiels["rncp"], blocs=AT_10, **EP_MIN)
    assert p.total_points == Decimal("500") and p.decision == "certifie"


def test_rncp_one_hundredth_below_the_seuil_and_the_conservation_mark(in_a, alice, referentiels):
    blocs = AT_10 | {"RNCP36390BC04": ("29.99", 45)}
    p = _rncp(alice, referentiels["rncp"], blocs=blocs, **EP_MIN)
    assert p.total_points == Decimal("499.99") and p.decision == "partiel"
    assert p.blocs_valides == {"RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC03"}  # BC04 74.99/150 < 10/20


def test_rncp_eliminatory_mark_boundary(in_a, alice, referentiels):
    at_min = {
        "RNCP36390BC01": (100, 150),
        "RNCP36390BC02": (30, 40),
        "RNCP36390BC03": (70, 105),
        "RNCP36390BC04": (60, 90),
    }
    p = _rncp(alice, referentiels["rncp"], blocs=at_min)
    assert (
        p.decision == "certifie" and "RNCP36390BC02" in p.blocs_valides
    )  # 70/175: exactly the minimum, compensated
    below = at_min | {"RNCP36390BC02": (30, 39)}
    p = _rncp(alice, referentiels["rncp"], blocs=below)
    assert p.decision == "partiel" and "RNCP36390BC02" not in p.blocs_valides
    assert any("69/175" in r and "minimum 70" in r for r in p.raisons)


def test_rncp_evaluation_professionnelle_minimum(in_a, alice, referentiels):
    p = _rncp(alice, referentiels["rncp"], ecrit=64, oral=35, tuteur=25)  # 124/250
    assert p.decision == "partiel" and len(p.blocs_valides) == 4  # blocs kept, no title
    assert any("valuation professionnelle" in r for r in p.raisons)


def test_rncp_absence_penalty_on_the_tuteur_grade(in_a, alice, referentiels):
    p = _rncp(alice, referentiels["rncp"], taux_absence="2.5")  # exactly 2.5 %: first range (0, 2.5] → 5 %
    assert p.evaluation_professionnelle.tuteur_apres_penalite == Decimal("38")
    p = _rncp(alice, referentiels["rncp"], taux_absence="2.51")  # → 10 %
    assert p.evaluation_professionnelle.tuteur_apres_penalite == Decimal("36")
    p = _rncp(alice, referentiels["rncp"], taux_absence="0")
    assert p.evaluation_professionnelle.tuteur_apres_penalite == Decimal("40")
    p = _rncp(alice, referentiels["rncp"], taux_absence="12")  # beyond 10 %: still 15 %
    assert p.evaluation_professionnelle.tuteur_apres_penalite == Decimal("34")


def test_rncp_fraud_and_unjustified_absence(in_a, alice, referentiels):
    p = _rncp(alice, referentiels["rncp"], fraude=True)
    assert (
        p.decision == "ajourne" and p.blocs_valides == frozenset() and any("Fraude" in r for r in p.raisons)
    )
    p = _rncp(alice, referentiels["rncp"], absent={"RNCP36390BC03"})
    assert p.decision == "partiel" and "RNCP36390BC03" not in p.blocs_valides
    detail = next(b for b in p.blocs if b.code == "RNCP36390BC03")
    assert detail.epreuves == Decimal("0")


def test_rncp_blocs_carried_from_an_earlier_attempt_within_five_years(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    first = ready_dossier(alice, ref, grade=lambda d, by: grade_rncp(d, by, blocs=FULL_BUT_BC02, ecrit=40))
    first_p = _propose(first)
    assert first_p.decision == "partiel"
    day1 = dt.date(2025, 6, 12)
    dossier_deliberate(
        dossier=first, by=alice, decision="partiel", blocs_acquis=sorted(first_p.blocs_valides), date=day1
    )
    retake = dossier_rattrapage_open(
        dossier=Dossier.objects.get(pk=first.pk), by=alice, date_inscription=dt.date(2025, 9, 1)
    )
    dossier_transition(
        dossier=retake, to="inscrit", by=alice, reason="rattrapage"
    ) if retake.status == "brouillon" else None
    # the tuteur grade is kept from the first attempt (seed 004), not marked again
    # « le candidat repasse uniquement les évaluations de blocs »: the CC (20) is carried, the épreuves marked again
    grade_rncp(retake, alice, blocs={"RNCP36390BC02": (20, 90)}, ecrit=100, tuteur=None)
    dossier_transition(dossier=retake, to="pret_pour_jury", by=alice)
    p = _propose(retake, day=dt.date(2026, 6, 12))
    assert p.decision == "certifie"
    carried = [b for b in p.blocs if b.reporte]
    assert {b.code for b in carried} == {"RNCP36390BC01", "RNCP36390BC03", "RNCP36390BC04"}
    # the anniversary day is still inside the 5 years; the day after, the blocs have expired
    assert _propose(retake, day=dt.date(2030, 6, 12)).decision == "certifie"
    late = _propose(retake, day=dt.date(2030, 6, 13))
    assert late.decision != "certifie" and any("expir" in r or "5 ans" in r for r in late.raisons)


FULL_BUT_BC02 = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


def test_proposal_json_is_what_the_decision_keeps(in_a, alice, referentiels):
    data = proposition_json(_rncp(alice, referentiels["rncp"]))
    assert data["decision"] == "certifie" and data["total_points"] == "615"
    assert {b["code"] for b in data["blocs"]} == set(AT_10)


def test_engine_queries_are_constant(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    dossiers = [ready_dossier(alice, ref, nom_naissance=f"N{i}") for i in range(12)]
    ids = [d.pk for d in dossiers]
    counts = []
    for n in (1, 12):
        qs = Dossier.objects.select_related("referentiel").filter(pk__in=ids[:n])
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            propositions, _errors = propose_many(qs, date_decision=JURY_DATE)
            elapsed = time.perf_counter() - started
        assert len(propositions) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 10, counts  # the dossiers + 6 for engine_inputs
    assert elapsed < 5
