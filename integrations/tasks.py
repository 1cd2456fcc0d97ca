"""The webhook sender (Celery). One task per delivery attempt; the row is the ledger.

The attempt's outcome is written in the task's transaction, which then commits normally: the
next attempt is scheduled after the commit (exponential backoff) rather than by raising
``Retry``, which would roll the recorded attempt back.
"""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from integrations import webhooks
from integrations.models import WebhookDelivery
from organisations.tasks import TenantTask


@shared_task(base=TenantTask)
def webhook_deliver(*, organisation_id: int, delivery_id: int) -> str:
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return "nothing to do"
    if not delivery.endpoint.is_active:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.last_error = "Webhook désactivé : envoi abandonné."
        delivery.save(update_fields=["status", "last_error"])
        return "endpoint disabled"
    if webhooks.attempt(delivery):
        webhooks.delivery_succeeded(delivery.endpoint)
        return "delivered"
    if delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        webhooks.delivery_failed(delivery)
        return "failed"
    countdown = settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
    transaction.on_commit(
        lambda: webhook_deliver.apply_async(
            kwargs={"organisation_id": organisation_id, "delivery_id": delivery_id}, countdown=countdown
        )
    )
    return f"retry in {countdown}s"


@shared_task
def idempotency_purge() -> int:
    """Forget the answers kept for Idempotency-Key retries after their 24 hours (every tenant)."""
    from integrations.idempotency import purge_expired

    return purge_expired()
