"""Habilitations: a certificateur grants a centre the right to prepare a certification, and ends it."""

import datetime as dt

from django.db import transaction

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.models import (
    Habilitation,
    Referentiel,
)
from referentiels.services._common import _require_certificateur


@transaction.atomic
def habilitation_grant(
    *,
    certificateur: Organisation,
    centre: Organisation,
    code: str,
    date_debut: dt.date,
    date_fin: dt.date | None = None,
    note: str = "",
) -> Habilitation:
    _require_certificateur(certificateur)
    if centre.kind != Organisation.Kind.CENTRE:
        raise ApplicationError("Une habilitation est accordée à un centre.", field="centre")
    if not Referentiel.objects.filter(code=code, certificateur=certificateur).exists():
        raise ApplicationError(f"Aucun référentiel {code} chez ce certificateur.", field="code")
    if date_fin is not None and date_fin < date_debut:
        raise ApplicationError("La date de fin précède la date de début.", field="date_fin")
    habilitation, _ = Habilitation.objects.update_or_create(
        centre=centre,
        referentiel_code=code,
        date_debut=date_debut,
        defaults={"certificateur": certificateur, "date_fin": date_fin, "note": note},
    )
    return habilitation


@transaction.atomic
def habilitation_end(
    *, habilitation: Habilitation, certificateur: Organisation, date_fin: dt.date
) -> Habilitation:
    """Set the last day of a habilitation: from the day after, the centre no longer sees the
    référentiel nor opens dossiers on it (``selectors.habilitated_codes``). An ended
    habilitation may be ended again at another date (a correction)."""
    if habilitation.certificateur_id != certificateur.pk:
        raise ApplicationError("Cette habilitation a été accordée par un autre certificateur.")
    if date_fin < habilitation.date_debut:
        raise ApplicationError(
            f"La date de fin ({date_fin:%d/%m/%Y}) précède le début de l'habilitation ({habilitation.date_debut:%d/%m/%Y}).",
            field="date_fin",
        )
    habilitation.date_fin = date_fin
    habilitation.full_clean()
    habilitation.save(update_fields=["date_fin"])
    return habilitation
