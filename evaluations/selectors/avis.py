"""The avis de l'entreprise: lists, the form's rows, the critères observed; the évaluateurs available."""

import uuid

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from candidates.models import DossierModalite
from evaluations.models import (
    AvisCapacite,
    AvisEntreprise,
)
from evaluations.selectors.access import _get
from organisations.models import Membership
from organisations.roles import CAPABILITIES, Role
from referentiels.models import Critere

# --- avis de l'entreprise ----------------------------------------------------------------------


def avis_list():

    return AvisEntreprise.objects.select_related(
        "dossier__candidate", "dossier__referentiel", "tuteur"
    ).order_by("date_limite", "pk")


def avis_for_tuteur(*, user: User) -> QuerySet[AvisEntreprise]:
    """A tuteur's own avis: those addressed to the tuteur with their e-mail address."""
    return avis_list().filter(tuteur__email__iexact=user.email)


def avis_get(
    *, public_id: uuid.UUID | str, membership: Membership, with_capacites: bool = False
) -> AvisEntreprise:
    """An avis for ``membership``: a tuteur only reaches their own (another one → 404)."""

    qs = avis_list()
    if with_capacites:  # the API lists them with their code: one query, not one per capacité
        qs = qs.prefetch_related(
            Prefetch("capacites", queryset=AvisCapacite.objects.select_related("capacite"))
        )
    if membership.role == Role.TUTEUR:
        qs = qs.filter(tuteur__email__iexact=membership.user.email)
    return _get(qs, public_id)


def avis_form_rows(*, avis) -> list[dict]:
    """The avis form: each capacité with its critères and the tuteur's answers (3 queries)."""

    rows = (
        AvisCapacite.objects.filter(avis_entreprise=avis)
        .select_related("capacite__bloc")
        .prefetch_related(Prefetch("capacite__criteres", queryset=Critere.objects.order_by("order")))
    )
    return [
        {
            "row": row,
            "capacite": row.capacite,
            "criteres": [(c, row.criteres.get(str(c.pk), "")) for c in row.capacite.criteres.all()],
        }
        for row in rows
    ]


def evaluateurs_disponibles(*, organisation):
    """Members who may mark an épreuve (évaluateurs, gestionnaires, admins) as users."""

    roles = [str(r) for r in CAPABILITIES["results.record"]]
    return (
        get_user_model()
        .objects.filter(
            memberships__organisation=organisation, memberships__is_active=True, memberships__role__in=roles
        )
        .order_by("last_name", "first_name", "email")
        .distinct()
    )


def avis_par_critere(*, avis) -> set[int]:
    """Capacités whose chosen modalité is the avis de l'entreprise itself: the avis is then asked per critère."""

    return set(
        DossierModalite.objects.filter(
            dossier_id=avis.dossier_id, modalite__type="avis_entreprise"
        ).values_list("capacite_id", flat=True)
    )
