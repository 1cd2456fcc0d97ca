"""The PV d'incident records a suspicion that the jury decides (seed 004, « Fraude aux examens de
validation de blocs »).

« En cas de fraude ou de tentative de fraude, le surveillant prendra toutes les mesures nécessaires
pour faire cesser la fraude ou la tentative de fraude, sans interrompre la participation à
l'épreuve du candidat. Le surveillant dressera un procès-verbal contresigné par l'auteur des faits.
En cas de refus de contresigner, mention sera portée au procès-verbal. »
« Tout candidat dont la fraude est avérée voit sa session d'examen invalidée, il ne valide aucun
bloc. »
"""

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from evaluations import services as es
from evaluations.models import Incident, SuiviDossier
from evaluations.selectors import engine_inputs
from juries.sanctions import fraude_statuer
from organisations.tenancy import tenant_context
from referentiels.regles import propose
from tests.juries.conftest import FULL, grade_rncp
from tests.juries.test_sanctions import DAY, _suspected

ATTENTE = "en attente de la décision du jury sur l'incident"


def _proposition(dossier):
    i = engine_inputs([dossier])[dossier.pk]
    return propose(i.regle, i.structure, i.resultats, date_decision=DAY)


def test_the_pv_is_a_suspicion_until_the_jury_decides(in_a, alice, referentiels):
    dossier = _suspected(alice, referentiels["rncp"])
    grade_rncp(dossier, alice, blocs=FULL)
    suivi = SuiviDossier.objects.get(dossier=dossier)
    assert (suivi.fraude, suivi.fraude_en_attente) == (False, True)  # not a fraud yet
    p = _proposition(dossier)
    assert p.incident_en_attente and any(ATTENTE in r for r in p.raisons)
    assert p.blocs_valides  # the session is not invalidated by the PV alone
    assert Incident.objects.get(inscription__dossier=dossier).decision == ""

    fraude_statuer(dossier=dossier, by=alice, nature="fraude", motif="Téléphone : fraude avérée", day=DAY)
    suivi.refresh_from_db()
    assert (suivi.fraude, suivi.fraude_en_attente) == (True, False)
    incident = Incident.objects.get(inscription__dossier=dossier)
    assert (incident.decision, incident.decision_motif) == ("fraude", "Téléphone : fraude avérée")
    p = _proposition(dossier)
    assert not p.incident_en_attente and not any(ATTENTE in r for r in p.raisons)
    assert p.decision == "ajourne" and not p.blocs_valides  # « il ne valide aucun bloc »
    with pytest.raises(ApplicationError, match="en attente de décision"):
        fraude_statuer(dossier=dossier, by=alice, nature="non_retenue", motif="Revirement")


def test_not_retained_lifts_the_suspicion(in_a, alice, referentiels):
    dossier = _suspected(alice, referentiels["rncp"])
    grade_rncp(dossier, alice, blocs=FULL)
    fraude_statuer(dossier=dossier, by=alice, nature="non_retenue", motif="Doute", day=DAY)
    p = _proposition(dossier)
    assert p.decision == "certifie" and not any(ATTENTE in r for r in p.raisons)
    assert Incident.objects.get(inscription__dossier=dossier).get_decision_display() == "Fraude non retenue"


def test_the_pv_needs_the_countersignature_or_the_refusal(in_a, alice, referentiels):
    dossier = _suspected(alice, referentiels["rncp"])
    inscription = Incident.objects.get(inscription__dossier=dossier).inscription
    with pytest.raises(ApplicationError, match="contresigné le procès-verbal ou refusé"):
        es.incident_record(inscription=inscription, by=alice, kind="fraude", pv="Antisèche", contreseing="")
    assert Incident.objects.filter(inscription=inscription).count() == 1


def test_page_and_api_show_and_take_the_jury_decision(org_a, alice, referentiels, client_for, api_for, panel):
    from candidates.models import Dossier
    from candidates.services import dossier_transition
    from juries import services as js
    from tests.juries.conftest import JURY_DATE, _upload_required_pieces, compose_rncp

    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        dossier = _suspected(alice, rncp)
        grade_rncp(dossier, alice, blocs=FULL)
        _upload_required_pieces(dossier, alice)
        dossier = dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice)
        jury = js.jury_create(by=alice, referentiel=rncp, intitule="Jury", date=JURY_DATE, lieu="Lyon")
        compose_rncp(jury)
        (decision,) = js.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
        assert any(ATTENTE in r for r in decision.raisons)  # the jury reads the pending suspicion
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    page = client_for(alice).get(url).content.decode()
    assert "En attente de la décision du jury sur l'incident" in page
    api_url = f"/api/v1/o/{org_a.slug}/dossiers/{dossier.public_id}/fraude/"
    assert api_for(alice).post(api_url, {"nature": "fraude", "motif": "x"}, format="json").status_code == 403
    api = api_for(panel["presidente@test.local"][0])
    r = api.post(api_url, {"nature": "avérée", "motif": "x"}, format="json")
    assert r.status_code == 400
    with tenant_context(org_a):
        assert SuiviDossier.objects.get(dossier=dossier).fraude_en_attente
    r = api.post(api_url, {"nature": "non_retenue", "motif": "Rien d'établi"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()[0]["decision"] == "non_retenue"
    page = client_for(alice).get(url).content.decode()
    assert "Décision du jury : Fraude non retenue" in page
