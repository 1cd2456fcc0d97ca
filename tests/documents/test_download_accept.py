"""issue 17: downloads honour ``Accept`` (the file's type, ``application/*``, ``*/*``); a client
asking for JSON only is told the address serves a file; errors stay in the JSON envelope."""

import pytest

from tests.documents.conftest import issue, render_now


@pytest.fixture
def ready(org_a, cci):
    return render_now(issue(org_a, cci, group="jury:page"))


@pytest.mark.parametrize(
    "accept", ["application/pdf", "application/*", "*/*", "application/pdf;q=1, */*;q=0.1"]
)
def test_pdf_download_answers_the_types_that_name_it(alice, ready, api_for, accept):
    response = api_for(alice).get(
        f"/api/v1/o/centre-a/documents/{ready.public_id}/download", HTTP_ACCEPT=accept
    )
    # Today: 406 « L'en-tête « Accept » n'a pas pu être satisfaite. » for application/pdf.
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_pdf_download_refuses_json_only_with_a_clear_message(alice, ready, api_for):
    response = api_for(alice).get(
        f"/api/v1/o/centre-a/documents/{ready.public_id}/download", HTTP_ACCEPT="application/json"
    )
    # Today: 200 with the PDF, whatever JSON was asked for.
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"
    assert "application/pdf" in response.json()["error"]["message"]


def test_download_errors_stay_json_when_the_file_type_was_asked(alice, api_for, org_a):
    response = api_for(alice).get(
        "/api/v1/o/centre-a/documents/00000000-0000-0000-0000-000000000000/download",
        HTTP_ACCEPT="application/pdf",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_zip_download_answers_accept_zip(alice, ready, api_for):
    response = api_for(alice).get(
        "/api/v1/o/centre-a/documents/zip?group_key=jury:page", HTTP_ACCEPT="application/zip"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
