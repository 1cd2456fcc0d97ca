"""Celery entry points of juries (thin): issue a frozen jury's documents."""

from celery import shared_task

from juries.documents import jury_documents_issue
from juries.issuance import issuance_run
from juries.models import Jury
from organisations.tasks import BROKER_ERRORS, TenantTask


@shared_task(
    base=TenantTask, bind=True, autoretry_for=(OSError, *BROKER_ERRORS), retry_backoff=True, max_retries=5
)
def jury_documents_issue_task(self, *, organisation_id: int, jury_id: int) -> int:
    """Idempotent: requesting again finds every document by its key; only pending ones are re-enqueued."""
    jury = Jury.objects.filter(pk=jury_id).first()
    if jury is None or not jury.is_frozen:
        return 0
    return jury_documents_issue(jury=jury)


@shared_task(
    base=TenantTask, bind=True, autoretry_for=(OSError, *BROKER_ERRORS), retry_backoff=True, max_retries=5
)
def certificateur_issuance_task(
    self, *, organisation_id: int, jury_id: int, certificateur_id: int, user_id=None
) -> int:
    """The certificateur's documents of a transmitted PV, requested in the centre's tenant."""
    jury = Jury.objects.filter(pk=jury_id).first()
    if jury is None or not jury.is_frozen:
        return 0
    return issuance_run(jury=jury, certificateur_id=certificateur_id, user_id=user_id)
