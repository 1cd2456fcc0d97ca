"""Pièces of a dossier: upload (sniffed), download and delete."""

import hashlib
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db import transaction
from django.http import FileResponse

from candidates.models import (
    Dossier,
    Piece,
)
from candidates.selectors import piece_get
from candidates.services._common import S
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from core.filenames import clean_filename
from organisations.services import audit_record
from organisations.tenancy import current_organisation

# --- pièces --------------------------------------------------------------------------------


@transaction.atomic
def piece_upload(*, dossier: Dossier, by: Actor, kind: str, uploaded_file) -> Piece:
    """Check size and real type (sniffed from the bytes), then store under a random private name."""
    from candidates.sniffing import sniff_upload

    if kind not in Piece.Kind.values:
        raise ApplicationError(f"Type de pièce inconnu : « {kind} ».", field="kind")
    if dossier.is_closed:
        raise ApplicationError(
            f"Le dossier est {dossier.get_status_display().lower()} : il ne reçoit plus de pièce.",
            field="file",
        )
    if dossier.candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont été effacées.", field="file")
    limit = settings.FILE_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ApplicationError(
            f"Fichier trop volumineux : {uploaded_file.size / 1_048_576:.1f} Mo, maximum {limit / 1_048_576:.0f} Mo.",
            field="file",
        )
    if uploaded_file.size == 0:
        raise ApplicationError("Le fichier est vide.", field="file")
    # the download name keeps no directory, whatever the client's separator ("..\\..\\x" from Windows)
    # no directory, no control nor bidi character (stored, shown, audited): core.filenames
    name = clean_filename(uploaded_file.name, default="piece")
    sniffed = sniff_upload(uploaded_file, name)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    piece = Piece(
        organisation=current_organisation(),
        dossier=dossier,
        kind=kind,
        original_name=name,
        content_type=sniffed.mime,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor_user(by),
    )
    # Random name: nothing of the original name (or of the candidate) reaches the storage.
    piece.file.save(
        f"pieces/{piece.organisation.public_id}/{uuid.uuid4().hex}{sniffed.extension}",
        uploaded_file,
        save=False,
    )
    try:
        piece.full_clean(exclude=["file"])
        piece.save()
    except Exception:
        piece.file.storage.delete(str(piece.file.name))
        raise
    audit_record(
        actor=actor_user(by),
        action="piece.upload",
        obj=dossier,
        message=f"{piece.get_kind_display()} : {name}",
    )
    return piece


@transaction.atomic
def piece_delete(*, piece: Piece, by: Actor) -> None:
    if piece.dossier.status not in (S.BROUILLON, S.INSCRIT, S.EN_EVALUATION):
        raise ApplicationError("Les pièces d'un dossier présenté au jury sont conservées.")
    name = str(piece.file.name)
    audit_record(
        actor=actor_user(by), action="piece.delete", obj=piece.dossier, message=piece.get_kind_display()
    )
    piece.delete()
    transaction.on_commit(lambda: piece.file.storage.delete(name))


@dataclass(frozen=True)
class PieceDownload:
    """What a download of a pièce streams: the opened file, its cleaned name, its sniffed type."""

    file: IO[bytes]
    filename: str
    content_type: str

    def as_response(self) -> FileResponse:
        """The attachment, served with the type sniffed at upload and never re-sniffed by the browser."""
        response = FileResponse(
            self.file, as_attachment=True, filename=self.filename, content_type=self.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


def piece_download(*, public_id, by: Actor) -> PieceDownload:
    """The one path to a pièce's bytes (page and API): 404 unless ``by`` may see the pièce (its
    dossier under the object rules, health kinds to administrators and gestionnaires only), then
    the access is logged (RGPD) and the file opened for streaming."""
    piece = piece_get(public_id=public_id, actor=by)
    audit_record(
        actor=actor_user(by), action="piece.download", obj=piece.dossier, message=piece.get_kind_display()
    )
    # a stored name from before core.filenames existed is cleaned on the way out too
    return PieceDownload(
        file=piece.file.open("rb"),
        filename=clean_filename(piece.original_name),
        content_type=piece.content_type,
    )
