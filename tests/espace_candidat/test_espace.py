"""The candidate's space: invitation, sign-in by code, own dossiers only, results as seed 004 §8
allows, documents and credential, requests to the centre, notifications."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from candidates.models import Candidate, Dossier
from core.errors import ApplicationError
from espace_candidat import selectors, services
from espace_candidat.models import CandidateAccess, CandidateNotification, Enquete, IdentityCorrection
from juries import services as js
from organisations.models import Membership
from organisations.roles import Role, has_capability
from organisations.tenancy import tenant_context
from tests.espace_candidat.conftest import invite


def _login_by_code(client: Client, email: str) -> None:
    """allauth « login by code »: ask for a code at the address, type the code from the e-mail."""
    mail.outbox.clear()
    response = client.post(reverse("account_request_login_code"), {"email": email})
    assert response.status_code == 302, response.content[:500]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]
    code = re.search(r"^\s*([A-Z0-9-]{6,9})\s*$", mail.outbox[0].body, re.M).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302, response.content[:500]


def test_candidate_role_holds_no_capability_of_the_centre():
    staff = [
        c
        for c in __import__("organisations.roles", fromlist=["x"]).CAPABILITIES
        if not c.startswith("espace.")
    ]
    assert not any(has_capability(Role.CANDIDAT, c) for c in staff)
    assert has_capability(Role.CANDIDAT, "espace.view") and has_capability(Role.CANDIDAT, "espace.act")
    assert not has_capability(Role.GESTIONNAIRE, "espace.view")


def test_invitation_then_sign_in_by_code_sees_own_dossier_only(
    sitting, alice, org_a, client, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    with django_capture_on_commit_callbacks(execute=True):
        c = Client()
        c.force_login(alice.user)
        response = c.post(
            reverse(
                "espace_invite", kwargs={"org_slug": org_a.slug, "candidate_id": admis.candidate.public_id}
            )
        )
    assert response.status_code == 302
    invitation = [m for m in mail.outbox if m.to == ["lea.admis@test.local"]][-1]
    assert invitation.body.startswith("Bonjour Madame ADMIS,")
    assert "code de connexion" in invitation.body and "/comptes/login/code/" in invitation.body
    access = CandidateAccess.objects.get(candidate=admis.candidate)
    assert Membership.objects.get(user=access.user, organisation=org_a).role == Role.CANDIDAT
    assert not access.user.has_usable_password()

    _login_by_code(client, "lea.admis@test.local")
    home = client.get(reverse("espace_home"))
    assert home.status_code == 200
    text = home.content.decode()
    assert "Assistant" in text and org_a.name in text
    assert "Partiel" not in text
    # own dossier: yes; the other candidate's dossier of the same centre: 404
    own = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    )
    assert own.status_code == 200
    other = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": partiel.public_id})
    )
    assert other.status_code == 404
    # nothing else of the centre: its pages and its API answer 403
    assert client.get(f"/o/{org_a.slug}/").status_code == 403
    assert client.get(f"/o/{org_a.slug}/candidats/").status_code == 403
    assert client.get(f"/api/v1/o/{org_a.slug}/dossiers/").status_code == 403
    # « / » sends a candidate to their space
    assert client.get("/")["Location"] == reverse("espace_home")


def test_invitation_refusals_write_nothing(sitting, alice, org_a):
    jury, admis, partiel = sitting
    cand = admis.candidate
    Candidate.objects.filter(pk=cand.pk).update(email="")
    cand.refresh_from_db()
    with pytest.raises(ApplicationError, match="pas d'adresse e-mail"):
        invite(org_a, cand, alice)
    # a member of the centre cannot also be its candidate (their role would be downgraded)
    Candidate.objects.filter(pk=cand.pk).update(email=alice.user.email)
    cand.refresh_from_db()
    with pytest.raises(ApplicationError, match="déjà membre du centre"):
        invite(org_a, cand, alice)
    assert Membership.objects.get(user=alice.user, organisation=org_a).role == Role.GESTIONNAIRE
    assert not CandidateAccess.objects.exists()


def test_one_person_across_two_centres_each_read_under_its_tenancy(
    sitting, alice, org_a, org_b, referentiels, bob
):
    """One user, a Candidate row in each centre: the home lists both, each under its own tenant."""
    from referentiels.services import habilitation_grant
    from tests.evaluations.conftest import inscribed_dossier

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    habilitation_grant(
        certificateur=referentiels["rncp"].certificateur,
        centre=org_b,
        code="RNCP36390",
        date_debut=dt.date(2024, 1, 1),
    )
    with tenant_context(org_b):
        dossier_b = inscribed_dossier(
            bob, referentiels["rncp"], nom_naissance="Admis", email="LEA.ADMIS@test.local"
        )
        services.candidate_invite(candidate=dossier_b.candidate, by=bob)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    with tenant_context(org_b):
        assert CandidateAccess.objects.get(candidate=dossier_b.candidate).user == user
    centres = selectors.own_dossiers_everywhere(user)
    assert [c["organisation"].slug for c in centres] == sorted(
        [org_a.slug, org_b.slug], key=lambda s: {org_a.slug: org_a.name, org_b.slug: org_b.name}[s]
    )
    by_org = {c["organisation"].slug: [r["dossier"].public_id for r in c["dossiers"]] for c in centres}
    assert by_org[org_a.slug] == [admis.public_id] and by_org[org_b.slug] == [dossier_b.public_id]
    client = Client()
    client.force_login(user)
    # centre B's dossier under centre A's URL: 404 (each centre's rows under its own tenancy)
    url = reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": dossier_b.public_id})
    assert client.get(url).status_code == 404
    url = reverse("espace_dossier", kwargs={"org_slug": org_b.slug, "dossier_id": dossier_b.public_id})
    assert client.get(url).status_code == 200


def test_results_as_seed_004_allows_then_publication_tells_each_candidate(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    """Seed 004 §8: « Les notes de contrôle continu sont divulguées au fur et à mesure des
    évaluations, les notes d'épreuves de bloc ne doivent pas faire l'objet de divulgation. »"""
    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    invite(org_a, partiel.candidate, alice)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    client = Client()
    client.force_login(user)
    url = reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    before = client.get(url).content.decode()
    marks = lambda html: re.findall(r"<td[^>]*>\s*([0-9]+(?:[.,][0-9]+)?)\s*</td>", html)  # noqa: E731
    # BC01..BC04 contrôle continu 60, 40, 40, 35 shown; their épreuves 80, 60, 50, 50 never
    assert "Contrôle continu" in before and marks(before) == ["60,00", "40,00", "40,00", "35,00"]
    assert "Certifié" not in before and "apparaîtra ici dès la publication" in before

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        js.jury_results_publish(jury=jury, by=alice)
    told = {m.to[0]: m for m in mail.outbox}
    assert set(told) == {"lea.admis@test.local", "paul.partiel@test.local"}
    assert told["lea.admis@test.local"].body.startswith("Bonjour Madame ADMIS,")
    assert told["paul.partiel@test.local"].body.startswith("Bonjour Monsieur PARTIEL,")
    assert "Vos résultats sont publiés" in told["lea.admis@test.local"].subject
    # mandatory: no unsubscribe line
    assert "Désabonnez" not in told["lea.admis@test.local"].body
    # the page lists who was told
    staff = Client()
    staff.force_login(alice.user)
    page = staff.get(
        reverse("espace_jury_notifications", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id})
    )
    assert (
        "lea.admis@test.local" in page.content.decode() and "paul.partiel@test.local" in page.content.decode()
    )
    assert CandidateNotification.objects.filter(kind="resultats").count() == 2

    after = client.get(url).content.decode()
    assert "Décision du jury du 12/06/2026 : Certifié" in after
    # still no épreuve mark (RNCP36390 keeps them confidential): the contrôle continu column only
    shown = [float(m.replace(",", ".")) for m in marks(after)]
    assert shown and set(shown) <= {60.0, 40.0, 35.0}, shown
    # the certified dossier's follow-up surveys are scheduled, 6 months and 2 years on
    admis.refresh_from_db()
    enquetes = {e.kind: e.due_on for e in Enquete.objects.filter(dossier=admis)}
    assert enquetes == {"6m": dt.date(2026, 12, 12), "2a": dt.date(2028, 6, 12)}
    assert not Enquete.objects.filter(dossier=partiel).exists()


def test_documents_and_credential_once_published(sitting, alice, org_a, django_capture_on_commit_callbacks):
    from documents.models import IssuedDocument
    from juries.documents import jury_documents_issue
    from tests.documents.conftest import pdf_text, render_now

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    invite(org_a, partiel.candidate, alice)
    jury_documents_issue(jury=jury)
    parchemin = IssuedDocument.objects.get(kind="parchemin", idempotency_key__contains=str(admis.public_id))
    parchemin = render_now(parchemin)
    other = IssuedDocument.objects.filter(idempotency_key__contains=str(partiel.public_id)).first()
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    client = Client()
    client.force_login(user)
    dl = reverse("espace_document", kwargs={"org_slug": org_a.slug, "document_id": parchemin.public_id})
    assert client.get(dl).status_code == 404  # not published yet
    js.jury_results_publish(jury=jury, by=alice)
    page = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    )
    text = page.content.decode()
    assert "Parchemin" in text and parchemin.number in text
    assert f"/verifier/{parchemin.verification_code_display}" in text and "<svg" in text
    response = client.get(dl)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "ADMIS" in pdf_text(response.content)
    cred = client.get(
        reverse("espace_credential", kwargs={"org_slug": org_a.slug, "document_id": parchemin.public_id})
    )
    assert cred.status_code == 200
    body = cred.json()
    assert body["format"] == "vc+jwt" and body["jwt"].count(".") == 2
    assert "OpenBadgeCredential" in body["credential"]["type"]
    # another candidate's document: 404
    assert (
        client.get(
            reverse("espace_document", kwargs={"org_slug": org_a.slug, "document_id": other.public_id})
        ).status_code
        == 404
    )


def test_identity_confirm_correct_apply_refuse(in_a, alice, referentiels, org_a):
    """Before the jury (after its signature the path closes: test_identity_closes_at_jury)."""
    from tests.juries.conftest import ready_dossier

    admis = ready_dossier(
        alice, referentiels["rncp"], nom_naissance="Admis", prenom1="Léa", email="lea.admis@test.local"
    )
    invite(org_a, admis.candidate, alice)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    client = Client()
    client.force_login(user)
    url = reverse("espace_identity", kwargs={"org_slug": org_a.slug})
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    assert client.post(url, data).status_code == 302
    assert IdentityCorrection.objects.get().confirme
    # an empty nom de naissance: a clear message, nothing written
    bad = client.post(url, data | {"nom_naissance": ""})
    assert bad.status_code == 400 and IdentityCorrection.objects.count() == 1
    assert client.post(url, data | {"naissance_commune": "Ajaccio (Corse-du-Sud)"}).status_code == 302
    correction = IdentityCorrection.objects.get(confirme=False)
    assert correction.changes == {"naissance_commune": "Ajaccio (Corse-du-Sud)"}
    admis.candidate.refresh_from_db()
    assert admis.candidate.naissance_commune == "Ajaccio"  # the request alone changes nothing
    with pytest.raises(ApplicationError, match="Motivez le refus"):
        services.identity_decide(correction=correction, by=alice, apply=False)
    services.identity_decide(correction=correction, by=alice, apply=True)
    admis.candidate.refresh_from_db()
    assert admis.candidate.naissance_commune == "Ajaccio (Corse-du-Sud)"


def test_rattrapage_request_within_window_then_centre_opens_it(sitting, alice, org_a):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    user = CandidateAccess.objects.get(candidate=partiel.candidate).user
    window = selectors.rattrapage_window(partiel)
    assert window["open"] and [b.code for b in window["blocs"]] == ["RNCP36390BC02"]
    assert window["limit"] == dt.date(2031, 6, 12)  # « dans un délai de 5 ans »
    with pytest.raises(ApplicationError, match="Motif non recevable"):
        services.rattrapage_request(dossier=partiel, by=user, motif="convenance", justification="x")
    with pytest.raises(ApplicationError, match="justification"):
        services.rattrapage_request(dossier=partiel, by=user, motif="certificat_medical", justification=" ")
    client = Client()
    client.force_login(user)
    url = reverse("espace_rattrapage", kwargs={"org_slug": org_a.slug, "dossier_id": partiel.public_id})
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("certificat.pdf", b"MZ\x90\x00 exe", "application/pdf")
    bad = client.post(url, {"motif": "certificat_medical", "justification": "Hospitalisée.", "file": fake})
    assert bad.status_code == 400 and "programme exécutable" in bad.content.decode()
    certificat = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client.post(
        url,
        {
            "motif": "certificat_medical",
            "justification": "Hospitalisée la veille de l'épreuve.",
            "file": certificat,
        },
    )
    assert response.status_code == 302
    from espace_candidat.models import RattrapageRequest

    req = RattrapageRequest.objects.get()
    assert req.justificatif_nom == "certificat.pdf" and req.justificatif_type == "application/pdf"
    staff = Client()
    staff.force_login(alice.user)
    listing = staff.get(reverse("espace_centre_requests", kwargs={"org_slug": org_a.slug})).content.decode()
    assert "Justificatif : certificat.pdf" in listing
    justificatif = staff.get(
        reverse(
            "espace_rattrapage_justificatif", kwargs={"org_slug": org_a.slug, "rattrapage_id": req.public_id}
        )
    )
    assert b"".join(justificatif.streaming_content).startswith(b"%PDF")
    services.rattrapage_decide(request=req, by=alice, accept=True)
    assert Dossier.objects.filter(previous_attempt=partiel, attempt=2).exists()
    # the certified candidate has no rattrapage to ask
    assert selectors.rattrapage_window(admis)["open"] is False


def test_surveys_sent_reminded_answered_and_unsubscribe(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, admis.candidate, alice)
    six = Enquete.objects.get(dossier=admis, kind="6m")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enquetes_send_due(today=six.due_on - dt.timedelta(days=1)) == {
            "sent": 0,
            "reminded": 0,
        }
        assert services.enquetes_send_due(today=six.due_on) == {"sent": 1, "reminded": 0}
        assert services.enquetes_send_due(today=six.due_on) == {"sent": 0, "reminded": 0}
    assert len(mail.outbox) == 1 and "Désabonnez-vous" in mail.outbox[0].body
    # 14 days later, a reminder; twice at most
    Enquete.objects.filter(pk=six.pk).update(
        sent_at=six.sent_at
        or __import__("django.utils.timezone").utils.timezone.now() - dt.timedelta(days=15)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enquetes_send_due(today=six.due_on)["reminded"] == 1
    # unsubscribed: no more reminders (non-mandatory), results e-mails would still go
    token = re.search(r"/espace/desabonnement/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert Client().post(reverse("espace_unsubscribe", args=[token])).status_code == 200
    Enquete.objects.filter(pk=six.pk).update(
        last_reminder_at=__import__("django.utils.timezone").utils.timezone.now() - dt.timedelta(days=15)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enquetes_send_due(today=six.due_on)
    assert mail.outbox == []
    # the answer: in employment needs the relation to the certification and the contract
    six.refresh_from_db()
    with pytest.raises(ApplicationError, match="en lien avec la certification"):
        services.enquete_answer(enquete=six, situation="emploi", en_lien=None, contrat="cdi", poste="")
    services.enquete_answer(
        enquete=six, situation="emploi", en_lien=True, contrat="cdi", poste="Assistante de gestion"
    )
    with pytest.raises(ApplicationError, match="déjà répondu"):
        services.enquete_answer(enquete=six, situation="recherche", en_lien=None, contrat="", poste="")


def test_suivi_validation_at_certification(sitting, alice, org_a):
    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    client = Client()
    client.force_login(user)
    url = reverse("espace_suivi", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    bad = client.post(url, {"email": "pas-une-adresse", "situation": "emploi"})
    assert bad.status_code == 400
    ok = client.post(url, {"email": "lea.perso@test.local", "situation": "emploi", "ville": "Lyon"})
    assert ok.status_code == 302
    assert selectors.suivi_of(admis).email == "lea.perso@test.local"


def test_candidate_hands_in_the_rapport_with_the_upload_checks(in_a, alice, referentiels, org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates import services as cs
    from candidates.selectors import dossier_grid
    from tests.evaluations.conftest import IDENTITY

    # the CQPM's « présentation des projets » modalité asks for a rapport
    candidate = cs.candidate_create(by=alice, **(IDENTITY | {"email": "lea@test.local"}))
    dossier = cs.dossier_create(
        by=alice,
        candidate=candidate,
        referentiel=referentiels["cqpm"],
        voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
        date_inscription=dt.date(2025, 9, 1),
    )
    choices = {
        cr.capacite.pk: next((m for m in cr.allowed if m.type == "presentation_projets"), cr.allowed[0]).pk
        for row in dossier_grid(dossier=dossier)
        if row.vise
        for cr in row.capacites
    }
    cs.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites=choices)
    dossier = cs.dossier_transition(dossier=dossier, to=Dossier.Status.INSCRIT, by=alice, reason="test")
    invite(org_a, dossier.candidate, alice)
    user = CandidateAccess.objects.get(candidate=dossier.candidate).user
    asked = dict(selectors.pieces_asked(dossier))
    assert asked, "RNCP36390's modalités ask for a pièce"
    kind = next(iter(asked))
    client = Client()
    client.force_login(user)
    url = reverse("espace_piece_upload", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    fake = SimpleUploadedFile("rapport.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    client.post(url, {"kind": kind, "file": fake})
    assert dossier.pieces.count() == 0
    good = SimpleUploadedFile("rapport.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    assert client.post(url, {"kind": kind, "file": good}).status_code == 302
    assert dossier.pieces.get().kind == kind


def test_rgpd_export_of_own_data(sitting, alice, org_a):
    import io
    import json
    import zipfile

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    client = Client()
    client.force_login(user)
    response = client.get(reverse("espace_rgpd", kwargs={"org_slug": org_a.slug}))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("donnees.json"))
    assert "ADMIS" in json.dumps(data) and "PARTIEL" not in json.dumps(data)


def test_candidates_have_no_api_token(sitting, alice, org_a):
    from organisations.services import api_token_create

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    membership = Membership.objects.get(role=Role.CANDIDAT)
    with pytest.raises(ApplicationError, match="pas de jeton"):
        api_token_create(membership=membership, name="x")


def test_reissued_document_tells_the_candidate_once(
    sitting, alice, org_a, django_capture_on_commit_callbacks
):
    """A parchemin re-issued after a civil-status correction: « document ré-édité » e-mail (mandatory)."""
    from documents.models import IssuedDocument
    from documents.services import document_reissue
    from juries.documents import jury_documents_issue
    from tests.documents.conftest import render_now

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    jury_documents_issue(jury=jury)
    parchemin = render_now(
        IssuedDocument.objects.get(kind="parchemin", idempotency_key__contains=str(admis.public_id))
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        js.jury_results_publish(jury=jury, by=alice)
    assert [m.subject for m in mail.outbox if m.to == ["lea.admis@test.local"]] == [
        f"Vos résultats sont publiés — {admis.referentiel.intitule}"
    ]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        document_reissue(
            document=parchemin,
            by=alice,
            reason="Correction d'état civil (jugement du 02/09/2026)",
            context_changes={"holder_name": "Léa Admis-Martin"},
        )
        render_now(parchemin)
    reissued = [m for m in mail.outbox if m.to == ["lea.admis@test.local"]]
    assert len(reissued) == 1 and "ré-édité" in reissued[0].subject
    assert "même numéro, même code de vérification" in reissued[0].body
    assert CandidateNotification.objects.filter(kind="document").count() == 1


def test_beat_dispatch_runs_the_follow_up_per_centre(
    sitting, alice, org_a, org_b, django_capture_on_commit_callbacks, settings
):
    """Celery beat « suivi-candidats » fans out one task per centre; each sends what is due."""
    from django.utils import timezone

    from espace_candidat.tasks import followup_dispatch

    assert (
        settings.CELERY_BEAT_SCHEDULE["suivi-candidats"]["task"] == "espace_candidat.tasks.followup_dispatch"
    )
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, admis.candidate, alice)
    Enquete.objects.filter(dossier=admis, kind="6m").update(due_on=timezone.localdate())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert followup_dispatch() >= 2  # centres A and B (each in its own tenant)
    sent = [m for m in mail.outbox if m.to == ["lea.admis@test.local"]]
    assert len(sent) == 1 and "situation 6 mois" in sent[0].subject
    assert Enquete.objects.get(dossier=admis, kind="6m").sent_at is not None
    assert Enquete.objects.get(dossier=admis, kind="2a").sent_at is None


def test_rapport_deadline_notice_is_optional(
    in_a, alice, referentiels, org_a, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from tests.evaluations.conftest import inscribed_dossier

    today = timezone.localdate()
    dossier = inscribed_dossier(alice, referentiels["rncp"], email="rapport@test.local")
    from candidates.services import dossier_update

    dossier_update(dossier=dossier, by=alice, date_remise_rapport=today + dt.timedelta(days=5))
    invite(org_a, dossier.candidate, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_notify(today=today) == 1
        assert services.deadlines_notify(today=today) == 0  # once per date
    (notice,) = mail.outbox
    assert notice.body.startswith("Bonjour Madame DURAND,") and "Désabonnez-vous" in notice.body
    # the dossier page lists the deadline
    user = CandidateAccess.objects.get(candidate=dossier.candidate).user
    client = Client()
    client.force_login(user)
    page = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    )
    assert (
        f"Remise du rapport : avant le {(today + dt.timedelta(days=5)):%d/%m/%Y} (dans 5 jours)"
        in page.content.decode()
    )
    # unsubscribed: the next deadline is not e-mailed
    services.unsubscribe(services.unsubscribe_token(user))
    dossier_update(dossier=dossier, by=alice, date_remise_rapport=today + dt.timedelta(days=6))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_notify(today=today) == 0
    assert mail.outbox == []
