"""Who approves the life of an issued document (issue 13, point 5): « requested by the centre and
approved by the issuing body (two people; the requester cannot approve) ».

- Where the **centre** issues a document (no ``IssuanceRule`` of its certificateur says
  otherwise), nothing changes: the centre revokes it, and another person of the centre approves a
  civil-status correction.
- Where the **certificateur** issues it (its rule for the kind and certification), the centre only
  *asks*: a ``ReissueRequest`` (reason + supporting pièce) or a ``RevocationRequest`` (reason +
  public category) carrying ``approver_certificateur``; the certificateur's staff decide (its
  « Approbations » page, ``certificateur.approvals``, writing in the centre's tenant). A centre
  member cannot decide such a request, a certificateur member cannot decide a centre's, and
  whoever asked never decides (also a database constraint).

Everything here runs in the centre's tenant (``tenant_context(centre)``): the certificateur's
decision is written there after its cross-tenant read-only check.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from documents.issuance import rule_resolve
from documents.models import IssuedDocument, ReissueRequest, RevocationCategory, RevocationRequest
from organisations.models import Organisation
from organisations.roles import has_capability
from organisations.services import audit_record

#: The capability of a certificateur's staff that approve (the same people who issue).
APPROVE_CAPABILITY = "oversight.issue"
NOTE_MAX = 1000


def issuer_certificateur(document: IssuedDocument) -> Organisation | None:
    """The certificateur that issued ``document``, or ``None`` (the centre issued it): the body
    stored on the document at issue time, so a later change of the rule rewrites nothing. (A
    document issued before that was stored reads the current rule.)"""
    if not document.is_numbered or document.certificateur_id is None:
        return None
    if document.issued_by_id is not None:
        if document.issued_by_id == document.certificateur_id != document.organisation_id:
            return document.issued_by
        return None
    code = str((document.context or {}).get("code_certification", ""))
    resolved = rule_resolve(certificateur_id=document.certificateur_id, code=code, kind=document.kind)
    return document.certificateur if resolved.by_certificateur else None


def decider_check(*, document: IssuedDocument, approver_certificateur_id: int | None, by: Actor) -> None:
    """Refuse a decider who is not of the body that issues ``document``."""
    organisation_id = getattr(by, "organisation_id", None)
    if approver_certificateur_id:
        if organisation_id != approver_certificateur_id or not has_capability(
            getattr(by, "role", None), APPROVE_CAPABILITY
        ):
            name = Organisation.objects.filter(pk=approver_certificateur_id).values_list("name", flat=True)
            raise ApplicationError(
                f"Ce document est délivré par {next(iter(name), 'son certificateur')} : seul le personnel "
                "du certificateur peut approuver ou refuser cette demande."
            )
        return
    if organisation_id != document.organisation_id:
        raise ApplicationError("Action réservée à un membre de l'organisation du document.")


def _requester_check(requested_by_id: int, by: Actor, what: str) -> None:
    user = actor_user(by)
    if user is None or user.pk == requested_by_id:
        raise ApplicationError(
            f"La personne qui a demandé la {what} ne peut pas l'approuver ni la refuser : "
            "une autre personne de l'organisme qui délivre le document doit le faire."
        )


def _note_clean(note: str) -> str:
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_MAX:
        raise ApplicationError(f"Observation trop longue ({NOTE_MAX} caractères au plus).", field="note")
    return note


@dataclass(frozen=True)
class _IssuingBody:
    """``by`` for the documents' own services once :func:`decider_check` has passed: the deciding
    user, acting on the centre's document in the centre's tenant."""

    user: AbstractBaseUser
    organisation_id: int


# --- revocation -------------------------------------------------------------------------------


def _revocation_checks(document: IssuedDocument, by: Actor) -> Organisation:
    if getattr(by, "organisation_id", None) != document.organisation_id:
        raise ApplicationError("Action réservée à un membre de l'organisation du document.")
    certificateur = issuer_certificateur(document)
    if certificateur is None:
        raise ApplicationError(
            "Ce document est délivré par le centre : révoquez-le directement (pas de demande au certificateur)."
        )
    if document.is_revoked:
        raise ApplicationError(
            f"Ce document a déjà été révoqué le {timezone.localtime(document.revoked_at):%d/%m/%Y}."
        )
    return certificateur


def document_revoke_by_centre(
    *, document: IssuedDocument, by: Actor, reason: str, category: str = RevocationCategory.RETRAIT
) -> IssuedDocument:
    """The centre revokes a document it issues itself (as before); a document its certificateur
    issues is refused here: the centre asks (:func:`revocation_request_create`)."""
    from documents.services import document_revoke

    certificateur = issuer_certificateur(document)
    if certificateur is not None:
        raise ApplicationError(
            f"Ce document est délivré par {certificateur.name} : demandez sa révocation, que le "
            "certificateur approuvera.",
            field="reason",
        )
    return document_revoke(document=document, by=by, reason=reason, category=category)


@transaction.atomic
def revocation_request_create(
    *, document: IssuedDocument, by: Actor, reason: str, category: str, basis: str = ""
) -> RevocationRequest:
    """The centre asks the certificateur that issued ``document`` to revoke it (reason + the
    public category); nothing is revoked until its staff approve. Validated, audited.

    ``basis`` names what caused a request the centre did not type (a signed rectification:
    ``jury:<id>:rectification:<id>``); once every request of a basis is approved, its listener
    (:func:`documents.hooks.revocation_basis_approved`) carries on."""
    from documents.services.revocation import _clean_category, _clean_reason

    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    certificateur = _revocation_checks(document, by)
    reason = _clean_reason(reason, "de révocation")
    _clean_category(category)
    if RevocationRequest.objects.filter(document=document, status=RevocationRequest.Status.PENDING).exists():
        raise ApplicationError(
            "Une demande de révocation de ce document attend déjà l'approbation du certificateur."
        )
    request = RevocationRequest.objects.create(
        organisation=document.organisation,
        document=document,
        approver_certificateur=certificateur,
        reason=reason,
        category=category,
        basis=basis[:200],
        requested_by=actor_user(by),
    )
    audit_record(
        actor=actor_user(by),
        action="document.revocation_request",
        obj=document,
        message=f"{document}: {reason} (à approuver par {certificateur.name})",
    )
    return request


@transaction.atomic
def revocation_request_decide(
    *, request: RevocationRequest, by: Actor, approve: bool, note: str = ""
) -> RevocationRequest:
    """The certificateur's staff approve (the document is revoked, the public page says so with
    the category) or refuse (with an observation for the centre). Never by the requester."""
    from documents.services import document_revoke

    request = RevocationRequest.objects.select_for_update().select_related("document").get(pk=request.pk)
    document = request.document
    decider_check(document=document, approver_certificateur_id=request.approver_certificateur_id, by=by)
    if request.status != RevocationRequest.Status.PENDING:
        raise ApplicationError("Cette demande de révocation a déjà été traitée.")
    _requester_check(request.requested_by_id, by, "révocation")
    note = _note_clean(note)
    if not approve and len(note) < 5:
        raise ApplicationError(
            "Indiquez au centre pourquoi la révocation est refusée (5 caractères au moins).", field="note"
        )
    user = actor_user(by)
    assert user is not None  # _requester_check refused the system
    request.status = RevocationRequest.Status.APPROVED if approve else RevocationRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_note = user, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        document_revoke(
            document=document,
            by=_IssuingBody(user=user, organisation_id=document.organisation_id),
            reason=f"{request.reason} (approuvée par {request.approver_certificateur.name})",
            category=request.category,
        )
    audit_record(
        actor=user,
        action="document.revocation_approve" if approve else "document.revocation_refuse",
        obj=document,
        message=f"demandée par {request.requested_by} : {request.reason}" + (f" — {note}" if note else ""),
    )
    if approve and request.basis:
        _basis_complete(request, _IssuingBody(user=user, organisation_id=document.organisation_id))
    return request


def _basis_complete(request: RevocationRequest, by: _IssuingBody) -> None:
    """Every request of ``request.basis`` approved: its listener carries on (a rectification's
    remaining revocations and its corrected documents)."""
    from documents import hooks

    others = RevocationRequest.objects.filter(basis=request.basis).exclude(
        status=RevocationRequest.Status.APPROVED
    )
    if not others.exists():
        hooks.revocation_basis_approved(basis=request.basis, by=by)


# --- re-issue (civil-status correction) ---------------------------------------------------------


@transaction.atomic
def reissue_request_decide_as_issuer(
    *, request: ReissueRequest, by: Actor, approve: bool, note: str = ""
) -> ReissueRequest:
    """A civil-status correction decided by the body that issues the document: the centre (as
    before) or the certificateur's staff, who must tell the centre why when they refuse. The
    documents' service checks the decider again (:func:`decider_check`) and the requester."""
    from documents.services import reissue_request_decide

    request = ReissueRequest.objects.select_related("document").get(pk=request.pk)
    decider_check(
        document=request.document, approver_certificateur_id=request.approver_certificateur_id, by=by
    )
    note = _note_clean(note)
    if request.approver_certificateur_id and not approve and len(note) < 5:
        raise ApplicationError(
            "Indiquez au centre pourquoi la réédition est refusée (5 caractères au moins).", field="note"
        )
    return reissue_request_decide(request=request, by=by, approve=approve, note=note)
