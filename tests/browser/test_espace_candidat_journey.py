"""The candidate's journey in Chromium (fresh profile): invited by the centre, signs in with a
one-time code received by e-mail, sees and downloads a convocation, later the published results,
downloads the parchemin and its Open Badges credential, answers the 6-month survey; the pages
pass axe and read on a phone-sized screen."""

import datetime as dt
import json
import re
import shutil
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail

from candidates import services as cs
from candidates.models import Dossier
from evaluations import services as es
from juries import services as js
from juries.models import Decision
from organisations.tenancy import tenant_context
from referentiels.selectors import certification_libelle
from tests.browser.conftest import axe_violations, login, screenshot
from tests.evaluations.conftest import inscribed_dossier, referentiels  # noqa: F401 - fixture
from tests.juries.conftest import (
    JURY_DATE,
    _upload_required_pieces,
    compose_rncp,
    grade_rncp,
    panel,  # noqa: F401 - fixture
    sign_all,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/helpers/shots/cand")
EMAIL = "camille.martin@test.local"


def shot(page, name):
    path = screenshot(page, f"espace-{name}")
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
    return path


def _context(browser, live_server, **kw):
    context = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport=kw.get("viewport", {"width": 1280, "height": 900}),
        bypass_csp=True,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.base = live_server.url
    return context, page


def _clean(page, where):
    violations = axe_violations(page)
    assert violations == [], (where, violations)


def in_thread(fn):
    """PDF sealing (pyHanko) runs asyncio.run(): not in this thread, where Playwright's loop runs."""
    from django.db import connection

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _code_from_mail(to: str) -> str:
    body = [m for m in mail.outbox if m.to == [to]][-1].body
    return re.search(r"^\s*([A-Z0-9-]{6,9})\s*$", body, re.M).group(1)


def test_candidate_journey(browser, live_server, org_a, alice, referentiels, panel):  # noqa: F811
    rncp = referentiels["rncp"]

    def convoke():
        with tenant_context(org_a):
            return _convoke(alice, rncp)

    dossier = in_thread(convoke)
    _journey(browser, live_server, org_a, alice, rncp, panel, dossier)


def _convoke(alice, rncp):
    dossier = inscribed_dossier(alice, rncp, nom_naissance="Martin", prenom1="Camille", email=EMAIL)
    dossier = cs.dossier_update(dossier=dossier, by=alice, amenagement_tiers_temps=True)
    session = es.session_create(by=alice, referentiel=rncp, intitule="Session de mai 2026", lieu="Lyon")
    epreuve = es.epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas — bloc 1",
        date=dt.date(2026, 5, 20),
        heure_debut=dt.time(14, 0),
        duree_minutes=240,
        lieu="CCI Campus Lyon",
        bloc=rncp.blocs.get(code="RNCP36390BC01"),
    )
    es.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    es.convocations_send(epreuve=epreuve, by=alice, today=dt.date(2026, 4, 1))
    return dossier


def _journey(browser, live_server, org_a, alice, rncp, panel, dossier):  # noqa: F811
    # --- the centre invites the candidate from the candidate's page ---------------------------
    staff_ctx, staff = _context(browser, live_server)
    login(staff, alice.user.email)
    staff.goto(f"{staff.base}/o/{org_a.slug}/candidats/{dossier.candidate.public_id}/")
    mail.outbox.clear()
    staff.get_by_role("button", name="Inviter le candidat à son espace").click()
    assert "Invitation envoyée à camille.martin@test.local" in staff.locator(".messages").inner_text()
    shot(staff, "01-centre-invitation")
    invitation = [m for m in mail.outbox if m.to == [EMAIL]][-1]
    assert invitation.body.startswith("Bonjour Madame MARTIN,")
    login_url = re.search(r"(http\S+/comptes/login/code/)", invitation.body).group(1)

    # --- the candidate, fresh browser profile: sign in with the code ---------------------------
    ctx, page = _context(browser, live_server)
    page.goto(page.base + urlparse(login_url).path)
    mail.outbox.clear()
    page.locator("input[name=email]").fill(EMAIL)
    shot(page, "02-demande-code")
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    shot(page, "03-saisie-code")
    page.locator("input[name=code]").fill(_code_from_mail(EMAIL))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(r"/espace/$"))
    assert "Mon espace candidat" in page.content()
    shot(page, "04-accueil")
    _clean(page, "accueil")

    page.get_by_role("link", name=rncp.intitule).click()
    page.wait_for_load_state()
    assert "Étude de cas — bloc 1" in page.content() and "tiers-temps" in page.content()
    assert "La décision du jury apparaîtra ici" in page.content()
    shot(page, "05-dossier-convocation")
    _clean(page, "dossier avant publication")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile("Télécharger la convocation")).click()
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # --- later: evaluated, deliberated, signed; the gestionnaire publishes ----------------------
    jury, dossier = in_thread(lambda: _deliberate(org_a, alice, rncp, panel, dossier))
    _after(page, staff, org_a, rncp, jury, dossier)
    ctx.close()
    staff_ctx.close()


def _deliberate(org_a, alice, rncp, panel, dossier):  # noqa: F811
    with tenant_context(org_a):
        dossier = Dossier.objects.get(pk=dossier.pk)
        grade_rncp(dossier, alice)
        _upload_required_pieces(dossier, alice)
        dossier = cs.dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice)
        jury = js.jury_create(
            by=alice, referentiel=rncp, intitule="Jury juin 2026", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        js.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
        js.jury_open(jury=jury, by=alice)
        for d in Decision.objects.filter(jury=jury):
            js.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
        pv = js.jury_close(jury=jury, by=panel["presidente@test.local"][0])
        sign_all(pv, panel)  # the last signature freezes the jury and issues its documents
    return jury, dossier


def _wallet(page):
    """« Ajouter à mon portefeuille numérique »: the offer page (QR + link + PIN), then a wallet
    written in the test redeems it over HTTP against the live server (OpenID4VCI, pre-authorized)."""
    from tests.espace_candidat.test_wallet import (
        PRE_AUTH,
        b64u,
        b64u_decode,
        offer_from_page,
        verify_with_jwks,
    )

    page.get_by_role("button", name=re.compile("Ajouter à mon portefeuille numérique")).first.click()
    page.get_by_role("heading", name="Ajouter à mon portefeuille numérique").wait_for()
    qr = page.locator(".wallet-qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 200
    link = page.get_by_role("link", name="Ouvrir dans mon portefeuille")
    assert link.get_attribute("href").startswith("openid-credential-offer://?credential_offer=")
    shot(page, "07b-portefeuille-offre-qr")
    _clean(page, "offre de portefeuille")
    page.set_viewport_size({"width": 390, "height": 844})  # the phone the candidate may hold
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert qr.bounding_box()["width"] >= 200 and qr.bounding_box()["x"] + qr.bounding_box()["width"] <= 390
    shot(page, "07c-portefeuille-offre-telephone")
    page.set_viewport_size({"width": 1280, "height": 900})
    offer, pin = offer_from_page(page.content())

    def call(url, data=None, headers=None):
        # the live server over plain HTTP, as a phone wallet would call the platform
        request = urllib.request.Request(page.base + urlparse(url).path, data=data, headers=headers or {})  # noqa: S310
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return json.loads(response.read())

    issuer = call("/.well-known/openid-credential-issuer")
    server = call("/.well-known/oauth-authorization-server")
    form = f"grant_type={PRE_AUTH}&pre-authorized_code={offer['grants'][PRE_AUTH]['pre-authorized_code']}&tx_code={pin}"
    token = call(
        server["token_endpoint"], form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    key = Ed25519PrivateKey.generate()
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64u(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)),
    }
    proof = jwt.encode(
        {"aud": issuer["credential_issuer"], "iat": int(time.time()), "nonce": token["c_nonce"]},
        key,
        algorithm="EdDSA",
        headers={"typ": "openid4vci-proof+jwt", "jwk": jwk},
    )
    answer = call(
        issuer["credential_endpoint"],
        json.dumps(
            {
                "credential_configuration_id": offer["credential_configuration_ids"][0],
                "proofs": {"jwt": [proof]},
            }
        ).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token['access_token']}"},
    )
    payload = verify_with_jwks(answer["credentials"][0]["credential"], call("/.well-known/jwks.json"))
    holder = payload["vc"]["credentialSubject"]["id"]
    assert json.loads(b64u_decode(holder.removeprefix("did:jwk:"))) == jwk
    page.go_back()


def _after(page, staff, org_a, rncp, jury, dossier):

    mail.outbox.clear()
    staff.goto(f"{staff.base}/o/{org_a.slug}/jurys/{jury.public_id}/")
    staff.get_by_role("button", name="Publier les résultats").click()
    staff.get_by_role("link", name="candidats prévenus par e-mail").click()
    assert EMAIL in staff.content()
    shot(staff, "06-centre-candidats-prevenus")
    _clean(staff, "candidats prévenus")
    told = [m for m in mail.outbox if m.to == [EMAIL]]
    # the certification by its name (and its registration number only when registered), never a code
    libelle = certification_libelle(jury.referentiel)
    assert len(told) == 1 and told[0].subject == f"Vos résultats sont publiés — {libelle}"

    page.reload()
    text = page.content()
    assert "Décision du jury du 12/06/2026 : Certifié" in text
    assert "Parchemin" in text and "/verifier/" in text
    shot(page, "07-resultats-parchemin")
    _clean(page, "dossier publié")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile("Télécharger le PDF")).first.click()
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile("Attestation numérique")).first.click()
    credential = json.loads(Path(dl.value.path()).read_text())
    assert credential["format"] == "vc+jwt" and "OpenBadgeCredential" in credential["credential"]["type"]
    _wallet(page)

    # the jury signed: the identity is read-only, a correction goes through the centre's re-issue
    page.goto(f"{page.base}/o/{org_a.slug}/espace/identite/")
    assert "a signé la délibération" in page.content()
    assert page.get_by_role("button", name="Confirmer ou envoyer ma correction").count() == 0
    shot(page, "07b-identite-apres-jury")
    _clean(page, "identité après le jury")

    # --- six months on: the survey e-mail, its link, the answer --------------------------------
    from espace_candidat.models import Enquete
    from espace_candidat.services import enquetes_send_due

    mail.outbox.clear()
    with tenant_context(org_a):
        six = Enquete.objects.get(dossier=dossier, kind="6m")
        enquetes_send_due(today=six.due_on)
    survey_mail = [m for m in mail.outbox if m.to == [EMAIL]][-1]
    link = re.search(r"(http\S+/espace/enquetes/\S+/)", survey_mail.body).group(1)
    page.goto(page.base + urlparse(link).path)
    page.get_by_role("radio", name="En emploi").check()
    page.get_by_label(re.compile("en lien avec la certification")).select_option("oui")
    page.get_by_label(re.compile("type de contrat")).select_option("cdi")
    page.get_by_label(re.compile("intitulé du poste")).fill("Assistante de gestion")
    shot(page, "08-enquete-6-mois")
    _clean(page, "enquête")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    assert "Merci pour votre réponse." in page.locator(".messages").inner_text()
    with tenant_context(org_a):
        six.refresh_from_db()
        assert six.answered_at and six.situation == "emploi" and six.en_lien is True

    # --- phone-sized screen: nothing wider than the viewport ------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 392, (width, wide)
    shot(page, "09-telephone-dossier")
    _clean(page, "téléphone")
    page.goto(page.base + "/espace/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
    shot(page, "10-telephone-accueil")
