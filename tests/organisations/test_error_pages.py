"""Error pages are French and accessible; the API keeps its JSON error format."""

from django.template.loader import get_template
from django.test import Client


def _assert_french_page(response, title):
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert f"<h1>{title}</h1>" in html
    assert 'href="#contenu"' in html and '<main id="contenu"' in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html


def test_non_member_gets_french_404_on_another_organisation(alice, bob, client_for):
    response = client_for(alice).get(f"/o/{bob.organisation.slug}/")
    assert response.status_code == 404
    _assert_french_page(response, "Page introuvable")
    assert bob.organisation.name not in response.content.decode()


def test_unknown_page_gets_french_404(client, db):
    response = client.get("/pas-une-page/")
    assert response.status_code == 404
    _assert_french_page(response, "Page introuvable")


def test_api_keeps_json_for_404(alice, bob, client_for, api_for):
    for client in (client_for(alice), api_for(alice)):
        response = client.get(f"/api/v1/o/{bob.organisation.slug}/invitations/")
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Introuvable.", "fields": {}}}
    response = api_for(alice).get("/api/v1/pas-une-ressource/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_500_renders_with_an_empty_context():
    html = get_template("500.html").render({})
    assert '<html lang="fr">' in html and "<h1>Erreur du serveur</h1>" in html


def test_403_page_is_french(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from core.views import permission_denied

    request = rf.get("/o/centre-a/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    _assert_french_page(response, "Accès refusé")


def test_csrf_failure_page_is_french(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post(f"/o/{alice.organisation.slug}/")
    assert response.status_code == 403
    _assert_french_page(response, "Formulaire expiré")


def test_nul_character_in_parameters_gets_a_french_400_and_the_api_json(alice, client_for, api_for):
    """PostgreSQL refuses NUL in text: every page and API filter answers 400 before a query runs."""
    org = alice.organisation.slug
    response = client_for(alice).get(f"/o/{org}/candidats/?q=a%00b")
    assert response.status_code == 400
    _assert_french_page(response, "Requête invalide")
    assert "Caractère nul (0x00) refusé" in response.content.decode()
    response = client_for(alice).post(f"/o/{org}/candidats/nouveau/", {"nom_naissance": "a\x00b"})
    assert response.status_code == 400
    response = api_for(alice).get(f"/api/v1/o/{org}/candidates/?q=a%00b")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert "0x00" in response.json()["error"]["message"]
    # A plain percent sign is not a NUL.
    assert client_for(alice).get(f"/o/{org}/candidats/?q=100%25").status_code == 200


def test_nul_character_in_an_htmx_request_gets_a_short_plain_message(alice, client_for):
    """htmx shows a 400's plain text in the page's alert region (static/js/app.js), not a whole page."""
    response = client_for(alice).get(
        f"/o/{alice.organisation.slug}/candidats/?q=a%00b", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Caractère nul (0x00) refusé dans les paramètres de l'adresse."
