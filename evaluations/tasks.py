"""Celery entry points of evaluations (thin): convocations, tuteur invitations and reminders."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from evaluations.documents import convocation_request, document_bytes
from evaluations.models import AvisEntreprise, Convocation
from evaluations.services import avis_link_url, avis_page_url
from evaluations.services import avis_reminders_send as reminders_send
from organisations.models import Organisation
from organisations.tasks import TenantTask

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@shared_task(
    base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=MAX_ATTEMPTS
)
def convocation_deliver(self, *, organisation_id: int, convocation_id: int) -> str:
    """Render the convocation PDF, keep it, e-mail it. Idempotent: a delivered one is left alone."""
    convocation = (
        Convocation.objects.select_for_update()
        .select_related(
            "inscription__epreuve__session__referentiel", "inscription__dossier__candidate", "organisation"
        )
        .get(pk=convocation_id)
    )
    if convocation.status in (Convocation.Status.SENT, Convocation.Status.A_REMETTRE):
        return convocation.status
    convocation.attempts += 1
    if convocation.attempts > MAX_ATTEMPTS:  # poison loop guard (acks_late + reject_on_worker_lost)
        convocation.status, convocation.error = Convocation.Status.FAILED, "Trop de tentatives."
        convocation.save(update_fields=["status", "error", "attempts"])
        return convocation.status
    convocation.save(update_fields=["attempts"])
    if convocation.document_id is None:
        convocation.document = convocation_request(convocation, by=convocation.created_by)
        convocation.save(update_fields=["document"])
    pdf = document_bytes(convocation.document)
    candidate = convocation.inscription.dossier.candidate
    if not convocation.email:
        convocation.status = Convocation.Status.A_REMETTRE
        convocation.save(update_fields=["status"])
        return convocation.status
    epreuve = convocation.inscription.epreuve
    message = EmailMessage(
        subject=f"Convocation : {epreuve.intitule} le {epreuve.date:%d/%m/%Y}",
        body=(
            f"Bonjour {candidate.prenom1} {candidate.nom_naissance},\n\n"
            f"Vous êtes convoqué{candidate.accord} à l'épreuve « {epreuve.intitule} » de la certification "
            f"« {epreuve.session.referentiel.intitule} » ({epreuve.session.referentiel.code}) "
            f"le {epreuve.date:%d/%m/%Y} à {epreuve.heure_debut:%H:%M}, {epreuve.lieu}"
            f"{', salle ' + epreuve.salle if epreuve.salle else ''}.\n"
            "Votre convocation est jointe à ce message (PDF) : elle indique la durée de l'épreuve, "
            "aménagements compris, et les documents à apporter.\n\n"
            "Si votre centre vous a ouvert votre espace candidat, vous l'y retrouvez (connexion par un code reçu à cette adresse) : "
            f"{settings.SITE_URL.rstrip('/')}/espace/\n\n"
            f"{convocation.organisation.name}"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[convocation.email],
    )
    message.attach(
        f"convocation-{candidate.nom_naissance.lower()}-{epreuve.date:%Y%m%d}.pdf", pdf, "application/pdf"
    )
    message.send()
    convocation.status, convocation.sent_at, convocation.error = Convocation.Status.SENT, timezone.now(), ""
    convocation.save(update_fields=["status", "sent_at", "error"])
    from core.events import publish

    publish("convocation.sent", convocation=convocation)
    return convocation.status


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def avis_invitation_send(self, *, organisation_id: int, avis_id: int, relance: bool = False) -> None:
    """E-mail the tuteur: the single-use link while unused, the avis page (login) afterwards."""
    avis = AvisEntreprise.objects.select_related(
        "tuteur", "dossier__candidate", "dossier__referentiel", "organisation"
    ).get(pk=avis_id)
    if avis.is_submitted:
        return
    candidate = avis.dossier.candidate
    if avis.lien_utilise_le is None:
        access = f"Ouvrez ce lien personnel (utilisable une fois) pour créer votre accès et donner votre avis :\n{avis_link_url(avis)}"
    else:
        access = f"Connectez-vous pour compléter votre avis :\n{avis_page_url(avis)}"
    subject = "Rappel : avis de l'entreprise attendu" if relance else "Avis de l'entreprise demandé"
    EmailMessage(
        subject=f"{subject} — {candidate.prenom1} {candidate.nom_naissance}",
        body=(
            f"Bonjour {avis.tuteur.prenom} {avis.tuteur.nom},\n\n"
            f"{avis.organisation.name} vous demande l'avis de l'entreprise sur {candidate.prenom1} {candidate.nom_naissance}, "
            f"candidat(e) au {avis.dossier.referentiel.code} — {avis.dossier.referentiel.intitule}.\n"
            f"Pour chaque capacité, indiquez un avis favorable, réservé ou défavorable, avec un commentaire.\n\n"
            f"Date limite : {avis.date_limite:%d/%m/%Y}.\n\n{access}\n\n"
            "Une fois transmis, l'avis ne peut plus être modifié."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[avis.tuteur.email],
    ).send()


@shared_task(base=TenantTask)
def avis_reminders_send(*, organisation_id: int) -> int:
    return reminders_send()


@shared_task
def avis_reminders_dispatch() -> int:
    """Celery beat entry point: one reminder task per active centre (each re-enters its tenant)."""

    ids = list(
        Organisation.objects.filter(kind=Organisation.Kind.CENTRE, is_active=True).values_list(
            "pk", flat=True
        )
    )
    for organisation_id in ids:
        avis_reminders_send.delay(organisation_id=organisation_id)
    return len(ids)
