"""RNCP36390 rattrapage as seed 004's règlement d'examen defines it.

« Dans le cadre d'une présentation aux épreuves de rattrapage : le candidat repasse uniquement les
évaluations de blocs et conserve le bénéfice de sa note de tuteur pour l'évaluation
professionnelle. »
« Dans l'hypothèse où le candidat n'obtient pas 10 de moyenne générale, … il conserve le bénéfice
des blocs pour lesquels il a obtenu la moyenne, soit 10/20 (blocs validés). »
« Le candidat a la possibilité de repasser les blocs non validés, une seule fois par bloc, dans un
délai de 5 ans. »
"""

from decimal import Decimal

import pytest

from candidates import services as candidates_services
from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations.models import Resultat
from evaluations.readiness import readiness_reasons
from evaluations.selectors import engine_inputs
from evaluations.services import resultat_record, resultat_validate
from referentiels.regles import propose
from tests.juries.conftest import grade_rncp, ready_dossier

S = Dossier.Status
BC03 = "RNCP36390BC03"
# First attempt: blocs 1, 2, 4 above 10/20 (140/250, 100/175, 85/150), bloc 3 eliminatory
# (20/175 < 70), évaluation professionnelle exactly at its minimum (70 + 45 + 10 = 125/250).
FIRST = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    BC03: (10, 10),
    "RNCP36390BC04": (35, 50),
}


def _first_attempt(alice, rncp):
    def grade(dossier, by):
        grade_rncp(dossier, by, blocs=FIRST, ecrit=70, oral=45, tuteur=10)

    dossier = ready_dossier(alice, rncp, grade=grade)
    inputs = engine_inputs([dossier])[dossier.pk]
    p = propose(inputs.regle, inputs.structure, inputs.resultats, date_decision=dossier.date_inscription)
    assert p.decision == "partiel"
    assert sorted(p.blocs_valides) == ["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"]
    return candidates_services.dossier_deliberate(
        dossier=dossier, by=alice, decision="partiel", blocs_acquis=sorted(p.blocs_valides)
    )


def test_rattrapage_retakes_only_the_bloc_epreuve_and_counts_real_carried_points(in_a, alice, referentiels):
    rncp = referentiels["rncp"]
    first = _first_attempt(alice, rncp)
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    # « repasse uniquement les évaluations de blocs »: the contrôle continu of bloc 3 is kept,
    # the écrit and the oral (évaluation professionnelle reached) and the tuteur grade too.
    bloc3 = Resultat.objects.get(dossier=retake, kind="bloc")
    assert (bloc3.bloc.code, bloc3.controle_continu, bloc3.epreuves) == (BC03, Decimal("10"), None)
    kept = dict(
        Resultat.objects.filter(dossier=retake, kind="composante", valide=True).values_list(
            "composante", "points"
        )
    )
    assert kept == {"ecrit": Decimal("70"), "oral": Decimal("45"), "tuteur": Decimal("10")}
    assert readiness_reasons([retake])[retake.pk] == [f"Bloc {BC03} : résultat non validé."]
    # the évaluateur marks the bloc's épreuve only: the kept contrôle continu stays
    r = resultat_record(dossier=retake, by=alice, bloc=rncp.blocs.get(code=BC03), epreuves=60)
    assert (r.controle_continu, r.epreuves) == (Decimal("10"), Decimal("60"))
    resultat_validate(resultat=r, by=alice)
    inputs = engine_inputs([retake])[retake.pk]
    carried = {a.bloc: a.points for a in inputs.resultats.blocs_acquis_anterieurs}
    assert carried == {"RNCP36390BC01": 140, "RNCP36390BC02": 100, "RNCP36390BC04": 85}
    p = propose(inputs.regle, inputs.structure, inputs.resultats, date_decision=retake.date_inscription)
    # 140 + 100 + 70 + 85 + 125 = 520 ≥ 500; at the 10/20 floor it would be 482,5 (ajourné)
    assert p.total_points == Decimal("520")
    assert p.decision == "certifie"


def test_one_retake_per_bloc(in_a, alice, referentiels):
    """« une seule fois par bloc »"""
    rncp = referentiels["rncp"]
    first = _first_attempt(alice, rncp)
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    r = resultat_record(dossier=retake, by=alice, bloc=rncp.blocs.get(code=BC03), epreuves=5)
    resultat_validate(resultat=r, by=alice)
    from tests.juries.conftest import _upload_required_pieces

    _upload_required_pieces(retake, alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=S.PRET_POUR_JURY, by=alice)
    retake = candidates_services.dossier_deliberate(
        dossier=retake,
        by=alice,
        decision="partiel",
        blocs_acquis=["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"],
    )
    with pytest.raises(ApplicationError, match="n'autorise que 1 rattrapage"):
        candidates_services.dossier_rattrapage_open(dossier=retake, by=alice)


def test_failed_professional_evaluation_is_presented_again(in_a, alice, referentiels):
    """« Concernant l'épreuve professionnelle, le candidat a la possibilité de présenter un dossier
    lié à une problématique professionnelle » : below its minimum, the écrit and the oral are not
    kept (the tuteur grade is)."""
    rncp = referentiels["rncp"]

    def grade(dossier, by):
        grade_rncp(dossier, by, blocs=FIRST, ecrit=60, oral=45, tuteur=10)  # 115 < 125

    dossier = ready_dossier(alice, rncp, grade=grade)
    first = candidates_services.dossier_deliberate(
        dossier=dossier, by=alice, decision="partiel", blocs_acquis=["RNCP36390BC01"]
    )
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    kept = set(
        Resultat.objects.filter(dossier=retake, kind="composante").values_list("composante", flat=True)
    )
    assert kept == {"tuteur"}
