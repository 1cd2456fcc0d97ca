"""issue 17 « Safe retries »: ``Idempotency-Key`` on every POST that creates; a retried create
returns the first answer, never a duplicate; kept 24 h per organisation."""

import datetime as dt

from django.utils import timezone

from integrations.models import IdempotencyRecord
from organisations.tenancy import tenant_context

URL = "/api/v1/o/centre-a/entreprises/"
BODY = {"raison_sociale": "Atelier Durand", "siret": "73282932000074"}


def test_retried_create_returns_the_first_answer(alice, api_for):
    api = api_for(alice)
    first = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="cle-1")
    assert first.status_code == 201, first.content
    again = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="cle-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert api.get(URL).json()["count"] == 1


def test_without_a_key_a_retry_is_a_new_request(alice, api_for):
    api = api_for(alice)
    assert api.post(URL, BODY, format="json").status_code == 201
    # The entreprise's own rule (one SIRET per centre) answers the second one.
    assert api.post(URL, BODY, format="json").status_code == 400


def test_same_key_other_request_is_refused_and_writes_nothing(alice, api_for):
    api = api_for(alice)
    assert api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="cle-1").status_code == 201
    other = api.post(URL, BODY | {"raison_sociale": "Autre"}, format="json", HTTP_IDEMPOTENCY_KEY="cle-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "nouvelle clé" in other.json()["error"]["message"]
    assert api.get(URL).json()["count"] == 1


def test_an_error_is_not_kept(alice, api_for):
    api = api_for(alice)
    bad = api.post(URL, BODY | {"siret": "123"}, format="json", HTTP_IDEMPOTENCY_KEY="cle-2")
    assert bad.status_code == 400
    fixed = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="cle-2")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed


def test_keys_are_per_organisation(alice, bob, api_for):
    a = api_for(alice).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="partagee")
    b = api_for(bob).post(
        "/api/v1/o/centre-b/entreprises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="partagee"
    )
    assert b.status_code == 201 and "Idempotent-Replayed" not in b
    assert b.json()["id"] != a.json()["id"]


def test_a_key_older_than_24_hours_is_forgotten(alice, api_for, org_a):
    api = api_for(alice)
    first = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="vieille")
    with tenant_context(org_a):
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = api.post(URL, BODY | {"siret": "55208131766522"}, format="json", HTTP_IDEMPOTENCY_KEY="vieille")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    from integrations.idempotency import purge_expired

    with tenant_context(org_a):
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert purge_expired() == 1


def test_invalid_key_is_refused(alice, api_for):
    response = api_for(alice).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["message"]


def test_every_organisation_post_declares_the_header(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = [
        (p, ops["post"]) for p, ops in schema["paths"].items() if "post" in ops and p.startswith("/api/v1/o/")
    ]
    assert len(posts) > 30
    missing = [
        p for p, op in posts if not any(x["name"] == "Idempotency-Key" for x in op.get("parameters", []))
    ]
    assert missing == []
