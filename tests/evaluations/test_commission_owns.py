"""Seeds 000–002 (CQPM): « L'acquisition de chacune des capacités professionnelles est validée par
une commission d'évaluation sur la base : des différentes évaluations, de l'avis de l'entreprise,
de l'entretien avec le candidat ». One évaluateur's click does not stand for the commission: the
grid's « Valider les résultats complets » and the plain validation are refused for a CQPM capacité
(service, page, API) with a French message and nothing written; the commission's screen decides,
its members named."""

import pytest

from core.errors import ApplicationError
from evaluations import services
from evaluations.models import Epreuve, Resultat, ResultatChange
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.evaluations.test_commission import setup  # noqa: F401 — the CQPM fixture


@pytest.fixture
def eva(org_a, alice, member_factory, setup):  # noqa: F811
    """An évaluateur assigned to both épreuves of the dossier."""
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    with tenant_context(org_a):
        for e in Epreuve.objects.filter(session__referentiel=setup["ref"]):
            services.epreuve_evaluateurs_set(epreuve=e, by=alice, users=[eva.user])
    return eva


def _state(org, setup):  # noqa: F811
    with tenant_context(org):
        return (
            sorted(Resultat.objects.filter(dossier=setup["dossier"]).values_list("pk", "etat", "valide")),
            ResultatChange.objects.count(),
        )


def test_service_refuses_the_evaluateurs_validation_for_the_commission(org_a, setup, eva):  # noqa: F811
    before = _state(org_a, setup)
    with tenant_context(org_a):
        r2 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap2"])  # concordant « acquis »
        with pytest.raises(ApplicationError) as exc:
            services.resultat_validate(resultat=r2, by=eva)
        assert exc.value.message.startswith("Capacité 2 : sa validation revient à la commission d'évaluation")
        situation = Epreuve.objects.get(intitule="Situation réelle")
        with pytest.raises(ApplicationError, match="revient à la commission d'évaluation"):
            services.epreuve_results_validate(epreuve=situation, by=eva)
    assert _state(org_a, setup) == before  # nothing written
    # the commission's screen: its members named, the same évaluateur may sit on it
    with tenant_context(org_a):
        services.commission_decide(
            resultat=r2, by=eva, decision="acquis", membres="Mme Roy, présidente\nM. Petit, évaluateur"
        )
        r2.refresh_from_db()
        assert r2.valide and r2.commission_membres == "Mme Roy, présidente\nM. Petit, évaluateur"


def test_grid_offers_the_commission_not_a_one_click_validation(org_a, setup, eva, client_for):  # noqa: F811
    client = client_for(eva)
    with tenant_context(org_a):
        situation = Epreuve.objects.get(intitule="Situation réelle")
    grid = f"/o/centre-a/evaluations/epreuves/{situation.public_id}/grille/"
    page = client.get(grid).content.decode()
    assert "Valider les résultats complets" not in page
    assert "La validation de chaque capacité revient à la commission d'évaluation" in page
    assert f"/o/centre-a/evaluations/dossiers/{setup['dossier'].public_id}/commission/" in page
    before = _state(org_a, setup)
    r = client.post(grid + "valider/", follow=True)
    body = r.content.decode()
    assert "revient à la commission d&#x27;évaluation" in body and "Rien n&#x27;a été validé" in body
    assert _state(org_a, setup) == before
    # the results page: the capacité's validation is the commission's, not a « Valider » button
    with tenant_context(org_a):
        r2 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap2"])
    results = f"/o/centre-a/evaluations/dossiers/{setup['dossier'].public_id}/resultats/"
    assert "En commission d'évaluation" in client.get(results).content.decode()
    r = client.post(results, {"action": "valider", "resultat": str(r2.public_id)}, follow=True)
    assert "sa validation revient à la commission d&#x27;évaluation" in r.content.decode()
    assert _state(org_a, setup) == before


def test_api_refuses_the_evaluateurs_validation_for_the_commission(org_a, setup, eva, api_for):  # noqa: F811
    api = api_for(eva)
    with tenant_context(org_a):
        r2 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap2"])
    before = _state(org_a, setup)
    r = api.post(f"/api/v1/o/centre-a/resultats/{r2.public_id}/validate/")
    assert r.status_code == 400, r.content
    assert "revient à la commission d'évaluation" in r.content.decode()
    # recording with « valider »: the whole request is refused, the new état included
    r = api.post(
        f"/api/v1/o/centre-a/dossiers/{setup['dossier'].public_id}/resultats/",
        {"capacite": "2", "etat": "non_acquis", "valider": True},
        format="json",
    )
    assert r.status_code == 400 and "revient à la commission d'évaluation" in r.content.decode()
    assert _state(org_a, setup) == before
    # the commission's endpoint, its members named, decides
    r = api.post(
        f"/api/v1/o/centre-a/resultats/{r2.public_id}/commission/",
        {"decision": "acquis", "membres": "Mme Roy, présidente"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["valide"] is True


def test_the_commission_confirms_an_absence_as_a_fact(org_a, alice, setup):  # noqa: F811
    """An absence recorded at the évaluation stays an absence once the commission has statued
    (never turned into « non acquis »); « absent » is not a decision on a capacité evaluated."""
    with tenant_context(org_a):
        situation = Epreuve.objects.get(intitule="Situation réelle")
        r2 = services.epreuve_mark(
            epreuve=situation, dossier=setup["dossier"], by=alice, cible="2", valeur="absent"
        )
        r1 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap1"])
        with pytest.raises(ApplicationError, match="Décidez « acquis » ou « non acquis »"):
            services.commission_decide(resultat=r1, by=alice, decision="absent", membres="Mme Roy")
        r1.refresh_from_db()
        assert not r1.valide and r1.etat == "acquis"
        services.commission_decide(resultat=r2, by=alice, decision="absent", membres="Mme Roy")
        r2.refresh_from_db()
        assert (r2.etat, r2.valide, r2.commission_membres) == ("absent", True, "Mme Roy")
