"""Writes on candidates, entreprises, tuteurs and dossiers — including the dossier state machine.

Call these inside ``tenant_context`` (pages and API already are). ``by`` is the actor: a
``Membership`` (pages, API) or a user; ``None`` for the system (tasks, demo).

State machine (DESIGN.md)::

    brouillon → inscrit → en_evaluation → pret_pour_jury → delibere (certifie | partiel | ajourne)
        └──────────┴────────────┴──────────────┴──→ abandon

plus two corrections with a mandatory reason (``inscrit → brouillon``, ``pret_pour_jury →
en_evaluation``). Other apps move dossiers with :func:`dossier_transition`, the jury with
:func:`dossier_deliberate`; :func:`dossier_rattrapage_open` opens a retake. Apps above add
their own guards through :mod:`candidates.hooks` (e.g. the evaluations app's readiness guard).
"""

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from candidates import hooks
from candidates.models import (
    Candidate,
    Dossier,
    DossierBloc,
    DossierModalite,
    DossierTransition,
    Entreprise,
    Piece,
    Tuteur,
)
from core.errors import ApplicationError
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.models import Bloc, Capacite, Modalite, Referentiel
from referentiels.selectors import habilitation_valid_for

S = Dossier.Status

# from → {to: reason required?}
TRANSITIONS: dict[str, dict[str, bool]] = {
    S.BROUILLON: {S.INSCRIT: False, S.ABANDON: True},
    S.INSCRIT: {S.EN_EVALUATION: False, S.BROUILLON: True, S.ABANDON: True},
    S.EN_EVALUATION: {S.PRET_POUR_JURY: False, S.ABANDON: True},
    S.PRET_POUR_JURY: {S.DELIBERE: False, S.EN_EVALUATION: True, S.ABANDON: True},
    S.DELIBERE: {},
    S.ABANDON: {},
}

# Chosen modalités that need a document before the jury can sit.
PIECE_REQUIRED_BY_MODALITE = {
    "presentation_projets": Piece.Kind.RAPPORT,
    "portefeuille_preuves": Piece.Kind.PORTEFEUILLE,
    "memoire_soutenance": Piece.Kind.MEMOIRE,
}


def _user(by):
    return getattr(by, "user", by)


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def _validation_error(exc: ValidationError) -> ApplicationError:
    """One message naming each field, and the first field for forms and API bodies."""
    if hasattr(exc, "error_dict"):
        parts, first = [], None
        for field, errors in exc.message_dict.items():
            first = first or (field if field != "__all__" else None)
            parts.extend(errors if field == "__all__" else [f"{field} : {e}" for e in errors])
        return ApplicationError(" ; ".join(parts), field=first, extra={"fields": exc.message_dict})
    return ApplicationError(" ; ".join(exc.messages))


def _save(obj, *, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    obj.save()


def _set_fields(obj, fields: dict, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(
            f"Champ non modifiable : {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    for name, value in fields.items():
        setattr(obj, name, "" if value is None and name in _TEXT_FIELDS.get(type(obj), ()) else value)


# --- candidates, entreprises, tuteurs ------------------------------------------------------

CANDIDATE_FIELDS = (
    "civilite",
    "sexe",
    "nom_naissance",
    "nom_usage",
    "prenom1",
    "prenom2",
    "prenom3",
    "naissance_annee",
    "naissance_mois",
    "naissance_jour",
    "naissance_commune",
    "naissance_code_insee",
    "naissance_pays_code",
    "naissance_pays",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
)
ENTREPRISE_FIELDS = ("raison_sociale", "siret", "adresse", "code_postal", "ville")
TUTEUR_FIELDS = ("entreprise", "nom", "prenom", "email", "telephone", "fonction")
_TEXT_FIELDS = {
    Candidate: set(CANDIDATE_FIELDS) - {"naissance_annee", "naissance_mois", "naissance_jour"},
    Entreprise: set(ENTREPRISE_FIELDS),
    Tuteur: set(TUTEUR_FIELDS) - {"entreprise"},
}


def _normalise_candidate(candidate: Candidate) -> None:
    candidate.nom_naissance = (candidate.nom_naissance or "").strip().upper()
    candidate.nom_usage = (candidate.nom_usage or "").strip().upper()
    for name in ("prenom1", "prenom2", "prenom3", "naissance_commune", "naissance_pays"):
        setattr(candidate, name, (getattr(candidate, name) or "").strip())
    candidate.naissance_code_insee = (candidate.naissance_code_insee or "").strip().upper()
    candidate.naissance_pays_code = (candidate.naissance_pays_code or "").strip().upper()
    candidate.email = (candidate.email or "").strip().lower()


@transaction.atomic
def candidate_create(*, by, **fields) -> Candidate:
    candidate = Candidate(organisation=current_organisation())
    _set_fields(candidate, fields, CANDIDATE_FIELDS)
    _normalise_candidate(candidate)
    _save(candidate)
    audit_record(actor=_user(by), action="candidate.create", obj=candidate)
    return candidate


@transaction.atomic
def candidate_update(*, candidate: Candidate, by, **fields) -> Candidate:
    if candidate.erased_at:
        raise ApplicationError(
            "Les données de ce candidat ont été effacées (RGPD) : elles ne peuvent plus être modifiées."
        )
    _set_fields(candidate, fields, CANDIDATE_FIELDS)
    _normalise_candidate(candidate)
    _save(candidate)
    audit_record(actor=_user(by), action="candidate.update", obj=candidate, message=", ".join(sorted(fields)))
    return candidate


@transaction.atomic
def candidate_delete(*, candidate: Candidate, by) -> None:
    if candidate.dossiers.exists():
        raise ApplicationError(
            "Ce candidat a des dossiers : il ne peut pas être supprimé. Abandonnez ses dossiers, ou demandez l'effacement RGPD."
        )
    audit_record(actor=_user(by), action="candidate.delete", obj=candidate)
    candidate.delete()


def entreprise_siret_check(*, siret: str, entreprise: Entreprise | None = None) -> None:
    """Refuse a SIRET another entreprise of the centre already has (the key is the validator's)."""
    others = Entreprise.objects.filter(siret=siret.replace(" ", ""))
    if entreprise is not None:
        others = others.exclude(pk=entreprise.pk)
    if others.exists():
        raise ApplicationError(
            f"Une entreprise avec le SIRET {siret.replace(' ', '')} existe déjà.", field="siret"
        )


@transaction.atomic
def entreprise_create(*, by, **fields) -> Entreprise:
    entreprise = Entreprise(organisation=current_organisation())
    _set_fields(entreprise, fields, ENTREPRISE_FIELDS)
    entreprise.siret = (entreprise.siret or "").replace(" ", "")
    entreprise_siret_check(siret=entreprise.siret)
    _save(entreprise)
    return entreprise


@transaction.atomic
def entreprise_update(*, entreprise: Entreprise, by, **fields) -> Entreprise:
    _set_fields(entreprise, fields, ENTREPRISE_FIELDS)
    entreprise.siret = (entreprise.siret or "").replace(" ", "")
    entreprise_siret_check(siret=entreprise.siret, entreprise=entreprise)
    _save(entreprise)
    return entreprise


@transaction.atomic
def entreprise_delete(*, entreprise: Entreprise, by) -> None:
    if entreprise.dossiers.exists() or entreprise.tuteurs.exists():
        raise ApplicationError(
            "Cette entreprise est liée à des dossiers ou des tuteurs : elle ne peut pas être supprimée."
        )
    entreprise.delete()


@transaction.atomic
def tuteur_create(*, by, **fields) -> Tuteur:
    tuteur = Tuteur(organisation=current_organisation())
    _set_fields(tuteur, fields, TUTEUR_FIELDS)
    tuteur.email = (tuteur.email or "").strip().lower()
    if Tuteur.objects.filter(email=tuteur.email).exists():
        raise ApplicationError(f"Un tuteur avec l'adresse {tuteur.email} existe déjà.", field="email")
    _save(tuteur)
    return tuteur


@transaction.atomic
def tuteur_update(*, tuteur: Tuteur, by, **fields) -> Tuteur:
    _set_fields(tuteur, fields, TUTEUR_FIELDS)
    tuteur.email = (tuteur.email or "").strip().lower()
    if Tuteur.objects.filter(email=tuteur.email).exclude(pk=tuteur.pk).exists():
        raise ApplicationError(f"Un tuteur avec l'adresse {tuteur.email} existe déjà.", field="email")
    _save(tuteur)
    return tuteur


@transaction.atomic
def tuteur_delete(*, tuteur: Tuteur, by) -> None:
    if tuteur.dossiers.exists():
        raise ApplicationError("Ce tuteur suit des dossiers : il ne peut pas être supprimé.")
    tuteur.delete()


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


def _record(dossier: Dossier, from_status: str, to_status: str, by, reason: str) -> DossierTransition:
    return DossierTransition.objects.create(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        from_status=from_status,
        to_status=to_status,
        by=_user(by) if by else None,
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
            f"Le centre n'est pas habilité pour {referentiel.code} au {_fmt(on)}.", field="referentiel"
        )


def _check_links(dossier: Dossier) -> None:
    if (
        dossier.tuteur_id
        and dossier.entreprise_id
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
            f"La date limite de remise du rapport ({_fmt(dossier.date_remise_rapport)}) précède la date "
            f"d'inscription ({_fmt(dossier.date_inscription)}).",
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
    *, by, candidate: Candidate, referentiel: Referentiel, blocs: Iterable[Bloc] | None = None, **fields
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
        created_by=_user(by),
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
        actor=_user(by),
        action="dossier.create",
        obj=dossier,
        message=f"{candidate.nom_complet} — {referentiel.code}",
    )
    return dossier


@transaction.atomic
def dossier_update(*, dossier: Dossier, by, **fields) -> Dossier:
    _check_not_closed(dossier)
    _check_inscription_date_frozen(dossier, fields)
    _set_fields(dossier, fields, DOSSIER_FIELDS)
    _check_links(dossier)
    _check_dates(dossier)
    _save(dossier, exclude=["candidate", "referentiel"])
    audit_record(actor=_user(by), action="dossier.update", obj=dossier, message=", ".join(sorted(fields)))
    return dossier


@transaction.atomic
def dossier_delete(*, dossier: Dossier, by) -> None:
    if dossier.status != S.BROUILLON or dossier.attempt > 1:
        raise ApplicationError(
            "Seul un dossier en brouillon (première tentative) peut être supprimé ; sinon, abandonnez-le."
        )
    audit_record(actor=_user(by), action="dossier.delete", obj=dossier, message=dossier.referentiel.code)
    dossier.delete()


def allowed_modalites(capacite: Capacite) -> list[Modalite]:
    """Modalités the référentiel allows for a capacité: its own, else its bloc's (prefetched lists)."""
    own = list(capacite.modalites.all())
    return own or list(capacite.bloc.modalites.all())


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


@transaction.atomic
def dossier_plan_update(
    *, dossier: Dossier, by, blocs: Iterable[Bloc] | None, modalites: dict | None, _audit: bool = True
) -> Dossier:
    """Set the targeted blocs (None = all) and the modalité per capacité ({capacite_id: modalite_id}).

    A capacité with a single allowed modalité gets it without asking. Blocs carried from a
    previous attempt stay as they are.
    """
    if not dossier.is_editable:
        raise ApplicationError(
            "Les blocs et modalités ne se modifient qu'en brouillon. Repassez le dossier en brouillon d'abord."
        )
    tree = list(
        Bloc.objects.filter(referentiel=dossier.referentiel_id).prefetch_related(
            "modalites", "capacites__modalites"
        )
    )
    by_id = {b.pk: b for b in tree}
    if blocs is None:
        wanted = set(by_id)
    else:
        wanted = {getattr(b, "pk", b) for b in blocs}
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
    if _audit:
        audit_record(
            actor=_user(by),
            action="dossier.plan",
            obj=dossier,
            message=f"{len(wanted)} bloc(s), {len(keep)} modalité(s)",
        )
    return dossier


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


# --- the state machine ---------------------------------------------------------------------


def _guard_inscrit(dossier: Dossier) -> list[str]:
    reasons = []
    if dossier.candidate.erased_at:
        reasons.append("Les données du candidat ont été effacées.")
    referentiel = dossier.referentiel
    if dossier.attempt == 1 and referentiel.status != Referentiel.Status.PUBLISHED:
        reasons.append(f"{referentiel.code} v{referentiel.version} n'est plus la version publiée.")
    if not habilitation_valid_for(
        centre=dossier.organisation, referentiel=referentiel, on=dossier.date_inscription
    ):
        reasons.append(
            f"Le centre n'a pas d'habilitation valide pour {referentiel.code} au {_fmt(dossier.date_inscription)}."
        )
    vises = list(dossier.blocs_vises.select_related("bloc"))
    to_evaluate = [db.bloc_id for db in vises if not db.acquis_anterieur]
    if not to_evaluate:
        reasons.append("Aucun bloc de compétences à évaluer n'est visé.")
    chosen = set(dossier.modalites_choisies.values_list("capacite_id", flat=True))
    missing = (
        Capacite.objects.filter(bloc_id__in=to_evaluate)
        .exclude(pk__in=chosen)
        .order_by("bloc__order", "order")
    )
    codes = [c.code for c in missing]
    if codes:
        reasons.append(f"Modalité d'évaluation à choisir pour : {', '.join(codes)}.")
    return reasons


def _guard_en_evaluation(dossier: Dossier) -> list[str]:
    if dossier.date_inscription > timezone.localdate():
        return [f"La date d'inscription ({_fmt(dossier.date_inscription)}) n'est pas encore atteinte."]
    return []


def _guard_pret_pour_jury(dossier: Dossier) -> list[str]:
    types = set(dossier.modalites_choisies.values_list("modalite__type", flat=True))
    kinds = set(dossier.pieces.values_list("kind", flat=True))
    reasons = []
    for modalite_type, kind in PIECE_REQUIRED_BY_MODALITE.items():
        if modalite_type in types and kind not in kinds:
            reasons.append(
                f"Pièce manquante : {Piece.Kind(kind).label.lower()} (exigé par la modalité choisie)."
            )
    return reasons


def _guard_abandon(dossier: Dossier) -> list[str]:
    return []


BUILTIN_GUARDS = {
    S.INSCRIT: _guard_inscrit,
    S.EN_EVALUATION: _guard_en_evaluation,
    S.PRET_POUR_JURY: _guard_pret_pour_jury,
    S.ABANDON: _guard_abandon,
}


def dossier_transition_blockers(*, dossier: Dossier, to: str) -> list[str]:
    """Why ``dossier`` cannot go to ``to`` now (empty = allowed); used by pages to show next actions."""
    to = str(to)
    labels = dict(S.choices)
    if to not in labels:
        return [f"État inconnu : « {to} »."]
    if to not in TRANSITIONS[dossier.status]:
        return [f"Un dossier « {dossier.get_status_display()} » ne peut pas passer « {labels[to]} »."]
    if to == S.BROUILLON:
        return []
    if to == S.DELIBERE:
        return []
    reasons = list(BUILTIN_GUARDS.get(to, lambda d: [])(dossier))
    for guard in hooks.transition_guards(to):
        reasons.extend(guard(dossier))
    return reasons


def _apply(dossier: Dossier, to: str, by, reason: str) -> Dossier:
    from_status = dossier.status
    dossier.status = to
    dossier.save(update_fields=["status", "decision", "date_deliberation", "updated_at"])
    _record(dossier, from_status, to, by, reason)
    audit_record(actor=_user(by), action=f"dossier.{to}", obj=dossier, message=reason)
    for listener in hooks.transition_listeners():
        listener(dossier=dossier, from_status=from_status, to_status=to, by=by)
    return dossier


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to: str, by, reason: str = "") -> Dossier:
    """Move a dossier to ``to`` if the machine allows it and no guard objects; record who/when/why.

    Raises ``ApplicationError`` with every blocking reason. ``delibere`` goes through
    :func:`dossier_deliberate` (it needs the jury's decision).
    """
    dossier = (
        Dossier.objects.select_for_update()
        .select_related("candidate", "referentiel", "organisation")
        .get(pk=dossier.pk)
    )
    to = str(to)
    reason = (reason or "").strip()
    labels = dict(S.choices)
    if to in labels and to in TRANSITIONS[dossier.status] and TRANSITIONS[dossier.status][to] and not reason:
        raise ApplicationError(f"Indiquez le motif pour passer le dossier « {labels[to]} ».", field="reason")
    if to == S.DELIBERE and to in TRANSITIONS[dossier.status]:
        raise ApplicationError(
            "La délibération se fait par le jury : elle exige une décision (certifié, partiel, ajourné).",
            field="to",
        )
    blockers = dossier_transition_blockers(dossier=dossier, to=to)
    if blockers:
        target = labels.get(to, to)
        raise ApplicationError(
            f"Passage « {target} » impossible : " + " ".join(blockers),
            field="to",
            extra={"reasons": blockers},
        )
    return _apply(dossier, to, by, reason)


def _decision_check(by_code: dict, decision: str, codes: set[str]) -> None:
    """A decision must agree with the blocs acquired (``codes`` plus the carried ones).

    « certifié » needs every targeted bloc; « validation partielle » at least one — possibly all
    of them, when the title's other conditions failed (e.g. the évaluation professionnelle of
    RNCP36390 under its minimum while every bloc is kept); « ajourné » no newly acquired bloc.
    """
    acquired = {code for code, db in by_code.items() if db.acquis_anterieur} | codes
    if decision == Dossier.Decision.CERTIFIE and acquired != set(by_code):
        missing = ", ".join(sorted(set(by_code) - acquired))
        raise ApplicationError(
            f"« Certifié » exige tous les blocs visés ; non acquis : {missing}.", field="decision"
        )
    if decision == Dossier.Decision.PARTIEL and not acquired:
        raise ApplicationError("Une validation partielle exige au moins un bloc acquis.", field="decision")
    if decision == Dossier.Decision.AJOURNE and codes:
        raise ApplicationError(
            "Un candidat ajourné n'acquiert aucun bloc : décochez les blocs ou choisissez « validation partielle ».",
            field="decision",
        )


def dossier_decision_check(*, dossier: Dossier, decision: str, blocs_acquis: Iterable[str]) -> None:
    """Raise ``ApplicationError`` unless ``decision`` with ``blocs_acquis`` can be recorded on ``dossier``."""
    by_code = {db.bloc.code: db for db in dossier.blocs_vises.select_related("bloc")}
    codes = set(blocs_acquis)
    unknown = codes - set(by_code)
    if unknown:
        raise ApplicationError(
            f"Bloc non visé par ce dossier : {', '.join(sorted(unknown))}.", field="blocs_acquis"
        )
    _decision_check(by_code, decision, codes)


@transaction.atomic
def dossier_deliberate(
    *,
    dossier: Dossier,
    by,
    decision: str,
    blocs_acquis: Iterable[str] = (),
    date: dt.date | None = None,
    reason: str = "",
) -> Dossier:
    """Record the jury's decision: ``pret_pour_jury → delibere``; ``blocs_acquis`` are bloc codes.

    The decision must agree with the blocs: all targeted blocs acquired ⇔ ``certifie``; some
    (a bloc carried from a previous attempt counts) ⇔ ``partiel``; none ⇔ ``ajourne``.
    """
    dossier = (
        Dossier.objects.select_for_update()
        .select_related("candidate", "referentiel", "organisation")
        .get(pk=dossier.pk)
    )
    if dossier.status != S.PRET_POUR_JURY:
        raise ApplicationError(
            f"Seul un dossier prêt pour le jury peut être délibéré (celui-ci est « {dossier.get_status_display()} »)."
        )
    if decision not in (Dossier.Decision.CERTIFIE, Dossier.Decision.PARTIEL, Dossier.Decision.AJOURNE):
        raise ApplicationError(
            f"Décision inconnue : « {decision} » (certifie, partiel ou ajourne).", field="decision"
        )
    vises = list(dossier.blocs_vises.select_related("bloc"))
    by_code = {db.bloc.code: db for db in vises}
    codes = set(blocs_acquis)
    unknown = codes - set(by_code)
    if unknown:
        raise ApplicationError(
            f"Bloc non visé par ce dossier : {', '.join(sorted(unknown))}.", field="blocs_acquis"
        )
    day = date or timezone.localdate()
    _decision_check(by_code, decision, codes)
    for code in codes:
        db = by_code[code]
        if not db.acquis_anterieur:
            db.acquis, db.acquis_le = True, day
            db.save(update_fields=["acquis", "acquis_le"])
    dossier.decision = decision
    dossier.date_deliberation = day
    return _apply(dossier, S.DELIBERE, by, reason or f"Décision du jury : {Dossier.Decision(decision).label}")


def _chain(dossier: Dossier) -> list[Dossier]:
    """The dossier and its previous attempts, newest first."""
    chain = [dossier]
    while chain[-1].previous_attempt_id:
        chain.append(Dossier.objects.select_related("previous_attempt").get(pk=chain[-1].previous_attempt_id))
    return chain


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def dossier_rattrapage_plan(
    *, dossier: Dossier, blocs: Iterable[str] | None = None, today: dt.date | None = None
) -> list[DossierBloc]:
    """The failed blocs a retake would target, or ``ApplicationError`` explaining the refusal.

    Rules come from the référentiel's règle: ``validite_blocs_annees`` (window counted from
    the first deliberation of the chain) and ``rattrapages_par_bloc``.
    """
    today = today or timezone.localdate()
    if dossier.status != S.DELIBERE or dossier.decision not in (
        Dossier.Decision.PARTIEL,
        Dossier.Decision.AJOURNE,
    ):
        raise ApplicationError(
            "Un rattrapage s'ouvre après une délibération en validation partielle ou un ajournement."
        )
    if dossier.retakes.exists():
        raise ApplicationError("Un rattrapage a déjà été ouvert pour cette tentative.")
    if dossier.candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont été effacées.")
    regle = dossier.referentiel.regle or {}
    chain = _chain(dossier)
    first_day = chain[-1].date_deliberation or dossier.date_deliberation
    validite = regle.get("validite_blocs_annees")
    if validite and first_day:
        limit = _add_years(first_day, int(validite))
        if today > limit:
            raise ApplicationError(
                f"Délai de rattrapage dépassé : le règlement de {dossier.referentiel.code} permet de repasser les blocs "
                f"dans les {validite} ans suivant la première délibération ({_fmt(first_day)}), soit jusqu'au {_fmt(limit)}."
            )
    failed = [db for db in dossier.blocs_vises.select_related("bloc") if not db.acquis]
    if not failed:
        raise ApplicationError("Aucun bloc à repasser : tous les blocs visés sont acquis.")
    max_retakes = regle.get("rattrapages_par_bloc")
    attempts_by_bloc: dict[int, int] = {}
    if max_retakes is not None:
        rows = DossierBloc.objects.filter(
            dossier__in=[d.pk for d in chain], acquis_anterieur=False
        ).values_list("bloc_id", flat=True)
        for bloc_id in rows:
            attempts_by_bloc[bloc_id] = attempts_by_bloc.get(bloc_id, 0) + 1
    wanted = set(blocs) if blocs is not None else None
    if wanted is not None:
        unknown = wanted - {db.bloc.code for db in failed}
        if unknown:
            raise ApplicationError(
                f"Bloc sans échec à repasser : {', '.join(sorted(unknown))}.", field="blocs"
            )
    plan, exhausted = [], []
    for db in failed:
        if wanted is not None and db.bloc.code not in wanted:
            continue
        used = attempts_by_bloc.get(db.bloc_id, 1) - 1
        if max_retakes is not None and used >= int(max_retakes):
            exhausted.append((db.bloc.code, used))
            continue
        plan.append(db)
    if exhausted and (wanted is not None or not plan):
        details = ", ".join(f"{code} (déjà repassé {n} fois)" for code, n in exhausted)
        raise ApplicationError(
            f"Rattrapage refusé : le règlement de {dossier.referentiel.code} n'autorise que {max_retakes} rattrapage(s) par bloc — {details}."
        )
    return plan


@transaction.atomic
def dossier_rattrapage_open(
    *, dossier: Dossier, by, blocs: Iterable[str] | None = None, date_inscription: dt.date | None = None
) -> Dossier:
    """Open the next attempt: validated blocs carried (not re-evaluated), failed ones targeted again."""
    dossier = (
        Dossier.objects.select_for_update().select_related("candidate", "referentiel").get(pk=dossier.pk)
    )
    plan = dossier_rattrapage_plan(dossier=dossier, blocs=blocs)
    day = date_inscription or timezone.localdate()
    if not habilitation_valid_for(centre=current_organisation(), referentiel=dossier.referentiel, on=day):
        raise ApplicationError(
            f"Le centre n'est pas habilité pour {dossier.referentiel.code} au {_fmt(day)}."
        )
    retake = Dossier(
        organisation=dossier.organisation,
        candidate=dossier.candidate,
        referentiel=dossier.referentiel,
        voie_acces=dossier.voie_acces,
        statut_professionnel=dossier.statut_professionnel,
        entreprise=dossier.entreprise,
        tuteur=dossier.tuteur,
        date_inscription=day,
        attempt=dossier.attempt + 1,
        previous_attempt=dossier,
        created_by=_user(by),
        **{
            f"amenagement_{n}": getattr(dossier, f"amenagement_{n}")
            for n in ("tiers_temps", "pauses", "secretaire", "interprete", "equipement", "note")
        },
    )
    _save(retake, exclude=["candidate", "referentiel", "previous_attempt"])
    carried = [db for db in dossier.blocs_vises.all() if db.acquis]
    DossierBloc.objects.bulk_create(
        [
            DossierBloc(
                organisation=dossier.organisation,
                dossier=retake,
                bloc_id=db.bloc_id,
                acquis=True,
                acquis_anterieur=True,
                acquis_le=db.acquis_le,
            )
            for db in carried
        ]
        + [DossierBloc(organisation=dossier.organisation, dossier=retake, bloc_id=db.bloc_id) for db in plan]
    )
    retaken = {db.bloc_id for db in plan}
    DossierModalite.objects.bulk_create(
        [
            DossierModalite(
                organisation=dossier.organisation,
                dossier=retake,
                capacite_id=dm.capacite_id,
                modalite_id=dm.modalite_id,
            )
            for dm in dossier.modalites_choisies.select_related("capacite")
            if dm.capacite.bloc_id in retaken
        ]
    )
    codes = ", ".join(db.bloc.code for db in plan)
    _record(retake, "", S.BROUILLON, by, f"Rattrapage de la tentative {dossier.attempt} : {codes}")
    audit_record(actor=_user(by), action="dossier.rattrapage", obj=retake, message=codes)
    return retake


# --- pièces --------------------------------------------------------------------------------


@transaction.atomic
def piece_upload(*, dossier: Dossier, by, kind: str, uploaded_file) -> Piece:
    """Check size and real type (sniffed from the bytes), then store under a random private name."""
    from candidates.sniffing import sniff_upload

    if kind not in Piece.Kind.values:
        raise ApplicationError(f"Type de pièce inconnu : « {kind} ».", field="kind")
    if dossier.is_closed:
        raise ApplicationError(
            f"Le dossier est {dossier.get_status_display().lower()} : il ne reçoit plus de pièce.",
            field="file",
        )
    if dossier.candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont été effacées.", field="file")
    limit = settings.FILE_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ApplicationError(
            f"Fichier trop volumineux : {uploaded_file.size / 1_048_576:.1f} Mo, maximum {limit / 1_048_576:.0f} Mo.",
            field="file",
        )
    if uploaded_file.size == 0:
        raise ApplicationError("Le fichier est vide.", field="file")
    # the download name keeps no directory, whatever the client's separator ("..\\..\\x" from Windows)
    name = PurePath((uploaded_file.name or "").replace("\\", "/")).name[:255] or "piece"
    sniffed = sniff_upload(uploaded_file, name)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    piece = Piece(
        organisation=current_organisation(),
        dossier=dossier,
        kind=kind,
        original_name=name,
        content_type=sniffed.mime,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=_user(by),
    )
    # Random name: nothing of the original name (or of the candidate) reaches the storage.
    piece.file.save(
        f"pieces/{piece.organisation.public_id}/{uuid.uuid4().hex}{sniffed.extension}",
        uploaded_file,
        save=False,
    )
    try:
        piece.full_clean(exclude=["file"])
        piece.save()
    except Exception:
        piece.file.storage.delete(piece.file.name)
        raise
    audit_record(
        actor=_user(by), action="piece.upload", obj=dossier, message=f"{piece.get_kind_display()} : {name}"
    )
    return piece


@transaction.atomic
def piece_delete(*, piece: Piece, by) -> None:
    if piece.dossier.status not in (S.BROUILLON, S.INSCRIT, S.EN_EVALUATION):
        raise ApplicationError("Les pièces d'un dossier présenté au jury sont conservées.")
    name = piece.file.name
    audit_record(actor=_user(by), action="piece.delete", obj=piece.dossier, message=piece.get_kind_display())
    piece.delete()
    transaction.on_commit(lambda: piece.file.storage.delete(name))


# --- bulk import ---------------------------------------------------------------------------

# Files above this size are checked and imported by a Celery worker; smaller ones at once.
IMPORT_ASYNC_MIN_BYTES = 64 * 1024
IMPORT_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


def _import_progress_key(job) -> str:
    return f"candidates:import:{job.public_id}:progress"


def import_job_progress(job) -> int:
    """Rows processed so far; the task's writes are invisible until it commits, so it reports through the cache."""
    from django.core.cache import cache

    if job.is_running:
        return cache.get(_import_progress_key(job), 0)
    return job.total_rows


def _progress_reporter(job):
    from django.core.cache import cache

    return lambda n: cache.set(_import_progress_key(job), n, timeout=3600)


@transaction.atomic
def import_job_create(*, by, uploaded_file, merge_duplicates: bool = False):
    """Store the file and start the dry run (inline for a small file, on a worker otherwise)."""
    from candidates.models import ImportJob
    from candidates.tasks import candidate_import_check

    name = PurePath(uploaded_file.name or "import").name[:255]
    file_format = IMPORT_FORMATS.get(PurePath(name).suffix.lower())
    if file_format is None:
        raise ApplicationError(f"« {name} » : déposez un fichier .csv ou .xlsx.", field="file")
    if uploaded_file.size > settings.FILE_UPLOAD_MAX_BYTES:
        raise ApplicationError(
            f"Fichier trop volumineux (maximum {settings.FILE_UPLOAD_MAX_BYTES / 1_048_576:.0f} Mo).",
            field="file",
        )
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if file_format == "xlsx" and not head.startswith(b"PK\x03\x04"):
        raise ApplicationError(f"« {name} » n'est pas un classeur XLSX (contenu analysé).", field="file")
    if file_format == "csv" and (b"\x00" in head or head.startswith((b"PK", b"MZ", b"%PDF"))):
        raise ApplicationError(f"« {name} » n'est pas un fichier texte CSV (contenu analysé).", field="file")
    job = ImportJob(
        organisation=current_organisation(),
        original_name=name,
        file_format=file_format,
        merge_duplicates=merge_duplicates,
        created_by=_user(by),
    )
    job.file.save(
        f"imports/{job.organisation.public_id}/{uuid.uuid4().hex}.{file_format}", uploaded_file, save=False
    )
    job.save()
    audit_record(actor=_user(by), action="import.create", obj=job, message=name)
    if uploaded_file.size < IMPORT_ASYNC_MIN_BYTES:
        import_job_check(job=job)
    else:
        candidate_import_check.delay_on_commit(organisation_id=job.organisation_id, job_id=job.pk)
    return job


def _read_job_file(job) -> bytes:
    with job.file.open("rb") as fh:
        return fh.read()


def import_job_check(*, job):
    """Dry run: record errors, warnings and a preview; status ``validated`` or ``rejected``."""
    from candidates.importer import MAX_ERRORS_KEPT, check_file
    from candidates.models import ImportJob

    try:
        report = check_file(
            _read_job_file(job),
            job.file_format,
            merge_duplicates=job.merge_duplicates,
            progress=_progress_reporter(job),
        )
    except ApplicationError as exc:
        job.errors = [{"row": 0, "column": "", "message": exc.message}]
        job.status = ImportJob.Status.REJECTED
    else:
        job.total_rows = report.total_rows
        job.errors = [e.as_dict() for e in report.errors[:MAX_ERRORS_KEPT]]
        job.result = {"nb_erreurs": len(report.errors), "nb_lignes_valides": len(report.rows)}
        job.warnings = [w.as_dict() for w in report.warnings[:MAX_ERRORS_KEPT]]
        job.preview = report.preview()
        job.duplicates = report.duplicates
        job.status = ImportJob.Status.REJECTED if report.errors else ImportJob.Status.VALIDATED
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    return job


def _duplicate_choices(job, choices: dict | None) -> dict[str, str]:
    """The choice for every duplicate row of the preview: its default, overridden by ``choices``
    (``{row: fusionner | creer | ignorer}``); a wrong row or value, a row left without choice or
    an impossible merge is refused with the row named."""
    from candidates.importer import DUPLICATE_CHOICES, MERGE

    by_row = {d["row"]: d for d in job.duplicates}
    chosen = {row: d["choix"] for row, d in by_row.items()}
    for key, value in (choices or {}).items():
        try:
            row = int(key)
        except (TypeError, ValueError):
            raise ApplicationError(f"Ligne « {key} » : numéro de ligne attendu.", field="choix") from None
        if row not in by_row:
            raise ApplicationError(
                f"Ligne {row} : ce n'est pas un doublon, aucun choix à faire.", field="choix"
            )
        if value not in DUPLICATE_CHOICES:
            raise ApplicationError(
                f"Ligne {row} : choix « {value} » inconnu ; attendu : {', '.join(DUPLICATE_CHOICES)}.",
                field="choix",
            )
        if value == MERGE and not by_row[row]["fusion_possible"]:
            raise ApplicationError(
                f"Ligne {row} : {by_row[row]['existant']} a déjà un dossier en cours pour "
                f"{by_row[row]['referentiel']} ; choisissez creer ou ignorer.",
                field="choix",
            )
        chosen[row] = value
    missing = sorted(row for row, value in chosen.items() if not value)
    if missing:
        raise ApplicationError(
            f"Choisissez pour chaque doublon (lignes {', '.join(map(str, missing))}) : "
            "rattacher au candidat existant, créer un nouveau candidat ou ignorer la ligne.",
            field="choix",
        )
    return {str(row): value for row, value in sorted(chosen.items())}


@transaction.atomic
def import_job_confirm(*, job, by, choices: dict | None = None):
    """Write a validated import (inline for a small file, on a worker otherwise).

    ``choices``: what to do with each row matching an existing candidate (see
    :func:`_duplicate_choices`); checked before anything else, nothing written if refused.
    """
    from candidates.models import ImportJob
    from candidates.tasks import candidate_import_apply

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.VALIDATED:
        raise ApplicationError(
            f"Cet import est « {job.get_status_display()} » : seul un import vérifié sans erreur peut être confirmé."
        )
    job.duplicate_choices = _duplicate_choices(job, choices)
    job.status = ImportJob.Status.IMPORTING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "duplicate_choices"])
    audit_record(actor=_user(by), action="import.confirm", obj=job, message=job.original_name)
    if job.file.size < IMPORT_ASYNC_MIN_BYTES:
        import_job_apply(job=job)
    else:
        candidate_import_apply.delay_on_commit(organisation_id=job.organisation_id, job_id=job.pk)
    return job


def import_job_apply(*, job):
    """Check the file again (the centre's data may have moved since the dry run), then write all or nothing."""
    from candidates.importer import MAX_ERRORS_KEPT, check_file, write_rows
    from candidates.models import ImportJob

    report = check_file(
        _read_job_file(job),
        job.file_format,
        merge_duplicates=job.merge_duplicates,
        choices={int(row): value for row, value in job.duplicate_choices.items()},
        progress=_progress_reporter(job),
    )
    if report.errors:
        job.errors = [e.as_dict() for e in report.errors[:MAX_ERRORS_KEPT]]
        job.status = ImportJob.Status.REJECTED
    else:
        try:
            with transaction.atomic():
                job.result = write_rows(report, by_user=job.created_by)
            job.status = ImportJob.Status.DONE
        except ApplicationError as exc:
            job.errors = [{"row": 0, "column": "", "message": exc.message}]
            job.status = ImportJob.Status.FAILED
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    return job


@transaction.atomic
def dossier_decision_rectify(
    *, dossier: Dossier, by, decision: str, blocs_acquis: Iterable[str] = (), reason: str
) -> Dossier:
    """Apply a jury's signed rectification to a deliberated dossier (decision and blocs acquired).

    Same consistency rule as :func:`dossier_deliberate`; the change is recorded as a transition
    ``delibere → delibere`` with the reason. Called by the juries app once the rectification's
    procès-verbal is fully signed.
    """
    dossier = Dossier.objects.select_for_update().select_related("referentiel").get(pk=dossier.pk)
    if dossier.status != S.DELIBERE:
        raise ApplicationError("Seul un dossier délibéré peut faire l'objet d'une rectification.")
    if not (reason or "").strip():
        raise ApplicationError("Indiquez le motif de la rectification.", field="reason")
    if decision not in (Dossier.Decision.CERTIFIE, Dossier.Decision.PARTIEL, Dossier.Decision.AJOURNE):
        raise ApplicationError(f"Décision inconnue : « {decision} ».", field="decision")
    vises = list(dossier.blocs_vises.select_related("bloc"))
    by_code = {db.bloc.code: db for db in vises}
    codes = set(blocs_acquis)
    if codes - set(by_code):
        raise ApplicationError(
            f"Bloc non visé par ce dossier : {', '.join(sorted(codes - set(by_code)))}.", field="blocs_acquis"
        )
    _decision_check(by_code, decision, codes)
    for code, db in by_code.items():
        if db.acquis_anterieur:
            continue
        keep = code in codes
        if db.acquis != keep:
            db.acquis, db.acquis_le = keep, (dossier.date_deliberation if keep else None)
            db.save(update_fields=["acquis", "acquis_le"])
    dossier.decision = decision
    dossier.save(update_fields=["decision", "updated_at"])
    _record(dossier, S.DELIBERE, S.DELIBERE, by, reason.strip())
    audit_record(actor=_user(by), action="dossier.rectification", obj=dossier, message=reason.strip())
    return dossier
