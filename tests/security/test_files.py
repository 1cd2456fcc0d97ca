"""Files: a hostile pièce name is stored under a random name and downloaded with a safe one.

Size limits, content sniffing and the 404 across centres are in tests/candidates/test_pieces.py.
"""

from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates import services
from candidates.models import Piece
from organisations.tenancy import tenant_context
from tests.builders import PDF
from tests.candidates.conftest import certificateurs, cqpm, habilitated, make_dossier, rncp  # noqa: F401,F811 - fixtures


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\system.ini.pdf",
        "/etc/passwd.pdf",
        "rapport\r\nX-Injected: 1.pdf",
    ],
)
def test_traversal_in_piece_name_is_neutralised(name, habilitated, alice, rncp, client_for):  # noqa: F811
    with tenant_context(habilitated):
        piece = services.piece_upload(
            dossier=make_dossier(alice, rncp),
            by=alice,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile(name, PDF),
        )
    stored = piece.file.name
    assert ".." not in stored and "passwd" not in stored and "\\" not in stored and not stored.startswith("/")
    assert piece.file.storage.path(stored).startswith(str(piece.file.storage.location))
    response = client_for(alice).get(f"/o/centre-a/candidats/pieces/{piece.public_id}/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "X-Injected" not in response
    shown = disposition.split("filename", 1)[1]
    assert "/" not in shown and "\\" not in shown and ".." not in shown


def test_non_ascii_name_is_encoded_per_rfc_5987(habilitated, alice, rncp, client_for):  # noqa: F811
    with tenant_context(habilitated):
        piece = services.piece_upload(
            dossier=make_dossier(alice, rncp),
            by=alice,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("Rapport d'Élodie — été.pdf", PDF),
        )
    disposition = client_for(alice).get(f"/o/centre-a/candidats/pieces/{piece.public_id}/")[
        "Content-Disposition"
    ]
    disposition.encode("latin-1")  # a header value must be representable
    assert "filename*=utf-8''" in disposition
    assert unquote(disposition.split("filename*=utf-8''", 1)[1].split(";")[0]) == "Rapport d'Élodie — été.pdf"


# --- issue 16: control and bidi characters in names -------------------------------------------

BIDI_NAMES = [
    ("rapport\u202efdp.exe.pdf", "rapportfdp.exe.pdf"),  # RIGHT-TO-LEFT OVERRIDE
    ("cv\u2066\u2069\u200b\u200f.pdf", "cv.pdf"),  # isolates, zero width, RLM
    ("bilan\x00\x1b[31m\x7f.pdf", "bilan[31m.pdf"),  # NUL (was a 500: PostgreSQL text), ESC, DEL
    ("a\u2028b\u2029c.pdf", "abc.pdf"),  # line and paragraph separators
]


@pytest.mark.parametrize("name, clean", BIDI_NAMES)
def test_control_and_bidi_characters_are_stripped_from_piece_names(
    name,
    clean,
    habilitated,  # noqa: F811
    alice,
    rncp,  # noqa: F811
    client_for,
):
    with tenant_context(habilitated):
        piece = services.piece_upload(
            dossier=make_dossier(alice, rncp),
            by=alice,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile(name, PDF),
        )
    assert piece.original_name == clean
    with tenant_context(habilitated):
        assert Piece.objects.get(pk=piece.pk).original_name == clean
    page = client_for(alice).get(f"/o/centre-a/candidats/dossiers/{piece.dossier.public_id}/")
    assert clean in page.content.decode() and name not in page.content.decode()


def test_names_are_cleaned_on_every_path_even_a_direct_save(habilitated, alice, rncp):  # noqa: F811
    """The admin site and any other path save the model: the name is cleaned there."""
    with tenant_context(habilitated):
        piece = services.piece_upload(
            dossier=make_dossier(alice, rncp),
            by=alice,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("a.pdf", PDF),
        )
        piece.original_name = "x\u202egpj.pdf"
        piece.save()
        assert Piece.objects.get(pk=piece.pk).original_name == "xgpj.pdf"


def test_piece_download_name_is_cleaned_even_for_a_name_stored_before(habilitated, alice, rncp, client_for):  # noqa: F811
    with tenant_context(habilitated):
        piece = services.piece_upload(
            dossier=make_dossier(alice, rncp),
            by=alice,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("a.pdf", PDF),
        )
        Piece.objects.filter(pk=piece.pk).update(original_name="old\u202efdp.exe")  # bypasses save
    disposition = client_for(alice).get(f"/o/centre-a/candidats/pieces/{piece.public_id}/")[
        "Content-Disposition"
    ]
    assert "%E2%80%AE" not in disposition and "\u202e" not in disposition


def test_candidate_import_name_is_cleaned(habilitated, alice):  # noqa: F811
    from tests.candidates.test_import import GOOD, csv_file

    upload = csv_file(GOOD)
    upload.name = "import\u202evsc.csv"
    with tenant_context(habilitated):
        job = services.import_job_create(by=alice, uploaded_file=upload)
    assert job.original_name == "importvsc.csv"


def test_clean_filename_keeps_ordinary_names():
    from core.filenames import clean_filename

    assert clean_filename("Rapport d'Élodie — été.pdf") == "Rapport d'Élodie — été.pdf"
    assert clean_filename("..\\..\\x\u202e.xml") == "x.xml"
    assert clean_filename("\u202e\u200b") == "fichier"
    assert len(clean_filename("a" * 400 + ".pdf")) == 255
