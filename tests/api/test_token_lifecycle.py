"""A token works only while its membership, its user and its organisation are all active."""

from organisations.models import Organisation


def test_deactivated_organisation_token_is_refused(alice, api_for):
    api = api_for(alice)
    url = f"/api/v1/o/{alice.organisation.slug}/invitations/"
    assert api.get(url).status_code == 200
    Organisation.objects.filter(pk=alice.organisation.pk).update(is_active=False)
    for path in (url, "/api/v1/me", "/api/v1/referentiels/"):
        response = api.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["message"] == "Jeton invalide ou révoqué."


def test_deactivated_membership_token_is_refused(alice, api_for):
    api = api_for(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert api.get("/api/v1/me").status_code == 401
