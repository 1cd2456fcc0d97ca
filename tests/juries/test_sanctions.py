"""Fraud (seed 004): the PV d'incident records a suspicion, the jury decides, a proven fraud or
falsification records the sanction with the certificateur and any centre is refused a new
inscription while it runs.

« Le surveillant dressera un procès-verbal contresigné par l'auteur des faits. En cas de refus de
contresigner, mention sera portée au procès-verbal. »
« Tout candidat dont la fraude est avérée voit sa session d'examen invalidée, il ne valide aucun
bloc. Pour obtenir la validation totale ou partielle du titre il devra, après un délai de carence
de 6 mois, repasser l'ensemble des évaluations de blocs »
« En cas de falsification des résultats le candidat se verra signifier une interdiction d'accès aux
diplômes du réseau pour une durée de 10 ans. »
"""

import datetime as dt

import pytest
from django.urls import reverse

from candidates import services as candidates_services
from candidates.models import Dossier
from core.dates import add_months, add_years
from core.errors import ApplicationError
from evaluations import services as es
from evaluations.models import SuiviDossier
from juries.models import Sanction
from juries.sanctions import REFUS, fraude_statuer
from organisations.tenancy import tenant_context
from referentiels.services import habilitation_grant
from tests.conftest import make_member
from tests.evaluations.conftest import IDENTITY, inscribed_dossier

# The decision was taken a month ago: the 6-month carence still runs today, whatever today is.
DAY = add_months(dt.date.today(), -1)


def _suspected(alice, ref):
    dossier = inscribed_dossier(alice, ref)
    session = es.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Lyon")
    epreuve = es.epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas bloc 1",
        bloc=ref.blocs.get(code="RNCP36390BC01"),
        date=dt.date.today() - dt.timedelta(days=1),  # the incident happened at yesterday's épreuve
        heure_debut=dt.time(9),
        duree_minutes=180,
        lieu="Lyon",
    )
    (inscription,) = es.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    es.incident_record(
        inscription=inscription, by=alice, kind="fraude", pv="Téléphone consulté", contreseing="refus"
    )
    return dossier


def test_nothing_to_decide_without_a_pv(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    with pytest.raises(ApplicationError, match="Aucun procès-verbal d'incident"):
        fraude_statuer(dossier=dossier, by=alice, nature="fraude", motif="x")


@pytest.mark.parametrize(
    ("nature", "fin"), [("fraude", add_months(DAY, 6)), ("falsification", add_years(DAY, 10))]
)
def test_proven_fraud_records_the_sanction_and_refuses_inscriptions_in_any_centre(
    org_a, org_b, alice, referentiels, nature, fin
):
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        dossier = _suspected(alice, rncp)
        with pytest.raises(ApplicationError, match="Motivez"):
            fraude_statuer(dossier=dossier, by=alice, nature=nature, motif=" ")
        sanction = fraude_statuer(dossier=dossier, by=alice, nature=nature, motif="Avéré", day=DAY)
        assert (sanction.debut, sanction.fin) == (DAY, fin)
        assert SuiviDossier.objects.get(dossier=dossier).fraude  # « il ne valide aucun bloc »
    habilitation_grant(
        certificateur=rncp.certificateur, centre=org_b, code="RNCP36390", date_debut=dt.date(2024, 1, 1)
    )
    bob = make_member(org_b, "gestionnaire")
    with tenant_context(org_b):
        # another centre, the same person (accents and case aside)
        candidate = candidates_services.candidate_create(
            by=bob, **(IDENTITY | {"nom_naissance": "DURAND", "prenom1": "Lea"})
        )
        other = candidates_services.dossier_create(
            by=bob, candidate=candidate, referentiel=rncp, voie_acces=Dossier.VoieAcces.APPRENTISSAGE
        )
        from candidates.services import dossier_transition_blockers

        assert REFUS in dossier_transition_blockers(dossier=other, to=Dossier.Status.INSCRIT)
        with pytest.raises(ApplicationError, match="Inscription impossible : sanction en cours"):
            candidates_services.dossier_transition(dossier=other, to=Dossier.Status.INSCRIT, by=bob)
        # someone else is not concerned
        stranger = candidates_services.candidate_create(by=bob, **(IDENTITY | {"prenom1": "Louise"}))
        ok = candidates_services.dossier_create(
            by=bob, candidate=stranger, referentiel=rncp, voie_acces=Dossier.VoieAcces.APPRENTISSAGE
        )
        assert REFUS not in candidates_services.dossier_transition_blockers(
            dossier=ok, to=Dossier.Status.INSCRIT
        )
    assert Sanction.objects.count() == 1


def test_fraud_not_retained_and_the_jury_page(in_a, alice, referentiels, client_for, org_a):
    dossier = _suspected(alice, referentiels["rncp"])
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    page = client_for(alice).get(url).content.decode()
    assert "Suspicion de fraude" in page and "Téléphone consulté" in page
    assert "Le jury statue sur cette suspicion." in page  # a gestionnaire does not decide
    assert (
        client_for(alice).post(url, {"action": "fraude", "nature": "fraude", "motif": "x"}).status_code == 403
    )
    assert fraude_statuer(dossier=dossier, by=alice, nature="non_retenue", motif="Doute") is None
    assert not SuiviDossier.objects.get(dossier=dossier).fraude
    assert not Sanction.objects.exists()


def test_the_results_page_reaches_the_jury_decision_through_the_hook(in_a, alice, referentiels):
    """evaluations sits below juries (import-linter layers): the results page's « fraude » action
    calls evaluations.hooks.fraud_decide, which juries wires to fraude_statuer at start-up."""
    from evaluations.hooks import fraud_decide

    dossier = _suspected(alice, referentiels["rncp"])
    sanction = fraud_decide(dossier=dossier, by=alice, nature="fraude", motif="Avéré", day=DAY)
    assert Sanction.objects.get() == sanction
    assert sanction.fin == add_months(DAY, 6)  # « après un délai de carence de 6 mois »
    assert SuiviDossier.objects.get(dossier=dossier).fraude
