"""API: sessions and épreuves edited (PATCH) and deleted (refused once convocations were sent or
results recorded, with a clear message), and a double-marking disagreement resolved."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import CorrectionResolution, Epreuve, Resultat, SessionExamen
from organisations.models import AuditEvent
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import inscribed_dossier

API = "/api/v1/o/centre-a"


@pytest.fixture
def planned(org_a, alice, referentiels):
    def make(*, double=False, evaluateurs=(), days=60):
        """``days`` from today: -1 for an épreuve held yesterday, whose results can be recorded."""
        with tenant_context(org_a):
            ref = referentiels["cqpm"]
            session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
            epreuve = services.epreuve_create(
                session=session,
                by=alice,
                intitule="Soutenance",
                date=timezone.localdate() + dt.timedelta(days=days),
                heure_debut=dt.time(9),
                duree_minutes=90,
                capacites=[c.code for c in ref.capacites.all()[:2]],
                double_correction=double,
                evaluateurs=list(evaluateurs),
            )
            dossier = inscribed_dossier(alice, ref, email="lea@example.org")
            services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
        return session, epreuve, dossier

    return make


def test_patch_session_and_epreuve(org_a, alice, api_for, planned, member_factory):
    session, epreuve, _ = planned()
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    api = api_for(alice)
    r = api.patch(
        f"{API}/sessions/{session.public_id}/", {"intitule": "Juin (reportée)", "lieu": "Lyon"}, format="json"
    )
    assert r.status_code == 200 and r.json()["intitule"] == "Juin (reportée)" and r.json()["lieu"] == "Lyon"
    r = api.patch(f"{API}/sessions/{session.public_id}/", {"intitule": "  "}, format="json")
    assert r.status_code == 400
    new_day = (timezone.localdate() + dt.timedelta(days=70)).isoformat()
    r = api.patch(
        f"{API}/epreuves/{epreuve.public_id}/",
        {
            "date": new_day,
            "heure_debut": "14:00",
            "duree_minutes": 120,
            "salle": "B12",
            "evaluateurs": ["eva@test.local"],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["date"] == new_day and body["heure_debut"] == "14:00:00"[: len(body["heure_debut"])]
    assert (
        body["duree_minutes"] == 120 and body["duree_tiers_temps_minutes"] == 160 and body["salle"] == "B12"
    )
    assert body["evaluateurs"] == ["eva@test.local"]
    r = api.patch(f"{API}/epreuves/{epreuve.public_id}/", {"lieu": ""}, format="json")
    assert r.status_code == 400
    r = api.patch(f"{API}/epreuves/{epreuve.public_id}/", {"duree_minutes": 0}, format="json")
    assert r.status_code == 400 and "duree_minutes" in json.dumps(r.json())
    # turning double marking on needs two évaluateurs
    r = api.patch(f"{API}/epreuves/{epreuve.public_id}/", {"double_correction": True}, format="json")
    assert r.status_code == 400 and "deux évaluateurs" in json.dumps(r.json(), ensure_ascii=False)
    with tenant_context(org_a):
        e = Epreuve.objects.get(pk=epreuve.pk)
        assert e.lieu == "Paris" and e.duree_minutes == 120 and not e.double_correction
        assert AuditEvent.objects.filter(action="epreuve.update").exists()
        assert AuditEvent.objects.filter(action="session.update").exists()
    # an évaluateur reads the épreuve but does not edit it
    assert (
        api_for(eva).patch(f"{API}/epreuves/{epreuve.public_id}/", {"salle": "X"}, format="json").status_code
        == 403
    )


def test_delete_refused_once_convocations_sent_or_results_recorded(
    org_a, alice, api_for, planned, django_capture_on_commit_callbacks
):
    api = api_for(alice)
    # nothing sent, nothing recorded: deleted
    session, epreuve, _ = planned()
    assert api.delete(f"{API}/epreuves/{epreuve.public_id}/").status_code == 204
    assert api.delete(f"{API}/sessions/{session.public_id}/").status_code == 204
    with tenant_context(org_a):
        assert not SessionExamen.objects.filter(pk=session.pk).exists()
    # convocations sent
    session, epreuve, _ = planned()
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        services.convocations_send(epreuve=epreuve, by=alice)
    r = api.delete(f"{API}/epreuves/{epreuve.public_id}/")
    message = json.dumps(r.json(), ensure_ascii=False)
    assert (
        r.status_code == 400
        and "1 convocation(s) envoyée(s)" in message
        and "ne peut pas être supprimée" in message
    )
    r = api.delete(f"{API}/sessions/{session.public_id}/")
    assert r.status_code == 400 and "« Soutenance » (1 convocation(s) envoyée(s))" in json.dumps(
        r.json(), ensure_ascii=False
    )
    # results recorded through the épreuve (held yesterday)
    session, epreuve, dossier = planned(days=-1)
    with tenant_context(org_a):
        services.epreuve_mark(
            epreuve=epreuve, dossier=dossier, by=alice, cible=epreuve.capacites[0], valeur="acquis"
        )
    r = api.delete(f"{API}/epreuves/{epreuve.public_id}/")
    assert r.status_code == 400 and "des résultats saisis" in json.dumps(r.json(), ensure_ascii=False)
    with tenant_context(org_a):
        assert (
            Epreuve.objects.filter(pk=epreuve.pk).exists()
            and Resultat.objects.filter(dossier=dossier).exists()
        )


def test_resolve_a_double_marking_disagreement_through_the_api(
    org_a, alice, api_for, planned, member_factory
):
    eva1 = member_factory(org_a, Role.EVALUATEUR, "eva1@test.local")
    eva2 = member_factory(org_a, Role.EVALUATEUR, "eva2@test.local")
    session, epreuve, dossier = planned(double=True, evaluateurs=[eva1.user, eva2.user], days=-1)
    cible = epreuve.capacites[0]
    with tenant_context(org_a):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva1, cible=cible, valeur="acquis")
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva2, cible=cible, valeur="non_acquis")
    api = api_for(alice)
    url = f"{API}/epreuves/{epreuve.public_id}/resolutions/"
    base = {"dossier": str(dossier.public_id), "cible": cible}
    r = api.post(url, base | {"valeur": "acquis", "motif": ""}, format="json")
    assert r.status_code == 400
    r = api.post(url, base | {"valeur": "peut-être", "motif": "Relecture"}, format="json")
    assert r.status_code == 400 and "acquis, non acquis ou absent" in json.dumps(r.json(), ensure_ascii=False)
    r = api.post(
        url, base | {"valeur": "acquis", "motif": "Relecture des preuves par la commission"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["valeur"] == "acquis" and r.json()["by"] == "alice@test.local"
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 1
        assert Resultat.objects.get(dossier=dossier, capacite__code=cible).etat == "acquis"
    # a revision by the commission is a new, motivated resolution; the first one is kept
    r = api.post(url, base | {"valeur": "non_acquis", "motif": "Revu après l'entretien"}, format="json")
    assert r.status_code == 201
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 2
        assert Resultat.objects.get(dossier=dossier, capacite__code=cible).etat == "non_acquis"
    # no disagreement to resolve on the other capacité
    r = api.post(url, base | {"cible": epreuve.capacites[1], "valeur": "acquis", "motif": "x"}, format="json")
    assert r.status_code == 400 and "pas de désaccord" in json.dumps(r.json(), ensure_ascii=False)
    # the épreuve with double marking cannot drop it once marks exist
    r = api.patch(f"{API}/epreuves/{epreuve.public_id}/", {"double_correction": False}, format="json")
    assert r.status_code == 400 and "double correction ne peut plus changer" in json.dumps(
        r.json(), ensure_ascii=False
    )
    # an évaluateur not assigned to the épreuve does not reach it
    eva3 = member_factory(org_a, Role.EVALUATEUR, "eva3@test.local")
    assert (
        api_for(eva3).post(url, base | {"valeur": "acquis", "motif": "x"}, format="json").status_code == 404
    )


def test_resolve_a_disagreement_from_the_grid_page(org_a, alice, client_for, planned, member_factory):
    eva1 = member_factory(org_a, Role.EVALUATEUR, "eva1@test.local")
    eva2 = member_factory(org_a, Role.EVALUATEUR, "eva2@test.local")
    session, epreuve, dossier = planned(double=True, evaluateurs=[eva1.user, eva2.user], days=-1)
    cible = epreuve.capacites[0]
    with tenant_context(org_a):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva1, cible=cible, valeur="acquis")
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva2, cible=cible, valeur="non_acquis")
    client = client_for(alice)
    grid = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/"
    page = client.get(grid).content.decode()
    assert "Désaccord" in page and '<select id="res-' in page
    r = client.post(
        grid + "resoudre/",
        {
            "dossier": str(dossier.public_id),
            "cible": cible,
            "valeur": "non_acquis",
            "motif": "Preuves insuffisantes",
        },
    )
    assert r.status_code == 302
    with tenant_context(org_a):
        assert CorrectionResolution.objects.get().motif == "Preuves insuffisantes"
    assert "désaccord résolu" in client.get(grid).content.decode()


def test_grid_heading_names_the_certification_never_its_internal_code(org_a, alice, client_for, planned):
    """Issue 13 point 2: « Nothing on a document is ever an internal code or slug » — the
    evaluator's grid heading says the CQPM's intitulé; a CQPM has no registration number to add."""
    import re

    session, epreuve, _dossier = planned(days=-1)
    ref = session.referentiel
    page = (
        client_for(alice)
        .get(f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/")
        .content.decode()
    )
    lead = re.search(r'<p class="lead">(.*?)</p>', page, re.S).group(1)
    assert ref.intitule.replace("'", "&#x27;") in lead
    assert ref.code not in lead, lead
