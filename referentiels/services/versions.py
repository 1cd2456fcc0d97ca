"""Versions of a référentiel: publication, new draft, header edit, deletion of a draft."""

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import document_check
from referentiels.jury_composition import composition_parse
from referentiels.models import (
    Referentiel,
)
from referentiels.services._common import _require_draft, _require_owner
from referentiels.services.export import referentiel_export
from referentiels.services.imports import _clear_structure, referentiel_import


@transaction.atomic
def referentiel_publish(*, referentiel: Referentiel, by: Organisation) -> Referentiel:
    """Publish a draft; the version it supersedes is archived.

    Exactly one version of a code is published (a database constraint backs it), and it is the
    highest non-draft one: a draft numbered below a published or archived version is refused
    (archiving the newer version for older content would be irreversible and misleading).
    """
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    # Lock the code's versions: two drafts published at once must not both pass the check.
    rows = list(
        Referentiel.objects.select_for_update()
        .filter(code=referentiel.code)
        .values_list("pk", "version", "status")
    )
    newer = [
        v
        for pk, v, status in rows
        if pk != referentiel.pk and status != Referentiel.Status.DRAFT and v > referentiel.version
    ]
    if newer:
        raise ApplicationError(
            f"{referentiel.code} v{referentiel.version} ne peut pas être publiée : la v{max(newer)} est déjà publiée "
            "ou archivée. Créez une nouvelle version à partir de la version publiée.",
            field="version",
        )
    document_check(referentiel_export(referentiel=referentiel), f"{referentiel.code} v{referentiel.version}")
    # The superseded version is archived first: the one-published-per-code constraint is immediate.
    Referentiel.objects.filter(code=referentiel.code, status=Referentiel.Status.PUBLISHED).update(
        status=Referentiel.Status.ARCHIVED
    )
    referentiel.status = Referentiel.Status.PUBLISHED
    referentiel.published_at = timezone.now()
    referentiel.save(update_fields=["status", "published_at", "updated_at"])
    return referentiel


@transaction.atomic
def referentiel_new_version(*, referentiel: Referentiel, by: Organisation) -> Referentiel:
    """Copy a version into a new draft numbered after the highest existing version."""
    _require_owner(referentiel, by)
    if Referentiel.objects.filter(code=referentiel.code, status=Referentiel.Status.DRAFT).exists():
        raise ApplicationError(
            f"Un brouillon de {referentiel.code} existe déjà : modifiez-le ou publiez-le d'abord."
        )
    doc = referentiel_export(referentiel=referentiel)
    doc["version"] = (
        Referentiel.objects.filter(code=referentiel.code)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1
    copy = referentiel_import(doc=doc, certificateur=by)
    copy.source = referentiel.source  # the jury's composition rules travel in the document
    copy.save(update_fields=["source"])
    return copy


@transaction.atomic
def referentiel_update(*, referentiel: Referentiel, by: Organisation, **fields) -> Referentiel:
    """Edit a draft's header fields (intitulé, niveaux, objectif, dates)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    allowed = {
        "intitule",
        "niveau_national",
        "niveau_europeen",
        "objectif",
        "date_enregistrement",
        "date_fin_enregistrement",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(f"Champ(s) non modifiable(s) : {', '.join(sorted(unknown))}")
    for key, value in fields.items():
        setattr(referentiel, key, value)
    referentiel.full_clean()
    referentiel.save()
    return referentiel


def composition_check(*, referentiel: Referentiel, composition) -> dict:
    """Check the jury's composition rules typed for this référentiel (French message naming the key,
    field ``composition_jury``) and return them as stored: only the keys given, over the family's
    default (see :mod:`referentiels.jury_composition`)."""
    composition_parse(composition, code=referentiel.code, kind=referentiel.kind)
    return dict(composition or {})


@transaction.atomic
def referentiel_composition_update(*, referentiel: Referentiel, by: Organisation, composition) -> Referentiel:
    """Replace a draft's jury composition rules (checked first: nothing written on bad input)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    referentiel.composition_jury = composition_check(referentiel=referentiel, composition=composition)
    referentiel.save(update_fields=["composition_jury", "updated_at"])
    return referentiel


@transaction.atomic
def referentiel_delete(*, referentiel: Referentiel, by: Organisation) -> None:
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    _clear_structure(referentiel)
    referentiel.delete()
