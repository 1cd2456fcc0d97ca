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
