"""A correcteur does not settle their own disagreement (the commission does), the kept tuteur grade,
fixed fields of an épreuve, extending an avis request: the pages and API."""

from evaluations.models import CorrectionResolution
from organisations.tenancy import tenant_context
from tests.evaluations import test_api_edit_delete, test_commission_grid_resolution_bad_input

planned = test_api_edit_delete.planned
disagreement = test_commission_grid_resolution_bad_input.disagreement
API = "/api/v1/o/centre-a"


# --- a correcteur does not settle their own disagreement -----------------------------------------


def test_grid_offers_the_resolution_to_the_commission_not_to_the_correcteurs(
    org_a, alice, client_for, disagreement
):
    d = disagreement
    url = f"/o/centre-a/evaluations/epreuves/{d['epreuve'].public_id}/grille/"
    page = client_for(d["eva1"]).get(url).content.decode()
    assert "Désaccord" in page and "à trancher par la commission" in page
    assert "grille/resoudre/" not in page
    page = client_for(alice).get(url).content.decode()
    assert "grille/resoudre/" in page and "à trancher par la commission" not in page


def test_a_correcteur_resolving_on_the_page_gets_a_message_and_nothing_is_written(
    org_a, client_for, disagreement
):
    d = disagreement
    r = client_for(d["eva2"]).post(
        f"/o/centre-a/evaluations/epreuves/{d['epreuve'].public_id}/grille/resoudre/",
        {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "valeur": "non_acquis", "motif": "Moi"},
        follow=True,
    )
    assert "Vous êtes correcteur de cette épreuve" in r.content.decode()
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 0


def test_a_correcteur_resolving_through_the_api_gets_a_french_400(api_for, disagreement):
    d = disagreement
    r = api_for(d["eva1"]).post(
        f"{API}/epreuves/{d['epreuve'].public_id}/resolutions/",
        {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "valeur": "acquis", "motif": "x"},
        format="json",
    )
    assert r.status_code == 400 and "commission d" in r.content.decode()


# --- rattrapage: the kept tuteur grade is refused everywhere --------------------------------------


def test_kept_tuteur_grade_refused_through_the_api_and_other_composantes_still_marked(
    org_a, alice, referentiels, api_for
):
    from candidates import services as candidates_services
    from candidates.models import Dossier
    from evaluations.models import Resultat
    from evaluations.services import resultat_record
    from tests.builders import rncp_partiel_first_attempt

    with tenant_context(org_a):
        first = rncp_partiel_first_attempt(alice, referentiels["rncp"], tuteur=42)
        retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
        retake = candidates_services.dossier_transition(dossier=retake, to=Dossier.Status.INSCRIT, by=alice)
        ecrit = resultat_record(dossier=retake, by=alice, composante="ecrit", points=80)
        assert ecrit.points == 80
    r = api_for(alice).post(
        f"{API}/dossiers/{retake.public_id}/resultats/",
        {"composante": "tuteur", "points": "10"},
        format="json",
    )
    assert r.status_code == 400 and "conserve le bénéfice de sa note de tuteur" in r.content.decode()
    with tenant_context(org_a):
        kept = Resultat.objects.get(dossier=retake, composante="tuteur")
        assert kept.points == 42 and kept.valide


# --- PATCH refuses what it cannot change ------------------------------------------------------------


def test_patch_naming_a_fixed_or_unknown_field_is_400_and_writes_nothing(org_a, alice, api_for, planned):
    from evaluations.models import Epreuve, SessionExamen

    session, epreuve, _ = planned()
    api = api_for(alice)
    url = f"{API}/epreuves/{epreuve.public_id}/"
    with tenant_context(org_a):
        before = Epreuve.objects.values().get(pk=epreuve.pk)
    r = api.patch(url, {"capacites": ["1"], "intitule": "Nouvel intitulé"}, format="json")
    assert r.status_code == 400
    body = r.content.decode()
    assert "capacites" in body and "supprimez l'épreuve et recréez-la" in body
    r = api.patch(url, {"intitul": "Faute de frappe"}, format="json")
    assert r.status_code == 400 and "intitul" in r.content.decode() and "inconnu" in r.content.decode()
    r = api.patch(url, {"duree_minutes": 0, "bloc": "X"}, format="json")
    assert r.status_code == 400 and "duree_minutes" in r.content.decode() and "bloc" in r.content.decode()
    with tenant_context(org_a):
        assert Epreuve.objects.values().get(pk=epreuve.pk) == before
    # what is editable still is
    assert api.patch(url, {"intitule": "Nouvel intitulé"}, format="json").status_code == 200
    r = api.patch(f"{API}/sessions/{session.public_id}/", {"referentiel": "autre"}, format="json")
    assert r.status_code == 400 and "referentiel" in r.content.decode()
    with tenant_context(org_a):
        assert SessionExamen.objects.get(pk=session.pk).referentiel_id == session.referentiel_id


# --- avis de l'entreprise: prolonger et renvoyer le lien ---------------------------------------------


def _link(message) -> str:
    import re

    return re.search(r"(/avis/lien/[^\s/]+/)", message.body).group(1)


def _expired_avis(org_a, alice, referentiels, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from evaluations.models import AvisEntreprise
    from tests.evaluations.test_pages_and_api import _avis_setup

    with django_capture_on_commit_callbacks(execute=True):
        avis = _avis_setup(org_a, alice, referentiels)
    old_link = _link(mail.outbox[-1])
    with tenant_context(org_a):
        AvisEntreprise.objects.filter(pk=avis.pk).update(
            date_limite=timezone.localdate() - dt.timedelta(days=1)
        )
        avis.refresh_from_db()
    mail.outbox.clear()
    return avis, old_link


def test_avis_extend_sends_a_fresh_link_and_the_old_one_stops_working(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from evaluations import services
    from organisations.models import AuditEvent

    avis, old_link = _expired_avis(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    r = client.get(old_link)
    assert r.status_code == 400 and "date limite de cet avis est dépassée" in r.content.decode()
    new_date = timezone.localdate() + dt.timedelta(days=15)
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        avis = services.avis_extend(avis=avis, by=alice, date_limite=new_date)
        assert avis.prolongations == 1 and avis.date_limite == new_date
        event = AuditEvent.objects.get(action="avis.extend")
        assert new_date.strftime("%d/%m/%Y") in event.message
    [message] = mail.outbox
    assert message.to == ["tuteur@entreprise.fr"] and new_date.strftime("%d/%m/%Y") in message.body
    new_link = _link(message)
    assert new_link != old_link
    r = client.get(old_link)
    assert r.status_code == 400 and "remplacé par un nouveau lien" in r.content.decode()
    r = client.get(new_link)
    assert r.status_code == 200 and "Créer mon accès" in r.content.decode()


def test_avis_extend_refusals_write_nothing(org_a, alice, referentiels, django_capture_on_commit_callbacks):
    import datetime as dt

    import pytest
    from django.core import mail
    from django.utils import timezone

    from core.errors import ApplicationError
    from evaluations import services
    from evaluations.models import AvisEntreprise

    avis, _ = _expired_avis(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    today = timezone.localdate()
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        for day, text in ((today, "dans le futur"), (today - dt.timedelta(days=3), "dans le futur")):
            with pytest.raises(ApplicationError, match=text) as exc:
                services.avis_extend(avis=avis, by=alice, date_limite=day)
            assert exc.value.field == "date_limite"
        # not earlier than a deadline still running
        services.avis_extend(avis=avis, by=alice, date_limite=today + dt.timedelta(days=20))
    assert len(mail.outbox) == 1
    with tenant_context(org_a):
        with pytest.raises(ApplicationError, match="ne peut pas avancer"):
            services.avis_extend(avis=avis, by=alice, date_limite=today + dt.timedelta(days=10))
        # a transmitted avis is locked
        AvisEntreprise.objects.filter(pk=avis.pk).update(soumis_le=timezone.now())
        with pytest.raises(ApplicationError, match="verrouillé"):
            services.avis_extend(avis=avis, by=alice, date_limite=today + dt.timedelta(days=30))
        avis.refresh_from_db()
        assert avis.prolongations == 1 and avis.lien_version == 2
        assert avis.date_limite == today + dt.timedelta(days=20)


def test_avis_requests_page_extends_with_a_message(
    org_a, alice, referentiels, client_for, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    avis, _ = _expired_avis(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    client = client_for(alice)
    page = client.get("/o/centre-a/evaluations/avis/demandes/").content.decode()
    assert "date limite dépassée" in page and "Prolonger et renvoyer le lien" in page
    url = f"/o/centre-a/evaluations/avis/{avis.public_id}/prolonger/"
    r = client.post(url, {"date_limite": "31/02/2026"}, follow=True)
    assert "indiquez une date" in r.content.decode()
    r = client.post(url, {"date_limite": timezone.localdate().isoformat()}, follow=True)
    assert "dans le futur" in r.content.decode()
    assert not mail.outbox
    new_date = timezone.localdate() + dt.timedelta(days=15)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"date_limite": new_date.strftime("%d/%m/%Y")}, follow=True)
    assert f"Date limite reportée au {new_date:%d/%m/%Y}" in r.content.decode()
    assert len(mail.outbox) == 1
    assert (
        client.post(
            "/o/centre-a/evaluations/avis/00000000-0000-0000-0000-000000000000/prolonger/",
            {"date_limite": new_date.isoformat()},
        ).status_code
        == 404
    )


def test_avis_extend_api(org_a, alice, bob, api_for, referentiels, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    avis, _ = _expired_avis(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    url = f"{API}/avis/{avis.public_id}/prolongation/"
    api = api_for(alice)
    for payload in ({}, {"date_limite": "demain"}, {"date_limite": timezone.localdate().isoformat()}):
        r = api.post(url, payload, format="json")
        assert r.status_code == 400 and "date_limite" in r.content.decode(), (payload, r.content)
    r = api.post(url, {"date_limite": "2999-01-01", "tuteur": "x@y.fr"}, format="json")
    assert r.status_code == 400 and "tuteur" in r.content.decode()
    assert not mail.outbox
    new_date = timezone.localdate() + dt.timedelta(days=15)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(url, {"date_limite": new_date.isoformat()}, format="json")
    assert r.status_code == 200 and r.json()["date_limite"] == new_date.isoformat()
    assert r.json()["prolongations"] == 1 and len(mail.outbox) == 1
    r = api_for(bob).post(
        f"/api/v1/o/centre-b/avis/{avis.public_id}/prolongation/",
        {"date_limite": "2999-01-01"},
        format="json",
    )
    assert r.status_code == 404
