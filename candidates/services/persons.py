"""Candidates, entreprises and tuteurs: create, edit, delete."""

from collections.abc import Iterable

from django.db import transaction

from candidates.models import (
    Candidate,
    Entreprise,
    Tuteur,
)
from candidates.services._common import _save
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from core.identity import PERSON_FIELDS
from organisations.services import audit_record
from organisations.tenancy import current_organisation


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

CANDIDATE_FIELDS = PERSON_FIELDS
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
def candidate_create(*, by: Actor, **fields) -> Candidate:
    candidate = Candidate(organisation=current_organisation())
    _set_fields(candidate, fields, CANDIDATE_FIELDS)
    _normalise_candidate(candidate)
    _save(candidate)
    audit_record(actor=actor_user(by), action="candidate.create", obj=candidate)
    return candidate


@transaction.atomic
def candidate_update(*, candidate: Candidate, by: Actor, **fields) -> Candidate:
    if candidate.erased_at:
        raise ApplicationError(
            "Les données de ce candidat ont été effacées (RGPD) : elles ne peuvent plus être modifiées."
        )
    _set_fields(candidate, fields, CANDIDATE_FIELDS)
    _normalise_candidate(candidate)
    _save(candidate)
    audit_record(
        actor=actor_user(by), action="candidate.update", obj=candidate, message=", ".join(sorted(fields))
    )
    return candidate


@transaction.atomic
def candidate_delete(*, candidate: Candidate, by: Actor) -> None:
    if candidate.dossiers.exists():
        raise ApplicationError(
            "Ce candidat a des dossiers : il ne peut pas être supprimé. Abandonnez ses dossiers, ou demandez l'effacement RGPD."
        )
    audit_record(actor=actor_user(by), action="candidate.delete", obj=candidate)
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
def entreprise_create(*, by: Actor, **fields) -> Entreprise:
    entreprise = Entreprise(organisation=current_organisation())
    _set_fields(entreprise, fields, ENTREPRISE_FIELDS)
    entreprise.siret = (entreprise.siret or "").replace(" ", "")
    entreprise_siret_check(siret=entreprise.siret)
    _save(entreprise)
    return entreprise


@transaction.atomic
def entreprise_update(*, entreprise: Entreprise, by: Actor, **fields) -> Entreprise:
    _set_fields(entreprise, fields, ENTREPRISE_FIELDS)
    entreprise.siret = (entreprise.siret or "").replace(" ", "")
    entreprise_siret_check(siret=entreprise.siret, entreprise=entreprise)
    _save(entreprise)
    return entreprise


@transaction.atomic
def entreprise_delete(*, entreprise: Entreprise, by: Actor) -> None:
    if entreprise.dossiers.exists() or entreprise.tuteurs.exists():
        raise ApplicationError(
            "Cette entreprise est liée à des dossiers ou des tuteurs : elle ne peut pas être supprimée."
        )
    entreprise.delete()


@transaction.atomic
def tuteur_create(*, by: Actor, **fields) -> Tuteur:
    tuteur = Tuteur(organisation=current_organisation())
    _set_fields(tuteur, fields, TUTEUR_FIELDS)
    tuteur.email = (tuteur.email or "").strip().lower()
    if Tuteur.objects.filter(email=tuteur.email).exists():
        raise ApplicationError(f"Un tuteur avec l'adresse {tuteur.email} existe déjà.", field="email")
    _save(tuteur)
    return tuteur


@transaction.atomic
def tuteur_update(*, tuteur: Tuteur, by: Actor, **fields) -> Tuteur:
    _set_fields(tuteur, fields, TUTEUR_FIELDS)
    tuteur.email = (tuteur.email or "").strip().lower()
    if Tuteur.objects.filter(email=tuteur.email).exclude(pk=tuteur.pk).exists():
        raise ApplicationError(f"Un tuteur avec l'adresse {tuteur.email} existe déjà.", field="email")
    _save(tuteur)
    return tuteur


@transaction.atomic
def tuteur_delete(*, tuteur: Tuteur, by: Actor) -> None:
    if tuteur.dossiers.exists():
        raise ApplicationError("Ce tuteur suit des dossiers : il ne peut pas être supprimé.")
    tuteur.delete()
