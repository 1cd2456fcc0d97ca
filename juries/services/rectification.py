"""Rectification of a frozen decision: its own PV, applied once signed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.actors import actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from core.natural import natural_sorted
from juries.models import Decision, Jury, ProcesVerbal, Rectification
from juries.services._common import DECISION_LABELS, _lock
from juries.services.deliberation import _check_decision, pv_create
from organisations.models import Membership
from organisations.services import audit_record
from referentiels.selectors import certification_libelle


def rectification_contenu(jury: Jury, decision: Decision, nouvelle: str, blocs: list[str], motif: str) -> str:
    c = decision.dossier.candidate
    return (
        "\n".join(
            [
                "PROCÈS-VERBAL RECTIFICATIF",
                f"Jury : {jury.intitule} — délibération du {date_fr(jury.date)}",
                f"Certification : {certification_libelle(jury.referentiel)} (version {jury.referentiel.version})",
                f"Candidat : {c.nom_naissance.upper()} {c.prenoms} ({c.naissance_mention(lieu=False)})",
                f"Décision initiale : {DECISION_LABELS[decision.decision]}"
                + (
                    f" — Blocs validés : {', '.join(decision.blocs_valides)}"
                    if decision.blocs_valides
                    else ""
                ),
                f"Décision rectifiée : {DECISION_LABELS[nouvelle]}"
                + (f" — Blocs validés : {', '.join(blocs)}" if blocs else " — Aucun bloc validé"),
                f"Motif : {motif}",
            ]
        )
        + "\n"
    )


@transaction.atomic
def rectification_create(
    *,
    decision: Decision,
    by: Membership,
    nouvelle_decision: str,
    blocs_valides: Iterable[str] = (),
    motif: str,
) -> Rectification:
    """Record a correction of a frozen decision; it applies once every voting member signed it."""
    jury = _lock(decision.jury)
    if not jury.is_frozen:
        raise ApplicationError("La délibération n'est pas encore signée : modifiez directement la décision.")
    motif = (motif or "").strip()
    if not motif:
        raise ApplicationError("Indiquez le motif de la rectification.", field="motif")
    if jury.rectifications.filter(applied_at__isnull=True).exists():
        raise ApplicationError("Une rectification de ce jury attend encore ses signatures.")
    decision = Decision.objects.select_related("dossier__candidate").get(pk=decision.pk)
    blocs = natural_sorted(set(blocs_valides))
    if nouvelle_decision not in DECISION_LABELS or not nouvelle_decision:
        raise ApplicationError(
            "Choisissez certifié, validation partielle ou ajourné.", field="nouvelle_decision"
        )
    _check_decision(decision.dossier, nouvelle_decision, blocs, "nouvelle_decision")
    contenu = rectification_contenu(jury, decision, nouvelle_decision, blocs, motif)
    pv = pv_create(jury, ProcesVerbal.Kind.RECTIFICATIF, contenu)
    rect = Rectification.objects.create(
        organisation_id=jury.organisation_id,
        jury=jury,
        decision=decision,
        nouvelle_decision=nouvelle_decision,
        blocs_valides=blocs,
        motif=motif,
        proces_verbal=pv,
        created_by=actor_user(by),
    )
    audit_record(actor=actor_user(by), action="jury.rectification", obj=jury, message=motif)
    return rect


def _rectification_apply(rect: Rectification, by: Membership) -> None:
    from candidates.services import dossier_decision_rectify

    dossier_decision_rectify(
        dossier=rect.decision.dossier,
        by=by,
        decision=rect.nouvelle_decision,
        blocs_acquis=rect.blocs_valides,
        reason=f"Rectification signée du jury « {rect.jury.intitule} » : {rect.motif}",
    )
    rect.applied_at = timezone.now()
    rect.save(update_fields=["applied_at"])
    from juries import documents

    documents.rectification_documents_request(rectification=rect, by=by)
