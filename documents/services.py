"""Writes on issued documents: request (numbering), render, revoke, re-issue, batches, ZIP.

The jury app (and any other) calls these; none of them knows about juries. Every function runs
inside ``tenant_context`` (a request or a ``TenantTask``).

Guarantees:
- **gap-free numbers**: a number is taken from the certificateur's yearly counter under a row
  lock, inside the issuing transaction; if that transaction rolls back, so does the counter;
- **idempotency**: one ``idempotency_key`` per organisation is one document and at most one
  number, whatever the retries; rendering a ready document does nothing;
- **determinism**: ``context`` holds everything a template needs, so a re-render shows the
  same content (only the seal's time differs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from core.actors import Actor, actor_user
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from core.exports import csv_writer
from documents import hooks
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    NUMBERED_KINDS,
    DocumentKind,
    DocumentVersion,
    IssuedDocument,
    NumberSequence,
    RevocationCategory,
    VerificationRecord,
    format_code,
    private_storage,
)
from organisations.models import Organisation
from organisations.services import audit_record
from organisations.tenancy import current_organisation

logger = logging.getLogger(__name__)

#: A document whose rendering failed (or killed its worker) this many times is marked failed.
MAX_ATTEMPTS = 5

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

STYLESHEETS = {DocumentKind.PARCHEMIN: "parchemin", DocumentKind.CERTIFICAT_BLOC: "parchemin"}


# --- request and numbering ---------------------------------------------------------------------


def _number_prefix(certificateur: Organisation) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", certificateur.slug.upper()).strip("-")


def _sequence_lock(*, certificateur: Organisation, year: int) -> NumberSequence:
    """The counter row, locked until the end of the transaction (created on first use)."""
    NumberSequence.objects.bulk_create(
        [NumberSequence(certificateur=certificateur, year=year)], ignore_conflicts=True
    )
    return NumberSequence.objects.select_for_update().get(certificateur=certificateur, year=year)


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
    with transaction.atomic():
        document = IssuedDocument(
            organisation=organisation,
            kind=kind,
            certificateur=certificateur,
            idempotency_key=idempotency_key,
            group_key=group_key,
            holder_name=holder_name.strip(),
            title=title.strip(),
            issued_on=issued_on,
            context=context,
            created_by=actor_user(by),
        )
        if kind in NUMBERED_KINDS:
            # The counter lock serialises issuers of this certificateur and year; re-checking
            # the key under it means a concurrent twin request finds the committed row.
            sequence = _sequence_lock(certificateur=certificateur, year=issued_on.year)
            existing = IssuedDocument.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_request(existing, kind)
            document.number = _number_take(sequence, certificateur)
            document.verification_code = _verification_code_new()
        document.full_clean(exclude=["file", "created_by"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # Non-numbered twin request committed between our check and our insert.
            existing = IssuedDocument.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            return _same_request(existing, kind)
        if document.is_numbered:
            VerificationRecord.objects.create(
                code=document.verification_code,
                number=document.number,
                kind=kind,
                holder_name=document.holder_name,
                certification=_certification_text(kind, context),
                niveau=_niveau_text(context),
                code_certification=str(context.get("numero_enregistrement", "")),
                certificateur_nom=str(context["certificateur"]),
                issued_on=issued_on,
            )
    if render:
        _enqueue_render(document)
    return document


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
    if document.is_numbered:
        url = verification_url(document.verification_code)
        values.update(
            code_verification=format_code(document.verification_code),
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


# --- life after issue: revocation, re-issue ----------------------------------------------------


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


@transaction.atomic
def document_revoke(
    *, document: IssuedDocument, by: Actor, reason: str, category: str = RevocationCategory.RETRAIT
) -> IssuedDocument:
    """Revoke ``document`` with a reason; the public verification page then says so with the
    date and the fixed public ``category`` only (the free-text reason is never public)."""
    _check_actor(document, by)
    reason = _clean_reason(reason, "de révocation")
    if category not in RevocationCategory.values:
        raise ApplicationError(
            "Choisissez la catégorie publique de la révocation : "
            + ", ".join(f"« {label} »" for label in RevocationCategory.labels)
            + ".",
            field="category",
        )
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.is_revoked:
        raise ApplicationError(
            f"Ce document a déjà été révoqué le {timezone.localtime(document.revoked_at):%d/%m/%Y}."
        )
    now = timezone.now()
    document.revoked_at, document.revocation_reason, document.revoked_by = now, reason, by.user
    document.save(update_fields=["revoked_at", "revocation_reason", "revoked_by", "updated_at"])
    if document.is_numbered:
        VerificationRecord.objects.filter(code=document.verification_code).update(
            status=VerificationRecord.Status.REVOKED,
            revoked_at=now,
            revocation_reason=RevocationCategory(category).label,
            updated_at=now,
        )
        hooks.document_revoked(document=document, reason=reason)
    audit_record(actor=by.user, action="document.revoke", obj=document, message=f"{document}: {reason}")
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
        replaced_by=by.user,
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
        certification=_certification_text(document.kind, context),
        niveau=_niveau_text(context),
        code_certification=str(context.get("numero_enregistrement", "")),
        certificateur_nom=str(context["certificateur"]),
        updated_at=timezone.now(),
    )
    # the credential carries the holder's name: the previous version's one is superseded
    hooks.document_revoked(document=document, reason=f"Réédition : {reason}", keep_current=True)
    audit_record(
        actor=by.user,
        action="document.reissue",
        obj=document,
        message=f"{document} v{document.version}: {reason}",
    )
    _enqueue_render(document)
    return document


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
        requested_by=by.user,
    )
    request.piece.save(request.piece_name, piece, save=False)
    request.save()
    audit_record(
        actor=by.user,
        action="document.reissue_request",
        obj=document,
        message=f"{document}: {', '.join(sorted(identity))} — {reason}",
    )
    return request


@transaction.atomic
def reissue_request_decide(*, request, by: Actor, approve: bool, note: str = ""):
    """Another person of the issuing body approves (the document is derived again from the
    référentiel version and the signed decision with the corrected identity) or refuses."""
    from documents.models import ReissueRequest

    request = ReissueRequest.objects.select_for_update().select_related("document").get(pk=request.pk)
    document = request.document
    _check_actor(document, by)
    if request.status != ReissueRequest.Status.PENDING:
        raise ApplicationError("Cette demande de réédition a déjà été traitée.")
    if request.requested_by_id == by.user.pk:
        raise ApplicationError(
            "La personne qui a demandé la réédition ne peut pas l'approuver ni la refuser : "
            "une autre personne de l'organisme qui délivre le document doit le faire."
        )
    note = (note or "").strip()[:1000]
    request.status = ReissueRequest.Status.APPROVED if approve else ReissueRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_note = by.user, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if not approve:
        audit_record(actor=by.user, action="document.reissue_refuse", obj=document, message=note or "refusée")
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
        actor=by.user,
        action="document.reissue_approve",
        obj=locked,
        message=f"demandée par {request.requested_by} : {request.reason}",
    )
    return request


# --- bulk download -----------------------------------------------------------------------------


class _ZipSink(io.RawIOBase):
    """Write-only, non-seekable buffer: ``zipfile`` writes into it, the generator drains it."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _zip_filename(document: IssuedDocument, used: set[str]) -> str:
    base = "-".join(p for p in (document.number or document.kind, slugify(document.holder_name)[:60]) if p)
    name, n = f"{base}.pdf", 2
    while name in used:
        name, n = f"{base}-{n}.pdf", n + 1
    used.add(name)
    return name


def documents_zip(*, group_key: str) -> Iterator[bytes]:
    """A streamed ZIP of the ready documents of ``group_key``, with a manifest.

    The rows are read now (inside the tenant context); the returned iterator only reads files,
    so a streaming response may consume it after the request's transaction has ended. A file
    whose bytes no longer match their recorded SHA-256 is left out and flagged in the manifest.
    """
    if not group_key:
        raise ApplicationError("Indiquez le lot (group_key) à télécharger.", field="group_key")
    rows = list(
        IssuedDocument.objects.filter(group_key=group_key, status=IssuedDocument.Status.READY)
        .order_by("kind", "number", "holder_name", "pk")
        .only("kind", "number", "holder_name", "title", "file", "sha256", "version", "revoked_at")
    )
    if not rows:
        raise ApplicationError("Aucun document prêt dans ce lot.", field="group_key")
    storage = private_storage()
    used: set[str] = set()
    entries = [(_zip_filename(d, used), d.file.name, d.sha256, d) for d in rows]

    def stream() -> Iterator[bytes]:
        sink = _ZipSink()
        manifest = io.StringIO()
        writer = csv_writer(manifest, delimiter=";")
        writer.writerow(["fichier", "numero", "titulaire", "intitule", "version", "revoque", "sha256"])
        with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
            for filename, storage_name, sha256, d in entries:
                with storage.open(storage_name, "rb") as fh:
                    data = fh.read()
                row = [
                    filename,
                    d.number or "",
                    d.holder_name,
                    d.title,
                    d.version,
                    "oui" if d.revoked_at else "",
                ]
                if hashlib.sha256(data).hexdigest() != sha256:
                    logger.error(
                        "Stored file %s does not match its SHA-256; left out of the ZIP", storage_name
                    )
                    writer.writerow([*row, "EMPREINTE INVALIDE : fichier exclu"])
                    continue
                archive.writestr(
                    zipfile.ZipInfo(filename, date_time=timezone.localtime().timetuple()[:6]), data
                )
                writer.writerow([*row, sha256])
                yield sink.drain()
            archive.writestr("manifeste.csv", manifest.getvalue().encode("utf-8-sig"))
        yield sink.drain()

    return stream()
