"""Results: record one (capacité, bloc or composante), validate it, the dossier's suivi, bulk entry from the API."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from evaluations.models import (
    AvisCapacite,
    Epreuve,
    Resultat,
    SuiviDossier,
)
from evaluations.selectors import commission_rows
from evaluations.services._common import (
    TRACKED,
    _check_criteres,
    _check_evaluateur_scope,
    _check_open,
    _covering,
    _decimal,
    _history,
    _targeted_bloc_ids,
    check_started,
    check_target_started,
)
from organisations.roles import Role
from referentiels.models import Bloc, Capacite
from referentiels.regles import regle_parse


class _Unset:
    """A part of a bloc result the caller did not send: it keeps its current value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@transaction.atomic
def resultat_record(
    *,
    dossier: Dossier,
    by: Actor,
    capacite: Capacite | None = None,
    bloc: Bloc | None = None,
    composante: str = "",
    etat: str = "",
    controle_continu=UNSET,
    epreuves=UNSET,
    points=None,
    absence_non_justifiee=UNSET,
    commentaire: str = "",
    criteres_observes: list[int] | None = None,
    reason: str = "",
    epreuve: Epreuve | None = None,
) -> Resultat:
    """Create or change one result of ``dossier``; a change un-validates it and is kept in history.

    Each part of a bloc result is its own value: ``controle_continu``, ``epreuves`` and
    ``absence_non_justifiee`` left out (``UNSET``) keep their current value, so the centre's
    contrôle continu never erases the évaluateur's épreuves mark, nor the reverse (``None`` sent
    explicitly clears that part). An unjustified absence at the bloc's épreuve is a fact, never a
    0 in disguise: the épreuves part stays empty and the engine receives the absence."""
    dossier = Dossier.objects.select_for_update().select_related("referentiel").get(pk=dossier.pk)
    _check_open(dossier)
    regle = regle_parse(dossier.referentiel.regle)
    targeted = _targeted_bloc_ids(dossier)
    if capacite is not None:
        lookup, values = _capacite_values(dossier, regle, targeted, capacite, etat)
    elif bloc is not None:
        lookup, values = _bloc_values(
            dossier, regle, targeted, bloc, controle_continu, epreuves, absence_non_justifiee
        )
    elif composante:
        lookup, values = _composante_values(dossier, regle, composante, points, absence_non_justifiee)
    else:
        raise ApplicationError("Précisez la capacité, le bloc ou la composante notée.")
    criteres_observes = _check_criteres(capacite, criteres_observes)
    if _records_a_sitting(values):
        # time is truth: what the épreuve assesses is not recorded before it starts
        if epreuve is not None:
            check_started(epreuve, "aucun résultat ne peut être saisi")
        else:
            check_target_started(dossier, capacite=capacite, bloc=bloc, composante=composante)
    _check_evaluateur_scope(by, dossier, capacite=capacite, bloc=bloc, composante=composante)
    resultat = Resultat.objects.filter(dossier=dossier, **lookup).first()
    before = {f: getattr(resultat, f) for f in TRACKED} if resultat else {}
    if resultat is None:
        resultat = Resultat(organisation_id=dossier.organisation_id, dossier=dossier, **lookup)
    for key, value in values.items():
        setattr(resultat, key, value)
    from evaluations.absences import clear_absences_on_mark

    clear_absences_on_mark(resultat)
    resultat.commentaire = commentaire or resultat.commentaire
    if criteres_observes is not None:
        resultat.criteres_observes = criteres_observes
    resultat.evaluateur = actor_user(by)
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


def _records_a_sitting(values: dict) -> bool:
    """Whether a result records what happened at an épreuve: a capacité's state, a bloc's épreuves
    mark or a composante's points, or an unjustified absence. The contrôle continu alone is not:
    seed 004 (« Procédure d'évaluation des modules de formation ») — « Les épreuves d'évaluation
    des modules de formation sont conçues et gérées par les centres de formation sous forme de
    contrôles continus », its notes « divulguées au fur et à mesure des évaluations », during the
    training, before the bloc's épreuve. Clearing a value records nothing either."""
    return bool(
        values.get("etat")
        or values.get("epreuves") is not None
        or values.get("points") is not None
        or values.get("absence_non_justifiee")
    )


def _capacite_values(
    dossier: Dossier, regle, targeted: set[int], capacite: Capacite, etat: str
) -> tuple[dict, dict]:
    """A capacité's result (validated by capacité): its lookup and its values, checked."""
    if regle.par_points:
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
    return {"kind": Resultat.Kind.CAPACITE, "capacite": capacite}, {"etat": etat}


def cc_carried(dossier: Dossier, bloc_id: int) -> Decimal | None:
    """The contrôle continu a rattrapage keeps for this bloc (``None``: none kept, it is entered).

    Seed 004: « Dans le cadre d'une présentation aux épreuves de rattrapage : le candidat repasse
    uniquement les évaluations de blocs et conserve le bénéfice de sa note de tuteur » — the
    modules' evaluations (the contrôle continu) are not passed again, the previous attempt's
    stands (``evaluations.retakes.carry_retake_parts`` copies it). A redoublement « repasse toutes
    les évaluations de modules suivis »: nothing is kept, the contrôle continu is entered again."""
    if not dossier.previous_attempt_id or dossier.reprise == Dossier.Reprise.REDOUBLEMENT:
        return None
    return (
        Resultat.objects.filter(
            dossier_id=dossier.previous_attempt_id,
            kind=Resultat.Kind.BLOC,
            bloc_id=bloc_id,
            controle_continu__isnull=False,
        )
        .values_list("controle_continu", flat=True)
        .first()
    )


def _bloc_values(
    dossier: Dossier,
    regle,
    targeted: set[int],
    bloc: Bloc,
    controle_continu,
    epreuves,
    absence_non_justifiee,
) -> tuple[dict, dict]:
    """A bloc's points (grid of points): its lookup and its values, checked against the grid.

    Each part is its own value: a part left out (``UNSET``) keeps its current value, ``None`` sent
    explicitly clears only that part. An unjustified absence at the bloc's épreuve is a fact, never
    a 0 in disguise: the épreuves part stays empty and the engine receives the absence."""
    if not regle.par_points:
        raise ApplicationError("Ce référentiel se valide par capacité, pas par points de bloc.", field="bloc")
    if bloc.referentiel_id != dossier.referentiel_id or bloc.pk not in targeted:
        raise ApplicationError(f"Le bloc {bloc.code} n'est pas visé par ce dossier.", field="bloc")
    grille = regle.bloc(bloc.code)
    current = Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.BLOC, bloc=bloc).first()
    cc = (
        (current.controle_continu if current else None)
        if controle_continu is UNSET
        else _decimal(controle_continu, "controle_continu")
    )
    if controle_continu is not UNSET and cc != (current.controle_continu if current else None):
        kept = cc_carried(dossier, bloc.pk)
        if kept is not None:
            raise ApplicationError(
                f"Bloc {bloc.code} : rattrapage, le contrôle continu ({kept} points) est conservé de la "
                "tentative précédente — le candidat repasse uniquement les évaluations de blocs.",
                field="controle_continu",
            )
    ep = (current.epreuves if current else None) if epreuves is UNSET else _decimal(epreuves, "epreuves")
    if absence_non_justifiee is UNSET:
        # a mark given for the épreuves means the candidate sat them
        absence_non_justifiee = bool(current and current.absence_non_justifiee) and epreuves in (
            UNSET,
            None,
        )
    absence_non_justifiee = bool(absence_non_justifiee)
    if absence_non_justifiee:
        if epreuves not in (UNSET, None) and ep not in (None, Decimal("0")):
            raise ApplicationError(
                "Épreuves : candidat absent (non justifié), pas de note à saisir.", field="epreuves"
            )
        ep = None  # the absence is the fact the engine reads, not a 0
    if cc is not None and cc > grille.controle_continu:
        raise ApplicationError(
            f"Contrôle continu : {cc} points, au plus {grille.controle_continu}.",
            field="controle_continu",
        )
    if ep is not None and ep > grille.epreuves:
        raise ApplicationError(f"Épreuves : {ep} points, au plus {grille.epreuves}.", field="epreuves")
    lookup = {"kind": Resultat.Kind.BLOC, "bloc": bloc}
    return lookup, {"controle_continu": cc, "epreuves": ep, "absence_non_justifiee": absence_non_justifiee}


def _composante_values(
    dossier: Dossier, regle, composante: str, points, absence_non_justifiee
) -> tuple[dict, dict]:
    """A composante of the évaluation professionnelle (grid of points): its lookup and its points."""
    if not regle.par_points:
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
    absent = absence_non_justifiee is not UNSET and bool(absence_non_justifiee)
    if absent and value not in (None, Decimal("0")):
        raise ApplicationError(
            f"{known[composante].libelle} : candidat absent (non justifié), pas de note à saisir.",
            field="points",
        )
    # seed 004: « la non remise de rapport dans les délais fixés ou la non-présentation à la
    # soutenance induisent la non-obtention du diplôme » — the absence is the fact, not a 0
    lookup = {"kind": Resultat.Kind.COMPOSANTE, "composante": composante}
    return lookup, {"points": None if absent else value, "absence_non_justifiee": absent}


@transaction.atomic
def resultat_validate(*, resultat: Resultat, by: Actor, reason: str = "") -> Resultat:
    """The commission d'évaluation validates a result (it must be complete). A CQPM capacité is
    validated by the commission itself (:func:`commission_decide`, its members named): an
    évaluateur's plain validation cannot stand for it."""
    _check_open(resultat.dossier)
    _check_evaluateur_scope(
        by, resultat.dossier, capacite=resultat.capacite, bloc=resultat.bloc, composante=resultat.composante
    )
    check_commission_owns(resultat, by)
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
                f"Capacité {resultat.cible_code} : valider « {resultat.get_etat_display().lower()} » s'écarte "
                f"{' et '.join(departures)} — statuez depuis la page de la commission d'évaluation, avec une motivation.",
                field="resultat",
            )
    if resultat.kind == Resultat.Kind.BLOC and (
        (
            resultat.controle_continu is None
            and not resultat.cc_absence_non_justifiee
            and not resultat.cc_absence_motif
        )
        or (resultat.epreuves is None and not resultat.absence_non_justifiee and not resultat.absence_motif)
    ):
        raise ApplicationError("Saisissez le contrôle continu et les épreuves avant de valider le bloc.")
    if (
        resultat.kind == Resultat.Kind.COMPOSANTE
        and resultat.points is None
        and not resultat.absence_non_justifiee
        and not resultat.absence_motif
    ):
        raise ApplicationError("Saisissez les points avant de valider.")
    before = {f: getattr(resultat, f) for f in TRACKED}
    resultat.valide, resultat.valide_par, resultat.valide_le = True, actor_user(by), timezone.now()
    resultat.save(update_fields=["valide", "valide_par", "valide_le", "updated_at"])
    _history(resultat, before, by, reason or "Validation par la commission d'évaluation")
    return resultat


COMMISSION_OWNS = (
    "sa validation revient à la commission d'évaluation — statuez depuis la page « Commission "
    "d'évaluation » du candidat, en nommant ses membres."
)


def check_commission_owns(resultat: Resultat, by: Actor) -> None:
    """Seeds 000–002: « L'acquisition de chacune des capacités professionnelles est validée par une
    commission d'évaluation ». An évaluateur alone does not stand for it: a CQPM capacité they
    would validate goes through the commission's screen (members named, motivation)."""
    if (
        resultat.kind == Resultat.Kind.CAPACITE
        and getattr(by, "role", None) == Role.EVALUATEUR
        and resultat.dossier.referentiel.kind == "CQPM"
    ):
        raise ApplicationError(f"Capacité {resultat.cible_code} : {COMMISSION_OWNS}", field="resultat")


def _commission_row(resultat: Resultat):
    rows = commission_rows(dossier=resultat.dossier, capacite_ids=[resultat.capacite_id])
    if not rows:
        raise ApplicationError(
            f"La capacité {resultat.cible_code} n'est plus visée par ce dossier.", field="resultat"
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
            resultat.cible_code,
        ).exists()
    )


@transaction.atomic
def suivi_update(
    *,
    dossier: Dossier,
    by: Actor,
    taux_absence=None,
    fraude: bool | None = None,
    fraude_motif: str = "",
    fraude_en_attente: bool | None = None,
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
    if fraude_en_attente is not None:
        suivi.fraude_en_attente = fraude_en_attente
    suivi.save()
    return suivi


# --- bulk results (API) ------------------------------------------------------------------------


@transaction.atomic
def resultats_bulk_record(*, by: Actor, rows: list[dict]) -> list[Resultat]:
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
