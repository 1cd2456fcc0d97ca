"""The évaluateur's grid of an épreuve: rows, cells, the « à saisir » filter, a cell's details."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q

from candidates.models import Dossier, Piece
from candidates.selectors import HEALTH_PIECE_KINDS
from evaluations.models import (
    Correction,
    CorrectionResolution,
    Epreuve,
    InscriptionEpreuve,
    Resultat,
)
from evaluations.selectors.cibles import CC_PREFIX, OPEN_STATUSES, epreuve_cibles, resultat_of_cible
from referentiels.models import Critere


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

    epreuve: Epreuve
    user: AbstractBaseUser | AnonymousUser
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


#: A grid cell's light data: (value, validated, number of critères observed, comment).
CellData = tuple[str, bool, int, str]


def _grid_values(epreuve: Epreuve, kinds: dict[str, str]) -> dict[tuple[int, str], CellData]:
    """(dossier, cible code) → the cell's light data, from the results of the épreuve's
    candidates on its targets (1 query); a bloc also fills its contrôle-continu column."""
    values: dict[tuple[int, str], CellData] = {}
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
    return values


def _grid_corrections(
    epreuve: Epreuve,
) -> tuple[dict[tuple[int, str], list[tuple[int | None, str]]], set[tuple[int, str]]]:
    """A double-marked épreuve's corrections, (dossier, cible) → [(correcteur, valeur)], and
    the (dossier, cible) pairs the commission resolved (2 queries)."""
    corrections: dict[tuple[int, str], list[tuple[int | None, str]]] = defaultdict(list)
    for dossier_id, cible, correcteur_id, etat, points in (
        Correction.objects.filter(epreuve=epreuve)
        .order_by("pk")
        .values_list("dossier_id", "cible", "correcteur_id", "etat", "points")
    ):  # valeur as ``Correction.valeur`` says it
        valeur = etat or ("" if points is None else str(points))
        corrections[(dossier_id, cible)].append((correcteur_id, valeur))
    resolved = set(CorrectionResolution.objects.filter(epreuve=epreuve).values_list("dossier_id", "cible"))
    return corrections, resolved


def epreuve_grid(*, epreuve: Epreuve, user: AbstractBaseUser | AnonymousUser, filtre: str = "") -> Grid:
    """The évaluateur's grid, all candidates at once but light: the inscriptions' order and
    status, their results for the épreuve's targets, the corrections and resolutions (double
    correction), each as tuples, in a constant number of queries whatever the number of
    candidates. « à saisir »: not frozen, with at least one empty cell (for the double correction,
    one this correcteur has not marked). The page's rows come from ``epreuve_grid_rows``."""

    cibles = epreuve_cibles(epreuve)
    kinds = {c["code"]: c["kind"] for c in cibles}
    inscriptions = list(
        InscriptionEpreuve.objects.filter(epreuve=epreuve)
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk")
        .values_list("pk", "dossier_id", "dossier__status")
    )
    values: dict[tuple[int, str], CellData] = {}
    corrections: dict[tuple[int, str], list[tuple[int | None, str]]] = defaultdict(list)
    resolved: set[tuple[int, str]] = set()
    if inscriptions:
        values = _grid_values(epreuve, kinds)
        if epreuve.double_correction:
            corrections, resolved = _grid_corrections(epreuve)

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

    ids = list(ids)
    if not ids:
        return []
    by_pk = {
        i.pk: i
        for i in InscriptionEpreuve.objects.filter(pk__in=ids)
        .select_related("dossier__candidate")
        .prefetch_related(
            # health data (« justificatif d'aménagement ») never reaches the grid: the dossier's page
            # shows it to the centre's administrators and gestionnaires only
            Prefetch(
                "dossier__pieces",
                queryset=Piece.objects.exclude(kind__in=HEALTH_PIECE_KINDS).order_by("kind", "-uploaded_at"),
            )
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

    resultat = resultat_of_cible(epreuve, dossier, cible, lock=False)
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
