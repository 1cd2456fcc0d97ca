"""issue 17 « Webhooks »: an organisation registers HTTPS endpoints and picks events; deliveries
are HMAC-signed with a timestamp, retried with backoff, logged, replayable, and the endpoint is
disabled after repeated failures with a notice to the admins. Against a local receiver."""

import time

import pytest
from django.core import mail

from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from organisations.tenancy import tenant_context
from tests.documents.conftest import issue, render_now
from tests.integrations.receiver import Receiver

URL = "/api/v1/o/centre-a/webhooks/"


def _register(api, url, events):
    response = api.post(URL, {"url": url, "events": events, "description": "SI de l'école"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_only_https_endpoints_and_known_events(admin_a, api_for, settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    api = api_for(admin_a)
    plain = api.post(URL, {"url": "http://erp.example.fr/hook", "events": ["document.emis"]}, format="json")
    assert plain.status_code == 400
    assert plain.json()["error"]["fields"] == {"url": ["L'adresse d'un webhook doit commencer par https://."]}
    unknown = api.post(URL, {"url": "https://erp.example.fr/hook", "events": ["dossier.cree"]}, format="json")
    assert unknown.status_code == 400 and "events" in unknown.json()["error"]["fields"]
    created = _register(api, "https://erp.example.fr/hook", ["document.emis", "dossier.transition"])
    assert created["secret"].startswith("whsec_") and created["is_active"] is True
    listed = api.get(URL).json()["results"]
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]


def test_only_admins_manage_webhooks(alice, api_for):
    assert api_for(alice).get(URL).status_code == 403


def test_document_events_are_signed_and_logged(
    admin_a, api_for, receiver, org_a, django_capture_on_commit_callbacks
):
    from documents.models import IssuedDocument
    from documents.services import document_reissue, document_revoke
    from organisations.models import Organisation

    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    hook = _register(
        api_for(admin_a), receiver.url, ["document.emis", "document.revoque", "document.reedite"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        document = render_now(issue(org_a, cci))
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        document = document_reissue(
            document=IssuedDocument.objects.get(pk=document.pk),
            by=admin_a,
            reason="Nom corrigé",
            context_changes={"holder_name": "Léa Durand-Martin"},
        )
    with django_capture_on_commit_callbacks(execute=True):
        document = render_now(document)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        document_revoke(
            document=IssuedDocument.objects.get(pk=document.pk), by=admin_a, reason="Erreur de nom"
        )
    assert [r["json"]["type"] for r in receiver.requests] == [
        "document.emis",
        "document.reedite",
        "document.revoque",
    ]
    first = receiver.requests[0]
    assert first["json"]["data"]["document"] == str(document.public_id)
    assert first["json"]["organisation"] == "centre-a"
    with tenant_context(org_a):
        secret = WebhookEndpoint.objects.get().secret
    # The receiver's check (docs/api-integration.md): HMAC-SHA256 of "<t>.<body>".
    assert webhooks.verify(secret, first["body"], first["headers"]["Certif-Signature"])
    assert not webhooks.verify("whsec_autre", first["body"], first["headers"]["Certif-Signature"])
    assert not webhooks.verify(secret, first["body"] + b" ", first["headers"]["Certif-Signature"])
    stamp = int(first["headers"]["Certif-Signature"].split(",")[0][2:])
    assert not webhooks.verify(secret, first["body"], first["headers"]["Certif-Signature"], now=stamp + 3600)
    log = api_for(admin_a).get(f"/api/v1/o/centre-a/webhook-deliveries/?webhook={hook['id']}").json()
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log["results"]] == [
        ("document.revoque", "succeeded", 1, 200),
        ("document.reedite", "succeeded", 1, 200),
        ("document.emis", "succeeded", 1, 200),
    ]
    assert first["headers"]["Certif-Delivery"] == log["results"][2]["id"]


def test_failures_retry_then_disable_the_endpoint_and_tell_the_admins(
    admin_a, api_for, org_a, settings, django_capture_on_commit_callbacks
):
    # settings (config/settings/test.py): 3 attempts per delivery, disabled after 2 failed deliveries.
    api = api_for(admin_a)
    with Receiver(statuses=[500]) as receiver:
        hook = _register(api, receiver.url, ["dossier.transition"])
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
                webhooks.emit(organisation_id=org_a.pk, event="dossier.transition", data={"dossier": "x"})
        assert len(receiver.requests) == 6
    log = api.get("/api/v1/o/centre-a/webhook-deliveries/?status=failed").json()["results"]
    assert [(d["attempts"], d["last_status_code"]) for d in log] == [(3, 500), (3, 500)]
    assert log[0]["last_error"].startswith("HTTP 500")
    endpoint = api.get(f"{URL}{hook['id']}/").json()
    assert endpoint["is_active"] is False and endpoint["consecutive_failures"] == 2
    assert endpoint["disabled_reason"].startswith("2 envois en échec d'affilée")
    assert [m.to for m in mail.outbox] == [["admin-a@test.local"]]
    assert receiver.url in mail.outbox[0].body
    # Disabled: nothing more is sent, and replay asks to re-enable first.
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        assert webhooks.emit(organisation_id=org_a.pk, event="dossier.transition", data={}) == []
    refused = api.post(f"/api/v1/o/centre-a/webhook-deliveries/{log[0]['id']}/replay/")
    assert refused.status_code == 400 and "réactivez" in refused.json()["error"]["message"]
    # Fixed receiver, re-enabled endpoint: the replay is delivered with the same event id.
    with Receiver(statuses=[204]) as fixed:
        assert (
            api.patch(f"{URL}{hook['id']}/", {"url": fixed.url, "is_active": True}, format="json").status_code
            == 200
        )
        with django_capture_on_commit_callbacks(execute=True):
            replay = api.post(f"/api/v1/o/centre-a/webhook-deliveries/{log[0]['id']}/replay/")
        assert replay.status_code == 202, replay.content
        assert [r["json"]["id"] for r in fixed.requests] == [str(log[0]["event_id"])]
    row = api.get("/api/v1/o/centre-a/webhook-deliveries/?status=succeeded").json()["results"][0]
    assert row["replay_of"] == log[0]["id"] and row["attempts"] == 1
    assert api.get(f"{URL}{hook['id']}/").json()["consecutive_failures"] == 0


def test_no_endpoint_no_query(org_a, django_assert_num_queries):
    with tenant_context(org_a):
        webhooks._subscribed(org_a.pk)  # warm the cache
        with django_assert_num_queries(0):
            assert webhooks.emit(organisation_id=org_a.pk, event="document.emis", data=lambda: 1 / 0) == []


def test_other_organisation_sees_nothing(admin_a, bob, api_for, receiver):
    hook = _register(api_for(admin_a), receiver.url, ["document.emis"])
    assert api_for(bob).get(f"/api/v1/o/centre-a/webhooks/{hook['id']}/").status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_with_backoff_then_delivers(real_celery, org_a, admin_a):
    from tests.conftest import wait_for

    with Receiver(statuses=[503, 200]) as receiver:
        with tenant_context(org_a):
            webhooks.endpoint_create(by=admin_a, url=receiver.url, events=["jury.signe"])
        with tenant_context(org_a):
            webhooks.emit(organisation_id=org_a.pk, event="jury.signe", data={"jury": "j"})
        started = time.monotonic()
        wait_for(lambda: len(receiver.requests) >= 2, timeout=30)
        elapsed = time.monotonic() - started

        def delivered():
            with tenant_context(org_a):
                return WebhookDelivery.objects.filter(status="succeeded").first()

        delivery = wait_for(delivered, timeout=15)
    assert delivery.attempts == 2 and delivery.last_status_code == 200 and delivery.last_error == ""
    assert elapsed >= 1  # the backoff (WEBHOOKS_RETRY_BASE_SECONDS = 1 in the tests)
    first, second = receiver.requests
    assert first["json"]["id"] == second["json"]["id"]
    assert first["headers"]["Certif-Delivery"] == second["headers"]["Certif-Delivery"]
