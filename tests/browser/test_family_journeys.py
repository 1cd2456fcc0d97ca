"""A journey per seed family to the verified document (issue 13, « A browser journey per seed
family from a fresh browser profile to the verified document »), here the CQPM (seed 000) and the
CQPI (seed 003); RNCP36390 has its own (``test_juries_journey.py``).

Each actor has a fresh browser profile: the gestionnaire enters the results in the grid of the
épreuve held yesterday and validates them, passes the dossier to the jury, adds it to today's
jury and opens the deliberation; a professionnel accepts the proposal; the présidente closes; the
four members sign with their second factor (présidente last); the documents are issued; a visitor
opens the parchemin's verification page: valid, the holder and the intitulé — and neither the
platform's code nor a registration number, neither certification being registered.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from documents.models import IssuedDocument
from evaluations import services as es
from evaluations.entretiens import entretien_record
from juries import services as js
from juries.models import Jury
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant
from tests.browser.conftest import axe_violations, login, screenshot
from tests.browser.test_juries_journey import _login_with_totp, _page_for, _sign
from tests.builders import scheduled_epreuve
from tests.evaluations.conftest import inscribed_dossier
from tests.juries.conftest import (
    RNCP_PANEL,
    _upload_required_pieces,
    compose_rncp,
    panel,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAMILIES = {
    "CQPM": ("cqpm-attache-gestion.json", "uimm", "UIMM"),
    "CQPI": ("cqpi-assistant.json", "cpnef-papier-carton", "CPNEF Papier-Carton"),
}
# a CQPM jury is paritaire: as many employeurs as salariés, the présidente an employeur
COLLEGES = dict(
    zip([e for e, *_ in RNCP_PANEL], ["employeur", "salarie", "employeur", "salarie"], strict=True)
)


def _world(org_a, alice, family):
    seed, slug, name = FAMILIES[family]
    certificateur = Organisation.objects.create(kind="certificateur", slug=slug, name=name)
    ref = load_seed(seed, certificateur)
    habilitation_grant(
        certificateur=certificateur, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1)
    )
    with tenant_context(org_a):
        dossier = inscribed_dossier(
            alice, ref, nom_naissance="Lemoine", prenom1="Clara", email="clara@example.org"
        )
        session = es.session_create(by=alice, referentiel=ref, intitule="Session de décembre", lieu="Paris")
        epreuve = scheduled_epreuve(
            session, alice, capacites=[c.code for c in ref.capacites.all()]
        )  # yesterday
        es.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
        _upload_required_pieces(dossier, alice)
        if family == "CQPI":  # seed 003: the entretien with the jury d'évaluation, per compétence
            entretien_record(
                dossier=dossier,
                by=alice,
                date=timezone.localdate() - dt.timedelta(days=1),
                participants="Claire Martin, évaluatrice\nPaul Durand, professionnel",
                conclusions={c.code: ("acquis", "") for c in ref.capacites.all()},
            )
        jury = js.jury_create(
            by=alice, referentiel=ref, intitule="Jury de décembre", date=timezone.localdate(), lieu="Paris"
        )
        compose_rncp(jury, **{email: {"college": college} for email, college in COLLEGES.items()})
    return ref, dossier, epreuve, jury


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_journey_to_the_verified_document(browser, live_server, org_a, alice, panel, family):  # noqa: F811
    ref, dossier, epreuve, jury = _world(org_a, alice, family)
    slug = org_a.slug
    codes = [c.code for c in ref.capacites.all()]

    # --- the gestionnaire: results in the grid, validated, the dossier passed to the jury
    gest = _page_for(browser, live_server)
    login(gest, "alice@test.local")
    gest.goto(gest.base + f"/o/{slug}/evaluations/epreuves/{epreuve.public_id}/grille/")
    cells = gest.locator("select[data-cell]")
    assert cells.count() == len(codes)
    for i in range(len(codes)):
        cells.nth(i).select_option("acquis")
        gest.wait_for_function(f"document.querySelectorAll('.cell-status .ok').length >= {i + 1}")
    assert gest.locator(".cell-status .err").count() == 0
    if family == "CQPM":  # seed 000: each capacité « validée par une commission d'évaluation »
        expect(gest.get_by_role("button", name=re.compile("Valider les résultats complets"))).to_have_count(0)
        screenshot(gest, f"famille-{family.lower()}-grille")
        gest.get_by_role("link", name=re.compile("Commission d'évaluation")).first.click()
        for code in codes:
            section = gest.locator(".commission-capacite", has=gest.get_by_role("heading", name=f"{code} — "))
            section.locator("textarea[name=membres]").fill(
                "Claire Martin, présidente\nPaul Durand, évaluateur"
            )
            section.get_by_role("button", name=re.compile("Valider la décision")).click()
            gest.get_by_text(f"Capacité {code} : décision de la commission enregistrée.").wait_for()
    else:  # seed 003
        gest.get_by_role("button", name="Valider les résultats complets (jury d'évaluation)").click()
        gest.wait_for_load_state()
        screenshot(gest, f"famille-{family.lower()}-grille")
    gest.goto(gest.base + f"/o/{slug}/evaluations/sessions/{epreuve.session.public_id}/preparation-jury/")
    expect(gest.get_by_text("1 dossier prêt sur 1"), gest.locator("main").inner_text()).to_be_visible()
    gest.get_by_role("button", name="Passer les 1 dossier prêt au jury").click()
    gest.wait_for_load_state()

    # --- the jury: the dossier added, the deliberation opened
    jury_url = f"/o/{slug}/jurys/{jury.public_id}/"
    gest.goto(gest.base + jury_url)
    gest.get_by_text("Ajouter des candidats prêts pour le jury").click()
    gest.get_by_label("LEMOINE Clara", exact=False).check()
    gest.get_by_role("button", name="Ajouter au jury").last.click()
    gest.wait_for_load_state()
    expect(gest.get_by_text("Composition conforme"), gest.locator("main").inner_text()).to_be_visible()
    gest.get_by_role("button", name="Ouvrir la délibération").click()
    expect(gest.get_by_text("La délibération est ouverte.")).to_be_visible()

    pro_email = RNCP_PANEL[1][0]
    pro = _page_for(browser, live_server)
    _login_with_totp(pro, pro_email, panel[pro_email][1])
    pro.goto(pro.base + jury_url)
    pro.get_by_role("button", name="Accepter la proposition pour LEMOINE Clara").click()
    pro.wait_for_load_state()
    assert axe_violations(pro) == []

    pres_email = RNCP_PANEL[0][0]
    pres = _page_for(browser, live_server)
    _login_with_totp(pres, pres_email, panel[pres_email][1])
    pres.goto(pres.base + jury_url)
    pres.get_by_role("button", name="Clore la délibération (président)").click()
    expect(pres.get_by_text("le procès-verbal est prêt à signer")).to_be_visible()
    for email, *_ in RNCP_PANEL[1:]:
        member = pro if email == pro_email else _page_for(browser, live_server)
        if member is not pro:
            _login_with_totp(member, email, panel[email][1])
        member.goto(member.base + jury_url)
        _sign(member, panel[email][1])
    pres.goto(pres.base + jury_url)
    _sign(pres, panel[pres_email][1])
    expect(pres.get_by_text("Signé (figé)").first).to_be_visible()
    with tenant_context(org_a):
        assert Jury.objects.get(pk=jury.pk).is_frozen

    # --- the documents issued, listed for the gestionnaire
    gest.goto(gest.base + jury_url)
    gest.locator("#documents-section").get_by_text("Parchemin").first.wait_for()
    screenshot(gest, f"famille-{family.lower()}-documents")
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert parchemin.status == "ready"
        code = parchemin.verification_code

    # --- a visitor, fresh profile: the public verification page
    visitor = _page_for(browser, live_server)
    visitor.goto(visitor.base + f"/verifier/{code}")
    body = visitor.locator("main").inner_text()
    assert "valide" in body.lower() and "Clara" in body and "LEMOINE" in body.upper()
    assert ref.intitule in body
    assert ref.code not in body and "RNCP" not in body  # not registered: no number at all
    assert axe_violations(visitor) == []
    screenshot(visitor, f"famille-{family.lower()}-verification")
