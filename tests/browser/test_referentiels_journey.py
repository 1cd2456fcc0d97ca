"""A certificateur imports an RNCP fiche, reviews and publishes it; a centre gestionnaire browses it."""

import pytest
from playwright.sync_api import expect

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
    expect(page.get_by_text("1 fiche(s) RNCP prête(s) à l'import.")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-import-preview")
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url("**/o/cci-france/referentiels/")
    page.get_by_role("link", name="RNCP36612").click()
    assert page.get_by_role(
        "heading", name="Bloc RNCP36612BC02 — Etablissement de la paie et des déclarations sociales associées"
    ).is_visible()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-draft-detail")
    detail = page.url

    # the draft is edited on the page: its règle (previewed in French by htmx), blocs and modalités
    page.get_by_role("link", name="règle d'obtention").click()
    page.get_by_label("Règle d'obtention (YAML ou JSON)").fill("type: toutes_capacites")
    page.get_by_role("button", name="Prévisualiser").click()
    page.get_by_text("toutes les capacités professionnelles sont acquises").wait_for()
    page.get_by_label("Règle d'obtention (YAML ou JSON)").fill("type: grille_points")
    page.get_by_role("button", name="Prévisualiser").click()
    page.get_by_text("regle.total_points : champ obligatoire manquant").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-regle-edit")
    page.get_by_label("Règle d'obtention (YAML ou JSON)").fill("type: tous_blocs")
    page.get_by_role("button", name="Enregistrer la règle").click()
    page.get_by_text("Règle d'obtention enregistrée.").wait_for()
    page.get_by_role("link", name="blocs", exact=True).click()
    page.locator("#b0_intitule").fill("Gestion des ressources humaines (revu)")
    page.get_by_role("button", name="Enregistrer le bloc").first.click()
    page.get_by_text("Bloc RNCP36612BC01 enregistré.").wait_for()
    assert axe_violations(page) == []
    page.goto(detail)
    page.get_by_role("link", name="Modalités du bloc RNCP36612BC01").click()
    page.get_by_label("Type").first.select_option(label="Entretien")
    page.get_by_label("Durée (min)").first.fill("45")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Enregistrer les modalités").click()
    page.get_by_text("Modalités de bloc RNCP36612BC01 enregistrées.").wait_for()
    page.get_by_role("button", name="Publier cette version").click()
    expect(page.get_by_text("est publié").first).to_be_visible()

    page.goto(page.base + "/o/cci-france/referentiels/habilitations/")
    page.get_by_label("Centre", exact=False).and_(page.locator("select")).select_option(label="Centre A")
    page.get_by_label("Début").fill("2025-01-01")
    page.get_by_role("button", name="Accorder").click()
    expect(page.get_by_role("cell", name="Centre A", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Date de fin de l'habilitation de Centre A pour RNCP36612").fill("2024-12-31")
    page.get_by_role("button", name="Mettre fin").click()
    page.get_by_text("précède le début de l'habilitation (01/01/2025)").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Date de fin de l'habilitation de Centre A pour RNCP36612").fill("2099-12-31")
    page.get_by_role("button", name="Mettre fin").click()
    page.get_by_text("fin le 31/12/2099").wait_for()
    page.get_by_role("button", name="Se déconnecter").click()

    login(page, "gest@centre-a.test")
    page.goto(page.base + "/o/centre-a/referentiels/")
    page.get_by_label("Recherche").fill("ressources humaines")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="RNCP36612").click()
    expect(page.get_by_text("Publié", exact=True).first).to_be_visible()
    assert page.get_by_role("button", name="Publier cette version").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "referentiels-centre-detail")


def test_large_export_imported_through_a_job_page(page, settings):
    """Above the page's immediate limit the export becomes a job: its page shows the check's
    preview, then the import's outcome (tasks run in-process here; the worker test runs them on
    a real worker)."""
    settings.REFERENTIELS_IMPORT_PAGE_SYNC_BYTES = 0
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")
    login(page, "staff@cci.test")
    page.goto(page.base + "/o/cci-france/referentiels/importer/")
    page.get_by_label("Fichier").set_input_files(SAMPLE)
    page.get_by_role("button", name="Prévisualiser").click()
    page.wait_for_url("**/o/cci-france/referentiels/importer/*/")
    page.get_by_role("heading", name="Prêt à importer").wait_for()
    expect(page.get_by_role("cell", name="RNCP36612")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "referentiels-import-job-preview")
    page.get_by_role("button", name="Confirmer l'import").click()
    page.get_by_role("heading", name="Importé").wait_for()
    page.get_by_text("fiche(s) RNCP importée(s) en brouillon").wait_for()
    assert axe_violations(page) == []
