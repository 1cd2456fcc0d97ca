"""Dossiers: create, edit, delete; the plan (blocs visés and modalités chosen)."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from candidates.models import (
    Candidate,
    Dossier,
    DossierBloc,
    DossierModalite,
    DossierTransition,
)
from candidates.services._common import S, _save
from candidates.services.persons import _TEXT_FIELDS, _set_fields
from core.actors import Actor, actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.models import Bloc, Capacite, Modalite, Referentiel
from referentiels.selectors import habilitation_valid_for

# --- dossiers ------------------------------------------------------------------------------

DOSSIER_FIELDS = (
    "voie_acces",
    "statut_professionnel",
    "entreprise",
    "tuteur",
    "amenagement_tiers_temps",
    "amenagement_pauses",
    "amenagement_secretaire",
    "amenagement_interprete",
    "amenagement_equipement",
    "amenagement_note",
    "date_inscription",
    "date_remise_rapport",
)
_TEXT_FIELDS[Dossier] = {"statut_professionnel", "amenagement_note"}


def _record(dossier: Dossier, from_status: str, to_status: str, by: Actor, reason: str) -> DossierTransition:
    return DossierTransition.objects.create(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        from_status=from_status,
        to_status=to_status,
        by=actor_user(by) if by else None,
        reason=reason,
    )


def _check_referentiel(referentiel: Referentiel, on: dt.date) -> None:
    if referentiel.status != Referentiel.Status.PUBLISHED:
        raise ApplicationError(
            f"{referentiel.code} v{referentiel.version} n'est pas une version publiée : choisissez la version en vigueur.",
            field="referentiel",
        )
    if not habilitation_valid_for(centre=current_organisation(), referentiel=referentiel, on=on):
        raise ApplicationError(
            f"Le centre n'est pas habilité pour {referentiel.code} au {date_fr(on)}.", field="referentiel"
        )


def _check_links(dossier: Dossier) -> None:
    if (
        dossier.tuteur_id
        and dossier.entreprise_id
        and dossier.tuteur is not None
        and dossier.tuteur.entreprise_id not in (None, dossier.entreprise_id)
    ):
        raise ApplicationError("Le tuteur choisi appartient à une autre entreprise.", field="tuteur")


def _check_dates(dossier: Dossier) -> None:
    if (
        dossier.date_remise_rapport
        and dossier.date_inscription
        and dossier.date_remise_rapport < dossier.date_inscription
    ):
        raise ApplicationError(
            f"La date limite de remise du rapport ({date_fr(dossier.date_remise_rapport)}) précède la date "
            f"d'inscription ({date_fr(dossier.date_inscription)}).",
            field="date_remise_rapport",
        )


def _check_no_open_dossier(candidate: Candidate, referentiel: Referentiel) -> None:
    if (
        Dossier.objects.filter(candidate=candidate, referentiel__code=referentiel.code)
        .exclude(status__in=[S.DELIBERE, S.ABANDON])
        .exists()
    ):
        raise ApplicationError(
            f"Ce candidat a déjà un dossier en cours pour {referentiel.code}.", field="referentiel"
        )


def _check_not_closed(dossier: Dossier) -> None:
    if dossier.is_closed:
        raise ApplicationError(
            f"Un dossier {dossier.get_status_display().lower()} ne peut plus être modifié."
        )


def _check_inscription_date_frozen(dossier: Dossier, fields: dict) -> None:
    if (
        "date_inscription" in fields
        and not dossier.is_editable
        and fields["date_inscription"] != dossier.date_inscription
    ):
        raise ApplicationError(
            "La date d'inscription ne change plus une fois le dossier inscrit.", field="date_inscription"
        )


def dossier_field_errors(
    *, fields: dict, candidate: Candidate | None = None, referentiel=None, dossier: Dossier | None = None
) -> dict[str, list[str]]:
    """Per field, what :func:`dossier_create` (no ``dossier``) or :func:`dossier_update` would refuse.

    The same checks as the services, run on an unsaved copy with whatever fields are known so
    far (inline validation of the dossier form): nothing is written. ``fields`` holds only
    ``DOSSIER_FIELDS`` whose value parsed; errors not tied to a field are under ``"__all__"``.
    """
    errors: dict[str, list[str]] = {}

    def collect(check) -> None:
        try:
            check()
        except ApplicationError as exc:
            errors.setdefault(exc.field or "__all__", []).append(exc.message)

    fields = {k: v for k, v in fields.items() if k in DOSSIER_FIELDS}
    if dossier is not None:
        target = Dossier(**{f.attname: getattr(dossier, f.attname) for f in Dossier._meta.concrete_fields})
        collect(lambda: _check_not_closed(dossier))
        collect(lambda: _check_inscription_date_frozen(dossier, fields))
    else:
        target = Dossier(organisation=current_organisation())
    _set_fields(target, fields, DOSSIER_FIELDS)
    if dossier is None:
        target.date_inscription = target.date_inscription or timezone.localdate()
        if referentiel is not None:
            collect(lambda: _check_referentiel(referentiel, target.date_inscription))
            if candidate is not None:
                collect(lambda: _check_no_open_dossier(candidate, referentiel))
    collect(lambda: _check_links(target))
    collect(lambda: _check_dates(target))
    try:
        target.clean_fields(exclude=[f.name for f in Dossier._meta.fields if f.name not in fields])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


@transaction.atomic
def dossier_create(
    *,
    by: Actor,
    candidate: Candidate,
    referentiel: Referentiel,
    blocs: Iterable[Bloc] | None = None,
    **fields,
) -> Dossier:
    """A dossier in ``brouillon`` for a published, habilitated référentiel; ``blocs`` None = all blocs."""
    if candidate.erased_at:
        raise ApplicationError(
            "Les données de ce candidat ont été effacées : aucun dossier ne peut être ouvert."
        )
    dossier = Dossier(
        organisation=current_organisation(),
        candidate=candidate,
        referentiel=referentiel,
        created_by=actor_user(by),
    )
    _set_fields(dossier, fields, DOSSIER_FIELDS)
    dossier.date_inscription = dossier.date_inscription or timezone.localdate()
    _check_referentiel(referentiel, dossier.date_inscription)
    _check_no_open_dossier(candidate, referentiel)
    _check_links(dossier)
    _check_dates(dossier)
    _save(dossier, exclude=["candidate", "referentiel"])
    _record(dossier, "", S.BROUILLON, by, "Création du dossier")
    dossier_plan_update(dossier=dossier, by=by, blocs=blocs, modalites=None, _audit=False)
    audit_record(
        actor=actor_user(by),
        action="dossier.create",
        obj=dossier,
        message=f"{candidate.nom_complet} — {referentiel.code}",
    )
    return dossier


@transaction.atomic
def dossier_update(*, dossier: Dossier, by: Actor, **fields) -> Dossier:
    _check_not_closed(dossier)
    _check_inscription_date_frozen(dossier, fields)
    _set_fields(dossier, fields, DOSSIER_FIELDS)
    _check_links(dossier)
    _check_dates(dossier)
    _save(dossier, exclude=["candidate", "referentiel"])
    audit_record(
        actor=actor_user(by), action="dossier.update", obj=dossier, message=", ".join(sorted(fields))
    )
    return dossier


@transaction.atomic
def dossier_delete(*, dossier: Dossier, by: Actor) -> None:
    if dossier.status != S.BROUILLON or dossier.attempt > 1:
        raise ApplicationError(
            "Seul un dossier en brouillon (première tentative) peut être supprimé ; sinon, abandonnez-le."
        )
    audit_record(actor=actor_user(by), action="dossier.delete", obj=dossier, message=dossier.referentiel.code)
    dossier.delete()


def allowed_modalites(capacite: Capacite) -> list[Modalite]:
    """Modalités the référentiel allows for a capacité: its own, else its bloc's (prefetched lists).

    The avis de l'entreprise is not one to pick: seeds 000–002 make it an input of every
    capacité's validation (« sur la base : des différentes évaluations, de l'avis de
    l'entreprise, de l'entretien avec le candidat »), requested for all of them."""
    own = list(capacite.modalites.all()) or list(capacite.bloc.modalites.all())
    choosable = [m for m in own if m.type != "avis_entreprise"]
    return choosable or own


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _requested_modalites(modalites: dict | None) -> dict[int, int | None]:
    """``{capacite_id: modalite_id}`` from a form or the API; a non-numeric id is a clear refusal."""
    requested = {}
    for key, value in (modalites or {}).items():
        capacite_id = _as_int(key)
        modalite_id = None if value in (None, "") else _as_int(value)
        if capacite_id is None or (value not in (None, "") and modalite_id is None):
            raise ApplicationError(
                "Modalité invalide : choisissez une modalité proposée dans la liste.",
                field="modalites",
                # The plan form shows the message beside that capacité's select.
                extra={"capacite_id": capacite_id} if capacite_id is not None else {},
            )
        requested[capacite_id] = modalite_id
    return requested


def _plan_tree(dossier: Dossier) -> list[Bloc]:
    """The référentiel's blocs with their modalités, refused when the dossier's plan no longer changes."""
    if not dossier.is_editable:
        raise ApplicationError(
            "Les blocs et modalités ne se modifient qu'en brouillon. Repassez le dossier en brouillon d'abord."
        )
    tree = list(
        Bloc.objects.filter(referentiel=dossier.referentiel_id).prefetch_related(
            "modalites", "capacites__modalites"
        )
    )
    return tree


@transaction.atomic
def dossier_plan_update(
    *,
    dossier: Dossier,
    by: Actor,
    blocs: Iterable[Bloc | int] | None,
    modalites: dict | None,
    _audit: bool = True,
) -> Dossier:
    """Set the targeted blocs (None = all) and the modalité per capacité ({capacite_id: modalite_id}).

    A capacité with a single allowed modalité gets it without asking. Blocs carried from a
    previous attempt stay as they are.
    """
    tree = _plan_tree(dossier)
    wanted, carried = _plan_blocs_write(dossier, tree, blocs)
    keep = _plan_modalites_write(dossier, tree, wanted, carried, modalites)
    if _audit:
        audit_record(
            actor=actor_user(by),
            action="dossier.plan",
            obj=dossier,
            message=f"{len(wanted)} bloc(s), {len(keep)} modalité(s)",
        )
    return dossier


def _plan_blocs_write(
    dossier: Dossier, tree: list[Bloc], blocs: Iterable[Bloc | int] | None
) -> tuple[set[int], set[int]]:
    """Target ``blocs`` (None = all of ``tree``) plus the carried ones: (targeted, carried)."""
    by_id = {b.pk: b for b in tree}
    if blocs is None:
        wanted = set(by_id)
    else:
        wanted = {b.pk if isinstance(b, Bloc) else b for b in blocs}
        foreign = wanted - set(by_id)
        if foreign:
            raise ApplicationError("Un des blocs choisis n'appartient pas à ce référentiel.", field="blocs")
    if not wanted:
        raise ApplicationError("Choisissez au moins un bloc de compétences.", field="blocs")
    existing = {db.bloc_id: db for db in dossier.blocs_vises.all()}
    carried = {bid for bid, db in existing.items() if db.acquis_anterieur}
    wanted |= carried
    DossierBloc.objects.filter(dossier=dossier).exclude(bloc_id__in=wanted).delete()
    DossierBloc.objects.bulk_create(
        [
            DossierBloc(organisation_id=dossier.organisation_id, dossier=dossier, bloc_id=bid)
            for bid in sorted(wanted - set(existing))
        ]
    )
    return wanted, carried


def _plan_modalites_write(
    dossier: Dossier, tree: list[Bloc], wanted: set[int], carried: set[int], modalites: dict | None
) -> set[int]:
    """Set the modalité of each capacité of the targeted, not carried blocs: the requested one, else
    the current one, else the only one allowed. Returns the capacités that have one."""
    chosen = {dm.capacite_id: dm for dm in dossier.modalites_choisies.all()}
    requested = _requested_modalites(modalites)
    keep, create = set(), []
    for bloc in tree:
        for capacite in bloc.capacites.all():
            capacite.bloc = bloc
            if bloc.pk not in wanted or bloc.pk in carried:
                continue
            allowed = {m.pk: m for m in allowed_modalites(capacite)}
            choice = requested.get(
                capacite.pk, chosen[capacite.pk].modalite_id if capacite.pk in chosen else None
            )
            if choice is None and len(allowed) == 1:
                choice = next(iter(allowed))
            if choice is None:
                continue
            if choice not in allowed:
                raise ApplicationError(
                    f"La modalité choisie pour la capacité {capacite.code} n'est pas permise par le référentiel.",
                    field="modalites",
                    extra={"capacite_id": capacite.pk},
                )
            keep.add(capacite.pk)
            current = chosen.get(capacite.pk)
            if current is None:
                create.append(
                    DossierModalite(
                        organisation_id=dossier.organisation_id,
                        dossier=dossier,
                        capacite_id=capacite.pk,
                        modalite_id=choice,
                    )
                )
            elif current.modalite_id != choice:
                current.modalite_id = choice
                current.save(update_fields=["modalite"])
    unknown = set(requested) - {c.pk for b in tree for c in b.capacites.all()}
    if unknown:
        raise ApplicationError("Une des capacités n'appartient pas à ce référentiel.", field="modalites")
    DossierModalite.objects.filter(dossier=dossier).exclude(capacite_id__in=keep).delete()
    DossierModalite.objects.bulk_create(create)
    return keep


class _DryRun(Exception):
    """Rolls a dry run's savepoint back."""


def dossier_plan_errors(*, dossier: Dossier, blocs: Iterable[Bloc] | None, modalites: dict | None) -> dict:
    """What :func:`dossier_plan_update` would refuse, and the capacités of targeted blocs still
    without modalité (inscription needs one), for inline validation of the plan form.

    The service itself runs in a savepoint that is always rolled back: nothing is written.
    Keys: ``blocs``, ``modalite_<capacité id>``, ``__all__``.
    """
    errors: dict[str, list[str]] = {}
    try:
        with transaction.atomic():
            dossier_plan_update(dossier=dossier, by=None, blocs=blocs, modalites=modalites, _audit=False)
            to_evaluate = [
                db.bloc_id for db in DossierBloc.objects.filter(dossier=dossier) if not db.acquis_anterieur
            ]
            chosen = DossierModalite.objects.filter(dossier=dossier).values_list("capacite_id", flat=True)
            for pk in (
                Capacite.objects.filter(bloc_id__in=to_evaluate)
                .exclude(pk__in=chosen)
                .values_list("pk", flat=True)
            ):
                errors[f"modalite_{pk}"] = ["Modalité à choisir : l'inscription du candidat l'exige."]
            raise _DryRun
    except _DryRun:
        pass
    except ApplicationError as exc:
        capacite_id = exc.extra.get("capacite_id")
        errors[f"modalite_{capacite_id}" if capacite_id else (exc.field or "__all__")] = [exc.message]
    return errors
