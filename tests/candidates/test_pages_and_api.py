"""Pages and API: constant query counts, filters, forms with field-named errors, access log, RGPD, schema."""

import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates import rgpd, services
from candidates.models import Candidate, Dossier, DossierBloc
from organisations.models import AuditEvent
from organisations.tenancy import tenant_context
from tests.builders import bulk_candidates, pdf_upload, pret_dossier
from tests.candidates.conftest import make_candidate, make_dossier


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_page_and_api_query_counts_are_constant(habilitated, alice, client_for, api_for, rncp):
    client = client_for(alice)
    api = api_for(alice)
    with tenant_context(habilitated):
        bulk_candidates(habilitated, rncp, 10)
    client.get("/o/centre-a/candidats/")  # warm-up: session and per-process caches
    api.get("/api/v1/o/centre-a/candidates/")
    page_10 = count_queries(lambda: client.get("/o/centre-a/candidats/?page_size=100"))
    api_10 = count_queries(lambda: api.get("/api/v1/o/centre-a/candidates/?page_size=100"))
    dossiers_10 = count_queries(lambda: api.get("/api/v1/o/centre-a/dossiers/?page_size=100"))
    with tenant_context(habilitated):
        bulk_candidates(habilitated, rncp, 90, start=10)
    assert count_queries(lambda: client.get("/o/centre-a/candidats/?page_size=100")) == page_10
    response = api.get("/api/v1/o/centre-a/candidates/?page_size=100")
    assert response.json()["count"] == 100 and len(response.json()["results"]) == 100
    assert count_queries(lambda: api.get("/api/v1/o/centre-a/candidates/?page_size=100")) == api_10
    assert count_queries(lambda: api.get("/api/v1/o/centre-a/dossiers/?page_size=100")) == dossiers_10


def test_list_filters_search_and_export(habilitated, alice, client_for, api_for, rncp, cqpm):
    with tenant_context(habilitated):
        lea = make_dossier(alice, rncp, amenagement_tiers_temps=True)
        make_dossier(
            alice,
            cqpm,
            candidate=make_candidate(
                alice,
                nom_naissance="Petit",
                prenom1="Hugo",
                naissance_annee=2001,
                naissance_mois=None,
                naissance_jour=None,
                sexe="M",
                civilite="M",
            ),
        )
        services.dossier_transition(dossier=lea, to="inscrit", by=alice)
    client = client_for(alice)
    page = client.get("/o/centre-a/candidats/?referentiel=RNCP36390&status=inscrit").content.decode()
    assert "DURAND" in page and "PETIT" not in page
    page = client.get("/o/centre-a/candidats/?naissance=14/03/1998").content.decode()
    assert "DURAND" in page and "PETIT" not in page
    page = client.get("/o/centre-a/candidats/?q=hug").content.decode()
    assert "PETIT" in page and "DURAND" not in page
    assert (
        "Date de naissance à saisir" in client.get("/o/centre-a/candidats/?naissance=hier").content.decode()
    )
    api = api_for(alice)
    assert [
        c["nom_naissance"]
        for c in api.get("/api/v1/o/centre-a/candidates/?tiers_temps=oui").json()["results"]
    ] == ["DURAND"]
    assert api.get("/api/v1/o/centre-a/dossiers/?status=bidule").json()["error"]["fields"] == {
        "status": ["État inconnu : « bidule »."]
    }
    export = client.get("/o/centre-a/candidats/export.csv?referentiel=CQPM-attache-gestion")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "PETIT" in text and "DURAND" not in text and text.splitlines()[0].startswith("Nom de naissance;")
    xlsx = client.get("/o/centre-a/candidats/export.xlsx")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 3 and rows[0][0] == "Nom de naissance"


def test_candidate_form_errors_name_the_field_and_write_nothing(habilitated, alice, client_for):
    client = client_for(alice)
    data = {
        "civilite": "MME",
        "sexe": "F",
        "nom_naissance": "Durand",
        "prenom1": "Léa",
        "date_naissance": "31/02/1998",
        "naissance_code_insee": "2C004",
    }
    response = client.post("/o/centre-a/candidats/nouveau/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_date_naissance_erreur">Date invalide' in page
    assert 'id="id_naissance_code_insee_erreur">Code INSEE invalide' in page
    with tenant_context(habilitated):
        assert not Candidate.objects.exists()
    # htmx inline validation: one field, re-rendered with its error.
    response = client.post(
        "/o/centre-a/candidats/valider/", data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="date_naissance"
    )
    assert (
        'id="champ-date_naissance"' in response.content.decode()
        and "Date invalide" in response.content.decode()
    )
    data.update(date_naissance="14/03/1998", naissance_code_insee="2A004")
    response = client.post("/o/centre-a/candidats/nouveau/", data)
    assert response.status_code == 302
    with tenant_context(habilitated):
        assert Candidate.objects.get().nom_naissance == "DURAND"


def test_dossier_page_logs_access_and_shows_grid(habilitated, alice, client_for, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp)
    page = client_for(alice).get(f"/o/centre-a/candidats/dossiers/{dossier.public_id}/").content.decode()
    assert "C.1.1.1" in page and "Inscrire le candidat" in page
    with tenant_context(habilitated):
        assert (
            AuditEvent.objects.filter(
                action="dossier.view", object_id=str(dossier.public_id), actor=alice.user
            ).count()
            == 1
        )


def test_api_crud_and_transitions(habilitated, alice, api_for, rncp):
    api = api_for(alice)
    bad = api.post(
        "/api/v1/o/centre-a/candidates/",
        {
            "civilite": "M",
            "sexe": "M",
            "nom_naissance": "X",
            "prenom1": "Y",
            "naissance_annee": 1990,
            "naissance_mois": 2,
            "naissance_jour": 30,
        },
        format="json",
    )
    assert bad.status_code == 400 and "naissance_jour" in bad.json()["error"]["fields"]
    response = api.post(
        "/api/v1/o/centre-a/candidates/",
        {"civilite": "M", "sexe": "M", "nom_naissance": "Roux", "prenom1": "Marc", "naissance_annee": 1990},
        format="json",
    )
    assert response.status_code == 201, response.json()
    candidate_id = response.json()["id"]
    bad_siret = api.post(
        "/api/v1/o/centre-a/entreprises/",
        {"raison_sociale": "ACME", "siret": "73282932000075"},
        format="json",
    )
    assert bad_siret.status_code == 400 and bad_siret.json()["error"]["fields"]["siret"]
    entreprise = api.post(
        "/api/v1/o/centre-a/entreprises/",
        {"raison_sociale": "ACME", "siret": "73282932000074"},
        format="json",
    ).json()
    response = api.post(
        "/api/v1/o/centre-a/dossiers/",
        {
            "candidate": candidate_id,
            "referentiel": str(rncp.public_id),
            "voie_acces": "VAE",
            "entreprise": entreprise["id"],
            "blocs": ["RNCP36390BC02"],
            "date_inscription": "2025-09-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    dossier = response.json()
    assert [b["code"] for b in dossier["blocs"]] == ["RNCP36390BC02"]
    url = f"/api/v1/o/centre-a/dossiers/{dossier['id']}/transitions/"
    refused = api.post(url, {"to": "inscrit"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith(
        "Passage « Inscrit » impossible : Modalité d'évaluation à choisir pour : C.2.1.1"
    )
    with tenant_context(habilitated):
        from candidates.selectors import dossier_get, dossier_grid

        grid = [r for r in dossier_grid(dossier=dossier_get(public_id=dossier["id"], actor=None)) if r.vise]
        modalites = {cr.capacite.code: cr.allowed[0].pk for r in grid for cr in r.capacites}
    assert (
        api.put(
            f"/api/v1/o/centre-a/dossiers/{dossier['id']}/plan/",
            {"blocs": ["RNCP36390BC02"], "modalites": modalites},
            format="json",
        ).status_code
        == 200
    )
    moved = api.post(url, {"to": "inscrit", "reason": ""}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "inscrit"
    history = api.get(url).json()["results"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "brouillon"),
        ("brouillon", "inscrit"),
    ]
    assert api.get(f"/api/v1/o/centre-a/dossiers/{dossier['id']}/").json()["status"] == "inscrit"


def test_rgpd_export_and_erasure(habilitated, alice, member_factory, client_for, rncp, cqpm):
    admin = member_factory(habilitated, "admin", "admin-a@test.local")
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, amenagement_tiers_temps=True)
        services.piece_upload(dossier=dossier, by=alice, kind="rapport", uploaded_file=pdf_upload())
        candidate = dossier.candidate
        archive = zipfile.ZipFile(rgpd.candidate_rgpd_export(candidate=candidate, by=admin))
        data = json.loads(archive.read("donnees.json"))
        assert data["candidat"]["nom_naissance"] == "DURAND" and data["dossiers"][0]["amenagements"] == [
            "tiers-temps"
        ]
        assert any(n.startswith("pieces/") and n.endswith("rapport.pdf") for n in archive.namelist())
        services.dossier_transition(dossier=dossier, to="inscrit", by=alice)
        from core.errors import ApplicationError

        with pytest.raises(ApplicationError, match=r"Dossier\(s\) en cours : RNCP36390 \(inscrit\)"):
            rgpd.candidate_erase(candidate=candidate, by=admin, reason="Demande du 01/10")
        services.dossier_transition(dossier=dossier, to="abandon", by=alice, reason="Départ")
        rgpd.candidate_erase(candidate=candidate, by=admin, reason="Demande du 01/10")
        candidate.refresh_from_db()
        assert (candidate.nom_naissance, candidate.email, candidate.naissance_jour) == ("ANONYME", "", None)
        assert not dossier.pieces.exists() and not Dossier.objects.get(pk=dossier.pk).amenagement_tiers_temps
        # A holder keeps the civil status the parchemin needs.
        holder = pret_dossier(
            alice, cqpm, candidate=make_candidate(alice, nom_naissance="Garnier", email="g@example.org")
        )
        holder = services.dossier_deliberate(
            dossier=holder, by=alice, decision="certifie", blocs_acquis=["BLOC-UNIQUE"]
        )
        rgpd.candidate_erase(candidate=holder.candidate, by=admin, reason="Demande")
        holder.candidate.refresh_from_db()
        assert (holder.candidate.nom_naissance, holder.candidate.naissance_jour, holder.candidate.email) == (
            "GARNIER",
            14,
            "",
        )
    # Only an admin holds candidates.rgpd.
    assert (
        client_for(alice).get(f"/o/centre-a/candidats/{candidate.public_id}/rgpd/export/").status_code == 403
    )


def test_dashboard_panel(habilitated, alice, client_for, rncp):
    with tenant_context(habilitated):
        make_dossier(alice, rncp)
    page = client_for(alice).get("/o/centre-a/").content.decode()
    assert "Dossiers de certification" in page and "<svg" in page and "RNCP36390" in page


def test_other_centre_gets_404_on_candidates_and_dossiers(habilitated, alice, bob, client_for, api_for, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp)
    assert client_for(bob).get(f"/o/centre-b/candidats/dossiers/{dossier.public_id}/").status_code == 404
    assert client_for(bob).get(f"/o/centre-b/candidats/{dossier.candidate.public_id}/").status_code == 404
    assert api_for(bob).get(f"/api/v1/o/centre-b/dossiers/{dossier.public_id}/").status_code == 404


def test_schema_renders_without_warnings_for_candidates(db, capsys):
    from core.schema import ScopedSchemaGenerator

    generator = ScopedSchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    paths = [
        p
        for p in schema["paths"]
        if "/candidates/" in p or "/dossiers/" in p or "/imports/" in p or "/pieces/" in p
    ]
    assert len(paths) >= 12
    err = capsys.readouterr().err
    assert "candidates" not in err.lower(), err


def test_bulk_blocs_are_created(habilitated, alice, rncp):
    with tenant_context(habilitated):
        make_dossier(alice, rncp)
        assert DossierBloc.objects.count() == 4
