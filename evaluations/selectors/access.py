"""Getters and lists inside ``tenant_context`` (404 for « missing » and « not yours » alike): results, sessions, épreuves, inscriptions, convocations; a session's readiness, the retakes to organise, the session filter."""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from candidates.models import Dossier, DossierBloc
from candidates.selectors import visible_dossiers_q
from core.actors import Actor, actor_user
from evaluations.models import (
    Convocation,
    Epreuve,
    Incident,
    InscriptionEpreuve,
    Resultat,
    SessionExamen,
    SuiviDossier,
)
from evaluations.selectors.cibles import OPEN_STATUSES
from organisations.models import Membership
from organisations.roles import Role
from referentiels.models import Capacite

# =============================================================================================
# Sessions, épreuves, the évaluateur's grid, avis — reads inside ``tenant_context``; 404 for
# "missing" and "not yours" alike.
# =============================================================================================


def _get(qs, public_id):

    try:
        return qs.get(public_id=public_id)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def resultat_get(*, dossier, public_id, kind: str | None = None) -> Resultat:
    """A result of ``dossier`` (of ``kind`` if given); 404 for a missing or malformed id."""
    qs = Resultat.objects.filter(dossier=dossier).select_related("capacite")
    if kind:
        qs = qs.filter(kind=kind)
    return _get(qs, public_id)


def _is_evaluateur_only(actor: Actor) -> bool:

    return getattr(actor, "role", None) == Role.EVALUATEUR


def session_list():

    return (
        SessionExamen.objects.select_related("referentiel")
        .annotate(nb_epreuves=Count("epreuves", distinct=True), premiere=Min("epreuves__date"))
        .order_by("-created_at", "-pk")
    )


def session_get(*, public_id, actor: Actor):
    """A session of the centre. Every member holding the page's capability sees the session itself
    (its list is not filtered either); what it holds is filtered per reader (épreuves, readiness)."""
    del actor  # the object rule of a session is the centre's (see session_list)
    return _get(SessionExamen.objects.select_related("referentiel"), public_id)


def epreuve_list(*, session):

    return (
        Epreuve.objects.filter(session=session)
        .select_related("bloc", "modalite")
        .annotate(nb_candidats=Count("inscriptions", distinct=True))
        .prefetch_related("evaluateurs__user")
        .order_by("date", "heure_debut", "pk")
    )


def epreuve_get(*, public_id: uuid.UUID | str, actor: Actor) -> Epreuve:
    """An épreuve of the centre; an évaluateur only gets the ones assigned to them."""

    qs = Epreuve.objects.select_related(
        "session__referentiel", "bloc", "modalite__bloc", "modalite__capacite"
    )
    if _is_evaluateur_only(actor):
        qs = qs.filter(evaluateurs__user=actor_user(actor))
    return _get(qs, public_id)


def epreuves_for_evaluateur(*, user: User) -> QuerySet[Epreuve]:

    return (
        Epreuve.objects.filter(evaluateurs__user=user)
        .select_related("session__referentiel", "bloc")
        .annotate(nb_candidats=Count("inscriptions", distinct=True))
        .order_by("date", "heure_debut", "pk")
    )


def inscription_get(*, public_id, actor: Actor, epreuve=None):
    """A candidate's place on an épreuve (of ``epreuve`` if given), 404 unless ``actor`` may see
    the dossier."""

    qs = InscriptionEpreuve.objects.select_related(
        "epreuve__session__referentiel", "dossier__candidate", "dossier__referentiel"
    )
    if epreuve is not None:
        qs = qs.filter(epreuve=epreuve)
    visible = visible_dossiers_q(actor)
    if visible is not None:
        qs = qs.filter(dossier__in=Dossier.objects.filter(visible))
    return _get(qs, public_id)


def convocation_get(*, public_id, actor: Actor):
    """A convocation, 404 unless ``actor`` may see the convoked candidate's dossier."""

    qs = Convocation.objects.select_related("inscription__dossier__candidate", "document")
    visible = visible_dossiers_q(actor)
    if visible is not None:
        qs = qs.filter(inscription__dossier__in=Dossier.objects.filter(visible))
    return _get(qs, public_id)


def epreuve_inscriptions(*, epreuve: Epreuve, actor: Membership | None = None):
    """The épreuve's candidates with their convocations and incidents (3 queries); with ``actor``,
    only the candidates whose dossier ``actor`` may see (a jury member: their juries')."""

    qs = InscriptionEpreuve.objects.filter(epreuve=epreuve)
    visible = visible_dossiers_q(actor)
    if visible is not None:
        qs = qs.filter(dossier__in=Dossier.objects.filter(visible))
    return (
        qs.select_related("dossier__candidate", "dossier__referentiel")
        .prefetch_related(
            Prefetch("convocations", queryset=Convocation.objects.order_by("numero_envoi")), "incidents"
        )
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk")
    )


def dossiers_assignable(*, epreuve):
    """Open dossiers of the session's référentiel, targeting what the épreuve marks, not yet on it."""

    qs = Dossier.objects.filter(referentiel_id=epreuve.session.referentiel_id, status__in=OPEN_STATUSES)
    blocs = None
    if epreuve.bloc_id:
        blocs = [epreuve.bloc_id]
    elif epreuve.capacites:
        blocs = Capacite.objects.filter(
            referentiel_id=epreuve.session.referentiel_id, code__in=epreuve.capacites
        ).values("bloc_id")
    if blocs is not None:
        qs = qs.filter(
            Exists(
                DossierBloc.objects.filter(dossier=OuterRef("pk"), bloc_id__in=blocs, acquis_anterieur=False)
            )
        )
    return (
        qs.exclude(inscriptions_epreuves__epreuve=epreuve)
        .select_related("candidate")
        .order_by("candidate__nom_naissance", "candidate__prenom1")
    )


def session_readiness(*, session: SessionExamen, actor: Membership | None) -> list[dict]:
    """Every dossier of the session that ``actor`` may see, with what is missing before the jury
    (constant queries): an évaluateur or a jury member gets only their own dossiers."""
    from candidates.selectors import visible_dossiers_q
    from evaluations.readiness import readiness_reasons

    sitting = Dossier.objects.filter(inscriptions_epreuves__epreuve__session=session)
    visible = visible_dossiers_q(actor)
    if visible is not None:
        sitting = sitting.filter(visible)
    dossier_ids = set(sitting.values_list("pk", flat=True))
    dossiers = list(
        Dossier.objects.filter(pk__in=dossier_ids)
        .select_related("candidate", "referentiel")
        .order_by("candidate__nom_naissance", "candidate__prenom1")
    )
    reasons = readiness_reasons(
        [
            d
            for d in dossiers
            if d.status == Dossier.Status.EN_EVALUATION or d.status == Dossier.Status.INSCRIT
        ]
    )
    suivis = {s.dossier_id: s for s in SuiviDossier.objects.filter(dossier_id__in=dossier_ids)}
    rows = []
    for d in dossiers:
        missing = reasons.get(d.pk, [])
        suivi = suivis.get(d.pk)
        rows.append(
            {
                "dossier": d,
                "candidate": d.candidate,
                "reasons": missing,
                "fraude": bool(suivi and suivi.fraude),
                "ready": d.status == Dossier.Status.EN_EVALUATION and not missing,
                "done": d.status not in (Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION),
            }
        )
    return rows


def rattrapages_a_organiser(*, session=None):
    """Justified absences whose make-up is still to schedule (deadline = épreuve + 6 months)."""

    qs = InscriptionEpreuve.objects.filter(
        presence=InscriptionEpreuve.Presence.ABSENT_JUSTIFIE
    ).select_related("dossier__candidate", "epreuve")
    if session is not None:
        qs = qs.filter(epreuve__session=session)
    return qs.order_by("rattrapage_avant", "pk")


def session_filter_choices() -> list[tuple[str, str]]:
    """Sessions d'examen of the active centre for the candidate list's filter, newest first."""

    return [
        (str(public_id), f"{intitule} ({code})")
        for public_id, intitule, code in SessionExamen.objects.order_by("-created_at").values_list(
            "public_id", "intitule", "referentiel__code"
        )[:200]
    ]


def session_filter_q(public_id: str):
    """Dossiers with a candidate on an épreuve of that session."""

    return Q(
        pk__in=InscriptionEpreuve.objects.filter(epreuve__session__public_id=public_id).values("dossier_id")
    )


def fraud_incidents(dossier):
    """The PV d'incident for fraud of a dossier's épreuves (what the jury decides on, seed 004)."""
    return Incident.objects.filter(inscription__dossier=dossier, kind=Incident.Kind.FRAUDE).select_related(
        "inscription__epreuve"
    )
