"""Catalogue pages and API: visibility per organisation, import with preview, publish, versions."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organisations.roles import Role
from organisations.services import membership_add
from referentiels.models import Referentiel
from referentiels.seeds import seed_path
from referentiels.services import habilitation_grant
from tests.conftest import make_member
from tests.data import RNCP_SAMPLE

SAMPLE_XML = str(RNCP_SAMPLE)


@pytest.fixture
def cci_staff(cci):
    return make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")


@pytest.fixture
def centre_user(seeds, org_a, cci):
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2020, 1, 1))
    return make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test")


def test_centre_browses_habilitated_referentiel(centre_user, seeds, client_for):
    client = client_for(centre_user)
    page = client.get("/o/centre-a/referentiels/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "RNCP36390" in html and "CQPM-attache-gestion" not in html
    ref = seeds["rncp36390.json"]
    detail = client.get(f"/o/centre-a/referentiels/{ref.public_id}/").content.decode()
    assert "C.1.1.1" in detail and "Certification obtenue à 500 points sur 1000" in detail
    # Not habilitated → 404, never 403.
    other = seeds["cqpm-attache-gestion.json"]
    assert client.get(f"/o/centre-a/referentiels/{other.public_id}/").status_code == 404
    assert client.get(f"/o/centre-a/referentiels/{other.public_id}/export/").status_code == 404


def test_detail_page_query_count_is_constant(seeds, certificateurs, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    client.get("/o/uimm/referentiels/")  # first request of the session writes it
    counts = []
    for name in (
        "cqpm-attache-gestion.json",
        "cqpm-management-equipes.json",
        "cqpm-responsable-affaires.json",
    ):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/o/uimm/referentiels/{seeds[name].public_id}/").status_code == 200
        counts.append(len(ctx))
    assert len(set(counts)) == 1 and counts[0] <= 22, counts


def test_list_query_count_does_not_grow(cci_staff, seeds, client_for, django_assert_num_queries):
    client = client_for(cci_staff)
    client.get("/o/cci-france/referentiels/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/o/cci-france/referentiels/")
    for n in range(5):
        doc = json.loads(seed_path("rncp36390.json").read_text())
        doc["version"] = 10 + n
        from referentiels.services import referentiel_import

        referentiel_import(doc=doc, certificateur=seeds["rncp36390.json"].certificateur)
    with CaptureQueriesContext(connection) as many:
        client.get("/o/cci-france/referentiels/")
    assert len(many) == len(one)


def test_import_page_preview_then_confirm(cci_staff, client_for):
    client = client_for(cci_staff)
    upload = SimpleUploadedFile("rncp36390.json", seed_path("rncp36390.json").read_bytes())
    page = client.post("/o/cci-france/referentiels/importer/", {"fichier": upload})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Prévisualisation" in html and "32 capacité(s)" in html
    assert Referentiel.objects.count() == 0  # nothing written by the preview
    token = page.context["token"]
    confirm = client.post("/o/cci-france/referentiels/importer/", {"token": token})
    assert confirm.status_code == 302
    ref = Referentiel.objects.get(code="RNCP36390")
    assert ref.status == "draft" and ref.capacites.count() == 32


def test_import_page_bad_file_gives_precise_message(cci_staff, client_for):
    client = client_for(cci_staff)
    upload = SimpleUploadedFile("casse.json", b'{"format": "certif-referentiel/1",\n "code": ')
    page = client.post("/o/cci-france/referentiels/importer/", {"fichier": upload})
    assert page.status_code == 400
    assert "casse.json, ligne 2" in page.content.decode()
    upload = SimpleUploadedFile("virus.exe", b"MZ")
    assert client.post("/o/cci-france/referentiels/importer/", {"fichier": upload}).status_code == 400
    assert Referentiel.objects.count() == 0


def test_centre_cannot_import_or_publish(centre_user, seeds, client_for):
    client = client_for(centre_user)
    assert client.get("/o/centre-a/referentiels/importer/").status_code == 403
    ref = seeds["rncp36390.json"]
    assert client.post(f"/o/centre-a/referentiels/{ref.public_id}/nouvelle-version/").status_code == 403


def test_publish_and_new_version_pages(cci_staff, seeds, client_for):
    client = client_for(cci_staff)
    ref = seeds["rncp36390.json"]
    response = client.post(f"/o/cci-france/referentiels/{ref.public_id}/nouvelle-version/")
    draft = Referentiel.objects.get(code="RNCP36390", version=2)
    assert response.status_code == 302 and str(draft.public_id) in response["Location"]
    edit = client.post(
        f"/o/cci-france/referentiels/{draft.public_id}/capacites/C.1.1.1/",
        {"intitule": "Intitulé revu", "conditions": "", "criteres": "Résultats | Un critère\nUn autre"},
    )
    assert edit.status_code == 302
    cap = draft.capacites.get(code="C.1.1.1")
    assert [(c.groupe, c.texte) for c in cap.criteres.all()] == [
        ("Résultats", "Un critère"),
        ("", "Un autre"),
    ]
    diff = client.get(
        f"/o/cci-france/referentiels/comparer/?a={ref.public_id}&b={draft.public_id}"
    ).content.decode()
    assert "Intitulé revu" in diff and "modifié" in diff
    client.post(f"/o/cci-france/referentiels/{draft.public_id}/publier/")
    draft.refresh_from_db()
    ref.refresh_from_db()
    assert (draft.status, ref.status) == ("published", "archived")
    # Editing the now-published version is refused with a message.
    edit = client.post(
        f"/o/cci-france/referentiels/{draft.public_id}/capacites/C.1.1.1/",
        {"intitule": "x", "conditions": "", "criteres": ""},
    )
    assert edit.status_code == 400 and "ne peut plus être modifié" in edit.content.decode()


def test_api_visibility_and_actions(cci_staff, centre_user, seeds, api_for):
    api = api_for(centre_user)
    data = api.get("/api/v1/referentiels/").json()
    assert [r["code"] for r in data["results"]] == ["RNCP36390"]
    ref = seeds["rncp36390.json"]
    detail = api.get(f"/api/v1/referentiels/{ref.public_id}/").json()
    assert len(detail["document"]["blocs"]) == 4
    hidden = seeds["cqpm-attache-gestion.json"]
    assert api.get(f"/api/v1/referentiels/{hidden.public_id}/").status_code == 404
    assert api.post(f"/api/v1/referentiels/{ref.public_id}/new-version").status_code == 403

    staff = api_for(cci_staff)
    response = staff.post(f"/api/v1/referentiels/{ref.public_id}/new-version")
    assert response.status_code == 201 and response.json()["version"] == 2
    draft_id = response.json()["id"]
    assert staff.post(f"/api/v1/referentiels/{draft_id}/publish").json()["status"] == "published"
    exported = staff.get(f"/api/v1/referentiels/{draft_id}/export")
    assert json.loads(exported.content)["version"] == 2


def test_api_export_in_yaml_and_unknown_format(cci_staff, centre_user, seeds, api_for):
    """``?format=yaml`` is the export's own parameter; DRF read it as its URL format override
    and answered 404 (no "yaml" renderer) before the view ran — also for anonymous callers."""
    ref = seeds["rncp36390.json"]
    url = f"/api/v1/referentiels/{ref.public_id}/export"
    exported = api_for(centre_user).get(url, {"format": "yaml"})
    assert exported.status_code == 200, exported.content[:200]
    assert exported["Content-Type"].startswith("application/yaml")
    assert "RNCP36390" in exported.content.decode()
    assert json.loads(api_for(centre_user).get(url, {"format": "json"}).content)["code"] == "RNCP36390"
    assert api_for(centre_user).get(url, {"format": "xml"}).status_code == 400
    from rest_framework.test import APIClient

    assert APIClient().get(url, {"format": "yaml"}).status_code in (401, 403)


def test_api_import_dry_run_and_errors(cci_staff, api_for):
    staff = api_for(cci_staff)
    upload = SimpleUploadedFile("rncp36390.json", seed_path("rncp36390.json").read_bytes())
    response = staff.post(
        "/api/v1/referentiels/import", {"fichier": upload, "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert Referentiel.objects.count() == 0
    bad = SimpleUploadedFile("x.json", b"[]")
    response = staff.post("/api/v1/referentiels/import", {"fichier": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"fichier": ["x.json, document : un objet est attendu"]}


def test_session_user_with_two_organisations_must_choose(cci_staff, org_a, client_for):
    membership_add(user=cci_staff.user, organisation=org_a, role=Role.GESTIONNAIRE)
    client = client_for(cci_staff)
    assert client.get("/api/v1/referentiels/").status_code == 400
    assert client.get("/api/v1/referentiels/?organisation=cci-france").status_code == 200
    assert client.get("/api/v1/referentiels/?organisation=centre-b").status_code == 404


def test_habilitations_page_and_api(cci_staff, seeds, org_a, client_for, api_for):
    client = client_for(cci_staff)
    response = client.post(
        "/o/cci-france/referentiels/habilitations/",
        {"centre": org_a.pk, "code": "RNCP36390", "date_debut": "2025-01-01", "date_fin": "2024-01-01"},
    )
    assert response.status_code == 400 and "précède" in response.content.decode()
    response = client.post(
        "/o/cci-france/referentiels/habilitations/",
        {"centre": org_a.pk, "code": "RNCP36390", "date_debut": "2025-01-01"},
    )
    assert response.status_code == 302
    data = api_for(cci_staff).get("/api/v1/referentiels/habilitations/").json()
    assert [(h["centre"], h["referentiel_code"]) for h in data["results"]] == [("centre-a", "RNCP36390")]


def test_diff_shows_the_regle_in_words_modalites_and_no_difference(cci_staff, seeds, client_for):
    from referentiels.diff import referentiel_diff
    from referentiels.models import Modalite
    from referentiels.services import referentiel_new_version

    client = client_for(cci_staff)
    ref = seeds["rncp36390.json"]
    draft = referentiel_new_version(referentiel=ref, by=cci_staff.organisation)
    same = client.get(
        f"/o/cci-france/referentiels/comparer/?a={ref.public_id}&b={draft.public_id}"
    ).content.decode()
    assert "Aucune différence entre ces deux versions." in same and "<table" not in same
    modalite = Modalite.objects.filter(referentiel=draft, bloc__isnull=False).order_by("pk").first()
    Modalite.objects.filter(pk=modalite.pk).update(duree_minutes=(modalite.duree_minutes or 0) + 30)
    rows = {r.key: r for r in referentiel_diff(ref, draft) if r.status != "same"}
    assert list(rows) == [f"bmod:{modalite.bloc.code}"]
    assert f"{(modalite.duree_minutes or 0) + 30} min" in rows[f"bmod:{modalite.bloc.code}"].right
    regle = next(r for r in referentiel_diff(ref, draft) if r.key == "regle")
    assert "{" not in regle.left and "points" in regle.left  # sentences, not a Python dict


def _upload(doc: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("rncp.json", json.dumps(doc).encode(), content_type="application/json")


def _counts() -> tuple:
    from referentiels.models import Activite, Bloc, Capacite, Critere, Modalite

    return tuple(m.objects.count() for m in (Referentiel, Bloc, Capacite, Critere, Modalite, Activite))


def test_import_preview_of_a_draft_replacement_writes_nothing_and_confirms(seeds, cci_staff, client_for):
    from referentiels.services import referentiel_export, referentiel_new_version

    draft = referentiel_new_version(
        referentiel=seeds["rncp36390.json"], by=seeds["rncp36390.json"].certificateur
    )
    before, counts = referentiel_export(referentiel=draft), _counts()
    doc = json.loads(json.dumps(before))
    doc["intitule"] = "Intitulé remplacé"
    doc["blocs"][0]["capacites"][0]["intitule"] = "Capacité remplacée"
    client = client_for(cci_staff)
    page = client.post("/o/cci-france/referentiels/importer/", {"fichier": _upload(doc), "remplacer": "on"})
    assert page.status_code == 200, page.content.decode()
    assert "Le brouillon existant de même version sera remplacé." in page.content.decode()
    draft.refresh_from_db()
    assert referentiel_export(referentiel=draft) == before and _counts() == counts  # rolled back
    confirm = client.post("/o/cci-france/referentiels/importer/", {"token": page.context["token"]})
    assert confirm.status_code == 302
    draft.refresh_from_db()
    assert draft.intitule == "Intitulé remplacé"
    assert (
        referentiel_export(referentiel=draft)["blocs"][0]["capacites"][0]["intitule"] == "Capacité remplacée"
    )


def test_import_preview_gives_the_message_of_the_import(seeds, cci_staff, client_for):
    """Preview and confirmation run the same checks: a draft published between the two is
    refused at the confirmation with the message a new preview gives."""
    from referentiels.services import referentiel_export, referentiel_new_version, referentiel_publish

    cci = seeds["rncp36390.json"].certificateur
    draft = referentiel_new_version(referentiel=seeds["rncp36390.json"], by=cci)
    doc = referentiel_export(referentiel=draft)
    client = client_for(cci_staff)
    refused = client.post("/o/cci-france/referentiels/importer/", {"fichier": _upload(doc)})
    assert refused.status_code == 400
    assert "RNCP36390 v2 existe déjà. Cochez « remplacer »" in refused.content.decode()
    page = client.post("/o/cci-france/referentiels/importer/", {"fichier": _upload(doc), "remplacer": "on"})
    assert page.status_code == 200
    referentiel_publish(referentiel=draft, by=cci)
    confirm = client.post("/o/cci-france/referentiels/importer/", {"token": page.context["token"]})
    assert confirm.status_code == 400
    preview = client.post(
        "/o/cci-france/referentiels/importer/", {"fichier": _upload(doc), "remplacer": "on"}
    )
    assert preview.status_code == 400
    assert confirm.context["error"] == preview.context["error"]
    assert "RNCP36390 v2 est publié" in preview.context["error"]


def test_api_import_dry_run_refuses_what_the_import_would(seeds, certificateurs, cci_staff, api_for):
    from referentiels.services import referentiel_export, referentiel_new_version

    doc = referentiel_export(referentiel=seeds["rncp36390.json"])  # v1, published
    uimm = api_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    cci = api_for(cci_staff)
    counts = _counts()
    response = uimm.post(
        "/api/v1/referentiels/import",
        {"fichier": _upload(dict(doc, version=7)), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "appartient à un autre certificateur" in json.dumps(response.json(), ensure_ascii=False)
    response = cci.post(
        "/api/v1/referentiels/import",
        {"fichier": _upload(doc), "dry_run": "true", "remplacer": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "RNCP36390 v1 est publié" in json.dumps(response.json(), ensure_ascii=False)
    draft = referentiel_new_version(referentiel=seeds["rncp36390.json"], by=certificateurs["cci-france"])
    counts = _counts()
    before = referentiel_export(referentiel=draft)
    response = cci.post(
        "/api/v1/referentiels/import",
        {"fichier": _upload(dict(doc, version=2, intitule="Autre")), "dry_run": "true", "remplacer": "true"},
        format="multipart",
    )
    assert response.status_code == 200 and response.json()["dry_run"] is True
    draft.refresh_from_db()
    assert _counts() == counts and referentiel_export(referentiel=draft) == before
