"""Reads of juries (inside ``tenant_context``): 404 for 'missing' and 'not yours' alike.

Object rule: a member with the ``jury`` role sees only the juries they sit on (matched by
their e-mail); gestionnaires and admins see every jury of the centre.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from juries import rules as jury_rules
from juries.models import Decision, Jury, JuryMember, ProcesVerbal, Rectification, Signature
from organisations.roles import Role


def _visible(membership) -> QuerySet[Jury]:
    qs = Jury.objects.all()
    if membership.role == Role.JURY:
        qs = qs.filter(
            Exists(JuryMember.objects.filter(jury=OuterRef("pk"), email__iexact=membership.user.email))
        )
    return qs


def jury_list(*, membership, status: str = "") -> QuerySet[Jury]:
    qs = (
        _visible(membership)
        .select_related("referentiel")
        .annotate(
            nb_candidats=Count("decisions", distinct=True),
            nb_membres=Count("members", distinct=True),
            nb_decides=Count("decisions", filter=~Q(decisions__decision=""), distinct=True),
        )
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-date", "-created_at")


def jury_get(*, membership, public_id) -> Jury:
    jury = (
        _visible(membership)
        .select_related("referentiel", "referentiel__certificateur", "organisation")
        .filter(public_id=public_id)
        .first()
    )
    if jury is None:
        raise Http404("Jury introuvable.")
    return jury


def decision_list(*, jury: Jury) -> QuerySet[Decision]:
    return jury.decisions.select_related("dossier__candidate", "dossier__tuteur", "decided_by").order_by(
        "order", "pk"
    )


# The deliberation page's filters: by the engine's proposition, by the jury's decision.
DECISION_FILTERS = {
    "proposition": {"certifie", "partiel", "ajourne"},
    "decision": {"a_decider", "certifie", "partiel", "ajourne"},
}


def decision_filters(params) -> dict[str, str]:
    """The known filters of ``params`` (a GET QueryDict); unknown values are ignored."""
    return {
        key: params.get(key, "")
        for key, allowed in DECISION_FILTERS.items()
        if params.get(key, "") in allowed
    }


def _decision_filter_q(filters: dict[str, str]) -> Q:
    q = Q()
    if filters.get("proposition"):
        q &= Q(proposition=filters["proposition"])
    wanted = filters.get("decision")
    if wanted:
        q &= Q(decision="") if wanted == "a_decider" else Q(decision=wanted)
    return q


def decision_counts(*, jury: Jury, filters: dict[str, str] | None = None) -> dict[str, int]:
    """One aggregate query: the jury's candidates, those still to decide, and per filter value
    (the page shows them next to the filters); ``matching``: those the filters select."""
    counts = {
        "total": Count("pk"),
        "pending": Count("pk", filter=Q(decision="")),
        "matching": Count("pk", filter=_decision_filter_q(filters)) if filters else Count("pk"),
    }
    for key, values in DECISION_FILTERS.items():
        for value in values:
            counts[f"{key}_{value}"] = Count("pk", filter=_decision_filter_q({key: value}))
    return Decision.objects.filter(jury=jury).aggregate(**counts)


def decision_page_list(*, jury: Jury, filters: dict[str, str]) -> QuerySet[Decision]:
    """The rows of the deliberation page: ``decision_list`` narrowed by the page's filters."""
    return decision_list(jury=jury).filter(_decision_filter_q(filters))


def decision_position(*, decision: Decision) -> int:
    """0-based rank of ``decision`` in its jury's list (order, pk): which page shows it."""
    return (
        Decision.objects.filter(jury_id=decision.jury_id)
        .filter(Q(order__lt=decision.order) | Q(order=decision.order, pk__lt=decision.pk))
        .count()
    )


def decision_choices(*, jury: Jury) -> list[tuple[str, str]]:
    """Every candidate of the jury as (decision id, "Nom (décision)"), for the rectification form
    (a frozen jury's page): only the columns the label needs."""
    rows = (
        jury.decisions.select_related("dossier__candidate")
        .only(
            "public_id",
            "decision",
            "dossier__candidate__nom_naissance",
            "dossier__candidate__nom_usage",
            "dossier__candidate__prenom1",
        )
        .order_by("order", "pk")
    )
    return [(str(d.public_id), f"{d.dossier.candidate.nom_complet} ({d.decision_label})") for d in rows]


def decision_get(*, jury: Jury, public_id) -> Decision:
    decision = decision_list(jury=jury).filter(public_id=public_id).first()
    if decision is None:
        raise Http404("Candidat introuvable dans ce jury.")
    return decision


def member_get(*, jury: Jury, public_id) -> JuryMember:
    member = jury.members.filter(public_id=public_id).first()
    if member is None:
        raise Http404("Membre introuvable.")
    return member


def proces_verbaux(*, jury: Jury) -> list[ProcesVerbal]:
    return list(
        jury.proces_verbaux.prefetch_related(
            Prefetch(
                "signatures", queryset=Signature.objects.select_related("member").order_by("signed_at", "pk")
            )
        ).select_related("rectification__decision__dossier__candidate")
    )


def proces_verbal_get(*, jury: Jury, public_id) -> ProcesVerbal:
    pv = jury.proces_verbaux.filter(public_id=public_id).first()
    if pv is None:
        raise Http404("Procès-verbal introuvable.")
    return pv


def rectification_list(*, jury: Jury) -> QuerySet[Rectification]:
    return jury.rectifications.select_related("decision__dossier__candidate", "proces_verbal")


def signature_state(pv: ProcesVerbal) -> dict:
    """Who signed, who is awaited, whose turn it is (the président last)."""
    members = [m for m in pv.jury.members.all() if m.votes]
    signed = {s.member_id: s for s in pv.signatures.all()}
    awaited = [m for m in members if m.pk not in signed]
    others_left = [m for m in awaited if m.role != JuryMember.Role.PRESIDENT]
    return {
        "members": [{"member": m, "signature": signed.get(m.pk)} for m in members],
        "awaited": awaited,
        "president_may_sign": not others_left,
        "complete": not awaited,
    }


def publication_info(jury: Jury, *, today: dt.date | None = None) -> dict:
    rules = jury_rules.rules_for(jury.referentiel)
    today = today or timezone.localdate()
    deadline = (
        jury.date_dernier_examen + dt.timedelta(weeks=rules.delai_publication_semaines)
        if rules.delai_publication_semaines
        else None
    )
    return {
        "deadline": deadline,
        "days_left": (deadline - today).days if deadline else None,
        "late": bool(deadline and not jury.results_published_at and today > deadline),
        "published_at": jury.results_published_at,
        "confidential": rules.notes_epreuves_confidentielles,
    }


def published_results(*, jury: Jury) -> list[dict]:
    """What candidates may see once published: decision, validated blocs and bloc marks —
    without the épreuves marks where the référentiel keeps them confidential."""
    confidential = jury_rules.rules_for(jury.referentiel).notes_epreuves_confidentielles
    out = []
    applied = Prefetch(
        "rectifications",
        queryset=Rectification.objects.filter(applied_at__isnull=False).order_by("-applied_at"),
        to_attr="applied",
    )
    for d in decision_list(jury=jury).prefetch_related(applied):
        effective = d.applied[0] if d.applied else None
        blocs = []
        for b in (d.details or {}).get("blocs", []):
            row = {
                "code": b["code"],
                "valide": b["code"] in (effective.blocs_valides if effective else d.blocs_valides),
                "controle_continu": b.get("controle_continu"),
            }
            if not confidential:
                row |= {
                    "epreuves": b.get("epreuves"),
                    "points": b.get("points"),
                    "note_sur_20": b.get("note_sur_20"),
                }
            blocs.append(row)
        out.append(
            {
                "dossier": str(d.dossier.public_id),
                "candidat": d.dossier.candidate.nom_complet,
                "decision": effective.nouvelle_decision if effective else d.decision,
                "decision_label": effective.nouvelle_label if effective else d.decision_label,
                "blocs_valides": effective.blocs_valides if effective else d.blocs_valides,
                "blocs": blocs,
            }
        )
    return out


def deadlines(*, membership, today: dt.date | None = None) -> list[dict]:
    """Juries whose results are not published yet, with their 6-week deadline (dashboard)."""
    rows = []
    for jury in (
        _visible(membership)
        .filter(results_published_at__isnull=True)
        .select_related("referentiel")
        .order_by("date_dernier_examen")[:20]
    ):
        info = publication_info(jury, today=today)
        if info["deadline"]:
            rows.append({"jury": jury, **info})
    return rows


def jury_member_known_name(email: str) -> dict | None:
    """The name typed for a jury member of this address (the invitation form pre-fills it)."""
    known = JuryMember.objects.filter(email__iexact=email).values("prenom", "nom").order_by("-pk").first()
    return {"first_name": known["prenom"], "last_name": known["nom"]} if known else None
