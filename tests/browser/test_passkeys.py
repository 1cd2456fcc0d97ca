"""Passkeys (WebAuthn through allauth's MFA) with Chromium's virtual authenticator (CDP WebAuthn
domain): a new jury member enrols a passkey as their second factor from the enrolment page; a jury
member signs the procès-verbal with their passkey instead of a code."""

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from playwright.sync_api import expect

from juries import services
from juries.models import Decision, Signature
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.browser.conftest import axe_violations, login, screenshot
from tests.browser.test_first_contact import _fresh_page, fresh_browser  # noqa: F401 - fixture
from tests.conftest import make_member
from tests.evaluations.conftest import referentiels  # noqa: F401 - fixture
from tests.juries.conftest import JURY_DATE, compose_rncp, panel, ready_dossier, totp_code  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page):
    """A platform authenticator (think fingerprint reader) that says yes to user verification."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def _add_passkey(page):
    # The button runs navigator.credentials.create() and then posts the form: wait for that post's
    # answer (a new page), not for the current page's load state (already « loaded »: a race).
    page.get_by_role("button", name="Ajouter").click()
    page.wait_for_url(lambda url: "/2fa/webauthn/add/" not in url)
    page.wait_for_load_state()


def test_a_new_jury_member_enrols_a_passkey_as_second_factor(fresh_browser, live_server, org_a):  # noqa: F811
    member = make_member(org_a, Role.JURY, "empreinte@test.local")
    page = _fresh_page(fresh_browser, live_server)
    cdp, authenticator_id = _virtual_authenticator(page)
    login(page, member.user.email)
    page.wait_for_url("**/comptes/2fa/totp/activate/**")
    page.get_by_role("link", name="Utiliser plutôt une clé d'accès").click()
    page.wait_for_url("**/comptes/2fa/webauthn/add/**")
    _add_passkey(page)
    assert Authenticator.objects.filter(user=member.user, type=Authenticator.Type.WEBAUTHN).exists()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"])
    expect(page.get_by_role("heading", name="Codes de récupération"), page.content()[:1500]).to_be_visible()
    page.get_by_role("link", name="Continuer").click()
    page.wait_for_url(f"**/o/{org_a.slug}/")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_a_jury_member_signs_the_pv_with_a_passkey(
    fresh_browser,  # noqa: F811
    live_server,
    org_a,
    alice,
    referentiels,  # noqa: F811
    panel,  # noqa: F811
):
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin 2026", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        services.jury_dossiers_add(
            jury=jury, by=alice, dossiers=[ready_dossier(alice, rncp, nom_naissance="Martin")]
        )
        services.jury_open(jury=jury, by=alice)
        pro, pro_secret = panel["pro1@test.local"]
        for decision in Decision.objects.filter(jury=jury):
            services.decision_record(decision=decision, by=pro, accept=True)
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])

    page = _fresh_page(fresh_browser, live_server)
    _virtual_authenticator(page)
    login(page, "pro1@test.local")
    page.locator("input[name=code]").fill(totp_code(pro_secret))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_load_state()
    cache.clear()
    # the member adds a passkey from the « Sécurité » page (no password asked: just logged in)
    page.goto(page.base + "/comptes/2fa/webauthn/add/")
    _add_passkey(page)
    assert Authenticator.objects.filter(user=pro.user, type=Authenticator.Type.WEBAUTHN).exists()

    page.goto(page.base + f"/o/{org_a.slug}/jurys/{jury.public_id}/#signatures-section")
    button = page.get_by_role("button", name="Signer avec ma clé d'accès")
    expect(button).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "passkey-sign-before")
    button.click()
    # the assertion is posted once the authenticator answers: wait for the page that follows
    page.locator(".messages").wait_for()
    messages = page.locator(".messages").inner_text()
    assert "Votre signature est enregistrée." in messages, messages
    with tenant_context(org_a):
        signature = Signature.objects.get(proces_verbal=pv, user=pro.user)
        assert signature.sha256 == pv.sha256
    screenshot(page, "passkey-signed")
