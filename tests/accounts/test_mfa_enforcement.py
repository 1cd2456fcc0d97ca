"""The second factor of admin and jury roles holds on every way in: pages, session API, admin.

Token-authenticated API calls are let through: tokens are created from account pages that
already required the second factor (see ``organisations.middleware._token_authenticated``).
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from organisations.models import Invitation
from organisations.roles import Role
from organisations.tenancy import tenant_context

User = get_user_model()


def _enrol(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})


def _session_api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


@pytest.mark.parametrize("role", [Role.JURY, Role.ADMIN])
def test_session_api_refused_without_totp(role, org_a, member_factory):
    member = member_factory(org_a, role)
    response = _session_api(member.user).get(f"/api/v1/o/{org_a.slug}/juries/")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "mfa_required"
    assert "double authentification" in error["message"] and error["fields"] == {}


def test_admin_without_totp_cannot_invite_another_admin_through_the_session_api(org_a, member_factory):
    admin = member_factory(org_a, Role.ADMIN)
    api = _session_api(admin.user)
    response = api.post(
        f"/api/v1/o/{org_a.slug}/invitations/", {"email": "pirate@example.fr", "role": "admin"}, format="json"
    )
    assert response.status_code == 403
    with tenant_context(org_a):
        assert not Invitation.objects.exists()
    assert api.get("/api/v1/me").status_code == 403


def test_session_api_works_once_enrolled(org_a, member_factory):
    jury = member_factory(org_a, Role.JURY)
    _enrol(jury.user)
    assert _session_api(jury.user).get(f"/api/v1/o/{org_a.slug}/juries/").status_code == 200


def test_gestionnaire_session_api_needs_no_totp(alice):
    assert (
        _session_api(alice.user).get(f"/api/v1/o/{alice.organisation.slug}/invitations/").status_code == 200
    )


def test_token_api_keeps_working_without_totp(org_a, member_factory, api_for):
    jury = member_factory(org_a, Role.JURY)
    assert api_for(jury).get(f"/api/v1/o/{org_a.slug}/juries/").status_code == 200


def test_malformed_token_header_does_not_skip_the_check_on_a_session(org_a, member_factory):
    jury = member_factory(org_a, Role.JURY)
    api = _session_api(jury.user)
    response = api.get(f"/api/v1/o/{org_a.slug}/juries/", HTTP_AUTHORIZATION="Token")
    assert response.status_code == 403 and response.json()["error"]["code"] == "mfa_required"


@pytest.fixture
def superuser(db):
    user = User.objects.create_superuser("root@test.local", "motdepasse-solide-42")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_admin_requires_totp_of_staff(superuser, client):
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/comptes/2fa/totp/activate/" in response["Location"]
    _enrol(superuser)
    assert client.get("/admin/").status_code == 200


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/") and "next=%2Fadmin%2F" in response["Location"]


def test_admin_login_is_rate_limited(superuser, client):
    """Twelve wrong passwords then the right one: the admin form never logs anyone in, and the
    allauth form it sends to is locked by the login rate limit."""
    for _ in range(12):
        response = client.post("/admin/login/", {"username": "root@test.local", "password": "mauvais"})
        assert response.status_code == 302
    response = client.post(
        "/admin/login/", {"username": "root@test.local", "password": "motdepasse-solide-42"}
    )
    assert "_auth_user_id" not in client.session

    for _ in range(6):
        response = client.post("/comptes/login/", {"login": "root@test.local", "password": "mauvais"})
    assert "Trop de tentatives" in response.content.decode()
    response = client.post(
        "/comptes/login/", {"login": "root@test.local", "password": "motdepasse-solide-42"}
    )
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
