"""PostgreSQL connection dropped in the middle of a multi-write request: clean error, nothing written.

The request's own backend is terminated (``pg_terminate_backend`` from a second connection)
after the dossier and its first transition are written and before its plan and audit event
are: the tenant transaction rolls back as a whole, the API answers a clear 503 in its error
format, and the next request works on a fresh connection.
"""

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from candidates import services as candidates_services
from candidates.models import Dossier, DossierBloc, DossierTransition
from candidates.services import dossiers as dossiers_services
from organisations.models import AuditEvent
from organisations.services import api_token_create
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import IDENTITY

pytestmark = [pytest.mark.django_db(transaction=True)]


def _terminate(pid: int) -> bool:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until it is gone
            return cursor.fetchone()[0]
    finally:
        other.close()


def test_connection_terminated_mid_request_rolls_back_and_answers_503(
    org_a, alice, referentiels, monkeypatch
):
    with tenant_context(org_a):
        candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
    _token, key = api_token_create(membership=alice, name="faults")
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {
        "candidate": str(candidate.public_id),
        "referentiel": str(referentiels["rncp"].public_id),
        "voie_acces": "VAE",
        "date_inscription": "2025-09-01",
    }

    original = dossiers_services.dossier_plan_update
    killed = []

    def plan_update_after_a_crash(**kwargs):
        # Dossier and « création » transition are written (not committed); the connection dies.
        assert Dossier.objects.filter(candidate=candidate).exists()
        killed.append(_terminate(connection.connection.info.backend_pid))
        return original(**kwargs)

    # Patched where dossier_create looks it up (candidates/services/dossiers.py), not the re-export.
    monkeypatch.setattr(dossiers_services, "dossier_plan_update", plan_update_after_a_crash)
    response = api.post("/api/v1/o/centre-a/dossiers/", body, format="json")
    assert killed == [True]
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "unavailable" and "rien n'a été enregistré" in error["message"]
    assert "Traceback" not in response.content.decode() and "psycopg" not in response.content.decode()

    connection.close()  # this thread shares the request's (dead) connection
    with tenant_context(org_a):
        assert not Dossier.objects.filter(candidate=candidate).exists()
        assert not DossierTransition.objects.filter(dossier__candidate=candidate).exists()
        assert not DossierBloc.objects.exists()
        assert not AuditEvent.objects.filter(action="dossier.create").exists()

    # The client retries: a new connection, the dossier is created once.
    monkeypatch.setattr(dossiers_services, "dossier_plan_update", original)
    retry = api.post("/api/v1/o/centre-a/dossiers/", body, format="json")
    assert retry.status_code == 201, retry.content
    with tenant_context(org_a):
        assert Dossier.objects.filter(candidate=candidate).count() == 1
        assert DossierTransition.objects.filter(dossier__candidate=candidate).count() == 1


def test_page_request_with_a_dead_connection_is_a_plain_500(org_a, alice, referentiels, client, monkeypatch):
    """Pages keep Django's 500 page (no traceback, nothing written)."""
    with tenant_context(org_a):
        candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
    from candidates import views

    def dies(*args, **kwargs):
        _terminate(connection.connection.info.backend_pid)
        return Dossier.objects.count()

    client.raise_request_exception = False
    client.force_login(alice.user)
    monkeypatch.setattr(views, "render", dies, raising=False)
    response = client.get(f"/o/centre-a/candidats/{candidate.public_id}/")
    connection.close()
    assert response.status_code == 500
    assert b"Traceback" not in response.content
