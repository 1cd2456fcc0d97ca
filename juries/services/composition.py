"""A jury and its members (accounts, invitations), and the candidates before it, until it sits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier
from core.actors import actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from core.validation import validate_model
from juries import rules as jury_rules
from juries.engine import propose_many, proposition_json
from juries.models import Decision, Jury, JuryMember
from juries.services._common import S, _lock, _require_jury_day, _require_status
from organisations.models import Invitation, Membership
from organisations.roles import Role
from organisations.services import audit_record, invitation_create
from organisations.tenancy import current_organisation
from referentiels.models import Referentiel
from referentiels.selectors import habilitation_valid_for


@transaction.atomic
def jury_create(
    *,
    by: Membership,
    referentiel: Referentiel,
    intitule: str,
    date: dt.date,
    lieu: str,
    date_dernier_examen: dt.date | None = None,
) -> Jury:
    if referentiel.status != Referentiel.Status.PUBLISHED:
        raise ApplicationError("Choisissez une version publiée du référentiel.", field="referentiel")
    if not habilitation_valid_for(centre=current_organisation(), referentiel=referentiel, on=date):
        raise ApplicationError(
            f"Le centre n'est pas habilité pour {referentiel.code} au {date_fr(date)}.", field="referentiel"
        )
    jury = Jury(
        organisation=current_organisation(),
        referentiel=referentiel,
        intitule=(intitule or "").strip(),
        date=date,
        lieu=(lieu or "").strip(),
        date_dernier_examen=date_dernier_examen or date,
        created_by=actor_user(by),
    )
    if jury.date_dernier_examen > jury.date:
        raise ApplicationError(
            "Le dernier examen ne peut pas être postérieur à la délibération.", field="date_dernier_examen"
        )
    validate_model(jury, exclude=["organisation"], validate_constraints=False)
    jury.save()
    audit_record(
        actor=actor_user(by), action="jury.create", obj=jury, message=f"{referentiel.code} — {jury.intitule}"
    )
    return jury


@transaction.atomic
def jury_update(*, jury: Jury, by: Membership, **fields) -> Jury:
    jury = _lock(jury)
    _require_status(jury, S.COMPOSITION, action="modifier le jury")
    allowed = {"intitule", "date", "lieu", "date_dernier_examen"}
    if set(fields) - allowed:
        raise ApplicationError(f"Champ non modifiable : {', '.join(sorted(set(fields) - allowed))}.")
    for name, value in fields.items():
        setattr(jury, name, value.strip() if isinstance(value, str) else value)
    validate_model(jury, exclude=["organisation"], validate_constraints=False)
    jury.save()
    return jury


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else 0).replace(",", "."))
    except InvalidOperation:
        raise ApplicationError(f"« {value} » n'est pas un nombre d'années.", field=field) from None
    if not number.is_finite():  # NaN / Infinity: comparing them raises InvalidOperation
        raise ApplicationError(f"« {value} » n'est pas un nombre d'années.", field=field)
    if number < 0 or number > 99:
        raise ApplicationError("Un nombre d'années entre 0 et 99.", field=field)
    return number


def _jury_membership(email: str, by: Membership) -> Membership | None:
    """The member's account in this centre, or ``None`` after inviting them with the jury role."""
    membership = (
        Membership.objects.filter(organisation=by.organisation, user__email__iexact=email, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is not None:
        if membership.role != Role.JURY:
            raise ApplicationError(
                f"{email} est déjà membre du centre avec le rôle « {membership.get_role_display()} » : "
                "un membre de jury siège avec le rôle « Membre de jury ».",
                field="email",
            )
        return membership
    pending = Invitation.objects.filter(
        email=email, role=Role.JURY, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
    if not pending:
        invitation_create(email=email, role=Role.JURY, by=by)
    return None


#: Separation of duties (issue 16): « a jury's members can be seated only by an admin or the
#: certificateur's rule ». The gestionnaire prepares the jury (dates, candidates, opening) and
#: reads its composition; one person can then no longer both seat a jury and run its candidates.
COMPOSITION_ADMIN_ONLY = (
    "Seul un administrateur du centre compose le jury (ajouter ou retirer un membre) : "
    "demandez-le à un administrateur."
)


def _require_composer(by: Membership) -> None:
    if by.role != Role.ADMIN:
        raise ApplicationError(COMPOSITION_ADMIN_ONLY)


@transaction.atomic
def jury_member_add(
    *,
    jury: Jury,
    by: Membership,
    email: str,
    nom: str,
    prenom: str,
    role: str,
    college: str = "",
    personnalite_qualifiee: bool = False,
    structure: str = "",
    metier: str = "",
    annees_metier=0,
    annees_inactivite=0,
    a_forme_candidats: bool = False,
    conflit_interets: str = "",
) -> JuryMember:
    """Add a member (administrators only); someone without an account in the centre is invited
    with the ``jury`` role."""
    _require_composer(by)
    jury = _lock(jury)
    _require_status(jury, S.COMPOSITION, action="modifier la composition")
    email = (email or "").strip().lower()
    if role == JuryMember.Role.PRESIDENT and jury.members.filter(role=JuryMember.Role.PRESIDENT).exists():
        raise ApplicationError("Ce jury a déjà un président.", field="role")
    if jury.members.filter(email=email).exists():
        raise ApplicationError("Cette personne siège déjà dans ce jury.", field="email")
    member = JuryMember(
        organisation_id=jury.organisation_id,
        jury=jury,
        email=email,
        nom=(nom or "").strip(),
        prenom=(prenom or "").strip(),
        role=role,
        college=college or "",
        personnalite_qualifiee=bool(personnalite_qualifiee),
        structure=(structure or "").strip(),
        metier=(metier or "").strip(),
        annees_metier=_decimal(annees_metier, "annees_metier"),
        annees_inactivite=_decimal(annees_inactivite, "annees_inactivite"),
        a_forme_candidats=bool(a_forme_candidats),
        conflit_interets=(conflit_interets or "").strip(),
        order=jury.members.count(),
    )
    validate_model(member, exclude=["organisation", "jury", "membership"], validate_constraints=False)
    member.membership = _jury_membership(email, by) if email else None
    member.added_by = actor_user(by)
    member.added_by_label = composed_by_label(by)
    _account_names(member, member.membership)
    member.save()
    audit_record(actor=actor_user(by), action="jury.member_add", obj=jury, message=f"{member} <{email}>")
    return member


@transaction.atomic
def jury_member_remove(*, member: JuryMember, by: Membership) -> None:
    _require_composer(by)
    jury = _lock(member.jury)
    _require_status(jury, S.COMPOSITION, action="modifier la composition")
    audit_record(actor=actor_user(by), action="jury.member_remove", obj=jury, message=str(member))
    email = member.email
    member.delete()
    _void_unused_jury_invitation(email)


def _void_unused_jury_invitation(email: str) -> None:
    """Removing a member voids the ``jury`` invitation sent for them, unless another jury of the
    centre still seats that address: the link stops working (it expires now)."""
    if not email or JuryMember.objects.filter(email=email).exists():
        return
    Invitation.objects.filter(email=email, role=Role.JURY, accepted_at__isnull=True).update(
        expires_at=timezone.now()
    )


def _account_names(member: JuryMember, membership: Membership | None) -> None:
    """Signers are who they say (issue 13, point 6): the name a member is printed under is the
    account holder's own (set by the person on their account), not what the gestionnaire typed."""
    user = getattr(membership, "user", None)
    if user is not None and (user.first_name or "").strip() and (user.last_name or "").strip():
        member.prenom, member.nom = user.first_name.strip()[:60], user.last_name.strip()[:60]


def _linked_member(member: JuryMember) -> JuryMember:
    """Link an invited member to their account once they have accepted the invitation."""
    if member.membership_id is None:
        membership = (
            Membership.objects.filter(
                organisation_id=member.organisation_id,
                user__email__iexact=member.email,
                role=Role.JURY,
                is_active=True,
            )
            .select_related("user")
            .first()
        )
        if membership is not None:
            member.membership = membership
            _account_names(member, membership)
            member.save(update_fields=["membership", "nom", "prenom"])
    return member


def _members_bind_to_accounts(jury: Jury) -> None:
    """Before the PV is fixed: every voting member is bound to one account, and is printed under
    that account's own name (refreshed now, so the signed text names who will sign)."""
    missing = []
    for member in jury.members.select_related("membership__user"):
        if not member.votes:
            continue
        if member.membership_id is None:
            _linked_member(member)
        if member.membership is None or not member.membership.is_active:
            missing.append(member.nom_complet)
            continue
        before = (member.nom, member.prenom)
        _account_names(member, member.membership)
        if (member.nom, member.prenom) != before:
            member.save(update_fields=["nom", "prenom"])
    if missing:
        raise ApplicationError(
            "Ces membres n'ont pas encore de compte actif (invitation non acceptée) et ne pourront pas "
            "signer : " + ", ".join(missing) + "."
        )


# --- candidates before the jury --------------------------------------------------------------


def _proposal_fields(proposition) -> dict:
    data = proposition_json(proposition)
    return {
        "proposition": data["decision"],
        "proposition_blocs": data["blocs_valides"],
        "raisons": data["raisons"],
        "details": {k: v for k, v in data.items() if k not in ("decision", "blocs_valides", "raisons")},
    }


def dossier_proposals_refresh(dossier: Dossier) -> int:
    """Recompute the stored proposal of ``dossier`` before every jury still in composition or in
    deliberation (a fact the engine reads changed, e.g. the jury's decision on a fraud suspicion;
    a PV in signature is not rewritten).
    Returns how many proposals were rewritten; one whose inputs contradict the règle is left as it
    was (the jury sees it at the next opening check)."""
    decisions = list(
        Decision.objects.select_for_update()
        .filter(dossier=dossier, jury__status__in=[S.COMPOSITION, S.DELIBERATION])
        .select_related("jury")
    )
    changed = 0
    for d in decisions:
        propositions, _errors = propose_many([dossier], date_decision=d.jury.date)
        if dossier.pk not in propositions:
            continue
        for name, value in _proposal_fields(propositions[dossier.pk]).items():
            setattr(d, name, value)
        d.save(update_fields=["proposition", "proposition_blocs", "raisons", "details"])
        changed += 1
    return changed


@transaction.atomic
def jury_dossiers_add(*, jury: Jury, by: Membership, dossiers: Iterable[Dossier]) -> list[Decision]:
    """Put dossiers ``pret_pour_jury`` of the jury's référentiel before it, with the engine's proposals."""
    jury = _lock(jury)
    _require_status(jury, S.COMPOSITION, action="ajouter des candidats")
    dossiers = list(
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).select_related("referentiel", "candidate")
    )
    problems = []
    for d in dossiers:
        if d.referentiel_id != jury.referentiel_id:
            problems.append(
                f"{d.candidate} : dossier {d.referentiel.code} v{d.referentiel.version}, pas celui du jury."
            )
        elif d.status != Dossier.Status.PRET_POUR_JURY:
            problems.append(f"{d.candidate} : dossier « {d.get_status_display()} », pas prêt pour le jury.")
    busy = set(
        Decision.objects.filter(dossier__in=dossiers, jury__frozen_at__isnull=True)
        .exclude(jury=jury)
        .values_list("dossier_id", flat=True)
    )
    problems += [f"{d.candidate} : déjà devant un autre jury en cours." for d in dossiers if d.pk in busy]
    if problems:
        raise ApplicationError(
            "Candidats refusés : " + " ".join(problems), field="dossiers", extra={"reasons": problems}
        )
    already = set(jury.decisions.values_list("dossier_id", flat=True))
    fresh = [d for d in dossiers if d.pk not in already]
    propositions, errors = propose_many(fresh, date_decision=jury.date)
    if errors:
        raise ApplicationError(
            "Résultats incohérents avec la règle d'obtention : " + " ; ".join(errors.values()),
            field="dossiers",
        )
    start = jury.decisions.count()
    fresh.sort(key=lambda d: (d.candidate.nom_naissance.lower(), d.candidate.prenom1.lower(), d.pk))
    created = Decision.objects.bulk_create(
        [
            Decision(
                organisation_id=jury.organisation_id,
                jury=jury,
                dossier=d,
                order=start + i,
                **_proposal_fields(propositions[d.pk]),
            )
            for i, d in enumerate(fresh)
        ]
    )
    if created:
        audit_record(
            actor=actor_user(by), action="jury.dossiers_add", obj=jury, message=f"{len(created)} candidat(s)"
        )
    return created


@transaction.atomic
def jury_dossier_remove(*, decision: Decision, by: Membership) -> None:
    jury = _lock(decision.jury)
    _require_status(jury, S.COMPOSITION, action="retirer un candidat")
    decision.delete()


def jury_composition_failures(jury: Jury) -> list[str]:
    """Why the jury cannot sit now (composition rule, eligibility, conflicts, accounts, candidates)."""
    members = list(jury.members.select_related("membership"))
    tuteurs = Dossier.objects.filter(pk__in=jury.decisions.values("dossier_id")).values_list(
        "tuteur__email", flat=True
    )
    failures = jury_rules.composition_failures(
        jury_rules.rules_for(jury.referentiel), members, tuteur_emails=tuteurs
    )
    emails = {m.email for m in members}
    with_account = {
        e.lower()
        for e in Membership.objects.filter(
            organisation_id=jury.organisation_id, role=Role.JURY, is_active=True, user__email__in=emails
        ).values_list("user__email", flat=True)
    }
    for m in members:
        if m.email.lower() not in with_account:
            failures.append(f"{m.prenom} {m.nom} n'a pas encore accepté son invitation de membre de jury.")
    if not jury.decisions.exists():
        failures.append("Aucun candidat n'est inscrit devant ce jury.")
    return failures


@transaction.atomic
def jury_open(*, jury: Jury, by: Membership) -> Jury:
    """The jury sits: composition checked (every failure listed), proposals recomputed."""
    jury = _lock(jury)
    _require_status(jury, S.COMPOSITION, action="ouvrir la délibération")
    _require_jury_day(jury, "d'ouvrir la délibération")
    failures = jury_composition_failures(jury)
    if failures:
        raise ApplicationError(
            "Le jury ne peut pas siéger : " + " ".join(failures), extra={"reasons": failures}
        )
    for member in jury.members.all():
        _linked_member(member)
    decisions = list(jury.decisions.select_related("dossier__referentiel"))
    propositions, errors = propose_many([d.dossier for d in decisions], date_decision=jury.date)
    if errors:
        raise ApplicationError(
            "Résultats incohérents avec la règle d'obtention : " + " ; ".join(errors.values())
        )
    for d in decisions:
        for name, value in _proposal_fields(propositions[d.dossier_id]).items():
            setattr(d, name, value)
    Decision.objects.bulk_update(
        decisions, ["proposition", "proposition_blocs", "raisons", "details"], batch_size=500
    )
    jury.status, jury.opened_at = S.DELIBERATION, timezone.now()
    jury.save(update_fields=["status", "opened_at"])
    audit_record(actor=actor_user(by), action="jury.open", obj=jury)
    return jury


def composed_by_label(by: Membership) -> str:
    user = by.user
    name = (user.get_full_name() or "").strip() or user.email
    return f"{name} ({by.get_role_display()})"
