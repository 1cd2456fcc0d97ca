"""Pièces: content sniffed, size limit, private storage, download only inside the centre."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates import services
from candidates.models import Piece
from core.errors import ApplicationError
from organisations.tenancy import tenant_context
from tests.builders import PDF
from tests.candidates.conftest import make_dossier

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + b"\x00" * 40
)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"PE\x00\x00"
    + b"\x00" * 200
)


def docx_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
def dossier(in_a, alice, rncp):
    return make_dossier(alice, rncp)


def upload(dossier, alice, name, data, kind=Piece.Kind.RAPPORT):
    return services.piece_upload(
        dossier=dossier, by=alice, kind=kind, uploaded_file=SimpleUploadedFile(name, data)
    )


def test_pdf_is_stored_privately_under_a_random_name(dossier, alice):
    piece = upload(dossier, alice, "Rapport Léa DURAND.pdf", PDF)
    assert piece.content_type == "application/pdf" and piece.size == len(PDF)
    assert piece.original_name == "Rapport Léa DURAND.pdf"
    assert "DURAND" not in piece.file.name and piece.file.name.endswith(".pdf")
    assert piece.file.storage is Piece._meta.get_field("file").storage
    from django.conf import settings

    assert piece.file.storage.location == str(settings.STORAGES["private"]["OPTIONS"]["location"])
    import hashlib

    assert piece.sha256 == hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize(
    "name, data, mime",
    [
        ("photo.png", PNG, "image/png"),
        ("cv.docx", docx_bytes(), "wordprocessingml"),
        ("x.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 30, "image/jpeg"),
    ],
)
def test_accepted_types(dossier, alice, name, data, mime):
    assert mime in upload(dossier, alice, name, data).content_type


def test_executable_renamed_pdf_is_refused(dossier, alice):
    with pytest.raises(ApplicationError) as exc:
        upload(dossier, alice, "rapport.pdf", EXE)
    assert exc.value.field == "file"
    assert "« rapport.pdf » est un programme exécutable" in exc.value.message
    assert not Piece.objects.exists()


@pytest.mark.parametrize("data", [b"\x7fELF\x02\x01\x01" + b"\x00" * 50, b"#!/bin/sh\nrm -rf /\n"])
def test_other_executables_refused(dossier, alice, data):
    with pytest.raises(ApplicationError, match="programme exécutable"):
        upload(dossier, alice, "notes.pdf", data)


def test_mismatched_extension_is_refused(dossier, alice):
    with pytest.raises(
        ApplicationError, match="porte l'extension « .pdf » mais son contenu est un fichier PNG"
    ):
        upload(dossier, alice, "rapport.pdf", PNG)


def test_unknown_content_is_refused(dossier, alice):
    with pytest.raises(ApplicationError, match="Type de fichier non accepté"):
        upload(dossier, alice, "rapport.pdf", b"juste du texte")


def test_oversize_is_refused(dossier, alice, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ApplicationError, match=r"Fichier trop volumineux : .* maximum"):
        upload(dossier, alice, "rapport.pdf", PDF + b"0" * 2000)
    assert not Piece.objects.exists()


def test_download_inside_the_centre_and_404_elsewhere(habilitated, alice, bob, rncp, client_for, api_for):
    with tenant_context(habilitated):
        piece = upload(make_dossier(alice, rncp), alice, "rapport.pdf", PDF)
    url = f"/o/centre-a/candidats/pieces/{piece.public_id}/"
    response = client_for(alice).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    # Bob (centre B) guessing the URL, under his own centre or A's: 404 both ways.
    bob_client = client_for(bob)
    assert bob_client.get(url).status_code == 404
    assert bob_client.get(f"/o/centre-b/candidats/pieces/{piece.public_id}/").status_code == 404
    api = api_for(bob)
    assert api.get(f"/api/v1/o/centre-b/pieces/{piece.public_id}/").status_code == 404
    assert api.get(f"/api/v1/o/centre-a/pieces/{piece.public_id}/").status_code == 404
    assert api_for(alice).get(f"/api/v1/o/centre-a/pieces/{piece.public_id}/").status_code == 200


def test_upload_page_reports_refusal(in_a, alice, rncp, client_for, habilitated):
    dossier = make_dossier(alice, rncp)
    client = client_for(alice)
    response = client.post(
        f"/o/centre-a/candidats/dossiers/{dossier.public_id}/pieces/",
        {"kind": "rapport", "file": SimpleUploadedFile("rapport.pdf", EXE)},
        follow=True,
    )
    assert "Pièce refusée : « rapport.pdf » est un programme exécutable" in response.content.decode()


def test_api_upload_refusal_names_the_field(habilitated, alice, rncp, api_for):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp)
    api = api_for(alice)
    response = api.post(
        f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/pieces/",
        {"kind": "rapport", "file": SimpleUploadedFile("r.pdf", EXE)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    response = api.post(
        f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/pieces/",
        {"kind": "rapport", "file": SimpleUploadedFile("r.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["content_type"] == "application/pdf"


def test_page_and_api_download_through_one_path_each_logged_once(
    habilitated, alice, rncp, client_for, api_for
):
    """One service (services.piece_download): the same bytes, headers and RGPD audit line for both."""
    from organisations.models import AuditEvent

    with tenant_context(habilitated):
        piece = upload(make_dossier(alice, rncp), alice, "rapport.pdf", PDF)
        assert not AuditEvent.objects.filter(action="piece.download").exists()
    answers = [
        client_for(alice).get(f"/o/centre-a/candidats/pieces/{piece.public_id}/"),
        api_for(alice).get(f"/api/v1/o/centre-a/pieces/{piece.public_id}/"),
    ]
    for response in answers:
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="rapport.pdf"'
    with tenant_context(habilitated):
        logged = list(AuditEvent.objects.filter(action="piece.download").values_list("actor_id", "message"))
    assert logged == [(alice.user_id, "Rapport")] * 2
