"""Log in, see the dashboard, switch organisation, log out — with axe-core on each page."""

import pytest
from playwright.sync_api import expect

from organisations.roles import Role
from organisations.services import membership_add
from tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_dashboard_switch_logout(page, alice, org_b):
    membership_add(user=alice.user, organisation=org_b, role=Role.EVALUATEUR)

    page.goto(page.base + "/comptes/login/")
    assert axe_violations(page) == []
    screenshot(page, "foundation-login")

    login(page, "alice@test.local")
    page.get_by_role("link", name="Centre A").click()
    page.wait_for_url("**/o/centre-a/")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    assert page.locator(".switcher summary").inner_text().find("Centre A") >= 0
    assert axe_violations(page) == []
    screenshot(page, "foundation-dashboard")

    page.locator(".switcher summary").click()
    page.get_by_role("link", name="Centre B").click()
    page.wait_for_url("**/o/centre-b/")
    assert "Centre B" in page.locator(".switcher summary").inner_text()
    assert "Évaluateur" in page.locator(".switcher summary").inner_text()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/comptes/login/**")
    page.goto(page.base + "/o/centre-a/")
    assert "/comptes/login/" in page.url


def test_members_page_is_accessible(page, org_a, member_factory):
    admin = member_factory(org_a, Role.GESTIONNAIRE, "gest@test.local")
    login(page, admin.user.email)
    page.goto(page.base + "/o/centre-a/membres/")
    page.get_by_label("Adresse e-mail").fill("pas-un-email")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".error").first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "foundation-members-error")
