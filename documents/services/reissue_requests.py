"""Re-issue requests: civil-status corrections, asked by one person and decided by another."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from documents import hooks
from documents.models import (
    IssuedDocument,
)
from documents.services.revocation import _check_actor, _clean_reason, _reissue_apply, _reissue_checks
from organisations.services import audit_record

# --- re-issue requests (civil-status corrections, two people) ----------------------------------

PIECE_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}
PIECE_MAX_BYTES = 10 * 1024 * 1024


def _identity_clean(identity) -> dict:
    from documents.models import IDENTITY_FIELDS

    if not isinstance(identity, dict) or not identity:
        raise ApplicationError("Indiquez l'état civil corrigé du titulaire.", field="identity")
    refused = sorted(set(identity) - set(IDENTITY_FIELDS))
    if refused:
        raise ApplicationError(
            "Une réédition corrige uniquement l'état civil du titulaire (civilité, noms, prénoms, date et "
            "lieu de naissance) ; refusé : " + ", ".join(f"« {k} »" for k in refused) + ".",
            field="identity",
        )
    out: dict = {}
    for key, value in identity.items():
        if key.startswith("naissance_") and key != "naissance_commune":
            if value in (None, ""):
                out[key] = None
                continue
            try:
                out[key] = int(value)
            except (TypeError, ValueError):
                raise ApplicationError(f"« {key} » doit être un nombre.", field="identity") from None
        else:
            out[key] = str(value or "").strip()[:60]
    if "civilite" in out and out["civilite"] not in ("M", "MME"):
        raise ApplicationError("Civilité : « M » ou « MME ».", field="identity")
    if "sexe" in out and out["sexe"] not in ("M", "F"):
        raise ApplicationError("Sexe : « M » ou « F ».", field="identity")
    for required in ("nom_naissance", "prenom1", "naissance_annee"):
        if required in out and not out[required]:
            raise ApplicationError(f"« {required} » ne peut pas être vide.", field="identity")
    year, month, day = out.get("naissance_annee"), out.get("naissance_mois"), out.get("naissance_jour")
    today = timezone.localdate()
    if year is not None and not 1900 <= year <= today.year:
        raise ApplicationError("Année de naissance invalide.", field="identity")
    if year and month and day:
        try:
            if dt.date(year, month, day) > today:
                raise ApplicationError("La date de naissance est dans le futur.", field="identity")
        except ValueError:
            raise ApplicationError("Date de naissance invalide.", field="identity") from None
    return out


def _piece_check(piece) -> None:
    if piece is None:
        raise ApplicationError(
            "Joignez la pièce justificative (acte d'état civil, jugement, pièce d'identité).", field="piece"
        )
    if piece.size > PIECE_MAX_BYTES:
        raise ApplicationError("La pièce justificative dépasse 10 Mo.", field="piece")
    head = piece.read(8)
    piece.seek(0)
    if not any(head.startswith(magic) for magic in PIECE_TYPES):
        raise ApplicationError("La pièce justificative doit être un PDF, un PNG ou un JPEG.", field="piece")


@transaction.atomic
def reissue_request_create(*, document: IssuedDocument, by: Actor, reason: str, identity: dict, piece):
    """The centre asks for a civil-status correction of ``document`` (reason + supporting pièce)."""
    from documents.approvals import issuer_certificateur
    from documents.models import ReissueRequest

    _check_actor(document, by)
    reason = _clean_reason(reason, "de la réédition")
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    _reissue_checks(document)
    if not hooks.document_derivable(document):
        raise ApplicationError(
            "Ce document n'est pas issu d'une délibération signée : il ne peut pas être réédité."
        )
    identity = _identity_clean(identity)
    _piece_check(piece)
    if ReissueRequest.objects.filter(document=document, status=ReissueRequest.Status.PENDING).exists():
        raise ApplicationError("Une demande de réédition de ce document attend déjà son approbation.")
    request = ReissueRequest(
        organisation=document.organisation,
        document=document,
        identity=identity,
        reason=reason,
        piece_name=(getattr(piece, "name", "") or "piece")[:200],
        requested_by=actor_user(by),
        approver_certificateur=issuer_certificateur(document),
    )
    request.piece.save(request.piece_name, piece, save=False)
    request.save()
    audit_record(
        actor=actor_user(by),
        action="document.reissue_request",
        obj=document,
        message=f"{document}: {', '.join(sorted(identity))} — {reason}",
    )
    return request


@transaction.atomic
def reissue_request_decide(*, request, by: Actor, approve: bool, note: str = ""):
    """Another person of the issuing body approves (the document is derived again from the
    référentiel version and the signed decision with the corrected identity) or refuses."""
    from documents.approvals import decider_check
    from documents.models import ReissueRequest

    request = ReissueRequest.objects.select_for_update().select_related("document").get(pk=request.pk)
    document = request.document
    # the issuing body decides: the centre, or the certificateur's staff where it issues (point 5)
    decider_check(document=document, approver_certificateur_id=request.approver_certificateur_id, by=by)
    if request.status != ReissueRequest.Status.PENDING:
        raise ApplicationError("Cette demande de réédition a déjà été traitée.")
    if request.requested_by_id == actor_user(by).pk:
        raise ApplicationError(
            "La personne qui a demandé la réédition ne peut pas l'approuver ni la refuser : "
            "une autre personne de l'organisme qui délivre le document doit le faire."
        )
    note = (note or "").strip()[:1000]
    request.status = ReissueRequest.Status.APPROVED if approve else ReissueRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor_user(by), timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if not approve:
        audit_record(
            actor=actor_user(by), action="document.reissue_refuse", obj=document, message=note or "refusée"
        )
        return request
    locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    _reissue_checks(locked)
    holder, title, context = hooks.document_context_derive(locked, request.identity)
    _reissue_apply(
        document=locked,
        by=by,
        reason=f"Correction d'état civil : {request.reason}",
        holder_name=holder,
        title=title,
        context=context,
    )
    audit_record(
        actor=actor_user(by),
        action="document.reissue_approve",
        obj=locked,
        message=f"demandée par {request.requested_by} : {request.reason}",
    )
    return request
