"""Journeys as users live them (issue 15, point 6): for each role, a browser of its own (fresh
profile, nothing cached, nothing blocked, no pre-enrolled secret), from the login page to the
role's work. Nothing is seeded but what the role works on, made through the services the other
people's pages call. Every page visited is axe-clean; every screen is saved under
var/screenshots/ as ``journey-<role>-<step>.png``.

Second factor: only the roles of ``MFA_REQUIRED_ROLES`` (administrators and jury members,
test_first_contact.py) must enrol; the roles here are checked to go straight to their work.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations.models import AvisEntreprise, Convocation, Resultat
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.models import Bloc, Capacite
from tests.browser.conftest import axe_violations, login, screenshot
from tests.browser.test_evaluations_journeys import _soutenance
from tests.browser.test_first_contact import _fresh_page, fresh_browser  # noqa: F401 - fixture
from tests.certificateur.conftest import cci_user, world  # noqa: F401 - fixtures
from tests.conftest import make_member
from tests.evaluations.conftest import IDENTITY, referentiels  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Journey:
    """One person's browser: every page they reach is checked with axe-core and photographed."""

    def __init__(self, page, role: str):
        self.page, self.role, self.step = page, role, 0

    def look(self, name: str) -> None:
        self.step += 1
        assert axe_violations(self.page) == [], (self.role, name, self.page.url)
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1280, f"{self.role} / {name}: the page scrolls sideways ({wide} px)"
        screenshot(self.page, f"journey-{self.role}-{self.step:02d}-{name}")


def _role_is_not_asked_to_enrol(role):
    assert role not in settings.MFA_REQUIRED_ROLES


def test_gestionnaire_registers_plans_and_convokes(fresh_browser, live_server, org_a, alice, referentiels):  # noqa: F811
    """Candidate and RNCP36390 dossier through the pages, the plan chosen « pour tout le bloc »
    (4 choices, not 32), inscription, a session with an épreuve of bloc 1, convocations sent."""
    _role_is_not_asked_to_enrol(Role.GESTIONNAIRE)
    rncp = referentiels["rncp"]
    blocs = list(Bloc.objects.filter(referentiel=rncp).order_by("order"))
    page = _fresh_page(fresh_browser, live_server)
    j = Journey(page, "gestionnaire")
    mail.outbox.clear()

    login(page, alice.user.email)
    page.wait_for_url(f"**/o/{org_a.slug}/")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    # no count link broken over two lines (« En / signature (0) »)
    broken = page.evaluate(
        "() => [...document.querySelectorAll('.link-list a')].filter(a => a.getClientRects().length > 1)"
        ".map(a => a.textContent)"
    )
    assert page.locator(".link-list a").count() >= 10 and broken == [], broken
    j.look("tableau-de-bord")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Candidats", exact=True
    ).click()
    page.get_by_role("link", name="Nouveau candidat").click()
    page.get_by_label("Civilité").select_option("MME")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Nom de naissance").fill("Durand")
    page.get_by_label("Premier prénom").fill("Léa")
    page.get_by_label("Date de naissance").fill("14/03/1998")
    page.get_by_label("Commune de naissance", exact=True).fill("Ajaccio")
    page.get_by_label("Code INSEE").fill("2A004")
    page.get_by_label("Code du pays de naissance").fill("FRA")
    page.get_by_label("Adresse e-mail").fill("lea.durand@example.org")
    j.look("nouveau-candidat")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Mme DURAND Léa").wait_for()

    page.get_by_role("link", name="Nouveau dossier").click()
    # no Django « --------- » in the dropdowns
    assert "---------" not in " ".join(page.locator("select option").all_inner_texts())
    assert page.get_by_label("Statut").locator("option").first.inner_text() == "—"
    page.get_by_label("Référentiel").select_option(str(rncp.pk))
    page.get_by_label("Voie d'accès").select_option("VAE")
    j.look("nouveau-dossier")
    page.get_by_role("button", name="Créer le dossier").click()
    page.get_by_text("Dossier créé").wait_for()

    # One choice per bloc: « Même modalité pour tout le bloc ».
    selects = page.locator("select[name^=modalite_]")
    assert selects.count() == 32
    for bloc in blocs:
        bulk = page.get_by_label(f"Même modalité pour tout le bloc {bloc.code}")
        label = bulk.locator("option").nth(1).inner_text()
        bulk.select_option(index=1)
        # said beside the dropdown just used, in the RNCP title's word
        said = page.locator(f"#plan-bulk-statut-{bloc.pk}").inner_text()
        assert (
            said
            == f"{bloc.capacites.count()} compétence(s) en « {label} ». Enregistrez le plan pour le garder."
        )
    assert all(s.input_value() for s in selects.all()), "chaque compétence a reçu la modalité de son bloc"
    # every intitulé whole (RNCP36390's run to 480 characters): nothing cut with « … »
    plan = page.locator("#plan").inner_text()
    longest = max(Capacite.objects.filter(referentiel=rncp), key=lambda c: len(c.intitule))
    assert longest.intitule in plan and blocs[0].intitule in plan
    cells = page.locator("#plan legend, #plan table.plan-table td:first-child").all_inner_texts()
    assert len(cells) == 36 and not [c for c in cells if c.endswith("…")]
    page.locator("#plan").scroll_into_view_if_needed()
    j.look("plan-par-bloc")
    page.get_by_role("button", name="Enregistrer les blocs et modalités").click()
    page.get_by_text("Blocs et modalités enregistrés").wait_for()
    assert page.locator("ul.blockers").count() == 0
    page.get_by_role("button", name="Inscrire le candidat").click()
    page.get_by_text("Dossier passé « Inscrit »").wait_for()
    j.look("dossier-inscrit")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Sessions d'examen"
    ).click()
    page.get_by_label("Intitulé").fill("Session de juin")
    page.get_by_label("Référentiel").select_option(label=f"{rncp.code} v1 — {rncp.intitule[:80]}")
    page.get_by_label("Lieu par défaut des épreuves").fill("CCI Campus, 9 place des Célestins, Lyon")
    j.look("nouvelle-session")
    page.get_by_role("button", name="Créer la session").click()
    page.get_by_role("heading", name="Session de juin").wait_for()

    day = timezone.localdate() + dt.timedelta(days=50)  # convocations go a month ahead
    page.get_by_label(re.compile(r"^Intitulé")).fill("Étude de cas — bloc 1")
    page.get_by_label(re.compile(r"^Date")).fill(day.isoformat())
    page.get_by_label("Heure de début").fill("09:00")
    page.get_by_label("Durée (minutes)").fill("180")
    page.get_by_label("Ce que l'épreuve évalue").select_option(label=f"Bloc {blocs[0].code} — épreuves")
    j.look("planifier-epreuve")
    page.get_by_role("button", name="Planifier l'épreuve").click()
    page.get_by_role("heading", name="Étude de cas — bloc 1").wait_for()

    page.get_by_label(re.compile("DURAND")).check()
    page.get_by_role("button", name="Inscrire les candidats cochés").click()
    page.get_by_role("button", name="Envoyer les convocations").click()
    page.get_by_text("convocation(s) en cours d'envoi").wait_for()
    expect(page.get_by_text("Envoyée", exact=True)).to_be_visible()
    j.look("convocations-envoyees")

    with tenant_context(org_a):
        dossier = Dossier.objects.get(candidate__nom_naissance="DURAND")
        assert dossier.status == Dossier.Status.INSCRIT
        assert dossier.modalites_choisies.count() == 32
        assert Convocation.objects.get(inscription__dossier=dossier).status == "sent"
    convocation = [m for m in mail.outbox if m.to == ["lea.durand@example.org"]]
    assert len(convocation) == 1 and "convoquée" in convocation[0].body


def test_evaluateur_marks_by_keyboard_and_validates(fresh_browser, live_server, org_a, alice, referentiels):  # noqa: F811
    """The épreuve the gestionnaire planned: from « Mes évaluations » to the grid, every cell by
    keyboard (no mouse), then the commission d'évaluation's screen for one candidate."""
    _role_is_not_asked_to_enrol(Role.EVALUATEUR)
    eva = make_member(org_a, Role.EVALUATEUR, "eva@test.local")
    epreuve = _soutenance(org_a, alice, referentiels["cqpm"], eva, capacites=2)
    page = _fresh_page(fresh_browser, live_server)
    j = Journey(page, "evaluateur")

    login(page, eva.user.email)
    page.wait_for_url(f"**/o/{org_a.slug}/")
    j.look("tableau-de-bord")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes évaluations"
    ).click()
    # the certification by its title, not only its code
    assert referentiels["cqpm"].intitule in page.locator("table").inner_text()
    j.look("mes-evaluations")
    page.get_by_role("link", name="Soutenance").click()
    page.locator("table[data-grid]").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.dataset.row === '0'")
    j.look("grille-vide")
    for key in ("a", "n", "a", "a", "a", "x"):  # capacité 1: A, N, A — capacité 2: A, A, absent
        page.keyboard.press(key)
    page.wait_for_function("document.querySelectorAll('.cell-status .ok').length >= 6")
    assert page.locator(".cell-status .err").count() == 0
    # every dropdown shows its whole choice (« N — non acquis » was cut to « N — non ac »)
    cut = page.evaluate(
        """() => { const ctx = document.createElement('canvas').getContext('2d');
        return [...document.querySelectorAll('table[data-grid] select')].filter(s => {
          const cs = getComputedStyle(s); ctx.font = cs.font;
          const text = ctx.measureText(s.options[s.selectedIndex].text).width;
          return text + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + 16 > s.clientWidth;
        }).map(s => s.options[s.selectedIndex].text); }"""
    )
    assert cut == [], cut
    j.look("grille-saisie")
    # seeds 000–002: « validée par une commission d'évaluation » — no one-click validation on the
    # grid; the commission's screen, candidate by candidate, its members named
    expect(page.get_by_role("button", name=re.compile("Valider les résultats complets"))).to_have_count(0)
    page.get_by_role("link", name="Commission d'évaluation — ARNAUD", exact=False).click()
    for code, message in (
        (c, f"Capacité {c} : décision de la commission enregistrée.") for c in epreuve.capacites
    ):
        section = page.locator(".commission-capacite", has=page.get_by_role("heading", name=f"{code} — "))
        section.locator("textarea[name=membres]").fill("Claire Martin, présidente\nÈve Arnal, évaluatrice")
        section.get_by_role("button", name=re.compile("Valider la décision")).click()
        page.get_by_text(message).wait_for()
    j.look("commission-validee")

    with tenant_context(org_a):
        rows = sorted(
            Resultat.objects.values_list(
                "dossier__candidate__nom_naissance", "capacite__code", "etat", "valide"
            )
        )
    c1, c2 = epreuve.capacites
    assert rows == sorted(
        [
            ("ARNAUD", c1, "acquis", True),
            ("BERNARD", c1, "non_acquis", False),
            ("COLIN", c1, "acquis", False),
            ("ARNAUD", c2, "acquis", True),
            ("BERNARD", c2, "acquis", False),
            ("COLIN", c2, "absent", False),
        ]
    )


def test_tuteur_opens_the_link_gives_the_avis_and_the_note(
    fresh_browser,  # noqa: F811
    live_server,
    org_a,
    alice,
    referentiels,  # noqa: F811
):
    """The e-mail sent when the gestionnaire inscribed the RNCP36390 dossier: the link opens a page
    (opening it spends nothing), its button creates the tuteur's access, the avis on every
    compétence and the note (seed 004: « une note attribuée par le professionnel qui suit le
    candidat en entreprise ») are given, a forgotten note is asked for without losing anything."""
    _role_is_not_asked_to_enrol(Role.TUTEUR)
    from candidates.selectors import dossier_grid

    rncp = referentiels["rncp"]
    mail.outbox.clear()
    with tenant_context(org_a):
        tuteur = candidates_services.tuteur_create(
            by=alice, nom="Petit", prenom="Marc", email="marc.petit@entreprise.fr"
        )
        candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
        dossier = candidates_services.dossier_create(
            by=alice,
            candidate=candidate,
            referentiel=rncp,
            voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
            date_inscription=timezone.localdate(),
            tuteur=tuteur,
        )
        choices = {
            cr.capacite.pk: cr.allowed[0].pk for row in dossier_grid(dossier=dossier) for cr in row.capacites
        }
        candidates_services.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites=choices)
        candidates_services.dossier_transition(dossier=dossier, to=Dossier.Status.INSCRIT, by=alice)
    sent = [m for m in mail.outbox if m.to == ["marc.petit@entreprise.fr"]]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    path = re.search(r"(/avis/lien/[^\s/]+/)", sent[0].body).group(1)
    page = _fresh_page(fresh_browser, live_server)
    j = Journey(page, "tuteur")

    page.goto(page.base + path)
    page.reload()  # a mail scanner, or a second look: opening the link spends nothing
    expect(page.get_by_role("heading", name="Avis de l'entreprise")).to_be_visible()
    assert "DURAND" in page.locator("main").inner_text()
    j.look("lien")
    page.get_by_label(re.compile(r"^Mot de passe")).fill("motdepasse-solide-42")
    page.get_by_label(re.compile(r"^Confirmation")).fill("motdepasse-solide-42")
    page.get_by_role("button", name="Créer mon accès et donner mon avis").click()
    page.wait_for_url("**/o/centre-a/evaluations/avis/*/")
    j.look("avis-vierge")

    radios = page.locator("input[type=radio][value=favorable]")
    assert radios.count() == rncp.capacites.count() == 32
    # the tuteur judges each compétence on its whole intitulé (headings were cut at 160 characters)
    headings = page.locator(".avis-capacite h2").all_inner_texts()
    assert sorted(headings) == sorted(f"{c.code} — {c.intitule}" for c in rncp.capacites.all())
    for i in range(radios.count()):
        radios.nth(i).check()
    page.locator("input[type=radio][value=reserve]").last.check()
    page.locator("textarea[name^=commentaire_]").last.fill("Reporting encore à consolider.")
    page.get_by_label("Appréciation générale").fill("Alternante fiable, très appréciée de l'équipe.")
    # the note forgotten: asked for, and nothing typed is lost
    page.get_by_role("button", name="Transmettre l'avis (définitif)").click()
    error = page.get_by_role("alert").filter(has_text="Attribuez votre note")
    error.wait_for()
    # the note is at the foot of a long page: the message leads to it, the field says what is wrong
    error.get_by_role("link", name="Aller à la note").click()
    note = page.get_by_label(re.compile("^Note attribuée, sur"))
    assert note.get_attribute("aria-invalid") == "true"
    assert "Attribuez votre note" in page.locator("#note_tuteur_erreur").inner_text()
    assert (
        page.get_by_label("Appréciation générale").input_value()
        == "Alternante fiable, très appréciée de l'équipe."
    )
    assert page.locator("input[type=radio][value=reserve]").last.is_checked()
    assert page.locator("textarea[name^=commentaire_]").last.input_value() == "Reporting encore à consolider."
    j.look("note-oubliee")
    note.fill("42,5")
    page.get_by_role("button", name="Transmettre l'avis (définitif)").click()
    page.get_by_text("Avis transmis au centre d'examen").wait_for()
    assert page.get_by_role("button", name="Transmettre l'avis (définitif)").count() == 0
    j.look("avis-transmis")

    with tenant_context(org_a):
        avis = AvisEntreprise.objects.get(dossier=dossier)
        assert avis.soumis_le is not None
        assert avis.commentaire == "Alternante fiable, très appréciée de l'équipe."
        assert avis.capacites.filter(avis="reserve").count() == 1
        assert avis.capacites.filter(avis="favorable").count() == 31


def test_certificateur_supervises_registers_and_exports(fresh_browser, live_server, world, cci_user):  # noqa: F811
    """CCI France: the supervision of its centres, the insertion figures and their export, the
    RNCP36390 registration entered (a missing decision date asked for first). The centres'
    deliberated dossiers are the certificateur conftest's world (written as the juries left them)."""
    _role_is_not_asked_to_enrol(Role.CERTIFICATEUR)
    page = _fresh_page(fresh_browser, live_server)
    j = Journey(page, "certificateur")

    login(page, cci_user.user.email)
    page.wait_for_url("**/o/cci-france/")
    j.look("tableau-de-bord")
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Supervision").click()
    expect(page.get_by_role("heading", name="Supervision des centres", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Centre B").first).to_be_visible()
    # every chart label whole and inside its chart (« Validation des acquis de l'… » was cut)
    labels = page.evaluate(
        """() => [...document.querySelectorAll('svg[role=img]')].flatMap(svg => {
          const width = svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('text')].map(t => {
            const box = t.getBBox(); return [t.textContent, box.x >= 0 && box.x + box.width <= width];
          }); })"""
    )
    assert ["Validation des acquis de l'expérience (VAE)", True] in labels, labels
    assert all(inside for _text, inside in labels), labels
    j.look("supervision")

    page.get_by_role("link", name="Insertion des certifiés").first.click()
    page.get_by_role("heading", name="Insertion des certifiés", exact=True).wait_for()
    row = page.locator("tbody tr", has_text="2025")
    assert row.locator("td").all_inner_texts()[:4] == ["RNCP36390", "2025", "2", "1"]
    j.look("insertion")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter (CSV)").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][:4] == ["CODE_CERTIFICATION", "ANNEE", "NOMBRE_CERTIFIES", "NOMBRE_CERTIFIES_VAE"]
    assert ["RNCP36390", "2025", "2", "1"] in [line[:4] for line in lines[1:]]

    nav.get_by_role("link", name="Référentiels").click()
    page.get_by_role("link", name=re.compile("RNCP36390")).first.click()
    page.get_by_role("link", name=re.compile("l'enregistrement$")).click()  # « saisir » or « modifier »
    page.get_by_role("heading", name="Enregistrement de la certification").wait_for()
    j.look("enregistrement")
    page.get_by_label("Numéro d'enregistrement").fill("RNCP36390")
    page.get_by_label("Type d'enregistrement").select_option("sur_demande")
    page.get_by_label("Date de la décision du directeur général de France compétences").fill("")
    page.get_by_label("Durée d'enregistrement (ans)").fill("5")
    page.get_by_label(re.compile("^Niveau")).select_option("5")
    page.get_by_label("Codes NSF").fill("324 Secrétariat, bureautique")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    error = page.locator("#id_date_decision_erreur")
    error.wait_for()
    assert "obligatoire pour un enregistrement sur demande" in error.inner_text()
    assert page.get_by_label("Codes NSF").input_value() == "324 Secrétariat, bureautique"
    j.look("enregistrement-erreur")
    page.get_by_label("Date de la décision du directeur général de France compétences").fill("2022-06-01")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Enregistrement de la certification mis à jour.").wait_for()
    assert "RNCP36390 · niveau 5 · NSF 324" in page.locator("dl").first.inner_text()
    j.look("referentiel-enregistre")

    from referentiels.models import Enregistrement

    enregistrement = Enregistrement.objects.get(numero="RNCP36390")
    assert (enregistrement.niveau, enregistrement.duree_ans, enregistrement.date_decision) == (
        5,
        5,
        dt.date(2022, 6, 1),
    )
