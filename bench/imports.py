"""Bulk candidate import: 5,000 rows XLSX end to end (store, dry run, confirm, re-check, write).

The Celery hand-offs (``delay_on_commit``) are replaced by direct calls of the same service the
task runs (``import_job_check`` / ``import_job_apply``), so the time is the work, not the queue.
"""

from __future__ import annotations

import io
import os
import time
from unittest import mock

from bench.core import Line

N_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 5000))
HEADER = [
    "nom_naissance",
    "prenom1",
    "sexe",
    "date_naissance",
    "referentiel",
    "voie_acces",
    "blocs",
    "tiers_temps",
    "entreprise_siret",
    "entreprise_raison_sociale",
    "tuteur_nom",
    "tuteur_prenom",
    "tuteur_email",
    "code_insee_naissance",
]


def _xlsx(prefix: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for i in range(N_ROWS):
        sheet.append(
            [
                f"{prefix}{i:05d}",
                f"Prenom{i}",
                "F" if i % 3 else "M",
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1970 + i % 30}",
                "RNCP36390",
                "apprentissage",
                "",
                "non",
                "73282932000074" if i % 10 == 0 else "",
                "Exemple SA" if i % 10 == 0 else "",
                "",
                "",
                "",
                "",
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bench_candidate_import() -> list[Line]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.app import world
    from candidates import services
    from candidates.models import ImportJob
    from organisations.models import Membership
    from organisations.tenancy import tenant_context

    w = world()
    by = Membership.objects.get(organisation=w["org"], user=w["user"])
    samples, notes = [], []
    with (
        tenant_context(w["org"]),
        mock.patch("candidates.tasks.candidate_import_check.delay_on_commit"),
        mock.patch("candidates.tasks.candidate_import_apply.delay_on_commit"),
    ):
        for run in range(int(os.environ.get("BENCH_IMPORT_RUNS", 1))):
            data = _xlsx(f"IMP{run}X")
            start = time.perf_counter()
            job = services.import_job_create(by=by, uploaded_file=SimpleUploadedFile("promo.xlsx", data))
            job = ImportJob.objects.get(pk=job.pk)
            if job.status == ImportJob.Status.PENDING:
                job = services.import_job_check(job=job)
            checked = time.perf_counter() - start
            assert job.status == ImportJob.Status.VALIDATED, job.errors[:3]
            job = services.import_job_confirm(job=job, by=by)
            job = ImportJob.objects.get(pk=job.pk)
            if job.status == ImportJob.Status.IMPORTING:
                job = services.import_job_apply(job=job)
            total = time.perf_counter() - start
            assert job.status == ImportJob.Status.DONE, job.errors[:3]
            assert job.result["dossiers_crees"] == N_ROWS, job.result
            samples.append(total * 1000)
            notes.append(f"dry run {checked:.1f} s, total {total:.1f} s")
    return [
        Line(
            f"candidate import {N_ROWS} rows XLSX end to end",
            "ms",
            samples,
            target="reported",
            note="; ".join(notes) + f" ({len(data) // 1024} KiB)",
        )
    ]
