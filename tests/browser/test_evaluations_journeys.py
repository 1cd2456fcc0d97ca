"""Evaluations in the browser: a gestionnaire schedules a session and sends convocations; a tuteur
follows the e-mailed link and submits an avis; an évaluateur marks a session with the keyboard;
the commission d'évaluation decides a capacité against the avis, with a motivation."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations import services
from evaluations.models import AvisEntreprise, Convocation, Resultat
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import make_member
from tests.evaluations import test_commission
from tests.evaluations.conftest import inscribed_dossier, referentiels  # noqa: F401 - fixture

commission_setup = test_commission.setup  # the fixture: a capacité with an avis défavorable and an entretien

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _soutenance(org, alice, ref, evaluateur, *, capacites: int, noms=("Arnaud", "Bernard", "Colin")):
    """A « Soutenance » held yesterday (its marks can be entered: nothing is recorded before an
    épreuve starts) on the first ``capacites`` capacités, marked by ``evaluateur``, with one
    inscribed dossier per name."""
    with tenant_context(org):
        session = services.session_create(by=alice, referentiel=ref, intitule="Session", lieu="Paris")
        epreuve = services.epreuve_create(
            session=session,
            by=alice,
            intitule="Soutenance",
            date=timezone.localdate() - dt.timedelta(days=1),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[c.code for c in ref.capacites.all()[:capacites]],
            evaluateurs=[evaluateur.user],
        )
        dossiers = [inscribed_dossier(alice, ref, nom_naissance=n) for n in noms]
        services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=dossiers)
    return epreuve


def test_gestionnaire_schedules_a_session_and_sends_convocations(page, org_a, alice, referentiels):  # noqa: F811
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["cqpm"], email="lea.durand@example.org")
        Dossier.objects.filter(pk=dossier.pk).update(amenagement_tiers_temps=True)
    mail.outbox.clear()
    login(page, "alice@test.local")
    page.goto(page.base + "/o/centre-a/")
    page.get_by_role("link", name="Sessions d'examen").click()
    page.get_by_label("Intitulé").fill("Session de printemps")
    page.get_by_label("Référentiel").select_option(
        label=f"{referentiels['cqpm'].code} v1 — {referentiels['cqpm'].intitule[:80]}"
    )
    page.get_by_label("Lieu par défaut des épreuves").fill("UIMM, 12 rue de la Forge, Paris")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Créer la session").click()
    page.get_by_role("heading", name="Session de printemps").wait_for()

    day = timezone.localdate() + dt.timedelta(days=50)
    page.get_by_label(re.compile(r"^Intitulé")).fill("Présentation de projets")
    page.get_by_label(re.compile(r"^Date")).fill(day.isoformat())
    page.get_by_label("Heure de début").fill("09:30")
    page.get_by_label("Durée (minutes)").fill("90")
    page.get_by_label("Salle").fill("B12")
    for cap in referentiels["cqpm"].capacites.all()[:2]:
        page.get_by_label(f"{cap.code} — ", exact=False).check()
    page.get_by_role("button", name="Planifier l'épreuve").click()
    page.get_by_role("heading", name="Présentation de projets").wait_for()
    expect(page.get_by_text("avec tiers-temps : 2 h")).to_be_visible()

    page.get_by_label(re.compile("DURAND")).check()
    page.get_by_role("button", name="Inscrire les candidats cochés").click()
    expect(page.get_by_role("cell", name=re.compile("2 h")).first).to_be_visible()
    page.get_by_role("button", name="Envoyer les convocations").click()
    page.get_by_text("convocation(s) en cours d'envoi").wait_for()
    expect(page.get_by_text("Envoyée", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "evaluations-epreuve-convoquee")
    with tenant_context(org_a):
        assert Convocation.objects.get().status == "sent"
    assert mail.outbox[-1].to == ["lea.durand@example.org"]


def test_tuteur_follows_the_link_and_submits_an_avis(page, org_a, alice, referentiels):  # noqa: F811
    with tenant_context(org_a):
        tuteur = candidates_services.tuteur_create(
            by=alice, nom="Petit", prenom="Marc", email="marc.petit@entreprise.fr"
        )
        dossier = inscribed_dossier(alice, referentiels["cqpm"])
        Dossier.objects.filter(pk=dossier.pk).update(tuteur=tuteur)
        dossier.refresh_from_db()
        mail.outbox.clear()
        avis = services.avis_request(
            dossier=dossier, by=alice, date_limite=timezone.localdate() + dt.timedelta(days=15)
        )
    path = re.search(r"(/avis/lien/[^\s/]+/)", mail.outbox[-1].body).group(1)

    page.goto(page.base + path)
    expect(page.get_by_role("heading", name="Avis de l'entreprise")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label(re.compile(r"^Mot de passe")).fill("motdepasse-solide-42")
    page.get_by_label(re.compile(r"^Confirmation")).fill("motdepasse-solide-42")
    page.get_by_role("button", name="Créer mon accès et donner mon avis").click()
    page.wait_for_url(f"**/o/centre-a/evaluations/avis/{avis.public_id}/")
    radios = page.locator("input[type=radio][value=favorable]")
    for i in range(radios.count()):
        radios.nth(i).check()
    page.locator("input[type=radio][value=reserve]").last.check()
    page.locator("textarea[name^=commentaire_]").last.fill("Autonomie encore à confirmer sur ce point.")
    assert axe_violations(page) == []
    screenshot(page, "evaluations-avis-tuteur")
    page.get_by_role("button", name="Transmettre l'avis (définitif)").click()
    page.get_by_text("Avis transmis au centre d'examen").wait_for()
    expect(page.get_by_text("il est verrouillé")).to_be_visible()
    assert page.get_by_role("button", name="Transmettre l'avis (définitif)").count() == 0
    with tenant_context(org_a):
        avis = AvisEntreprise.objects.get(pk=avis.pk)
        assert avis.soumis_le is not None and avis.capacites.filter(avis="reserve").count() == 1
    # the link worked once
    page.goto(page.base + path)
    expect(page.get_by_text("déjà été utilisé")).to_be_visible()


def test_evaluateur_marks_a_session_with_the_keyboard(page, org_a, alice, referentiels):  # noqa: F811
    eva = make_member(org_a, Role.EVALUATEUR, "eva@test.local")
    ref = referentiels["cqpm"]
    epreuve = _soutenance(org_a, alice, ref, eva, capacites=2)

    login(page, "eva@test.local")
    page.goto(page.base + "/o/centre-a/")
    page.get_by_role("link", name="Mes évaluations").click()
    page.get_by_role("link", name="Soutenance").click()
    page.locator("table[data-grid]").wait_for()
    # the deferred grid script focuses the first cell once the document is parsed
    page.wait_for_function("document.activeElement && document.activeElement.dataset.row === '0'")
    # column 1: A, N, A ; column 2: A, A, X — six keys, no mouse
    for key in ("a", "n", "a", "a", "a", "x"):
        page.keyboard.press(key)
    page.wait_for_function("document.querySelectorAll('.cell-status .ok').length >= 6")
    assert page.locator(".cell-status .err").count() == 0
    # critères observed and the comment of the first cell, keyboard only: Tab, Entrée, Espace
    page.locator("[data-cell][data-row='0'][data-col='0']").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    page.locator("details[open] input[name=criteres]").first.wait_for()  # loaded when the cell opens
    # htmx binds the form's change trigger as it settles the swapped content (a Space pressed
    # before that toggles the box with no autosave: seen once on a loaded machine)
    page.wait_for_function("!document.querySelector('.htmx-added, .htmx-settling, .htmx-request')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelectorAll('[id^=dstatus-] .ok').length >= 1")
    for _ in range(30):
        if page.evaluate("document.activeElement.tagName") == "TEXTAREA":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("Argumentation claire")
    page.keyboard.press("Tab")
    page.wait_for_function("document.querySelector('[id^=dstatus-] .ok').textContent.includes('enregistrés')")
    page.wait_for_timeout(300)
    assert page.locator(".cell-status .err").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "evaluations-grille-clavier")
    with tenant_context(org_a):
        first = Resultat.objects.get(
            dossier__candidate__nom_naissance="ARNAUD", capacite__code=epreuve.capacites[0]
        )
        assert len(first.criteres_observes) == 1 and first.commentaire == "Argumentation claire"
    with tenant_context(org_a):
        etats = sorted(
            Resultat.objects.values_list("dossier__candidate__nom_naissance", "capacite__code", "etat")
        )
    codes = epreuve.capacites
    assert etats == sorted(
        [
            ("ARNAUD", codes[0], "acquis"),
            ("BERNARD", codes[0], "non_acquis"),
            ("COLIN", codes[0], "acquis"),
            ("ARNAUD", codes[1], "acquis"),
            ("BERNARD", codes[1], "acquis"),
            ("COLIN", codes[1], "absent"),
        ]
    )


def test_evaluateur_marks_a_paged_grid_page_by_page(page, org_a, alice, referentiels, monkeypatch):  # noqa: F811
    """« À saisir », pages of 2 (the live server runs in this process): after the page's last
    candidate the focus is on the link to the following ones; Entrée follows it."""
    monkeypatch.setattr("evaluations.views.grid.GRID_ROWS_PER_PAGE", 2)
    eva = make_member(org_a, Role.EVALUATEUR, "eva@test.local")
    ref = referentiels["cqpm"]
    epreuve = _soutenance(org_a, alice, ref, eva, capacites=1)

    login(page, "eva@test.local")
    page.goto(page.base + f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/?filtre=a_saisir")
    page.wait_for_function("document.activeElement && document.activeElement.dataset.row === '0'")
    assert page.locator("tbody th[scope=row]").count() == 2
    page.keyboard.press("a")
    page.keyboard.press("n")  # the page's last candidate: the focus goes to the following ones
    page.wait_for_function("document.querySelectorAll('.cell-status .ok').length >= 2")
    assert page.evaluate("document.activeElement.hasAttribute('data-grid-next')")
    assert axe_violations(page) == []
    page.keyboard.press("Enter")  # the « à saisir » list reloaded: Colin alone
    page.wait_for_function("document.activeElement && document.activeElement.dataset.row === '0'")
    assert page.locator("tbody th[scope=row]").count() == 1
    assert "COLIN" in page.locator("tbody th[scope=row]").inner_text().upper()
    page.keyboard.press("x")
    page.wait_for_function("document.querySelectorAll('.cell-status .ok').length >= 1")
    screenshot(page, "evaluations-grille-paginee")
    with tenant_context(org_a):
        etats = sorted(Resultat.objects.values_list("dossier__candidate__nom_naissance", "etat"))
    assert etats == [("ARNAUD", "acquis"), ("BERNARD", "non_acquis"), ("COLIN", "absent")]


def test_commission_decides_a_capacite_against_the_avis_with_a_motivation(
    page, org_a, alice, commission_setup
):
    """The commission page weighs evaluations, avis and entretien; departing needs a motivation."""
    dossier, cap1 = commission_setup["dossier"], commission_setup["cap1"]
    login(page, "alice@test.local")
    page.goto(page.base + f"/o/centre-a/evaluations/dossiers/{dossier.public_id}/resultats/")
    page.get_by_role("link", name=re.compile("Commission d'évaluation")).click()
    section = page.locator(f"#cap-{cap1.pk}")
    expect(section.get_by_text("Peu autonome sur les relances")).to_be_visible()
    # the commission names its members (seeds 000–002: « validée par une commission d'évaluation »)
    page.locator(f"#membres-{cap1.pk}").fill("Claire Martin, responsable formation\nPaul Durand, évaluateur")
    section.get_by_role("button", name=re.compile("Valider la décision")).click()
    alert = page.locator(f"#cap-{cap1.pk} [role=alert]")
    assert "motivez-la" in alert.text_content()
    page.locator(f"#motivation-{cap1.pk}").fill("Relances observées en situation réelle")
    page.locator(f"#cap-{cap1.pk}").get_by_role("button", name=re.compile("Valider la décision")).click()
    page.get_by_text("décision de la commission enregistrée").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "evaluations-commission")
    with tenant_context(org_a):
        resultat = Resultat.objects.get(dossier=dossier, capacite=cap1)
        assert resultat.valide and resultat.motivation_commission == "Relances observées en situation réelle"
        assert resultat.commission_membres == "Claire Martin, responsable formation\nPaul Durand, évaluateur"


def test_a_failed_autosave_is_shown_not_silent(page, org_a, alice, referentiels):  # noqa: F811
    """The grid is open when the gestionnaire takes the épreuve from the évaluateur: the next
    keystroke's autosave answers 404, and the page says so (htmx does not swap a 4xx)."""
    eva = make_member(org_a, Role.EVALUATEUR, "eva@test.local")
    other = make_member(org_a, Role.EVALUATEUR, "eva2@test.local")
    ref = referentiels["cqpm"]
    epreuve = _soutenance(org_a, alice, ref, eva, capacites=1, noms=("Durand",))

    login(page, "eva@test.local")
    page.goto(page.base + f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/")
    page.wait_for_function("document.activeElement && document.activeElement.dataset.row === '0'")
    assert page.locator("#htmx-erreur").is_hidden()
    with tenant_context(org_a):
        services.epreuve_update(epreuve=epreuve, by=alice, evaluateurs=[other.user])
    page.keyboard.press("a")
    alert = page.get_by_role("alert").filter(has_text="Rien n'a été enregistré")
    alert.wait_for()
    assert "Introuvable" in alert.inner_text() and "code 404" in alert.inner_text()
    screenshot(page, "evaluations-grille-erreur")
    with tenant_context(org_a):
        assert not Resultat.objects.filter(etat="acquis").exists()
    alert.get_by_role("button", name="Fermer").click()
    assert page.locator("#htmx-erreur").is_hidden()
