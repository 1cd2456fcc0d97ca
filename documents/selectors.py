"""Reads of issued documents (inside ``tenant_context``) and of the public verification registry."""

import hashlib

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from core.actors import Actor
from core.errors import ApplicationError
from documents.models import (
    DocumentVersion,
    IssuedDocument,
    VerificationRecord,
    normalise_code,
    private_storage,
)
from documents.visibility import visible_documents_q


def _visible(actor: Actor) -> QuerySet[IssuedDocument]:
    """The active centre's documents that ``actor`` may see (``documents.visibility``)."""
    q = visible_documents_q(actor)
    return IssuedDocument.objects.all() if q is None else IssuedDocument.objects.filter(q)


def document_list(
    *, actor: Actor, kind: str = "", status: str = "", group_key: str = "", search: str = ""
) -> QuerySet[IssuedDocument]:
    """Documents of the active organisation that ``actor`` may see, newest first; the row's
    certificateur comes along."""
    qs = _visible(actor).select_related("certificateur").defer("context")
    if kind:
        qs = qs.filter(kind=kind)
    if status == "revoked":
        qs = qs.filter(revoked_at__isnull=False)
    elif status:
        qs = qs.filter(status=status)
    if group_key:
        qs = qs.filter(group_key=group_key)
    if search:
        qs = qs.filter(
            Q(holder_name__icontains=search) | Q(number__icontains=search) | Q(title__icontains=search)
        )
    return qs.order_by("-created_at", "-id")


def document_get(*, actor: Actor, public_id) -> IssuedDocument:
    """One document of the active organisation that ``actor`` may see; 404 for 'missing' and
    'not yours' alike."""
    try:
        return _visible(actor).select_related("certificateur").get(public_id=public_id)
    except (IssuedDocument.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def document_group_check(*, actor: Actor, group_key: str) -> None:
    """404 unless ``actor`` may see the batch ``group_key`` (progress, ZIP of a batch).

    A restricted role reaches only batches holding at least one document it may see; an
    unknown batch answers like a hidden one.
    """
    if not group_key or visible_documents_q(actor) is None:
        return  # a missing batch is the caller's 400; full access sees every batch
    if not _visible(actor).filter(group_key=group_key).exists():
        raise Http404


def document_versions(*, document: IssuedDocument) -> QuerySet[DocumentVersion]:
    return (
        DocumentVersion.objects.filter(document=document).select_related("replaced_by").order_by("-version")
    )


def document_version_get(*, document: IssuedDocument, version: int) -> DocumentVersion:
    version_row = DocumentVersion.objects.filter(document=document, version=version).first()
    if version_row is None:
        raise Http404
    return version_row


def document_file_read(*, document: IssuedDocument | DocumentVersion) -> bytes:
    """The stored PDF, after checking it still matches the SHA-256 recorded when it was made."""
    name = document.file.name
    if not name or not document.sha256:
        raise ApplicationError("Ce document n'est pas encore généré.")
    with private_storage().open(name, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise ApplicationError(
            "Le fichier stocké ne correspond plus à son empreinte : il n'est pas servi. Contactez l'administrateur."
        )
    return data


def document_groups(*, actor: Actor) -> list[dict]:
    """The batches (group keys) of the active organisation that ``actor`` may see, with their sizes."""
    from documents.batch_labels import batch_labels

    rows = list(
        _visible(actor)
        .exclude(group_key="")
        .values("group_key")
        .annotate(total=Count("id"))
        .order_by("group_key")[:200]
    )
    labels = batch_labels([g["group_key"] for g in rows])
    groups = [{**g, "label": labels[g["group_key"]]} for g in rows]
    return sorted(groups, key=lambda g: g["label"])


def batch_progress(*, group_key: str) -> dict:
    """Counts by status of one batch, for progress bars (one query)."""
    S = IssuedDocument.Status
    counts = IssuedDocument.objects.filter(group_key=group_key).aggregate(
        total=Count("id"),
        **{status.value: Count("id", filter=Q(status=status)) for status in S},
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
    )
    total = counts["total"]
    finished = counts[S.READY] + counts[S.FAILED]
    return {
        "group_key": group_key,
        **counts,
        "percent": round(100 * finished / total) if total else 0,
        "done": total > 0 and finished == total,
    }


def verification_get(*, code: str) -> VerificationRecord:
    """The public registry entry for ``code`` (any separators or case); 404 when unknown."""
    normalised = normalise_code(code)
    record = VerificationRecord.objects.filter(code=normalised).first() if normalised else None
    if record is None:
        raise Http404
    return record
