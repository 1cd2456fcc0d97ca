"""The second factor's enrolment holds against what browsers do (issue 15): the secret stays the
same across reloads and stray requests, assets are never redirected to the enrolment page, and the
password is asked again only after the configured time, not right after logging in."""

import time

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

from organisations.roles import Role

ACTIVATE = "/comptes/2fa/totp/activate/"
PASSWORD = "motdepasse-solide-42"


def _login(client, member):
    response = client.post("/comptes/login/", {"login": member.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def _secret(client) -> str:
    response = client.get(ACTIVATE)
    assert response.status_code == 200, response.status_code
    return response.context["form"].secret


def test_right_after_login_the_enrolment_page_opens_without_the_password_again(org_a, member_factory, client):
    jury = member_factory(org_a, Role.JURY)
    _login(client, jury)
    response = client.get(f"/o/{org_a.slug}/")
    assert response.status_code == 302 and response["Location"].startswith(ACTIVATE)
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert "Activer la double authentification" in response.content.decode()


def test_the_secret_stays_the_same_for_the_whole_enrolment(org_a, member_factory, client):
    jury = member_factory(org_a, Role.JURY)
    _login(client, jury)
    first = _secret(client)
    # the browser's favicon, an image, a prefetch, an htmx call, a reload, a second tab
    assert client.get("/favicon.ico").status_code == 200
    assert client.get(f"/o/{org_a.slug}/", headers={"Sec-Fetch-Dest": "image"}).status_code == 403
    assert client.get(f"/o/{org_a.slug}/", headers={"Sec-Purpose": "prefetch"}).status_code == 403
    assert client.get(f"/o/{org_a.slug}/", headers={"HX-Request": "true"}).status_code == 403
    assert _secret(client) == first
    assert _secret(client) == first


def test_a_wrong_code_keeps_the_secret(org_a, member_factory, client):
    jury = member_factory(org_a, Role.JURY)
    _login(client, jury)
    first = _secret(client)
    response = client.post(ACTIVATE, {"code": "000000"})
    assert response.status_code == 200 and response.context["form"].errors
    assert _secret(client) == first


def test_favicon_is_served_to_anyone(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header


def test_sensitive_actions_ask_again_after_the_configured_time(org_a, member_factory, client, settings):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 600
    jury = member_factory(org_a, Role.JURY)
    _login(client, jury)
    assert client.get(ACTIVATE).status_code == 200
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - 601
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    response = client.get(ACTIVATE)
    assert response.status_code == 302 and "/comptes/reauthenticate/" in response["Location"]


@pytest.mark.parametrize("role", [Role.JURY, Role.ADMIN])
def test_organisation_pages_show_the_organisation_not_a_placeholder(org_a, member_factory, client, role):
    member = member_factory(org_a, role)
    client.force_login(member.user)
    response = client.get("/comptes/2fa/")
    assert "Choisir…" not in response.content.decode()


def test_the_invitation_form_is_pre_filled_with_the_name_the_centre_typed(
    org_a, alice, client, django_capture_on_commit_callbacks
):
    """The centre already typed this person's name (here as a tuteur; a jury composition alike):
    the invitation sent to that address opens with it."""
    import re

    from django.core import mail

    from candidates import services as candidates_services
    from organisations import services as org_services
    from organisations.tenancy import tenant_context

    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        org_services.invitation_create(email="helene.garnier@exemple.fr", role=Role.JURY, by=alice)
    path = re.search(r"(/invitation/[^\s]+/)", mail.outbox[-1].body).group(1)
    assert 'value="Hélène"' not in client.get(path).content.decode()
    with tenant_context(org_a):
        candidates_services.tuteur_create(
            by=alice, nom="Garnier", prenom="Hélène", email="helene.garnier@exemple.fr"
        )
    page = client.get(path).content.decode()
    assert 'value="Hélène"' in page and 'value="Garnier"' in page
