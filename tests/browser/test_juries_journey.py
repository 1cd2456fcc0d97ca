"""Jury journey in Chromium: the centre's administrator (TOTP) seats the last member on the page
(issue 16: only an administrator composes a jury; the gestionnaire reads the composition), the
gestionnaire opens the sitting, three members and the président
deliberate (one override with a motivation), everyone signs with their second factor (président
last), the gestionnaire downloads the ZIP, a visitor opens a parchemin's verification URL."""

import io
import zipfile

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from juries import services
from juries.models import Jury
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import DEMO_REGISTRATIONS
from referentiels.services import enregistrement_set
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import make_member
from tests.evaluations.conftest import referentiels  # noqa: F401 - fixture
from tests.juries.conftest import (
    JURY_DATE,
    RNCP_PANEL,
    compose_rncp,
    enrol_totp,
    grade_rncp,
    panel,  # noqa: F401 - fixture
    ready_dossier,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


def _page_for(browser, live_server):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    return page


def _login_with_totp(page, email, secret):
    login(page, email)
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_load_state()
    cache.clear()  # the login used this 30 s window's code; the signature will ask for it again


def _sign(page, secret):
    cache.clear()  # a code is single use per 30 s window; the same window may have served the login
    page.get_by_label("Code de votre application d'authentification").fill(totp_code(secret))
    page.get_by_role("button", name="Signer le procès-verbal de délibération").click()
    messages = page.locator(".messages").inner_text()
    assert "Votre signature est enregistrée." in messages, messages


def test_jury_journey(browser, live_server, org_a, alice, referentiels, panel):  # noqa: F811 - fixtures
    rncp = referentiels["rncp"]
    # CCI France has entered its title's registration: the parchemin and its verification page
    # carry the RNCP number from that data (a référentiel without one prints no registration).
    enregistrement_set(referentiel=rncp, by=rncp.certificateur, **DEMO_REGISTRATIONS["RNCP36390"])
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin 2026", date=JURY_DATE, lieu="Lyon"
        )
        admin = make_member(org_a, Role.ADMIN, "admin-a@test.local")
        admin_secret = enrol_totp(admin)
        compose_rncp(jury, admin, panel_rows=RNCP_PANEL[:3])  # the représentant is seated on the page
        dossiers = [
            ready_dossier(alice, rncp, nom_naissance="Martin", prenom1="Camille"),
            ready_dossier(
                alice,
                rncp,
                nom_naissance="Garcia",
                prenom1="Hugo",
                grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
            ),
            ready_dossier(
                alice,
                rncp,
                nom_naissance="Bertrand",
                prenom1="Lucas",
                grade=lambda d, by: grade_rncp(d, by, fraude=True),
            ),
        ]
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
    jury_url = f"/o/{org_a.slug}/jurys/{jury.public_id}/"

    # the gestionnaire reads the composition, without a form to change it
    gest = _page_for(browser, live_server)
    login(gest, "alice@test.local")
    gest.goto(gest.base + jury_url)
    composition = gest.locator("#composition-section")
    expect(composition.get_by_text("Hélène Garnier")).to_be_visible()
    expect(composition.get_by_text("Seul un administrateur du centre ajoute ou retire")).to_be_visible()
    assert gest.get_by_text("Ajouter un membre").count() == 0
    assert composition.get_by_role("button", name="Retirer").count() == 0
    expect(gest.locator("#echecs-composition")).to_be_visible()  # the représentant is missing
    screenshot(gest, "juries-composition-read-only")

    # the administrator (second factor) seats the représentant de l'établissement on the page
    email, nom, prenom, role, _extra = RNCP_PANEL[3]
    adm = _page_for(browser, live_server)
    _login_with_totp(adm, "admin-a@test.local", admin_secret)
    adm.goto(adm.base + jury_url)
    adm.get_by_text("Ajouter un membre").click()
    form = adm.locator("form", has=adm.get_by_role("button", name="Ajouter au jury"))
    form.locator("#id_email").fill(email)
    form.locator("#id_prenom").fill(prenom)
    form.locator("#id_nom").fill(nom)
    form.locator("#id_role").select_option(role)
    form.locator("#id_structure").fill("Entreprise")
    form.locator("#id_metier").fill("Office manager")
    form.locator("#id_annees_metier").fill("5")
    adm.get_by_role("button", name="Ajouter au jury").click()
    expect(adm.get_by_text(f"{prenom} {nom} ajouté(e) au jury.")).to_be_visible()
    assert axe_violations(adm) == []
    screenshot(adm, "juries-composed-by-admin")

    # the gestionnaire opens the deliberation: the composition rule holds
    gest.goto(gest.base + jury_url)
    expect(gest.get_by_text("Composition conforme")).to_be_visible()
    assert axe_violations(gest) == []
    gest.get_by_role("button", name="Ouvrir la délibération").click()
    expect(gest.get_by_text("La délibération est ouverte.")).to_be_visible()
    screenshot(gest, "juries-opened")

    # a professionnel accepts two proposals and overrides the third with a motivation
    pro_email, pro_secret = RNCP_PANEL[1][0], panel[RNCP_PANEL[1][0]][1]
    pro = _page_for(browser, live_server)
    _login_with_totp(pro, pro_email, pro_secret)
    pro.goto(pro.base + jury_url)
    pro.get_by_role("button", name="Accepter la proposition pour MARTIN Camille").click()
    pro.get_by_role("button", name="Accepter la proposition pour BERTRAND Lucas").click()
    pro.get_by_text("Décider autrement pour GARCIA Hugo").click()
    row = pro.locator("tr", has_text="GARCIA Hugo")
    row.get_by_label("Décision du jury").select_option("certifie")
    for box in row.locator("input[name=blocs_valides]").all():
        box.check()
    row.get_by_role("button", name="Enregistrer la décision du jury").click()
    expect(pro.get_by_text("motivation écrite est obligatoire")).to_be_visible()
    pro.get_by_text("Décider autrement pour GARCIA Hugo").click()
    row = pro.locator("tr", has_text="GARCIA Hugo")
    row.get_by_label("Décision du jury").select_option("certifie")
    for box in row.locator("input[name=blocs_valides]").all():
        box.check()
    row.get_by_label("Motivation écrite").fill(
        "Le jury retient l'avis très favorable de l'entreprise et la progression du candidat."
    )
    row.get_by_role("button", name="Enregistrer la décision du jury").click()
    expect(pro.get_by_text("Décision du jury enregistrée pour GARCIA Hugo.")).to_be_visible()
    expect(pro.locator("tr", has_text="GARCIA Hugo").get_by_text("dérogation")).to_be_visible()
    assert axe_violations(pro) == []
    screenshot(pro, "juries-deliberation")

    # the président closes; signing before the others is refused on the page
    pres_email, pres_secret = RNCP_PANEL[0][0], panel[RNCP_PANEL[0][0]][1]
    pres = _page_for(browser, live_server)
    _login_with_totp(pres, pres_email, pres_secret)
    pres.goto(pres.base + jury_url)
    pres.get_by_role("button", name="Clore la délibération (président)").click()
    expect(pres.get_by_text("le procès-verbal est prêt à signer")).to_be_visible()
    expect(pres.get_by_text("Le président signe en dernier")).to_be_visible()

    # the three members sign with their second factor, then the président
    for email, *_ in RNCP_PANEL[1:]:
        member = pro if email == pro_email else _page_for(browser, live_server)
        if member is not pro:
            _login_with_totp(member, email, panel[email][1])
        member.goto(member.base + jury_url)
        _sign(member, panel[email][1])
    screenshot(pro, "juries-signatures")
    pres.goto(pres.base + jury_url)
    _sign(pres, pres_secret)
    expect(pres.get_by_text("Signé (figé)").first).to_be_visible()
    with tenant_context(org_a):
        assert Jury.objects.get(pk=jury.pk).is_frozen

    # the gestionnaire downloads the ZIP (documents rendered by the in-process Celery of the tests)
    gest.goto(gest.base + jury_url)
    gest.get_by_role("link", name="Télécharger tous les documents (ZIP)").wait_for()
    assert axe_violations(gest) == []
    screenshot(gest, "juries-documents")
    with gest.expect_download() as info:
        gest.get_by_role("link", name="Télécharger tous les documents (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
    names = archive.namelist()
    assert (
        sum(n.endswith(".pdf") for n in names) == 4
    )  # the PV, 2 parchemins (one by override), 1 attestation
    from documents.models import IssuedDocument

    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.filter(group_key=jury.group_key, kind="parchemin").first()
        code = parchemin.verification_code

    # a visitor scans the QR code: the public verification page, nothing but the essentials
    visitor = _page_for(browser, live_server)
    visitor.goto(visitor.base + f"/verifier/{code}")
    body = visitor.locator("main").inner_text()
    assert parchemin.holder_name in body and "RNCP36390" in body
    assert "valide" in body.lower()
    assert axe_violations(visitor) == []
    screenshot(visitor, "juries-verification")
