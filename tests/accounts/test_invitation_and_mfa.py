"""Invitation → password → login → forced MFA enrolment; bad tokens; login rate limit."""

import re

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from organisations.models import Invitation, Membership
from organisations.roles import Role
from organisations.services import invitation_create, invitation_token
from organisations.tenancy import tenant_context
from tests.juries.conftest import totp_code

User = get_user_model()


def _invite(membership, email, role, capture):
    with capture(execute=True), tenant_context(membership.organisation):
        return invitation_create(email=email, role=role, by=membership)


def _link_from(mail) -> str:
    return re.search(r"https?://[^\s]+(/invitation/[^\s]+/)", mail.body).group(1)


def test_jury_member_invited_sets_password_and_must_enrol_mfa(
    org_a, member_factory, client, mailoutbox, django_capture_on_commit_callbacks
):
    admin = member_factory(org_a, Role.ADMIN)
    _invite(admin, "juree@example.fr", Role.JURY, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    link = _link_from(mailoutbox[0])

    page = client.get(link)
    assert page.status_code == 200 and "juree@example.fr" in page.content.decode()
    response = client.post(
        link,
        {
            "first_name": "Jeanne",
            "last_name": "Durand",
            "password1": "Un-mot-de-passe-sur",
            "password2": "Un-mot-de-passe-sur",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="juree@example.fr")
    assert Membership.objects.get(user=user).role == Role.JURY

    # A jury member cannot reach the dashboard before enrolling a second factor.
    response = client.get(reverse("dashboard", kwargs={"org_slug": org_a.slug}))
    assert response.status_code == 302 and reverse("mfa_activate_totp") in response["Location"]

    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    code = totp_code(secret)
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("dashboard", kwargs={"org_slug": org_a.slug})).status_code == 200

    # The link works once.
    client.logout()
    again = client.get(link)
    assert again.status_code == 400 and "déjà été utilisée" in again.content.decode()


def test_gestionnaire_does_not_need_mfa(org_a, member_factory, client_for):
    gestionnaire = member_factory(org_a, Role.GESTIONNAIRE)
    assert (
        client_for(gestionnaire).get(reverse("dashboard", kwargs={"org_slug": org_a.slug})).status_code == 200
    )


def test_forged_token_is_refused_without_side_effect(client, db):
    response = client.get("/invitation/pas-un-jeton/")
    assert response.status_code == 400
    assert "invalide ou a expiré" in response.content.decode()
    response = client.post(
        "/invitation/pas-un-jeton/",
        {
            "first_name": "x",
            "last_name": "y",
            "password1": "Un-mot-de-passe-sur",
            "password2": "Un-mot-de-passe-sur",
        },
    )
    assert response.status_code == 400
    assert User.objects.count() == 0


def test_expired_token_is_refused(
    org_a, member_factory, client, settings, django_capture_on_commit_callbacks
):
    admin = member_factory(org_a, Role.ADMIN)
    invitation = _invite(admin, "late@example.fr", Role.TUTEUR, django_capture_on_commit_callbacks)
    token = invitation_token(invitation)
    settings.INVITATION_MAX_AGE_DAYS = -1  # every signature is now too old
    response = client.post(
        f"/invitation/{token}/",
        {
            "first_name": "a",
            "last_name": "b",
            "password1": "Un-mot-de-passe-sur",
            "password2": "Un-mot-de-passe-sur",
        },
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="late@example.fr").exists()


def test_token_signed_for_another_invitation_id_is_refused(org_a, client, db):
    forged = signing.dumps(
        {"o": org_a.pk, "i": "00000000-0000-0000-0000-000000000000"}, salt="organisations.invitation"
    )
    assert client.get(f"/invitation/{forged}/").status_code == 400


def test_weak_password_is_explained_and_nothing_written(
    org_a, member_factory, client, django_capture_on_commit_callbacks
):
    admin = member_factory(org_a, Role.ADMIN)
    invitation = _invite(admin, "weak@example.fr", Role.TUTEUR, django_capture_on_commit_callbacks)
    link = f"/invitation/{invitation_token(invitation)}/"
    response = client.post(
        link, {"first_name": "a", "last_name": "b", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 400
    assert "trop court" in response.content.decode()
    assert not User.objects.filter(email="weak@example.fr").exists()
    with tenant_context(org_a):
        assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_wrong_password_is_rate_limited(alice, client):
    url = reverse("account_login")
    first = client.post(url, {"login": "alice@test.local", "password": "mauvais"})
    assert first.status_code == 200
    assert "mot de passe" in first.content.decode() and "_auth_user_id" not in client.session
    for _ in range(5):
        response = client.post(url, {"login": "alice@test.local", "password": "mauvais"})
    assert "Trop de tentatives" in response.content.decode()
    # Even the right password is refused while the limit holds.
    response = client.post(url, {"login": "alice@test.local", "password": "motdepasse-solide-42"})
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
