"""Bulk download: a batch's documents streamed as a ZIP."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator

from django.utils import timezone
from django.utils.text import slugify

from core.errors import ApplicationError
from core.exports import csv_writer
from documents.models import (
    IssuedDocument,
    private_storage,
)

logger = logging.getLogger(__name__)


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
