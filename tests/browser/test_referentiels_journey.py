"""A certificateur imports an RNCP fiche, reviews and publishes it; a centre gestionnaire browses it."""

import pytest

from organisations.models import Organisation
from organisations.roles import Role
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import make_member
from tests.data import RNCP_SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = str(RNCP_SAMPLE)


def test_import_review_publish_then_centre_browses(page, org_a):
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")
    make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test")

    login(page, "staff@cci.test")
    page.goto(page.base + "/o/cci-france/referentiels/")
    page.get_by_role("link", name="Importer").click()
    page.get_by_label("Fichier").set_input_files(SAMPLE)
    page.get_by_label("Fiches RNCP à importer").fill("RNCP36612")
    page.get_by_role("button", name="Prévisualiser").click()
    assert page.get_by_text("1 fiche(s) RNCP prête(s) à l'import.").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-import-preview")
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url("**/o/cci-france/referentiels/")
    page.get_by_role("link", name="RNCP36612").click()
    assert page.get_by_role("heading", name="Bloc RNCP36612BC02 — Etablissement de la paie et des déclarations sociales associées").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-draft-detail")
    page.get_by_role("button", name="Publier cette version").click()
    assert page.get_by_text("est publié").first.is_visible()

    page.goto(page.base + "/o/cci-france/referentiels/habilitations/")
    page.get_by_label("Centre", exact=False).and_(page.locator("select")).select_option(label="Centre A")
    page.get_by_label("Début").fill("2025-01-01")
    page.get_by_role("button", name="Accorder").click()
    assert page.get_by_role("cell", name="Centre A").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Se déconnecter").click()

    login(page, "gest@centre-a.test")
    page.goto(page.base + "/o/centre-a/referentiels/")
    page.get_by_label("Recherche").fill("ressources humaines")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="RNCP36612").click()
    assert page.get_by_text("Publié", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Publier cette version").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "referentiels-centre-detail")
