"""What the evaluations services share: the actor's user, marks as decimals, the open-dossier check, result history, the évaluateur's scope."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from candidates.models import Dossier
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from evaluations.models import (
    MARK_FIELDS,
    Epreuve,
    Resultat,
    ResultatChange,
)
from evaluations.selectors import OPEN_STATUSES
from organisations.roles import Role
from referentiels.models import Capacite, Critere
from referentiels.public_ids import public_ids_of

TRACKED = (
    *MARK_FIELDS,
    "commentaire",
    "criteres_observes",
    "valide",
    "motivation_commission",
    "commission_membres",
)


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    shown = str(value).strip()[:30]
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ApplicationError(f"« {shown} » n'est pas un nombre.", field=field) from None
    # NaN, Infinity and exponents past the decimal context (1e999) are not marks: comparing or
    # quantizing them raises InvalidOperation.
    if not number.is_finite():
        raise ApplicationError(f"« {shown} » n'est pas un nombre.", field=field)
    if number < 0:
        raise ApplicationError("Les points ne peuvent pas être négatifs.", field=field)
    try:
        rounded = number.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ApplicationError(f"« {shown} » : nombre hors limites.", field=field) from None
    if number != rounded:
        raise ApplicationError("Au plus deux décimales.", field=field)
    return number


def _check_open(dossier: Dossier) -> None:
    if dossier.status not in OPEN_STATUSES:
        raise ApplicationError(
            f"Le dossier est « {dossier.get_status_display()} » : ses résultats sont figés "
            "(seuls les dossiers inscrits ou en évaluation peuvent être notés)."
        )


def _targeted_bloc_ids(dossier: Dossier) -> set[int]:
    return set(dossier.blocs_vises.filter(acquis_anterieur=False).values_list("bloc_id", flat=True))


_EMPTY: tuple = (None, "", [])  # a new result's blank fields are not changes


def _history(
    resultat: Resultat, before: dict, by: Actor, reason: str, epreuve: Epreuve | None = None
) -> None:
    changes = []
    for field in TRACKED:
        old, new = before.get(field), getattr(resultat, field)
        if old != new and not (old in _EMPTY and new in _EMPTY):
            changes.append(
                ResultatChange(
                    organisation_id=resultat.organisation_id,
                    resultat=resultat,
                    epreuve=epreuve,
                    by=actor_user(by),
                    field=field,
                    old="" if old is None else str(old)[:200],
                    new="" if new is None else str(new)[:200],
                    reason=reason,
                )
            )
    ResultatChange.objects.bulk_create(changes)


def _covering(epreuves, capacite_code: str):
    """The épreuves of ``epreuves`` that cover a capacité (its code in their JSON list).

    Read in Python: a JSON ``contains`` lookup exists on PostgreSQL but not on SQLite, which the
    embedded demo runs on; a dossier sits a handful of épreuves.
    """
    ids = [pk for pk, codes in epreuves.values_list("pk", "capacites") if capacite_code in (codes or [])]
    return Epreuve.objects.filter(pk__in=ids)


def _check_evaluateur_scope(
    by: Actor, dossier: Dossier, *, capacite=None, bloc=None, composante: str = ""
) -> None:
    """An évaluateur writes and validates only what an épreuve they are assigned to, and that
    this dossier sits, covers; admins and gestionnaires are not restricted."""

    if getattr(by, "role", None) != Role.EVALUATEUR:
        return
    epreuves = Epreuve.objects.filter(evaluateurs__user=actor_user(by), inscriptions__dossier=dossier)
    if capacite is not None:
        epreuves, what = _covering(epreuves, capacite.code), f"la capacité {capacite.code}"
        field = "capacite"
    elif bloc is not None:
        epreuves, what, field = epreuves.filter(bloc=bloc), f"le bloc {bloc.code}", "bloc"
    else:
        epreuves, what, field = (
            epreuves.filter(composante=composante),
            f"la composante « {composante} »",
            "composante",
        )
    if not epreuves.exists():
        raise ApplicationError(
            f"Vous n'évaluez pas {what} pour ce candidat : aucune des épreuves qui vous sont confiées ne la couvre.",
            field=field,
        )


def _check_criteres(capacite: Capacite | None, criteres_observes) -> list[int] | None:
    """Observed critères must be critères of the capacité being marked."""
    if criteres_observes is None:
        return None
    try:
        ids = sorted({int(c) for c in criteres_observes})
    except (TypeError, ValueError):
        raise ApplicationError(
            "Critères observés : identifiants numériques attendus.", field="criteres_observes"
        ) from None
    if not ids:
        return []
    if capacite is None:
        raise ApplicationError(
            "Des critères observés ne se saisissent que sur une capacité.", field="criteres_observes"
        )

    known = set(Critere.objects.filter(capacite=capacite, pk__in=ids).values_list("pk", flat=True))
    outside = [i for i in ids if i not in known]
    if outside:
        # Named by their id (UUID), as the API shows them; a number matching no critère as sent.
        shown = public_ids_of(Critere, outside)
        unknown = [shown.get(i, str(i)) for i in outside]
        raise ApplicationError(
            f"Critère(s) {', '.join(unknown)} hors de la capacité {capacite.code}.", field="criteres_observes"
        )
    return ids


# --- time is truth (issue 13, point 4) ------------------------------------------------------------


def epreuve_start(epreuve: Epreuve) -> dt.datetime:
    """When the épreuve starts: its date and start time, in the platform's time zone (Paris)."""
    return timezone.make_aware(dt.datetime.combine(epreuve.date, epreuve.heure_debut))


def start_ahead(epreuve: Epreuve) -> dt.datetime | None:
    """The épreuve's start (Paris time) while it is still to come; ``None`` once it has started."""
    start = epreuve_start(epreuve)
    return timezone.localtime(start) if start > timezone.now() else None


def check_started(epreuve: Epreuve, what: str) -> None:
    """Nothing of an épreuve is recorded before it starts (issue 13, point 4: « A result or
    attendance cannot be recorded before its épreuve starts »). ``what`` completes the message:
    « aucun résultat ne peut être saisi », « la présence ne peut pas être enregistrée »…"""
    start = epreuve_start(epreuve)
    if start > timezone.now():
        local = timezone.localtime(start)
        raise ApplicationError(
            f"L'épreuve « {epreuve.intitule} » commence le {local:%d/%m/%Y} à {local:%H:%M} : "
            f"{what} avant son début.",
            field="epreuve",
        )


def check_target_started(
    dossier: Dossier, *, capacite: Capacite | None = None, bloc=None, composante: str = ""
) -> None:
    """A result entered without naming its épreuve (the dossier's results page, the API): refused
    while every épreuve of the dossier that evaluates this capacité, bloc or composante is still to
    come. A target no épreuve of the dossier covers (a capacité observed in entreprise, the
    tuteur's note) is not tied to a date and is not held back."""
    from evaluations.models import InscriptionEpreuve

    covering = [
        i.epreuve
        for i in InscriptionEpreuve.objects.filter(dossier=dossier).select_related("epreuve")
        if (capacite is not None and capacite.code in (i.epreuve.capacites or []))
        or (bloc is not None and i.epreuve.bloc_id == bloc.pk)
        or (composante and i.epreuve.composante == composante)
    ]
    now = timezone.now()
    if covering and all(epreuve_start(e) > now for e in covering):
        check_started(min(covering, key=epreuve_start), "aucun résultat ne peut être saisi")
