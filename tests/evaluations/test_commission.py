"""The commission d'évaluation decides each capacité from the evaluations, the avis de l'entreprise
and the entretien: a decision that departs from any of them needs a motivation; history kept."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.models import AvisCapacite, Resultat, ResultatChange
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.models import Modalite
from referentiels.seeds import seed_path
from referentiels.services import habilitation_grant, referentiel_import, referentiel_publish
from tests.evaluations.conftest import inscribed_dossier


@pytest.fixture
def setup(org_a, alice):
    """A CQPM whose bloc also allows an entretien; a dossier sitting two épreuves (a situation
    réelle on capacités 1 and 2, an entretien on capacité 1) with a submitted avis."""
    certificateur = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    doc = json.loads(seed_path("cqpm-attache-gestion.json").read_text(encoding="utf-8"))
    doc["code"] = "CQPM-ENTRETIEN"
    doc["blocs"][0]["modalites"].append(
        {
            "type": "entretien",
            "intitule": "Entretien avec le candidat",
            "duree_minutes": 30,
            "points": None,
            "forme": "oral",
            "notes": "",
        }
    )
    ref = referentiel_import(doc=doc, certificateur=certificateur)
    referentiel_publish(referentiel=ref, by=certificateur)
    habilitation_grant(
        certificateur=certificateur, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1)
    )
    with tenant_context(org_a):
        session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
        day = timezone.localdate() - dt.timedelta(days=1)  # held yesterday: its marks can be recorded
        common = {
            "session": session,
            "by": alice,
            "date": day,
            "heure_debut": dt.time(9),
            "duree_minutes": 60,
        }
        situation = services.epreuve_create(
            intitule="Situation réelle",
            capacites=["1", "2"],
            modalite=Modalite.objects.get(referentiel=ref, type="situation_professionnelle_reelle"),
            **common,
        )
        entretien = services.epreuve_create(
            intitule="Entretien",
            capacites=["1"],
            modalite=Modalite.objects.get(referentiel=ref, type="entretien"),
            **common,
        )
        tuteur = candidates_services.tuteur_create(
            by=alice, nom="Petit", prenom="Marc", email="t@entreprise.fr"
        )
        dossier = inscribed_dossier(alice, ref)
        Dossier.objects.filter(pk=dossier.pk).update(tuteur=tuteur)
        dossier.refresh_from_db()
        for e in (situation, entretien):
            services.epreuve_candidats_add(epreuve=e, by=alice, dossiers=[dossier])
        avis = services.avis_request(
            dossier=dossier, by=alice, date_limite=timezone.localdate() + dt.timedelta(days=10)
        )
        answers = {
            row.capacite_id: {"avis": "favorable", "commentaire": ""}
            for row in AvisCapacite.objects.filter(avis_entreprise=avis).select_related("capacite")
        }
        cap1 = ref.capacites.get(code="1")
        cap2 = ref.capacites.get(code="2")
        answers[cap1.pk] = {"avis": "defavorable", "commentaire": "Peu autonome sur les relances"}
        services.avis_save(avis=avis, by=alice, capacites=answers, submit=True)
        # the entretien concludes « non acquis », then the situation réelle « acquis »
        services.epreuve_mark(epreuve=entretien, dossier=dossier, by=alice, cible="1", valeur="non_acquis")
        services.epreuve_mark(epreuve=situation, dossier=dossier, by=alice, cible="1", valeur="acquis")
        services.epreuve_mark(epreuve=situation, dossier=dossier, by=alice, cible="2", valeur="acquis")
    return {"ref": ref, "dossier": dossier, "cap1": cap1, "cap2": cap2, "entretien": entretien}


def _resultat(setup, cap):
    return Resultat.objects.get(dossier=setup["dossier"], capacite=cap)


def test_rows_combine_evaluations_avis_and_entretien(org_a, setup, django_assert_max_num_queries):
    with tenant_context(org_a):
        with django_assert_max_num_queries(9):
            rows = {r.capacite.code: r for r in selectors.commission_rows(dossier=setup["dossier"])}
        one, two = rows["1"], rows["2"]
        assert one.resultat.etat == "acquis" and one.avis.avis == "defavorable"
        assert [(e["epreuve"].intitule, e["valeur"]) for e in one.entretien] == [("Entretien", "non_acquis")]
        assert len(one.epreuves) == 2 and two.entretien == [] and two.avis.avis == "favorable"
        assert one.departures("acquis") == [
            "de l'avis de l'entreprise (défavorable)",
            "de l'entretien (« non acquis »)",
        ]
        assert one.departures("non_acquis") == ["des évaluations (« acquis »)"]
        assert two.departures("acquis") == []


def test_page_requires_a_motivation_when_departing_and_keeps_history(org_a, alice, client_for, setup):
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/dossiers/{setup['dossier'].public_id}/commission/"
    page = client.get(url).content.decode()
    assert "Peu autonome sur les relances" in page and "Défavorable" in page and "Non acquis" in page
    with tenant_context(org_a):
        r1, r2 = _resultat(setup, setup["cap1"]), _resultat(setup, setup["cap2"])
        before = ResultatChange.objects.count()
    r = client.post(
        url,
        {
            "resultat": str(r1.public_id),
            "decision": "acquis",
            "motivation": "  ",
            "membres": "Mme Roy, présidente",
        },
    )
    body = r.content.decode()
    assert r.status_code == 400 and "avis de l&#x27;entreprise (défavorable)" in body and "motivez-la" in body
    with tenant_context(org_a):
        r1.refresh_from_db()
        assert not r1.valide and ResultatChange.objects.count() == before  # nothing written
    motif = "Relances observées en situation réelle, l'avis date d'avant la période en entreprise"
    r = client.post(
        url,
        {
            "resultat": str(r1.public_id),
            "decision": "acquis",
            "motivation": motif,
            "membres": "Mme Roy, présidente",
        },
    )
    assert r.status_code == 302
    with tenant_context(org_a):
        r1.refresh_from_db()
        assert r1.valide and r1.etat == "acquis" and r1.motivation_commission == motif
        assert r1.valide_par == alice.user
        reasons = set(
            ResultatChange.objects.filter(
                resultat=r1, field__in=["valide", "motivation_commission"], new__in=["True", motif]
            ).values_list("reason", flat=True)
        )
        assert reasons == {f"Décision de la commission d'évaluation : {motif}"}
    # a concordant decision needs no motivation; a departing one does
    r = client.post(
        url, {"resultat": str(r2.public_id), "decision": "non_acquis", "membres": "Mme Roy, présidente"}
    )
    assert r.status_code == 400 and "des évaluations (« acquis »)" in r.content.decode()
    r = client.post(
        url, {"resultat": str(r2.public_id), "decision": "acquis", "membres": "Mme Roy, présidente"}
    )
    assert r.status_code == 302
    with tenant_context(org_a):
        r2.refresh_from_db()
        assert r2.valide and r2.motivation_commission == ""
    page = client.get(url).content.decode()
    assert motif.replace("'", "&#x27;") in page


def test_plain_validation_refuses_what_the_avis_or_entretien_contradicts(org_a, alice, setup):
    with tenant_context(org_a):
        r1, r2 = _resultat(setup, setup["cap1"]), _resultat(setup, setup["cap2"])
        with pytest.raises(ApplicationError) as exc:
            services.resultat_validate(resultat=r1, by=alice)
        assert "commission d'évaluation, avec une motivation" in exc.value.message
        with pytest.raises(ApplicationError, match="revient à la commission d'évaluation"):
            services.epreuve_results_validate(epreuve=setup["entretien"], by=alice)  # a CQPM
        services.resultat_validate(resultat=r2, by=alice)
        r2.refresh_from_db()
        assert r2.valide
        # re-marking un-validates and clears the commission's motivation
        with pytest.raises(ApplicationError):  # departs from the evaluations
            services.commission_decide(resultat=r1, by=alice, decision="non_acquis", motivation="")
        services.commission_decide(
            resultat=r1, by=alice, decision="non_acquis", motivation="Avis et entretien concordants"
        )
        r1.refresh_from_db()
        assert r1.valide and r1.etat == "non_acquis"
        services.commission_decide(resultat=r1, by=alice, decision="acquis", motivation="Vu en situation")
        services.epreuve_mark(
            epreuve=setup["entretien"], dossier=setup["dossier"], by=alice, cible="1", valeur="non_acquis"
        )
        r1.refresh_from_db()
        assert not r1.valide and r1.motivation_commission == ""


def test_commission_refuses_bad_input(org_a, alice, setup):
    with tenant_context(org_a):
        r1 = _resultat(setup, setup["cap1"])
        with pytest.raises(ApplicationError) as exc:
            services.commission_decide(resultat=r1, by=alice, decision="absent")
        assert exc.value.field == "decision"
        Dossier.objects.filter(pk=setup["dossier"].pk).update(status=Dossier.Status.ABANDON)
        with pytest.raises(ApplicationError) as exc:
            services.commission_decide(resultat=r1, by=alice, decision="non_acquis")
        assert "figés" in exc.value.message


def test_api_rows_and_decision(org_a, alice, api_for, setup):
    api = api_for(alice)
    r = api.get(f"/api/v1/o/centre-a/dossiers/{setup['dossier'].public_id}/commission/")
    assert r.status_code == 200
    rows = {row["capacite"]: row for row in r.json()}
    assert rows["1"]["avis"] == {"avis": "defavorable", "commentaire": "Peu autonome sur les relances"}
    assert rows["1"]["entretien"][0]["valeur"] == "non_acquis" and rows["1"]["resultat"]["etat"] == "acquis"
    with tenant_context(org_a):
        r1 = _resultat(setup, setup["cap1"])
    url = f"/api/v1/o/centre-a/resultats/{r1.public_id}/commission/"
    r = api.post(url, {"decision": "acquis"}, format="json")
    assert r.status_code == 400 and "motivation" in json.dumps(r.json())
    r = api.post(url, {"decision": "acquis", "motivation": "Preuves du portefeuille"}, format="json")
    assert (
        r.status_code == 200
        and r.json()["valide"]
        and r.json()["motivation_commission"] == "Preuves du portefeuille"
    )
