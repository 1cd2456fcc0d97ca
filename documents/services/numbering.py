"""Requesting a document: the checks, the gap-free number, the verification code, the render queued."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    NUMBERED_KINDS,
    DocumentKind,
    IssuedDocument,
    NumberSequence,
    VerificationRecord,
    format_code,
)
from organisations.models import Organisation
from organisations.tenancy import current_organisation

#: Context keys each numbered kind needs (the legal mentions and the verification registry).
REQUIRED_CONTEXT: dict[str, tuple[str, ...]] = {
    DocumentKind.PARCHEMIN: ("certificateur", "intitule", "lieu", "signataires"),
    DocumentKind.CERTIFICAT_BLOC: (
        "certificateur",
        "intitule",
        "code_certification",
        "bloc_code",
        "bloc_intitule",
        "lieu",
        "signataires",
    ),
}

#: Keys the renderer adds to the template context; a caller's context cannot override them.
RESERVED_CONTEXT_KEYS = frozenset(
    {
        "document",
        "holder_name",
        "title",
        "numero",
        "code_verification",
        "url_verification",
        "qr",
        "issued_on",
        "version",
        "kind",
        "dense",
    }
)


# --- request and numbering ---------------------------------------------------------------------


def _number_prefix(certificateur: Organisation) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", certificateur.slug.upper()).strip("-")


def _sequence_lock(*, certificateur: Organisation, year: int, series: str = "") -> NumberSequence:
    """The counter row, locked until the end of the transaction (created on first use)."""
    NumberSequence.objects.bulk_create(
        [NumberSequence(certificateur=certificateur, series=series, year=year)], ignore_conflicts=True
    )
    return NumberSequence.objects.select_for_update().get(
        certificateur=certificateur, series=series, year=year
    )


#: The centre's own reference series (a human reference with no database id, issue 13, point 9).
REFERENCE_SERIES = ("CONV", "EMARG")


@transaction.atomic
def reference_take(*, organisation: Organisation, series: str, year: int) -> str:
    """The next reference of ``organisation``'s ``series`` for ``year`` (``CONV-2026-0412``):
    gap-free like the parchemins' numbers (the counter row is locked until commit, a rolled-back
    transaction gives its number back)."""
    if series not in REFERENCE_SERIES:
        raise ValueError(f"Unknown reference series: {series}")
    sequence = _sequence_lock(certificateur=organisation, year=year, series=series)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{series}-{year}-{sequence.last_value:04d}"


def _number_take(sequence: NumberSequence, certificateur: Organisation) -> str:
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{_number_prefix(certificateur)}-{sequence.year}-{sequence.last_value:06d}"


def _verification_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/verifier/{format_code(code)}"


def _niveau_text(context: dict) -> str:
    niveau, cec = str(context.get("niveau") or ""), str(context.get("niveau_cec") or "")
    if niveau and cec:
        return f"Niveau {niveau} (cadre européen : niveau {cec})"
    return f"Niveau {niveau}" if niveau else ""


def _certification_text(kind: str, context: dict) -> str:
    if kind == DocumentKind.CERTIFICAT_BLOC:
        return f"Bloc {context['bloc_code']} — {context['bloc_intitule']}, de la certification « {context['intitule']} »"
    return str(context["intitule"])


def _registry_mentions(kind: str, context: dict) -> dict[str, str]:
    """What the public verification record says of the certification, from the document's data."""
    return {
        "certification": _certification_text(kind, context),
        "niveau": _niveau_text(context),
        "code_certification": str(context.get("numero_enregistrement", "")),
        "certificateur_nom": str(context["certificateur"]),
    }


def issuing_body(
    *, organisation: Organisation, kind: str, certificateur: Organisation | None, context: dict
) -> Organisation:
    """The body that issues this document now (issue 13, point 1): the certificateur where its
    rule for the kind and certification says so, else the centre. Stored on the document."""
    from documents.issuance import rule_resolve

    if kind not in NUMBERED_KINDS or certificateur is None:
        return organisation
    code = str(context.get("code_certification", ""))
    resolved = rule_resolve(certificateur_id=certificateur.pk, code=code, kind=kind)
    return certificateur if resolved.by_certificateur else organisation


def _check_request(*, kind, certificateur, idempotency_key, holder_name, title, context) -> None:
    if kind not in DocumentKind.values:
        raise ApplicationError(f"Type de document inconnu : « {kind} ».", field="kind")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ApplicationError(
            "La clé d'idempotence est obligatoire (200 caractères au plus).", field="idempotency_key"
        )
    if not title or not title.strip():
        raise ApplicationError("L'intitulé du document est obligatoire.", field="title")
    if not isinstance(context, dict):
        raise ApplicationError("Les données du document doivent être un objet.", field="context")
    reserved = sorted(RESERVED_CONTEXT_KEYS.intersection(context))
    if reserved:
        raise ApplicationError(f"Clés réservées dans les données : {', '.join(reserved)}.", field="context")
    try:
        json.dumps(context, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            f"Les données du document ne sont pas sérialisables : {exc}.", field="context"
        ) from exc
    if kind in NUMBERED_KINDS:
        if certificateur is None or certificateur.kind != Organisation.Kind.CERTIFICATEUR:
            raise ApplicationError("Un document numéroté exige un certificateur.", field="certificateur")
        if not holder_name or not holder_name.strip():
            raise ApplicationError("Le nom du titulaire est obligatoire.", field="holder_name")
        missing = [k for k in REQUIRED_CONTEXT[kind] if not context.get(k)]
        if missing:
            raise ApplicationError(
                f"Mentions manquantes pour un {DocumentKind(kind).label.lower()} : {', '.join(missing)}.",
                field="context",
            )


def document_request(
    *,
    organisation: Organisation,
    kind: str,
    certificateur: Organisation | None,
    idempotency_key: str,
    title: str,
    context: dict,
    group_key: str = "",
    holder_name: str = "",
    issued_on: dt.date | None = None,
    by: Actor = None,
    render: bool = True,
    issued_by: Organisation | None = None,
) -> IssuedDocument:
    """Issue (once) the document known by ``idempotency_key`` and enqueue its rendering.

    The same key returns the same row — same number, same code — without touching it (changes
    go through :func:`document_reissue`). Numbered kinds (parchemin, certificat de bloc) take the
    next number of ``certificateur`` for the year of ``issued_on`` (default: today, Paris) and
    get a public verification record. Rendering is enqueued after commit (``render=False`` lets
    a caller enqueue a whole batch later with :func:`documents_render_batch`).
    """
    if organisation.pk != current_organisation().pk:
        raise ApplicationError("Un document ne peut être délivré que dans l'organisation active.")
    existing = IssuedDocument.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_request(existing, kind)
    _check_request(
        kind=kind,
        certificateur=certificateur,
        idempotency_key=idempotency_key,
        holder_name=holder_name,
        title=title,
        context=context,
    )
    issued_on = issued_on or timezone.localdate()
    # The body that issues it, stored (``issued_by``: a caller that resolved the rule already).
    issuer = issued_by or issuing_body(
        organisation=organisation, kind=kind, certificateur=certificateur, context=context
    )
    if issuer.pk not in (organisation.pk, getattr(certificateur, "pk", None)):
        raise ApplicationError("Un document est délivré par le centre ou par son certificateur.")
    with transaction.atomic():
        document = IssuedDocument(
            organisation=organisation,
            kind=kind,
            certificateur=certificateur,
            issued_by=issuer,
            issued_by_name=issuer.name,
            idempotency_key=idempotency_key,
            group_key=group_key,
            holder_name=holder_name.strip(),
            title=title.strip(),
            issued_on=issued_on,
            context=context,
            created_by=actor_user(by),
        )
        if kind in NUMBERED_KINDS:
            twin = _number_assign(document, certificateur=certificateur, year=issued_on.year)
            if twin is not None:
                return _same_request(twin, kind)
        saved = _save_or_twin(document, kind)
        if saved is not document:
            return saved
        if document.is_numbered:
            _verification_record_create(document, context=context, issued_on=issued_on)
    if render:
        _enqueue_render(document)
    return document


def _number_assign(
    document: IssuedDocument, *, certificateur: Organisation | None, year: int
) -> IssuedDocument | None:
    """Give ``document`` the certificateur's next number of ``year`` and a verification code — or
    return the twin request (same key) committed meanwhile, found under the counter lock."""
    if certificateur is None:  # refused by _check_request already
        raise ApplicationError("Un document numéroté exige un certificateur.", field="certificateur")
    # The counter lock serialises issuers of this certificateur and year; re-checking
    # the key under it means a concurrent twin request finds the committed row.
    sequence = _sequence_lock(certificateur=certificateur, year=year)
    existing = IssuedDocument.objects.filter(idempotency_key=document.idempotency_key).first()
    if existing is not None:
        return existing
    document.number = _number_take(sequence, certificateur)
    document.verification_code = _verification_code_new()
    return None


def _save_or_twin(document: IssuedDocument, kind: str) -> IssuedDocument:
    """Insert ``document``; a non-numbered twin request committed between the caller's check and
    this insert wins, and is returned instead."""
    document.full_clean(exclude=["file", "created_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Non-numbered twin request committed between our check and our insert.
        existing = IssuedDocument.objects.filter(idempotency_key=document.idempotency_key).first()
        if existing is None:
            raise
        return _same_request(existing, kind)
    return document


def _verification_record_create(document: IssuedDocument, *, context: dict, issued_on: dt.date) -> None:
    """The public registry entry of a numbered document (what ``/verifier/<code>`` shows)."""
    code, number = document.verification_code, document.number
    if code is None or number is None:  # _number_assign gave both
        raise ValueError(f"Document numéroté sans numéro ni code : {document.pk}")
    VerificationRecord.objects.create(
        code=code,
        number=number,
        kind=document.kind,
        holder_name=document.holder_name,
        **_registry_mentions(document.kind, context),
        issued_by_name=document.issued_by_name,
        issued_on=issued_on,
    )


def _same_request(existing: IssuedDocument, kind: str) -> IssuedDocument:
    if existing.kind != kind:
        raise ApplicationError(
            f"Cette clé désigne déjà un document de type « {existing.get_kind_display()} ».",
            field="idempotency_key",
        )
    return existing


def _enqueue_render(document: IssuedDocument) -> None:
    enqueue_on_commit(
        "documents.tasks.document_render_task",
        organisation_id=document.organisation_id,
        document_id=document.pk,
    )
