"""Celery entry points for documents: one task per document (parallel across worker processes).

Reliability (DESIGN.md, "Rendering and tasks"): late acks and reject-on-worker-lost are set
globally, so a task whose worker dies is delivered again. Each delivery first counts an attempt
in the document's row, in its own committed transaction, before any work: a document that
keeps failing — or keeps killing its worker — stops at ``MAX_ATTEMPTS`` with status ``failed``.
Transient errors (storage I/O, database connection, the broker unreachable while a task enqueues
another) are retried with exponential backoff; a retry that cannot even be sent (the broker still
down) leaves the document pending for the stuck-documents sweep, never failed.
"""

import logging

from celery import shared_task
from celery.exceptions import Reject, Retry
from django.conf import settings
from django.db import InterfaceError, OperationalError

from documents import services
from documents.models import IssuedDocument
from organisations.models import Organisation
from organisations.tasks import BROKER_ERRORS, TenantTask
from organisations.tenancy import TenantError, tenant_context

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError, *BROKER_ERRORS)


class DocumentRenderTask(TenantTask):
    """``TenantTask`` with an attempt ledger around the work.

    The work itself runs in ``TenantTask``'s transaction, which rolls back on failure; the
    attempt count and the error are therefore written in separate, committed transactions
    before and after it.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        organisation_id, document_id = kwargs.get("organisation_id"), kwargs.get("document_id")
        if not organisation_id:
            raise TenantError(f"La tâche {self.name} exige organisation_id : refusée.")
        from organisations.selectors import organisation_get_active

        organisation = organisation_get_active(pk=organisation_id)
        with tenant_context(organisation):
            go = services.document_render_claim(document_id=document_id)
        if not go:
            return None
        try:
            return super().__call__(*args, **kwargs)
        except Retry as exc:
            self._record(organisation, document_id, exc.exc or exc, final=False)
            raise
        except Reject as exc:
            # Celery could not send the retry (the broker is down): the attempt is counted, the
            # document goes back to pending and the sweep re-sends it once the broker is back.
            self._record(organisation, document_id, exc.reason or exc, final=False)
            raise
        except Exception as exc:
            # Final: not transient, or retries exhausted. State lives in the row; the task
            # itself ends normally so a batch run eagerly goes on with the next document.
            logger.exception("Rendering of document %s failed", document_id)
            self._record(organisation, document_id, exc, final=True)
            return None

    def _record(self, organisation, document_id, error, *, final: bool) -> None:
        try:
            with tenant_context(organisation):
                services.document_render_failed(document_id=document_id, error=error, final=final)
        except Exception:  # the database itself may be what failed; the claim already counted
            logger.exception("Could not record the failure of document %s", document_id)


@shared_task(
    base=DocumentRenderTask,
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS - 1,
    acks_late=True,
    reject_on_worker_lost=True,
)
def document_render_task(self, *, organisation_id: int, document_id: int) -> None:

    document = IssuedDocument.objects.filter(pk=document_id).first()
    if document is not None:
        services.document_render(document)


# The fan-out tasks only enqueue: the broker unreachable is their one transient error.
FAN_OUT = {"autoretry_for": BROKER_ERRORS, "retry_backoff": 2, "retry_backoff_max": 60, "max_retries": 10}


@shared_task(base=TenantTask, **FAN_OUT)
def documents_render_batch_task(*, organisation_id: int, group_key: str, retry_failed: bool = False) -> int:
    """Fan-out entry point (for beat or another task): one rendering task per pending document."""
    return services.documents_render_batch(group_key=group_key, retry_failed=retry_failed)


@shared_task(base=TenantTask, **FAN_OUT)
def documents_stale_requeue_task(*, organisation_id: int, stale_after_seconds: int | None = None) -> int:
    """One organisation's sweep (see ``services.documents_stale_requeue``)."""
    import datetime as dt

    seconds = settings.DOCUMENTS_STALE_AFTER_SECONDS if stale_after_seconds is None else stale_after_seconds
    return services.documents_stale_requeue(older_than=dt.timedelta(seconds=seconds))


@shared_task(**FAN_OUT)
def documents_stale_dispatch(*, stale_after_seconds: int | None = None) -> int:
    """Celery beat entry point: one sweep task per active organisation (each re-enters its tenant).

    Tenant rows are invisible outside a tenant context (RLS), so the sweep cannot pick the
    organisations that have stuck documents: it visits each active one; an empty sweep is a
    single indexed query.
    """

    ids = list(Organisation.objects.filter(is_active=True).values_list("pk", flat=True))
    for organisation_id in ids:
        documents_stale_requeue_task.delay(
            organisation_id=organisation_id, stale_after_seconds=stale_after_seconds
        )
    return len(ids)
