"""Celery entry points of the catalogue (thin: the work is in ``referentiels.import_jobs``).

National data: no organisation to re-enter (not ``TenantTask``); the job row names its
certificateur. Tasks take the job's id and are idempotent (the row's status says what ran).
"""

from celery import shared_task

from referentiels.import_jobs import rncp_import_job_apply as job_apply
from referentiels.import_jobs import rncp_import_job_check as job_check


@shared_task
def rncp_import_job_check(*, job_id: int) -> None:
    job_check(job_id=job_id)


@shared_task
def rncp_import_job_apply(*, job_id: int) -> None:
    job_apply(job_id=job_id)
