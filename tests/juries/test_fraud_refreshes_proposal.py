"""A jury decision on a fraud suspicion during the deliberation refreshes the stored proposal of
that dossier (seed 004: « Tout candidat dont la fraude est avérée voit sa session d'examen
invalidée, il ne valide aucun bloc. »)."""

import datetime as dt

import pytest

from candidates.models import Dossier
from candidates.services import dossier_transition
from evaluations import services as es
from juries import services as js
from juries.models import Decision
from juries.sanctions import fraude_statuer
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import inscribed_dossier
from tests.juries.conftest import FULL, JURY_DATE, _upload_required_pieces, compose_rncp, grade_rncp

ATTENTE = "en attente de la décision du jury sur l'incident"


def _suspected_before_an_open_jury(org_a, alice, rncp):
    dossier = inscribed_dossier(alice, rncp)
    session = es.session_create(by=alice, referentiel=rncp, intitule="Juin", lieu="Lyon")
    epreuve = es.epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas bloc 1",
        bloc=rncp.blocs.get(code="RNCP36390BC01"),
        date=dt.date.today() - dt.timedelta(days=1),
        heure_debut=dt.time(9),
        duree_minutes=180,
        lieu="Lyon",
    )
    (inscription,) = es.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    es.incident_record(
        inscription=inscription, by=alice, kind="fraude", pv="Téléphone consulté", contreseing="refus"
    )
    grade_rncp(dossier, alice, blocs=FULL)
    _upload_required_pieces(dossier, alice)
    dossier = dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice)
    jury = js.jury_create(by=alice, referentiel=rncp, intitule="Jury", date=JURY_DATE, lieu="Lyon")
    compose_rncp(jury)
    js.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
    js.jury_open(jury=jury, by=alice)
    decision = Decision.objects.get(jury=jury, dossier=dossier)
    assert any(ATTENTE in r for r in decision.raisons)
    return dossier, decision


@pytest.mark.parametrize(("nature", "proposition"), [("fraude", "ajourne"), ("non_retenue", "certifie")])
def test_fraud_decision_refreshes_the_proposal_in_deliberation(
    org_a, alice, referentiels, panel, nature, proposition
):
    with tenant_context(org_a):
        dossier, decision = _suspected_before_an_open_jury(org_a, alice, referentiels["rncp"])
        assert decision.proposition == "certifie"  # the PV alone invalidates nothing
        fraude_statuer(
            dossier=dossier, by=alice, nature=nature, motif="Décision motivée du jury", day=JURY_DATE
        )
        decision.refresh_from_db()
        assert decision.proposition == proposition
        assert not any(ATTENTE in r for r in decision.raisons)
        if nature == "fraude":
            assert decision.proposition_blocs == []  # « il ne valide aucun bloc »
            assert "Fraude constatée : aucun bloc validé" in decision.raisons
