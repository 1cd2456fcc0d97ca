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

import csv
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
from core.errors import ApplicationError
from documents import hooks
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    NUMBERED_KINDS,
    DocumentKind,
    DocumentVersion,
    IssuedDocument,
    NumberSequence,
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
    DocumentKind.PARCHEMIN: ("certificateur", "intitule", "code_certification", "lieu", "signataires"),
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
                code_certification=str(context.get("code_certification", "")),
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
    from documents.tasks import document_render_task

    document_render_task.delay_on_commit(organisation_id=document.organisation_id, document_id=document.pk)


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
    from documents.tasks import document_render_task

    documents = IssuedDocument.objects.filter(group_key=group_key)
    if retry_failed:
        documents.filter(status=IssuedDocument.Status.FAILED).update(
            status=IssuedDocument.Status.PENDING, attempts=0, last_error="", updated_at=timezone.now()
        )
    rows = list(documents.filter(status=IssuedDocument.Status.PENDING).values_list("pk", "organisation_id"))
    for pk, organisation_id in rows:
        document_render_task.delay_on_commit(organisation_id=organisation_id, document_id=pk)
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
    from documents.tasks import document_render_task

    cutoff = timezone.now() - older_than
    stuck = IssuedDocument.objects.filter(
        status__in=(IssuedDocument.Status.PENDING, IssuedDocument.Status.RENDERING), updated_at__lte=cutoff
    )
    rows = list(stuck.values_list("pk", "organisation_id"))
    if rows:
        IssuedDocument.objects.filter(pk__in=[pk for pk, _ in rows]).update(updated_at=timezone.now())
        logger.warning("Re-enqueuing %s document(s) stuck in pending/rendering", len(rows))
    for pk, organisation_id in rows:
        document_render_task.delay_on_commit(organisation_id=organisation_id, document_id=pk)
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
def document_revoke(*, document: IssuedDocument, by: Actor, reason: str) -> IssuedDocument:
    """Revoke ``document`` with a reason; the public verification page then says so."""
    _check_actor(document, by)
    reason = _clean_reason(reason, "de révocation")
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
            status=VerificationRecord.Status.REVOKED, revoked_at=now, revocation_reason=reason, updated_at=now
        )
        hooks.document_revoked(document=document, reason=reason)
    audit_record(actor=by.user, action="document.revoke", obj=document, message=f"{document}: {reason}")
    return document


#: What a re-issue may change: the holder's name, the title, and the rendered data.
REISSUE_FIELDS = ("holder_name", "title")


@transaction.atomic
def document_reissue(
    *, document: IssuedDocument, by: Actor, reason: str, context_changes: dict
) -> IssuedDocument:
    """Re-issue a numbered document after a correction: same number and code, version + 1.

    ``context_changes`` is merged into the stored context; its keys ``holder_name`` and
    ``title`` change those columns. The previous file, context and fingerprint are kept as a
    :class:`DocumentVersion`; the new version is rendered after commit.
    """
    _check_actor(document, by)
    reason = _clean_reason(reason, "de la réédition")
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
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
    if not isinstance(context_changes, dict) or not context_changes:
        raise ApplicationError("Indiquez au moins une correction.", field="context_changes")
    changes = dict(context_changes)
    columns = {f: str(changes.pop(f)).strip() for f in REISSUE_FIELDS if f in changes}
    if any(not v for v in columns.values()):
        raise ApplicationError(
            "Le titulaire et l'intitulé ne peuvent pas être vides.", field="context_changes"
        )
    new_context = {**document.context, **changes}
    _check_request(
        kind=document.kind,
        certificateur=document.certificateur,
        idempotency_key=document.idempotency_key,
        holder_name=columns.get("holder_name", document.holder_name),
        title=columns.get("title", document.title),
        context=new_context,
    )
    if new_context == document.context and all(getattr(document, f) == v for f, v in columns.items()):
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
    for field, value in columns.items():
        setattr(document, field, value)
    document.context = new_context
    document.version += 1
    document.file = ""
    document.sha256, document.size, document.rendered_at = "", 0, None
    document.status, document.attempts, document.last_error = IssuedDocument.Status.PENDING, 0, ""
    document.save()
    VerificationRecord.objects.filter(code=document.verification_code).update(
        status=VerificationRecord.Status.REISSUED,
        version=document.version,
        holder_name=document.holder_name,
        certification=_certification_text(document.kind, new_context),
        niveau=_niveau_text(new_context),
        code_certification=str(new_context.get("code_certification", "")),
        certificateur_nom=str(new_context["certificateur"]),
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
        writer = csv.writer(manifest, delimiter=";")
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
