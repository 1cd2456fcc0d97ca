"""Rendering, the task's idempotency and poison guard, revocation, re-issue, ZIP, progress."""

import hashlib
import io
import zipfile

import pytest
from django.conf import settings

from core.errors import ApplicationError
from documents import services
from documents.examples import EXAMPLES
from documents.models import DocumentVersion, IssuedDocument, VerificationRecord
from documents.sealing import verify_seal
from documents.selectors import batch_progress, document_file_read
from documents.services import rendering
from organisations.models import AuditEvent
from organisations.tenancy import tenant_context
from tests.documents.conftest import issue, pdf_text, read_file, render_now


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_kind_renders_a_sealed_pdf_with_its_content(org_a, cci, kind):
    doc = render_now(issue(org_a, cci, kind))
    assert doc.status == "ready" and doc.attempts == 1 and doc.rendered_at
    pdf = read_file(doc)
    assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and doc.size == len(pdf)
    assert doc.file.name.startswith(f"documents/{org_a.public_id}/")
    assert verify_seal(pdf, trust_cert_path=settings.SIGNING_CERT_PATH).valid
    text = pdf_text(pdf)
    holder, title, context = EXAMPLES[kind]
    if holder:
        assert holder in text
    if kind == "proces_verbal":
        for expected in (
            "Procès-verbal de délibération du jury",
            "Hélène Garnier",
            "LEFÈVRE-DURAND Camille",
            "Bloc 2 : 69/175, minimum 70 non atteint.",
            "12/06/2026 à 16:52",
            "DÉCISION DU JURY",
        ):
            assert expected in text, expected
        assert context["content_hash"][:32] in text.replace(" ", "")


def test_parchemin_carries_every_legal_mention(org_a, cci):
    doc = render_now(issue(org_a, cci, "parchemin"))
    text = pdf_text(read_file(doc))
    for expected in (
        "CCI France",
        "Madame Camille Lefèvre-Durand",
        "Assistant(e) de gestion et d’administration d’entreprise – Office Manager junior",
        "Niveau 5 de la nomenclature nationale des certifications professionnelles",
        "niveau 5 du cadre européen des certifications (CEC)",
        "sous le numéro RNCP36390 par décision du directeur général de France compétences en date du 29/03/2022, "
        "pour une durée de 3 ans",
        "Spécialité de formation (NSF) : 324",
        f"Délivré à Lyon, le {doc.issued_on:%d/%m/%Y}",
        f"N° {doc.number}",
        doc.verification_code_display,
        "Le Président de CCI France",
    ):
        assert expected in text, expected
    assert "sous réserve" not in text.lower() and "en cours" not in text.lower()


def test_certificat_de_bloc_is_titled_as_a_bloc_of_the_certification(org_a, cci):
    doc = render_now(issue(org_a, cci, "certificat_bloc"))
    text = pdf_text(read_file(doc))
    assert "bloc RNCP36390BC02 de la certification professionnelle" in text
    record = VerificationRecord.objects.get(code=doc.verification_code)
    assert record.certification.startswith("Bloc RNCP36390BC02 — Gérer la relation clients")


def test_candidate_text_is_escaped_and_cannot_fetch_files(org_a, cci):
    hostile = 'Jean <img src="file:///etc/passwd"> <b>Gras</b>'
    doc = render_now(issue(org_a, cci, holder=hostile, context={"naissance": "<script>alert(1)</script>"}))
    text = pdf_text(read_file(doc))
    assert '<img src="file:///etc/passwd">' in text and "<script>alert(1)</script>" in text
    assert "root:x:0:0" not in text


def test_the_qr_code_points_to_the_public_page(org_a, cci):
    doc = issue(org_a, cci)
    html = services.document_html(doc)
    url = f"{settings.SITE_URL.rstrip('/')}/verifier/{doc.verification_code_display}"
    assert services.verification_url(doc.verification_code) == url
    assert url in html and "<svg" in html


def test_running_the_task_again_changes_nothing(org_a, cci):
    doc = render_now(issue(org_a, cci))
    again = render_now(doc)
    assert (again.file.name, again.sha256, again.number, again.attempts) == (
        doc.file.name,
        doc.sha256,
        doc.number,
        1,
    )
    with tenant_context(org_a):
        assert IssuedDocument.objects.count() == 1


def test_request_enqueues_rendering_after_commit(org_a, cci, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doc = issue(org_a, cci, render=True)
    assert len(callbacks) == 1
    with tenant_context(org_a):
        assert IssuedDocument.objects.get(pk=doc.pk).status == "ready"


def test_a_poison_document_stops_after_max_attempts(org_a, cci, monkeypatch):
    from config.celery import app

    # Eager retries replay in-process only when eager errors do not propagate (as on a worker).
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    calls = []

    def broken(document):
        calls.append(document.pk)
        raise OSError("disque plein")

    monkeypatch.setattr(rendering, "document_pdf", broken)
    doc = issue(org_a, cci)
    render_now(doc)  # eager mode replays the retries one after the other
    with tenant_context(org_a):
        doc = IssuedDocument.objects.get(pk=doc.pk)
    assert len(calls) == services.MAX_ATTEMPTS
    assert (doc.status, doc.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert "OSError: disque plein" in doc.last_error and not doc.file
    # Another delivery (e.g. after a worker crash) does nothing more.
    render_now(doc)
    assert len(calls) == services.MAX_ATTEMPTS


def test_a_worker_killed_mid_render_still_counts_its_attempt(org_a, cci):
    """The claim is committed before the work: five deliveries that never finish → failed."""
    doc = issue(org_a, cci)
    for _ in range(services.MAX_ATTEMPTS):
        with tenant_context(org_a):
            assert services.document_render_claim(document_id=doc.pk)
    with tenant_context(org_a):
        assert not services.document_render_claim(document_id=doc.pk)
        doc = IssuedDocument.objects.get(pk=doc.pk)
    assert doc.status == "failed" and "Abandon après 5 tentatives" in doc.last_error


def test_a_non_transient_error_fails_at_once_and_the_batch_goes_on(org_a, cci, monkeypatch):
    original = services.document_pdf
    monkeypatch.setattr(
        rendering,
        "document_pdf",
        lambda d: (_ for _ in ()).throw(ValueError("gabarit")) if "Bad" in d.holder_name else original(d),
    )
    bad = issue(org_a, cci, key="bad", holder="Bad Apple", group="jury:lot")
    good = issue(org_a, cci, key="good", holder="Good Apple", group="jury:lot")
    with tenant_context(org_a):
        assert services.documents_render_batch(group_key="jury:lot") == 2
    # The batch's on-commit callbacks never fire inside the test transaction: run them as a worker would.
    render_now(bad), render_now(good)
    with tenant_context(org_a):
        progress = batch_progress(group_key="jury:lot")
        bad = IssuedDocument.objects.get(pk=bad.pk)
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert progress == {
        **progress,
        "total": 2,
        "ready": 1,
        "failed": 1,
        "pending": 0,
        "percent": 100,
        "done": True,
    }
    monkeypatch.setattr(rendering, "document_pdf", original)
    with tenant_context(org_a):
        assert services.documents_render_batch(group_key="jury:lot", retry_failed=True) == 1
        assert IssuedDocument.objects.get(pk=bad.pk).attempts == 0
    assert render_now(bad).status == "ready"


def test_revocation_updates_the_public_registry(org_a, cci, admin_a):
    doc = render_now(issue(org_a, cci))
    with tenant_context(org_a):
        services.document_revoke(document=doc, by=admin_a, reason="Fraude établie après délivrance")
        assert AuditEvent.objects.filter(action="document.revoke").exists()
        with pytest.raises(ApplicationError, match="déjà été révoqué"):
            services.document_revoke(document=doc, by=admin_a, reason="Encore une fois")
    record = VerificationRecord.objects.get(code=doc.verification_code)
    # Issue 13, point 8: the public registry holds a fixed category, never the free-text reason.
    assert record.status == "revoked" and record.revocation_reason == "Retrait décidé par l'organisme"
    with tenant_context(org_a):
        assert IssuedDocument.objects.get(pk=doc.pk).revocation_reason == "Fraude établie après délivrance"


@pytest.mark.parametrize("reason", ["", "   ", "abc"])
def test_revocation_without_a_reason_is_refused_and_nothing_changes(org_a, cci, admin_a, reason):
    doc = issue(org_a, cci)
    with (
        tenant_context(org_a),
        pytest.raises(ApplicationError, match="motif de révocation est obligatoire") as exc,
    ):
        services.document_revoke(document=doc, by=admin_a, reason=reason)
    assert exc.value.field == "reason"
    with tenant_context(org_a):
        assert IssuedDocument.objects.get(pk=doc.pk).revoked_at is None
    assert VerificationRecord.objects.get(code=doc.verification_code).status == "valid"


def test_reissue_keeps_number_and_code_and_both_versions(org_a, cci, admin_a):
    doc = render_now(issue(org_a, cci))
    first_sha, first_file = doc.sha256, doc.file.name
    with tenant_context(org_a):
        services.document_reissue(
            document=doc,
            by=admin_a,
            reason="Correction d'état civil (jugement du 02/09/2026)",
            context_changes={
                "holder_name": "Camille Lefèvre-Dupont",
                "naissance": "née le 03/02/1998 à Lyon 3e (69)",
            },
        )
    new = render_now(doc)
    assert (new.number, new.verification_code, new.version) == (doc.number, doc.verification_code, 2)
    assert new.sha256 != first_sha and new.file.name != first_file
    text = pdf_text(read_file(new))
    assert "Camille Lefèvre-Dupont" in text and "édition 2" in text and "Lyon 3e" in text
    with tenant_context(org_a):
        old = DocumentVersion.objects.get(document=new)
        assert (old.version, old.sha256, old.file.name, old.holder_name) == (
            1,
            first_sha,
            first_file,
            "Camille Lefèvre-Durand",
        )
        assert "Camille Lefèvre-Durand" in pdf_text(document_file_read(document=old))
    record = VerificationRecord.objects.get(code=doc.verification_code)
    assert (record.status, record.version, record.holder_name) == ("reissued", 2, "Camille Lefèvre-Dupont")


@pytest.mark.parametrize(
    ("kind", "changes", "reason", "message"),
    [
        ("attestation", {"holder_name": "X"}, "Correction d'état civil", "Seuls les parchemins"),
        ("parchemin", {}, "Correction d'état civil", "au moins une correction"),
        (
            "parchemin",
            {"holder_name": "Camille Lefèvre-Durand"},
            "Correction d'état civil",
            "ne changent rien",
        ),
        ("parchemin", {"holder_name": "   "}, "Correction d'état civil", "ne peuvent pas être vides"),
        ("parchemin", {"holder_name": "Y"}, "", "motif de la réédition est obligatoire"),
        # Issue 13, point 5: only the civil status may change.
        ("parchemin", {"lieu": ""}, "Correction du lieu", "uniquement l'état civil"),
        ("parchemin", {"intitule": "Master"}, "Correction", "uniquement l'état civil"),
        ("parchemin", {"title": "Master"}, "Correction", "uniquement l'état civil"),
    ],
)
def test_bad_reissues_are_refused_and_nothing_written(org_a, cci, admin_a, kind, changes, reason, message):
    doc = render_now(issue(org_a, cci, kind))
    with tenant_context(org_a), pytest.raises(ApplicationError, match=message):
        services.document_reissue(document=doc, by=admin_a, reason=reason, context_changes=changes)
    with tenant_context(org_a):
        fresh = IssuedDocument.objects.get(pk=doc.pk)
        assert (fresh.version, fresh.sha256, fresh.holder_name) == (1, doc.sha256, doc.holder_name)
        assert not DocumentVersion.objects.exists()


def test_reissue_of_a_pending_or_revoked_document_is_refused(org_a, cci, admin_a):
    doc = issue(org_a, cci)
    with tenant_context(org_a), pytest.raises(ApplicationError, match="pas encore généré"):
        services.document_reissue(
            document=doc, by=admin_a, reason="Correction", context_changes={"holder_name": "Z"}
        )
    doc = render_now(doc)
    with tenant_context(org_a):
        services.document_revoke(document=doc, by=admin_a, reason="Erreur de jury")
        with pytest.raises(ApplicationError, match="révoqué ne peut pas"):
            services.document_reissue(
                document=doc, by=admin_a, reason="Correction", context_changes={"holder_name": "Z"}
            )


def test_zip_streams_every_ready_document_with_a_manifest(org_a, cci):
    docs = [
        render_now(issue(org_a, cci, key=f"p:{i}", holder=f"Titulaire {i}", group="jury:zip"))
        for i in range(3)
    ]
    issue(org_a, cci, key="pending", holder="Pas Prêt", group="jury:zip")
    render_now(issue(org_a, cci, key="other", holder="Autre Lot", group="jury:autre"))
    with tenant_context(org_a):
        stream = services.documents_zip(group_key="jury:zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream)))  # consumed outside the tenant context
    names = archive.namelist()
    assert len(names) == 4 and names[-1] == "manifeste.csv"
    for doc in docs:
        name = next(n for n in names if n.startswith(doc.number))
        assert hashlib.sha256(archive.read(name)).hexdigest() == doc.sha256
    manifest = archive.read("manifeste.csv").decode("utf-8-sig")
    assert "Titulaire 2" in manifest and "Autre Lot" not in manifest and "Pas Prêt" not in manifest


def test_zip_leaves_out_a_file_whose_bytes_changed(org_a, cci):
    doc = render_now(issue(org_a, cci, group="jury:x"))
    from documents.models import private_storage

    path = private_storage().path(doc.file.name)
    with open(path, "r+b") as fh:
        fh.seek(200)
        fh.write(b"X")
    with tenant_context(org_a):
        archive = zipfile.ZipFile(io.BytesIO(b"".join(services.documents_zip(group_key="jury:x"))))
        with pytest.raises(ApplicationError, match="empreinte"):
            document_file_read(document=doc)
    assert archive.namelist() == ["manifeste.csv"]
    assert "EMPREINTE INVALIDE" in archive.read("manifeste.csv").decode("utf-8-sig")


def test_zip_and_batch_need_a_group(org_a):
    with tenant_context(org_a):
        with pytest.raises(ApplicationError, match="Aucun document prêt"):
            services.documents_zip(group_key="jury:vide")
        with pytest.raises(ApplicationError, match="lot"):
            services.documents_render_batch(group_key="")


def test_the_broker_unreachable_during_a_render_is_retried_not_failed(org_a, cci, monkeypatch):
    """Redis restarting while a render reaches the broker (the « document prêt » notice it sends):
    a transient error like a disk I/O one — the attempt is counted, the render runs again — never a
    document failed for good. The error is a real one: kombu connecting to a port nothing listens on
    (``kombu.exceptions.OperationalError``, which is not an ``OSError``)."""
    import socket

    from kombu import Connection

    from config.celery import app
    from core import events

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    calls = []

    def reaches_a_broker_that_is_down_once(*, document):
        calls.append(document.pk)
        if len(calls) == 1:
            with Connection(f"redis://127.0.0.1:{closed_port}/0", connect_timeout=1) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0)

    events.subscribe("document.ready", reaches_a_broker_that_is_down_once)
    try:
        doc = render_now(issue(org_a, cci))
    finally:
        events._LISTENERS["document.ready"].remove(reaches_a_broker_that_is_down_once)
    assert len(calls) == 2
    assert (doc.status, doc.attempts) == ("ready", 2)
    assert doc.last_error == "" and doc.file
