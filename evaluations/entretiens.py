"""The entretien with the candidate, recorded for the commission d'évaluation (CQPM, seeds
000–002) or the jury d'évaluation (CQPI, seed 003): its date, its participants and a conclusion
per capacité (compétence).

Seed 000: « L'acquisition de chacune des capacités professionnelles est validée par une
commission d'évaluation sur la base : des différentes évaluations, de l'avis de l'entreprise, de
l'entretien avec le candidat ». Seed 003, for every compétence: « Observation en situation de
travail » and « Entretien avec les membres du jury d'évaluation ».
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from core.actors import Actor
from core.errors import ApplicationError
from evaluations.models import Entretien, EntretienConclusion
from organisations.services import audit_record
from referentiels.models import Capacite

OPEN_STATUSES = (Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION)


def targeted_capacites(dossier: Dossier) -> list[Capacite]:
    blocs = DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False).values("bloc_id")
    return list(Capacite.objects.filter(bloc_id__in=blocs).order_by("bloc__order", "order"))


@transaction.atomic
def entretien_record(
    *, dossier: Dossier, by: Actor, date: dt.date, participants: str, conclusions: dict[str, tuple[str, str]]
) -> Entretien:
    """Record an entretien: ``conclusions`` maps a capacité code to ``(conclusion, commentaire)``;
    a capacité left out was not discussed. Refused with a French message, nothing written, when
    the dossier is not being evaluated, the date is to come, nobody is named, or a conclusion is
    unknown or about a capacité the dossier does not target."""
    dossier = Dossier.objects.select_for_update().select_related("referentiel").get(pk=dossier.pk)
    mot = dossier.referentiel.mot_capacite
    if dossier.status not in OPEN_STATUSES:
        raise ApplicationError(
            f"Le dossier est « {dossier.get_status_display()} » : l'entretien ne s'enregistre que pendant l'évaluation."
        )
    if not isinstance(date, dt.date) or date > timezone.localdate():
        raise ApplicationError("La date de l'entretien ne peut pas être à venir.", field="date")
    participants = "\n".join(line.strip() for line in (participants or "").splitlines() if line.strip())
    if not participants:
        raise ApplicationError("Nommez les participants de l'entretien.", field="participants")
    by_code = {c.code: c for c in targeted_capacites(dossier)}
    rows = []
    for code, (conclusion, commentaire) in conclusions.items():
        if not conclusion:
            continue
        capacite = by_code.get(code)
        if capacite is None:
            raise ApplicationError(
                f"{mot.capitalize()} {code} non visée par ce dossier.", field="conclusions"
            )
        if conclusion not in EntretienConclusion.Conclusion.values:
            raise ApplicationError(
                f"{mot.capitalize()} {code} : conclusion « {conclusion} » inconnue (acquis ou non acquis).",
                field="conclusions",
            )
        rows.append((capacite, conclusion, (commentaire or "").strip()))
    if not rows:
        raise ApplicationError(
            f"Indiquez la conclusion de l'entretien pour au moins une {mot}.", field="conclusions"
        )
    entretien = Entretien.objects.create(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        date=date,
        participants=participants,
        recorded_by=getattr(by, "user", by),
    )
    EntretienConclusion.objects.bulk_create(
        [
            EntretienConclusion(
                organisation_id=dossier.organisation_id,
                entretien=entretien,
                capacite=capacite,
                conclusion=conclusion,
                commentaire=commentaire,
            )
            for capacite, conclusion, commentaire in rows
        ]
    )
    audit_record(
        actor=getattr(by, "user", by),
        action="entretien.record",
        obj=dossier,
        message=f"Entretien du {date:%d/%m/%Y} : {len(rows)} {mot}(s)",
    )
    return entretien


def latest_conclusions(dossier_ids) -> dict[tuple[int, int], EntretienConclusion]:
    """``{(dossier_id, capacite_id): conclusion}`` of the latest entretien that concluded on it."""
    out = {}
    for c in (
        EntretienConclusion.objects.filter(entretien__dossier_id__in=list(dossier_ids))
        .select_related("entretien")
        .order_by("entretien__date", "entretien__pk", "pk")
    ):
        out[(c.entretien.dossier_id, c.capacite_id)] = c
    return out
