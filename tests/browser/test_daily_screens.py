"""Daily screens as people use them (issue 15): the évaluateur's grid with 10 capacités, the
RNCP36390 dossier plan, the jury page. Screenshots go to var/screenshots/ and, when
CONTACT_SHOTS_DIR is set, there too with the CONTACT_SHOTS_SUFFIX (« avant » / « apres »)."""

import os
import shutil

import pytest
from playwright.sync_api import expect

from juries import services as jury_services
from organisations.models import Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant
from tests.browser.conftest import axe_violations, login, screenshot
from tests.candidates.conftest import make_candidate, make_dossier
from tests.conftest import make_member
from tests.evaluations.conftest import referentiels  # noqa: F401 - fixture
from tests.juries.conftest import JURY_DATE, compose_rncp, grade_rncp, panel, ready_dossier  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    path = screenshot(page, name)
    target = os.environ.get("CONTACT_SHOTS_DIR")
    if target:
        suffix = os.environ.get("CONTACT_SHOTS_SUFFIX", "apres")
        shutil.copy(path, os.path.join(target, f"{name}-{suffix}.png"))
    return path


def test_grid_with_ten_capacites(page, org_a, alice, referentiels):  # noqa: F811
    """CQPM « Management d'équipes » has 10 capacités: an épreuve on all of them."""
    import datetime as dt

    from tests.browser.test_evaluations_journeys import _soutenance

    uimm = Organisation.objects.get(slug="uimm")
    ref = load_seed("cqpm-management-equipes.json", uimm)
    habilitation_grant(certificateur=uimm, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1))
    evaluateur = make_member(org_a, Role.EVALUATEUR, "eval@test.local")
    epreuve = _soutenance(
        org_a, alice, ref, evaluateur, capacites=10, noms=("Arnaud", "Bernard", "Colin", "Dupont")
    )
    assert len(epreuve.capacites) == 10
    login(page, "eval@test.local")
    page.goto(page.base + f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/")
    page.locator("table[data-grid]").wait_for()
    _shot(page, "grille-10-capacites")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
        ".map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)"
    )
    # the page itself does not scroll sideways: the grid does, inside its frame
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, wide
    assert axe_violations(page) == []


def test_rncp36390_dossier_plan(page, org_a, alice, referentiels):  # noqa: F811
    with tenant_context(org_a):
        dossier = make_dossier(alice, referentiels["rncp"], make_candidate(alice), plan=False)
    login(page, "alice@test.local")
    page.goto(page.base + f"/o/centre-a/candidats/dossiers/{dossier.public_id}/")
    page.locator("#plan").scroll_into_view_if_needed()
    _shot(page, "plan-rncp36390")
    assert axe_violations(page) == []
    # one choice for the whole certification, then one bloc otherwise, then save: 2 choices, not 32
    selects = page.locator("select[name^='modalite_']")
    assert selects.count() == 32
    bulk = page.get_by_label("Même modalité pour toute la certification")
    kinds = bulk.locator("option").all_inner_texts()[1:]
    bulk.select_option(label=kinds[0])
    # said in the référentiel's word beside the dropdown (an RNCP title has « compétences »)
    assert "compétence(s) en" in page.locator("#plan-bulk-statut").inner_text()
    filled = [s for s in selects.all() if s.input_value()]
    assert filled, "au moins une capacité reçoit la modalité choisie"
    page.get_by_role("button", name="Enregistrer les blocs et modalités").click()
    page.get_by_text("Blocs et modalités enregistrés.").wait_for()
    from candidates.models import DossierModalite

    with tenant_context(org_a):
        assert DossierModalite.objects.filter(dossier=dossier, modalite__type__isnull=False).count() >= len(
            filled
        )


def test_jury_page(page, org_a, alice, referentiels, panel):  # noqa: F811
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = jury_services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin 2026", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        partial = {
            "RNCP36390BC01": (60, 80),
            "RNCP36390BC02": (20, 40),
            "RNCP36390BC03": (40, 50),
            "RNCP36390BC04": (35, 50),
        }
        dossiers = [
            ready_dossier(alice, rncp, nom_naissance="Martin", prenom1="Camille"),
            ready_dossier(
                alice,
                rncp,
                nom_naissance="Garcia",
                prenom1="Hugo",
                grade=lambda d, by: grade_rncp(d, by, blocs=partial, ecrit=40),
            ),
        ]
        jury_services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
        jury_services.jury_open(jury=jury, by=alice)
    login(page, "alice@test.local")
    page.goto(page.base + f"/o/centre-a/jurys/{jury.public_id}/")
    garcia = page.locator("tr.decision-row", has_text="GARCIA Hugo")
    garcia.locator("details.resultats-blocs summary").click()
    results = garcia.locator("details.resultats-blocs table")
    expect(results).to_be_visible()
    row = results.locator("tr", has_text="RNCP36390BC02")
    assert "non validé" in row.inner_text() and "/20" in row.inner_text()
    _shot(page, "jury")
    assert axe_violations(page) == []
