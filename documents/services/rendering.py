"""Rendering issued documents (HTML, then PDF) with bounded attempts; batches and the stale-job sweep."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from documents.models import (
    DocumentKind,
    IssuedDocument,
    format_code,
    private_storage,
)
from documents.services.numbering import verification_url

logger = logging.getLogger(__name__)

#: A document whose rendering failed (or killed its worker) this many times is marked failed.
MAX_ATTEMPTS = 5


STYLESHEETS: dict[str, str] = {DocumentKind.PARCHEMIN: "parchemin", DocumentKind.CERTIFICAT_BLOC: "parchemin"}


# --- rendering ---------------------------------------------------------------------------------


def _is_dense(document: IssuedDocument) -> bool:
    from documents.samples import is_dense

    ctx = document.context
    intitule = str(ctx.get("intitule", ""))
    if document.kind == DocumentKind.CERTIFICAT_BLOC:
        intitule = f"{ctx.get('bloc_intitule', '')} {intitule}"
    return is_dense(document.holder_name, intitule, str(ctx.get("codes_nsf", "")))


def document_html(document: IssuedDocument) -> str:
    """The HTML of ``document`` from its template and stored context (no database access)."""
    from documents.qr import qr_svg

    values = dict(document.context)
    values.update(
        document=document,
        holder_name=document.holder_name,
        title=document.title,
        numero=document.number or "",
        issued_on=document.issued_on,
        version=document.version,
        kind=document.kind,
        dense=False,
        code_verification="",
        url_verification="",
        qr="",
    )
    code = document.verification_code if document.is_numbered else None
    if code is not None:
        url = verification_url(code)
        values.update(
            code_verification=format_code(code),
            url_verification=url,
            qr=mark_safe(qr_svg(url)),  # noqa: S308 - segno's SVG, built from our own URL
            dense=_is_dense(document),
        )
    # Conveniences, so callers may pass signataires as [qualité, nom] pairs and let the PV count.
    values["signataires"] = [
        {"qualite": s[0], "nom": s[1]} if isinstance(s, list | tuple) else s
        for s in values.get("signataires") or []
    ]
    values.setdefault("default_creneaux", ["Signature"])
    if document.kind == DocumentKind.PROCES_VERBAL and "synthese" not in values:
        codes = [str(c.get("decision_code", "")) for c in values.get("candidats") or []]
        values["synthese"] = {k: codes.count(k) for k in ("certifie", "partiel", "ajourne")}
    if document.kind == DocumentKind.PROCES_VERBAL and "colonnes" not in values:
        # PVs stored before issue 13 (point 9): same columns, none left empty.
        cands = [
            {**c, "acquis": c.get("acquis", c.get("blocs_valides") or [])}
            for c in values.get("candidats") or []
        ]
        values["candidats"] = cands
        values["colonnes"] = {
            "acquis": any(c["acquis"] for c in cands),
            "acquis_titre": "Blocs validés",
            "resultat": any(c.get("resultat") for c in cands),
            "motivation": any(c.get("motivation") for c in cands),
            "documents": any(c.get("documents") for c in cands),
        }
    return render_to_string(f"documents/{document.kind}.html", values)


def document_pdf(document: IssuedDocument) -> bytes:
    """Render and seal ``document`` (no database access, no storage)."""
    from documents.rendering import get_renderer
    from documents.sealing import seal_pdf
    from documents.signing import signing_identity

    html = document_html(document)
    pdf = get_renderer(settings.DOCUMENTS_ASSET_DIR).render_pdf(
        html, stylesheet=STYLESHEETS.get(document.kind, "base")
    )
    key_path, cert_path = signing_identity()
    reason = (
        f"{document.get_kind_display()} {document.number}" if document.number else document.get_kind_display()
    )
    return seal_pdf(pdf, key_path=key_path, cert_path=cert_path, reason=reason, location="France")


def document_render(document: IssuedDocument) -> IssuedDocument:
    """Render, seal and store ``document``; a ready document is left as it is.

    Locks the row for the whole render, so two deliveries of the same task never both store
    a file: the second waits, then finds it ready.
    """
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.status == IssuedDocument.Status.READY:
        return document
    pdf = document_pdf(document)
    storage = private_storage()
    name = storage.save(
        f"documents/{document.organisation.public_id}/{secrets.token_urlsafe(24)}.pdf", ContentFile(pdf)
    )
    try:
        document.file.name = name
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.status = IssuedDocument.Status.READY
        document.rendered_at = timezone.now()
        document.last_error = ""
        document.save(
            update_fields=["file", "sha256", "size", "status", "rendered_at", "last_error", "updated_at"]
        )
    except BaseException:
        storage.delete(name)
        raise
    from core.events import publish

    publish("document.ready", document=document)
    return document


def document_render_claim(*, document_id: int) -> bool:
    """Count one rendering attempt (committed by the caller's own transaction); say whether to go on.

    Counting before the work is what stops poison loops: a document that kills its worker is
    redelivered (late ack), and its attempts still add up to :data:`MAX_ATTEMPTS`.
    """
    document = IssuedDocument.objects.select_for_update().filter(pk=document_id).first()
    if document is None or document.status in (IssuedDocument.Status.READY, IssuedDocument.Status.FAILED):
        return False
    if document.attempts >= MAX_ATTEMPTS:
        document.status = IssuedDocument.Status.FAILED
        document.last_error = (document.last_error + "\n" if document.last_error else "") + (
            f"Abandon après {document.attempts} tentatives."
        )
        document.save(update_fields=["status", "last_error", "updated_at"])
        logger.error("Document %s abandoned after %s attempts", document.public_id, document.attempts)
        return False
    document.attempts += 1
    document.status = IssuedDocument.Status.RENDERING
    document.save(update_fields=["attempts", "status", "updated_at"])
    return True


def document_render_failed(*, document_id: int, error: BaseException, final: bool) -> None:
    """Record a failed attempt: back to pending (a retry follows) or failed for good."""
    document = IssuedDocument.objects.select_for_update().filter(pk=document_id).first()
    if document is None or document.status == IssuedDocument.Status.READY:
        return
    document.last_error = f"Tentative {document.attempts} : {error.__class__.__name__}: {error}"[:2000]
    final = final or document.attempts >= MAX_ATTEMPTS
    document.status = IssuedDocument.Status.FAILED if final else IssuedDocument.Status.PENDING
    document.save(update_fields=["status", "last_error", "updated_at"])


def documents_render_batch(*, group_key: str, retry_failed: bool = False) -> int:
    """Enqueue one rendering task per pending document of ``group_key`` (after commit).

    One task per document spreads a batch over every worker process. With ``retry_failed``,
    failed documents get a fresh attempt budget first. Returns the number of tasks enqueued.
    """
    if not group_key:
        raise ApplicationError("Indiquez le lot (group_key) à générer.", field="group_key")
    documents = IssuedDocument.objects.filter(group_key=group_key)
    if retry_failed:
        documents.filter(status=IssuedDocument.Status.FAILED).update(
            status=IssuedDocument.Status.PENDING, attempts=0, last_error="", updated_at=timezone.now()
        )
    rows = list(documents.filter(status=IssuedDocument.Status.PENDING).values_list("pk", "organisation_id"))
    for pk, organisation_id in rows:
        enqueue_on_commit(
            "documents.tasks.document_render_task", organisation_id=organisation_id, document_id=pk
        )
    return len(rows)


def documents_stale_requeue(*, older_than: dt.timedelta) -> int:
    """Re-enqueue the documents of the current organisation stuck in pending or rendering.

    A rendering task can be lost without any worker failing: Redis restarted without
    persistence drops the queued and unacknowledged messages. A document still pending (or
    rendering, its worker gone) ``older_than`` after its last change is enqueued again and its
    ``updated_at`` touched, so the next sweep waits as long again. Idempotent: a delivery of a
    ready or failed document does nothing, and two deliveries of one document render it once
    (row lock in :func:`document_render`). Returns the number of tasks enqueued.
    """
    cutoff = timezone.now() - older_than
    stuck = IssuedDocument.objects.filter(
        status__in=(IssuedDocument.Status.PENDING, IssuedDocument.Status.RENDERING), updated_at__lte=cutoff
    )
    rows = list(stuck.values_list("pk", "organisation_id"))
    if rows:
        IssuedDocument.objects.filter(pk__in=[pk for pk, _ in rows]).update(updated_at=timezone.now())
        logger.warning("Re-enqueuing %s document(s) stuck in pending/rendering", len(rows))
    for pk, organisation_id in rows:
        enqueue_on_commit(
            "documents.tasks.document_render_task", organisation_id=organisation_id, document_id=pk
        )
    return len(rows)
