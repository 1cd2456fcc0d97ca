"""Reads of the candidate's space. The object rule: a candidate reads their own rows only.

Every function here runs inside the centre's ``tenant_context`` (the middleware's for
``/o/<slug>/espace/…``, or :func:`own_dossiers_everywhere`'s loop over the person's centres).
"""

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from candidates.models import Dossier, Piece
from core.dates import add_years
from core.errors import ApplicationError
from core.natural import natural_sorted
from espace_candidat.models import CandidateAccess, CandidateNotification, Enquete, Preference, Suivi
from organisations.models import Membership
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.regles import regle_parse

DOCUMENT_KINDS = ("parchemin", "certificat_bloc", "attestation")


def candidate_memberships(user: User) -> list[Membership]:
    """The centres where this person holds dossiers (their candidate memberships)."""
    return list(
        Membership.objects.filter(user=user, role=Role.CANDIDAT, is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def own_access(user: User) -> CandidateAccess:
    """The person's candidate row in the active centre; 404 when they have none."""
    access = CandidateAccess.objects.select_related("candidate").filter(user=user).first()
    if access is None:
        raise Http404
    return access


def own_dossiers(user: User) -> QuerySet[Dossier]:
    return (
        Dossier.objects.filter(candidate__espace_access__user=user)
        .exclude(status=Dossier.Status.BROUILLON)
        .select_related("referentiel", "candidate")
        .order_by("-date_inscription", "-attempt")
    )


def own_dossier(user: User, public_id) -> Dossier:
    try:
        return own_dossiers(user).get(public_id=public_id)
    except (Dossier.DoesNotExist, ValueError):
        raise Http404 from None


def own_dossiers_everywhere(user: User) -> list[dict]:
    """« This person's own dossiers », centre by centre, each read under its own tenancy."""
    out = []
    for membership in candidate_memberships(user):
        with tenant_context(membership.organisation):
            out.append(
                {
                    "organisation": membership.organisation,
                    "dossiers": [
                        {"dossier": d, "published": published_decision(d)} for d in own_dossiers(user)
                    ],
                    "open_enquetes": list(
                        Enquete.objects.filter(
                            dossier__candidate__espace_access__user=user,
                            sent_at__isnull=False,
                            answered_at__isnull=True,
                        ).select_related("dossier__referentiel")
                    ),
                }
            )
    return out


def published_decision(dossier: Dossier) -> dict | None:
    """The jury's decision on this dossier once the results are published (never before)."""
    from juries.models import Decision
    from juries.selectors import published_results

    decision = (
        Decision.objects.filter(dossier=dossier, jury__results_published_at__isnull=False)
        .select_related("jury__referentiel")
        .order_by("-jury__results_published_at")
        .first()
    )
    if decision is None:
        return None
    row = next(
        (r for r in published_results(jury=decision.jury) if r["dossier"] == str(dossier.public_id)), None
    )
    if row is None:
        return None
    return {
        **row,
        "blocs": _named_blocs(dossier, row["blocs"]),
        "jury": decision.jury,
        "published_at": decision.jury.results_published_at,
    }


def _named_blocs(dossier: Dossier, rows: list[dict]) -> list[dict]:
    """Each bloc row with its intitulé beside its code, in the natural order of the codes (BC2
    before BC10); the implicit bloc of a référentiel without blocs is not a bloc to show."""
    blocs = {b.code: b for b in dossier.referentiel.blocs.all()}
    named = [
        {**r, "intitule": blocs[r["code"]].intitule if r["code"] in blocs else ""}
        for r in rows
        if not (r["code"] in blocs and blocs[r["code"]].implicite)
    ]
    return natural_sorted(named, key=lambda r: r["code"])


def continuous_assessment(dossier: Dossier) -> list[dict]:
    """Seed 004 §8: « Les notes de contrôle continu sont divulguées au fur et à mesure des
    évaluations, les notes d'épreuves de bloc ne doivent pas faire l'objet de divulgation. »
    Only the contrôle continu column is read here, never ``epreuves`` nor ``points``."""
    from evaluations.models import Resultat

    rows = (
        Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.BLOC, controle_continu__isnull=False)
        .select_related("bloc")
        .values("bloc__code", "bloc__intitule", "controle_continu")
    )
    return natural_sorted(
        (
            {
                "code": r["bloc__code"],
                "intitule": r["bloc__intitule"],
                "controle_continu": r["controle_continu"],
            }
            for r in rows
        ),
        key=lambda r: r["code"],
    )


def convocations(dossier: Dossier) -> list:
    from evaluations.models import Convocation

    return list(
        Convocation.objects.filter(
            inscription__dossier=dossier, status=Convocation.Status.SENT, document__isnull=False
        )
        .select_related("inscription__epreuve__session", "document")
        .order_by("-inscription__epreuve__date", "-numero_envoi")
    )


def own_convocation(user: User, public_id):
    from evaluations.models import Convocation

    convocation = (
        Convocation.objects.filter(
            public_id=public_id,
            inscription__dossier__candidate__espace_access__user=user,
            status=Convocation.Status.SENT,
            document__isnull=False,
        )
        .select_related("document", "inscription__epreuve")
        .first()
    )
    if convocation is None:
        raise Http404
    return convocation


def documents(dossier: Dossier, *, published: bool) -> list:
    """The dossier's parchemin, certificats de bloc and attestation — once the results are published."""
    from documents.models import IssuedDocument

    if not published:
        return []
    return list(
        IssuedDocument.objects.filter(
            idempotency_key__contains=f":dossier:{dossier.public_id}:",
            kind__in=DOCUMENT_KINDS,
            status=IssuedDocument.Status.READY,
        ).order_by("kind", "pk")
    )


def own_document(user: User, public_id):
    """A document of one of the person's dossiers, whose jury's results are published."""
    from documents.models import IssuedDocument

    document = IssuedDocument.objects.filter(public_id=public_id, kind__in=DOCUMENT_KINDS).first()
    if document is None:
        raise Http404
    for dossier in own_dossiers(user):
        if f":dossier:{dossier.public_id}:" in document.idempotency_key and published_decision(dossier):
            return document
    raise Http404


def dossier_of_document(user: User, document) -> Dossier:
    """The person's dossier a document of theirs was issued for (after ``own_document``)."""
    for dossier in own_dossiers(user):
        if f":dossier:{dossier.public_id}:" in document.idempotency_key:
            return dossier
    raise Http404


def deadlines(dossier: Dossier, *, today: dt.date | None = None) -> list[dict]:
    """Dates that concern the candidate: rapport due, rattrapage request window."""
    today = today or timezone.localdate()
    out = []
    if dossier.date_remise_rapport and not dossier.is_closed:
        out.append(
            {
                "label": "Remise du rapport",
                "date": dossier.date_remise_rapport,
                "days": (dossier.date_remise_rapport - today).days,
            }
        )
    window = rattrapage_window(dossier, today=today)
    if window and window.get("limit"):
        out.append(
            {
                "label": "Demande de rattrapage",
                "date": window["limit"],
                "days": (window["limit"] - today).days,
            }
        )
    return out


def rattrapage_window(dossier: Dossier, *, today: dt.date | None = None) -> dict | None:
    """Whether a rattrapage can be asked now, the blocs concerned and until when (règle data)."""
    if dossier.status != Dossier.Status.DELIBERE or not published_decision(dossier):
        return None
    return rattrapage_window_after_publication(dossier, today=today)


def rattrapage_window_after_publication(dossier: Dossier, *, today: dt.date | None = None) -> dict:
    """:func:`rattrapage_window` for a dossier whose results the caller knows are published."""
    from candidates.services import dossier_rattrapage_plan

    try:
        plan = dossier_rattrapage_plan(dossier=dossier, today=today)
    except ApplicationError as exc:
        return {"open": False, "reason": exc.message, "limit": None, "blocs": []}
    regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
    limit = None
    validite = regle.validite_blocs_annees if regle else None
    chain_first = dossier
    while chain_first.previous_attempt is not None:
        chain_first = chain_first.previous_attempt
    first_day = chain_first.date_deliberation or dossier.date_deliberation
    if validite and first_day:
        limit = add_years(first_day, int(validite))
    return {
        "open": True,
        "reason": "",
        "limit": limit,
        "blocs": natural_sorted((db.bloc for db in plan), key=lambda b: b.code),
    }


def identity_signed_jury(candidate):
    """The jury that signed the deliberation of one of this candidate's dossiers (the latest), or
    ``None``: from then on the identity is printed on signed documents, and a correction goes
    through the centre's re-issue (civil-status correction), not a pre-jury request."""
    from juries.models import Decision

    decision = (
        Decision.objects.filter(dossier__candidate=candidate, jury__frozen_at__isnull=False)
        .select_related("jury")
        .order_by("-jury__frozen_at")
        .first()
    )
    return decision.jury if decision else None


def pieces_asked(dossier: Dossier) -> list[tuple[str, str]]:
    """The pièces the référentiel asks of this dossier through its chosen modalités."""
    from candidates.services import PIECE_REQUIRED_BY_MODALITE

    types = set(dossier.modalites_choisies.values_list("modalite__type", flat=True))
    kinds = sorted({PIECE_REQUIRED_BY_MODALITE[t] for t in types if t in PIECE_REQUIRED_BY_MODALITE})
    return [(k, Piece.Kind(k).label) for k in kinds]


def own_pieces(dossier: Dossier) -> list[Piece]:
    return list(dossier.pieces.order_by("-uploaded_at"))


def suivi_of(dossier: Dossier) -> Suivi | None:
    return Suivi.objects.filter(dossier=dossier).first()


def enquetes_of(dossier: Dossier) -> list[Enquete]:
    return list(Enquete.objects.filter(dossier=dossier).order_by("due_on"))


def own_enquete(user: User, public_id) -> Enquete:
    enquete = (
        Enquete.objects.filter(public_id=public_id, dossier__candidate__espace_access__user=user)
        .select_related("dossier__referentiel")
        .first()
    )
    if enquete is None or enquete.sent_at is None:
        raise Http404
    return enquete


def is_unsubscribed(user: User) -> bool:
    return Preference.objects.filter(user=user, unsubscribed_at__isnull=False).exists()


def notifications_for(*, key_prefix: str) -> QuerySet[CandidateNotification]:
    return CandidateNotification.objects.filter(key__startswith=key_prefix).select_related("candidate")
