"""Life after issue: revocation and re-issue of a document."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from documents import hooks
from documents.models import (
    DocumentVersion,
    IssuedDocument,
    RevocationCategory,
    VerificationRecord,
)
from documents.services.numbering import _check_request, _enqueue_render, _registry_mentions
from organisations.services import audit_record


def _check_actor(document: IssuedDocument, by: Actor) -> None:
    if by is None or getattr(by, "organisation_id", None) != document.organisation_id:
        raise ApplicationError("Action réservée à un membre de l'organisation du document.")


def _clean_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ApplicationError(f"Le motif {what} est obligatoire (5 caractères au moins).", field="reason")
    if len(reason) > 1000:
        raise ApplicationError(f"Le motif {what} ne peut pas dépasser 1000 caractères.", field="reason")
    return reason


def _clean_category(category: str) -> None:
    """Refuse a public category of revocation that is not one of ``RevocationCategory``."""
    if category not in RevocationCategory.values:
        raise ApplicationError(
            "Choisissez la catégorie publique de la révocation : "
            + ", ".join(f"« {label} »" for label in RevocationCategory.labels)
            + ".",
            field="category",
        )


@transaction.atomic
def document_revoke(
    *, document: IssuedDocument, by: Actor, reason: str, category: str = RevocationCategory.RETRAIT
) -> IssuedDocument:
    """Revoke ``document`` with a reason; the public verification page then says so with the
    date and the fixed public ``category`` only (the free-text reason is never public)."""
    _check_actor(document, by)
    reason = _clean_reason(reason, "de révocation")
    _clean_category(category)
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.is_revoked:
        raise ApplicationError(
            f"Ce document a déjà été révoqué le {timezone.localtime(document.revoked_at):%d/%m/%Y}."
        )
    now = timezone.now()
    document.revoked_at, document.revocation_reason, document.revoked_by = now, reason, actor_user(by)
    document.save(update_fields=["revoked_at", "revocation_reason", "revoked_by", "updated_at"])
    if document.is_numbered:
        VerificationRecord.objects.filter(code=document.verification_code).update(
            status=VerificationRecord.Status.REVOKED,
            revoked_at=now,
            revocation_reason=RevocationCategory(category).label,
            updated_at=now,
        )
        hooks.document_revoked(document=document, reason=reason)
    audit_record(
        actor=actor_user(by), action="document.revoke", obj=document, message=f"{document}: {reason}"
    )
    return document


#: The context keys that show the holder's civil status: all a re-issue may change (issue 13,
#: point 5). Everything else on a document is derived from the référentiel and the decision.
CIVIL_STATUS_KEYS = ("holder_name", "civilite_titulaire", "naissance")


def _reissue_checks(document: IssuedDocument) -> None:
    if not document.is_numbered:
        raise ApplicationError(
            f"Seuls les parchemins et certificats de bloc se rééditent ; un(e) {document.get_kind_display().lower()} "
            "se génère à nouveau avec une nouvelle clé."
        )
    if document.is_revoked:
        raise ApplicationError("Un document révoqué ne peut pas être réédité.")
    if document.status != IssuedDocument.Status.READY:
        raise ApplicationError(
            "Le document n'est pas encore généré : attendez la fin de la génération pour le rééditer."
        )


@transaction.atomic
def document_reissue(
    *, document: IssuedDocument, by: Actor, reason: str, context_changes: dict
) -> IssuedDocument:
    """Re-issue a numbered document after a civil-status correction: same number and code,
    version + 1. Internal: pages and the API go through :func:`reissue_request_create` and
    :func:`reissue_request_decide` (two people, a supporting pièce, derived content).

    ``context_changes`` may only carry the civil-status keys (``CIVIL_STATUS_KEYS``); any other
    key is refused. The previous file, context and fingerprint are kept as a
    :class:`DocumentVersion`; the new version is rendered after commit.
    """
    _check_actor(document, by)
    reason = _clean_reason(reason, "de la réédition")
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    _reissue_checks(document)
    if not isinstance(context_changes, dict) or not context_changes:
        raise ApplicationError("Indiquez au moins une correction.", field="context_changes")
    refused = sorted(set(context_changes) - set(CIVIL_STATUS_KEYS))
    if refused:
        raise ApplicationError(
            "Une réédition corrige uniquement l'état civil du titulaire ; refusé : "
            + ", ".join(f"« {k} »" for k in refused)
            + ".",
            field="context_changes",
        )
    changes = dict(context_changes)
    holder = str(changes.pop("holder_name", document.holder_name)).strip()
    if not holder:
        raise ApplicationError(
            "Le titulaire et l'intitulé ne peuvent pas être vides.", field="context_changes"
        )
    new_context = {**document.context, **{k: str(v).strip() for k, v in changes.items()}}
    return _reissue_apply(
        document=document, by=by, reason=reason, holder_name=holder, title=document.title, context=new_context
    )


def _reissue_apply(
    *, document: IssuedDocument, by: Actor, reason: str, holder_name: str, title: str, context: dict
) -> IssuedDocument:
    """Store the previous version, write the new content (locked row), update the public
    registry, supersede the credential, audit, enqueue the rendering."""
    _check_request(
        kind=document.kind,
        certificateur=document.certificateur,
        idempotency_key=document.idempotency_key,
        holder_name=holder_name,
        title=title,
        context=context,
    )
    if context == document.context and holder_name == document.holder_name and title == document.title:
        raise ApplicationError("Les corrections ne changent rien au document.", field="context_changes")
    DocumentVersion.objects.create(
        organisation=document.organisation,
        document=document,
        version=document.version,
        holder_name=document.holder_name,
        context=document.context,
        file=document.file.name,
        sha256=document.sha256,
        rendered_at=document.rendered_at,
        reason=reason,
        replaced_by=actor_user(by),
    )
    document.holder_name, document.title, document.context = holder_name, title, context
    document.version += 1
    document.file = ""
    document.sha256, document.size, document.rendered_at = "", 0, None
    document.status, document.attempts, document.last_error = IssuedDocument.Status.PENDING, 0, ""
    document.save()
    VerificationRecord.objects.filter(code=document.verification_code).update(
        status=VerificationRecord.Status.REISSUED,
        version=document.version,
        holder_name=document.holder_name,
        **_registry_mentions(document.kind, context),
        updated_at=timezone.now(),
    )
    # the credential carries the holder's name: the previous version's one is superseded
    hooks.document_revoked(document=document, reason=f"Réédition : {reason}", keep_current=True)
    audit_record(
        actor=actor_user(by),
        action="document.reissue",
        obj=document,
        message=f"{document} v{document.version}: {reason}",
    )
    _enqueue_render(document)
    return document
