"""The RNCP family's issuance by the certificateur, in Chromium, each actor from a fresh browser
profile (issue 13, point 1). Seed 004: « Les résultats d'examen sont validés par le jury de
certification qui rédige le Procès-Verbal d'examen et le transmet à CCI France par l'intermédiaire
de l'application « DIPLOMATION » pour émissions des parchemins du titre ou du/des bloc(s)
validé(s). » — « Le parchemin sera signé par le Président de CCI France et le Président de la CCI
dont dépend l'établissement de formation. »

CCI France's staff set who issues and who signs; the centre's administrator names its president;
the jury signs; the centre sees its PV transmitted and no parchemin of its own; CCI France's staff
review « PV reçus » and issue; the parchemin's public verification page says valid."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from documents.models import IssuedDocument
from juries import services
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import DEMO_REGISTRATIONS
from referentiels.services import enregistrement_set
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import make_member
from tests.evaluations.conftest import referentiels  # noqa: F401 - fixture
from tests.juries.conftest import (
    JURY_DATE,
    compose_rncp,
    panel,  # noqa: F401 - fixture
    ready_dossier,
    sign_all,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRESIDENT_CCI_FRANCE = "Le Président de CCI France"
PRESIDENT_CCI_CENTRE = "Le Président de la CCI dont dépend l'établissement de formation"


def fresh_profile(browser, live_server):
    """A new browser context: no cookie, no storage, nothing shared with the other actors."""
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    return page


def _sign(org, pv, members):
    with tenant_context(org):
        sign_all(pv, members)


def in_own_thread(work):
    """Run ``work`` (it renders PDFs: pyHanko calls asyncio.run) away from Playwright's event loop,
    as the live server would; its own database connection, closed at the end."""
    import threading

    from django.db import connection

    errors = []

    def run():
        try:
            work()
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_rncp_parchemin_issued_by_the_certificateur(browser, live_server, org_a, alice, referentiels, panel):  # noqa: F811
    rncp = referentiels["rncp"]
    cci = rncp.certificateur
    enregistrement_set(referentiel=rncp, by=cci, **DEMO_REGISTRATIONS["RNCP36390"])
    make_member(cci, Role.CERTIFICATEUR, "staff@cci-france.test")
    admin = make_member(org_a, Role.ADMIN, "directeur@centre.test")
    admin_secret = generate_totp_secret()
    TOTP.activate(admin.user, admin_secret)

    # 1. CCI France's staff: the parchemin of RNCP36390 is CCI France's, signed by both presidents
    staff = fresh_profile(browser, live_server)
    login(staff, "staff@cci-france.test")
    staff.goto(staff.base + f"/o/{cci.slug}/supervision/emission/")
    staff.get_by_label("Certification").select_option("RNCP36390")
    staff.get_by_label("Document").select_option("parchemin")
    staff.get_by_label("Le certificateur, après réception du PV signé").check()
    staff.get_by_label("Qualité du signataire 1").fill(PRESIDENT_CCI_FRANCE)
    staff.get_by_label("Nom du signataire 1", exact=True).fill("Alain Démo-Président")
    staff.get_by_label("Qualité du signataire 2").fill(PRESIDENT_CCI_CENTRE)
    staff.get_by_label("Nom du signataire 2 renseigné par").select_option("centre")
    staff.get_by_role("button", name="Enregistrer la règle").click()
    assert "Règle enregistrée" in staff.locator(".messages").inner_text()
    assert axe_violations(staff) == []
    screenshot(staff, "issuance-rules")

    # 2. the centre's administrator names its CCI's president
    centre = fresh_profile(browser, live_server)
    login(centre, "directeur@centre.test")
    centre.locator("input[name=code]").fill(totp_code(admin_secret))
    centre.locator("input[name=code]").press("Enter")
    centre.wait_for_load_state()
    cache.clear()
    centre.goto(centre.base + f"/o/{org_a.slug}/jurys/signataires/")
    centre.get_by_label(f"Nom — {PRESIDENT_CCI_CENTRE} (Parchemin)").fill("Brigitte Démo-Lyon")
    centre.get_by_role("button", name="Enregistrer").click()
    assert "Nom du signataire enregistré." in centre.locator(".messages").inner_text()
    assert axe_violations(centre) == []

    # 3. the jury deliberates and signs (the jury's own journey is tests/browser/test_juries_journey.py)
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin 2026", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        services.jury_dossiers_add(
            jury=jury,
            by=alice,
            dossiers=[ready_dossier(alice, rncp, nom_naissance="Martin", prenom1="Camille")],
        )
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    in_own_thread(lambda: _sign(org_a, pv, panel))

    # 4. the centre sees its PV transmitted to CCI France, and issues no parchemin itself
    centre.goto(centre.base + f"/o/{org_a.slug}/jurys/{jury.public_id}/")
    section = centre.locator("#transmission-section").inner_text()
    assert "Transmis au certificateur" in section and "CCI France" in section
    with tenant_context(org_a):
        assert not IssuedDocument.objects.filter(group_key=jury.group_key, kind="parchemin").exists()
        pv_document = IssuedDocument.objects.get(group_key=jury.group_key, kind="proces_verbal")
        assert pv_document.status == "ready", pv_document.last_error
    screenshot(centre, "issuance-centre-transmitted")

    # 5. CCI France's staff, in a fresh profile, review « PV reçus » and issue
    reviewer = fresh_profile(browser, live_server)
    login(reviewer, "staff@cci-france.test")
    reviewer.goto(reviewer.base + f"/o/{cci.slug}/supervision/")
    reviewer.get_by_role("link", name="PV reçus").first.click()
    row = reviewer.locator("tr", has_text="Jury de juin 2026")
    assert "1 certifié(s)" in row.inner_text() and "Transmis au certificateur" in row.inner_text()
    assert axe_violations(reviewer) == []
    row.get_by_role("link", name="Jury de juin 2026").click()
    body = reviewer.locator("main").inner_text()
    assert "MARTIN Camille" in body and "Brigitte Démo-Lyon" in body and "Alain Démo-Président" in body
    assert axe_violations(reviewer) == []
    reviewer.get_by_role("button", name="Émettre les documents").click()
    assert "Émission lancée pour 1 procès-verbal" in reviewer.locator(".messages").inner_text()
    reviewer.locator("#progression-emission").get_by_text("Documents émis").wait_for()
    reviewer.get_by_text("1 prêt sur 2").or_(reviewer.get_by_text("2 prêts sur 2")).first.wait_for(
        timeout=60_000
    )
    screenshot(reviewer, "issuance-issued")

    # 6. the centre now has the parchemin; a visitor verifies it: valid
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert parchemin.context["signataires"] == [
            [PRESIDENT_CCI_FRANCE, "Alain Démo-Président"],
            [PRESIDENT_CCI_CENTRE, "Brigitte Démo-Lyon"],
        ]
    centre.goto(centre.base + f"/o/{org_a.slug}/jurys/{jury.public_id}/")
    assert "Documents émis" in centre.locator("#transmission-section").inner_text()
    assert parchemin.number in centre.locator("#documents-section").inner_text()
    visitor = fresh_profile(browser, live_server)
    visitor.goto(visitor.base + f"/verifier/{parchemin.verification_code}")
    verification = visitor.locator("main").inner_text()
    assert parchemin.holder_name in verification and "RNCP36390" in verification
    assert "valide" in verification.lower()
    assert axe_violations(visitor) == []
    screenshot(visitor, "issuance-verification")
