"""Issue 20: the candidate is e-mailed when their rattrapage request window opens and when it is
about to close. The window is the typed règle's — seed 004: « Le candidat a la possibilité de
repasser les blocs non validés, une seule fois par bloc, dans un délai de 5 ans. » Celery beat
(``followup_run``) like the other reminders; non-mandatory (the unsubscribe holds); French, with
the civilité."""

import datetime as dt

from django.core import mail
from django.test import Client
from django.urls import reverse

from espace_candidat import services
from espace_candidat.models import CandidateAccess, CandidateNotification, RattrapageRequest
from juries import services as js
from tests.espace_candidat.conftest import invite

LIMIT = dt.date(2031, 6, 12)  # the jury of 12/06/2026 + « un délai de 5 ans »
TODAY = dt.date(2026, 12, 7)


def _rattrapage_mails():
    return [m for m in mail.outbox if m.to == ["paul.partiel@test.local"]]


def test_no_notice_before_the_results_are_published(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    invite(org_a, partiel.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rattrapage_windows_notify(today=TODAY) == {"ouvertures": 0, "clotures": 0}
    assert mail.outbox == [] and not CandidateNotification.objects.filter(kind="rattrapage").exists()


def test_opening_notice_once_with_the_blocs_and_the_limit(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    invite(org_a, admis.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rattrapage_windows_notify(today=TODAY) == {"ouvertures": 1, "clotures": 0}
        assert services.rattrapage_windows_notify(today=TODAY) == {"ouvertures": 0, "clotures": 0}
    (notice,) = mail.outbox  # the certified candidate has nothing to retake
    assert notice.to == ["paul.partiel@test.local"]
    # the certification by its intitulé (no registration known here): never the platform's code
    assert notice.subject == f"Rattrapage : vous pouvez en faire la demande — {partiel.referentiel.intitule}"
    assert "RNCP36390" not in notice.subject
    bloc = partiel.referentiel.blocs.get(code="RNCP36390BC02")
    assert notice.body.startswith("Bonjour Monsieur PARTIEL,")
    assert "jusqu'au 12/06/2031" in notice.body
    assert f"– RNCP36390BC02 — {bloc.intitule}" in notice.body
    assert "RNCP36390BC01" not in notice.body  # validated: not to retake
    assert "certificat médical, arrêt de travail" in notice.body
    assert f"/espace/dossiers/{partiel.public_id}/rattrapage/" in notice.body
    assert "Désabonnez-vous" in notice.body  # non-mandatory


def test_closing_notice_before_the_limit_then_nothing_after_it(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # 31 days before: not yet « about to close »; the opening notice goes
        assert services.rattrapage_windows_notify(today=LIMIT - dt.timedelta(days=31))["clotures"] == 0
        assert services.rattrapage_windows_notify(today=LIMIT - dt.timedelta(days=10)) == {
            "ouvertures": 0,
            "clotures": 1,
        }
        assert services.rattrapage_windows_notify(today=LIMIT - dt.timedelta(days=3))["clotures"] == 0
        # the window is closed the day after the limit: nothing more
        assert services.rattrapage_windows_notify(today=LIMIT + dt.timedelta(days=1)) == {
            "ouvertures": 0,
            "clotures": 0,
        }
    opening, closing = _rattrapage_mails()
    assert "vous pouvez en faire la demande" in opening.subject
    assert closing.subject == (
        f"Rattrapage : plus que 10 jours pour en faire la demande — {partiel.referentiel.intitule}"
    )
    assert "se termine le 12/06/2031" in closing.body and closing.body.startswith("Bonjour Monsieur")


def test_unsubscribed_candidate_gets_no_notice_and_nothing_is_written(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    user = CandidateAccess.objects.get(candidate=partiel.candidate).user
    services.unsubscribe(services.unsubscribe_token(user))
    before = CandidateNotification.objects.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rattrapage_windows_notify(today=TODAY) == {"ouvertures": 0, "clotures": 0}
    assert mail.outbox == [] and CandidateNotification.objects.count() == before
    # a forged unsubscribe link: a French message, nothing written
    response = Client().post(reverse("espace_unsubscribe", args=["faux-jeton"]))
    assert response.status_code == 400 and "Lien de désabonnement invalide." in response.content.decode()


def test_a_pending_request_silences_the_notices(sitting, alice, org_a, django_capture_on_commit_callbacks):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    user = CandidateAccess.objects.get(candidate=partiel.candidate).user
    services.rattrapage_request(
        dossier=partiel, by=user, motif="certificat_medical", justification="Hospitalisé la veille."
    )
    assert RattrapageRequest.objects.count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rattrapage_windows_notify(today=LIMIT - dt.timedelta(days=5)) == {
            "ouvertures": 0,
            "clotures": 0,
        }
    assert _rattrapage_mails() == []


def test_the_beat_sends_the_opening_notice(sitting, alice, org_a, django_capture_on_commit_callbacks):
    """Celery beat « suivi-candidats » → one ``followup_run`` per centre → the notices."""
    from espace_candidat.tasks import followup_dispatch

    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        followup_dispatch()
    assert [m.subject for m in _rattrapage_mails()] == [
        f"Rattrapage : vous pouvez en faire la demande — {partiel.referentiel.intitule}"
    ]


def test_subjects_name_the_certification_with_its_registration_number_only(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    """Issue 13, point 2: « Nothing on a document is ever an internal code or slug » — nor in an
    e-mail subject: the intitulé, and the RNCP number where the certification is registered."""
    from referentiels.models import Enregistrement

    jury, admis, partiel = sitting
    ref = partiel.referentiel
    Enregistrement.objects.create(
        certificateur=ref.certificateur,
        code=ref.code,
        repertoire="RNCP",
        numero="RNCP36390",
        date_decision=dt.date(2022, 3, 31),
        duree_ans=5,
        source="saisie",
    )
    invite(org_a, partiel.candidate, alice)
    invite(org_a, admis.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        js.jury_results_publish(jury=jury, by=alice)
        services.rattrapage_windows_notify(today=TODAY)
    subjects = sorted(m.subject for m in mail.outbox if m.to == ["paul.partiel@test.local"])
    assert subjects == [
        f"Rattrapage : vous pouvez en faire la demande — {ref.intitule} (RNCP36390)",
        f"Vos résultats sont publiés — {ref.intitule} (RNCP36390)",
    ]
