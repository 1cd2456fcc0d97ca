"""Time is truth for évaluations (issue 13, point 4): « A result or attendance cannot be recorded
before its épreuve starts … nothing is ever dated in the future. Clear messages; nothing written. »

Every path that records what happened at an épreuve — the évaluateur's grid (page, API), a result
entered on its own (API, bulk), double marking, attendance and incidents (page, API) — is refused
before the épreuve's date and start time, with a French message naming them, and writes nothing.

The contrôle continu is not held to the bloc's épreuve: seed 004, « Procédure d'évaluation des
modules de formation » — « Les épreuves d'évaluation des modules de formation sont conçues et
gérées par les centres de formation sous forme de contrôles continus », and « Les notes de contrôle
continu sont divulguées au fur et à mesure des évaluations »: they are marked during the training,
before the bloc's épreuve, and the CSV import of a session (contrôle continu only) stays open.
"""

import datetime as dt
import json

import pytest
from django.utils import timezone

from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations import services
from evaluations.controle_continu import session_import
from evaluations.models import Correction, Incident, InscriptionEpreuve, Resultat, ResultatChange
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.builders import epreuve_held, scheduled_epreuve
from tests.evaluations.conftest import inscribed_dossier

API = "/api/v1/o/centre-a"
IN_20_DAYS = 20


def _start(epreuve) -> str:
    return f"le {epreuve.date:%d/%m/%Y} à {epreuve.heure_debut:%H:%M}"


def _refused(epreuve, what: str) -> str:
    return f"L'épreuve « {epreuve.intitule} » commence {_start(epreuve)} : {what} avant son début."


def _nothing_written(dossier, inscription=None):
    assert not Resultat.objects.filter(dossier=dossier).exists()
    assert not ResultatChange.objects.filter(resultat__dossier=dossier).exists()
    assert not Correction.objects.filter(dossier=dossier).exists()
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.INSCRIT  # the first result would have moved it
    if inscription is not None:
        inscription.refresh_from_db()
        assert inscription.presence == "" and inscription.presence_le is None
        assert not Incident.objects.filter(inscription=inscription).exists()


@pytest.fixture
def cqpm_future(in_a, alice, referentiels):
    """A CQPM épreuve in 20 days on two capacités, one candidate."""
    ref = referentiels["cqpm"]
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
    caps = list(ref.capacites.all()[:2])
    epreuve = scheduled_epreuve(session, alice, days=IN_20_DAYS, capacites=[c.code for c in caps])
    dossier = inscribed_dossier(alice, ref, email="lea@example.org")
    [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    return {"epreuve": epreuve, "dossier": dossier, "inscription": inscription, "caps": caps}


def test_grid_mark_attendance_and_incident_refused_before_the_epreuve_then_accepted(alice, cqpm_future):
    e, dossier, inscription, caps = (cqpm_future[k] for k in ("epreuve", "dossier", "inscription", "caps"))
    with pytest.raises(ApplicationError) as exc:
        services.epreuve_mark(epreuve=e, dossier=dossier, by=alice, cible=caps[0].code, valeur="acquis")
    assert exc.value.message == _refused(e, "aucun résultat ne peut être saisi")
    with pytest.raises(ApplicationError) as exc:
        services.presence_record(inscription=inscription, by=alice, presence="absent_non_justifie")
    assert exc.value.message == _refused(e, "la présence ne peut pas être enregistrée")
    with pytest.raises(ApplicationError) as exc:
        services.incident_record(
            inscription=inscription, by=alice, kind="fraude", pv="Téléphone consulté", contreseing="refus"
        )
    assert exc.value.message == _refused(e, "aucun incident ne peut y être consigné")
    _nothing_written(dossier, inscription)
    assert not hasattr(dossier, "suivi") or not dossier.suivi.fraude

    epreuve_held(e)  # the day comes
    services.presence_record(inscription=inscription, by=alice, presence="present")
    services.epreuve_mark(epreuve=e, dossier=dossier, by=alice, cible=caps[0].code, valeur="acquis")
    assert Resultat.objects.get(dossier=dossier, capacite=caps[0]).etat == "acquis"


def test_the_start_is_the_hour_not_the_day(in_a, alice, referentiels):
    """An épreuve later today is still to come: the date and the start time count."""
    ref = referentiels["cqpm"]
    now = timezone.localtime()
    start = now + dt.timedelta(hours=2)
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
    cap = ref.capacites.first()
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Soutenance de l'après-midi",
        date=start.date(),
        heure_debut=start.time().replace(second=0, microsecond=0),
        duree_minutes=60,
        capacites=[cap.code],
    )
    dossier = inscribed_dossier(alice, ref)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError, match=f"commence {_start(epreuve)}"):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=cap.code, valeur="acquis")
    _nothing_written(dossier)


def test_a_result_without_its_epreuve_waits_for_the_first_one_that_covers_it(in_a, alice, referentiels):
    """Entered on its own (results API): refused while every épreuve of the dossier covering the
    capacité is to come; accepted once one of them has started, or when none covers it."""
    ref = referentiels["cqpm"]
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
    cap1, cap2, cap3 = list(ref.capacites.all()[:3])
    later = scheduled_epreuve(session, alice, days=30, capacites=[cap1.code, cap2.code])
    sooner = scheduled_epreuve(session, alice, days=IN_20_DAYS, capacites=[cap1.code])
    dossier = inscribed_dossier(alice, ref)
    services.epreuve_candidats_add(epreuve=later, by=alice, dossiers=[dossier])
    services.epreuve_candidats_add(epreuve=sooner, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError) as exc:
        services.resultat_record(dossier=dossier, by=alice, capacite=cap1, etat="acquis")
    assert exc.value.message == _refused(sooner, "aucun résultat ne peut être saisi")  # the first one
    _nothing_written(dossier)
    # a capacité no épreuve of the dossier covers is not tied to a date
    services.resultat_record(dossier=dossier, by=alice, capacite=cap3, etat="acquis")
    epreuve_held(sooner)
    services.resultat_record(dossier=dossier, by=alice, capacite=cap1, etat="acquis")
    with pytest.raises(ApplicationError, match="aucun résultat ne peut être saisi"):
        services.resultat_record(dossier=dossier, by=alice, capacite=cap2, etat="acquis")


def test_double_marking_correction_refused_before_the_epreuve(in_a, alice, referentiels, member_factory):
    ref = referentiels["cqpm"]
    e1 = member_factory(alice.organisation, Role.EVALUATEUR, "eva1@test.local")
    e2 = member_factory(alice.organisation, Role.EVALUATEUR, "eva2@test.local")
    session = services.session_create(by=alice, referentiel=ref, intitule="Double", lieu="Paris")
    cap = ref.capacites.first()
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Soutenance",
        date=timezone.localdate() + dt.timedelta(days=IN_20_DAYS),
        heure_debut=dt.time(9),
        duree_minutes=60,
        capacites=[cap.code],
        double_correction=True,
        evaluateurs=[e1.user, e2.user],
    )
    dossier = inscribed_dossier(alice, ref)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError) as exc:
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=e1, cible=cap.code, valeur="acquis")
    assert exc.value.message == _refused(epreuve, "aucune correction ne peut être saisie")
    _nothing_written(dossier)


def test_rncp_bloc_epreuves_mark_and_absence_wait_but_the_controle_continu_does_not(
    in_a, alice, referentiels
):
    """Seed 004: « Les épreuves d'évaluation des modules de formation sont conçues et gérées par
    les centres de formation sous forme de contrôles continus » — the contrôle continu precedes
    the bloc's épreuve; the épreuves' mark and an absence at it do not."""
    ref = referentiels["rncp"]
    bloc = ref.blocs.get(code="RNCP36390BC01")
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Lyon")
    epreuve = scheduled_epreuve(session, alice, days=IN_20_DAYS, bloc=bloc)
    dossier = inscribed_dossier(alice, ref)
    [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    for kwargs in (
        {"epreuves": "80"},
        {"absence_non_justifiee": True},
        {"controle_continu": 50, "epreuves": 80},
    ):
        with pytest.raises(ApplicationError, match="aucun résultat ne peut être saisi avant son début"):
            services.resultat_record(dossier=dossier, by=alice, bloc=bloc, **kwargs)
    with pytest.raises(ApplicationError, match="aucun résultat"):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=bloc.code, valeur="80")
    with pytest.raises(ApplicationError, match="la présence ne peut pas"):
        services.presence_record(inscription=inscription, by=alice, presence="absent_non_justifie")
    _nothing_written(dossier, inscription)
    # the contrôle continu: from the results page's service, the grid's « Contrôle continu » column
    # and the session's CSV import
    services.resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu=50)
    services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=f"cc:{bloc.code}", valeur="55")
    csv = f"dossier;nom;prénom;Bloc {bloc.code} (sur 100)\n{dossier.public_id};Durand;Léa;60\n"
    report = session_import(session=session, by=alice, data=csv.encode(), file_format="csv", dry_run=False)
    assert not report.error, report.error
    r = Resultat.objects.get(dossier=dossier, bloc=bloc)
    assert r.controle_continu == 60 and r.epreuves is None and not r.absence_non_justifiee


def test_pages_say_why_and_write_nothing(org_a, alice, client_for, referentiels):
    with tenant_context(org_a):
        ref = referentiels["cqpm"]
        session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
        cap = ref.capacites.first()
        epreuve = scheduled_epreuve(session, alice, days=IN_20_DAYS, capacites=[cap.code])
        dossier = inscribed_dossier(alice, ref)
        [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    client = client_for(alice)
    grid = client.get(f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/").content.decode()
    assert (
        f"L'épreuve commence {_start(epreuve)} : ses résultats se saisissent à partir de son début." in grid
    )
    detail = client.get(f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/").content.decode()
    assert "la présence, les absences et les incidents s'enregistrent à partir de son début" in detail
    cell = client.post(
        f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/saisie/",
        {"dossier": str(dossier.public_id), "cible": cap.code, "valeur": "acquis"},
        HTTP_HX_REQUEST="true",
    )
    assert f"commence {_start(epreuve)}" in cell.content.decode().replace("&#x27;", "'")
    base = f"/o/centre-a/evaluations/inscriptions/{inscription.public_id}/"
    page = client.post(base + "presence/", {"presence": "present"}, follow=True).content.decode()
    assert _refused(epreuve, "la présence ne peut pas être enregistrée") in page.replace("&#x27;", "'")
    page = client.post(
        base + "incident/", {"kind": "fraude", "pv": "Antisèche", "contreseing": "signe"}, follow=True
    ).content.decode()
    assert _refused(epreuve, "aucun incident ne peut y être consigné") in page.replace("&#x27;", "'")
    with tenant_context(org_a):
        _nothing_written(dossier, inscription)


def test_api_answers_a_french_400_and_writes_nothing(org_a, alice, api_for, referentiels):
    with tenant_context(org_a):
        ref = referentiels["cqpm"]
        session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
        cap = ref.capacites.first()
        epreuve = scheduled_epreuve(session, alice, days=IN_20_DAYS, capacites=[cap.code])
        dossier = inscribed_dossier(alice, ref)
        [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    api = api_for(alice)
    calls = [
        (
            f"{API}/epreuves/{epreuve.public_id}/marks/",
            {"dossier": str(dossier.public_id), "cible": cap.code, "valeur": "acquis"},
            "aucun résultat ne peut être saisi",
        ),
        (
            f"{API}/dossiers/{dossier.public_id}/resultats/",
            {"capacite": cap.code, "etat": "acquis"},
            "aucun résultat ne peut être saisi",
        ),
        (
            f"{API}/inscriptions/{inscription.public_id}/presence/",
            {"presence": "present"},
            "la présence ne peut pas être enregistrée",
        ),
        (
            f"{API}/inscriptions/{inscription.public_id}/incidents/",
            {"kind": "autre", "pv": "Retard", "contreseing": "signe"},
            "aucun incident ne peut y être consigné",
        ),
    ]
    for url, body, what in calls:
        r = api.post(url, body, format="json")
        assert r.status_code == 400, (url, r.content)
        assert r.json()["error"]["message"] == _refused(epreuve, what), url
    r = api.post(
        f"{API}/resultats/bulk/",
        {"resultats": [{"dossier": str(dossier.public_id), "capacite": cap.code, "etat": "acquis"}]},
        format="json",
    )
    assert r.status_code == 400
    message = json.dumps(r.json(), ensure_ascii=False)
    assert (
        "rien n'a été enregistré" in message
        and _refused(epreuve, "aucun résultat ne peut être saisi") in message
    )
    with tenant_context(org_a):
        _nothing_written(dossier, inscription)
        assert not InscriptionEpreuve.objects.exclude(presence="").exists()


def test_an_epreuve_that_took_place_is_not_moved_ahead(alice, cqpm_future):
    """Its records would precede it: refused with the reason, nothing changed; moving it within
    the past, or moving one with only convocations, stays possible."""
    e, dossier, inscription = (cqpm_future[k] for k in ("epreuve", "dossier", "inscription"))
    ahead = timezone.localdate() + dt.timedelta(days=IN_20_DAYS)
    services.epreuve_update(epreuve=e, by=alice, date=ahead + dt.timedelta(days=1))  # nothing recorded
    epreuve_held(e)
    services.presence_record(inscription=inscription, by=alice, presence="present")
    with pytest.raises(ApplicationError) as exc:
        services.epreuve_update(epreuve=e, by=alice, date=ahead)
    assert exc.value.message == (
        "L'épreuve a déjà eu lieu (des présences ou incidents enregistrés) : elle ne peut pas être "
        f"déplacée au {ahead:%d/%m/%Y} à 09:00, encore à venir."
    )
    e.refresh_from_db()
    assert e.date == timezone.localdate() - dt.timedelta(days=1)
    services.epreuve_update(epreuve=e, by=alice, date=timezone.localdate() - dt.timedelta(days=2))
