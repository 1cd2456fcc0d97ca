"""Celery entry points of the bulk import (thin: the work is in ``services``)."""

import logging

from celery import shared_task
from django.db import transaction

from candidates.models import ImportJob
from candidates.services import import_job_apply, import_job_check
from organisations.tasks import TenantTask

logger = logging.getLogger(__name__)


def _run(job_id: int, step) -> None:

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_running:
        return  # already handled: the task is idempotent
    try:
        with transaction.atomic():
            step(job=job)
    except Exception as exc:
        # The tenant transaction must still commit the failure, so the status page stops waiting.
        logger.exception("Import %s en échec", job_id)
        job.refresh_from_db()
        job.status = ImportJob.Status.FAILED
        job.errors = [
            {
                "row": 0,
                "column": "",
                "message": f"Erreur inattendue pendant l'import ({exc.__class__.__name__}) : rien n'a été écrit.",
            }
        ]
        job.save(update_fields=["status", "errors"])


@shared_task(base=TenantTask)
def candidate_import_check(*, organisation_id: int, job_id: int) -> None:
    _run(job_id, import_job_check)


@shared_task(base=TenantTask)
def candidate_import_apply(*, organisation_id: int, job_id: int) -> None:
    _run(job_id, import_job_apply)
