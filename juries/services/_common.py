"""What the juries services share: the statuses, the row lock, the status and date guards."""

from __future__ import annotations

from django.utils import timezone

from candidates.models import Dossier
from core.dates import date_fr
from core.errors import ApplicationError
from juries.models import Jury

S = Jury.Status
DECISION_LABELS = dict(Dossier.Decision.choices)


def _lock(jury: Jury) -> Jury:
    return (
        Jury.objects.select_for_update()
        .select_related("referentiel", "referentiel__certificateur")
        .get(pk=jury.pk)
    )


def _require_status(jury: Jury, *statuses: str, action: str) -> None:
    if jury.is_frozen:
        raise ApplicationError(
            "La délibération est signée et figée : aucune modification n'est possible ; "
            "une correction passe par une rectification signée."
        )
    if jury.status not in statuses:
        raise ApplicationError(f"Le jury est « {jury.get_status_display()} » : impossible de {action}.")


def _require_jury_day(jury: Jury, action: str) -> None:
    """Time is truth (issue 13, point 4): nothing of a jury happens before its date."""
    if jury.date > timezone.localdate():
        raise ApplicationError(
            f"Le jury est daté du {date_fr(jury.date)} : impossible {action} avant cette date."
        )
