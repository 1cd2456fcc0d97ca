"""Writes of juries: composition, deliberation, signatures, freezing, rectification, publication.

Call inside ``tenant_context``; ``by`` is the actor's ``Membership``. Life of a jury::

    composition ──open (composition rule checked)──▶ deliberation ──close (président)──▶
    signature ──last signature (the président's)──▶ signe (frozen: services + DB triggers)

After the freeze the dossiers are deliberated (``candidates.services.dossier_deliberate``) and
the documents are requested; any later correction is a :class:`Rectification` whose own PV is
signed the same way before it applies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier
from core import events
from core.actors import actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from core.natural import natural_sorted
from core.numbers import number_fr
from core.validation import validate_model
from juries import rules as jury_rules
from juries.engine import propose_many, proposition_json
from juries.models import Decision, Jury, JuryMember, ProcesVerbal, Rectification, Signature
from organisations.models import Invitation, Membership
from organisations.roles import Role
from organisations.services import audit_record, invitation_create
from organisations.tenancy import current_organisation
from referentiels.models import Referentiel
from referentiels.selectors import habilitation_valid_for

S = Jury.Status
DECISION_LABELS = dict(Dossier.Decision.choices)


def _lock(jury: Jury) -> Jury:
    return (
        Jury.objects.select_for_update()
        .select_related("referentiel", "referentiel__certificateur")
        .get(pk=jury.pk)
    )


def _require_status(jury: Jury, *statuses: str, action: str) -> None:
    if jury.is_frozen:
        raise ApplicationError(
            "La délibération est signée et figée : aucune modification n'est possible ; "
            "une correction passe par une rectification signée."
        )
    if jury.status not in statuses:
        raise ApplicationError(f"Le jury est « {jury.get_status_display()} » : impossible de {action}.")


# --- jury and members -----------------------------------------------------------------------


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


def _require_jury_day(jury: Jury, action: str) -> None:
    """Time is truth (issue 13, point 4): nothing of a jury happens before its date."""
    if jury.date > timezone.localdate():
        raise ApplicationError(
            f"Le jury est daté du {date_fr(jury.date)} : impossible {action} avant cette date."
        )


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


# --- deliberation ----------------------------------------------------------------------------


def member_for(jury: Jury, user) -> JuryMember | None:
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


def _line(member: JuryMember) -> str:
    extra = ", ".join(
        x
        for x in (
            member.structure,
            member.metier,
            "personnalité qualifiée" if member.personnalite_qualifiee else "",
            member.get_college_display() if member.college else "",
        )
        if x
    )
    return f"- {member.get_role_display()} : {member.prenom} {member.nom}" + (f" ({extra})" if extra else "")


def composed_by_label(by: Membership) -> str:
    user = by.user
    name = (user.get_full_name() or "").strip() or user.email
    return f"{name} ({by.get_role_display()})"


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
    contenu = pv_contenu(jury)
    pv = ProcesVerbal.objects.create(
        organisation_id=jury.organisation_id,
        jury=jury,
        kind=ProcesVerbal.Kind.INITIAL,
        contenu=contenu,
        sha256=sha256_text(contenu),
    )
    jury.status, jury.closed_at = S.SIGNATURE, timezone.now()
    jury.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor_user(by), action="jury.close", obj=jury, message=f"PV {pv.sha256}")
    return pv


# --- signatures ------------------------------------------------------------------------------


#: Signing with a second factor has the same attempt limit as login (ACCOUNT_RATE_LIMITS
#: « login_failed »: 5 per 5 minutes): after SIGN_MAX_FAILURES wrong codes the account cannot
#: sign for SIGN_LOCK_SECONDS; every failure is audited (issue 13, point 6).
SIGN_MAX_FAILURES = 5
SIGN_LOCK_SECONDS = 5 * 60


class SecondFactorRefused(ApplicationError):
    """A wrong signing code: counted and audited outside the signing transaction."""


def _sign_failures_key(user) -> str:
    return f"jury-sign-failures:{user.pk}"


def sign_lock_check(user) -> None:
    from django.core.cache import cache

    if cache.get(_sign_failures_key(user), 0) >= SIGN_MAX_FAILURES:
        raise ApplicationError(
            f"Trop de codes erronés : la signature est bloquée pendant {SIGN_LOCK_SECONDS // 60} minutes. "
            "Réessayez plus tard avec le code actuel de votre application.",
            field="code",
        )


def _sign_failure_record(user, jury: Jury) -> int:
    from django.core.cache import cache

    key = _sign_failures_key(user)
    cache.add(key, 0, SIGN_LOCK_SECONDS)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, SIGN_LOCK_SECONDS)
        failures = 1
    cache.touch(key, SIGN_LOCK_SECONDS)
    audit_record(
        actor=user,
        action="jury.sign_failed",
        obj=jury,
        message=f"Code de second facteur erroné ({failures}/{SIGN_MAX_FAILURES})",
    )
    return failures


def second_factor_check(user, code: str) -> None:
    """Re-authentication by the member's TOTP second factor (each code is usable once)."""
    sign_lock_check(user)
    code = (code or "").strip().replace(" ", "")
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise ApplicationError(
            "Activez votre second facteur (application d'authentification) avant de signer.", field="code"
        )
    if not (code.isascii() and code.isdigit()) or not TOTP(authenticator).validate_code(code):
        raise SecondFactorRefused(
            "Code de vérification invalide ou déjà utilisé : saisissez le code actuel de votre application.",
            field="code",
        )
    authenticator.record_usage()


def pv_signatories(pv: ProcesVerbal) -> list[JuryMember]:
    return [m for m in pv.jury.members.all() if m.votes]


def proces_verbal_sign(
    *, proces_verbal: ProcesVerbal, by: Membership, code: str, ip: str | None, passkey: str = ""
) -> Signature:
    """A member signs after re-authenticating with their second factor; the président signs last.

    The last signature completes the PV: the initial one freezes the deliberation and
    deliberates the dossiers; a rectification's applies the correction. A wrong code is
    counted and audited after the signing transaction is rolled back (so the trace stays).
    """
    try:
        with transaction.atomic():
            return _proces_verbal_sign(proces_verbal=proces_verbal, by=by, code=code, ip=ip, passkey=passkey)
    except SecondFactorRefused as exc:
        failures = _sign_failure_record(by.user, proces_verbal.jury)
        if failures >= SIGN_MAX_FAILURES:
            raise ApplicationError(
                f"{exc.message} Trop de codes erronés : la signature est bloquée pendant "
                f"{SIGN_LOCK_SECONDS // 60} minutes.",
                field="code",
            ) from None
        raise ApplicationError(
            f"{exc.message} ({SIGN_MAX_FAILURES - failures} essai(s) restant(s))", field="code"
        ) from None


def _proces_verbal_sign(
    *, proces_verbal: ProcesVerbal, by: Membership, code: str, ip: str | None, passkey: str = ""
) -> Signature:
    jury = _lock(proces_verbal.jury)
    pv = ProcesVerbal.objects.select_for_update().get(pk=proces_verbal.pk)
    if pv.completed_at is not None:
        raise ApplicationError("Ce procès-verbal est déjà entièrement signé.")
    if pv.kind == ProcesVerbal.Kind.INITIAL and jury.status != S.SIGNATURE:
        raise ApplicationError(
            f"Le jury est « {jury.get_status_display()} » : la signature n'est pas ouverte."
        )
    _require_jury_day(jury, "de signer le procès-verbal")
    member = _voting_member(jury, by)
    if pv.signatures.filter(member=member).exists():
        raise ApplicationError("Vous avez déjà signé ce procès-verbal.")
    signed = set(pv.signatures.values_list("member_id", flat=True))
    others = [
        m
        for m in pv_signatories(pv)
        if m.role != JuryMember.Role.PRESIDENT and m.pk not in signed and m.pk != member.pk
    ]
    if member.role == JuryMember.Role.PRESIDENT and others:
        raise ApplicationError(
            "Le président signe en dernier : attendent encore "
            + ", ".join(m.nom_complet for m in others)
            + "."
        )
    if passkey:  # a WebAuthn assertion instead of the app's code (juries.passkeys)
        from juries.passkeys import passkey_check

        sign_lock_check(by.user)  # the lock after wrong codes holds for passkeys too
        try:
            passkey_check(by.user, passkey)
        except ApplicationError as exc:  # counted like a wrong code
            raise SecondFactorRefused(exc.message, field="code") from None
    else:
        second_factor_check(by.user, code)
    digest = sha256_text(pv.contenu)
    if digest != pv.sha256:  # the text on record is what is signed, never a stale copy
        raise ApplicationError(
            "Le contenu du procès-verbal ne correspond plus à son empreinte : signature refusée."
        )
    signature = Signature.objects.create(
        organisation_id=jury.organisation_id,
        proces_verbal=pv,
        member=member,
        user=by.user,
        ip=ip or None,
        sha256=digest,
    )
    audit_record(actor=by.user, action="jury.sign", obj=jury, message=f"{member} — {digest}")
    if len(signed) + 1 == len(pv_signatories(pv)):
        pv.completed_at = timezone.now()
        pv.save(update_fields=["completed_at"])
        if pv.kind == ProcesVerbal.Kind.INITIAL:
            _freeze(jury, by)
        else:
            _rectification_apply(pv.rectification, by)
    return signature


def _freeze(jury: Jury, by: Membership) -> None:
    """Last signature: dossiers deliberated, then the deliberation frozen (DB triggers from here on)."""
    from candidates.services import dossier_deliberate

    for d in jury.decisions.select_related("dossier").order_by("order", "pk"):
        reason = f"Jury « {jury.intitule} » du {date_fr(jury.date)}"
        if d.is_override:
            reason += f" — dérogation motivée : {d.motivation}"
        dossier_deliberate(
            dossier=d.dossier,
            by=by,
            decision=d.decision,
            blocs_acquis=d.blocs_valides,
            date=jury.date,
            reason=reason,
        )
    jury.status, jury.frozen_at = S.SIGNE, timezone.now()
    jury.save(update_fields=["status", "frozen_at"])
    audit_record(actor=actor_user(by), action="jury.frozen", obj=jury)
    events.publish("jury.frozen", jury=jury)
    from juries import documents
    from juries.issuance import pv_transmit

    pv_transmit(jury=jury, by=by)
    documents.jury_documents_request(jury=jury, by=by)


# --- rectification ---------------------------------------------------------------------------


def rectification_contenu(jury: Jury, decision: Decision, nouvelle: str, blocs: list[str], motif: str) -> str:
    c = decision.dossier.candidate
    return (
        "\n".join(
            [
                "PROCÈS-VERBAL RECTIFICATIF",
                f"Jury : {jury.intitule} — référence {jury.public_id} — délibération du {date_fr(jury.date)}",
                f"Certification : {jury.referentiel.code} (version {jury.referentiel.version}) — {jury.referentiel.intitule}",
                f"Candidat : {c.nom_naissance.upper()} {c.prenoms} (né(e) le {c.naissance_date_affichee}) — dossier {decision.dossier.public_id}",
                f"Décision initiale : {DECISION_LABELS[decision.decision]}"
                + (
                    f" — Blocs validés : {', '.join(decision.blocs_valides)}"
                    if decision.blocs_valides
                    else ""
                ),
                f"Décision rectifiée : {DECISION_LABELS[nouvelle]}"
                + (f" — Blocs validés : {', '.join(blocs)}" if blocs else " — Aucun bloc validé"),
                f"Motif : {motif}",
            ]
        )
        + "\n"
    )


@transaction.atomic
def rectification_create(
    *,
    decision: Decision,
    by: Membership,
    nouvelle_decision: str,
    blocs_valides: Iterable[str] = (),
    motif: str,
) -> Rectification:
    """Record a correction of a frozen decision; it applies once every voting member signed it."""
    jury = _lock(decision.jury)
    if not jury.is_frozen:
        raise ApplicationError("La délibération n'est pas encore signée : modifiez directement la décision.")
    motif = (motif or "").strip()
    if not motif:
        raise ApplicationError("Indiquez le motif de la rectification.", field="motif")
    if jury.rectifications.filter(applied_at__isnull=True).exists():
        raise ApplicationError("Une rectification de ce jury attend encore ses signatures.")
    decision = Decision.objects.select_related("dossier__candidate").get(pk=decision.pk)
    blocs = natural_sorted(set(blocs_valides))
    if nouvelle_decision not in DECISION_LABELS or not nouvelle_decision:
        raise ApplicationError(
            "Choisissez certifié, validation partielle ou ajourné.", field="nouvelle_decision"
        )
    _check_decision(decision.dossier, nouvelle_decision, blocs, "nouvelle_decision")
    contenu = rectification_contenu(jury, decision, nouvelle_decision, blocs, motif)
    pv = ProcesVerbal.objects.create(
        organisation_id=jury.organisation_id,
        jury=jury,
        kind=ProcesVerbal.Kind.RECTIFICATIF,
        contenu=contenu,
        sha256=sha256_text(contenu),
    )
    rect = Rectification.objects.create(
        organisation_id=jury.organisation_id,
        jury=jury,
        decision=decision,
        nouvelle_decision=nouvelle_decision,
        blocs_valides=blocs,
        motif=motif,
        proces_verbal=pv,
        created_by=actor_user(by),
    )
    audit_record(actor=actor_user(by), action="jury.rectification", obj=jury, message=motif)
    return rect


def _rectification_apply(rect: Rectification, by: Membership) -> None:
    from candidates.services import dossier_decision_rectify

    dossier_decision_rectify(
        dossier=rect.decision.dossier,
        by=by,
        decision=rect.nouvelle_decision,
        blocs_acquis=rect.blocs_valides,
        reason=f"Rectification signée du jury « {rect.jury.intitule} » : {rect.motif}",
    )
    rect.applied_at = timezone.now()
    rect.save(update_fields=["applied_at"])
    from juries import documents

    documents.rectification_documents_request(rectification=rect, by=by)


# --- publication -----------------------------------------------------------------------------


def publication_deadline(jury: Jury) -> dt.date | None:
    weeks = jury_rules.rules_for(jury.referentiel).delai_publication_semaines
    return jury.date_dernier_examen + dt.timedelta(weeks=weeks) if weeks else None


@transaction.atomic
def jury_results_publish(*, jury: Jury, by: Membership) -> Jury:
    """Release the results to the candidates — only once the PV is complete."""
    jury = Jury.objects.select_for_update().select_related("referentiel").get(pk=jury.pk)
    if not jury.is_frozen:
        raise ApplicationError(
            "Les résultats se publient une fois le procès-verbal signé par tous les membres."
        )
    if jury.results_published_at:
        raise ApplicationError(
            f"Résultats déjà publiés le {timezone.localtime(jury.results_published_at):%d/%m/%Y}."
        )
    jury.results_published_at, jury.results_published_by = timezone.now(), actor_user(by)
    jury.save(update_fields=["results_published_at", "results_published_by"])
    audit_record(actor=actor_user(by), action="jury.publish", obj=jury)
    from juries.hooks import publication_listeners

    for listener in publication_listeners():
        listener(jury=jury, by=by)
    return jury
