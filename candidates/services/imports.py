"""Bulk import of candidates and dossiers from CSV/XLSX (checked, then applied, by a Celery worker for big files)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from candidates.models import ImportJob
from core.actors import Actor, actor_user
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from core.filenames import clean_filename
from organisations.services import audit_record
from organisations.tenancy import current_organisation

# --- bulk import ---------------------------------------------------------------------------

# Files above this size are checked and imported by a Celery worker; smaller ones at once.
IMPORT_ASYNC_MIN_BYTES = 64 * 1024
IMPORT_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


def _import_progress_key(job) -> str:
    return f"candidates:import:{job.public_id}:progress"


def import_job_progress(job) -> int:
    """Rows processed so far; the task's writes are invisible until it commits, so it reports through the cache."""

    if job.is_running:
        return cache.get(_import_progress_key(job), 0)
    return job.total_rows


def _progress_reporter(job):

    return lambda n: cache.set(_import_progress_key(job), n, timeout=3600)


@transaction.atomic
def import_job_create(*, by: Actor, uploaded_file, merge_duplicates: bool = False):
    """Store the file and start the dry run (inline for a small file, on a worker otherwise)."""
    name = clean_filename(uploaded_file.name, default="import")
    file_format = IMPORT_FORMATS.get(PurePath(name).suffix.lower())
    if file_format is None:
        raise ApplicationError(f"« {name} » : déposez un fichier .csv ou .xlsx.", field="file")
    if uploaded_file.size > settings.FILE_UPLOAD_MAX_BYTES:
        raise ApplicationError(
            f"Fichier trop volumineux (maximum {settings.FILE_UPLOAD_MAX_BYTES / 1_048_576:.0f} Mo).",
            field="file",
        )
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if file_format == "xlsx" and not head.startswith(b"PK\x03\x04"):
        raise ApplicationError(f"« {name} » n'est pas un classeur XLSX (contenu analysé).", field="file")
    if file_format == "csv" and (b"\x00" in head or head.startswith((b"PK", b"MZ", b"%PDF"))):
        raise ApplicationError(f"« {name} » n'est pas un fichier texte CSV (contenu analysé).", field="file")
    job = ImportJob(
        organisation=current_organisation(),
        original_name=name,
        file_format=file_format,
        merge_duplicates=merge_duplicates,
        created_by=actor_user(by),
    )
    job.file.save(
        f"imports/{job.organisation.public_id}/{uuid.uuid4().hex}.{file_format}", uploaded_file, save=False
    )
    job.save()
    audit_record(actor=actor_user(by), action="import.create", obj=job, message=name)
    if uploaded_file.size < IMPORT_ASYNC_MIN_BYTES:
        import_job_check(job=job)
    else:
        enqueue_on_commit(
            "candidates.tasks.candidate_import_check", organisation_id=job.organisation_id, job_id=job.pk
        )
    return job


def _read_job_file(job) -> bytes:
    with job.file.open("rb") as fh:
        return fh.read()


def import_job_check(*, job):
    """Dry run: record errors, warnings and a preview; status ``validated`` or ``rejected``."""
    from candidates.importer import MAX_ERRORS_KEPT, check_file

    try:
        report = check_file(
            _read_job_file(job),
            job.file_format,
            merge_duplicates=job.merge_duplicates,
            progress=_progress_reporter(job),
        )
    except ApplicationError as exc:
        job.errors = [{"row": 0, "column": "", "message": exc.message}]
        job.status = ImportJob.Status.REJECTED
    else:
        job.total_rows = report.total_rows
        job.errors = [e.as_dict() for e in report.errors[:MAX_ERRORS_KEPT]]
        job.result = {"nb_erreurs": len(report.errors), "nb_lignes_valides": len(report.rows)}
        job.warnings = [w.as_dict() for w in report.warnings[:MAX_ERRORS_KEPT]]
        job.preview = report.preview()
        job.duplicates = report.duplicates
        job.status = ImportJob.Status.REJECTED if report.errors else ImportJob.Status.VALIDATED
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    return job


def _duplicate_choices(job, choices: dict | None) -> dict[str, str]:
    """The choice for every duplicate row of the preview: its default, overridden by ``choices``
    (``{row: fusionner | creer | ignorer}``); a wrong row or value, a row left without choice or
    an impossible merge is refused with the row named."""
    from candidates.importer import DUPLICATE_CHOICES, MERGE

    by_row = {d["row"]: d for d in job.duplicates}
    chosen = {row: d["choix"] for row, d in by_row.items()}
    for key, value in (choices or {}).items():
        try:
            row = int(key)
        except (TypeError, ValueError):
            raise ApplicationError(f"Ligne « {key} » : numéro de ligne attendu.", field="choix") from None
        if row not in by_row:
            raise ApplicationError(
                f"Ligne {row} : ce n'est pas un doublon, aucun choix à faire.", field="choix"
            )
        if value not in DUPLICATE_CHOICES:
            raise ApplicationError(
                f"Ligne {row} : choix « {value} » inconnu ; attendu : {', '.join(DUPLICATE_CHOICES)}.",
                field="choix",
            )
        if value == MERGE and not by_row[row]["fusion_possible"]:
            raise ApplicationError(
                f"Ligne {row} : {by_row[row]['existant']} a déjà un dossier en cours pour "
                f"{by_row[row]['referentiel']} ; choisissez creer ou ignorer.",
                field="choix",
            )
        chosen[row] = value
    missing = sorted(row for row, value in chosen.items() if not value)
    if missing:
        raise ApplicationError(
            f"Choisissez pour chaque doublon (lignes {', '.join(map(str, missing))}) : "
            "rattacher au candidat existant, créer un nouveau candidat ou ignorer la ligne.",
            field="choix",
        )
    return {str(row): value for row, value in sorted(chosen.items())}


@transaction.atomic
def import_job_confirm(*, job, by: Actor, choices: dict | None = None):
    """Write a validated import (inline for a small file, on a worker otherwise).

    ``choices``: what to do with each row matching an existing candidate (see
    :func:`_duplicate_choices`); checked before anything else, nothing written if refused.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.VALIDATED:
        raise ApplicationError(
            f"Cet import est « {job.get_status_display()} » : seul un import vérifié sans erreur peut être confirmé."
        )
    job.duplicate_choices = _duplicate_choices(job, choices)
    job.status = ImportJob.Status.IMPORTING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "duplicate_choices"])
    audit_record(actor=actor_user(by), action="import.confirm", obj=job, message=job.original_name)
    if job.file.size < IMPORT_ASYNC_MIN_BYTES:
        import_job_apply(job=job)
    else:
        enqueue_on_commit(
            "candidates.tasks.candidate_import_apply", organisation_id=job.organisation_id, job_id=job.pk
        )
    return job


def import_job_apply(*, job):
    """Check the file again (the centre's data may have moved since the dry run), then write all or nothing."""
    from candidates.importer import MAX_ERRORS_KEPT, check_file, write_rows

    report = check_file(
        _read_job_file(job),
        job.file_format,
        merge_duplicates=job.merge_duplicates,
        choices={int(row): value for row, value in job.duplicate_choices.items()},
        progress=_progress_reporter(job),
    )
    if report.errors:
        job.errors = [e.as_dict() for e in report.errors[:MAX_ERRORS_KEPT]]
        job.status = ImportJob.Status.REJECTED
    else:
        try:
            with transaction.atomic():
                job.result = write_rows(report, by_user=job.created_by)
            job.status = ImportJob.Status.DONE
        except ApplicationError as exc:
            job.errors = [{"row": 0, "column": "", "message": exc.message}]
            job.status = ImportJob.Status.FAILED
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    return job
