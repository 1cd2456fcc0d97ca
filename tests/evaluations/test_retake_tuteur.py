"""RNCP36390 rattrapage (seed 004): the retake keeps the previous attempt's tuteur grade for the
évaluation professionnelle — carried when the retake is inscribed, read by the engine and the
readiness guard; the retaken blocs' épreuves are marked again (the écrit and the oral are kept
when the évaluation professionnelle was reached: tests/evaluations/test_rattrapage_seed004.py)."""

import pytest

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations.models import Resultat, ResultatChange, SuiviDossier
from evaluations.readiness import readiness_reasons
from evaluations.selectors import engine_inputs
from evaluations.services import resultat_record, resultat_validate
from organisations.tenancy import tenant_context
from tests.builders import rncp_partiel_first_attempt
from tests.juries.conftest import ready_dossier

S = Dossier.Status
WEAK = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    "RNCP36390BC03": (10, 10),
    "RNCP36390BC04": (35, 50),
}


@pytest.mark.parametrize("taux", [None, 4])
def test_retake_keeps_the_tuteur_grade_and_the_engine_reads_it(in_a, alice, referentiels, taux):
    rncp = referentiels["rncp"]
    first = rncp_partiel_first_attempt(alice, rncp, tuteur=42, taux_absence=taux)
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    assert not Resultat.objects.filter(dossier=retake).exists()  # a brouillon holds no result
    retake = candidates_services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    kept = Resultat.objects.get(dossier=retake, kind="composante", composante="tuteur")
    assert kept.points == 42 and kept.valide
    reason = ResultatChange.objects.filter(resultat=kept).values_list("reason", flat=True).first()
    assert reason.startswith("Note du tuteur conservée de la tentative 1")
    suivi = SuiviDossier.objects.filter(dossier=retake).first()
    assert (suivi.taux_absence if suivi else None) == taux  # the penalty is computed as before
    # the readiness guard no longer asks for the tuteur grade, still for the retaken bloc and the others
    reasons = readiness_reasons([retake])[retake.pk]
    assert not any("tuteur" in r for r in reasons)
    assert any("RNCP36390BC03" in r for r in reasons) and not any("écrit" in r for r in reasons)
    # marking the rest: the engine reads the kept grade (with its penalty) as in the first attempt
    bloc = rncp.blocs.get(code="RNCP36390BC03")
    resultat_validate(
        # « le candidat repasse uniquement les évaluations de blocs » (seed 004): its CC is carried
        resultat=resultat_record(dossier=retake, by=alice, bloc=bloc, epreuves=60),
        by=alice,
    )
    assert readiness_reasons([retake])[retake.pk] == []
    before, after = engine_inputs([first])[first.pk], engine_inputs([retake])[retake.pk]
    assert after.resultats.evaluation_professionnelle.composantes["tuteur"] == 42
    assert (
        after.resultats.evaluation_professionnelle.taux_absence
        == before.resultats.evaluation_professionnelle.taux_absence
    )


def test_no_grade_to_keep_and_no_double_carry(in_a, alice, referentiels):
    rncp = referentiels["rncp"]
    first = rncp_partiel_first_attempt(alice, rncp)
    Resultat.objects.filter(dossier=first, composante="tuteur").update(
        valide=False
    )  # not validated: nothing kept
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    assert not Resultat.objects.filter(dossier=retake, composante="tuteur").exists()
    assert any("tuteur" in r for r in readiness_reasons([retake])[retake.pk])


def test_capacite_referentiels_are_untouched(in_a, alice, referentiels):
    from tests.juries.conftest import grade_capacites

    cqpm = referentiels["cqpm"]

    def grade(dossier, by):
        grade_capacites(dossier, by, etats={cqpm.capacites.first().code: "non_acquis"})

    dossier = ready_dossier(alice, cqpm, grade=grade)
    with tenant_context(dossier.organisation):
        assert Resultat.objects.filter(dossier=dossier, kind="composante").count() == 0
