"""issue 17 « Safe retries »: « an Idempotency-Key header on every POST that creates (a retried
create returns the first answer, never a duplicate), kept for 24 h per organisation » — the
catalogue's creates too (``/api/v1/referentiels/…``: import, new version, habilitations), keyed
per certificateur."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integrations.models import IdempotencyRecord
from organisations.models import Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.models import Habilitation, Referentiel
from referentiels.seeds import seed_path
from tests.conftest import make_member

BASE = "/api/v1/referentiels"


@pytest.fixture
def cci(db):
    return Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")


@pytest.fixture
def uimm(db):
    return Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")


@pytest.fixture
def rncp36390(cci):
    return load_seed("rncp36390.json", cci)


@pytest.fixture
def cci_api(cci, api_for):
    return api_for(make_member(cci, Role.CERTIFICATEUR, "staff@cci.test"))


def _seed_upload(name="rncp36390.json"):
    return SimpleUploadedFile(name, seed_path(name).read_bytes())


def test_retried_new_version_returns_the_first_draft(rncp36390, cci_api):
    url = f"{BASE}/{rncp36390.public_id}/new-version"
    first = cci_api.post(url, HTTP_IDEMPOTENCY_KEY="version-2")
    assert first.status_code == 201, first.content
    again = cci_api.post(url, HTTP_IDEMPOTENCY_KEY="version-2")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Referentiel.objects.filter(code="RNCP36390").count() == 2
    # Without the key, the retry is a new request, refused by the service's own rule.
    assert cci_api.post(url).status_code == 400


def test_retried_import_returns_the_first_answer(cci, cci_api):
    first = cci_api.post(
        f"{BASE}/import", {"fichier": _seed_upload()}, format="multipart", HTTP_IDEMPOTENCY_KEY="import-1"
    )
    assert first.status_code == 201, first.content
    again = cci_api.post(
        f"{BASE}/import", {"fichier": _seed_upload()}, format="multipart", HTTP_IDEMPOTENCY_KEY="import-1"
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Referentiel.objects.filter(code="RNCP36390").count() == 1


def test_retried_habilitation_returns_the_first_answer(rncp36390, org_a, cci_api):
    body = {"centre": "centre-a", "referentiel_code": "RNCP36390", "date_debut": "2025-09-01"}
    first = cci_api.post(f"{BASE}/habilitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="hab-1")
    assert first.status_code == 201, first.content
    again = cci_api.post(f"{BASE}/habilitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="hab-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    # Same key, another body: refused, nothing written.
    other = cci_api.post(
        f"{BASE}/habilitations/",
        body | {"date_debut": "2026-01-01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="hab-1",
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "nouvelle clé" in other.json()["error"]["message"]
    assert Habilitation.objects.count() == 1


def test_an_error_is_not_kept(cci, cci_api):
    bad = SimpleUploadedFile("x.json", b"[]")
    refused = cci_api.post(
        f"{BASE}/import", {"fichier": bad}, format="multipart", HTTP_IDEMPOTENCY_KEY="import-2"
    )
    assert refused.status_code == 400
    with tenant_context(cci):
        assert IdempotencyRecord.objects.count() == 0
    fixed = cci_api.post(
        f"{BASE}/import", {"fichier": _seed_upload()}, format="multipart", HTTP_IDEMPOTENCY_KEY="import-2"
    )
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed


def test_keys_are_per_organisation_and_kept_24_hours(cci, uimm, cci_api, api_for):
    uimm_api = api_for(make_member(uimm, Role.CERTIFICATEUR, "staff@uimm.test"))
    a = cci_api.post(
        f"{BASE}/import", {"fichier": _seed_upload()}, format="multipart", HTTP_IDEMPOTENCY_KEY="partagee"
    )
    b = uimm_api.post(
        f"{BASE}/import",
        {"fichier": _seed_upload("cqpm-attache-gestion.json")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="partagee",
    )
    assert a.status_code == b.status_code == 201 and "Idempotent-Replayed" not in b
    assert b.json()["referentiels"][0]["code"] != a.json()["referentiels"][0]["code"]
    with tenant_context(cci):
        assert list(IdempotencyRecord.objects.values_list("path", flat=True)) == [f"{BASE}/import"]
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # After 24 h the key is forgotten: the same key runs the request again (the import's own
    # rule then answers: the version exists).
    again = cci_api.post(
        f"{BASE}/import", {"fichier": _seed_upload()}, format="multipart", HTTP_IDEMPOTENCY_KEY="partagee"
    )
    assert again.status_code == 400 and "Idempotent-Replayed" not in again


def test_every_catalogue_post_declares_the_header(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = [
        (p, ops["post"]) for p, ops in schema["paths"].items() if "post" in ops and p.startswith(f"{BASE}/")
    ]
    assert len(posts) >= 4
    missing = [
        p for p, op in posts if not any(x["name"] == "Idempotency-Key" for x in op.get("parameters", []))
    ]
    assert missing == []
