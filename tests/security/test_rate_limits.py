"""Issue 16, defects 5 and 6: rate limits keyed right.

« Six wrong passwords for one account lock every account from that address for 5 minutes (and
behind a reverse proxy, the whole platform); wrong TOTP codes count against the address too. »
« The verification API's throttle is bypassed by changing X-Forwarded-For. »
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from core.clientip import client_ip
from organisations.roles import Role
from tests.juries.conftest import jury_user, totp_code

PASSWORD = "motdepasse-solide-42"
LOCKED = "Trop de tentatives"


@pytest.fixture
def two_accounts(org_a, member_factory):
    return (
        member_factory(org_a, Role.GESTIONNAIRE, "victime@test.local"),
        member_factory(org_a, Role.GESTIONNAIRE, "voisin@test.local"),
    )


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_wrong_passwords_lock_that_account_not_the_address(two_accounts):
    attacked, neighbour = two_accounts
    client = Client()
    for _ in range(6):
        response = _login(client, attacked.user.email, "mauvais")
    assert LOCKED in response.content.decode()
    # the account itself stays locked, even with its right password and from another address
    other_address = Client(REMOTE_ADDR="10.9.9.9")
    assert LOCKED in _login(other_address, attacked.user.email, PASSWORD).content.decode()
    # a colleague behind the same address logs in
    response = _login(Client(), neighbour.user.email, PASSWORD)
    assert response.status_code == 302 and LOCKED not in response.content.decode()


@pytest.mark.django_db
def test_a_spray_across_accounts_from_one_address_is_still_stopped(two_accounts):
    client = Client()
    for i in range(101):
        response = _login(client, f"inconnu{i}@test.local", "mauvais")
    assert LOCKED in response.content.decode()
    assert LOCKED in _login(client, two_accounts[1].user.email, PASSWORD).content.decode()


@pytest.mark.django_db
def test_wrong_totp_codes_lock_that_account_not_the_address(org_a):
    attacked, _secret = jury_user(org_a, "jure1@test.local")
    neighbour, neighbour_secret = jury_user(org_a, "jure2@test.local")
    client = Client()
    response = _login(client, attacked.user.email, PASSWORD)
    assert response.status_code == 302 and "/2fa/authenticate/" in response["Location"]
    for _ in range(6):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    other = Client()
    response = _login(other, neighbour.user.email, PASSWORD)
    assert response.status_code == 302, response.content.decode()[:500]
    response = other.post(reverse("mfa_authenticate"), {"code": totp_code(neighbour_secret)})
    assert response.status_code == 302 and "_auth_user_id" in other.session


@pytest.mark.django_db
def test_verification_api_throttle_ignores_a_forged_forwarded_for(client):
    statuses = [
        client.get("/api/v1/verifier/ABCD-EFGH-JKMN", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(31)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


@pytest.mark.django_db
def test_verification_page_throttle_ignores_a_forged_forwarded_for(client):
    statuses = [
        client.get("/verifier/ABCD-EFGH-JKMN", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(31)
    ]
    assert statuses[30] == 429


def test_client_address_comes_from_the_trusted_proxies_only(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1  # our proxy appended the address it saw: the last entry
    assert client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # shorter than our chain: not through our proxies
    assert client_ip(request) == "10.0.0.1"
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(garbage) == "10.0.0.1"


def test_every_throttle_uses_the_same_proxy_count():
    from django.conf import settings
    from rest_framework.settings import api_settings

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
    assert api_settings.NUM_PROXIES == settings.TRUSTED_PROXY_COUNT
