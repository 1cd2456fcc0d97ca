"""The dossier state machine: guards, transitions, the jury's deliberation and its rectification."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from candidates import hooks
from candidates.models import (
    Dossier,
    Piece,
)
from candidates.services._common import S
from candidates.services.dossiers import _record
from core.actors import Actor, actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from core.natural import natural_sorted
from organisations.services import audit_record
from referentiels.models import Capacite, Referentiel
from referentiels.selectors import habilitation_valid_for

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

# --- the state machine ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSnapshot:
    """What ``_guard_inscrit`` reads of a dossier's plan: the blocs visés (bloc id → acquis
    antérieur), the capacités with a chosen modalité, and the capacités (id, code) of each bloc,
    blocs and capacités in the référentiel's order. Read by :func:`plan_snapshot` (3 queries),
    or built from what the dossier's page has already loaded (``candidates.selectors.dossier_grid``)."""

    vises: dict[int, bool]
    chosen: frozenset[int]
    capacites: dict[int, list[tuple[int, str]]]


def plan_snapshot(dossier: Dossier) -> PlanSnapshot:
    vises = dict(dossier.blocs_vises.values_list("bloc_id", "acquis_anterieur"))
    chosen = frozenset(dossier.modalites_choisies.values_list("capacite_id", flat=True))
    capacites: dict[int, list[tuple[int, str]]] = {}
    to_evaluate = [bloc_id for bloc_id, anterieur in vises.items() if not anterieur]
    for bloc_id, pk, code in (
        Capacite.objects.filter(bloc_id__in=to_evaluate)
        .order_by("bloc__order", "order")
        .values_list("bloc_id", "pk", "code")
    ):
        capacites.setdefault(bloc_id, []).append((pk, code))
    return PlanSnapshot(vises=vises, chosen=chosen, capacites=capacites)


def _guard_inscrit(dossier: Dossier, plan: PlanSnapshot | None = None) -> list[str]:
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
            f"Le centre n'a pas d'habilitation valide pour {referentiel.code} au {date_fr(dossier.date_inscription)}."
        )
    plan = plan or plan_snapshot(dossier)
    to_evaluate = {bloc_id for bloc_id, anterieur in plan.vises.items() if not anterieur}
    if not to_evaluate:
        reasons.append("Aucun bloc de compétences à évaluer n'est visé.")
    codes = [
        code
        for bloc_id, capacites in plan.capacites.items()
        if bloc_id in to_evaluate
        for pk, code in capacites
        if pk not in plan.chosen
    ]
    if codes:
        reasons.append(f"Modalité d'évaluation à choisir pour : {', '.join(codes)}.")
    return reasons


def _guard_en_evaluation(dossier: Dossier) -> list[str]:
    if dossier.date_inscription > timezone.localdate():
        return [f"La date d'inscription ({date_fr(dossier.date_inscription)}) n'est pas encore atteinte."]
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


BUILTIN_GUARDS: dict[str, Callable[[Dossier], list[str]]] = {
    S.INSCRIT: _guard_inscrit,
    S.EN_EVALUATION: _guard_en_evaluation,
    S.PRET_POUR_JURY: _guard_pret_pour_jury,
    S.ABANDON: _guard_abandon,
}


def dossier_transition_blockers(*, dossier: Dossier, to: str, plan: PlanSnapshot | None = None) -> list[str]:
    """Why ``dossier`` cannot go to ``to`` now (empty = allowed); used by pages to show next
    actions (with ``plan``, the dossier's plan as the page already read it)."""
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
    if to == S.INSCRIT:
        reasons = _guard_inscrit(dossier, plan)
    else:
        reasons = list(BUILTIN_GUARDS.get(to, lambda d: [])(dossier))
    for guard in hooks.transition_guards(to):
        reasons.extend(guard(dossier))
    return reasons


def _apply(dossier: Dossier, to: str, by: Actor, reason: str) -> Dossier:
    from_status = dossier.status
    dossier.status = to
    dossier.save(update_fields=["status", "decision", "date_deliberation", "updated_at"])
    _record(dossier, from_status, to, by, reason)
    audit_record(actor=actor_user(by), action=f"dossier.{to}", obj=dossier, message=reason)
    for listener in hooks.transition_listeners():
        listener(dossier=dossier, from_status=from_status, to_status=to, by=by)
    return dossier


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to: str, by: Actor, reason: str = "") -> Dossier:
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
        missing = ", ".join(natural_sorted(set(by_code) - acquired))
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
            f"Bloc non visé par ce dossier : {', '.join(natural_sorted(unknown))}.", field="blocs_acquis"
        )
    _decision_check(by_code, decision, codes)


@transaction.atomic
def dossier_deliberate(
    *,
    dossier: Dossier,
    by: Actor,
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
            f"Bloc non visé par ce dossier : {', '.join(natural_sorted(unknown))}.", field="blocs_acquis"
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


@transaction.atomic
def dossier_decision_rectify(
    *, dossier: Dossier, by: Actor, decision: str, blocs_acquis: Iterable[str] = (), reason: str
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
            f"Bloc non visé par ce dossier : {', '.join(natural_sorted(codes - set(by_code)))}.",
            field="blocs_acquis",
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
    audit_record(actor=actor_user(by), action="dossier.rectification", obj=dossier, message=reason.strip())
    return dossier
