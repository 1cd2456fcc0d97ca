"""Sessions d'examen and their épreuves: create, edit, delete; évaluateurs and candidates of an épreuve; durations."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from core.actors import Actor, actor_user
from core.dates import add_months, date_fr
from core.errors import ApplicationError
from core.validation import validate_model
from evaluations.models import (
    Convocation,
    Correction,
    CorrectionResolution,
    Epreuve,
    EpreuveEvaluateur,
    Incident,
    InscriptionEpreuve,
    ResultatChange,
    SessionExamen,
)
from evaluations.services._common import OPEN_STATUSES, start_ahead
from organisations.models import Membership
from organisations.roles import has_capability
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.models import Capacite
from referentiels.regles import RegleGrillePoints, regle_parse

RATTRAPAGE_PREAVIS_MOIS = 4  # seed 004: « par courrier recommandé (4 mois avant l'épreuve »

# =============================================================================================
# Sessions, épreuves, candidates, convocations, attendance, incidents
# =============================================================================================


MAKE_UP_MONTHS = 6  # règlement d'examen: a justified absence opens a make-up within 6 months
CONVOCATION_MONTHS = 1  # convocations reach candidates at least one month before the épreuve


@transaction.atomic
def session_create(*, by: Actor, referentiel, intitule: str, lieu: str = "") -> SessionExamen:
    from referentiels.selectors import habilitation_valid_for

    organisation = current_organisation()
    if not intitule.strip():
        raise ApplicationError("Donnez un intitulé à la session.", field="intitule")
    if not habilitation_valid_for(centre=organisation, referentiel=referentiel, on=timezone.localdate()):
        raise ApplicationError(f"Le centre n'est pas habilité pour {referentiel.code}.", field="referentiel")
    session = SessionExamen(
        organisation=organisation,
        referentiel=referentiel,
        intitule=intitule.strip(),
        lieu=lieu.strip(),
        created_by=actor_user(by),
    )
    validate_model(session, exclude=["organisation", "referentiel"])
    session.save()
    audit_record(actor=actor_user(by), action="session.create", obj=session, message=session.intitule)
    return session


def _epreuve_targets(session: SessionExamen, *, bloc, capacites, composante) -> tuple:
    regle = regle_parse(session.referentiel.regle)
    grid = regle.par_points
    capacites = [c.strip() for c in (capacites or []) if c and c.strip()]
    given = sum(bool(x) for x in (bloc, capacites, composante))
    if given != 1:
        raise ApplicationError(
            "Une épreuve couvre soit un bloc, soit des capacités, soit une composante de l'évaluation professionnelle.",
            field="bloc",
        )
    if bloc is not None:
        if bloc.referentiel_id != session.referentiel_id:
            raise ApplicationError(
                f"Le bloc {bloc.code} n'appartient pas au référentiel de la session.", field="bloc"
            )
        if not grid:
            raise ApplicationError(
                "Ce référentiel se valide par capacité : choisissez les capacités couvertes.", field="bloc"
            )
    if capacites:
        if grid:
            raise ApplicationError(
                "Ce référentiel se note en points par bloc : choisissez un bloc.", field="capacites"
            )
        known = set(
            Capacite.objects.filter(referentiel=session.referentiel_id).values_list("code", flat=True)
        )
        unknown = [c for c in capacites if c not in known]
        if unknown:
            raise ApplicationError(
                f"Capacité(s) inconnue(s) dans ce référentiel : {', '.join(unknown)}.", field="capacites"
            )
    if composante:
        codes = (
            [c.code for c in regle.evaluation_professionnelle.composantes]
            if isinstance(regle, RegleGrillePoints)
            else []
        )
        if composante not in codes:
            raise ApplicationError(
                f"Composante inconnue « {composante} » (attendu : {', '.join(codes) or 'aucune'}).",
                field="composante",
            )
    return bloc, sorted(set(capacites)), composante


def modalite_label(modalite, mot_capacite: str = "capacité") -> str:
    """A modalité as a person picks it: what it is declared for first, so two modalités with the
    same wording (« Étude de cas » in every bloc) are told apart."""
    if modalite.bloc_id:
        owner = f"Bloc {modalite.bloc.code}"
    else:
        owner = f"{mot_capacite.capitalize()} {modalite.capacite.code}"
    text = modalite.get_type_display()
    if modalite.intitule:
        text += f" — {modalite.intitule[:60]}"
    return f"{owner} : {text}"


def _check_modalite_covers(session: SessionExamen, modalite, *, bloc, capacites) -> None:
    """An épreuve's modalité must belong to its session's référentiel and to the bloc(s) the
    épreuve evaluates (a modalité of bloc 2 does not evaluate bloc 1)."""
    if modalite is None:
        return
    if modalite.referentiel_id != session.referentiel_id:
        raise ApplicationError(
            "Cette modalité n'appartient pas au référentiel de la session.", field="modalite"
        )
    if bloc is None and not capacites:
        return  # a composante of the évaluation professionnelle: no bloc to belong to
    owner_bloc = modalite.bloc_id if modalite.bloc_id else modalite.capacite.bloc_id
    if bloc is not None:
        blocs = {bloc.pk}
        covered = f"le bloc {bloc.code}"
    else:
        rows = list(
            Capacite.objects.filter(referentiel_id=session.referentiel_id, code__in=capacites).values_list(
                "bloc_id", "code"
            )
        )
        blocs = {b for b, _code in rows}
        mot = session.referentiel.mot_capacite
        covered = f"les {mot}s {', '.join(capacites)}"
        if modalite.capacite_id and modalite.capacite.code not in capacites:
            blocs = set()  # a capacité's modalité evaluates that capacité only
    if owner_bloc not in blocs:
        raise ApplicationError(
            f"La modalité « {modalite_label(modalite, session.referentiel.mot_capacite)} » ne relève pas de ce que "
            f"l'épreuve évalue ({covered}) : choisissez une modalité de ce bloc.",
            field="modalite",
        )


def double_correction_for(modalite, requested: bool) -> bool:
    """Double marking of an épreuve: required by the référentiel when its modalité says so
    (``Modalite.double_correction``); the centre may ask for it on another épreuve, never drop it."""
    return bool(requested) or bool(modalite is not None and modalite.double_correction)


@transaction.atomic
def epreuve_create(
    *,
    session: SessionExamen,
    by: Actor,
    intitule: str,
    date: dt.date,
    heure_debut: dt.time,
    duree_minutes: int,
    lieu: str = "",
    salle: str = "",
    surveillants: str = "",
    modalite=None,
    bloc=None,
    capacites: list[str] | None = None,
    composante: str = "",
    double_correction: bool = False,
    evaluateurs=(),
    documents_a_apporter: str | None = None,
) -> Epreuve:
    bloc, capacites, composante = _epreuve_targets(
        session, bloc=bloc, capacites=capacites, composante=composante
    )
    _check_modalite_covers(session, modalite, bloc=bloc, capacites=capacites)
    epreuve = Epreuve(
        organisation_id=session.organisation_id,
        session=session,
        intitule=(intitule or "").strip(),
        date=date,
        heure_debut=heure_debut,
        duree_minutes=duree_minutes,
        lieu=(lieu or session.lieu).strip(),
        salle=salle.strip(),
        surveillants=surveillants.strip(),
        modalite=modalite,
        bloc=bloc,
        capacites=capacites,
        composante=composante,
        double_correction=double_correction_for(modalite, double_correction),
    )
    if documents_a_apporter is not None:
        epreuve.documents_a_apporter = documents_a_apporter.strip()
    validate_model(epreuve, exclude=["organisation", "session", "modalite", "bloc"])
    epreuve.save()
    epreuve_evaluateurs_set(epreuve=epreuve, by=by, users=evaluateurs)
    audit_record(
        actor=actor_user(by),
        action="epreuve.create",
        obj=epreuve,
        message=f"{epreuve.intitule} {epreuve.date:%d/%m/%Y}",
    )
    return epreuve


SESSION_EDITABLE = ("intitule", "lieu")
EPREUVE_EDITABLE = (
    "intitule",
    "date",
    "heure_debut",
    "duree_minutes",
    "lieu",
    "salle",
    "surveillants",
    "documents_a_apporter",
)


def _epreuve_blockers(epreuve: Epreuve) -> list[str]:
    """Why an épreuve can no longer be deleted: convocations sent, results or attendance recorded."""
    reasons = []
    sent = Convocation.objects.filter(inscription__epreuve=epreuve).count()
    if sent:
        reasons.append(f"{sent} convocation(s) envoyée(s)")
    if (
        ResultatChange.objects.filter(epreuve=epreuve).exists()
        or Correction.objects.filter(epreuve=epreuve).exists()
        or CorrectionResolution.objects.filter(epreuve=epreuve).exists()
    ):
        reasons.append("des résultats saisis")
    if (
        InscriptionEpreuve.objects.filter(epreuve=epreuve).exclude(presence="").exists()
        or Incident.objects.filter(inscription__epreuve=epreuve).exists()
    ):
        reasons.append("des présences ou incidents enregistrés")
    return reasons


@transaction.atomic
def session_update(*, session: SessionExamen, by: Actor, **fields) -> SessionExamen:
    """Rename or relocate a session (its référentiel is fixed: create another session instead)."""
    unknown = set(fields) - set(SESSION_EDITABLE)
    if unknown:
        raise ApplicationError(
            f"Champ non modifiable : {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    session = SessionExamen.objects.select_for_update().get(pk=session.pk)
    if "intitule" in fields and not (fields["intitule"] or "").strip():
        raise ApplicationError("Donnez un intitulé à la session.", field="intitule")
    changed = []
    for key, value in fields.items():
        value = (value or "").strip()
        if getattr(session, key) != value:
            setattr(session, key, value)
            changed.append(key)
    validate_model(session, exclude=["organisation", "referentiel"])
    if changed:
        session.save(update_fields=changed)
        audit_record(actor=actor_user(by), action="session.update", obj=session, message=", ".join(changed))
    return session


@transaction.atomic
def session_delete(*, session: SessionExamen, by: Actor) -> None:
    """Delete a session and its épreuves — refused once any of them has convocations sent or results."""
    blocked = []
    for epreuve in Epreuve.objects.filter(session=session).order_by("date", "pk"):
        reasons = _epreuve_blockers(epreuve)
        if reasons:
            blocked.append(f"« {epreuve.intitule} » ({', '.join(reasons)})")
    if blocked:
        raise ApplicationError(
            f"La session « {session.intitule} » ne peut pas être supprimée : épreuve(s) {' ; '.join(blocked)}. "
            "Ce qui a été envoyé ou saisi est conservé."
        )
    audit_record(actor=actor_user(by), action="session.delete", obj=session, message=session.intitule)
    session.delete()


def _check_not_moved_ahead(epreuve: Epreuve, before: dict) -> None:
    """Time is truth (issue 13, point 4): an épreuve whose results, attendance or incidents are
    recorded has taken place; it cannot be moved to a start still to come (its records would
    then precede it)."""
    if (epreuve.date, epreuve.heure_debut) == (before["date"], before["heure_debut"]):
        return
    start = start_ahead(epreuve)
    if start is None:
        return
    recorded = [r for r in _epreuve_blockers(epreuve) if "convocation" not in r]
    if recorded:
        raise ApplicationError(
            f"L'épreuve a déjà eu lieu ({' et '.join(recorded)}) : elle ne peut pas être déplacée "
            f"au {start:%d/%m/%Y} à {start:%H:%M}, encore à venir.",
            field="date",
        )


@transaction.atomic
def epreuve_update(
    *,
    epreuve: Epreuve,
    by: Actor,
    modalite=...,
    double_correction: bool | None = None,
    evaluateurs=None,
    **fields,
) -> Epreuve:
    """Change an épreuve's schedule, place, modalité, double marking or évaluateurs. What it covers
    is fixed (delete and re-create it). Convocations already sent are kept: re-send them
    (``convocations_send(renvoi=True)``) after a change of date, time, duration or place."""
    unknown = set(fields) - set(EPREUVE_EDITABLE)
    if unknown:
        raise ApplicationError(
            f"Champ non modifiable : {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    epreuve = Epreuve.objects.select_for_update().select_related("session").get(pk=epreuve.pk)
    before = {f: getattr(epreuve, f) for f in (*EPREUVE_EDITABLE, "modalite_id", "double_correction")}
    for key, value in fields.items():
        setattr(epreuve, key, value.strip() if isinstance(value, str) else value)
    if "intitule" in fields and not epreuve.intitule:
        raise ApplicationError("Intitulé : ce champ ne peut pas être vide.", field="intitule")
    if modalite is not ...:
        _check_modalite_covers(epreuve.session, modalite, bloc=epreuve.bloc, capacites=epreuve.capacites)
        epreuve.modalite = modalite
    requested = epreuve.double_correction if double_correction is None else double_correction
    if double_correction is False and epreuve.modalite is not None and epreuve.modalite.double_correction:
        raise ApplicationError(
            "La modalité de cette épreuve exige la double correction (référentiel) : elle ne peut pas être retirée.",
            field="double_correction",
        )
    epreuve.double_correction = double_correction_for(epreuve.modalite, requested)
    if epreuve.double_correction != before["double_correction"] and (
        Correction.objects.filter(epreuve=epreuve).exists()
        or ResultatChange.objects.filter(epreuve=epreuve).exists()
    ):
        raise ApplicationError(
            "Des notes ont déjà été saisies sur cette épreuve : la double correction ne peut plus changer.",
            field="double_correction",
        )
    validate_model(epreuve, exclude=["organisation", "session", "modalite", "bloc"])
    _check_not_moved_ahead(epreuve, before)
    epreuve.save()
    if evaluateurs is not None or epreuve.double_correction != before["double_correction"]:
        users = (
            list(evaluateurs)
            if evaluateurs is not None
            else [e.user for e in EpreuveEvaluateur.objects.filter(epreuve=epreuve).select_related("user")]
        )
        epreuve_evaluateurs_set(epreuve=epreuve, by=by, users=users)
    changed = [f for f, old in before.items() if getattr(epreuve, f) != old]
    if changed or evaluateurs is not None:
        audit_record(
            actor=actor_user(by),
            action="epreuve.update",
            obj=epreuve,
            message=", ".join(changed + (["evaluateurs"] if evaluateurs is not None else [])),
        )
    return epreuve


@transaction.atomic
def epreuve_delete(*, epreuve: Epreuve, by: Actor) -> None:
    """Delete an épreuve with its candidates' assignments — refused once convocations were sent
    or results, attendance or incidents recorded (they are kept)."""
    reasons = _epreuve_blockers(epreuve)
    if reasons:
        raise ApplicationError(
            f"L'épreuve « {epreuve.intitule} » ne peut pas être supprimée : {', '.join(reasons)}. "
            "Ce qui a été envoyé ou saisi est conservé."
        )
    audit_record(
        actor=actor_user(by),
        action="epreuve.delete",
        obj=epreuve,
        message=f"{epreuve.intitule} {epreuve.date:%d/%m/%Y}",
    )
    epreuve.delete()


@transaction.atomic
def epreuve_evaluateurs_set(*, epreuve: Epreuve, by: Actor, users) -> list[EpreuveEvaluateur]:
    """Assign the évaluateurs (members of the centre with a role that records results)."""

    users = list(dict.fromkeys(users))
    members = {
        m.user_id: m
        for m in Membership.objects.filter(
            organisation_id=epreuve.organisation_id, user__in=users, is_active=True
        )
    }
    for user in users:
        m = members.get(user.pk)
        if m is None or not has_capability(m.role, "results.record"):
            raise ApplicationError(f"{user.email} n'est pas évaluateur dans ce centre.", field="evaluateurs")
    if epreuve.double_correction and users and len(users) < 2:
        raise ApplicationError("La double correction exige deux évaluateurs.", field="evaluateurs")
    EpreuveEvaluateur.objects.filter(epreuve=epreuve).exclude(user__in=users).delete()
    existing = set(EpreuveEvaluateur.objects.filter(epreuve=epreuve).values_list("user_id", flat=True))
    EpreuveEvaluateur.objects.bulk_create(
        [
            EpreuveEvaluateur(organisation_id=epreuve.organisation_id, epreuve=epreuve, user=u)
            for u in users
            if u.pk not in existing
        ]
    )
    return list(EpreuveEvaluateur.objects.filter(epreuve=epreuve))


@transaction.atomic
def epreuve_candidats_add(*, epreuve: Epreuve, by: Actor, dossiers) -> list[InscriptionEpreuve]:
    """Assign dossiers of the session's référentiel (inscrits or en évaluation) to the épreuve."""

    dossiers = list(dossiers)
    targeted: dict[int, set[int]] = {}
    for dossier_id, bloc_id in DossierBloc.objects.filter(
        dossier__in=[d.pk for d in dossiers], acquis_anterieur=False
    ).values_list("dossier_id", "bloc_id"):
        targeted.setdefault(dossier_id, set()).add(bloc_id)
    covered: set[int] | None = None  # blocs the épreuve marks; None = every dossier (a composante)
    if epreuve.bloc_id:
        covered = {epreuve.bloc_id}
    elif epreuve.capacites:
        covered = set(
            Capacite.objects.filter(
                referentiel_id=epreuve.session.referentiel_id, code__in=epreuve.capacites
            ).values_list("bloc_id", flat=True)
        )
    errors = []
    for d in dossiers:
        if d.referentiel_id != epreuve.session.referentiel_id:
            errors.append(f"{d.candidate} : dossier d'un autre référentiel.")
        elif d.status not in OPEN_STATUSES:
            errors.append(
                f"{d.candidate} : dossier « {d.get_status_display()} » (inscrit ou en évaluation attendu)."
            )
        elif covered is not None and not covered & targeted.get(d.pk, set()):
            if epreuve.bloc is not None:
                errors.append(
                    f"{d.candidate} : le dossier ne vise pas le bloc {epreuve.bloc.code} évalué par l'épreuve."
                )
            else:
                errors.append(
                    f"{d.candidate} : le dossier ne vise aucune des capacités évaluées par l'épreuve ({', '.join(epreuve.capacites)})."
                )
        elif (
            epreuve.bloc_id
            and d.reprise == Dossier.Reprise.RATTRAPAGE
            and d.reprise_courrier_le is not None
            and epreuve.date < add_months(d.reprise_courrier_le, RATTRAPAGE_PREAVIS_MOIS)
        ):
            # seed 004: « il a obligation de s'inscrire à la prochaine session d'examen, par courrier
            # recommandé (4 mois avant l'épreuve de validation du ou des blocs concernés) »
            errors.append(
                f"{d.candidate} : rattrapage demandé par courrier recommandé le {date_fr(d.reprise_courrier_le)},"
                f" moins de {RATTRAPAGE_PREAVIS_MOIS} mois avant l'épreuve du {date_fr(epreuve.date)}"
                f" (première épreuve possible le {date_fr(add_months(d.reprise_courrier_le, RATTRAPAGE_PREAVIS_MOIS))})."
            )
    if errors:
        raise ApplicationError(" ".join(errors), field="dossiers")
    existing = set(InscriptionEpreuve.objects.filter(epreuve=epreuve).values_list("dossier_id", flat=True))
    new = [
        InscriptionEpreuve(organisation_id=epreuve.organisation_id, epreuve=epreuve, dossier=d)
        for d in dossiers
        if d.pk not in existing
    ]
    InscriptionEpreuve.objects.bulk_create(new)
    if new:
        audit_record(
            actor=actor_user(by),
            action="epreuve.candidats",
            obj=epreuve,
            message=f"{len(new)} candidat(s) ajouté(s)",
        )
    return new


def _inscription_blockers(inscription: InscriptionEpreuve) -> list[str]:
    """Why a candidate can no longer be taken off an épreuve (the épreuve's guards, for one candidate)."""
    reasons = []
    sent = Convocation.objects.filter(inscription=inscription).count()
    if sent:
        reasons.append(f"{sent} convocation(s) envoyée(s)")
    if (
        ResultatChange.objects.filter(
            epreuve_id=inscription.epreuve_id, resultat__dossier_id=inscription.dossier_id
        ).exists()
        or Correction.objects.filter(
            epreuve_id=inscription.epreuve_id, dossier_id=inscription.dossier_id
        ).exists()
        or CorrectionResolution.objects.filter(
            epreuve_id=inscription.epreuve_id, dossier_id=inscription.dossier_id
        ).exists()
    ):
        reasons.append("des résultats saisis")
    if inscription.presence or Incident.objects.filter(inscription=inscription).exists():
        reasons.append("une présence ou un incident enregistré")
    return reasons


@transaction.atomic
def epreuve_candidat_remove(*, inscription: InscriptionEpreuve, by: Actor) -> None:
    """Take a candidate off an épreuve — refused once a convocation was sent to them, or results,
    attendance or an incident recorded for them at this épreuve (they are kept)."""
    inscription = (
        InscriptionEpreuve.objects.select_for_update()
        .select_related("epreuve", "dossier__candidate")
        .get(pk=inscription.pk)
    )
    reasons = _inscription_blockers(inscription)
    if reasons:
        raise ApplicationError(
            f"{inscription.dossier.candidate} ne peut pas être retiré(e) de l'épreuve « {inscription.epreuve.intitule} » : "
            f"{', '.join(reasons)}. Ce qui a été envoyé ou saisi est conservé."
        )
    audit_record(
        actor=actor_user(by),
        action="epreuve.candidat_retire",
        obj=inscription.epreuve,
        message=str(inscription.dossier.candidate),
    )
    inscription.delete()
