"""A gestionnaire registers a candidate, builds the dossier, uploads the rapport, inscribes it, imports a CSV."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.models import Bloc, Modalite
from referentiels.services import habilitation_grant
from tests.browser.conftest import axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_candidate_dossier_inscription_and_import(page, alice, tmp_path):
    uimm = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    cqpm = load_seed("cqpm-attache-gestion.json", uimm)
    habilitation_grant(
        certificateur=uimm, centre=alice.organisation, code=cqpm.code, date_debut=dt.date(2024, 1, 1)
    )
    projets = list(
        Modalite.objects.filter(referentiel=cqpm, type="presentation_projets").values_list("pk", flat=True)
    )
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    rncp = load_seed("rncp36390.json", cci)
    habilitation_grant(
        certificateur=cci, centre=alice.organisation, code="RNCP36390", date_debut=dt.date(2024, 1, 1)
    )
    blocs = dict(Bloc.objects.filter(referentiel=rncp).values_list("code", "pk"))

    login(page, "alice@test.local")
    page.goto(page.base + "/o/centre-a/candidats/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Nouveau candidat").click()

    # Inline validation (htmx): a wrong INSEE code is flagged as soon as the field changes.
    page.get_by_label("Code INSEE").fill("2C004")
    page.get_by_label("Pays de naissance", exact=True).focus()
    page.locator("#id_naissance_code_insee_erreur").wait_for()
    assert "Code INSEE invalide" in page.locator("#id_naissance_code_insee_erreur").inner_text()
    screenshot(page, "candidates-form-inline-error")
    assert axe_violations(page) == []

    page.get_by_label("Civilité").select_option("MME")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Nom de naissance").fill("Durand")
    page.get_by_label("Premier prénom").fill("Léa")
    page.get_by_label("Date de naissance").fill("14/03/1998")
    page.get_by_label("Commune de naissance", exact=True).fill("Ajaccio")
    page.get_by_label("Code INSEE").fill("2A004")
    page.get_by_label("Code du pays de naissance").fill("FRA")
    page.get_by_label("Adresse e-mail").fill("lea.durand@example.org")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Mme DURAND Léa").wait_for()

    page.get_by_role("link", name="Nouveau dossier").click()
    page.get_by_label("Référentiel").select_option(str(cqpm.pk))
    page.get_by_label("Voie d'accès").select_option("FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION")
    page.get_by_label("Statut").select_option("contrat_pro")
    # Inline validation of the dossier form: a SIRET with a wrong key is flagged on leaving it.
    page.get_by_label("SIRET").fill("73282932000075")
    page.get_by_label("Raison sociale").focus()
    page.locator("#id_nouvelle_entreprise_siret_erreur").wait_for()
    assert "clé de contrôle" in page.locator("#id_nouvelle_entreprise_siret_erreur").inner_text()
    assert page.get_by_label("SIRET").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    page.get_by_label("SIRET").fill("73282932000074")
    page.get_by_label("Raison sociale").focus()
    page.locator("#id_nouvelle_entreprise_siret_erreur").wait_for(state="detached")
    page.get_by_label("Raison sociale").fill("Exemple Industrie")
    page.get_by_label("Tiers-temps").check()
    page.get_by_role("button", name="Créer le dossier").click()
    page.get_by_text("Dossier créé").wait_for()

    selects = page.locator("select[name^=modalite_]")
    assert selects.count() == 5
    for i in range(5):
        selects.nth(i).select_option(
            [str(pk) for pk in projets if selects.nth(i).locator(f"option[value='{pk}']").count()][0]
        )
    # a CQPM's single implicit bloc is not named « bloc » (issue 14, point 7)
    page.get_by_role("button", name="Enregistrer les modalités").click()
    page.get_by_text("Modalités enregistrées.").wait_for()

    rapport = tmp_path / "rapport-durand.pdf"
    rapport.write_bytes(PDF)
    page.get_by_label("Type de pièce").select_option("rapport")
    page.get_by_label("Fichier").set_input_files(str(rapport))
    page.get_by_role("button", name="Déposer la pièce").click()
    page.get_by_text("Pièce « rapport-durand.pdf » déposée").wait_for()
    expect(page.get_by_role("link", name="rapport-durand.pdf")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "candidates-dossier-brouillon")

    page.get_by_role("button", name="Inscrire le candidat").click()
    page.get_by_text("Dossier passé « Inscrit »").wait_for()
    assert "tiers-temps" in page.locator("dl.facts").inner_text().lower()
    assert page.locator(".timeline").inner_text().count("Inscrit") == 1
    assert axe_violations(page) == []
    screenshot(page, "candidates-dossier-inscrit")

    # A second dossier, RNCP36390, targeting one bloc of four: the plan form checks each change.
    page.get_by_role("link", name="← DURAND Léa").click()
    page.get_by_role("link", name="Nouveau dossier").click()
    page.get_by_label("Référentiel").select_option(str(rncp.pk))
    page.get_by_label("Voie d'accès").select_option("VAE")
    page.get_by_role("button", name="Créer le dossier").click()
    page.get_by_text("Dossier créé").wait_for()
    for code in ("RNCP36390BC02", "RNCP36390BC03", "RNCP36390BC04"):
        page.locator(f"#bloc-{blocs[code]}").uncheck()
    page.locator(f"#bloc-{blocs['RNCP36390BC01']}").uncheck()
    page.locator(f"#bloc-{blocs['RNCP36390BC01']}-erreur").wait_for()
    assert (
        "Choisissez au moins un bloc" in page.locator(f"#bloc-{blocs['RNCP36390BC01']}-erreur").inner_text()
    )
    assert axe_violations(page) == []
    page.locator(f"#bloc-{blocs['RNCP36390BC01']}").check()
    page.locator(f"#bloc-{blocs['RNCP36390BC01']}-erreur").wait_for(state="detached")
    bc01 = page.locator(f"fieldset.plan-bloc:has(#bloc-{blocs['RNCP36390BC01']}) select[name^=modalite_]")
    assert bc01.count() == 10
    for i in range(10):
        bc01.nth(i).select_option(index=3)
    page.get_by_role("button", name="Enregistrer les blocs et modalités").click()
    page.get_by_text("Blocs et modalités enregistrés").wait_for()
    assert page.locator("ul.blockers").count() == 0  # nothing left blocking « Inscrire le candidat »
    screenshot(page, "candidates-dossier-rncp-un-bloc")

    csv_path = tmp_path / "promo.csv"
    csv_path.write_text(
        "nom_naissance;prenom1;sexe;date_naissance;referentiel;voie_acces;tiers_temps\n"
        "Martin;Paul;M;02/05/1999;CQPM-attache-gestion;apprentissage;non\n"
        "Nguyen;Linh;F;1987;CQPM-attache-gestion;formation continue;oui\n",
        encoding="utf-8",
    )
    page.goto(page.base + "/o/centre-a/candidats/import/")
    assert axe_violations(page) == []
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(csv_path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.get_by_role("heading", name="Fichier vérifié : aucune erreur").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "candidates-import-preview")
    page.get_by_role("button", name="Confirmer l'import").click()
    page.get_by_role("heading", name="Import terminé").wait_for()

    page.goto(page.base + "/o/centre-a/candidats/")
    assert page.locator("tbody tr").count() == 3
    assert axe_violations(page) == []
    screenshot(page, "candidates-list")
    page.goto(page.base + "/o/centre-a/")
    assert axe_violations(page) == []
    screenshot(page, "candidates-dashboard")
    with tenant_context(alice.organisation):
        from candidates.models import Dossier

        assert Dossier.objects.filter(status="inscrit", amenagement_tiers_temps=True).count() == 1
        rncp_dossier = Dossier.objects.get(referentiel=rncp)
        assert list(rncp_dossier.blocs_vises.values_list("bloc__code", flat=True)) == ["RNCP36390BC01"]
        assert rncp_dossier.modalites_choisies.count() == 10
