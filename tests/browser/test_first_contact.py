"""First contact, as a new jury member or administrator lives it: a fresh Chromium profile (nothing
cached, nothing blocked, no pre-enrolled secret), log in, enrol the second factor by reading the
secret shown on the page, keep the recovery codes, land on the organisation.

The browser requests the favicon and the page's assets while the enrolment page is open; a
second tab opens the enrolment page too. None of them may change the secret on screen.
"""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from organisations.roles import Role
from tests.browser.conftest import AXE, CHROMIUM_ARGS, axe_violations, login, screenshot
from tests.conftest import make_member
from tests.juries.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fresh_browser():
    """A browser of its own (its own profile, favicon cache empty), not the module's shared one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _fresh_page(browser, live_server):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 860}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    return page


def enrol_from_page(page) -> str:
    """On the enrolment page: read the secret shown beside the QR code, type the current code,
    keep the recovery codes, go on. Returns the secret."""
    secret = page.locator("#authenticator_secret").input_value()
    assert len(secret) >= 16, secret
    page.get_by_label("Code de votre application").fill(totp_code(secret))
    page.get_by_role("button", name="Activer").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Codes de récupération"), page.content()[:2000]).to_be_visible()
    return secret


@pytest.mark.parametrize("role", [Role.JURY, Role.ADMIN])
def test_enrolment_from_a_fresh_profile_lands_on_the_organisation(fresh_browser, live_server, org_a, role):
    member = make_member(org_a, role, f"nouveau-{role}@test.local")
    page = _fresh_page(fresh_browser, live_server)
    responses = []
    page.on("response", lambda r: responses.append((r.url, r.status, r.request.resource_type)))

    login(page, member.user.email)
    # No password asked again right after logging in: straight to the enrolment page.
    page.wait_for_url("**/comptes/2fa/totp/activate/**")
    assert "Confirmer l'accès" not in page.content()
    shown = page.locator("#authenticator_secret").input_value()

    # What a real browser does around it: the favicon, a reload, a second tab on the same page.
    favicon = page.request.get(page.base + "/favicon.ico", max_redirects=0)
    assert favicon.status == 200 and favicon.headers["content-type"].startswith("image/")
    assert page.request.get(page.base + "/static/img/favicon.svg", max_redirects=0).status == 200
    # An asset or prefetch request to an organisation page is never sent to the enrolment page.
    asset = page.request.get(
        page.base + f"/o/{org_a.slug}/",
        max_redirects=0,
        headers={"Sec-Fetch-Dest": "image", "Accept": "image/*"},
    )
    assert asset.status == 403
    second = page.context.new_page()
    second.goto(page.base + "/comptes/2fa/totp/activate/")
    assert second.locator("#authenticator_secret").input_value() == shown
    second.close()
    page.reload()
    assert page.locator("#authenticator_secret").input_value() == shown
    assert axe_violations(page) == []
    screenshot(page, "first-contact-enrolment")

    secret = enrol_from_page(page)
    assert secret == shown
    assert Authenticator.objects.filter(user=member.user, type=Authenticator.Type.TOTP).exists()
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    screenshot(page, "first-contact-recovery-codes")
    page.get_by_role("link", name="Continuer").click()
    page.wait_for_url(f"**/o/{org_a.slug}/")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    assert org_a.name in page.locator(".switcher summary").inner_text()
    assert "Choisir…" not in page.content()
    assert axe_violations(page) == []

    # The role's work right after: an administrator invites a gestionnaire; a jury member opens
    # the juries (signing a PV: test_passkeys.py and test_juries_journey.py).
    if role == Role.ADMIN:
        page.get_by_role("link", name="Membres").click()
        page.get_by_label("Adresse e-mail").fill("nouvelle.gestionnaire@test.local")
        page.get_by_label("Rôle").select_option(label="Gestionnaire")
        page.get_by_role("button", name="Envoyer l'invitation").click()
        assert (
            "Invitation envoyée à nouvelle.gestionnaire@test.local." in page.locator(".messages").inner_text()
        )
    else:
        page.get_by_role("link", name="Jurys").click()
        expect(page.get_by_role("heading", name="Jurys").first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"first-contact-{role}-work")

    # Every request the browser made while enrolling, favicon included, got an answer that is not
    # a redirect to the enrolment page.
    favicons = [r for r in responses if r[0].endswith("/favicon.ico") or "favicon" in r[0]]
    assert all(status == 200 for _, status, _ in favicons), favicons
    assert AXE.exists()
