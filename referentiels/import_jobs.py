"""Large RNCP imports from the page, run by a Celery worker (``referentiels.tasks``).

``rncp_import_job_create`` stores the upload privately and enqueues the check (a dry run of
``rncp_import``: the preview); ``rncp_import_job_confirm`` enqueues the writing. Each step reads the
file through :class:`ProgressReader`, which publishes the share of bytes read in the cache: a step
reads the export once (validation and writing in one pass) inside one transaction, so its progress
cannot live in the row until it ends. The row records each step's outcome, in the
same transaction as the step's writes: a re-delivered task finds it finished and does nothing.
"""

import datetime as dt
import logging

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from core.filenames import clean_filename
from organisations.models import Organisation
from referentiels.models import RncpImportJob

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 6 * 3600
#: Each step reads the file once: validation and writing in one pass (rncp.Checked).
PASSES = 1
#: Deliveries of a step before it is given up (late ack re-delivers a task whose worker died).
MAX_ATTEMPTS = 3
#: Fiche summaries kept for the preview (the importer keeps 500 at most).
PREVIEW_ROWS = 500


def _progress_key(job: RncpImportJob) -> str:
    return f"rncp-import:{job.public_id}:progress"


def rncp_import_job_progress(job: RncpImportJob) -> dict:
    """``{"percent", "fiches"}``: live while a step runs, else what the row recorded."""
    live = cache.get(_progress_key(job)) if job.is_running else None
    if live:
        return {"percent": max(job.progress, live["percent"]), "fiches": live["fiches"]}
    return {
        "percent": job.progress,
        "fiches": job.total if job.status == job.Status.VALIDATED else job.imported,
    }


class ProgressReader:
    """A binary file that reports the share of its bytes read (over ``PASSES`` readings)."""

    STEP = 1024 * 1024

    def __init__(self, fh, *, job: RncpImportJob, name: str):
        self._fh = fh
        self.name = name
        self._job = job
        self._read = 0
        self._reported = 0
        self._total = max(job.size, 1) * PASSES
        self.fiches = 0

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._read += len(data)
        if self._read - self._reported >= self.STEP:
            self._reported = self._read
            self.publish()
        return data

    def fiches_done(self, count: int) -> None:
        self.fiches = count
        self.publish()

    def publish(self) -> None:
        percent = min(99, self._read * 100 // self._total)
        cache.set(_progress_key(self._job), {"percent": percent, "fiches": self.fiches}, PROGRESS_SECONDS)
        if not connection.in_atomic_block:  # read outside a transaction: the row can show it too
            RncpImportJob.objects.filter(pk=self._job.pk, progress__lt=percent).update(progress=percent)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def seekable(self) -> bool:
        return True


#: A checked export not confirmed within this delay is expired and its file deleted.
CONFIRM_WITHIN = dt.timedelta(hours=24)


def rncp_import_jobs_expire() -> int:
    """Expire the checked imports never confirmed (their files leave the private storage)."""
    expired = 0
    limit = timezone.now() - CONFIRM_WITHIN
    for job in RncpImportJob.objects.filter(status=RncpImportJob.Status.VALIDATED, finished_at__lt=limit):
        with transaction.atomic():
            _discard_file(job)
            job.status = RncpImportJob.Status.EXPIRED
            job.save(update_fields=["status", "file"])
        expired += 1
    return expired


def rncp_import_job_create(
    *, certificateur: Organisation, user, uploaded_file, numeros: set[str] | None = None
) -> RncpImportJob:
    """Store the export privately and enqueue its check (nothing is imported before the confirmation)."""
    if certificateur.kind != Organisation.Kind.CERTIFICATEUR:
        raise ApplicationError("Seul un certificateur peut importer des fiches RNCP.")
    job = RncpImportJob(
        certificateur=certificateur,
        created_by=user,
        original_name=clean_filename(uploaded_file.name),
        size=uploaded_file.size,
        numeros=sorted(numeros or []),
    )
    rncp_import_jobs_expire()
    job.file.save("rncp-imports/export.xml", uploaded_file, save=False)
    job.save()
    enqueue_on_commit("referentiels.tasks.rncp_import_job_check", job_id=job.pk)
    return job


@transaction.atomic
def rncp_import_job_confirm(*, job: RncpImportJob, certificateur: Organisation) -> RncpImportJob:
    job = RncpImportJob.objects.select_for_update().get(pk=job.pk)
    if job.certificateur_id != certificateur.pk:
        raise ApplicationError("Cet import appartient à un autre certificateur.")
    if job.status != RncpImportJob.Status.VALIDATED:
        raise ApplicationError(
            f"Cet import est « {job.get_status_display().lower()} » : seul un import vérifié peut être confirmé."
        )
    job.status = RncpImportJob.Status.IMPORTING
    job.progress = 0
    job.attempts = 0  # counted per step
    job.save(update_fields=["status", "progress", "attempts"])
    enqueue_on_commit("referentiels.tasks.rncp_import_job_apply", job_id=job.pk)
    return job


def _run(job: RncpImportJob, *, dry_run: bool):
    from referentiels.rncp_import import rncp_import

    with job.file.open("rb") as fh:
        reader = ProgressReader(fh, job=job, name=job.original_name)
        return rncp_import(
            source=reader,
            filename=job.original_name,
            certificateur=job.certificateur,
            numeros=set(job.numeros) or None,
            dry_run=dry_run,
            progress=reader.fiches_done,
        )


def _finish(job: RncpImportJob, status: str, **fields) -> None:
    job.status = status
    job.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(job, key, value)
    job.save()
    # After the commit: until then pollers still see the step running, with its live progress.
    key = _progress_key(job)
    transaction.on_commit(lambda: cache.delete(key))


def _discard_file(job: RncpImportJob) -> None:
    if job.file:
        name = str(job.file.name)
        transaction.on_commit(lambda: job.file.storage.delete(name))
        job.file = ""


def _start(job_id: int, expected: str, running: str) -> RncpImportJob | None:
    """Claim the job for a step; ``None`` when the step already ran (a re-delivered task)."""
    with transaction.atomic():
        job = (
            RncpImportJob.objects.select_for_update(of=("self",))
            .select_related("certificateur")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status not in (expected, running):
            return None
        if job.attempts >= MAX_ATTEMPTS:  # the worker died on it each time: stop the loop
            _discard_file(job)
            _finish(
                job,
                RncpImportJob.Status.FAILED,
                errors=[f"L'import a été interrompu {job.attempts} fois : rien n'a été écrit. Relancez-le."],
            )
            return None
        job.status = running
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
    return job


def _fail(job: RncpImportJob, exc: Exception) -> None:
    logger.exception("Import RNCP %s en échec", job.pk)
    job.refresh_from_db()
    _discard_file(job)
    _finish(
        job,
        RncpImportJob.Status.FAILED,
        errors=[f"Erreur inattendue ({exc.__class__.__name__}) : rien n'a été écrit. Relancez l'import."],
    )


def rncp_import_job_check(*, job_id: int) -> None:
    """The dry run: REJECTED with the importer's message, or VALIDATED with the preview."""
    job = _start(job_id, RncpImportJob.Status.PENDING, RncpImportJob.Status.VALIDATING)
    if job is None:
        return
    try:
        report = _run(job, dry_run=True)
    except ApplicationError as exc:
        with transaction.atomic():
            _discard_file(job)
            _finish(job, RncpImportJob.Status.REJECTED, errors=[exc.message], progress=100)
        return
    except Exception as exc:  # noqa: BLE001 - the page must stop waiting; the log has the trace
        _fail(job, exc)
        return
    _finish(
        job,
        RncpImportJob.Status.VALIDATED,
        progress=100,
        total=report.total,
        skipped_total=report.skipped_total,
        habilitations=0,
        preview=_preview(report),
    )


def rncp_import_job_apply(*, job_id: int) -> None:
    """The import itself, all or nothing; the row is marked done in the import's transaction."""
    job = _start(job_id, RncpImportJob.Status.IMPORTING, RncpImportJob.Status.IMPORTING)
    if job is None:
        return
    try:
        with transaction.atomic():
            report = _run(job, dry_run=False)
            _discard_file(job)
            _finish(
                job,
                RncpImportJob.Status.DONE,
                progress=100,
                imported=report.total,
                total=report.total,
                skipped_total=report.skipped_total,
                habilitations=report.habilitations,
                errors=[],
            )
    except ApplicationError as exc:
        # The export changed since its check (e.g. a code now another certificateur's).
        with transaction.atomic():
            job.refresh_from_db()
            _discard_file(job)
            _finish(job, RncpImportJob.Status.FAILED, errors=[exc.message])
    except Exception as exc:  # noqa: BLE001
        _fail(job, exc)


def _preview(report) -> dict:
    return {
        "fiches": [
            {
                "code": f.code,
                "intitule": f.intitule,
                "blocs": f.blocs,
                "capacites": f.capacites,
                "action": f.action,
                "version": f.version,
            }
            for f in report.fiches[:PREVIEW_ROWS]
        ],
        "ignorees": [
            {"code": f.code, "intitule": f.intitule, "raison": f.raison}
            for f in report.skipped[:PREVIEW_ROWS]
        ],
    }
