import json

import pytest

from organisations.models import Invitation
from organisations.roles import Role
from organisations.tenancy import tenant_context


def test_me_lists_organisations_and_roles(alice, org_b, client_for):
    from organisations.services import membership_add

    membership_add(user=alice.user, organisation=org_b, role=Role.EVALUATEUR)
    data = client_for(alice).get("/api/v1/me").json()
    assert data["email"] == "alice@test.local"
    assert {(m["organisation"], m["role"]) for m in data["memberships"]} == {
        ("centre-a", "gestionnaire"),
        ("centre-b", "evaluateur"),
    }


def test_token_sees_only_its_membership(alice, org_b, api_for):
    from organisations.services import membership_add

    membership_add(user=alice.user, organisation=org_b, role=Role.EVALUATEUR)
    data = api_for(alice).get("/api/v1/me").json()
    assert [m["organisation"] for m in data["memberships"]] == ["centre-a"]


def test_anonymous_and_bad_token_rejected(alice, client):
    assert client.get("/api/v1/me").status_code in (401, 403)
    response = client.get("/api/v1/o/centre-a/invitations/", HTTP_AUTHORIZATION="Token faux")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Jeton invalide ou révoqué."


def test_malformed_json_gives_clear_error_and_writes_nothing(alice, api_for):
    api = api_for(alice)
    response = api.generic(
        "POST", "/api/v1/o/centre-a/invitations/", "{email: ", content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "parse_error"
    assert "JSON" in body["error"]["message"]
    with tenant_context(alice.organisation):
        assert Invitation.objects.count() == 0


def test_invalid_field_names_the_field(alice, api_for):
    response = api_for(alice).post(
        "/api/v1/o/centre-a/invitations/", {"email": "pas-un-email", "role": "tuteur"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]


def test_invitation_created_through_api(alice, api_for, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(alice).post(
            "/api/v1/o/centre-a/invitations/", {"email": "Tom@Example.fr", "role": "tuteur"}, format="json"
        )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "tom@example.fr"
    assert len(mailoutbox) == 1 and "/invitation/" in mailoutbox[0].body


def test_gestionnaire_cannot_invite_an_admin(alice, api_for):
    response = api_for(alice).post(
        "/api/v1/o/centre-a/invitations/", {"email": "x@example.fr", "role": "admin"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "role": ["Votre rôle ne permet pas d'inviter quelqu'un avec ce rôle."]
    }


def test_role_without_capability_gets_403(org_a, member_factory, api_for):
    tuteur = member_factory(org_a, Role.TUTEUR)
    response = api_for(tuteur).get("/api/v1/o/centre-a/invitations/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_list_is_paginated(alice, api_for):
    data = api_for(alice).get("/api/v1/o/centre-a/invitations/").json()
    assert set(data) == {"count", "count_is_estimate", "next", "previous", "results"}


def test_openapi_schema_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me" in schema["paths"]
    assert client.get("/api/schema/swagger/").status_code == 200


@pytest.mark.django_db
def test_health_reports_services(client):
    response = client.get("/sante")
    data = response.json()
    assert data["checks"]["database"] == "ok"
    assert data["checks"]["redis"] == "ok"
    # The unit tests run tasks in-process: the check says so and does not count as a failure.
    assert data["checks"]["celery"] == "exécution immédiate (mode embarqué)"
    assert response.status_code == 200 and data["status"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_health_reports_the_celery_worker(real_celery, client, monkeypatch):
    response = client.get("/sante")
    data = response.json()
    assert data["checks"]["celery"].startswith("ok (") and "worker(s)" in data["checks"]["celery"]
    assert response.status_code == 200 and data["status"] == "ok"
    # No worker answering the ping: degraded, so that the orchestrator notices.
    monkeypatch.setattr(real_celery.control, "ping", lambda timeout: [])
    response = client.get("/sante")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and response.json()["checks"]["celery"] == "aucun worker"


def test_deeply_nested_json_body_is_a_parse_error(alice, api_for):
    body = "[" * 100_000 + "]" * 100_000
    response = api_for(alice).generic(
        "POST", "/api/v1/o/centre-a/invitations/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    with tenant_context(alice.organisation):
        assert Invitation.objects.count() == 0
