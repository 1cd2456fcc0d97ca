"""A CCI France user opens the oversight dashboard, downloads a PV from a centre, produces and
downloads the accrochage file, imports the CDC's report."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from certificateur import cdc
from certificateur.models import CdcPassage
from organisations.tenancy import tenant_context
from tests.browser.conftest import axe_violations, login, screenshot
from tests.certificateur.conftest import cci_user, world  # noqa: F401 - fixtures
from tests.certificateur.test_juries_documents import make_jury

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _make_jury_in_thread(org, referentiel):
    from django.db import connection

    try:
        make_jury(org, referentiel, date=dt.date(2024, 12, 5))
    finally:
        connection.close()


def test_cci_oversight_pv_accrochage_report(page, world, cci_user, org_b, tmp_path):  # noqa: F811
    # PDF sealing (pyHanko) runs asyncio.run(): not in this thread, where Playwright's loop runs.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_make_jury_in_thread, org_b, world["rncp"]).result()

    login(page, "staff@cci-france.test")
    page.goto(page.base + "/o/cci-france/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Supervision"
    ).click()
    expect(page.get_by_role("heading", name="Supervision des centres", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Dossiers par état")).to_be_visible()
    expect(page.get_by_role("cell", name="Centre B").first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "certificateur-oversight")

    with page.expect_download() as pv:
        page.get_by_role("link", name="Télécharger le PV du jury Jury RNCP36390 (Centre B)").click()
    assert open(pv.value.path(), "rb").read().startswith(b"%PDF")

    page.get_by_role("link", name="Accrochage CDC").first.click()
    page.get_by_label("idClient du certificateur").fill("CCIFR001")
    page.get_by_label("idContrat").fill("CTR-2025")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Identifiants CDC enregistrés.")).to_be_visible()
    page.get_by_role("button", name="Recenser les nouveaux titulaires").click()
    expect(page.get_by_text("3 nouveau(x) passage(s) à déclarer")).to_be_visible()
    page.get_by_role("button", name="Produire et valider le fichier").click()
    expect(page.get_by_text("Fichier produit et validé par le schéma CDC : 3 passage(s).")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "certificateur-accrochage-flux")

    with page.expect_download() as xml:
        page.get_by_role("link", name="accrochage-").first.click()
    data = open(xml.value.path(), "rb").read()
    assert cdc.validate_flux(data) == []

    with tenant_context(world["cci"]):
        passages = {p.titulaire: p for p in CdcPassage.objects.all()}
        flux_id = passages["Alpha Léa"].flux.id_flux
    report = tmp_path / "rapport.xml"
    ko, ok1, ok2 = (passages[n].id_technique for n in ("Echo Léa", "Alpha Léa", "Bravo Léa"))
    report.write_text(
        f'<rapport xmlns="urn:cdc:cpf:pc5:rapport:schema"><idFlux>{flux_id}</idFlux>'
        f"<PassagesKO><passage><idTechnique>{ko}</idTechnique>"
        "<messageErreur>Plusieurs titulaires ont été identifiés</messageErreur></passage></PassagesKO>"
        f"<PassagesOK><idTechnique>{ok1}</idTechnique><idTechnique>{ok2}</idTechnique></PassagesOK></rapport>",
        encoding="utf-8",
    )
    page.get_by_label("Accusé de traitement de la CDC (XML)").set_input_files(str(report))
    page.get_by_role("button", name="Importer le rapport").click()
    expect(page.get_by_text("Rapport importé : 2 passage(s) accepté(s), 1 rejeté(s).")).to_be_visible()
    expect(page.get_by_text("CDC : Plusieurs titulaires ont été identifiés")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "certificateur-accrochage-rapport")
