"""Deliberation: the voting members' decisions, the PV text, the président's closing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.models import Dossier
from core.actors import actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from core.natural import natural_sorted
from core.numbers import number_fr
from juries.models import Decision, Jury, JuryMember, ProcesVerbal
from juries.services._common import DECISION_LABELS, S, _lock, _require_jury_day, _require_status
from juries.services.composition import _members_bind_to_accounts
from organisations.models import Membership
from organisations.roles import Role
from organisations.services import audit_record


def member_for(jury: Jury, user: User) -> JuryMember | None:
    if user is None or not getattr(user, "email", ""):
        return None
    return jury.members.filter(email__iexact=user.email).first()


def _voting_member(jury: Jury, by: Membership) -> JuryMember:
    if by.role != Role.JURY:
        raise ApplicationError("Seuls les membres du jury délibèrent et signent.")
    member = member_for(jury, by.user)
    if member is None or not member.votes:
        raise ApplicationError("Vous ne siégez pas avec voix délibérative dans ce jury.")
    return member


def _recordable(decision: Decision) -> bool:
    try:
        _check_decision(decision.dossier, decision.proposition, decision.proposition_blocs, "decision")
    except ApplicationError:
        return False
    return True


def partial_allowed(referentiel, *, blocs=None) -> bool:
    """Whether the règle has separately validable blocs: a CQPM's does not (seed 000: « l'ensemble
    des capacités professionnelles décrites dans le référentiel de certification doit être
    acquis »), and an implicit bloc (the single bloc of a référentiel without blocs) is not one."""
    if (referentiel.regle or {}).get("type") == "toutes_capacites":
        return False
    return any(not b.implicite for b in (referentiel.blocs.all() if blocs is None else blocs))


def _check_regle_allows(dossier: Dossier, value: str, blocs: Iterable[str], field: str) -> None:
    """The jury chooses among what the référentiel's règle allows (issue 13, point 3)."""
    referentiel = dossier.referentiel
    if value != Dossier.Decision.PARTIEL:
        return
    if not partial_allowed(referentiel):
        raise ApplicationError(
            "La validation partielle n'existe pas pour cette certification : sa règle exige que "
            "l'ensemble des capacités soit acquis (pas de bloc validable séparément). "
            "Choisissez « Certifié » ou « Ajourné ».",
            field=field,
        )
    real = {b.code for b in referentiel.blocs.all() if not b.implicite}
    wrong = sorted(set(blocs) - real)
    if wrong:
        raise ApplicationError(f"Bloc(s) inconnu(s) de la certification : {', '.join(wrong)}.", field=field)


def _check_decision(dossier: Dossier, value: str, blocs: Iterable[str], field: str) -> None:
    """The candidates app's rule, checked early so the jury gets the message on its page."""
    from candidates.services import dossier_decision_check

    blocs = list(blocs)
    _check_regle_allows(dossier, value, blocs, field)

    try:
        dossier_decision_check(dossier=dossier, decision=value, blocs_acquis=blocs)
    except ApplicationError as exc:
        raise ApplicationError(exc.message, field=field) from None


@transaction.atomic
def decision_record(
    *,
    decision: Decision,
    by: Membership,
    accept: bool,
    decision_value: str = "",
    blocs_valides: Iterable[str] | None = None,
    motivation: str = "",
) -> Decision:
    """Accept the proposal, or override it with a written motivation (the jury is sovereign)."""
    jury = _lock(decision.jury)
    _require_status(jury, S.DELIBERATION, action="modifier une décision")
    _voting_member(jury, by)
    decision = Decision.objects.select_for_update().select_related("dossier").get(pk=decision.pk)
    motivation = (motivation or "").strip()
    if accept:
        value, blocs = decision.proposition, natural_sorted(decision.proposition_blocs)
        _check_decision(decision.dossier, value, blocs, "decision")
    else:
        value = decision_value
        if value not in DECISION_LABELS or not value:
            raise ApplicationError("Choisissez certifié, validation partielle ou ajourné.", field="decision")
        blocs = natural_sorted(set(blocs_valides or ()))
        if value == Dossier.Decision.AJOURNE:
            blocs = natural_sorted(
                db.bloc.code
                for db in decision.dossier.blocs_vises.filter(acquis_anterieur=True).select_related("bloc")
            )
        if value == Dossier.Decision.CERTIFIE:
            # A total certification validates every targeted bloc.
            blocs = natural_sorted(db.bloc.code for db in decision.dossier.blocs_vises.select_related("bloc"))
        _check_decision(decision.dossier, value, blocs, "blocs_valides")
        if (
            value != decision.proposition or blocs != natural_sorted(decision.proposition_blocs)
        ) and not motivation:
            raise ApplicationError(
                "Le jury s'écarte de la proposition : la motivation écrite est obligatoire.",
                field="motivation",
            )
    decision.decision, decision.blocs_valides, decision.motivation = value, blocs, motivation
    decision.decided_by, decision.decided_at = actor_user(by), timezone.now()
    decision.save(update_fields=["decision", "blocs_valides", "motivation", "decided_by", "decided_at"])
    audit_record(
        actor=actor_user(by),
        action="jury.decision",
        obj=jury,
        message=f"{decision.dossier_id}: {value}{' (dérogation)' if decision.is_override else ''}",
    )
    return decision


@transaction.atomic
def decisions_accept_all(*, jury: Jury, by: Membership) -> int:
    """Accept every proposal not decided yet (one click for a large jury)."""
    jury = _lock(jury)
    _require_status(jury, S.DELIBERATION, action="modifier une décision")
    _voting_member(jury, by)
    now, user = timezone.now(), actor_user(by)
    pending = [d for d in jury.decisions.filter(decision="").select_related("dossier") if _recordable(d)]
    for d in pending:
        d.decision, d.blocs_valides, d.decided_by, d.decided_at = (
            d.proposition,
            natural_sorted(d.proposition_blocs),
            user,
            now,
        )
    Decision.objects.bulk_update(
        pending, ["decision", "blocs_valides", "decided_by", "decided_at"], batch_size=500
    )
    if pending:
        audit_record(
            actor=user, action="jury.decisions_accept_all", obj=jury, message=f"{len(pending)} décision(s)"
        )
    return len(pending)


def member_qualite(member: JuryMember) -> str:
    """« Structure, métier, personnalité qualifiée, collège »: what the PVs print of a member."""
    return ", ".join(
        x
        for x in (
            member.structure,
            member.metier,
            "personnalité qualifiée" if member.personnalite_qualifiee else "",
            member.get_college_display() if member.college else "",
        )
        if x
    )


def _line(member: JuryMember) -> str:
    extra = member_qualite(member)
    return f"- {member.get_role_display()} : {member.prenom} {member.nom}" + (f" ({extra})" if extra else "")


def jury_composed_by(members) -> str:
    """« X (Administrateur), Y (Administrateur) »: who seated the members, in order, each once."""
    labels = list(dict.fromkeys(m.added_by_label for m in members if m.added_by_label))
    return ", ".join(labels) or "non renseigné"


def pv_contenu(jury: Jury) -> str:
    """The exact text every member signs (its SHA-256 goes into each signature)."""
    ref = jury.referentiel
    members = list(jury.members.all())
    decisions = list(jury.decisions.select_related("dossier__candidate").order_by("order", "pk"))
    lines = [
        "PROCÈS-VERBAL DE DÉLIBÉRATION DU JURY",
        f"Centre d'examen : {jury.organisation.name}",
        f"Certification : {ref.code} (version {ref.version}) — {ref.intitule}",
        f"Certificateur : {ref.certificateur_nom}",
        f"Jury : {jury.intitule} — référence {jury.public_id}",
        f"Date de délibération : {date_fr(jury.date)} — Lieu : {jury.lieu}",
        f"Date du dernier examen : {date_fr(jury.date_dernier_examen)}",
        "Composition du jury :",
        *[_line(m) for m in members],
        f"Composition arrêtée par : {jury_composed_by(members)}",
        f"Candidats délibérés : {len(decisions)}",
    ]
    counts = {k: 0 for k in ("certifie", "partiel", "ajourne")}
    for i, d in enumerate(decisions, 1):
        c = d.dossier.candidate
        counts[d.decision] = counts.get(d.decision, 0) + 1
        total = (d.details or {}).get("total_points")
        lines.append(
            f"{i}. {c.nom_naissance.upper()} {c.prenoms} (né(e) le {c.naissance_date_affichee}) — dossier {d.dossier.public_id}"
        )
        lines.append(
            f"   Proposition : {DECISION_LABELS[d.proposition]}"
            + (f" ({number_fr(total)}/{d.details.get('total_max')} points)" if total is not None else "")
            + f" — Décision du jury : {DECISION_LABELS[d.decision]}"
            + (
                f" — Blocs validés : {', '.join(d.blocs_valides)}"
                if d.blocs_valides
                else " — Aucun bloc validé"
            )
        )
        if d.is_override:
            lines.append(f"   Dérogation à la proposition. Motivation : {d.motivation}")
        elif d.motivation:
            lines.append(f"   Observation : {d.motivation}")
    lines.append(
        f"Synthèse : {counts['certifie']} certifié(s), {counts['partiel']} validation(s) partielle(s), "
        f"{counts['ajourne']} ajourné(s)."
    )
    lines.append("Le jury est souverain dans ses décisions.")
    return "\n".join(lines) + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pv_create(jury: Jury, kind: str, contenu: str) -> ProcesVerbal:
    """A PV to sign: its text and the text's SHA-256 (what every signature records)."""
    return ProcesVerbal.objects.create(
        organisation_id=jury.organisation_id,
        jury=jury,
        kind=kind,
        contenu=contenu,
        sha256=sha256_text(contenu),
    )


@transaction.atomic
def jury_close(*, jury: Jury, by: Membership) -> ProcesVerbal:
    """The président closes the deliberation: every candidate decided, the PV text fixed for signature."""
    jury = _lock(jury)
    _require_status(jury, S.DELIBERATION, action="clore la délibération")
    _require_jury_day(jury, "de clore la délibération")
    member = _voting_member(jury, by)
    if member.role != JuryMember.Role.PRESIDENT:
        raise ApplicationError("Seul le président clôt la délibération.")
    pending = jury.decisions.filter(decision="").count()
    if pending:
        raise ApplicationError(
            f"{pending} candidat(s) sans décision : acceptez ou modifiez chaque proposition avant de clore."
        )
    _members_bind_to_accounts(jury)
    pv = pv_create(jury, ProcesVerbal.Kind.INITIAL, pv_contenu(jury))
    jury.status, jury.closed_at = S.SIGNATURE, timezone.now()
    jury.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor_user(by), action="jury.close", obj=jury, message=f"PV {pv.sha256}")
    return pv
