"""Celery entry points of the candidate's space (thin): e-mails, surveys and deadline notices."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from espace_candidat import services
from organisations.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def candidate_email_send(self, *, organisation_id: int, to: str, subject: str, body: str) -> None:
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]).send()


@shared_task(base=TenantTask)
def followup_run(*, organisation_id: int) -> dict:
    result = services.enquetes_send_due()
    result["echeances"] = services.deadlines_notify()
    result["rattrapages"] = services.rattrapage_windows_notify()
    return result


def _active_centres() -> list[int]:
    from organisations.models import Organisation

    return list(
        Organisation.objects.filter(kind=Organisation.Kind.CENTRE, is_active=True).values_list(
            "pk", flat=True
        )
    )


@shared_task
def followup_dispatch() -> int:
    """Celery beat entry point: one task per active centre (each re-enters its tenant)."""
    ids = _active_centres()
    for pk in ids:
        followup_run.delay(organisation_id=pk)
    return len(ids)


@shared_task(base=TenantTask)
def wallet_offers_purge(*, organisation_id: int) -> int:
    from espace_candidat.wallet import offers_purge

    return offers_purge()


@shared_task
def wallet_offers_purge_dispatch() -> int:
    """Celery beat entry point (daily): each active centre deletes its offers expired for more than
    ``wallet.OFFER_RETENTION``, in its own tenant."""
    ids = _active_centres()
    for pk in ids:
        wallet_offers_purge.delay(organisation_id=pk)
    return len(ids)
