"""What an uploaded file really is, from its bytes (puremagic), never from its name.

Accepted: PDF, PNG, JPEG, office documents (OOXML docx/xlsx/pptx, OpenDocument odt/ods/odp,
legacy OLE2 doc/xls/ppt). Executables and scripts are refused whatever their name, and a file
whose extension does not match its content is refused too (a PNG named ``.pdf``).
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import puremagic

from core.archives import check_archive, read_member
from core.errors import ApplicationError
from core.filenames import clean_filename


@dataclass(frozen=True)
class Sniffed:
    label: str
    mime: str
    extension: str  # canonical, with the dot
    extensions: frozenset[str]  # every name ending accepted for this content


PDF = Sniffed("PDF", "application/pdf", ".pdf", frozenset({".pdf"}))
PNG = Sniffed("PNG", "image/png", ".png", frozenset({".png"}))
JPEG = Sniffed("JPEG", "image/jpeg", ".jpg", frozenset({".jpg", ".jpeg"}))
DOCX = Sniffed(
    "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    frozenset({".docx"}),
)
XLSX = Sniffed(
    "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
    frozenset({".xlsx"}),
)
PPTX = Sniffed(
    "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pptx",
    frozenset({".pptx"}),
)
ODT = Sniffed("OpenDocument texte", "application/vnd.oasis.opendocument.text", ".odt", frozenset({".odt"}))
ODS = Sniffed(
    "OpenDocument tableur", "application/vnd.oasis.opendocument.spreadsheet", ".ods", frozenset({".ods"})
)
ODP = Sniffed(
    "OpenDocument présentation",
    "application/vnd.oasis.opendocument.presentation",
    ".odp",
    frozenset({".odp"}),
)
OLE = Sniffed("Office 97-2003", "application/x-ole-storage", ".doc", frozenset({".doc", ".xls", ".ppt"}))

ARCHIVES = frozenset({DOCX, XLSX, PPTX, ODT, ODS, ODP})
ACCEPTED = (PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP, OLE)
ACCEPTED_LABEL = "PDF, PNG, JPEG, Word, Excel, PowerPoint ou OpenDocument"
ACCEPT_ATTRIBUTE = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.odt,.ods,.odp,.doc,.xls,.ppt"

# Signatures refused outright: Windows PE/DOS, ELF, Mach-O (thin and fat), Java class,
# shell scripts and other "#!" interpreters, Windows shortcuts.
EXECUTABLE_PREFIXES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
    b"L\x00\x00\x00\x01\x14\x02\x00",
)
OPENDOCUMENT = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}


def _zip_kind(data: bytes) -> Sniffed | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names:
            # bounded: the member may claim a few bytes and inflate to gigabytes
            return OPENDOCUMENT.get(read_member(archive, "mimetype", 128).strip())
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        KeyError,
        RuntimeError,
        EOFError,
    ):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return None


def sniff_bytes(data: bytes) -> Sniffed | None:
    """The accepted type of ``data``, or None (unknown or refused)."""
    if data.startswith(EXECUTABLE_PREFIXES):
        return None
    try:
        matches = puremagic.magic_string(data[:8192])
    except (puremagic.PureError, ValueError):
        matches = []
    mimes = {m.mime_type for m in matches}
    extensions = {m.extension for m in matches}
    if data.startswith(b"%PDF-") or "application/pdf" in mimes:
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04") or extensions & {".docx", ".xlsx", ".pptx", ".odt", ".zip"}:
        return _zip_kind(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    return None


def sniff_upload(uploaded_file, name: str) -> Sniffed:
    """Check an uploaded file (Django ``UploadedFile``) or raise ``ApplicationError`` on ``file``."""
    name = clean_filename(name)  # shown in the messages below
    uploaded_file.seek(0)
    data = uploaded_file.read()
    uploaded_file.seek(0)
    extension = PurePath(name).suffix.lower()
    if data.startswith(EXECUTABLE_PREFIXES):
        raise ApplicationError(
            f"« {name} » est un programme exécutable (contenu analysé, quel que soit son nom) : fichier refusé.",
            field="file",
        )
    sniffed = sniff_bytes(data)
    if sniffed is None:
        raise ApplicationError(
            f"Type de fichier non accepté pour « {name} » : déposez un {ACCEPTED_LABEL}.", field="file"
        )
    if extension not in sniffed.extensions:
        raise ApplicationError(
            f"« {name} » porte l'extension « {extension or 'aucune'} » mais son contenu est un fichier {sniffed.label} : "
            "renommez-le correctement ou déposez le bon fichier.",
            field="file",
        )
    if sniffed in ARCHIVES:
        # declared and actual member sizes within the budget, read in bounded chunks
        check_archive(io.BytesIO(data), label=f"« {name} »")
    return sniffed
