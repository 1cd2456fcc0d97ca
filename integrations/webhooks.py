"""Webhooks: an organisation's endpoints receive its events, signed, retried, logged.

A delivery is a POST of JSON::

    {"id": "<event id>", "type": "dossier.transition", "created_at": "…", "organisation": "<slug>",
     "data": {…}}

with the headers ``Certif-Event`` (the type), ``Certif-Delivery`` (the delivery's id) and
``Certif-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``.
A 2xx answer within ``WEBHOOKS_TIMEOUT_SECONDS`` is a success; anything else is retried with
exponential backoff (``WEBHOOKS_RETRY_BASE_SECONDS`` × 2^n, ``WEBHOOKS_MAX_ATTEMPTS`` attempts).
After ``WEBHOOKS_DISABLE_AFTER`` deliveries failed in a row the endpoint is disabled and the
organisation's administrators are told by e-mail.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from integrations.models import Event, WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "Certif-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does (docs/api-integration.md has the same in a few lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- endpoints -------------------------------------------------------------------------------


def url_check(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and getattr(settings, "WEBHOOKS_ALLOW_HTTP", False) and parts.hostname:
        return url
    raise ApplicationError("L'adresse d'un webhook doit commencer par https://.", field="url")


def events_check(events) -> list[str]:
    unknown = [e for e in events if e not in Event.values]
    if unknown or not events:
        raise ApplicationError(
            f"Événements inconnus : {', '.join(map(str, unknown))[:200]}. Possibles : {', '.join(Event.values)}."
            if unknown
            else "Choisissez au moins un événement.",
            field="events",
        )
    return sorted(set(events))


def _cache_key(organisation_id) -> str:
    return f"webhooks:endpoints:{organisation_id}"


def endpoints_changed(organisation_id) -> None:
    transaction.on_commit(lambda: cache.delete(_cache_key(organisation_id)))


def endpoint_create(*, by, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    from organisations.services import audit_record

    endpoint = WebhookEndpoint.objects.create(
        organisation=by.organisation,
        url=url_check(url),
        events=events_check(events),
        description=description,
        created_by=by.user,
    )
    audit_record(actor=by.user, action="webhook.create", message=endpoint.url)
    endpoints_changed(by.organisation_id)
    return endpoint


def endpoint_update(*, endpoint: WebhookEndpoint, by, **fields) -> WebhookEndpoint:
    from organisations.services import audit_record

    if "url" in fields:
        endpoint.url = url_check(fields["url"])
    if "events" in fields:
        endpoint.events = events_check(fields["events"])
    if "description" in fields:
        endpoint.description = fields["description"]
    if "is_active" in fields:
        endpoint.is_active = fields["is_active"]
        if endpoint.is_active:  # re-enabled by a person: a fresh start
            endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
    endpoint.save()
    audit_record(actor=by.user, action="webhook.update", message=endpoint.url)
    endpoints_changed(endpoint.organisation_id)
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, by) -> None:
    from organisations.services import audit_record

    audit_record(actor=by.user, action="webhook.delete", message=endpoint.url)
    endpoints_changed(endpoint.organisation_id)
    endpoint.delete()


def _subscribed(organisation_id) -> list[tuple[int, list[str]]]:
    """(endpoint pk, events) of the organisation's active endpoints, cached: most organisations
    have none, and an event must then cost no query."""
    key = _cache_key(organisation_id)
    cached = cache.get(key)
    if cached is None:
        cached = list(
            WebhookEndpoint.objects.filter(organisation_id=organisation_id, is_active=True).values_list(
                "pk", "events"
            )
        )
        cache.set(key, cached, 3600)
    return cached


# --- events ----------------------------------------------------------------------------------


def emit(*, organisation_id: int, event: str, data) -> list[WebhookDelivery]:
    """Record one delivery per subscribed endpoint and send them once the transaction commits.

    ``data`` (a dict, or a callable returning it) is only built when an endpoint listens."""
    targets = [pk for pk, events in _subscribed(organisation_id) if event in events]
    if not targets:
        return []
    from organisations.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    data = data() if callable(data) else data
    event_id = uuid.uuid4()
    payload = json.loads(
        json.dumps(
            {
                "id": str(event_id),
                "type": event,
                "created_at": timezone.now(),
                "organisation": organisation.slug,
                "data": data,
            },
            cls=DjangoJSONEncoder,
        )
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                organisation=organisation, endpoint_id=pk, event=event, event_id=event_id, payload=payload
            )
            for pk in targets
        ]
    )
    for delivery in deliveries:
        _enqueue(delivery)
    return deliveries


def _enqueue(delivery: WebhookDelivery) -> None:
    enqueue_on_commit(
        "integrations.tasks.webhook_deliver",
        organisation_id=delivery.organisation_id,
        delivery_id=delivery.pk,
    )


def delivery_replay(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """Send the same event again (same event id, so a receiver can tell): a new delivery row."""
    from organisations.services import audit_record

    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise ApplicationError(
            "Ce webhook est désactivé : réactivez-le avant de renvoyer un événement.", field="endpoint"
        )
    replay = WebhookDelivery.objects.create(
        organisation=delivery.organisation,
        endpoint=endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        replay_of=delivery,
    )
    audit_record(actor=by.user, action="webhook.replay", message=f"{delivery.event} → {endpoint.url}")
    _enqueue(replay)
    return replay


# --- delivery (the worker) -------------------------------------------------------------------


def attempt(delivery: WebhookDelivery) -> bool:
    """POST the delivery once; record the outcome on the row. True when the receiver took it."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - https (http only in tests), checked by url_check
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "certif-webhooks/1",
            "Certif-Event": delivery.event,
            "Certif-Delivery": str(delivery.public_id),
            SIGNATURE_HEADER: sign(endpoint.secret, body, int(time.time())),
        },
    )
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS) as response:  # noqa: S310 - https (or test http) checked at registration
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{exc.__class__.__name__} : {getattr(exc, 'reason', exc)}"[:1000]
    delivery.last_status_code = status_code
    ok = status_code is not None and 200 <= status_code < 300
    delivery.last_error = "" if ok else (error or f"HTTP {status_code}")
    if ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
    delivery.save()
    return ok


def delivery_succeeded(endpoint: WebhookEndpoint) -> None:
    if endpoint.consecutive_failures:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)


def delivery_failed(delivery: WebhookDelivery) -> None:
    """Out of attempts: the delivery failed; the endpoint is disabled after too many in a row."""
    delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(update_fields=["status"])
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    endpoint.consecutive_failures += 1
    if endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER:
        endpoint.is_active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = (
            f"{endpoint.consecutive_failures} envois en échec d'affilée "
            f"(dernière erreur : {delivery.last_error[:150]})."
        )
        endpoint.save()
        endpoints_changed(endpoint.organisation_id)
        _notify_admins(endpoint)
    else:
        endpoint.save(update_fields=["consecutive_failures"])


def _notify_admins(endpoint: WebhookEndpoint) -> None:
    from django.core.mail import send_mail

    from organisations.models import Membership
    from organisations.roles import Role

    emails = list(
        Membership.objects.filter(organisation_id=endpoint.organisation_id, role=Role.ADMIN).values_list(
            "user__email", flat=True
        )
    )
    if not emails:
        return
    send_mail(
        subject="Webhook désactivé après des échecs répétés",
        message=(
            f"Le webhook {endpoint.url} de votre organisation a été désactivé : "
            f"{endpoint.disabled_reason}\n\nCorrigez le service qui le reçoit, puis réactivez-le "
            '(page « Webhooks » ou PATCH /api/v1/o/<organisation>/webhooks/<id>/ {"is_active": true}) ; '
            "les événements en échec peuvent être renvoyés depuis leur historique."
        ),
        from_email=None,
        recipient_list=emails,
    )
