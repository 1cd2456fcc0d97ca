"""Bounded reading of archive-based uploads (ZIP, OOXML, OpenDocument).

A zip archive declares each member's uncompressed size, and a few kilobytes may inflate to
gigabytes (« zip bomb »). Every upload that is an archive goes through ``check_archive`` before
anything opens it: the declared sizes are summed and compared with the budget, then every member
is actually inflated in fixed-size chunks, counting, and the reading stops as soon as the budget is
exceeded — memory stays at one chunk whatever the archive claims. ``read_member`` reads one member
with the same bound (the ``mimetype`` of an OpenDocument file, a worksheet's first bytes).
"""

import io
import zipfile

from django.conf import settings

from core.errors import ApplicationError

CHUNK = 64 * 1024
#: Default budget of one archive once inflated (``ARCHIVE_MAX_UNCOMPRESSED_BYTES``).
MAX_UNCOMPRESSED_BYTES_DEFAULT = 100 * 1024 * 1024
#: Default number of members (``ARCHIVE_MAX_MEMBERS``): an office document has tens.
MAX_MEMBERS_DEFAULT = 5_000


def _mo(size: int) -> str:
    return f"{size / 1_048_576:.0f} Mo"


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "ARCHIVE_MAX_UNCOMPRESSED_BYTES", MAX_UNCOMPRESSED_BYTES_DEFAULT))


def _open(source) -> zipfile.ZipFile:
    if isinstance(source, zipfile.ZipFile):
        return source
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(source)
    return zipfile.ZipFile(source)


def _too_large(label: str, limit: int) -> ApplicationError:
    return ApplicationError(
        f"{label} trop volumineux une fois décompressé (plus de {_mo(limit)}) : "
        "fichier refusé. Enregistrez-le de nouveau ou déposez un PDF.",
        field="file",
    )


def _unreadable(label: str, exc: Exception) -> ApplicationError:
    return ApplicationError(
        f"{label} illisible (archive endommagée : {exc.__class__.__name__}).", field="file"
    )


def check_archive(source, *, label: str = "Fichier", max_total: int | None = None) -> None:
    """Refuse an archive whose members, declared or actually inflated, exceed ``max_total`` bytes.

    ``source`` is the archive's bytes, a binary file object or an open ``ZipFile``. Raises
    ``ApplicationError`` (field ``file``) on a bomb, too many members, or a damaged archive
    (a member inflating beyond its declared size fails its CRC and counts as damaged).
    """
    limit = max_uncompressed_bytes() if max_total is None else max_total
    max_members = int(getattr(settings, "ARCHIVE_MAX_MEMBERS", MAX_MEMBERS_DEFAULT))
    try:
        archive = _open(source)
        infos = archive.infolist()
        if len(infos) > max_members:
            raise ApplicationError(
                f"{label} refusé : l'archive contient plus de {max_members} éléments.", field="file"
            )
        if sum(info.file_size for info in infos) > limit:
            raise _too_large(label, limit)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise _too_large(label, limit)
    except ApplicationError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
    ) as exc:
        raise _unreadable(label, exc) from exc
    except RuntimeError as exc:  # encrypted member
        raise ApplicationError(
            f"{label} chiffré (protégé par un mot de passe) : fichier refusé.", field="file"
        ) from exc


def read_member(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of member ``name``, inflated chunk by chunk (never the whole member)."""
    with archive.open(name) as member:
        return member.read(max_bytes)
