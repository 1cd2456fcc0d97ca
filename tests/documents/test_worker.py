"""A real Celery worker (2 processes) renders a jury's batch: one task per document, in parallel."""

import time

import pytest
from django.conf import settings

from documents.models import IssuedDocument
from documents.sealing import verify_seal
from documents.selectors import batch_progress
from documents.tasks import document_render_task
from organisations.tenancy import tenant_context
from tests.conftest import wait_for
from tests.documents.conftest import issue, pdf_text, read_file

BATCH = 20


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_renders_a_batch_of_parchemins(real_celery, org_a, cci):
    names = [f"Titulaire{i:02d} Lefèvre" for i in range(BATCH)]
    started = time.monotonic()
    docs = [
        issue(org_a, cci, key=f"parchemin:{i}", holder=name, group="jury:w", render=True)
        for i, name in enumerate(names)
    ]

    def done():
        with tenant_context(org_a):
            progress = batch_progress(group_key="jury:w")
        return progress if progress["done"] else None

    progress = wait_for(done, timeout=180, interval=0.2)
    elapsed = time.monotonic() - started
    print(
        f"\n{BATCH} parchemins rendered and sealed by the worker in {elapsed:.1f} s ({BATCH / elapsed:.1f}/s)"
    )
    assert (progress["ready"], progress["failed"]) == (BATCH, 0)

    with tenant_context(org_a):
        rows = {d.pk: d for d in IssuedDocument.objects.filter(group_key="jury:w")}
    numbers = sorted(int(d.number.rsplit("-", 1)[1]) for d in rows.values())
    assert numbers == list(range(1, BATCH + 1))  # gap-free, unique
    for doc, name in zip(docs, names, strict=True):
        row = rows[doc.pk]
        assert row.attempts == 1
        pdf = read_file(row)
        assert verify_seal(pdf, trust_cert_path=settings.SIGNING_CERT_PATH).valid
        text = pdf_text(pdf)
        for expected in (
            name,
            "Office Manager junior",
            "Niveau 5 de la nomenclature nationale",
            "RNCP36390",
            f"N° {row.number}",
            f"le {row.issued_on:%d/%m/%Y}",
            row.verification_code_display,
        ):
            assert expected in text, (expected, row.number)

    # Delivering every task again (as after a redelivery) changes nothing.
    before = {pk: (d.file.name, d.sha256, d.number) for pk, d in rows.items()}
    for pk in rows:
        document_render_task.delay(organisation_id=org_a.pk, document_id=pk)
    marker = issue(org_a, cci, "attestation", key="marker", group="jury:marker", render=True)

    def marker_ready():
        with tenant_context(org_a):
            return IssuedDocument.objects.get(pk=marker.pk).status == "ready"

    wait_for(marker_ready, timeout=60)
    time.sleep(1.0)  # the two processes may still be finishing the last no-op deliveries
    with tenant_context(org_a):
        after = {
            d.pk: (d.file.name, d.sha256, d.number) for d in IssuedDocument.objects.filter(group_key="jury:w")
        }
        assert IssuedDocument.objects.filter(group_key="jury:w").count() == BATCH
    assert after == before
