"""issue 17: every answer under /api/ that is an error has the documented envelope
``{"error": {"code", "message", "fields"}}`` — unknown paths, methods, media types — even in DEBUG
and for writes to a path lacking its final slash."""

import pytest


def _envelope(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/v1/nope/", "/api/v1/o/centre-a/nope/", "/api/v1/o/inconnue/candidates/"]
)
def test_unknown_api_path_is_a_json_404(alice, api_for, settings, debug, path):
    # Today, in DEBUG (make demo, make run), Django's HTML « Page not found » page answers.
    settings.DEBUG = debug
    _envelope(api_for(alice).get(path), 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_write_to_a_path_without_its_slash_is_a_json_404_naming_the_right_address(
    alice, api_for, settings, debug
):
    # Today: a 301 redirect that drops the body (or, in DEBUG, a RuntimeError page, 500).
    settings.DEBUG = debug
    error = _envelope(
        api_for(alice).post("/api/v1/o/centre-a/candidates", {"nom": "X"}, format="json"), 404, "not_found"
    )
    assert error["message"] == (
        "Introuvable : cette adresse se termine par « / » (/api/v1/o/centre-a/candidates/)."
    )


def test_method_and_media_type_errors_have_the_envelope(alice, api_for):
    api = api_for(alice)
    response = api.delete("/api/v1/me")
    _envelope(response, 405, "method_not_allowed")
    assert response["Allow"]
    response = api.generic("POST", "/api/v1/o/centre-a/invitations/", "a=b", content_type="text/plain")
    _envelope(response, 415, "unsupported_media_type")
    _envelope(api.get("/api/v1/me", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_schema_unknown_subpath_is_json(client):
    _envelope(client.get("/api/schema/nope/"), 404, "not_found")
