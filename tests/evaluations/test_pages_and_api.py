"""Pages and API of evaluations: scheduling, convocations, émargement, the grid (constant queries),
the tuteur's link (single use, expiring, own candidates only, locked after submission),
reminders fanned out per organisation, bulk results validated as a whole."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations import services
from evaluations.models import AvisEntreprise, Convocation, Epreuve, InscriptionEpreuve, Resultat
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.builders import epreuve_held
from tests.evaluations.conftest import inscribed_dossier


@pytest.fixture
def cqpm_epreuve(org_a, alice, referentiels):
    def make(n=1, days=-1, evaluateurs=(), **identity):
        """``days`` from today: by default held yesterday (results and attendance are recorded only
        once an épreuve has started); a positive number for one still to come."""
        with tenant_context(org_a):
            ref = referentiels["cqpm"]
            session = services.session_create(
                by=alice, referentiel=ref, intitule="Session test", lieu="Paris"
            )
            epreuve = services.epreuve_create(
                session=session,
                by=alice,
                intitule="Soutenance",
                date=timezone.localdate() + dt.timedelta(days=days),
                heure_debut=dt.time(9),
                duree_minutes=90,
                capacites=[c.code for c in ref.capacites.all()],
                evaluateurs=evaluateurs,
            )
            dossiers = [
                inscribed_dossier(
                    alice, ref, nom_naissance=f"Candidat{i:02d}", email=f"c{i}@example.org", **identity
                )
                for i in range(n)
            ]
            services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=dossiers)
            return epreuve, dossiers

    return make


def test_gestionnaire_schedules_and_convokes_through_pages(
    alice, client_for, referentiels, org_a, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    ref = referentiels["cqpm"]
    r = client.post(
        "/o/centre-a/evaluations/sessions/", {"intitule": "Juin", "referentiel": ref.pk, "lieu": "Paris"}
    )
    assert r.status_code == 302
    session_url = r["Location"]
    page = client.get(session_url)
    assert page.status_code == 200 and "Planifier une épreuve" in page.content.decode()
    caps = list(ref.capacites.values_list("code", flat=True))
    day = timezone.localdate() + dt.timedelta(days=45)
    r = client.post(
        session_url,
        {
            "intitule": "Soutenance",
            "date": day.isoformat(),
            "heure_debut": "09:00",
            "duree_minutes": "90",
            "cible": "capacites",
            "capacites": caps[:2],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    epreuve_url = r["Location"]
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, ref, email="lea@example.org")
        Dossier.objects.filter(pk=dossier.pk).update(amenagement_tiers_temps=True)
    page = client.get(epreuve_url).content.decode()
    assert "Durée" in page and "avec tiers-temps : 2 h" in page
    r = client.post(epreuve_url + "candidats/", {"dossiers": [str(dossier.public_id)]})
    assert r.status_code == 302
    page = client.get(epreuve_url).content.decode()
    assert "2 h" in page and "tiers-temps" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(epreuve_url + "convocations/", {})
    assert r.status_code == 302
    with tenant_context(org_a):
        convocation = Convocation.objects.get()
    assert convocation.status == "sent" and mail.outbox[-1].to == ["lea@example.org"]
    pdf = client.get(f"/o/centre-a/evaluations/convocations/{convocation.public_id}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    sheet = client.get(epreuve_url + "emargement.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


def test_convocation_page_refuses_less_than_a_month(alice, client_for, cqpm_epreuve):
    epreuve, _ = cqpm_epreuve(days=10)
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/convocations/"
    r = client.post(url, {})
    assert r.status_code == 400 and "moins d&#x27;un mois" in r.content.decode()
    r = client.post(url, {"force": "on", "motif_forcage": "Session de rattrapage ajoutée"})
    assert r.status_code == 302


def test_grid_query_count_is_constant(org_a, alice, client_for, cqpm_epreuve, member_factory):
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    small, _ = cqpm_epreuve(n=5, evaluateurs=[eva.user])
    big, _ = cqpm_epreuve(n=50, evaluateurs=[eva.user])
    client = client_for(eva)
    counts = []
    for epreuve in (small, big):
        client.get(
            f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/"
        )  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/")
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert r.content.decode().count("data-cell") == 50 * len(big.capacites)
    # another page, under the « à saisir » filter: the same queries
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/o/centre-a/evaluations/epreuves/{big.public_id}/grille/?filtre=a_saisir&page=2")
    assert r.status_code == 200 and len(ctx.captured_queries) == counts[0], ctx.captured_queries


def _grid_rows(html: str) -> list[str]:
    return re.findall(r'<tr><th scope="row">([^<]+)<', html)


def test_grid_pages_of_50_and_the_a_saisir_filter(org_a, client_for, cqpm_epreuve, member_factory):
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    epreuve, dossiers = cqpm_epreuve(n=120, evaluateurs=[eva.user])
    marked = dossiers[:30]
    with tenant_context(org_a):
        for d in marked:  # every cell of 30 candidates; one cell only of a 31st
            for code in epreuve.capacites:
                services.epreuve_mark(epreuve=epreuve, dossier=d, by=eva, cible=code, valeur="acquis")
        services.epreuve_mark(
            epreuve=epreuve, dossier=dossiers[30], by=eva, cible=epreuve.capacites[0], valeur="absent"
        )
        marked_names = {d.candidate.nom_complet for d in marked}
    client = client_for(eva)
    url = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/"
    pages = [client.get(url + q).content.decode() for q in ("", "?page=2", "?page=3")]
    rows = [_grid_rows(p) for p in pages]
    assert [len(r) for r in rows] == [50, 50, 20]
    assert len(set(sum(rows, []))) == 120  # every candidate once, none twice
    assert "120 candidats" in pages[0] and "Candidats 101 à 120 sur 120" in pages[2]
    assert '<span aria-current="page">Page 3</span>' in pages[2]
    assert 'href="?page=2#grille" rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    assert "data-grid-next" in pages[0] and "data-grid-next" not in pages[2]
    assert "Tous (120)" in pages[0] and "À saisir (90)" in pages[0]
    # « à saisir »: the 90 candidates with an empty cell (the half-marked one included)
    first = client.get(url + "?filtre=a_saisir").content.decode()
    second = client.get(url + "?filtre=a_saisir&page=2").content.decode()
    todo = _grid_rows(first) + _grid_rows(second)
    assert len(_grid_rows(first)) == 50 and len(todo) == 90
    assert not marked_names & set(todo) and dossiers[30].candidate.nom_complet in todo
    assert 'href="?filtre=a_saisir&amp;page=2#grille"' in first and "Candidats 51 à 90 sur 90" in second
    # the link after the page's last candidate reloads the same page of the (shrinking) list
    assert re.search(r'href="[^"]*grille/\?filtre=a_saisir&amp;page=2" data-grid-next', second)
    # a bad page number is page 1 (not a number) or the last page (out of range), never an error
    for q, expected in (
        ("?page=abc", 1),
        ("?page=0", 3),
        ("?page=999", 3),
        ("?page=-2", 3),
        ("?filtre=zzz&page=2", 2),
    ):
        r = client.get(url + q)
        assert r.status_code == 200, q
        assert f'<span aria-current="page">Page {expected}</span>' in r.content.decode(), q


def test_grid_all_marked_and_resolution_comes_back_to_its_page(org_a, alice, client_for, cqpm_epreuve):
    epreuve, [dossier] = cqpm_epreuve(n=1)
    with tenant_context(org_a):
        for code in epreuve.capacites:
            services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=code, valeur="acquis")
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/"
    page = client.get(url + "?filtre=a_saisir").content.decode()
    assert "À saisir (0)" in page and "Tous les candidats sont saisis." in page
    r = client.post(
        url + "resoudre/",
        {
            "dossier": str(dossier.public_id),
            "cible": epreuve.capacites[0],
            "retour": "filtre=a_saisir&page=2&x=1",
        },
    )
    assert r.status_code == 302 and r["Location"] == url + "?filtre=a_saisir&page=2#grille"


def test_evaluateur_sees_only_assigned_epreuves_and_autosaves(
    org_a, alice, client_for, cqpm_epreuve, member_factory
):
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    mine, [dossier] = cqpm_epreuve(evaluateurs=[eva.user])
    other, _ = cqpm_epreuve()
    client = client_for(eva)
    page = client.get("/o/centre-a/evaluations/mes-evaluations/").content.decode()
    assert str(mine.public_id) in page and str(other.public_id) not in page
    assert client.get(f"/o/centre-a/evaluations/epreuves/{other.public_id}/grille/").status_code == 404
    url = f"/o/centre-a/evaluations/epreuves/{mine.public_id}/grille/saisie/"
    r = client.post(
        url,
        {"dossier": str(dossier.public_id), "cible": mine.capacites[0], "valeur": "acquis"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "enregistré" in r.content.decode()
    r = client.post(
        url, {"dossier": str(dossier.public_id), "cible": "ZZZ", "valeur": "acquis"}, HTTP_HX_REQUEST="true"
    )
    assert "n&#x27;est pas évalué" in r.content.decode()
    with tenant_context(org_a):
        assert Resultat.objects.get(dossier=dossier).etat == "acquis"
    # the gestionnaire's pages stay closed to the évaluateur
    assert client.get(f"/o/centre-a/evaluations/epreuves/{mine.public_id}/").status_code == 403


def test_presence_and_incident_pages(org_a, alice, client_for, cqpm_epreuve):
    epreuve, [dossier] = cqpm_epreuve()
    with tenant_context(org_a):
        inscription = InscriptionEpreuve.objects.get(epreuve=epreuve)
    client = client_for(alice)
    base = f"/o/centre-a/evaluations/inscriptions/{inscription.public_id}/"
    client.post(base + "presence/", {"presence": "absent_justifie", "motif": "arret_travail"})
    client.post(base + "incident/", {"kind": "fraude", "pv": "Antisèche", "contreseing": "signe"})
    with tenant_context(org_a):
        inscription.refresh_from_db()
        assert inscription.presence == "absent_justifie" and inscription.rattrapage_avant
        assert dossier.suivi.fraude_en_attente and not dossier.suivi.fraude  # the jury decides
    page = client.get(f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/").content.decode()
    assert "Fraude ou tentative de fraude" in page and "Absent justifié" in page


def test_readiness_view_lists_what_is_missing_and_moves_ready_dossiers(
    org_a, alice, client_for, cqpm_epreuve, referentiels
):
    epreuve, [d1, d2] = cqpm_epreuve(n=2)
    with tenant_context(org_a):
        for cap in referentiels["cqpm"].capacites.all():
            services.resultat_validate(
                resultat=services.resultat_record(dossier=d1, by=alice, capacite=cap, etat="acquis"), by=alice
            )
        services.resultat_record(
            dossier=d2, by=alice, capacite=referentiels["cqpm"].capacites.first(), etat="acquis"
        )
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/sessions/{epreuve.session.public_id}/preparation-jury/"
    page = client.get(url).content.decode()
    assert "1 dossier prêt sur 2" in page and "résultat non validé" in page
    assert client.post(url).status_code == 302
    with tenant_context(org_a):
        d1.refresh_from_db()
        d2.refresh_from_db()
    assert d1.status == "pret_pour_jury" and d2.status == "en_evaluation"


# --- the tuteur's link --------------------------------------------------------------------------


def _avis_setup(org_a, alice, referentiels, email="tuteur@entreprise.fr", nom="Candidat"):
    with tenant_context(org_a):
        tuteur = candidates_services.tuteur_create(by=alice, nom="Petit", prenom="Marc", email=email)
        dossier = inscribed_dossier(alice, referentiels["cqpm"], nom_naissance=nom)
        Dossier.objects.filter(pk=dossier.pk).update(tuteur=tuteur)
        dossier.refresh_from_db()
        avis = services.avis_request(
            dossier=dossier, by=alice, date_limite=timezone.localdate() + dt.timedelta(days=20)
        )
    return avis


def test_tuteur_link_single_use_own_candidates_only_and_locked(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        avis = _avis_setup(org_a, alice, referentiels)
    other = _avis_setup(org_a, alice, referentiels, email="autre@entreprise.fr", nom="Autre")
    message = mail.outbox[-1]
    assert message.to == ["tuteur@entreprise.fr"] and "Date limite" in message.body
    path = re.search(r"(/avis/lien/[^\s/]+/)", message.body).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Créer mon accès" in page.content.decode()
    r = client.post(
        path,
        {
            "first_name": "Marc",
            "last_name": "Petit",
            "password1": "motdepasse-solide-42",
            "password2": "motdepasse-solide-42",
        },
    )
    assert r.status_code == 302 and r["Location"].endswith(f"/avis/{avis.public_id}/")
    page = client.get(r["Location"])
    assert page.status_code == 200 and "Votre avis sur" in page.content.decode()
    # the link works once
    client.logout()
    again = client.get(path)
    assert again.status_code == 400 and "déjà été utilisé" in again.content.decode()
    # an account limited to their own candidates
    client.login(email="tuteur@entreprise.fr", password="motdepasse-solide-42")  # noqa: S106
    assert client.get(f"/o/centre-a/evaluations/avis/{other.public_id}/").status_code == 404
    assert client.get("/o/centre-a/candidats/").status_code == 403
    listing = client.get("/o/centre-a/evaluations/avis/").content.decode()
    assert str(avis.public_id) in listing and str(other.public_id) not in listing
    # submit: incomplete refused, complete accepted, then locked
    with tenant_context(org_a):
        caps = list(avis.capacites.values_list("capacite_id", flat=True))
    url = f"/o/centre-a/evaluations/avis/{avis.public_id}/"
    data = {f"avis_{c}": "favorable" for c in caps[:-1]} | {"action": "soumettre"}
    r = client.post(url, data)
    assert r.status_code == 400 and "avis manquant" in r.content.decode()
    data |= {f"avis_{caps[-1]}": "reserve", f"commentaire_{caps[-1]}": "Autonomie à confirmer"}
    assert client.post(url, data).status_code == 302
    with tenant_context(org_a):
        avis.refresh_from_db()
        assert (
            avis.soumis_le is not None
            and avis.capacites.get(capacite_id=caps[-1]).commentaire == "Autonomie à confirmer"
        )
    r = client.post(url, data | {f"avis_{caps[0]}": "defavorable"})
    assert r.status_code == 400 and "ne peut plus être modifié" in r.content.decode()
    with tenant_context(org_a):
        assert avis.capacites.get(capacite_id=caps[0]).avis == "favorable"


def test_tuteur_link_expires(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        _avis_setup(org_a, alice, referentiels)
    path = re.search(r"(/avis/lien/[^\s/]+/)", mail.outbox[-1].body).group(1)
    settings.AVIS_LINK_MAX_AGE_DAYS = -1
    r = client.get(path)
    assert r.status_code == 400 and "expiré" in r.content.decode()
    assert client.get("/avis/lien/forge/").status_code == 400


def test_reminders_fan_out_per_organisation_and_are_daily_idempotent(
    org_a, org_b, alice, referentiels, django_capture_on_commit_callbacks
):
    from evaluations.tasks import avis_reminders_dispatch

    avis = _avis_setup(org_a, alice, referentiels)
    with tenant_context(org_a):
        AvisEntreprise.objects.filter(pk=avis.pk).update(
            date_limite=timezone.localdate() + dt.timedelta(days=3)
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert avis_reminders_dispatch() == 2  # one task per centre
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Rappel")
    with django_capture_on_commit_callbacks(execute=True):
        avis_reminders_dispatch()
    assert len(mail.outbox) == 1  # not twice the same day
    with tenant_context(org_a):
        avis.refresh_from_db()
    assert avis.relances == 1


def test_beat_schedule_has_the_reminders(settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["avis-entreprise-relances"]["task"]
        == "evaluations.tasks.avis_reminders_dispatch"
    )


# --- API --------------------------------------------------------------------------------------------


def test_api_bulk_results_all_or_nothing(org_a, alice, api_for, referentiels):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
    api = api_for(alice)
    rows = [
        {
            "dossier": str(dossier.public_id),
            "bloc": "RNCP36390BC01",
            "controle_continu": "60",
            "epreuves": "80",
            "valider": True,
        },
        {
            "dossier": str(dossier.public_id),
            "bloc": "RNCP36390BC02",
            "controle_continu": "40",
            "epreuves": "999",
        },
    ]
    r = api.post("/api/v1/o/centre-a/resultats/bulk/", {"resultats": rows}, format="json")
    assert r.status_code == 400, r.json()
    assert (
        "rien n'a été enregistré" in r.json()["error"]["message"]
        and "Ligne 2" in r.json()["error"]["message"]
    )
    with tenant_context(org_a):
        assert not Resultat.objects.filter(dossier=dossier).exists()
    r = api.post("/api/v1/o/centre-a/resultats/bulk/", {"resultats": rows[:1]}, format="json")
    assert r.status_code == 201 and r.json()[0]["valide"] is True
    r = api.post(
        f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/resultats/",
        {"composante": "tuteur", "points": "51"},
        format="json",
    )
    assert r.status_code == 400 and "au plus 50" in r.json()["error"]["message"]
    r = api.get(f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/resultats/")
    assert r.status_code == 200 and r.json()["count"] == 1


def test_api_sessions_epreuves_convocations_presence(
    org_a, alice, api_for, referentiels, django_capture_on_commit_callbacks
):
    api = api_for(alice)
    ref = referentiels["rncp"]
    r = api.post(
        "/api/v1/o/centre-a/sessions/",
        {"intitule": "API", "referentiel_id": str(ref.public_id), "lieu": "Lyon"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    day = (timezone.localdate() + dt.timedelta(days=15)).isoformat()
    r = api.post(
        f"/api/v1/o/centre-a/sessions/{sid}/epreuves/",
        {
            "intitule": "Étude de cas",
            "date": day,
            "heure_debut": "14:00",
            "duree_minutes": 240,
            "bloc": "RNCP36390BC01",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["duree_tiers_temps_minutes"] == 320
    eid = r.json()["id"]
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, ref, email="x@example.org")
    r = api.post(
        f"/api/v1/o/centre-a/epreuves/{eid}/inscriptions/",
        {"dossiers": [str(dossier.public_id)]},
        format="json",
    )
    assert r.status_code == 201
    iid = r.json()[0]["id"]
    r = api.post(f"/api/v1/o/centre-a/epreuves/{eid}/convocations/", {}, format="json")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"force": [r.json()["error"]["message"]]}
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(
            f"/api/v1/o/centre-a/epreuves/{eid}/convocations/",
            {"force": True, "motif_forcage": "Report de session"},
            format="json",
        )
    assert r.status_code == 201 and r.json()[0]["forcee"] is True
    # issue 13, point 4: « A result or attendance cannot be recorded before its épreuve starts »
    presence = f"/api/v1/o/centre-a/inscriptions/{iid}/presence/"
    r = api.post(presence, {"presence": "absent_non_justifie"}, format="json")
    start = (timezone.localdate() + dt.timedelta(days=15)).strftime("%d/%m/%Y")
    assert r.status_code == 400 and r.json()["error"]["message"] == (
        f"L'épreuve « Étude de cas » commence le {start} à 14:00 : "
        "la présence ne peut pas être enregistrée avant son début."
    )
    with tenant_context(org_a):
        assert not Resultat.objects.filter(dossier=dossier).exists()
        assert InscriptionEpreuve.objects.get(public_id=iid).presence == ""
        epreuve_held(Epreuve.objects.get(public_id=eid))  # the day comes: the épreuve took place
    r = api.post(presence, {"presence": "absent_non_justifie"}, format="json")
    assert r.status_code == 200
    with tenant_context(org_a):
        r = Resultat.objects.get(dossier=dossier)
        assert r.epreuves is None and r.absence_non_justifiee  # the absence, not a 0
    r = api.get(f"/api/v1/o/centre-a/sessions/{sid}/readiness/")
    assert r.status_code == 200 and r.json()[0]["ready"] is False


def test_api_avis_request_and_tuteur_submission(org_a, alice, api_for, referentiels, member_factory):
    avis = _avis_setup(org_a, alice, referentiels)
    tuteur = member_factory(org_a, Role.TUTEUR, "tuteur@entreprise.fr")
    api = api_for(tuteur)
    r = api.get("/api/v1/o/centre-a/avis/")
    assert r.status_code == 200 and r.json()["count"] == 1
    caps = [c["capacite_id"] for c in r.json()["results"][0]["capacites"]]
    body = {"capacites": [{"capacite_id": c, "avis": "favorable"} for c in caps], "soumettre": True}
    r = api.post(f"/api/v1/o/centre-a/avis/{avis.public_id}/", body, format="json")
    assert r.status_code == 200 and r.json()["soumis_le"]
    r = api.post(f"/api/v1/o/centre-a/avis/{avis.public_id}/", body, format="json")
    assert r.status_code == 400 and "ne peut plus être modifié" in r.json()["error"]["message"]


def test_epreuve_in_other_org_is_invisible(org_a, org_b, alice, bob, api_for, cqpm_epreuve):
    epreuve, _ = cqpm_epreuve()
    assert api_for(bob).get(f"/api/v1/o/centre-b/epreuves/{epreuve.public_id}/").status_code == 404
    with tenant_context(org_b):
        assert not Epreuve.objects.exists()


def test_dashboard_panels(org_a, alice, client_for, cqpm_epreuve, member_factory, referentiels):
    eva = member_factory(org_a, Role.EVALUATEUR, "eva@test.local")
    epreuve, _ = cqpm_epreuve(days=60, evaluateurs=[eva.user])
    assert "Prochaines épreuves" in client_for(alice).get("/o/centre-a/").content.decode()
    page = client_for(eva).get("/o/centre-a/").content.decode()
    assert "Épreuves à noter" in page and str(epreuve.public_id) in page
    _avis_setup(org_a, alice, referentiels)
    tuteur = member_factory(org_a, Role.TUTEUR, "tuteur@entreprise.fr")
    assert "Avis de l'entreprise à donner" in client_for(tuteur).get("/o/centre-a/").content.decode()


def test_dossier_results_page_shows_history_penalty_and_validation(org_a, alice, client_for, referentiels):
    from tests.builders import RNCP_FULL, rncp_results

    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
        rncp_results(dossier, alice, blocs=RNCP_FULL, tuteur=40, validate=False)
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/dossiers/{dossier.public_id}/resultats/"
    assert client.post(url, {"action": "suivi", "taux_absence": "3.2"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Note tuteur 40/50, taux d&#x27;absence 3,2 % → pénalité 10 % → 36/50" in page
    assert "Bloc RNCP36390BC01 : résultat non validé." in page
    with tenant_context(org_a):
        r = Resultat.objects.filter(dossier=dossier, kind="bloc").first()
    assert client.post(url, {"action": "valider", "resultat": str(r.public_id)}).status_code == 302
    with tenant_context(org_a):
        r.refresh_from_db()
    assert r.valide
