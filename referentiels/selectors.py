"""Reads on the catalogue, always for an actor's organisation (certificateur or centre)."""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from organisations.models import Organisation
from referentiels.models import Bloc, Capacite, Habilitation, Referentiel, RncpImportJob


def habilitated_codes(*, centre: Organisation, on: dt.date | None = None) -> QuerySet:
    day = on or timezone.localdate()
    return (
        Habilitation.objects.filter(centre=centre, date_debut__lte=day)
        .filter(Q(date_fin__isnull=True) | Q(date_fin__gte=day))
        .values("referentiel_code")
    )


def referentiel_visible_q(organisation: Organisation) -> Q:
    """A certificateur sees every version it owns; a centre sees published versions it is habilitated for."""
    if organisation.kind == Organisation.Kind.CERTIFICATEUR:
        return Q(certificateur=organisation)
    return Q(status=Referentiel.Status.PUBLISHED, code__in=habilitated_codes(centre=organisation))


def referentiel_list(
    *, organisation: Organisation, search: str = "", kind: str = "", status: str = "", certificateur: str = ""
) -> QuerySet[Referentiel]:
    qs = Referentiel.objects.filter(referentiel_visible_q(organisation)).select_related("certificateur")
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(intitule__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if certificateur:
        qs = qs.filter(certificateur__slug=certificateur)
    return qs.annotate(
        nb_blocs=Count("blocs", distinct=True), nb_capacites=Count("capacites", distinct=True)
    ).order_by("code", "-version")


def referentiel_certificateurs(*, organisation: Organisation) -> list[tuple[str, str]]:
    """``(slug, name)`` of the certificateurs of the référentiels ``organisation`` sees (one query)."""
    return list(
        Organisation.objects.filter(
            referentiels__in=Referentiel.objects.filter(referentiel_visible_q(organisation))
        )
        .distinct()
        .order_by("name")
        .values_list("slug", "name")
    )


def referentiel_get(*, organisation: Organisation, public_id) -> Referentiel:
    """404 for 'missing' and 'not visible to you' alike."""
    try:
        return Referentiel.objects.select_related("certificateur").get(
            referentiel_visible_q(organisation), public_id=public_id
        )
    except (Referentiel.DoesNotExist, ValueError, ValidationError):  # a malformed id is missing too
        raise Http404 from None


def referentiel_resolve(queryset: QuerySet[Referentiel], value) -> Referentiel | None:
    """A référentiel named the API's way: its ``id`` (that version) or its ``code`` (the latest
    published version among ``queryset``). None when nothing matches."""
    text = str(value).strip()
    try:
        public_id = uuid.UUID(text)
    except ValueError:
        return queryset.filter(code=text, status=Referentiel.Status.PUBLISHED).order_by("-version").first()
    return queryset.filter(public_id=public_id).first()


def referentiel_versions(*, organisation: Organisation, code: str) -> QuerySet[Referentiel]:
    return Referentiel.objects.filter(referentiel_visible_q(organisation), code=code).order_by("-version")


def referentiel_tree(*, referentiel: Referentiel) -> list[Bloc]:
    """Blocs with capacités, critères, modalités and activités prefetched (constant queries)."""
    return list(
        Bloc.objects.filter(referentiel=referentiel).prefetch_related(
            "modalites", "capacites__criteres", "capacites__modalites", "capacites__activites"
        )
    )


def capacite_get(*, organisation: Organisation, public_id_referentiel, code: str) -> Capacite:
    referentiel = referentiel_get(organisation=organisation, public_id=public_id_referentiel)
    try:
        return Capacite.objects.select_related("referentiel", "bloc").get(referentiel=referentiel, code=code)
    except Capacite.DoesNotExist:
        raise Http404 from None


def habilitation_list(*, organisation: Organisation) -> QuerySet[Habilitation]:
    qs = Habilitation.objects.select_related("centre", "certificateur")
    if organisation.kind == Organisation.Kind.CERTIFICATEUR:
        return qs.filter(certificateur=organisation)
    return qs.filter(centre=organisation)


def habilitation_get_for_certificateur(*, organisation: Organisation, public_id) -> Habilitation:
    """A habilitation this certificateur granted: 404 for 'missing' and 'another's' alike."""
    try:
        return Habilitation.objects.select_related("centre", "certificateur").get(
            certificateur=organisation, public_id=public_id
        )
    except (Habilitation.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def habilitation_valid_for(*, centre: Organisation, referentiel: Referentiel, on: dt.date) -> bool:
    return habilitated_codes(centre=centre, on=on).filter(referentiel_code=referentiel.code).exists()


def referentiel_blocs(*, referentiel: Referentiel) -> QuerySet[Bloc]:
    return Bloc.objects.filter(referentiel=referentiel).order_by("order", "pk")


def bloc_get(*, referentiel: Referentiel, code: str) -> Bloc:
    try:
        return (
            Bloc.objects.select_related("referentiel")
            .prefetch_related("modalites")
            .get(referentiel=referentiel, code=code)
        )
    except Bloc.DoesNotExist:
        raise Http404 from None


def rncp_import_job_get(*, organisation: Organisation, public_id) -> RncpImportJob:
    """An RNCP import of this certificateur: 404 for 'missing' and 'another's' alike."""
    try:
        return RncpImportJob.objects.get(certificateur=organisation, public_id=public_id)
    except (RncpImportJob.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def enregistrement_of(code: str):
    """The registration of a certification code, or ``None`` (not registered: CQPM, CQPI…)."""
    from referentiels.models import Enregistrement

    return Enregistrement.objects.filter(code=code).first()


def certification_libelle(referentiel) -> str:
    """How a certification is named to people: its intitulé, with its RNCP/RS registration
    number when it has one (« Agent … (RNCP36390) »), never the platform's code (a CQPM's slug)."""
    numero = numero_public(referentiel.code)
    return f"{referentiel.intitule} ({numero})" if numero else referentiel.intitule


def numero_public(code: str) -> str:
    """What a document may print as the certification's number: its RNCP/RS registration
    number, never the platform's own code (a slug for a CQPM)."""
    enregistrement = enregistrement_of(code)
    return enregistrement.numero if enregistrement else ""
