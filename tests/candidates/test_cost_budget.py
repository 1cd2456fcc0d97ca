"""Cost budget of uploads and imports: every bomb is refused within ~200 MB and ~10 s.

Issue 16: « a 1.5 MB .odt whose mimetype entry inflates to 1.5 GB took the server from 191 MB to
3.2 GB before the 400 » and « a 5 KB workbook declaring A1:ALL49000 made openpyxl materialise
49,000 × 1,000 cells (200 → 605 MB) before the import was refused ». Each test measures the
Python heap's peak (tracemalloc) and the wall time of the refusal, and prints them (``-s``).
"""

import io
import re
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates import services
from candidates.models import Candidate, ImportJob, Piece
from core.errors import ApplicationError
from tests.candidates.conftest import make_dossier
from tests.candidates.test_import import GOOD, xlsx_file

MB = 1024 * 1024
#: The budget of the issue: no upload may use more than ~200 MB or ~10 s before refusing.
BUDGET_BYTES = 50 * MB
BUDGET_SECONDS = 10.0


def measured(label, call):
    """Run ``call`` (expected to raise ``ApplicationError``); returns (error, peak bytes, seconds)."""
    tracemalloc.start()
    start = time.perf_counter()
    error = None
    try:
        call()
    except ApplicationError as exc:
        error = exc
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"\n[budget] {label}: peak {peak / MB:.1f} MB, {seconds:.2f} s")
    return error, peak, seconds


def _zeros_member(archive: zipfile.ZipFile, name: str, size: int, *, declared: int | None = None) -> None:
    """Write ``size`` zero bytes into ``name`` by chunks (the test itself stays small)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=size > 0x7FFFFFFF) as member:
        chunk = b"\0" * MB
        left = size
        while left:
            member.write(chunk[: min(MB, left)])
            left -= min(MB, left)


def odt_bomb(inflated: int) -> bytes:
    """An OpenDocument text whose ``mimetype`` member inflates to ``inflated`` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(b"application/vnd.oasis.opendocument.text")
            chunk = b" " * MB
            for _ in range(inflated // MB):
                member.write(chunk)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


@pytest.fixture
def dossier(in_a, alice, rncp):
    return make_dossier(alice, rncp)


def test_odt_whose_mimetype_inflates_is_refused_within_budget(dossier, alice):
    data = odt_bomb(400 * MB)
    assert len(data) < 2 * MB
    upload = SimpleUploadedFile("rapport.odt", data)
    error, peak, seconds = measured(
        "pièce .odt, mimetype → 400 Mo",
        lambda: services.piece_upload(
            dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=upload
        ),
    )
    assert error is not None and error.field == "file"
    assert "trop volumineux une fois décompressé" in error.message or "non accepté" in error.message
    assert peak < BUDGET_BYTES and seconds < BUDGET_SECONDS
    assert not Piece.objects.exists()


def test_docx_with_an_inflating_member_is_refused_within_budget(dossier, alice, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES = 20 * MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        _zeros_member(archive, "word/media/image1.png", 300 * MB)
    upload = SimpleUploadedFile("cv.docx", out.getvalue())
    error, peak, seconds = measured(
        "pièce .docx, un membre → 300 Mo",
        lambda: services.piece_upload(
            dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=upload
        ),
    )
    assert error is not None and "trop volumineux une fois décompressé (plus de 20 Mo)" in error.message
    assert peak < BUDGET_BYTES and seconds < BUDGET_SECONDS
    assert not Piece.objects.exists()


def test_member_inflating_beyond_its_declared_size_is_refused(dossier, alice):
    """The declared size is a lie: the bounded read stops at it and the CRC check refuses the file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/big.bin", b"\0" * (30 * MB))
    data = bytearray(out.getvalue())
    # rewrite the declared uncompressed size (local header and central directory) to 1 KB
    size = (30 * MB).to_bytes(4, "little")
    for match in [m.start() for m in re.finditer(re.escape(size), bytes(data))]:
        data[match : match + 4] = (1024).to_bytes(4, "little")
    upload = SimpleUploadedFile("cv.docx", bytes(data))
    error, peak, seconds = measured(
        "pièce .docx, taille déclarée mensongère (1 Ko → 30 Mo)",
        lambda: services.piece_upload(
            dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=upload
        ),
    )
    assert error is not None and error.field == "file"
    assert peak < BUDGET_BYTES and seconds < BUDGET_SECONDS
    assert not Piece.objects.exists()


def test_normal_office_document_is_still_accepted(dossier, alice):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>" + "x" * 100_000)
    piece = services.piece_upload(
        dossier=dossier,
        by=alice,
        kind=Piece.Kind.RAPPORT,
        uploaded_file=SimpleUploadedFile("r.odt", out.getvalue()),
    )
    assert piece.content_type == "application/vnd.oasis.opendocument.text"


def _with_dimension(ref: str | None, far_cell: str | None = None) -> SimpleUploadedFile:
    """The import's good workbook, its first sheet declaring ``<dimension ref=ref>`` (none if
    ``ref`` is None) and, if given, one more cell ``far_cell`` (e.g. ``ALL49000``)."""
    real = xlsx_file(GOOD).read()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                dimension = f'<dimension ref="{ref}"/>' if ref else ""
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', dimension.encode(), content)
                if far_cell:
                    row = re.search(r"\d+", far_cell).group()
                    cell = f'<row r="{row}"><c r="{far_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
                    content = content.replace(b"</sheetData>", cell.encode() + b"</sheetData>")
            dst.writestr(item, content)
    return SimpleUploadedFile("dimension.xlsx", out.getvalue())


def test_xlsx_dimension_bomb_is_refused_before_cells_are_materialised(in_a, alice):
    upload = _with_dimension("A1:ALL49000", "ALL49000")
    assert upload.size < 10 * 1024
    job = None

    def create():
        nonlocal job
        job = services.import_job_create(by=alice, uploaded_file=upload)

    error, peak, seconds = measured("import XLSX, dimension A1:ALL49000", create)
    assert error is None and job.status == ImportJob.Status.REJECTED
    assert "la feuille déclare 1000 colonnes, au plus 200" in job.errors[0]["message"]
    assert peak < BUDGET_BYTES and seconds < BUDGET_SECONDS
    assert Candidate.objects.count() == 0


def test_xlsx_declaring_too_many_rows_is_refused_from_its_declaration(in_a, alice, settings):
    settings.CANDIDATE_IMPORT_MAX_ROWS = 100
    job = services.import_job_create(by=alice, uploaded_file=_with_dimension("A1:J900000"))
    assert job.status == ImportJob.Status.REJECTED
    assert "au plus 100 lignes" in job.errors[0]["message"]


def test_xlsx_with_a_plausible_dimension_is_read(in_a, alice, cqpm):
    job = services.import_job_create(by=alice, uploaded_file=_with_dimension("A1:Z40"))
    assert job.status == ImportJob.Status.VALIDATED, job.errors


def test_xlsx_without_dimension_and_a_far_cell_is_read_at_most_200_columns_wide(in_a, alice, cqpm):
    upload = _with_dimension(None, "ALL49000")
    job = None

    def create():
        nonlocal job
        job = services.import_job_create(by=alice, uploaded_file=upload)

    error, peak, seconds = measured("import XLSX sans dimension, cellule ALL49000", create)
    assert error is None and job.status == ImportJob.Status.VALIDATED, job.errors
    assert peak < BUDGET_BYTES and seconds < BUDGET_SECONDS
