"""Reads of results, including the engine's inputs for many dossiers in a constant number of queries."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from candidates.models import Dossier
from evaluations.models import Resultat, SuiviDossier
from referentiels.models import Bloc
from referentiels.regles import (
    BlocAcquisAnterieur,
    BlocStructure,
    Regle,
    RegleGrillePoints,
    ResultatBloc,
    ResultatEvaluationProfessionnelle,
    ResultatsCandidat,
    Structure,
    regle_parse,
)


@dataclass(frozen=True)
class EngineInput:
    regle: Regle
    structure: Structure
    resultats: ResultatsCandidat


def _structures(referentiel_ids: set[int]) -> dict[int, Structure]:
    blocs: dict[int, list[Bloc]] = defaultdict(list)
    for bloc in (
        Bloc.objects.filter(referentiel_id__in=referentiel_ids)
        .prefetch_related("capacites")
        .order_by("order")
    ):
        blocs[bloc.referentiel_id].append(bloc)
    return {
        rid: Structure(
            blocs=tuple(
                BlocStructure(
                    code=b.code, intitule=b.intitule, capacites=tuple(c.code for c in b.capacites.all())
                )
                for b in items
            )
        )
        for rid, items in blocs.items()
    }


def _carried_points(dossiers, carried, regles) -> dict[tuple[int, str], object]:
    """``{(dossier_id, bloc code): points}`` of the blocs a retake carries under a points grid:
    the bloc's complete validated mark (contrôle continu + épreuves) in the latest earlier attempt
    of the same candidate for the same référentiel. Seed 004 keeps « le bénéfice des blocs pour
    lesquels il a obtenu la moyenne »: the jury counts their real points, not a floor. One query,
    only when some dossier carries a bloc under a points grid."""
    wanted = [
        d for d in dossiers if carried.get(d.pk) and isinstance(regles[d.referentiel_id], RegleGrillePoints)
    ]
    if not wanted:
        return {}
    rows = (
        Resultat.objects.filter(
            kind=Resultat.Kind.BLOC,
            valide=True,
            controle_continu__isnull=False,
            epreuves__isnull=False,
            absence_non_justifiee=False,
            dossier__candidate_id__in={d.candidate_id for d in wanted},
            dossier__referentiel_id__in={d.referentiel_id for d in wanted},
        )
        .values_list(
            "dossier__candidate_id",
            "dossier__referentiel_id",
            "dossier__attempt",
            "bloc__code",
            "controle_continu",
            "epreuves",
        )
        .order_by("dossier__attempt")
    )
    best: dict[tuple, list] = defaultdict(list)
    for candidate_id, referentiel_id, attempt, code, cc, ep in rows:
        best[(candidate_id, referentiel_id, code)].append((attempt, cc + ep))
    out = {}
    for d in wanted:
        for code, _day in carried[d.pk]:
            earlier = [p for a, p in best.get((d.candidate_id, d.referentiel_id, code), ()) if a < d.attempt]
            if earlier:
                out[(d.pk, code)] = earlier[-1]
    return out


def engine_inputs(dossiers: Iterable[Dossier], *, validated_only: bool = True) -> dict[int, EngineInput]:
    """For each dossier: its règle, the référentiel's structure (every bloc, so that a total
    certification needs them all) and its validated results, carried blocs included.

    Queries: 6 whatever the number of dossiers (référentiels, structure ×2, results, suivis,
    carried blocs), plus one when a dossier carries blocs under a points grid (their real points).
    Each règle is parsed once per référentiel and the rows are read as plain
    values, not model instances: for a jury of 500 this is most of the engine's time.
    """
    from candidates.models import DossierBloc
    from referentiels.models import Referentiel

    dossiers = list(dossiers)
    ids = [d.pk for d in dossiers]
    referentiel_ids = {d.referentiel_id for d in dossiers}
    regles = {
        rid: regle_parse(regle)
        for rid, regle in Referentiel.objects.filter(pk__in=referentiel_ids).values_list("pk", "regle")
    }
    structures = _structures(referentiel_ids)
    results = Resultat.objects.filter(dossier_id__in=ids)
    if validated_only:
        results = results.filter(valide=True)
    by_dossier: dict[int, list[tuple]] = defaultdict(list)
    for row in results.values_list(
        "dossier_id",
        "kind",
        "etat",
        "capacite__code",
        "bloc__code",
        "controle_continu",
        "epreuves",
        "absence_non_justifiee",
        "composante",
        "points",
    ):
        by_dossier[row[0]].append(row[1:])
    suivis = {
        dossier_id: (taux, fraude)
        for dossier_id, taux, fraude in SuiviDossier.objects.filter(dossier_id__in=ids).values_list(
            "dossier_id", "taux_absence", "fraude"
        )
    }
    carried: dict[int, list[tuple]] = defaultdict(list)
    for dossier_id, bloc_code, acquis_le in DossierBloc.objects.filter(
        dossier_id__in=ids, acquis_anterieur=True
    ).values_list("dossier_id", "bloc__code", "acquis_le"):
        carried[dossier_id].append((bloc_code, acquis_le))
    carried_points = _carried_points(dossiers, carried, regles)
    out = {}
    for d in dossiers:
        regle = regles[d.referentiel_id]
        capacites, blocs, composantes, absences = {}, {}, {}, set()
        for kind, etat, capacite, bloc, controle_continu, epreuves, absence, composante, points in by_dossier[
            d.pk
        ]:
            if kind == Resultat.Kind.CAPACITE and etat:
                capacites[capacite] = etat
            elif kind == Resultat.Kind.BLOC:
                blocs[bloc] = ResultatBloc(
                    controle_continu=controle_continu,
                    epreuves=epreuves,
                    absence_non_justifiee=absence,
                    tentative=d.attempt,
                )
            elif kind == Resultat.Kind.COMPOSANTE:
                composantes[composante] = None if absence else points
                if absence:  # the engine receives the absence itself, never a 0
                    absences.add(composante)
        taux_absence, fraude = suivis.get(d.pk, (None, False))
        evaluation_pro = None
        if isinstance(regle, RegleGrillePoints):
            if composantes or taux_absence is not None:
                evaluation_pro = ResultatEvaluationProfessionnelle(
                    composantes=composantes, taux_absence=taux_absence, absences=frozenset(absences)
                )
            capacites = {}
        else:
            blocs = {}
        anterieurs = tuple(
            BlocAcquisAnterieur(bloc=code, date_validation=acquis_le, points=carried_points.get((d.pk, code)))
            for code, acquis_le in carried[d.pk]
            if acquis_le
        )
        out[d.pk] = EngineInput(
            regle=regle,
            structure=structures[d.referentiel_id],
            resultats=ResultatsCandidat(
                capacites=capacites,
                blocs=blocs,
                evaluation_professionnelle=evaluation_pro,
                fraude=fraude,
                blocs_acquis_anterieurs=anterieurs,
            ),
        )
    return out


def resultats_of(dossier: Dossier):
    return Resultat.objects.filter(dossier=dossier).select_related(
        "capacite", "bloc", "evaluateur", "valide_par"
    )


# =============================================================================================
# Sessions, épreuves, the évaluateur's grid, avis — reads inside ``tenant_context``; 404 for
# "missing" and "not yours" alike.
# =============================================================================================


def _get(qs, public_id):
    from django.core.exceptions import ValidationError
    from django.http import Http404

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


def _is_evaluateur_only(membership) -> bool:
    from organisations.roles import Role

    return membership is not None and membership.role == Role.EVALUATEUR


def session_list():
    from django.db.models import Count, Min

    from evaluations.models import SessionExamen

    return (
        SessionExamen.objects.select_related("referentiel")
        .annotate(nb_epreuves=Count("epreuves", distinct=True), premiere=Min("epreuves__date"))
        .order_by("-created_at", "-pk")
    )


def session_get(*, public_id):
    from evaluations.models import SessionExamen

    return _get(SessionExamen.objects.select_related("referentiel"), public_id)


def epreuve_list(*, session):
    from django.db.models import Count

    from evaluations.models import Epreuve

    return (
        Epreuve.objects.filter(session=session)
        .select_related("bloc", "modalite")
        .annotate(nb_candidats=Count("inscriptions", distinct=True))
        .prefetch_related("evaluateurs__user")
        .order_by("date", "heure_debut", "pk")
    )


def epreuve_get(*, public_id, membership=None):
    """An épreuve of the centre; an évaluateur only gets the ones assigned to them."""
    from evaluations.models import Epreuve

    qs = Epreuve.objects.select_related("session__referentiel", "bloc", "modalite")
    if _is_evaluateur_only(membership):
        qs = qs.filter(evaluateurs__user=membership.user)
    return _get(qs, public_id)


def epreuves_for_evaluateur(*, user):
    from django.db.models import Count

    from evaluations.models import Epreuve

    return (
        Epreuve.objects.filter(evaluateurs__user=user)
        .select_related("session__referentiel", "bloc")
        .annotate(nb_candidats=Count("inscriptions", distinct=True))
        .order_by("date", "heure_debut", "pk")
    )


def inscription_get(*, public_id, epreuve=None):
    from evaluations.models import InscriptionEpreuve

    qs = InscriptionEpreuve.objects.select_related(
        "epreuve__session__referentiel", "dossier__candidate", "dossier__referentiel"
    )
    if epreuve is not None:
        qs = qs.filter(epreuve=epreuve)
    return _get(qs, public_id)


def convocation_get(*, public_id):
    from evaluations.models import Convocation

    return _get(Convocation.objects.select_related("inscription__dossier__candidate", "document"), public_id)


def epreuve_inscriptions(*, epreuve):
    """The épreuve's candidates with their convocations and incidents (3 queries)."""
    from django.db.models import Prefetch

    from evaluations.models import Convocation, InscriptionEpreuve

    return (
        InscriptionEpreuve.objects.filter(epreuve=epreuve)
        .select_related("dossier__candidate", "dossier__referentiel")
        .prefetch_related(
            Prefetch("convocations", queryset=Convocation.objects.order_by("numero_envoi")), "incidents"
        )
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk")
    )


def dossiers_assignable(*, epreuve):
    """Open dossiers of the session's référentiel, targeting what the épreuve marks, not yet on it."""
    from django.db.models import Exists, OuterRef

    from candidates.models import DossierBloc
    from evaluations.services import OPEN_STATUSES
    from referentiels.models import Capacite

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


@dataclass
class GridCell:
    cible: dict
    key: str = ""
    value: str = ""
    valide: bool = False
    mine: str = ""
    others: tuple = ()
    disagreement: bool = False
    resolved: bool = False
    nb_observes: int = 0  # critères observed (their list loads when the cell's details open)
    commentaire: str = ""
    has_result: bool = False


@dataclass
class GridRow:
    inscription: object
    dossier: Dossier
    candidate: object
    pieces: list
    cells: list
    frozen: bool


# The grid's filter: « à saisir » keeps the candidates with an empty cell (not frozen).
GRID_FILTERS = {"a_saisir"}


def grid_filter(params) -> str:
    """The known filter of ``params`` (a GET QueryDict, key ``filtre``), else "" (all candidates)."""
    value = params.get("filtre", "")
    return value if value in GRID_FILTERS else ""


@dataclass
class Grid:
    """An épreuve's grid before rendering: every inscription's light data (ordered pks, values,
    corrections), what the filter keeps, and the counts; ``epreuve_grid_rows`` builds one page."""

    epreuve: object
    user: object
    cibles: list
    total: int
    a_saisir: int
    ids: list  # inscription pks the filter keeps, in the grid's order
    values: dict
    corrections: dict
    resolved: set


def _grid_value(kind: str, etat: str, epreuves, points, controle_continu=None) -> str:
    if kind == "capacite":
        return etat or ""
    if kind == "cc":
        value = str(controle_continu)
    else:
        value = str(epreuves) if kind == "bloc" else str(points or "")
    return "" if value == "None" else value


def epreuve_grid(*, epreuve, user, filtre: str = "") -> Grid:
    """The évaluateur's grid, all candidates at once but light: the inscriptions' order and
    status, their results for the épreuve's targets, the corrections and resolutions (double
    correction), each as tuples, in a constant number of queries whatever the number of
    candidates. « à saisir »: not frozen, with at least one empty cell (for the double correction,
    one this correcteur has not marked). The page's rows come from ``epreuve_grid_rows``."""
    from django.db.models import Q

    from evaluations.models import Correction, CorrectionResolution, InscriptionEpreuve
    from evaluations.services import OPEN_STATUSES, epreuve_cibles
    from evaluations.services.grid import CC_PREFIX

    cibles = epreuve_cibles(epreuve)
    kinds = {c["code"]: c["kind"] for c in cibles}
    inscriptions = list(
        InscriptionEpreuve.objects.filter(epreuve=epreuve)
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk")
        .values_list("pk", "dossier_id", "dossier__status")
    )
    values: dict[tuple[int, str], tuple] = {}
    corrections: dict[tuple[int, str], list] = defaultdict(list)
    resolved: set = set()
    if inscriptions:
        codes = [c.removeprefix(CC_PREFIX) for c in kinds]
        rows = (
            Resultat.objects.filter(dossier__inscriptions_epreuves__epreuve=epreuve)
            .filter(
                Q(capacite__code__in=codes)
                | Q(capacite__isnull=True, bloc__code__in=codes)
                | Q(capacite__isnull=True, bloc__isnull=True, composante__in=codes)
            )
            .values_list(
                "dossier_id",
                "capacite__code",
                "bloc__code",
                "composante",
                "etat",
                "epreuves",
                "points",
                "valide",
                "commentaire",
                "criteres_observes",
                "controle_continu",
            )
        )
        for (
            dossier_id,
            capacite,
            bloc,
            composante,
            etat,
            epreuves,
            points,
            valide,
            commentaire,
            observes,
            controle_continu,
        ) in rows:
            code = capacite or bloc or composante
            if code in kinds:
                value = _grid_value(kinds[code], etat, epreuves, points)
                values[(dossier_id, code)] = (value, valide, len(observes or []), commentaire)
            if bloc and f"{CC_PREFIX}{bloc}" in kinds:  # the bloc's contrôle-continu column
                value = _grid_value("cc", etat, epreuves, points, controle_continu)
                values[(dossier_id, f"{CC_PREFIX}{bloc}")] = (value, valide, 0, "")
        if epreuve.double_correction:
            for dossier_id, cible, correcteur_id, etat, points in (
                Correction.objects.filter(epreuve=epreuve)
                .order_by("pk")
                .values_list("dossier_id", "cible", "correcteur_id", "etat", "points")
            ):  # valeur as ``Correction.valeur`` says it
                valeur = etat or ("" if points is None else str(points))
                corrections[(dossier_id, cible)].append((correcteur_id, valeur))
            resolved = set(
                CorrectionResolution.objects.filter(epreuve=epreuve).values_list("dossier_id", "cible")
            )

    def empty(dossier_id: int, code: str) -> bool:
        if epreuve.double_correction and kinds[code] != "cc":
            return not any(c == user.pk for c, _ in corrections.get((dossier_id, code), ()))
        return not values.get((dossier_id, code), ("",))[0]

    a_saisir = [
        pk
        for pk, dossier_id, status in inscriptions
        if status in OPEN_STATUSES and any(empty(dossier_id, code) for code in kinds)
    ]
    return Grid(
        epreuve=epreuve,
        user=user,
        cibles=cibles,
        total=len(inscriptions),
        a_saisir=len(a_saisir),
        ids=a_saisir if filtre == "a_saisir" else [pk for pk, _, _ in inscriptions],
        values=values,
        corrections=corrections,
        resolved=resolved,
    )


def epreuve_grid_rows(*, grid: Grid, ids) -> list[GridRow]:
    """The rows of one page of ``grid`` (``ids``: inscription pks, in order): inscriptions with
    their dossier, candidate and pièces (2 queries), cells from the grid's light data."""
    from django.db.models import Prefetch

    from candidates.models import Piece
    from evaluations.models import InscriptionEpreuve
    from evaluations.services import OPEN_STATUSES

    ids = list(ids)
    if not ids:
        return []
    by_pk = {
        i.pk: i
        for i in InscriptionEpreuve.objects.filter(pk__in=ids)
        .select_related("dossier__candidate")
        .prefetch_related(
            Prefetch("dossier__pieces", queryset=Piece.objects.order_by("kind", "-uploaded_at"))
        )
    }
    double, me = grid.epreuve.double_correction, grid.user.pk
    rows = []
    for i in (by_pk[pk] for pk in ids if pk in by_pk):
        cells = []
        for index, cible in enumerate(grid.cibles):
            key = (i.dossier_id, cible["code"])
            found = grid.values.get(key)
            value, valide, nb_observes, commentaire = found or ("", False, 0, "")
            cell = GridCell(
                cible=cible,
                key=f"{i.pk}-{index}",
                value=value,
                valide=bool(valide),
                nb_observes=nb_observes,
                commentaire=commentaire,
                has_result=found is not None,
            )
            if double:
                items = grid.corrections.get(key, ())
                cell.mine = next((v for c, v in items if c == me), "")
                cell.others = tuple(v for c, v in items if c != me)
                cell.resolved = key in grid.resolved
                cell.disagreement = len({v for _, v in items}) > 1 and not cell.resolved
            cells.append(cell)
        rows.append(
            GridRow(
                inscription=i,
                dossier=i.dossier,
                candidate=i.dossier.candidate,
                pieces=list(i.dossier.pieces.all()),
                cells=cells,
                frozen=i.dossier.status not in OPEN_STATUSES,
            )
        )
    return rows


def grid_cell_details(*, epreuve, dossier, cible: dict) -> dict:
    """One grid cell's critères (with those observed) and comment, loaded when the cell opens (3 queries)."""
    from evaluations.services.grid import _resultat_of_cible
    from referentiels.models import Critere

    resultat = _resultat_of_cible(epreuve, dossier, cible, lock=False)
    observed = set(resultat.criteres_observes or []) if resultat is not None else set()
    criteres = []
    if cible["kind"] == "capacite":
        criteres = [
            (c, c.pk in observed)
            for c in Critere.objects.filter(
                capacite__referentiel_id=dossier.referentiel_id, capacite__code=cible["code"]
            ).order_by("order", "pk")
        ]
    return {
        "criteres": criteres,
        "commentaire": resultat.commentaire if resultat is not None else "",
        "has_result": resultat is not None,
    }


def session_readiness(*, session, actor) -> list[dict]:
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
    from evaluations.models import InscriptionEpreuve

    qs = InscriptionEpreuve.objects.filter(
        presence=InscriptionEpreuve.Presence.ABSENT_JUSTIFIE
    ).select_related("dossier__candidate", "epreuve")
    if session is not None:
        qs = qs.filter(epreuve__session=session)
    return qs.order_by("rattrapage_avant", "pk")


# --- avis de l'entreprise ----------------------------------------------------------------------


def avis_list():
    from evaluations.models import AvisEntreprise

    return AvisEntreprise.objects.select_related(
        "dossier__candidate", "dossier__referentiel", "tuteur"
    ).order_by("date_limite", "pk")


def avis_for_tuteur(*, user):
    """A tuteur's own avis: those addressed to the tuteur with their e-mail address."""
    return avis_list().filter(tuteur__email__iexact=user.email)


def avis_get(*, public_id, membership, with_capacites: bool = False):
    """An avis for ``membership``: a tuteur only reaches their own (another one → 404)."""
    from django.db.models import Prefetch

    from evaluations.models import AvisCapacite
    from organisations.roles import Role

    qs = avis_list()
    if with_capacites:  # the API lists them with their code: one query, not one per capacité
        qs = qs.prefetch_related(
            Prefetch("capacites", queryset=AvisCapacite.objects.select_related("capacite"))
        )
    if membership.role == Role.TUTEUR:
        qs = qs.filter(tuteur__email__iexact=membership.user.email)
    return _get(qs, public_id)


def avis_form_rows(*, avis) -> list[dict]:
    """The avis form: each capacité with its critères and the tuteur's answers (3 queries)."""
    from django.db.models import Prefetch

    from evaluations.models import AvisCapacite
    from referentiels.models import Critere

    rows = (
        AvisCapacite.objects.filter(avis_entreprise=avis)
        .select_related("capacite__bloc")
        .prefetch_related(Prefetch("capacite__criteres", queryset=Critere.objects.order_by("order")))
    )
    return [
        {
            "row": row,
            "capacite": row.capacite,
            "criteres": [(c, row.criteres.get(str(c.pk), "")) for c in row.capacite.criteres.all()],
        }
        for row in rows
    ]


def evaluateurs_disponibles(*, organisation):
    """Members who may mark an épreuve (évaluateurs, gestionnaires, admins) as users."""
    from django.contrib.auth import get_user_model

    from organisations.roles import CAPABILITIES

    roles = [str(r) for r in CAPABILITIES["results.record"]]
    return (
        get_user_model()
        .objects.filter(
            memberships__organisation=organisation, memberships__is_active=True, memberships__role__in=roles
        )
        .order_by("last_name", "first_name", "email")
        .distinct()
    )


def avis_par_critere(*, avis) -> set[int]:
    """Capacités whose chosen modalité is the avis de l'entreprise itself: the avis is then asked per critère."""
    from candidates.models import DossierModalite

    return set(
        DossierModalite.objects.filter(
            dossier_id=avis.dossier_id, modalite__type="avis_entreprise"
        ).values_list("capacite_id", flat=True)
    )


FIELD_LABELS = {
    "etat": "état",
    "controle_continu": "contrôle continu",
    "epreuves": "épreuves",
    "points": "points",
    "absence_non_justifiee": "absence non justifiée",
    "commentaire": "commentaire",
    "criteres_observes": "critères observés",
    "valide": "validation",
    "motivation_commission": "motivation de la commission",
    "commission_membres": "membres de la commission",
}


def _change_value(field: str, value: str) -> str:
    if field == "etat":
        return dict(Resultat.Etat.choices).get(value, value) if value else ""
    if field in ("valide", "absence_non_justifiee"):
        return {"True": "oui", "False": "non"}.get(value, value)
    if field in ("controle_continu", "epreuves", "points") and value:
        return value.replace(".", ",")
    return value


def dossier_results_view(*, dossier) -> dict:
    """A dossier's results with their history and the engine's current reading (penalty shown)."""
    from django.utils import timezone

    from evaluations.readiness import readiness_reasons
    from referentiels.regles import propose

    resultats = list(
        resultats_of(dossier)
        .prefetch_related("changes__by")
        .order_by("kind", "bloc__order", "capacite__order", "composante")
    )
    inputs = engine_inputs([dossier], validated_only=False)[dossier.pk]
    try:
        proposition = propose(
            inputs.regle, inputs.structure, inputs.resultats, date_decision=timezone.localdate()
        )
    except Exception:  # an incomplete or odd input: the page still shows the results
        proposition = None
    suivi = SuiviDossier.objects.filter(dossier=dossier).first()
    from evaluations.models import AvisEntreprise

    avis = AvisEntreprise.objects.filter(dossier=dossier).prefetch_related("capacites__capacite").first()
    libelles = {}
    if isinstance(inputs.regle, RegleGrillePoints):
        libelles = {c.code: c.libelle for c in inputs.regle.evaluation_professionnelle.composantes}
    for r in resultats:  # what a person reads: the règle's own words, never a code
        r.libelle_composante = libelles.get(r.composante, r.composante)
        for ch in r.changes.all():
            ch.field_label = FIELD_LABELS.get(ch.field, ch.field)
            ch.old_label = _change_value(ch.field, ch.old)
            ch.new_label = _change_value(ch.field, ch.new)
    return {
        "resultats": resultats,
        "proposition": proposition,
        "decision_label": dict(Dossier.Decision.choices).get(str(proposition.decision), "")
        if proposition
        else "",
        "suivi": suivi,
        "avis": avis,
        "reasons": readiness_reasons([dossier])[dossier.pk],
    }


def session_filter_choices() -> list[tuple[str, str]]:
    """Sessions d'examen of the active centre for the candidate list's filter, newest first."""
    from evaluations.models import SessionExamen

    return [
        (str(public_id), f"{intitule} ({code})")
        for public_id, intitule, code in SessionExamen.objects.order_by("-created_at").values_list(
            "public_id", "intitule", "referentiel__code"
        )[:200]
    ]


def session_filter_q(public_id: str):
    """Dossiers with a candidate on an épreuve of that session."""
    from django.db.models import Q

    from evaluations.models import InscriptionEpreuve

    return Q(
        pk__in=InscriptionEpreuve.objects.filter(epreuve__session__public_id=public_id).values("dossier_id")
    )


# --- commission d'évaluation -------------------------------------------------------------------


ETAT_LABELS = dict(Resultat.Etat.choices)


@dataclass
class CommissionRow:
    """What the commission d'évaluation weighs for one capacité of a dossier."""

    capacite: object
    resultat: Resultat | None = None
    epreuves: list = None  # (épreuve, inscription) that covered the capacité
    corrections: list = None  # double-marking values, per épreuve: (épreuve, [valeurs], résolution)
    avis: object = None  # AvisCapacite of a submitted avis, or None
    avis_brouillon: bool = False  # an avis exists but is not submitted yet
    entretien: list = None  # [{"epreuve", "presence", "valeur"}], or [{"planifie": modalité}] with the result
    modalite: object = None  # the modalité chosen in the dossier's plan

    def departures(self, decision: str) -> list[str]:
        """What a decision departs from, in words (an empty list: it agrees with everything)."""
        out = []
        etat = self.resultat.etat if self.resultat else ""
        if etat in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS) and etat != decision:
            out.append(f"des évaluations (« {ETAT_LABELS[etat].lower()} »)")
        elif etat == Resultat.Etat.ABSENT and decision == Resultat.Etat.ACQUIS:
            out.append("des évaluations (candidat absent)")
        if self.avis is not None:
            if self.avis.avis == "defavorable" and decision == Resultat.Etat.ACQUIS:
                out.append("de l'avis de l'entreprise (défavorable)")
            elif self.avis.avis == "favorable" and decision == Resultat.Etat.NON_ACQUIS:
                out.append("de l'avis de l'entreprise (favorable)")
        for item in self.entretien or ():
            valeur = item.get("valeur", "")
            if (
                valeur in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS)
                and valeur != decision
                and (item.get("epreuve") or item.get("entretien"))
            ):
                out.append(f"de l'entretien (« {ETAT_LABELS[valeur].lower()} »)")
        return out


def commission_rows(*, dossier, capacite_ids=None) -> list[CommissionRow]:
    """Per targeted capacité: the evaluators' results, the tuteur's avis (favorable / réservé /
    défavorable + comment) and the entretien outcome, if an épreuve or the plan has one. The
    entretien's own value is the mark its épreuve wrote (history) or its double marking.
    Entretiens recorded for the commission (date, participants, conclusion) count as well.
    Constant queries (10) whatever the number of capacités."""
    from candidates.models import DossierBloc, DossierModalite
    from evaluations.models import (
        AvisCapacite,
        Correction,
        CorrectionResolution,
        InscriptionEpreuve,
        ResultatChange,
    )
    from referentiels.models import Capacite, ModaliteType

    blocs = DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False).values("bloc_id")
    capacites = (
        Capacite.objects.filter(bloc_id__in=blocs).select_related("bloc").order_by("bloc__order", "order")
    )
    if capacite_ids is not None:
        capacites = capacites.filter(pk__in=capacite_ids)
    capacites = list(capacites)
    resultats = {
        r.capacite_id: r
        for r in Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.CAPACITE).select_related(
            "evaluateur", "valide_par"
        )
    }
    avis_rows = {
        a.capacite_id: a
        for a in AvisCapacite.objects.filter(avis_entreprise__dossier=dossier).select_related(
            "avis_entreprise"
        )
    }
    inscriptions = list(
        InscriptionEpreuve.objects.filter(dossier=dossier)
        .select_related("epreuve__modalite")
        .order_by("epreuve__date", "pk")
    )
    entretien_ids = [
        i.epreuve_id
        for i in inscriptions
        if i.epreuve.modalite_id and i.epreuve.modalite.type == ModaliteType.ENTRETIEN
    ]
    marked: dict[tuple[int, int], str] = {}  # (épreuve, capacité) → last « état » its épreuve wrote
    if entretien_ids:
        for epreuve_id, capacite_id, new in (
            ResultatChange.objects.filter(
                resultat__dossier=dossier, epreuve_id__in=entretien_ids, field="etat"
            )
            .order_by("at", "pk")
            .values_list("epreuve_id", "resultat__capacite_id", "new")
        ):
            marked[(epreuve_id, capacite_id)] = new
    corrections: dict[tuple[int, str], list] = defaultdict(list)
    for c in Correction.objects.filter(dossier=dossier).order_by("pk"):
        corrections[(c.epreuve_id, c.cible)].append(c.valeur)
    resolutions = {
        (r.epreuve_id, r.cible): r.valeur
        for r in CorrectionResolution.objects.filter(dossier=dossier).order_by("at", "pk")
    }
    planned = {
        m.capacite_id: m.modalite
        for m in DossierModalite.objects.filter(dossier=dossier).select_related("modalite")
    }
    from evaluations.models import EntretienConclusion

    recorded: dict[int, list] = defaultdict(list)  # entretiens recorded for the commission
    for c in (
        EntretienConclusion.objects.filter(entretien__dossier=dossier)
        .select_related("entretien")
        .order_by("entretien__date", "entretien__pk", "pk")
    ):
        recorded[c.capacite_id].append(c)
    rows = []
    for cap in capacites:
        avis = avis_rows.get(cap.pk)
        row = CommissionRow(
            capacite=cap,
            resultat=resultats.get(cap.pk),
            epreuves=[],
            corrections=[],
            entretien=[],
            avis=avis if avis is not None and avis.avis_entreprise.is_submitted else None,
            avis_brouillon=avis is not None and not avis.avis_entreprise.is_submitted,
            modalite=planned.get(cap.pk),
        )
        for i in inscriptions:
            if cap.code not in (i.epreuve.capacites or []):
                continue
            row.epreuves.append((i.epreuve, i))
            key = (i.epreuve_id, cap.code)
            if corrections.get(key):
                row.corrections.append((i.epreuve, corrections[key], resolutions.get(key)))
            if i.epreuve_id in entretien_ids:
                if i.epreuve.double_correction:
                    values = set(corrections.get(key, []))
                    valeur = resolutions.get(key) or (values.pop() if len(values) == 1 else "")
                else:
                    valeur = marked.get((i.epreuve_id, cap.pk), "")
                row.entretien.append(
                    {
                        "epreuve": i.epreuve,
                        "presence": i.get_presence_display(),
                        "valeur": valeur,
                        "valeur_label": ETAT_LABELS.get(valeur, "") if valeur else "",
                    }
                )
        for c in recorded.get(cap.pk, ()):
            row.entretien.append(
                {
                    "entretien": c.entretien,
                    "valeur": c.conclusion,
                    "valeur_label": c.get_conclusion_display(),
                    "commentaire": c.commentaire,
                }
            )
        if not row.entretien and row.modalite is not None and row.modalite.type == ModaliteType.ENTRETIEN:
            row.entretien.append({"planifie": row.modalite})
        rows.append(row)
    return rows
