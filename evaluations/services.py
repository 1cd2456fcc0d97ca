"""Writes of evaluations: results (with history, validation, bulk entry, double marking), sessions and
épreuves, convocations, attendance and incidents, the avis de l'entreprise. Results are refused on a
frozen dossier."""

import calendar
import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations.models import (
    AvisCapacite,
    AvisEntreprise,
    Convocation,
    Correction,
    CorrectionResolution,
    Epreuve,
    EpreuveEvaluateur,
    Incident,
    InscriptionEpreuve,
    Resultat,
    ResultatChange,
    SessionExamen,
    SuiviDossier,
)
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.models import Bloc, Capacite
from referentiels.regles import regle_parse

OPEN_STATUSES = (Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION)
TRACKED = (
    "etat",
    "controle_continu",
    "epreuves",
    "points",
    "absence_non_justifiee",
    "commentaire",
    "criteres_observes",
    "valide",
    "motivation_commission",
)


def _user(by):
    return getattr(by, "user", by)


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    shown = str(value).strip()[:30]
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ApplicationError(f"« {shown} » n'est pas un nombre.", field=field) from None
    # NaN, Infinity and exponents past the decimal context (1e999) are not marks: comparing or
    # quantizing them raises InvalidOperation.
    if not number.is_finite():
        raise ApplicationError(f"« {shown} » n'est pas un nombre.", field=field)
    if number < 0:
        raise ApplicationError("Les points ne peuvent pas être négatifs.", field=field)
    try:
        rounded = number.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ApplicationError(f"« {shown} » : nombre hors limites.", field=field) from None
    if number != rounded:
        raise ApplicationError("Au plus deux décimales.", field=field)
    return number


def _check_open(dossier: Dossier) -> None:
    if dossier.status not in OPEN_STATUSES:
        raise ApplicationError(
            f"Le dossier est « {dossier.get_status_display()} » : ses résultats sont figés "
            "(seuls les dossiers inscrits ou en évaluation peuvent être notés)."
        )


def _targeted_bloc_ids(dossier: Dossier) -> set[int]:
    return set(dossier.blocs_vises.filter(acquis_anterieur=False).values_list("bloc_id", flat=True))


_EMPTY = (None, "", [])  # a new result's blank fields are not changes


def _history(resultat: Resultat, before: dict, by, reason: str, epreuve: Epreuve | None = None) -> None:
    changes = []
    for field in TRACKED:
        old, new = before.get(field), getattr(resultat, field)
        if old != new and not (old in _EMPTY and new in _EMPTY):
            changes.append(
                ResultatChange(
                    organisation_id=resultat.organisation_id,
                    resultat=resultat,
                    epreuve=epreuve,
                    by=_user(by),
                    field=field,
                    old="" if old is None else str(old)[:200],
                    new="" if new is None else str(new)[:200],
                    reason=reason,
                )
            )
    ResultatChange.objects.bulk_create(changes)


def _covering(epreuves, capacite_code: str):
    """The épreuves of ``epreuves`` that cover a capacité (its code in their JSON list).

    Read in Python: a JSON ``contains`` lookup exists on PostgreSQL but not on SQLite, which the
    embedded demo runs on; a dossier sits a handful of épreuves.
    """
    ids = [pk for pk, codes in epreuves.values_list("pk", "capacites") if capacite_code in (codes or [])]
    return Epreuve.objects.filter(pk__in=ids)


def _check_evaluateur_scope(by, dossier: Dossier, *, capacite=None, bloc=None, composante: str = "") -> None:
    """An évaluateur writes and validates only what an épreuve they are assigned to, and that
    this dossier sits, covers; admins and gestionnaires are not restricted."""
    from organisations.roles import Role

    if getattr(by, "role", None) != Role.EVALUATEUR:
        return
    epreuves = Epreuve.objects.filter(evaluateurs__user=_user(by), inscriptions__dossier=dossier)
    if capacite is not None:
        epreuves, what = _covering(epreuves, capacite.code), f"la capacité {capacite.code}"
        field = "capacite"
    elif bloc is not None:
        epreuves, what, field = epreuves.filter(bloc=bloc), f"le bloc {bloc.code}", "bloc"
    else:
        epreuves, what, field = (
            epreuves.filter(composante=composante),
            f"la composante « {composante} »",
            "composante",
        )
    if not epreuves.exists():
        raise ApplicationError(
            f"Vous n'évaluez pas {what} pour ce candidat : aucune des épreuves qui vous sont confiées ne la couvre.",
            field=field,
        )


def _check_criteres(capacite: Capacite | None, criteres_observes) -> list[int] | None:
    """Observed critères must be critères of the capacité being marked."""
    if criteres_observes is None:
        return None
    try:
        ids = sorted({int(c) for c in criteres_observes})
    except (TypeError, ValueError):
        raise ApplicationError(
            "Critères observés : identifiants numériques attendus.", field="criteres_observes"
        ) from None
    if not ids:
        return []
    if capacite is None:
        raise ApplicationError(
            "Des critères observés ne se saisissent que sur une capacité.", field="criteres_observes"
        )
    from referentiels.models import Critere

    known = set(Critere.objects.filter(capacite=capacite, pk__in=ids).values_list("pk", flat=True))
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise ApplicationError(
            f"Critère(s) {', '.join(unknown)} hors de la capacité {capacite.code}.", field="criteres_observes"
        )
    return ids


@transaction.atomic
def resultat_record(
    *,
    dossier: Dossier,
    by,
    capacite: Capacite | None = None,
    bloc: Bloc | None = None,
    composante: str = "",
    etat: str = "",
    controle_continu=None,
    epreuves=None,
    points=None,
    absence_non_justifiee: bool = False,
    commentaire: str = "",
    criteres_observes: list[int] | None = None,
    reason: str = "",
    epreuve: Epreuve | None = None,
) -> Resultat:
    """Create or change one result of ``dossier``; a change un-validates it and is kept in history."""
    dossier = Dossier.objects.select_for_update().select_related("referentiel").get(pk=dossier.pk)
    _check_open(dossier)
    regle = regle_parse(dossier.referentiel.regle)
    grid = regle.type == "grille_points"
    targeted = _targeted_bloc_ids(dossier)
    if capacite is not None:
        if grid:
            raise ApplicationError(
                "Ce référentiel se note en points par bloc, pas par capacité.", field="capacite"
            )
        if capacite.referentiel_id != dossier.referentiel_id or capacite.bloc_id not in targeted:
            raise ApplicationError(
                f"La capacité {capacite.code} ne fait pas partie des blocs visés par ce dossier.",
                field="capacite",
            )
        if etat not in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS, Resultat.Etat.ABSENT):
            raise ApplicationError("Indiquez acquis, non acquis ou absent.", field="etat")
        lookup = {"kind": Resultat.Kind.CAPACITE, "capacite": capacite}
        values = {"etat": etat}
    elif bloc is not None:
        if not grid:
            raise ApplicationError(
                "Ce référentiel se valide par capacité, pas par points de bloc.", field="bloc"
            )
        if bloc.referentiel_id != dossier.referentiel_id or bloc.pk not in targeted:
            raise ApplicationError(f"Le bloc {bloc.code} n'est pas visé par ce dossier.", field="bloc")
        grille = regle.bloc(bloc.code)
        cc, ep = _decimal(controle_continu, "controle_continu"), _decimal(epreuves, "epreuves")
        if absence_non_justifiee:
            ep = Decimal("0")  # règlement d'examen: an unjustified absence scores zero
        if cc is not None and cc > grille.controle_continu:
            raise ApplicationError(
                f"Contrôle continu : {cc} points, au plus {grille.controle_continu}.",
                field="controle_continu",
            )
        if ep is not None and ep > grille.epreuves:
            raise ApplicationError(f"Épreuves : {ep} points, au plus {grille.epreuves}.", field="epreuves")
        lookup = {"kind": Resultat.Kind.BLOC, "bloc": bloc}
        values = {"controle_continu": cc, "epreuves": ep, "absence_non_justifiee": absence_non_justifiee}
    elif composante:
        if not grid:
            raise ApplicationError(
                "Ce référentiel n'a pas d'évaluation professionnelle notée.", field="composante"
            )
        known = {c.code: c for c in regle.evaluation_professionnelle.composantes}
        if composante not in known:
            raise ApplicationError(
                f"Composante inconnue « {composante} » (attendu : {', '.join(known)}).", field="composante"
            )
        from evaluations.retakes import tuteur_grade_kept

        if tuteur_grade_kept(dossier=dossier, regle=regle, composante=composante):
            raise ApplicationError(
                "Rattrapage : le candidat conserve le bénéfice de sa note de tuteur de la tentative "
                "précédente (règlement d'examen) ; elle ne se saisit pas à nouveau.",
                field="composante",
            )
        value = _decimal(points, "points")
        if value is not None and value > known[composante].points:
            raise ApplicationError(
                f"{known[composante].libelle} : {value} points, au plus {known[composante].points}.",
                field="points",
            )
        lookup = {"kind": Resultat.Kind.COMPOSANTE, "composante": composante}
        values = {"points": value}
    else:
        raise ApplicationError("Précisez la capacité, le bloc ou la composante notée.")
    criteres_observes = _check_criteres(capacite, criteres_observes)
    _check_evaluateur_scope(by, dossier, capacite=capacite, bloc=bloc, composante=composante)
    resultat = Resultat.objects.filter(dossier=dossier, **lookup).first()
    before = {f: getattr(resultat, f) for f in TRACKED} if resultat else {}
    if resultat is None:
        resultat = Resultat(organisation_id=dossier.organisation_id, dossier=dossier, **lookup)
    for key, value in values.items():
        setattr(resultat, key, value)
    resultat.commentaire = commentaire or resultat.commentaire
    if criteres_observes is not None:
        resultat.criteres_observes = criteres_observes
    resultat.evaluateur = _user(by)
    if before and any(before.get(k) != getattr(resultat, k) for k in values):
        resultat.valide, resultat.valide_par, resultat.valide_le = False, None, None
        resultat.motivation_commission = ""
    resultat.full_clean(exclude=["organisation", "dossier", "capacite", "bloc"])
    resultat.save()
    _history(resultat, before, by, reason, epreuve)
    if dossier.status == Dossier.Status.INSCRIT:
        from candidates.services import dossier_transition

        dossier_transition(
            dossier=dossier, to=Dossier.Status.EN_EVALUATION, by=by, reason="Premier résultat saisi"
        )
    return resultat


@transaction.atomic
def resultat_validate(*, resultat: Resultat, by, reason: str = "") -> Resultat:
    """The commission d'évaluation validates a result (it must be complete)."""
    _check_open(resultat.dossier)
    _check_evaluateur_scope(
        by, resultat.dossier, capacite=resultat.capacite, bloc=resultat.bloc, composante=resultat.composante
    )
    if resultat.kind == Resultat.Kind.CAPACITE and not resultat.etat:
        raise ApplicationError("Un résultat sans état ne peut pas être validé.")
    if (
        resultat.kind == Resultat.Kind.CAPACITE
        and resultat.etat != Resultat.Etat.ABSENT
        and _may_depart(resultat)
    ):
        departures = _commission_row(resultat).departures(resultat.etat)
        if departures:
            raise ApplicationError(
                f"Capacité {resultat.capacite.code} : valider « {resultat.get_etat_display().lower()} » s'écarte "
                f"{' et '.join(departures)} — statuez depuis la page de la commission d'évaluation, avec une motivation.",
                field="resultat",
            )
    if resultat.kind == Resultat.Kind.BLOC and (
        resultat.controle_continu is None or resultat.epreuves is None
    ):
        raise ApplicationError("Saisissez le contrôle continu et les épreuves avant de valider le bloc.")
    if resultat.kind == Resultat.Kind.COMPOSANTE and resultat.points is None:
        raise ApplicationError("Saisissez les points avant de valider.")
    before = {f: getattr(resultat, f) for f in TRACKED}
    resultat.valide, resultat.valide_par, resultat.valide_le = True, _user(by), timezone.now()
    resultat.save(update_fields=["valide", "valide_par", "valide_le", "updated_at"])
    _history(resultat, before, by, reason or "Validation par la commission d'évaluation")
    return resultat


def _commission_row(resultat: Resultat):
    from evaluations.selectors import commission_rows

    rows = commission_rows(dossier=resultat.dossier, capacite_ids=[resultat.capacite_id])
    if not rows:
        raise ApplicationError(
            f"La capacité {resultat.capacite.code} n'est plus visée par ce dossier.", field="resultat"
        )
    return rows[0]


def _may_depart(resultat: Resultat) -> bool:
    """Cheap pre-check (2 queries) before weighing a capacité: a contrary avis or an entretien."""
    contrary = "defavorable" if resultat.etat == Resultat.Etat.ACQUIS else "favorable"
    return (
        AvisCapacite.objects.filter(
            avis_entreprise__dossier_id=resultat.dossier_id,
            avis_entreprise__soumis_le__isnull=False,
            capacite_id=resultat.capacite_id,
            avis=contrary,
        ).exists()
        or _covering(
            Epreuve.objects.filter(inscriptions__dossier_id=resultat.dossier_id, modalite__type="entretien"),
            resultat.capacite.code,
        ).exists()
    )


def _check_no_disagreement(resultat: Resultat) -> None:
    from evaluations.readiness import double_marking_issues

    code = resultat.capacite.code
    for _dossier, cible, message in double_marking_issues([resultat.dossier_id]):
        if cible == code:
            raise ApplicationError(message, field="resultat")


@transaction.atomic
def commission_decide(*, resultat: Resultat, by, decision: str, motivation: str = "") -> Resultat:
    """The commission d'évaluation's decision on one capacité, from the evaluations, the avis de
    l'entreprise and the entretien: acquis or non acquis, motivated when it departs from any of
    them (e.g. acquis despite an avis défavorable). It validates the result; every change (état,
    validation, motivation) is kept in the result's history with the motivation as reason."""
    resultat = (
        Resultat.objects.select_for_update(of=("self",))
        .select_related("dossier", "capacite")
        .get(pk=resultat.pk)
    )
    if resultat.kind != Resultat.Kind.CAPACITE:
        raise ApplicationError(
            "Seules les capacités passent en commission d'évaluation ; un bloc ou une note se valide depuis les résultats.",
            field="resultat",
        )
    _check_open(resultat.dossier)
    _check_evaluateur_scope(by, resultat.dossier, capacite=resultat.capacite)
    if decision not in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS):
        raise ApplicationError("Décidez « acquis » ou « non acquis ».", field="decision")
    if not resultat.etat:
        raise ApplicationError(
            f"Capacité {resultat.capacite.code} : aucune évaluation saisie, la commission ne peut pas encore statuer.",
            field="resultat",
        )
    _check_no_disagreement(resultat)
    motivation = (motivation or "").strip()
    departures = _commission_row(resultat).departures(decision)
    if departures and not motivation:
        raise ApplicationError(
            f"Capacité {resultat.capacite.code} : la décision « {Resultat.Etat(decision).label.lower()} » s'écarte "
            f"{' et '.join(departures)} — motivez-la.",
            field="motivation",
        )
    before = {f: getattr(resultat, f) for f in TRACKED}
    resultat.etat = decision
    resultat.motivation_commission = motivation
    resultat.valide, resultat.valide_par, resultat.valide_le = True, _user(by), timezone.now()
    resultat.full_clean(exclude=["organisation", "dossier", "capacite", "bloc"])
    resultat.save()
    reason = "Décision de la commission d'évaluation" + (
        f" : {motivation}" if motivation else " (concordante)"
    )
    _history(resultat, before, by, reason)
    return resultat


@transaction.atomic
def suivi_update(
    *, dossier: Dossier, by, taux_absence=None, fraude: bool | None = None, fraude_motif: str = ""
) -> SuiviDossier:
    _check_open(dossier)
    suivi, _ = SuiviDossier.objects.get_or_create(
        dossier=dossier, defaults={"organisation_id": dossier.organisation_id}
    )
    if taux_absence is not None:
        rate = _decimal(taux_absence, "taux_absence")
        if rate is not None and rate > 100:
            raise ApplicationError("Un taux d'absence ne dépasse pas 100 %.", field="taux_absence")
        suivi.taux_absence = rate
    if fraude is not None:
        if fraude and not fraude_motif.strip():
            raise ApplicationError("Décrivez la fraude constatée (PV d'incident).", field="fraude_motif")
        suivi.fraude, suivi.fraude_motif = fraude, fraude_motif.strip()
    suivi.save()
    return suivi


# =============================================================================================
# Sessions, épreuves, candidates, convocations, attendance, incidents
# =============================================================================================


MAKE_UP_MONTHS = 6  # règlement d'examen: a justified absence opens a make-up within 6 months
CONVOCATION_MONTHS = 1  # convocations reach candidates at least one month before the épreuve


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months (31/01 + 1 month = 28 or 29/02)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def duree_candidat(duree_minutes: int, *, tiers_temps: bool) -> int:
    """The épreuve's duration for one candidate: tiers-temps adds a third, rounded up to the minute."""
    return duree_minutes + math.ceil(duree_minutes / 3) if tiers_temps else duree_minutes


def duree_affichee(minutes: int) -> str:
    """``90`` → ``1 h 30``; ``45`` → ``45 min``."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _clean(obj, *, exclude=None) -> None:
    """``full_clean`` with messages naming each field (« Lieu : ce champ ne peut pas être vide. »)."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            parts = []
            for name, errors in exc.message_dict.items():
                label = (
                    ""
                    if name == "__all__"
                    else str(obj._meta.get_field(name).verbose_name).capitalize() + " : "
                )
                parts += [label + e[0].lower() + e[1:] if label else e for e in errors]
            first = next(iter(exc.message_dict))
            raise ApplicationError(" ; ".join(parts), field=None if first == "__all__" else first) from exc
        raise ApplicationError(" ; ".join(exc.messages)) from exc


@transaction.atomic
def session_create(*, by, referentiel, intitule: str, lieu: str = "") -> SessionExamen:
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
        created_by=_user(by),
    )
    _clean(session, exclude=["organisation", "referentiel"])
    session.save()
    audit_record(actor=_user(by), action="session.create", obj=session, message=session.intitule)
    return session


def _epreuve_targets(session: SessionExamen, *, bloc, capacites, composante) -> tuple:
    regle = regle_parse(session.referentiel.regle)
    grid = regle.type == "grille_points"
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
        codes = [c.code for c in regle.evaluation_professionnelle.composantes] if grid else []
        if composante not in codes:
            raise ApplicationError(
                f"Composante inconnue « {composante} » (attendu : {', '.join(codes) or 'aucune'}).",
                field="composante",
            )
    return bloc, sorted(set(capacites)), composante


def double_correction_for(modalite, requested: bool) -> bool:
    """Double marking of an épreuve: required by the référentiel when its modalité says so
    (``Modalite.double_correction``); the centre may ask for it on another épreuve, never drop it."""
    return bool(requested) or bool(modalite is not None and modalite.double_correction)


@transaction.atomic
def epreuve_create(
    *,
    session: SessionExamen,
    by,
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
    if modalite is not None and modalite.referentiel_id != session.referentiel_id:
        raise ApplicationError(
            "Cette modalité n'appartient pas au référentiel de la session.", field="modalite"
        )
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
    _clean(epreuve, exclude=["organisation", "session", "modalite", "bloc"])
    epreuve.save()
    epreuve_evaluateurs_set(epreuve=epreuve, by=by, users=evaluateurs)
    audit_record(
        actor=_user(by),
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
def session_update(*, session: SessionExamen, by, **fields) -> SessionExamen:
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
    _clean(session, exclude=["organisation", "referentiel"])
    if changed:
        session.save(update_fields=changed)
        audit_record(actor=_user(by), action="session.update", obj=session, message=", ".join(changed))
    return session


@transaction.atomic
def session_delete(*, session: SessionExamen, by) -> None:
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
    audit_record(actor=_user(by), action="session.delete", obj=session, message=session.intitule)
    session.delete()


@transaction.atomic
def epreuve_update(
    *, epreuve: Epreuve, by, modalite=..., double_correction: bool | None = None, evaluateurs=None, **fields
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
        if modalite is not None and modalite.referentiel_id != epreuve.session.referentiel_id:
            raise ApplicationError(
                "Cette modalité n'appartient pas au référentiel de la session.", field="modalite"
            )
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
    _clean(epreuve, exclude=["organisation", "session", "modalite", "bloc"])
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
            actor=_user(by),
            action="epreuve.update",
            obj=epreuve,
            message=", ".join(changed + (["evaluateurs"] if evaluateurs is not None else [])),
        )
    return epreuve


@transaction.atomic
def epreuve_delete(*, epreuve: Epreuve, by) -> None:
    """Delete an épreuve with its candidates' assignments — refused once convocations were sent
    or results, attendance or incidents recorded (they are kept)."""
    reasons = _epreuve_blockers(epreuve)
    if reasons:
        raise ApplicationError(
            f"L'épreuve « {epreuve.intitule} » ne peut pas être supprimée : {', '.join(reasons)}. "
            "Ce qui a été envoyé ou saisi est conservé."
        )
    audit_record(
        actor=_user(by),
        action="epreuve.delete",
        obj=epreuve,
        message=f"{epreuve.intitule} {epreuve.date:%d/%m/%Y}",
    )
    epreuve.delete()


@transaction.atomic
def epreuve_evaluateurs_set(*, epreuve: Epreuve, by, users) -> list[EpreuveEvaluateur]:
    """Assign the évaluateurs (members of the centre with a role that records results)."""
    from organisations.models import Membership
    from organisations.roles import has_capability

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
def epreuve_candidats_add(*, epreuve: Epreuve, by, dossiers) -> list[InscriptionEpreuve]:
    """Assign dossiers of the session's référentiel (inscrits or en évaluation) to the épreuve."""
    from candidates.models import DossierBloc

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
            if epreuve.bloc_id:
                errors.append(
                    f"{d.candidate} : le dossier ne vise pas le bloc {epreuve.bloc.code} évalué par l'épreuve."
                )
            else:
                errors.append(
                    f"{d.candidate} : le dossier ne vise aucune des capacités évaluées par l'épreuve ({', '.join(epreuve.capacites)})."
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
            actor=_user(by),
            action="epreuve.candidats",
            obj=epreuve,
            message=f"{len(new)} candidat(s) ajouté(s)",
        )
    return new


@transaction.atomic
def convocations_send(
    *,
    epreuve: Epreuve,
    by,
    inscriptions=None,
    force: bool = False,
    motif_forcage: str = "",
    renvoi: bool = False,
    motif_renvoi: str = "",
    today: dt.date | None = None,
) -> list[Convocation]:
    """Create the convocations of ``inscriptions`` (default: every candidate not convoked yet) and
    send them (PDF + e-mail) through a Celery task after commit.

    Refused when the épreuve is less than one month away, unless ``force`` with a reason, which
    is recorded on each convocation. Candidates already convoked are skipped unless ``renvoi``:
    a re-send is a new, numbered convocation; earlier ones are kept.
    """
    from evaluations.tasks import convocation_deliver

    today = today or timezone.localdate()
    if epreuve.date < today:
        raise ApplicationError("L'épreuve est passée : plus de convocation possible.")
    limite = add_months(today, CONVOCATION_MONTHS)
    if epreuve.date < limite:
        if not force:
            raise ApplicationError(
                f"L'épreuve du {epreuve.date:%d/%m/%Y} est à moins d'un mois (convocation au plus tard le "
                f"{add_months(epreuve.date, -CONVOCATION_MONTHS):%d/%m/%Y}). Pour envoyer quand même, forcez l'envoi en indiquant le motif.",
                field="force",
            )
        if not motif_forcage.strip():
            raise ApplicationError(
                "Indiquez le motif de l'envoi à moins d'un mois de l'épreuve.", field="motif_forcage"
            )
    else:
        force, motif_forcage = False, ""
    qs = InscriptionEpreuve.objects.filter(epreuve=epreuve).select_related("dossier__candidate")
    if inscriptions is not None:
        qs = qs.filter(pk__in=[i.pk for i in inscriptions])
    targets = list(qs)
    closed = [i for i in targets if i.dossier.status not in OPEN_STATUSES]
    if closed and inscriptions is not None:
        names = ", ".join(f"{i.dossier.candidate} (« {i.dossier.get_status_display()} »)" for i in closed)
        raise ApplicationError(
            f"Seuls les dossiers inscrits ou en évaluation sont convoqués : {names}.", field="dossiers"
        )
    targets = [
        i for i in targets if i.dossier.status in OPEN_STATUSES
    ]  # an abandoned candidate is not convoked
    if not targets:
        raise ApplicationError(
            "Aucun candidat à convoquer sur cette épreuve (seuls les dossiers inscrits ou en évaluation le sont)."
            if closed
            else "Aucun candidat à convoquer sur cette épreuve."
        )
    last = {}
    for c in Convocation.objects.filter(inscription__in=targets).order_by("numero_envoi"):
        last[c.inscription_id] = c.numero_envoi
    created = []
    for inscription in targets:
        if inscription.pk in last and not renvoi:
            continue
        convocation = Convocation(
            organisation_id=epreuve.organisation_id,
            inscription=inscription,
            numero_envoi=last.get(inscription.pk, 0) + 1,
            forcee=force,
            motif_forcage=motif_forcage.strip(),
            motif_renvoi=motif_renvoi.strip() if inscription.pk in last else "",
            email=inscription.dossier.candidate.email,
            created_by=_user(by),
        )
        convocation.save()
        created.append(convocation)
        convocation_deliver.delay_on_commit(
            organisation_id=epreuve.organisation_id, convocation_id=convocation.pk
        )
    if created:
        message = f"{len(created)} convocation(s)"
        if force:
            message += f" à moins d'un mois, motif : {motif_forcage.strip()}"
        audit_record(actor=_user(by), action="convocations.send", obj=epreuve, message=message)
    return created


@transaction.atomic
def presence_record(
    *, inscription: InscriptionEpreuve, by, presence: str, motif: str = "", justification: str = ""
) -> InscriptionEpreuve:
    """Record attendance. An unjustified absence scores 0 on what the épreuve covers; a justified
    one (certificat médical, arrêt de travail, force majeure) opens a make-up within 6 months."""
    inscription = (
        InscriptionEpreuve.objects.select_related("epreuve", "dossier")
        .select_for_update()
        .get(pk=inscription.pk)
    )
    P = InscriptionEpreuve.Presence
    previous = inscription.presence
    if presence not in (P.PRESENT, P.ABSENT_JUSTIFIE, P.ABSENT_NON_JUSTIFIE):
        raise ApplicationError("Indiquez présent, absent justifié ou absent non justifié.", field="presence")
    if presence == P.ABSENT_JUSTIFIE and motif not in InscriptionEpreuve.Motif.values[1:]:
        raise ApplicationError(
            "Une absence n'est justifiée que par un certificat médical, un arrêt de travail ou un cas de force majeure.",
            field="motif",
        )
    _check_open(inscription.dossier)
    epreuve = inscription.epreuve
    inscription.presence = presence
    inscription.motif_absence = motif if presence == P.ABSENT_JUSTIFIE else ""
    inscription.justification = justification.strip() if presence == P.ABSENT_JUSTIFIE else ""
    inscription.rattrapage_avant = (
        add_months(epreuve.date, MAKE_UP_MONTHS) if presence == P.ABSENT_JUSTIFIE else None
    )
    inscription.presence_par, inscription.presence_le = _user(by), timezone.now()
    inscription.save()
    if presence == P.ABSENT_NON_JUSTIFIE:
        _score_absence(inscription, by)
    elif previous == P.ABSENT_NON_JUSTIFIE:
        _unscore_absence(inscription, by, now=inscription.get_presence_display())
    audit_record(
        actor=_user(by),
        action="presence.record",
        obj=inscription,
        message=f"{epreuve.intitule} : {inscription.get_presence_display()}",
    )
    return inscription


def _absence_reason(epreuve: Epreuve) -> str:
    return f"Absence non justifiée à l'épreuve « {epreuve.intitule} » du {epreuve.date:%d/%m/%Y}"


def _score_absence(inscription: InscriptionEpreuve, by) -> None:
    """Règlement d'examen: an unjustified absence is marked zero for what the épreuve covers."""
    epreuve, dossier = inscription.epreuve, inscription.dossier
    reason = _absence_reason(epreuve)
    if epreuve.bloc_id:
        current = Resultat.objects.filter(
            dossier=dossier, kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id
        ).first()
        resultat_record(
            dossier=dossier,
            by=by,
            bloc=epreuve.bloc,
            absence_non_justifiee=True,
            controle_continu=current.controle_continu if current else None,
            reason=reason,
            epreuve=epreuve,
        )
    elif epreuve.composante:
        resultat_record(
            dossier=dossier, by=by, composante=epreuve.composante, points=0, reason=reason, epreuve=epreuve
        )
    else:
        for capacite in Capacite.objects.filter(
            referentiel_id=dossier.referentiel_id, code__in=epreuve.capacites
        ):
            resultat_record(
                dossier=dossier,
                by=by,
                capacite=capacite,
                etat=Resultat.Etat.ABSENT,
                reason=reason,
                epreuve=epreuve,
            )


def _unscore_absence(inscription: InscriptionEpreuve, by, *, now: str) -> None:
    """Attendance corrected away from an unjustified absence: the zero (or « absent ») that the
    absence wrote is cleared, un-validated and kept in history, so the result is marked afresh.
    A value someone entered after the absence is left alone."""
    epreuve, dossier = inscription.epreuve, inscription.dossier
    absence = _absence_reason(epreuve)
    reason = f"Présence corrigée ({now}) : {absence[0].lower()}{absence[1:]} annulée"
    qs = Resultat.objects.select_for_update().filter(dossier=dossier)
    if epreuve.bloc_id:
        targets = [
            (r, "epreuves")
            for r in qs.filter(kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id, absence_non_justifiee=True)
        ]
    elif epreuve.composante:
        targets = [
            (r, "points")
            for r in qs.filter(kind=Resultat.Kind.COMPOSANTE, composante=epreuve.composante, points=0)
        ]
    else:
        targets = [
            (r, "etat")
            for r in qs.filter(
                kind=Resultat.Kind.CAPACITE,
                capacite__code__in=epreuve.capacites,
                capacite__referentiel_id=dossier.referentiel_id,
                etat=Resultat.Etat.ABSENT,
            )
        ]
    for resultat, field in targets:
        last = resultat.changes.filter(field=field).order_by("-at", "-pk").first()
        if field != "epreuves" and (last is None or last.reason != absence):
            continue  # marked again since the absence: a real mark, not the absence's
        before = {f: getattr(resultat, f) for f in TRACKED}
        if field == "epreuves":
            resultat.epreuves, resultat.absence_non_justifiee = None, False
        elif field == "points":
            resultat.points = None
        else:
            resultat.etat = Resultat.Etat.NONE
        resultat.valide, resultat.valide_par, resultat.valide_le = False, None, None
        resultat.save()
        _history(resultat, before, by, reason, epreuve)


@transaction.atomic
def incident_record(*, inscription: InscriptionEpreuve, by, kind: str, pv: str, contreseing: str) -> Incident:
    """Record an incident with its PV. A fraud invalidates the candidate's session: no bloc or
    capacité is validated (``SuiviDossier.fraude``, read by the rules engine)."""
    if kind not in Incident.Kind.values:
        raise ApplicationError("Nature d'incident inconnue.", field="kind")
    if not pv.strip():
        raise ApplicationError("Rédigez le procès-verbal d'incident.", field="pv")
    if contreseing not in Incident.Contreseing.values:
        raise ApplicationError(
            "Indiquez si le candidat a contresigné le procès-verbal ou refusé de le faire.",
            field="contreseing",
        )
    _check_open(inscription.dossier)
    incident = Incident(
        organisation_id=inscription.organisation_id,
        inscription=inscription,
        kind=kind,
        pv=pv.strip(),
        contreseing=contreseing,
        recorded_by=_user(by),
    )
    incident.save()
    if kind == Incident.Kind.FRAUDE:
        epreuve = inscription.epreuve
        suivi_update(
            dossier=inscription.dossier,
            by=by,
            fraude=True,
            fraude_motif=f"Épreuve « {epreuve.intitule} » du {epreuve.date:%d/%m/%Y} — {incident.get_contreseing_display()}. {pv.strip()}",
        )
    audit_record(
        actor=_user(by), action=f"incident.{kind}", obj=incident, message=inscription.epreuve.intitule
    )
    return incident


# --- marks from the évaluateur's grid, double marking ---------------------------------------------


def epreuve_cibles(epreuve: Epreuve) -> list[dict]:
    """What an épreuve marks per candidate: ``[{code, libelle, kind, max}]`` (kind: capacite, bloc, composante)."""
    regle = regle_parse(epreuve.session.referentiel.regle)
    if epreuve.bloc_id:
        grille = regle.bloc(epreuve.bloc.code)
        return [
            {
                "code": epreuve.bloc.code,
                "libelle": f"Épreuves {epreuve.bloc.code}",
                "kind": "bloc",
                "max": grille.epreuves,
            }
        ]
    if epreuve.composante:
        comp = next(c for c in regle.evaluation_professionnelle.composantes if c.code == epreuve.composante)
        return [{"code": comp.code, "libelle": comp.libelle, "kind": "composante", "max": comp.points}]
    intitules = dict(
        Capacite.objects.filter(
            referentiel_id=epreuve.session.referentiel_id, code__in=epreuve.capacites
        ).values_list("code", "intitule")
    )
    return [
        {
            "code": code,
            "libelle": f"{code} — {intitules.get(code, '')[:60]}".rstrip(" —"),
            "kind": "capacite",
            "max": None,
        }
        for code in epreuve.capacites
    ]


def epreuve_cible(epreuve: Epreuve, code: str) -> dict:
    """What ``code`` is on this épreuve, with its column ``index`` (``ApplicationError`` when the
    épreuve does not mark it)."""
    for index, cible in enumerate(epreuve_cibles(epreuve)):
        if cible["code"] == code:
            return {**cible, "index": index}
    raise ApplicationError(f"« {code} » n'est pas évalué par cette épreuve.", field="cible")


def _cible(epreuve: Epreuve, code: str) -> dict:
    for cible in epreuve_cibles(epreuve):
        if cible["code"] == code:
            return cible
    raise ApplicationError(f"« {code} » n'est pas évalué par cette épreuve.", field="cible")


def _record_value(*, dossier, epreuve: Epreuve, cible: dict, value: str, by, reason: str) -> Resultat:
    if cible["kind"] == "bloc":
        current = Resultat.objects.filter(
            dossier=dossier, kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id
        ).first()
        return resultat_record(
            dossier=dossier,
            by=by,
            bloc=epreuve.bloc,
            epreuves=value,
            controle_continu=current.controle_continu if current else None,
            reason=reason,
            epreuve=epreuve,
        )
    if cible["kind"] == "composante":
        return resultat_record(
            dossier=dossier, by=by, composante=cible["code"], points=value, reason=reason, epreuve=epreuve
        )
    capacite = Capacite.objects.filter(referentiel_id=dossier.referentiel_id, code=cible["code"]).first()
    return resultat_record(
        dossier=dossier, by=by, capacite=capacite, etat=value, reason=reason, epreuve=epreuve
    )


def _check_value(cible: dict, value: str) -> tuple[str, Decimal | None]:
    if cible["kind"] == "capacite":
        if value not in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS, Resultat.Etat.ABSENT):
            raise ApplicationError("Indiquez acquis, non acquis ou absent.", field="valeur")
        return value, None
    points = _decimal(value, "valeur")
    if points is None:
        raise ApplicationError("Saisissez une note.", field="valeur")
    if points > cible["max"]:
        raise ApplicationError(
            f"{cible['libelle']} : {points} points, au plus {cible['max']}.", field="valeur"
        )
    return "", points


def _assigned(epreuve: Epreuve, by) -> bool:
    return EpreuveEvaluateur.objects.filter(epreuve=epreuve, user=_user(by)).exists()


@transaction.atomic
def epreuve_mark(
    *, epreuve: Epreuve, dossier: Dossier, by, cible: str, valeur: str, reason: str = ""
) -> Resultat | Correction:
    """One cell of the évaluateur's grid. Under double marking the mark is this évaluateur's
    ``Correction`` (two agreeing corrections write the result); otherwise it is the result."""
    target = _cible(epreuve, cible)
    if not InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=dossier).exists():
        raise ApplicationError("Ce candidat n'est pas inscrit à cette épreuve.", field="dossier")
    valeur = str(valeur).strip()
    if epreuve.double_correction:
        return correction_record(epreuve=epreuve, dossier=dossier, by=by, cible=cible, valeur=valeur)
    _check_value(target, valeur)
    return _record_value(dossier=dossier, epreuve=epreuve, cible=target, value=valeur, by=by, reason=reason)


def _resultat_of_cible(epreuve: Epreuve, dossier: Dossier, cible: dict, *, lock: bool = True):
    """The result a grid cell writes to (locked unless ``lock=False``), or None (nothing marked yet)."""
    qs = Resultat.objects.select_related("capacite").filter(dossier=dossier)
    if lock:
        qs = qs.select_for_update(of=("self",))
    if cible["kind"] == "bloc":
        return qs.filter(kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id).first()
    if cible["kind"] == "composante":
        return qs.filter(kind=Resultat.Kind.COMPOSANTE, composante=cible["code"]).first()
    return qs.filter(
        kind=Resultat.Kind.CAPACITE,
        capacite__referentiel_id=dossier.referentiel_id,
        capacite__code=cible["code"],
    ).first()


@transaction.atomic
def resultat_details_record(
    *, epreuve: Epreuve, dossier: Dossier, by, cible: str, criteres_observes, commentaire: str
) -> Resultat:
    """The critères observed and the comment of one grid cell (its result must be marked first).

    Critères exist only on a capacité, and must be that capacité's; the comment replaces the
    previous one (an empty comment clears it). Kept in history; the validation is not touched."""
    target = _cible(epreuve, cible)
    if not InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=dossier).exists():
        raise ApplicationError("Ce candidat n'est pas inscrit à cette épreuve.", field="dossier")
    _check_open(dossier)
    resultat = _resultat_of_cible(epreuve, dossier, target)
    if resultat is None:
        raise ApplicationError(
            f"{target['libelle']} : saisissez d'abord le résultat, les critères et le commentaire s'y rattachent.",
            field="cible",
        )
    ids = _check_criteres(resultat.capacite, criteres_observes)
    _check_evaluateur_scope(
        by,
        dossier,
        capacite=resultat.capacite,
        bloc=epreuve.bloc if resultat.bloc_id else None,
        composante=resultat.composante,
    )
    before = {f: getattr(resultat, f) for f in TRACKED}
    resultat.criteres_observes = ids or []
    resultat.commentaire = (commentaire or "").strip()
    if (
        before["criteres_observes"] == resultat.criteres_observes
        and before["commentaire"] == resultat.commentaire
    ):
        return resultat
    resultat.save(update_fields=["criteres_observes", "commentaire", "updated_at"])
    _history(resultat, before, by, f"Grille de l'épreuve « {epreuve.intitule} »", epreuve)
    return resultat


@transaction.atomic
def correction_record(*, epreuve: Epreuve, dossier: Dossier, by, cible: str, valeur: str) -> Correction:
    target = _cible(epreuve, cible)
    if not epreuve.double_correction:
        raise ApplicationError("Cette épreuve n'est pas en double correction.")
    if not _assigned(epreuve, by):
        raise ApplicationError(
            "Seuls les deux correcteurs désignés saisissent une double correction.", field="correcteur"
        )
    _check_open(dossier)
    etat, points = _check_value(target, valeur)
    correction, _ = Correction.objects.select_for_update().get_or_create(
        epreuve=epreuve,
        dossier=dossier,
        cible=cible,
        correcteur=_user(by),
        defaults={"organisation_id": epreuve.organisation_id},
    )
    correction.etat, correction.points = etat, points
    correction.save()
    others = [
        c
        for c in Correction.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible)
        if c.pk != correction.pk
    ]
    resolved = CorrectionResolution.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible).exists()
    if others and not resolved and all(o.valeur == correction.valeur for o in others):
        _record_value(
            dossier=dossier,
            epreuve=epreuve,
            cible=target,
            value=valeur,
            by=by,
            reason="Double correction concordante",
        )
    return correction


def correction_may_resolve(*, epreuve: Epreuve, by) -> bool:
    """Whether ``by`` may settle the épreuve's double-marking disagreements: not its correcteurs
    (assigned, or who marked one of its cells)."""
    user = _user(by)
    return not (
        _assigned(epreuve, by) or Correction.objects.filter(epreuve=epreuve, correcteur=user).exists()
    )


@transaction.atomic
def correction_resolve(
    *, epreuve: Epreuve, dossier: Dossier, by, cible: str, valeur: str, motif: str
) -> CorrectionResolution:
    """The commission settles a double-marking disagreement: the final value becomes the result.

    Not one of the épreuve's correcteurs (double marking would be pointless if one of them could
    impose their own mark): a gestionnaire, an administrateur or another évaluateur decides."""
    target = _cible(epreuve, cible)
    if not correction_may_resolve(epreuve=epreuve, by=by):
        raise ApplicationError(
            "Vous êtes correcteur de cette épreuve : le désaccord est tranché par la commission "
            "d'évaluation (un gestionnaire ou un évaluateur qui n'a pas corrigé cette épreuve).",
            field="correcteur",
        )
    if not motif.strip():
        raise ApplicationError("Motivez la résolution du désaccord.", field="motif")
    _check_value(target, str(valeur).strip())
    values = {c.valeur for c in Correction.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible)}
    if len(values) < 2:
        raise ApplicationError("Il n'y a pas de désaccord à résoudre sur cette note.")
    resolution = CorrectionResolution.objects.create(
        organisation_id=epreuve.organisation_id,
        epreuve=epreuve,
        dossier=dossier,
        cible=cible,
        valeur=str(valeur).strip(),
        motif=motif.strip(),
        by=_user(by),
    )
    _record_value(
        dossier=dossier,
        epreuve=epreuve,
        cible=target,
        value=str(valeur).strip(),
        by=by,
        reason=f"Résolution du désaccord de double correction : {motif.strip()}",
    )
    return resolution


@transaction.atomic
def epreuve_results_validate(*, epreuve: Epreuve, by) -> int:
    """Validate (commission d'évaluation) every complete, unvalidated result this épreuve produced."""
    from evaluations.readiness import double_marking_issues

    dossiers = [
        i.dossier for i in InscriptionEpreuve.objects.filter(epreuve=epreuve).select_related("dossier")
    ]
    blocked = {(d, c) for d, c, _ in double_marking_issues([d.pk for d in dossiers], epreuve=epreuve)}
    cibles = epreuve_cibles(epreuve)
    qs = Resultat.objects.filter(dossier__in=dossiers, valide=False).select_related(
        "dossier", "capacite", "bloc"
    )
    count = 0
    for r in qs:
        code = r.capacite.code if r.capacite_id else r.bloc.code if r.bloc_id else r.composante
        if not any(c["code"] == code for c in cibles) or (r.dossier_id, code) in blocked:
            continue
        if r.dossier.status not in OPEN_STATUSES:
            continue
        try:
            with transaction.atomic():
                resultat_validate(resultat=r, by=by, reason=f"Validation de l'épreuve « {epreuve.intitule} »")
        except ApplicationError:
            continue
        count += 1
    return count


# --- bulk results (API) ------------------------------------------------------------------------


@transaction.atomic
def resultats_bulk_record(*, by, rows: list[dict]) -> list[Resultat]:
    """Record many results in one go, validated as a whole: one bad row → nothing is written.

    Each row: ``dossier`` (instance) and one of ``capacite`` / ``bloc`` (instances) /
    ``composante``, plus the fields of :func:`resultat_record` and an optional ``valider``.
    Errors name every bad row (``extra["rows"]``: ``{index: message}``).
    """
    if not rows:
        raise ApplicationError("Aucune ligne à enregistrer.")
    errors: dict[int, str] = {}
    out = []
    for index, row in enumerate(rows):
        row = dict(row)
        validate = bool(row.pop("valider", False))
        try:
            with transaction.atomic():
                resultat = resultat_record(by=by, **row)
                if validate:
                    resultat = resultat_validate(resultat=resultat, by=by)
            out.append(resultat)
        except ApplicationError as exc:
            errors[index] = exc.message
    if errors:
        first = min(errors)
        raise ApplicationError(
            f"{len(errors)} ligne(s) refusée(s), rien n'a été enregistré. Ligne {first + 1} : {errors[first]}",
            field="rows",
            extra={"rows": errors},
        )
    return out


# =============================================================================================
# Avis de l'entreprise
# =============================================================================================


AVIS_SALT = "evaluations.avis"
AVIS_LINK_INVALID = "Ce lien est invalide ou a expiré. Demandez un nouveau lien au centre d'examen."


AVIS_LINK_REPLACED = "Ce lien a été remplacé par un nouveau lien : utilisez le dernier reçu par e-mail."


def avis_link_token(avis: AvisEntreprise) -> str:
    return signing.dumps(
        {"o": avis.organisation_id, "a": str(avis.public_id), "v": avis.lien_version}, salt=AVIS_SALT
    )


def avis_link_url(avis: AvisEntreprise) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("avis_link", args=[avis_link_token(avis)])


def avis_page_url(avis: AvisEntreprise) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "avis_detail", kwargs={"org_slug": avis.organisation.slug, "avis_id": avis.public_id}
    )


@transaction.atomic
def avis_request(*, dossier: Dossier, by, date_limite: dt.date) -> AvisEntreprise:
    """Ask the dossier's tuteur for the avis de l'entreprise: one per dossier, e-mailed link."""
    from evaluations.tasks import avis_invitation_send

    if dossier.tuteur_id is None:
        raise ApplicationError(
            "Ce dossier n'a pas de tuteur : renseignez-le avant de demander l'avis.", field="dossier"
        )
    _check_open(dossier)
    if date_limite <= timezone.localdate():
        raise ApplicationError("La date limite doit être dans le futur.", field="date_limite")
    if AvisEntreprise.objects.filter(dossier=dossier).exists():
        raise ApplicationError(
            "L'avis de l'entreprise a déjà été demandé pour ce dossier : pour repousser sa date limite "
            "ou renvoyer le lien au tuteur, utilisez « Prolonger et renvoyer le lien ».",
            field="dossier",
        )
    avis = AvisEntreprise(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        tuteur=dossier.tuteur,
        date_limite=date_limite,
        demande_par=_user(by),
    )
    avis.save()
    targeted = _targeted_bloc_ids(dossier)
    AvisCapacite.objects.bulk_create(
        [
            AvisCapacite(organisation_id=avis.organisation_id, avis_entreprise=avis, capacite=c)
            for c in Capacite.objects.filter(
                referentiel_id=dossier.referentiel_id, bloc_id__in=targeted
            ).order_by("bloc__order", "order")
        ]
    )
    audit_record(
        actor=_user(by),
        action="avis.request",
        obj=avis,
        message=f"{dossier.tuteur.email}, avant le {date_limite:%d/%m/%Y}",
    )
    avis_invitation_send.delay_on_commit(organisation_id=avis.organisation_id, avis_id=avis.pk, relance=False)
    return avis


@transaction.atomic
def avis_extend(*, avis: AvisEntreprise, by, date_limite: dt.date) -> AvisEntreprise:
    """Give the tuteur a new deadline and a fresh link (e-mailed); the previous links stop working.

    For an avis not yet transmitted (a transmitted one is locked), typically once its deadline has
    passed or its link expired. The new deadline is in the future and not before the current one.
    The link may be used again to sign in (the tuteur who lost access gets it back)."""
    from evaluations.tasks import avis_invitation_send

    avis = AvisEntreprise.objects.select_for_update().select_related("tuteur", "dossier").get(pk=avis.pk)
    if avis.is_submitted:
        raise ApplicationError(
            f"Cet avis a été transmis le {timezone.localtime(avis.soumis_le):%d/%m/%Y} : il est verrouillé, "
            "sa date limite ne change plus.",
            field="avis",
        )
    _check_open(avis.dossier)
    if not isinstance(date_limite, dt.date):
        raise ApplicationError("Indiquez la nouvelle date limite (jj/mm/aaaa).", field="date_limite")
    today = timezone.localdate()
    if date_limite <= today:
        raise ApplicationError(
            f"La nouvelle date limite doit être dans le futur (après le {today:%d/%m/%Y}).",
            field="date_limite",
        )
    if date_limite < avis.date_limite:
        raise ApplicationError(
            f"La nouvelle date limite ne peut pas avancer l'actuelle ({avis.date_limite:%d/%m/%Y}).",
            field="date_limite",
        )
    previous = avis.date_limite
    avis.date_limite = date_limite
    avis.lien_version += 1
    avis.lien_utilise_le = None
    avis.derniere_relance_le = None
    avis.prolongations += 1
    avis.save(
        update_fields=[
            "date_limite",
            "lien_version",
            "lien_utilise_le",
            "derniere_relance_le",
            "prolongations",
        ]
    )
    audit_record(
        actor=_user(by),
        action="avis.extend",
        obj=avis,
        message=(
            f"{avis.tuteur.email} : date limite du {previous:%d/%m/%Y} reportée au {date_limite:%d/%m/%Y}, "
            "nouveau lien envoyé (les précédents ne fonctionnent plus)"
        ),
    )
    avis_invitation_send.delay_on_commit(organisation_id=avis.organisation_id, avis_id=avis.pk, relance=False)
    return avis


def avis_link_resolve(token: str) -> tuple:
    """(organisation, avis) of a tuteur link, or ``ApplicationError`` (forged, expired, used, past deadline)."""
    from organisations.models import Organisation

    try:
        data = signing.loads(
            token, salt=AVIS_SALT, max_age=dt.timedelta(days=settings.AVIS_LINK_MAX_AGE_DAYS)
        )
        organisation = Organisation.objects.get(pk=int(data["o"]), is_active=True)
    except (signing.BadSignature, KeyError, ValueError, TypeError, Organisation.DoesNotExist):
        raise ApplicationError(AVIS_LINK_INVALID) from None
    from organisations.tenancy import tenant_context

    with tenant_context(organisation):
        avis = (
            AvisEntreprise.objects.select_related("tuteur", "dossier__candidate")
            .filter(public_id=data["a"])
            .first()
        )
    if avis is None:
        raise ApplicationError(AVIS_LINK_INVALID)
    if data.get("v", 1) != avis.lien_version:
        raise ApplicationError(AVIS_LINK_REPLACED)
    if avis.lien_utilise_le is not None:
        raise ApplicationError(
            "Ce lien a déjà été utilisé. Connectez-vous avec votre adresse e-mail et votre mot de passe."
        )
    if avis.date_limite < timezone.localdate() and not avis.is_submitted:
        raise ApplicationError("La date limite de cet avis est dépassée. Contactez le centre d'examen.")
    return organisation, avis


def avis_link_may_login(*, user, organisation) -> bool:
    """Whether following a tuteur link may sign ``user`` in without password or second factor.

    Only a plain tuteur account: never platform staff or a superuser, never an account with a
    second factor, never one holding any membership (active or not) other than the tuteur role
    in the centre the link comes from."""
    from organisations.models import Membership

    if user.is_superuser or user.is_staff or not user.is_active:
        return False
    if _has_second_factor(user):
        return False
    return not (
        Membership.objects.filter(user=user).exclude(organisation=organisation, role="tuteur").exists()
    )


def _has_second_factor(user) -> bool:
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return False
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


@transaction.atomic
def avis_link_accept(*, token: str, user=None, password: str = "", first_name: str = "", last_name: str = ""):
    """Use a tuteur link once: create the tuteur's account (or take the existing one), give it
    the ``tuteur`` role in the centre, and spend the link. Returns ``(membership, avis)``."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from organisations.models import Membership
    from organisations.roles import Role
    from organisations.services import membership_add
    from organisations.tenancy import tenant_context

    organisation, avis = avis_link_resolve(token)
    email = avis.tuteur.email.lower()
    User = get_user_model()
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            candidate = User(
                email=email,
                first_name=first_name.strip() or avis.tuteur.prenom,
                last_name=last_name.strip() or avis.tuteur.nom,
            )
            try:
                validate_password(password, user=candidate)
            except ValidationError as exc:
                raise ApplicationError(" ".join(exc.messages), field="password1") from exc
            candidate.set_password(password)
            candidate.save()
            user = candidate
    elif user.email.lower() != email:
        raise ApplicationError(
            "Ce lien a été envoyé à une autre adresse e-mail : déconnectez-vous puis rouvrez-le."
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    membership = Membership.objects.filter(user=user, organisation=organisation, is_active=True).first()
    if membership is None:
        membership = membership_add(user=user, organisation=organisation, role=Role.TUTEUR)
    with tenant_context(organisation):
        updated = AvisEntreprise.objects.filter(pk=avis.pk, lien_utilise_le__isnull=True).update(
            lien_utilise_le=timezone.now()
        )
        if not updated:  # two clicks at once: only one spends the link
            raise ApplicationError(
                "Ce lien a déjà été utilisé. Connectez-vous avec votre adresse e-mail et votre mot de passe."
            )
        audit_record(actor=user, action="avis.link", obj=avis, message=email)
    return membership, avis


@transaction.atomic
def avis_save(
    *, avis: AvisEntreprise, by, capacites: dict, commentaire: str = "", submit: bool = False
) -> AvisEntreprise:
    """Save the tuteur's avis (draft), or submit it: then it is timestamped and locked.

    ``capacites``: ``{capacite_id: {"avis": favorable|reserve|defavorable, "commentaire": str,
    "criteres": {critere_id: favorable|reserve|defavorable}}}``. On submission every capacité
    needs an avis, and a comment when the avis is not favorable.
    """
    avis = AvisEntreprise.objects.select_for_update().select_related("dossier").get(pk=avis.pk)
    if avis.is_submitted:
        raise ApplicationError(
            f"Cet avis a été transmis le {timezone.localtime(avis.soumis_le):%d/%m/%Y à %H:%M} : il ne peut plus être modifié."
        )
    if avis.date_limite < timezone.localdate():
        raise ApplicationError(
            f"La date limite ({avis.date_limite:%d/%m/%Y}) est dépassée : contactez le centre d'examen."
        )
    if avis.dossier.status not in OPEN_STATUSES:
        raise ApplicationError("Le dossier n'est plus en évaluation : l'avis ne peut plus être saisi.")
    rows = {
        row.capacite_id: row
        for row in AvisCapacite.objects.filter(avis_entreprise=avis).select_related("capacite")
    }
    from referentiels.models import Critere

    criteres_of: dict[int, set[int]] = {}
    for cid, cap_id in Critere.objects.filter(capacite_id__in=rows).values_list("pk", "capacite_id"):
        criteres_of.setdefault(cap_id, set()).add(cid)
    allowed = set(AvisCapacite.Avis.values)
    errors = []
    for key, data in (capacites or {}).items():
        try:
            row = rows[int(key)]
        except (KeyError, ValueError, TypeError):
            raise ApplicationError("Capacité hors de cet avis.", field="capacites") from None
        value = (data.get("avis") or "").strip()
        if value and value not in allowed:
            raise ApplicationError(f"{row.capacite.code} : avis « {value} » inconnu.", field="capacites")
        criteres = {}
        for ckey, cvalue in (data.get("criteres") or {}).items():
            if not cvalue:
                continue
            try:
                cid = int(ckey)
            except (TypeError, ValueError):
                cid = None
            if cid not in criteres_of.get(row.capacite_id, set()) or cvalue not in allowed:
                raise ApplicationError(f"{row.capacite.code} : critère ou avis inconnu.", field="capacites")
            criteres[str(cid)] = cvalue
        row.avis, row.commentaire, row.criteres = value, (data.get("commentaire") or "").strip(), criteres
    if submit:
        for row in rows.values():
            if not row.avis:
                errors.append(f"{row.capacite.code} : avis manquant.")
            elif row.avis != AvisCapacite.Avis.FAVORABLE and not row.commentaire:
                errors.append(
                    f"{row.capacite.code} : un avis {row.get_avis_display().lower()} doit être commenté."
                )
        if errors:
            raise ApplicationError("Avis incomplet : " + " ".join(errors), field="capacites")
    AvisCapacite.objects.bulk_update(list(rows.values()), ["avis", "commentaire", "criteres"])
    avis.commentaire = commentaire.strip()
    if submit:
        avis.soumis_le, avis.soumis_par = timezone.now(), _user(by)
    avis.save()
    if submit:
        audit_record(actor=_user(by), action="avis.submit", obj=avis)
    return avis


def avis_reminders_due(*, today: dt.date | None = None):
    """Avis not submitted whose deadline is within the reminder window and not reminded today."""
    today = today or timezone.localdate()
    window = today + dt.timedelta(days=settings.AVIS_REMINDER_DAYS_BEFORE)
    from django.db.models import Q as _Q

    return AvisEntreprise.objects.filter(
        soumis_le__isnull=True,
        date_limite__gte=today,
        date_limite__lte=window,
    ).filter(
        _Q(derniere_relance_le__isnull=True)
        | _Q(derniere_relance_le__lte=today - dt.timedelta(days=settings.AVIS_REMINDER_INTERVAL_DAYS))
    )


@transaction.atomic
def avis_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the tuteurs of the active organisation (inside its tenant context); idempotent per day."""
    from evaluations.tasks import avis_invitation_send

    today = today or timezone.localdate()
    due = list(avis_reminders_due(today=today).select_for_update())
    for avis in due:
        avis.relances += 1
        avis.derniere_relance_le = today
        avis.save(update_fields=["relances", "derniere_relance_le"])
        avis_invitation_send.delay_on_commit(
            organisation_id=avis.organisation_id, avis_id=avis.pk, relance=True
        )
    return len(due)
