"""Absence and non-présentation are facts, never a 0 in disguise (seed 004, règlement d'examen),
and each part of a bloc result is its own value (API included).

« En cas de non-présentation : - aux blocs : la non-présentation à au moins une évaluation de bloc
induit la non-validation du bloc. - l'absence de période en entreprise, la non remise de rapport
dans les délais fixés ou la non-présentation à la soutenance, induisent la non-obtention du diplôme
mais il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne, soit 10/20 (blocs
validés). »
"""

from decimal import Decimal

import pytest

from core.errors import ApplicationError
from evaluations.models import Resultat
from evaluations.selectors import engine_inputs
from evaluations.services import resultat_record, resultat_validate
from organisations.tenancy import tenant_context
from referentiels.regles import propose
from tests.evaluations.conftest import inscribed_dossier
from tests.juries.conftest import FULL, grade_rncp

BC1 = "RNCP36390BC01"


def _propose(dossier):
    i = engine_inputs([dossier])[dossier.pk]
    return propose(i.regle, i.structure, i.resultats, date_decision=dossier.date_inscription)


def test_soutenance_missed_without_reason_keeps_the_blocs_but_not_the_title(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    grade_rncp(dossier, alice, blocs=FULL, oral=None)
    r = resultat_record(dossier=dossier, by=alice, composante="oral", absence_non_justifiee=True)
    assert r.points is None and r.absence_non_justifiee  # the fact, not a 0
    resultat_validate(resultat=r, by=alice)
    inputs = engine_inputs([dossier])[dossier.pk]
    assert inputs.resultats.evaluation_professionnelle.absences == {"oral"}  # received explicitly
    p = _propose(dossier)
    assert p.decision == "partiel"
    assert p.blocs_valides == frozenset(FULL)  # every bloc ≥ 10/20 kept
    assert (
        "Évaluation professionnelle : Oral — non présenté sans motif recevable : non-obtention du diplôme, "
        "les blocs d'au moins 10/20 sont conservés"
    ) in p.raisons


def test_an_absent_composante_takes_no_mark(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    with pytest.raises(ApplicationError, match="candidat absent .non justifié., pas de note"):
        resultat_record(dossier=dossier, by=alice, composante="ecrit", points=40, absence_non_justifiee=True)
    assert not Resultat.objects.filter(dossier=dossier).exists()


def test_bloc_epreuve_missed_is_not_validated(in_a, alice, referentiels):
    """« la non-présentation à au moins une évaluation de bloc induit la non-validation du bloc »"""
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    grade_rncp(dossier, alice, blocs={k: v for k, v in FULL.items() if k != BC1})
    bloc = ref.blocs.get(code=BC1)
    resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu=90)
    r = resultat_record(dossier=dossier, by=alice, bloc=bloc, absence_non_justifiee=True)
    assert (r.controle_continu, r.epreuves, r.absence_non_justifiee) == (Decimal("90"), None, True)
    resultat_validate(resultat=r, by=alice)  # the absence is a complete, validatable fact
    p = _propose(dossier)
    assert BC1 not in p.blocs_valides and p.decision == "partiel"
    # a mark entered later means the candidate sat the épreuve: the absence goes
    r = resultat_record(dossier=dossier, by=alice, bloc=bloc, epreuves=100)
    assert (r.controle_continu, r.epreuves, r.absence_non_justifiee) == (Decimal("90"), Decimal("100"), False)


def test_api_writes_one_part_without_erasing_the_other(org_a, alice, referentiels, api_for):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
    api = api_for(alice)
    url = f"/api/v1/o/{org_a.slug}/dossiers/{dossier.public_id}/resultats/"
    assert api.post(url, {"bloc": BC1, "epreuves": "120"}, format="json").status_code == 201
    r = api.post(url, {"bloc": BC1, "controle_continu": "80"}, format="json")
    assert r.status_code == 201
    with tenant_context(org_a):
        res = Resultat.objects.get(dossier=dossier, bloc__code=BC1)
        assert (res.controle_continu, res.epreuves) == (Decimal("80"), Decimal("120"))
    rows = [{"dossier": str(dossier.public_id), "bloc": BC1, "controle_continu": "81"}]
    assert (
        api.post(f"/api/v1/o/{org_a.slug}/resultats/bulk/", {"resultats": rows}, format="json").status_code
        == 201
    )
    # an explicit null clears that part only
    assert api.post(url, {"bloc": BC1, "epreuves": None}, format="json").status_code == 201
    with tenant_context(org_a):
        res = Resultat.objects.get(dossier=dossier, bloc__code=BC1)
        assert (res.controle_continu, res.epreuves) == (Decimal("81"), None)
