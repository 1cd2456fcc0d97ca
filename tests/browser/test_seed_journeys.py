"""Issue 14, « What it must show »: a browser journey per seed (000, 001, 002, 003, 004) in which
each person enters their own part in their own screen — gestionnaire, évaluateur (contrôle continu
and épreuves), tuteur (avis and note), commission d'évaluation, jury — up to the signed PV, with no
API call; and the RNCP36390 rattrapage journey (a candidate partial at the first jury retakes one
bloc and is certified with the real points of the blocs carried).

Set-up only (what no person of the journey types): the certificateur's référentiel imported from
the seed, the centre's habilitation, the accounts (the jury members with their second factor
enrolled), the session and its épreuves held yesterday (nothing is marked before an épreuve
starts). Everything else is done on the pages, each person in a fresh browser context: the
gestionnaire registers the candidate and the dossier (tuteur typed in), plans and inscribes it
(the avis de l'entreprise goes to the tuteur by itself), seats the candidate on the épreuves,
deposits the rapport, passes the dossier to the jury, creates the jury and opens it; the
administrator seats the four members; the évaluateur marks the grid; the tuteur follows the
e-mailed link; the commission d'évaluation (CQPM) or the jury d'évaluation (CQPI) records the
entretien and decides; the jury accepts, the président closes, everyone signs with their TOTP
(président last). The signed PV is downloaded from the jury page and read with pdftotext.

Screenshots: docs/screenshots/issue14/<journey>-<nn>-<step>.png.
"""

import datetime as dt
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from candidates.models import Dossier
from evaluations import services as es
from juries.models import Jury
from organisations.models import Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant
from tests.browser.conftest import ROOT, axe_violations, login
from tests.browser.test_juries_journey import _login_with_totp, _page_for, _sign
from tests.conftest import make_member
from tests.juries.conftest import RNCP_PANEL, enrol_totp, panel  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ROOT / "docs" / "screenshots" / "issue14"
PASSWORD = "motdepasse-solide-42"
#: generous: a loaded CI machine seals the PV (pyHanko) within the président's signing request
TIMEOUT = 60_000
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

#: seed number → (seed file, certificateur slug, certificateur name)
SEEDS = {
    "000": ("cqpm-attache-gestion.json", "uimm", "UIMM"),
    "001": ("cqpm-management-equipes.json", "uimm", "UIMM"),
    "002": ("cqpm-responsable-affaires.json", "uimm", "UIMM"),
    "003": ("cqpi-assistant.json", "cpnef-papier-carton", "CPNEF Papier-Carton"),
    "004": ("rncp36390.json", "cci-france", "CCI France"),
}
#: a CQPM jury is paritaire: as many employeurs as salariés (the family journeys' panel)
COLLEGES = ["employeur", "salarie", "employeur", "salarie"]


class Person:
    """One person's fresh browser: every page they stop on is checked with axe-core and photographed."""

    def __init__(self, browser, live_server, journey: str, who: str, counter: list):
        self.page = _page_for(browser, live_server)
        self.page.set_default_timeout(TIMEOUT)
        self.journey, self.who, self.counter = journey, who, counter

    def look(self, step: str) -> Path:
        self.counter[0] += 1
        assert axe_violations(self.page) == [], (self.who, step, self.page.url)
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.journey}-{self.counter[0]:02d}-{self.who}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _centre_world(org_a, seed: str):
    """The certificateur imports its référentiel from the seed and habilitates the centre."""
    filename, slug, name = SEEDS[seed]
    certificateur = Organisation.objects.filter(slug=slug).first() or Organisation.objects.create(
        kind="certificateur", slug=slug, name=name
    )
    ref = load_seed(filename, certificateur)
    habilitation_grant(
        certificateur=certificateur, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1)
    )
    return ref


def _member(org, role, email, prenom, nom):
    membership = make_member(org, role, email)
    membership.user.first_name, membership.user.last_name = prenom, nom
    membership.user.save(update_fields=["first_name", "last_name"])
    return membership


# --- the gestionnaire's steps --------------------------------------------------------------------


def _registers(g: Person, org, ref, *, civilite, nom, prenom, naissance, email, voie, tuteur):
    """Nouveau candidat → nouveau dossier (the tuteur typed in) → plan → inscrit."""
    page = g.page
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Candidats", exact=True
    ).click()
    page.get_by_role("link", name="Nouveau candidat").click()
    page.get_by_label("Civilité").select_option(civilite)
    page.get_by_label("Sexe").select_option("F" if civilite == "MME" else "M")
    page.get_by_label("Nom de naissance").fill(nom)
    page.get_by_label("Premier prénom").fill(prenom)
    page.get_by_label("Date de naissance").fill(naissance)
    page.get_by_label("Commune de naissance", exact=True).fill("Lyon")
    page.get_by_label("Code INSEE").fill("69123")
    page.get_by_label("Code du pays de naissance").fill("FRA")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("link", name="Nouveau dossier").wait_for()
    page.get_by_role("link", name="Nouveau dossier").click()
    page.get_by_label("Référentiel").select_option(str(ref.pk))
    page.get_by_label("Voie d'accès").select_option(voie)
    page.get_by_label("Nom du tuteur", exact=True).fill(tuteur[0])
    page.get_by_label("Prénom du tuteur", exact=True).fill(tuteur[1])
    page.get_by_label("E-mail du tuteur", exact=True).fill(tuteur[2])
    page.get_by_role("button", name="Créer le dossier").click()
    page.get_by_text("Dossier créé").wait_for()


def _inscribes(g: Person):
    page = g.page
    page.get_by_role("button", name="Inscrire le candidat").click()
    page.get_by_text("Dossier passé « Inscrit »").wait_for()


def _deposits_rapport(g: Person, tmp: Path):
    page = g.page
    pdf = tmp / "rapport.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.get_by_label("Type de pièce").select_option("rapport")
    page.get_by_label("Fichier").set_input_files(str(pdf))
    page.get_by_role("button", name="Déposer la pièce").click()
    page.get_by_text("Pièce « rapport.pdf » déposée.").wait_for()


def _seats_on_epreuve(g: Person, org, epreuve, nom: str):
    page = g.page
    page.goto(page.base + f"/o/{org.slug}/evaluations/epreuves/{epreuve.public_id}/")
    page.get_by_label(re.compile(nom, re.I)).check()
    page.get_by_role("button", name="Inscrire les candidats cochés").click()
    expect(page.locator("#emargement tbody tr", has_text=re.compile(nom, re.I)).first).to_be_visible()


def _passes_to_jury(g: Person, org, session, n: int):
    page = g.page
    page.goto(page.base + f"/o/{org.slug}/evaluations/sessions/{session.public_id}/preparation-jury/")
    expect(page.get_by_text(f"{n} dossier prêt sur {n}"), page.locator("main").inner_text()).to_be_visible()
    page.get_by_role("button", name=f"Passer les {n} dossier prêt au jury").click()
    page.wait_for_load_state()


def _creates_jury(g: Person, org, ref, intitule: str) -> str:
    page = g.page
    page.goto(page.base + f"/o/{org.slug}/jurys/nouveau/")
    page.get_by_label("Référentiel").select_option(str(ref.pk))
    page.get_by_label("Intitulé du jury").fill(intitule)
    page.get_by_label("Date de délibération").fill(timezone.localdate().isoformat())
    page.get_by_label("Lieu").fill("Lyon")
    page.get_by_role("button", name=re.compile("Créer")).click()
    page.get_by_role("heading", name=intitule).wait_for()
    return page.url.replace(page.base, "")


def _admin_seats_panel(a: Person, jury_url: str, *, colleges: bool):
    page = a.page
    page.goto(page.base + jury_url)
    for i, (email, nom, prenom, role, extra) in enumerate(RNCP_PANEL):
        page.get_by_text("Ajouter un membre").click()
        form = page.locator("form", has=page.get_by_role("button", name="Ajouter au jury"))
        form.locator("#id_email").fill(email)
        form.locator("#id_prenom").fill(prenom)
        form.locator("#id_nom").fill(nom)
        form.locator("#id_role").select_option(role)
        if colleges:
            form.locator("#id_college").select_option(COLLEGES[i])
        if extra.get("personnalite_qualifiee"):
            form.locator("#id_personnalite_qualifiee").check()
        form.locator("#id_structure").fill("Entreprise")
        form.locator("#id_metier").fill("Office manager")
        form.locator("#id_annees_metier").fill("5")
        page.get_by_role("button", name="Ajouter au jury").click()
        expect(page.get_by_text(f"{prenom} {nom} ajouté(e) au jury.")).to_be_visible()


def _adds_and_opens(g: Person, jury_url: str, noms: list[str]):
    page = g.page
    page.goto(page.base + jury_url)
    page.get_by_text("Ajouter des candidats prêts pour le jury").click()
    for nom in noms:
        page.get_by_label(nom, exact=False).check()
    page.get_by_role("button", name="Ajouter au jury").last.click()
    page.wait_for_load_state()
    expect(page.get_by_text("Composition conforme"), page.locator("main").inner_text()).to_be_visible()
    page.get_by_role("button", name="Ouvrir la délibération").click()
    expect(page.get_by_text("La délibération est ouverte.")).to_be_visible()


# --- the jury ------------------------------------------------------------------------------------


def _jury_deliberates_and_signs(browser, live_server, journey, counter, panel, jury_url, noms):  # noqa: F811
    """A professionnel accepts each proposal; the présidente closes; the four sign (présidente last)."""
    pro_email = RNCP_PANEL[1][0]
    pro = Person(browser, live_server, journey, "jury-professionnel", counter)
    _login_with_totp(pro.page, pro_email, panel[pro_email][1])
    pro.page.goto(pro.page.base + jury_url)
    for nom in noms:
        pro.page.get_by_role("button", name=f"Accepter la proposition pour {nom}").click()
        expect(pro.page.get_by_text(f"Proposition acceptée pour {nom}.")).to_be_visible()
    for summary in pro.page.locator(".decision-row td:nth-child(2) details > summary").all():
        summary.click()  # the results and the reasons, as a member reads them before accepting
    proposals = pro.page.locator(".decision-row").all_inner_texts()
    pro.look("deliberation")

    pres_email = RNCP_PANEL[0][0]
    pres = Person(browser, live_server, journey, "jury-presidente", counter)
    _login_with_totp(pres.page, pres_email, panel[pres_email][1])
    pres.page.goto(pres.page.base + jury_url)
    pres.page.get_by_role("button", name="Clore la délibération (président)").click()
    expect(pres.page.get_by_text("le procès-verbal est prêt à signer")).to_be_visible()
    for email, *_ in RNCP_PANEL[1:]:
        member = pro.page if email == pro_email else _page_for(browser, live_server)
        member.set_default_timeout(TIMEOUT)
        if member is not pro.page:
            _login_with_totp(member, email, panel[email][1])
        member.goto(member.base + jury_url)
        _sign(member, panel[email][1])
    pres.page.goto(pres.page.base + jury_url)
    _sign(pres.page, panel[pres_email][1])
    expect(pres.page.get_by_text("Signé (figé)").first).to_be_visible()
    pres.look("pv-signe")
    return proposals


def _pv_text(g: Person, jury_url: str, tmp: Path) -> str:
    """The gestionnaire downloads the signed PV from the jury page; its text (pdftotext -layout)."""
    page = g.page
    page.goto(page.base + jury_url)
    link = page.locator("#documents-section").get_by_role("link", name="Procès-verbal de jury")
    for _ in range(60):  # rendered by the in-process Celery of the tests
        if link.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    # the link opens the PDF in the browser: fetched with the gestionnaire's own session
    answer = page.request.get(page.base + link.first.get_attribute("href"))
    assert answer.ok and answer.headers["content-type"] == "application/pdf", answer.headers
    pdf = tmp / "pv.pdf"
    pdf.write_bytes(answer.body())
    text = _pdftotext(pdf, "-layout")
    # kept beside the screenshots of the run (var/, not committed) for whoever reads a failure
    (ROOT / "var" / "screenshots").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "screenshots" / f"{g.journey}-pv.txt").write_text(text)
    return text


def _pdftotext(pdf: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pv_reading_order(tmp: Path) -> str:
    """The PV's text in reading order (pdftotext without -layout: a table cell's lines together)."""
    return " ".join(_pdftotext(tmp / "pv.pdf").split())


def _pv_checks(flat: str, *, certifies: int, partiels: int) -> None:
    """The PV's decisions (its synthesis row) and its four members, each named and signed."""
    assert re.search(
        rf"Certifiés Validations partielles Ajournés Total {certifies} {partiels} 0 {certifies + partiels}",
        flat,
    ), flat[-3000:]
    low = flat.lower()
    for name in ("Hélène Garnier", "Marc Lambert", "Sofia Haddad", "Jean Petit"):
        prenom, nom = name.lower().split()
        assert low.count(nom) >= 2 and prenom in low, (name, flat[-3000:])  # composition and signatures
    assert "aucune signature" not in low


def _in_order(text: str, items: list[str]) -> bool:
    """Each item appears in ``text``, and in the order given."""
    at = -1
    for item in items:
        at = text.find(item, at + 1)
        if at < 0:
            return False
    return True


# --- seeds 000–002 (CQPM) and 003 (CQPI) ----------------------------------------------------------


def _capacite_world(org_a, alice, seed):
    ref = _centre_world(org_a, seed)
    eva = _member(org_a, Role.EVALUATEUR, "paul.durand@test.local", "Paul", "Durand")
    commission = _member(org_a, Role.EVALUATEUR, "claire.martin@test.local", "Claire", "Martin")
    admin = _member(org_a, Role.ADMIN, "admin-a@test.local", "Nadia", "Roux")
    admin_secret = enrol_totp(admin)
    with tenant_context(org_a):
        session = es.session_create(by=alice, referentiel=ref, intitule="Session de décembre", lieu="Lyon")
        epreuve = es.epreuve_create(
            session=session,
            by=alice,
            intitule="Présentation des projets devant la commission d'évaluation"
            if ref.kind == "CQPM"
            else "Observation en situation de travail",
            date=timezone.localdate() - dt.timedelta(days=1),
            heure_debut=dt.time(9),
            duree_minutes=120,
            capacites=[c.code for c in ref.capacites.all()],
            evaluateurs=[eva.user, commission.user],
        )
    return ref, session, epreuve, admin_secret


@pytest.mark.parametrize("seed", ["000", "001", "002", "003"])
def test_capacites_seed_journey_to_the_signed_pv(browser, live_server, org_a, alice, panel, seed, tmp_path):  # noqa: F811
    """CQPM (seeds 000–002): « L'acquisition de chacune des capacités professionnelles est validée
    par une commission d'évaluation sur la base : des différentes évaluations, de l'avis de
    l'entreprise, de l'entretien avec le candidat »; « Pour que le candidat soit déclaré admissible
    par le jury de délibération l'ensemble des capacités professionnelles décrites dans le
    référentiel de certification doit être acquis ».
    CQPI (seed 003): each compétence by « Observation en situation de travail » and « Entretien
    avec les membres du jury d'évaluation »."""
    started = time.monotonic()
    ref, session, epreuve, admin_secret = _capacite_world(org_a, alice, seed)
    cqpm = ref.kind == "CQPM"
    journey, counter, slug = f"seed{seed}", [0], org_a.slug
    codes = [c.code for c in ref.capacites.all()]
    mot = ref.mot_capacite
    mail.outbox.clear()

    # --- the gestionnaire registers, plans, inscribes, seats on the épreuve, deposits the rapport
    g = Person(browser, live_server, journey, "gestionnaire", counter)
    login(g.page, "alice@test.local")
    _registers(
        g,
        org_a,
        ref,
        civilite="MME",
        nom="Lemoine",
        prenom="Clara",
        naissance="02/05/1996",
        email="clara.lemoine@example.org",
        voie="FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
        tuteur=("Petit", "Marc", "marc.petit@entreprise.fr"),
    )
    # CQPM: one implicit bloc, said in its own word (no « bloc »); CQPI: 4 blocs, one choice for all
    bulk = g.page.get_by_label(
        f"Même modalité pour toutes les {ref.mot_capacites}"
        if cqpm
        else "Même modalité pour toute la certification"
    )
    if bulk.count():  # seeds 000, 003: several modalités to choose from
        labels = bulk.locator("option").all_inner_texts()
        wanted = next(lb for lb in labels if ("Présentation" in lb if cqpm else "Observation" in lb))
        bulk.select_option(label=wanted)
        if not cqpm:  # seed 003, bloc 3: « Renseignement par le candidat d'un document écrit »
            g.page.get_by_label("Même modalité pour tout le bloc BC3").select_option(label="Document écrit")
    else:  # seeds 001, 002: « Présentation de projets » is the only modalité, already chosen
        selects = g.page.locator("select[name^=modalite_]")
        assert selects.count() == len(codes)
        for i in range(len(codes)):
            assert "Présentation" in selects.nth(i).locator("option:checked").inner_text()
    g.page.get_by_role(
        "button", name="Enregistrer les modalités" if cqpm else "Enregistrer les blocs et modalités"
    ).click()
    g.page.get_by_text("Modalités enregistrées." if cqpm else "Blocs et modalités enregistrés.").wait_for()
    g.look("plan")
    _inscribes(g)
    if cqpm:
        _deposits_rapport(g, tmp_path)
    g.look("dossier-inscrit")
    _seats_on_epreuve(g, org_a, epreuve, "LEMOINE")

    # --- the tuteur (CQPM: « Avis de l'entreprise », requested at inscription)
    if cqpm:
        sent = [m for m in mail.outbox if m.to == ["marc.petit@entreprise.fr"]]
        assert len(sent) == 1, [m.subject for m in mail.outbox]
        t = Person(browser, live_server, journey, "tuteur", counter)
        t.page.goto(t.page.base + re.search(r"(/avis/lien/[^\s/]+/)", sent[0].body).group(1))
        t.page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
        t.page.get_by_label(re.compile(r"^Confirmation")).fill(PASSWORD)
        t.page.get_by_role("button", name="Créer mon accès et donner mon avis").click()
        t.page.wait_for_url("**/evaluations/avis/*/")
        radios = t.page.locator("input[type=radio][value=favorable]")
        assert radios.count() == len(codes)
        for i in range(radios.count()):
            radios.nth(i).check()
        t.look("avis")
        t.page.get_by_role("button", name="Transmettre l'avis (définitif)").click()
        t.page.get_by_text("Avis transmis au centre d'examen").wait_for()

    # --- the évaluateur marks every capacité of the épreuve (observation / présentation)
    e = Person(browser, live_server, journey, "evaluateur", counter)
    login(e.page, "paul.durand@test.local")
    e.page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes évaluations"
    ).click()
    e.page.get_by_role("link", name=epreuve.intitule).click()
    cells = e.page.locator("select[data-cell]")
    expect(cells.first).to_be_visible()
    assert cells.count() == len(codes)
    # the columns in the seed's order, 1, 2 … 10 (the grid once sorted them as text)
    headers = e.page.locator("table[data-grid] thead .cible-code").all_inner_texts()
    assert headers == codes, headers
    for i in range(len(codes)):
        cells.nth(i).select_option("acquis")
        e.page.wait_for_function(f"document.querySelectorAll('.cell-status .ok').length >= {i + 1}")
    assert e.page.locator(".cell-status .err").count() == 0
    e.look("grille")

    # --- the commission d'évaluation (CQPI: the jury d'évaluation): entretien, then each decision
    c = Person(browser, live_server, journey, "commission", counter)
    login(c.page, "claire.martin@test.local")
    with tenant_context(org_a):
        dossier = Dossier.objects.get(candidate__nom_naissance="LEMOINE")
    c.page.goto(c.page.base + f"/o/{slug}/evaluations/dossiers/{dossier.public_id}/commission/")
    c.page.get_by_label("Date de l'entretien").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    instance = "de la commission" if cqpm else "du jury d'évaluation"
    membres = f"Claire Martin, présidente {instance}\nPaul Durand, évaluateur"
    c.page.get_by_label(re.compile("^Participants")).fill(membres)
    for code in codes:
        c.page.get_by_label(f"Conclusion pour {code}", exact=True).select_option("acquis")
    c.page.get_by_role("button", name="Enregistrer l'entretien").click()
    c.page.get_by_text("Entretien enregistré.").wait_for()
    if cqpm:
        avis = c.page.locator(".commission-capacite").first
        expect(avis.get_by_text("Favorable")).to_be_visible()
    c.look("entretien")
    for code in codes:
        section = c.page.locator(".commission-capacite", has=c.page.get_by_role("heading", name=f"{code} — "))
        # the commission is named once: each decision's field starts with the entretien's participants
        expect(section.locator("textarea[name=membres]")).to_have_value(membres)
        section.get_by_role("button", name=re.compile("Valider la décision")).click()
        qui = "de la commission" if cqpm else "du jury d'évaluation"  # seed 003's word
        c.page.get_by_text(f"{mot.capitalize()} {code} : décision {qui} enregistrée.").wait_for()
    c.look("decisions")

    # --- the gestionnaire: to the jury; the jury created; the administrator seats its members
    _passes_to_jury(g, org_a, session, 1)
    jury_url = _creates_jury(g, org_a, ref, "Jury de décembre")
    a = Person(browser, live_server, journey, "administrateur", counter)
    _login_with_totp(a.page, "admin-a@test.local", admin_secret)
    _admin_seats_panel(a, jury_url, colleges=True)  # CQPM and CQPI juries are paritaires
    a.look("composition")
    _adds_and_opens(g, jury_url, ["LEMOINE Clara"])
    g.look("jury-ouvert")

    proposals = " ".join(
        _jury_deliberates_and_signs(
            browser, live_server, journey, counter, panel, jury_url, ["LEMOINE Clara"]
        )
    )
    # a single implicit bloc is never shown as one (« BLOC-UNIQUE », « Résultats par bloc »)
    if cqpm:  # CQPI: four blocs de compétences, named as such
        assert "BLOC-UNIQUE" not in proposals and "par bloc" not in proposals, proposals
    else:
        assert "Blocs : BC1, BC2, BC3, BC4" in proposals, proposals
    with tenant_context(org_a):
        assert Jury.objects.get(public_id=jury_url.rstrip("/").rsplit("/", 1)[1]).is_frozen

    text = _pv_text(g, jury_url, tmp_path)
    flat = " ".join(text.split())
    assert "LEMOINE" in flat and "Clara" in flat, flat[:2000]
    assert ref.intitule.split()[0] in flat
    _pv_checks(flat, certifies=1, partiels=0)
    # what was acquired, in the seed's order (capacités 1, 2 … 10; blocs BC1 … BC4)
    reading = _pv_reading_order(tmp_path)
    if cqpm:  # the capacités acquired, by their intitulés
        heads = [" ".join(c.intitule.split()[:4]) for c in ref.capacites.all()]
    else:  # CQPI: the blocs de compétences validated, by code and intitulé
        heads = [f"{b.code} — {' '.join(b.intitule.split()[:3])}" for b in ref.blocs.order_by("order")]
    assert _in_order(reading[reading.find("LEMOINE") :], heads), (heads, reading[:4000])
    print(f"\n[{journey}] {time.monotonic() - started:.1f} s")


# --- seed 004 (RNCP36390) -------------------------------------------------------------------------

#: Camille's marks, as the évaluateur enters them: per bloc (contrôle continu, épreuves), then the
#: écrit and the oral; the tuteur gives 40/50. Total 615/1000, every bloc ≥ 10/20: certifiée.
CAMILLE = {
    "RNCP36390BC01": ("60", "80"),
    "RNCP36390BC02": ("40", "60"),
    "RNCP36390BC03": ("40", "50"),
    "RNCP36390BC04": ("35", "50"),
}
CAMILLE_PRO = {"ecrit": "100", "oral": "60"}


def _rncp_world(org_a, alice, *, intitule="Session de juin", blocs=None, composantes=("ecrit", "oral")):
    ref = _centre_world(org_a, "004")
    eva = _member(org_a, Role.EVALUATEUR, "paul.durand@test.local", "Paul", "Durand")
    admin = _member(org_a, Role.ADMIN, "admin-a@test.local", "Nadia", "Roux")
    admin_secret = enrol_totp(admin)
    epreuves = {}
    with tenant_context(org_a):
        session = es.session_create(by=alice, referentiel=ref, intitule=intitule, lieu="Lyon")
        common = dict(
            session=session,
            by=alice,
            date=timezone.localdate() - dt.timedelta(days=1),
            heure_debut=dt.time(9),
            duree_minutes=180,
            evaluateurs=[eva.user],
        )
        for bloc in ref.blocs.order_by("order"):
            if blocs is None or bloc.code in blocs:
                epreuves[bloc.code] = es.epreuve_create(
                    intitule=f"Étude de cas — bloc {bloc.code[-1]}", bloc=bloc, **common
                )
        for comp, label in (("ecrit", "Écrit — dossier professionnel"), ("oral", "Soutenance orale")):
            if comp in composantes:
                epreuves[comp] = es.epreuve_create(intitule=label, composante=comp, **common)
    return ref, session, epreuves, admin_secret


def _evaluateur_marks(e: Person, org, epreuve, nom: str, values: list[str | None]):
    """On the épreuve's grid, the candidate's row: each input (contrôle continu, then épreuves, or
    the composante's points) typed and saved; then « Valider les résultats complets »."""
    page = e.page
    page.goto(page.base + f"/o/{org.slug}/evaluations/epreuves/{epreuve.public_id}/grille/")
    row = page.locator("tbody tr", has=page.get_by_role("rowheader", name=re.compile(nom, re.I)))
    inputs = row.locator("input[data-cell]")
    expect(inputs.first).to_be_visible()
    assert inputs.count() == len(values), row.inner_text()
    for i, value in enumerate(values):
        if value is None:  # kept as it is (a retake's contrôle continu, carried)
            continue
        inputs.nth(i).fill(value)
        inputs.nth(i).press("Tab")
        expect(row.locator(".cell-status").nth(i).locator(".ok")).to_be_visible()
    assert page.locator(".cell-status .err").count() == 0
    page.get_by_role("button", name=re.compile("Valider les résultats complets")).click()
    expect(page.locator(".messages").get_by_text(re.compile("validé"))).to_be_visible()


def _rncp_gestionnaire_plans(g: Person):
    page = g.page
    for bulk in page.locator("select[id^=bulk-bloc-]").all():
        bulk.select_option(index=1)
    page.get_by_role("button", name="Enregistrer les blocs et modalités").click()
    page.get_by_text("Blocs et modalités enregistrés").wait_for()


def _tuteur_gives_avis_and_note(t: Person, sent, note: str, n: int):
    page = t.page
    page.goto(page.base + re.search(r"(/avis/lien/[^\s/]+/)", sent.body).group(1))
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Confirmation")).fill(PASSWORD)
    page.get_by_role("button", name="Créer mon accès et donner mon avis").click()
    page.wait_for_url("**/evaluations/avis/*/")
    radios = page.locator("input[type=radio][value=favorable]")
    assert radios.count() == n
    for i in range(n):
        radios.nth(i).check()
    page.get_by_label(re.compile("^Note attribuée, sur")).fill(note)
    t.look("avis-et-note")
    page.get_by_role("button", name="Transmettre l'avis (définitif)").click()
    page.get_by_text("Avis transmis au centre d'examen").wait_for()


def test_rncp36390_journey_to_the_signed_pv(browser, live_server, org_a, alice, panel, tmp_path):  # noqa: F811
    """Seed 004: « Points de contrôle continu » and « Points épreuves » per bloc, « une note
    attribuée par le professionnel qui suit le candidat en entreprise à l'aide d'une grille
    d'activités et de compétences », the écrit and the oral; « le candidat doit obtenir une note
    globale égale ou supérieure à 500 points sur 1000 »."""
    started = time.monotonic()
    ref, session, epreuves, admin_secret = _rncp_world(org_a, alice)
    journey, counter, slug = "seed004", [0], org_a.slug
    blocs = list(ref.blocs.order_by("order"))
    mail.outbox.clear()

    g = Person(browser, live_server, journey, "gestionnaire", counter)
    login(g.page, "alice@test.local")
    _registers(
        g,
        org_a,
        ref,
        civilite="MME",
        nom="Martin",
        prenom="Camille",
        naissance="11/09/2002",
        email="camille.martin@example.org",
        voie="FORMATION_INITIALE_APPRENTISSAGE",
        tuteur=("Petit", "Marc", "marc.petit@entreprise.fr"),
    )
    _rncp_gestionnaire_plans(g)
    g.look("plan")
    _inscribes(g)
    _deposits_rapport(g, tmp_path)
    for epreuve in epreuves.values():
        _seats_on_epreuve(g, org_a, epreuve, "MARTIN")
    g.look("epreuve")

    # the tuteur: avis on every compétence and the note (requested at inscription)
    sent = [m for m in mail.outbox if m.to == ["marc.petit@entreprise.fr"]]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    t = Person(browser, live_server, journey, "tuteur", counter)
    _tuteur_gives_avis_and_note(t, sent[0], "40", ref.capacites.count())

    # the évaluateur: contrôle continu and épreuves of each bloc, the écrit, the oral
    e = Person(browser, live_server, journey, "evaluateur", counter)
    login(e.page, "paul.durand@test.local")
    for code, (cc, ep) in CAMILLE.items():
        _evaluateur_marks(e, org_a, epreuves[code], "MARTIN", [cc, ep])
        if code == blocs[0].code:
            e.look("grille-bloc")
    for comp, points in CAMILLE_PRO.items():
        _evaluateur_marks(e, org_a, epreuves[comp], "MARTIN", [points])
    e.look("grille-oral")

    # the gestionnaire reads the results (every part its own value), passes the dossier on
    with tenant_context(org_a):
        dossier = Dossier.objects.get(candidate__nom_naissance="MARTIN")
    g.page.goto(g.page.base + f"/o/{slug}/evaluations/dossiers/{dossier.public_id}/resultats/")
    body = g.page.locator("main").inner_text()
    assert "Contrôle continu 60 · épreuves 80" in body, body
    # the tuteur's note, given through the link, is validated by the centre like every result
    g.page.locator("tr", has_text="Évaluation tuteur").get_by_role(
        "button", name=re.compile("^Valider")
    ).click()
    g.page.get_by_text("Résultat validé").wait_for()
    expect(g.page.get_by_text("615 / 1000 points")).to_be_visible()
    g.look("resultats")
    _passes_to_jury(g, org_a, session, 1)
    jury_url = _creates_jury(g, org_a, ref, "Jury de juin")
    a = Person(browser, live_server, journey, "administrateur", counter)
    _login_with_totp(a.page, "admin-a@test.local", admin_secret)
    _admin_seats_panel(a, jury_url, colleges=False)
    _adds_and_opens(g, jury_url, ["MARTIN Camille"])
    g.look("jury-ouvert")

    _jury_deliberates_and_signs(browser, live_server, journey, counter, panel, jury_url, ["MARTIN Camille"])
    text = _pv_text(g, jury_url, tmp_path)
    flat = " ".join(text.split())
    assert "MARTIN" in flat and "Camille" in flat, flat[:2000]
    assert "615" in flat, flat[:3000]
    assert _in_order(flat, [b.code for b in blocs]), flat[:3000]
    _pv_checks(flat, certifies=1, partiels=0)
    print(f"\n[{journey}] {time.monotonic() - started:.1f} s")


#: Hugo's first attempt (seed 004): BC03 under its eliminatory mark, the other blocs ≥ 10/20 with
#: points above the floor; the évaluation professionnelle at its minimum (125/250).
HUGO_FIRST = {
    "RNCP36390BC01": (70, 80),  # 150/250 (floor 125)
    "RNCP36390BC02": (40, 65),  # 105/175 (floor 87,5)
    "RNCP36390BC03": (10, 10),  # 20/175: < 70, eliminatory
    "RNCP36390BC04": (40, 50),  # 90/150 (floor 75)
}


def _in_thread(fn, *args):
    from django.db import connection

    try:
        return fn(*args)
    finally:
        connection.close()  # this thread's own connection


def _first_jury_partial(org_a, alice, ref, panel):  # noqa: F811
    """The first jury, as it happened in June (history of this journey): Hugo partial, BC01, BC02
    and BC04 validated, the PV signed by its four members."""
    from juries import services as js
    from juries.models import Decision
    from tests.juries.conftest import JURY_DATE, compose_rncp, grade_rncp, ready_dossier, sign_all

    with tenant_context(org_a):
        first = ready_dossier(
            alice,
            ref,
            nom_naissance="Garcia",
            prenom1="Hugo",
            civilite="M",
            sexe="M",
            email="hugo.garcia@example.org",
            grade=lambda d, by: grade_rncp(d, by, blocs=HUGO_FIRST, ecrit=65, oral=40, tuteur=20),
        )
        jury = js.jury_create(by=alice, referentiel=ref, intitule="Jury de juin", date=JURY_DATE, lieu="Lyon")
        compose_rncp(jury)
        js.jury_dossiers_add(jury=jury, by=alice, dossiers=[first])
        js.jury_open(jury=jury, by=alice)
        for d in Decision.objects.filter(jury=jury):
            js.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
        sign_all(js.jury_close(jury=jury, by=panel["presidente@test.local"][0]), panel)
        first.refresh_from_db()
    assert first.decision == "partiel", first.decision
    return first


def test_rncp36390_rattrapage_journey(browser, live_server, org_a, alice, panel, tmp_path):  # noqa: F811
    """Seed 004: « Le candidat a la possibilité de repasser les blocs non validés, une seule fois par
    bloc, dans un délai de 5 ans »; « le candidat repasse uniquement les évaluations de blocs et
    conserve le bénéfice de sa note de tuteur pour l'évaluation professionnelle »; « il conserve
    le bénéfice des blocs pour lesquels il a obtenu la moyenne » — with their real points: floors
    (125 + 87,5 + 75) would give 487,5 with BC03 at 75 and the évaluation professionnelle at 125,
    the real points (150 + 105 + 90) give 545 ≥ 500."""
    started = time.monotonic()
    ref, session, epreuves, admin_secret = _rncp_world(
        org_a, alice, intitule="Session de rattrapage", blocs=["RNCP36390BC03"], composantes=()
    )
    # in a thread of its own: its documents are sealed by pyHanko (asyncio.run), which cannot run
    # in this thread while Playwright's event loop does
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_in_thread, _first_jury_partial, org_a, alice, ref, panel).result()
    journey, counter, slug = "rattrapage004", [0], org_a.slug
    mail.outbox.clear()

    # the gestionnaire opens the rattrapage from the first attempt's dossier, inscribes it
    g = Person(browser, live_server, journey, "gestionnaire", counter)
    login(g.page, "alice@test.local")
    g.page.goto(g.page.base + f"/o/{slug}/candidats/dossiers/{first.public_id}/")
    expect(g.page.get_by_text("Blocs à repasser : RNCP36390BC03")).to_be_visible()
    g.look("premiere-tentative")
    g.page.get_by_role("button", name="Ouvrir un rattrapage").click()
    g.page.get_by_text("Rattrapage ouvert (tentative 2).").wait_for()
    plan = g.page.locator("#plan").inner_text()
    assert plan.count("tentative précédente") == 3, plan
    g.look("rattrapage-ouvert")
    _inscribes(g)
    _deposits_rapport(g, tmp_path)
    # « conserve le bénéfice de sa note de tuteur »: the tuteur is not asked again
    assert not [m for m in mail.outbox if "avis" in m.subject.lower()], [m.subject for m in mail.outbox]
    _seats_on_epreuve(g, org_a, epreuves["RNCP36390BC03"], "GARCIA")

    # the évaluateur marks the bloc's épreuves only; its contrôle continu is carried
    e = Person(browser, live_server, journey, "evaluateur", counter)
    login(e.page, "paul.durand@test.local")
    _evaluateur_marks(e, org_a, epreuves["RNCP36390BC03"], "GARCIA", [None, "65"])
    e.look("grille-bc03")

    with tenant_context(org_a):
        retake = Dossier.objects.get(previous_attempt=first)
    g.page.goto(g.page.base + f"/o/{slug}/evaluations/dossiers/{retake.public_id}/resultats/")
    g.look("resultats-rattrapage")
    _passes_to_jury(g, org_a, session, 1)
    jury_url = _creates_jury(g, org_a, ref, "Jury de décembre")
    a = Person(browser, live_server, journey, "administrateur", counter)
    _login_with_totp(a.page, "admin-a@test.local", admin_secret)
    _admin_seats_panel(a, jury_url, colleges=False)
    _adds_and_opens(g, jury_url, ["GARCIA Hugo"])
    g.look("jury-ouvert")

    proposals = " ".join(
        _jury_deliberates_and_signs(browser, live_server, journey, counter, panel, jury_url, ["GARCIA Hugo"])
    )
    # the carried blocs count with their real points, never at the floor (« points non
    # communiqués, comptés au plancher »): 150 + 105 + 75 + 90 + 125 = 545
    assert "545" in proposals and "plancher" not in proposals, proposals
    assert "Certifié" in proposals, proposals
    text = _pv_text(g, jury_url, tmp_path)
    flat = " ".join(text.split())
    assert "GARCIA" in flat and "Hugo" in flat, flat[:2000]
    assert "545" in flat, flat[:3000]
    _pv_checks(flat, certifies=1, partiels=0)
    with tenant_context(org_a):
        retake.refresh_from_db()
        assert retake.decision == "certifie"
    print(f"\n[{journey}] {time.monotonic() - started:.1f} s")
