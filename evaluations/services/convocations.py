"""Convocations to an épreuve: rendered and sent by the Celery worker."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.dates import add_months
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from evaluations.models import (
    Convocation,
    Epreuve,
    InscriptionEpreuve,
)
from evaluations.services._common import OPEN_STATUSES
from evaluations.services.sessions import CONVOCATION_MONTHS
from organisations.services import audit_record


def _check_delay(epreuve: Epreuve, today: dt.date, force: bool, motif_forcage: str) -> tuple[bool, str]:
    """Refuse a past épreuve, and one less than a month away unless forced with a reason; the
    forcing (and its reason) is kept only when it was needed."""
    if epreuve.date < today:
        raise ApplicationError("L'épreuve est passée : plus de convocation possible.")
    limite = add_months(today, CONVOCATION_MONTHS)
    if epreuve.date >= limite:
        return False, ""
    if not force:
        raise ApplicationError(
            f"L'épreuve du {epreuve.date:%d/%m/%Y} est à moins d'un mois (convocation au plus tard le "
            f"{add_months(epreuve.date, -CONVOCATION_MONTHS):%d/%m/%Y}). Pour envoyer quand même, forcez l'envoi en indiquant le motif.",
            field="force",
        )
    if not motif_forcage.strip():
        raise ApplicationError(
            "Indiquez le motif de l'envoi à moins d'un mois de l'épreuve.", field="motif_forcage"
        )
    return force, motif_forcage


def _convocation_targets(
    epreuve: Epreuve, inscriptions: Iterable[InscriptionEpreuve] | None
) -> list[InscriptionEpreuve]:
    """The inscriptions to convoke (default: all the épreuve's), their dossiers open; naming a
    closed dossier is refused, and so is having no one to convoke."""
    qs = InscriptionEpreuve.objects.filter(epreuve=epreuve).select_related("dossier__candidate")
    if inscriptions is not None:
        qs = qs.filter(pk__in=[i.pk for i in inscriptions])
    targets = list(qs)
    closed = [i for i in targets if i.dossier.status not in OPEN_STATUSES]
    if closed and inscriptions is not None:
        names = ", ".join(f"{i.dossier.candidate} (« {i.dossier.get_status_display()} »)" for i in closed)
        raise ApplicationError(
            f"Seuls les dossiers inscrits ou en évaluation sont convoqués : {names}.", field="dossiers"
        )
    targets = [
        i for i in targets if i.dossier.status in OPEN_STATUSES
    ]  # an abandoned candidate is not convoked
    if not targets:
        raise ApplicationError(
            "Aucun candidat à convoquer sur cette épreuve (seuls les dossiers inscrits ou en évaluation le sont)."
            if closed
            else "Aucun candidat à convoquer sur cette épreuve."
        )
    return targets


@transaction.atomic
def convocations_send(
    *,
    epreuve: Epreuve,
    by: Actor,
    inscriptions: Iterable[InscriptionEpreuve] | None = None,
    force: bool = False,
    motif_forcage: str = "",
    renvoi: bool = False,
    motif_renvoi: str = "",
    today: dt.date | None = None,
) -> list[Convocation]:
    """Create the convocations of ``inscriptions`` (default: every candidate not convoked yet) and
    send them (PDF + e-mail) through a Celery task after commit.

    Refused when the épreuve is less than one month away, unless ``force`` with a reason, which
    is recorded on each convocation. Candidates already convoked are skipped unless ``renvoi``:
    a re-send is a new, numbered convocation; earlier ones are kept.
    """
    force, motif_forcage = _check_delay(epreuve, today or timezone.localdate(), force, motif_forcage)
    targets = _convocation_targets(epreuve, inscriptions)
    last = {}
    for c in Convocation.objects.filter(inscription__in=targets).order_by("numero_envoi"):
        last[c.inscription_id] = c.numero_envoi
    created = []
    for inscription in targets:
        if inscription.pk in last and not renvoi:
            continue
        convocation = Convocation(
            organisation_id=epreuve.organisation_id,
            inscription=inscription,
            numero_envoi=last.get(inscription.pk, 0) + 1,
            forcee=force,
            motif_forcage=motif_forcage.strip(),
            motif_renvoi=motif_renvoi.strip() if inscription.pk in last else "",
            email=inscription.dossier.candidate.email,
            created_by=actor_user(by),
        )
        convocation.save()
        created.append(convocation)
        enqueue_on_commit(
            "evaluations.tasks.convocation_deliver",
            organisation_id=epreuve.organisation_id,
            convocation_id=convocation.pk,
        )
    if created:
        message = f"{len(created)} convocation(s)"
        if force:
            message += f" à moins d'un mois, motif : {motif_forcage.strip()}"
        audit_record(actor=actor_user(by), action="convocations.send", obj=epreuve, message=message)
    return created
