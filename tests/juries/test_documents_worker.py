"""A real Celery worker issues a signed jury's PV and 200 parchemins: text, seal, numbering, idempotency."""

import hashlib
import io
import re
import time

import pytest
from django.db import connection
from pypdf import PdfReader

from documents.models import IssuedDocument
from documents.sealing import verify_seal
from documents.selectors import batch_progress, document_file_read
from documents.signing import signing_identity
from juries import services
from juries.models import ProcesVerbal
from juries.tasks import jury_documents_issue_task
from organisations.tenancy import tenant_context
from tests.conftest import wait_for
from tests.juries.conftest import JURY_DATE, compose_rncp, grade_rncp, ready_dossier, sign_all

N = 200
PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _progress(org, group_key):
    with tenant_context(org):
        return batch_progress(group_key=group_key)


@pytest.fixture
def rncp(org_a):
    """RNCP36390 with the code's registration (``Enregistrement``: niveau, NSF, décision de France
    compétences), which seed 004 does not carry: a parchemin must show them."""
    import datetime as dt

    from organisations.models import Organisation
    from referentiels.demo import DEMO_REGISTRATIONS, load_seed
    from referentiels.services import enregistrement_set, habilitation_grant

    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    ref = load_seed("rncp36390.json", cci)
    enregistrement_set(referentiel=ref, by=cci, **DEMO_REGISTRATIONS["RNCP36390"])
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2024, 1, 1))
    return ref


def test_worker_issues_pv_and_200_parchemins(org_a, alice, rncp, panel, real_celery):
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossiers = [
            ready_dossier(alice, rncp, nom_naissance=f"Titulaire{i:03d}", prenom1="Léa") for i in range(N)
        ]
        dossiers.append(
            ready_dossier(
                alice,
                rncp,
                nom_naissance="Partiel",
                grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
            )
        )
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    # each signature commits; the last one freezes the jury and enqueues the documents task on commit
    with tenant_context(org_a):
        sign_all(pv, panel)
    started = time.monotonic()
    progress = wait_for(
        lambda: (p := _progress(org_a, jury.group_key))["done"] and p["total"] == N + 5 and p,
        timeout=600,
        interval=0.5,
    )
    elapsed = time.monotonic() - started
    assert progress["failed"] == 0, progress

    with tenant_context(org_a):
        docs = list(IssuedDocument.objects.filter(group_key=jury.group_key))
        parchemins = sorted((d for d in docs if d.kind == "parchemin"), key=lambda d: d.number)
        assert len(parchemins) == N
        assert {d.kind for d in docs} == {"proces_verbal", "parchemin", "certificat_bloc", "attestation"}
        # gap-free numbers per certificateur and year
        seq = [
            int(d.number.rsplit("-", 1)[1])
            for d in parchemins + [d for d in docs if d.kind == "certificat_bloc"]
        ]
        assert sorted(seq) == list(range(min(seq), min(seq) + len(seq)))
        assert all(re.fullmatch(r"CCI-FRANCE-2026-\d{6}", d.number) for d in parchemins)
        rendered = sorted(d.rendered_at for d in docs)
        throughput = len(docs) / max((rendered[-1] - rendered[0]).total_seconds(), 0.001)
        print(
            f"\n{len(docs)} documents rendered in {elapsed:.1f}s wall; {throughput:.1f} documents/s across the worker (2 processes)"
        )

        _key, cert_path = signing_identity()
        for d in parchemins[:3] + parchemins[-2:]:
            pdf = document_file_read(document=d)
            text = _text(pdf)
            for needle in (
                d.holder_name.split()[-1],
                "RNCP36390",
                d.number,
                "12/06/2026",
                "Niveau 5",
                "324 Secrétariat",
                "29/03/2022",
                "Office Manager",
            ):
                assert needle in text, (needle, text[:500])
            assert verify_seal(pdf, trust_cert_path=cert_path).valid
        # the PV: every candidate, the recorded hash of the signed text
        initial = ProcesVerbal.objects.get(jury=jury, kind="initial")
        assert hashlib.sha256(initial.contenu.encode()).hexdigest() == initial.sha256
        pv_doc = next(d for d in docs if d.kind == "proces_verbal")
        pv_text = _text(document_file_read(document=pv_doc))
        assert initial.sha256 in pv_text.replace("\n", "").replace(" ", "")
        assert "TITULAIRE000" in pv_text and "TITULAIRE199" in pv_text and "PARTIEL" in pv_text
        assert verify_seal(document_file_read(document=pv_doc), trust_cert_path=cert_path).valid
        before = {d.idempotency_key: (d.number, d.sha256, d.verification_code) for d in docs}

    # running the task again changes nothing (same documents, numbers, files)
    jury_documents_issue_task.delay(organisation_id=org_a.pk, jury_id=jury.pk)
    time.sleep(3)
    wait_for(lambda: _progress(org_a, jury.group_key)["done"], timeout=60)
    with tenant_context(org_a):
        after = {
            d.idempotency_key: (d.number, d.sha256, d.verification_code)
            for d in IssuedDocument.objects.filter(group_key=jury.group_key)
        }
    assert after == before
    connection.close()
