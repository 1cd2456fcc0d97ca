"""Tests of the règle d'obtention engine (pure Python: marked `pure`, `make test-pure` runs them without
PostgreSQL nor Redis; the module imports nothing of Django either)."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import pickle
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest

# With -p no:django nothing puts the project root on sys.path (no pytest `pythonpath` setting yet).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from core.numbers import number_fr  # noqa: E402
from referentiels import regles  # noqa: E402
from referentiels.regles import (  # noqa: E402
    BlocAcquisAnterieur,
    BlocStructure,
    Decision,
    EntreeInvalide,
    EtatCapacite,
    PenaliteAbsence,
    RegleError,
    RegleGrillePoints,
    RegleTousBlocs,
    RegleToutesCapacites,
    ResultatBloc,
    ResultatEvaluationProfessionnelle,
    ResultatsCandidat,
    Structure,
    _french,
    propose,
    regle_dump,
    regle_parse,
)

D = Decimal
BC01, BC02, BC03, BC04 = (f"RNCP36390BC0{i}" for i in range(1, 5))
BLOCS = (BC01, BC02, BC03, BC04)
MAX = {BC01: 250, BC02: 175, BC03: 175, BC04: 150}
MINIMUM = {BC01: 100, BC02: 70, BC03: 70, BC04: 60}
PLANCHER = {BC01: D(125), BC02: D("87.5"), BC03: D("87.5"), BC04: D(75)}
DECISION = date(2025, 6, 30)

# The RNCP36390 grid (seed 004, "Grille de synthèse d'évaluation"), in the format of
# docs/referentiel-format.md.
GRILLE_RNCP36390: dict = {
    "type": "grille_points",
    "total_points": 1000,
    "seuil_points": 500,
    "blocs": [
        {"bloc": BC01, "points": 250, "controle_continu": 100, "epreuves": 150, "minimum_points": 100},
        {"bloc": BC02, "points": 175, "controle_continu": 70, "epreuves": 105, "minimum_points": 70},
        {"bloc": BC03, "points": 175, "controle_continu": 70, "epreuves": 105, "minimum_points": 70},
        {"bloc": BC04, "points": 150, "controle_continu": 60, "epreuves": 90, "minimum_points": 60},
    ],
    "evaluation_professionnelle": {
        "points": 250,
        "minimum_points": 125,
        "composantes": [
            {"code": "ecrit", "libelle": "Écrit (rapport)", "points": 125},
            {"code": "oral", "libelle": "Oral (soutenance)", "points": 75},
            {"code": "tuteur", "libelle": "Évaluation tuteur", "points": 50},
        ],
    },
    "note_eliminatoire_sur_20": 8,
    "note_conservation_sur_20": 10,
    "rattrapages_par_bloc": 1,
    "validite_blocs_annees": 5,
    "absence_non_justifiee": "zero",
    "penalites_absence": [
        {"taux_min": 0, "taux_max": 2.5, "penalite_pourcent": 5},
        {"taux_min": 2.5, "taux_max": 5, "penalite_pourcent": 10},
        {"taux_min": 5, "taux_max": 10, "penalite_pourcent": 15},
    ],
    "fraude": "aucun_bloc",
}


@pytest.fixture
def grille_data() -> dict:
    return copy.deepcopy(GRILLE_RNCP36390)


@pytest.fixture
def grille(grille_data: dict) -> RegleGrillePoints:
    regle = regle_parse(grille_data)
    assert isinstance(regle, RegleGrillePoints)
    return regle


STRUCTURE_RNCP = Structure(blocs=tuple(BlocStructure(code=c) for c in BLOCS))
STRUCTURE_CQPM = Structure(blocs=(BlocStructure(code="BLOC-UNIQUE", capacites=("1", "2", "3", "4", "5")),))
STRUCTURE_CQPI = Structure(
    blocs=(
        BlocStructure(code="BC1", capacites=("1", "2", "3")),
        BlocStructure(code="BC2", capacites=("4", "5", "6")),
        BlocStructure(code="BC3", capacites=("7", "8")),
        BlocStructure(code="BC4", capacites=("9",)),
    )
)

# A candidate certified with 512 points: every bloc ≥ 10/20 (BC04 exactly 75/150), pro 129/250.
NOMINAL = {BC01: (55, 75), BC02: (40, 50), BC03: (38, 50), BC04: (30, 45)}
PRO_NOMINAL = {"ecrit": 64, "oral": 40, "tuteur": 25}


def candidat(
    blocs: dict | None = None,
    *,
    pro: dict | None = PRO_NOMINAL,
    taux: Decimal | int | None = None,
    absents: tuple[str, ...] = (),
    fraude: bool = False,
    anterieurs: tuple[BlocAcquisAnterieur, ...] = (),
    tentatives: dict | None = None,
) -> ResultatsCandidat:
    """Results for the RNCP36390 grid: ``blocs`` maps a code to (contrôle continu, épreuves)."""
    blocs = NOMINAL if blocs is None else blocs
    tentatives = tentatives or {}
    resultats_blocs = {
        code: ResultatBloc(
            controle_continu=None if cc is None else D(cc),
            epreuves=None if (ep is None or code in absents) else D(ep),
            absence_non_justifiee=code in absents,
            tentative=tentatives.get(code, 1),
        )
        for code, (cc, ep) in blocs.items()
    }
    evaluation = (
        None
        if pro is None
        else ResultatEvaluationProfessionnelle(
            composantes={k: (None if v is None else D(v)) for k, v in pro.items()},
            taux_absence=None if taux is None else D(taux),
        )
    )
    return ResultatsCandidat(
        blocs=resultats_blocs,
        evaluation_professionnelle=evaluation,
        fraude=fraude,
        blocs_acquis_anterieurs=anterieurs,
    )


def detail(proposition, code):
    return next(b for b in proposition.blocs if b.code == code)


def avec(base: dict, **changes) -> dict:
    nouveau = dict(base)
    nouveau.update(changes)
    return nouveau


# ============================================================================================
# The module itself
# ============================================================================================


def test_module_is_pure_python_without_django_nor_clock():
    importes, appels = set(), set()
    for fichier in sorted(Path(regles.__file__).parent.glob("*.py")):
        arbre = ast.parse(fichier.read_text(encoding="utf-8"))
        for noeud in ast.walk(arbre):
            if isinstance(noeud, ast.Import):
                importes.update(alias.name.split(".")[0] for alias in noeud.names)
            elif isinstance(noeud, ast.ImportFrom) and noeud.module:
                if not noeud.module.startswith("referentiels.regles"):  # its own modules
                    importes.add(noeud.module)
        appels |= {n.attr for n in ast.walk(arbre) if isinstance(n, ast.Attribute)}
    # core.dates, core.numbers: the kernel's calendar arithmetic and French numbers, themselves
    # pure (checked below).
    assert {i.split(".")[0] for i in importes - {"core.dates", "core.numbers"}} <= {
        "__future__",
        "math",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "types",
        "typing",
    }
    assert not appels & {"today", "now", "utcnow", "getcontext", "setcontext"}
    for noyau in ("dates", "numbers"):
        arbre = ast.parse((Path(_ROOT) / "core" / f"{noyau}.py").read_text(encoding="utf-8"))
        modules = {a.name for n in ast.walk(arbre) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom)}
        assert modules <= {"calendar", "datetime", "decimal"}


def test_regle_error_shape():
    err = RegleError("regle.blocs[2].minimum_points", "doit être un entier ≥ 0")
    assert str(err) == "regle.blocs[2].minimum_points : doit être un entier ≥ 0"
    assert err.path == "regle.blocs[2].minimum_points"
    assert err.message == "doit être un entier ≥ 0"
    assert isinstance(err, ValueError)


def test_entree_invalide_shape():
    err = EntreeInvalide("resultats.blocs[X]", "bloc inconnu de la règle")
    assert str(err) == "resultats.blocs[X] : bloc inconnu de la règle"
    assert (err.path, err.message) == ("resultats.blocs[X]", "bloc inconnu de la règle")


# ============================================================================================
# Parsing and dump
# ============================================================================================


@pytest.mark.parametrize(
    ("data", "classe"),
    [
        ({"type": "toutes_capacites"}, RegleToutesCapacites),
        ({"type": "tous_blocs"}, RegleTousBlocs),
        (GRILLE_RNCP36390, RegleGrillePoints),
    ],
)
def test_parse_each_family_and_round_trip(data, classe):
    regle = regle_parse(copy.deepcopy(data))
    assert isinstance(regle, classe)
    assert regle.type == data["type"]
    dump = regle_dump(regle)
    assert dump == data
    assert list(dump) == list(data)
    texte = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert json.dumps(dump, indent=2, ensure_ascii=False) + "\n" == texte
    assert regle_parse(dump) == regle


def test_parse_grid_typed_values(grille):
    assert grille.total_points == 1000 and grille.seuil_points == 500
    assert [b.bloc for b in grille.blocs] == list(BLOCS)
    assert [b.minimum_points for b in grille.blocs] == [100, 70, 70, 60]
    assert grille.bloc(BC02).controle_continu == 70 and grille.bloc(BC02).epreuves == 105
    assert [c.code for c in grille.evaluation_professionnelle.composantes] == ["ecrit", "oral", "tuteur"]
    assert grille.composante_tuteur().points == 50
    assert grille.note_eliminatoire_sur_20 == D(8) and grille.note_conservation_sur_20 == D(10)
    assert grille.penalites_absence[0] == PenaliteAbsence(
        taux_min=D(0), taux_max=D("2.5"), penalite_pourcent=D(5)
    )
    assert isinstance(grille.blocs, tuple) and isinstance(grille.penalites_absence, tuple)
    with pytest.raises(KeyError):
        grille.bloc("INCONNU")


def test_parsed_rule_is_frozen(grille):
    with pytest.raises(dataclasses.FrozenInstanceError):
        grille.seuil_points = 400  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        grille.blocs[0].points = 1  # type: ignore[misc]


def test_dump_canonical_key_order_whatever_the_input_order(grille_data):
    melange = dict(reversed(list(grille_data.items())))
    melange["blocs"] = [dict(reversed(list(b.items()))) for b in grille_data["blocs"]]
    melange["penalites_absence"] = [dict(reversed(list(p.items()))) for p in grille_data["penalites_absence"]]
    dump = regle_dump(regle_parse(melange))
    assert json.dumps(dump) == json.dumps(grille_data)
    assert list(dump["evaluation_professionnelle"]) == ["points", "minimum_points", "composantes"]
    assert list(dump["blocs"][0]) == ["bloc", "points", "controle_continu", "epreuves", "minimum_points"]
    assert list(dump["penalites_absence"][0]) == ["taux_min", "taux_max", "penalite_pourcent"]


@pytest.mark.parametrize(
    ("chemin", "valeur"),
    [
        (("penalites_absence", 1, "taux_max"), 5.0),
        (("penalites_absence", 1, "taux_max"), 5),
        (("penalites_absence", 0, "penalite_pourcent"), 5.5),
        (("penalites_absence", 2, "taux_max"), 12.75),
        (("note_eliminatoire_sur_20",), 8.0),
        (("note_conservation_sur_20",), 10.0),
        (("note_conservation_sur_20",), 12.5),
        (("penalites_absence", 0, "taux_max"), 0.1),
    ],
)
def test_dump_keeps_int_and_float_exactly(grille_data, chemin, valeur):
    cible = grille_data
    for cle in chemin[:-1]:
        cible = cible[cle]
    cible[chemin[-1]] = valeur
    dump = regle_dump(regle_parse(grille_data))
    obtenu = dump
    for cle in chemin:
        obtenu = obtenu[cle]
    assert obtenu == valeur and type(obtenu) is type(valeur)
    assert json.dumps(dump) == json.dumps(grille_data)


def test_parse_accepts_decimal_numbers(grille_data):
    grille_data["penalites_absence"][0]["taux_max"] = D("2.5")
    grille_data["note_eliminatoire_sur_20"] = D(8)
    regle = regle_parse(grille_data)
    assert regle.penalites_absence[0].taux_max == D("2.5")
    dump = regle_dump(regle)
    assert dump["penalites_absence"][0]["taux_max"] == 2.5
    assert dump["note_eliminatoire_sur_20"] == 8 and type(dump["note_eliminatoire_sur_20"]) is int


def test_parse_accepts_empty_penalties_without_tuteur_and_adjacent_or_gapped_ranges(grille_data):
    data = copy.deepcopy(grille_data)
    data["penalites_absence"] = []
    data["evaluation_professionnelle"]["composantes"][2]["code"] = "entreprise"
    assert regle_dump(regle_parse(data)) == data
    data = copy.deepcopy(grille_data)
    data["penalites_absence"][1]["taux_min"] = 3  # gap (2.5, 3]: allowed
    assert regle_parse(data).penalites_absence[1].taux_min == D(3)


def test_parse_custom_path_prefix(grille_data):
    grille_data["seuil_points"] = -1
    with pytest.raises(RegleError) as exc:
        regle_parse(grille_data, chemin="referentiel.regle")
    assert exc.value.path == "referentiel.regle.seuil_points"


def _mut(*etapes):
    """A mutation: each step is (path tuple, value); value ``_SUPPRIME`` deletes the key."""

    def appliquer(data):
        for chemin, valeur in etapes:
            cible = data
            for cle in chemin[:-1]:
                cible = cible[cle]
            if valeur is _SUPPRIME:
                del cible[chemin[-1]]
            else:
                cible[chemin[-1]] = valeur
        return data

    return appliquer


_SUPPRIME = object()

CLES_GRILLE = ", ".join(GRILLE_RNCP36390)


@pytest.mark.parametrize(
    ("mutation", "path", "message"),
    [
        pytest.param(
            _mut((("total_points",), "1000")), "regle.total_points", "doit être un entier ≥ 1", id="total-str"
        ),
        pytest.param(
            _mut((("total_points",), 0)), "regle.total_points", "doit être un entier ≥ 1", id="total-0"
        ),
        pytest.param(
            _mut((("total_points",), True)), "regle.total_points", "doit être un entier ≥ 1", id="total-bool"
        ),
        pytest.param(
            _mut((("total_points",), 1000.0)),
            "regle.total_points",
            "doit être un entier ≥ 1",
            id="total-float",
        ),
        pytest.param(
            _mut((("seuil_points",), -1)), "regle.seuil_points", "doit être un entier ≥ 0", id="seuil-neg"
        ),
        pytest.param(
            _mut((("seuil_points",), 1001)),
            "regle.seuil_points",
            "doit être ≤ total_points (1000)",
            id="seuil-sup",
        ),
        pytest.param(_mut((("blocs",), {})), "regle.blocs", "doit être une liste", id="blocs-dict"),
        pytest.param(
            _mut((("blocs",), [])), "regle.blocs", "doit contenir au moins un bloc", id="blocs-vide"
        ),
        pytest.param(_mut((("blocs", 2), "BC03")), "regle.blocs[2]", "doit être un objet", id="bloc-str"),
        pytest.param(
            _mut((("blocs", 2, "minimum_points"), -1)),
            "regle.blocs[2].minimum_points",
            "doit être un entier ≥ 0",
            id="minimum-neg",
        ),
        pytest.param(
            _mut((("blocs", 2, "minimum_points"), "70")),
            "regle.blocs[2].minimum_points",
            "doit être un entier ≥ 0",
            id="minimum-str",
        ),
        pytest.param(
            _mut((("blocs", 2, "minimum_points"), 70.0)),
            "regle.blocs[2].minimum_points",
            "doit être un entier ≥ 0",
            id="minimum-float",
        ),
        pytest.param(
            _mut((("blocs", 1, "bloc"), "")),
            "regle.blocs[1].bloc",
            "doit être une chaîne non vide",
            id="code-vide",
        ),
        pytest.param(
            _mut((("blocs", 1, "bloc"), 2)),
            "regle.blocs[1].bloc",
            "doit être une chaîne non vide",
            id="code-int",
        ),
        pytest.param(
            _mut((("blocs", 3, "bloc"), BC01)),
            "regle.blocs[3].bloc",
            f"code « {BC01} » en double (déjà en blocs[0])",
            id="code-double",
        ),
        pytest.param(
            _mut((("blocs", 0, "points"), 0)),
            "regle.blocs[0].points",
            "doit être un entier ≥ 1",
            id="points-0",
        ),
        pytest.param(
            _mut((("blocs", 0, "controle_continu"), -5)),
            "regle.blocs[0].controle_continu",
            "doit être un entier ≥ 0",
            id="cc-neg",
        ),
        pytest.param(
            _mut((("blocs", 0, "epreuves"), None)),
            "regle.blocs[0].epreuves",
            "doit être un entier ≥ 0",
            id="ep-none",
        ),
        pytest.param(
            _mut((("blocs", 1, "epreuves"), 100)),
            "regle.blocs[1].points",
            "175 ≠ controle_continu (70) + epreuves (100) = 170",
            id="cc+ep",
        ),
        pytest.param(
            _mut((("blocs", 0, "minimum_points"), 260)),
            "regle.blocs[0].minimum_points",
            "doit être ≤ points (250)",
            id="minimum>points",
        ),
        pytest.param(
            _mut((("blocs", 1, "minimum_points"), 71)),
            "regle.blocs[1].minimum_points",
            "71 ≠ note_eliminatoire_sur_20 × points / 20 = 8 × 175 / 20 = 70",
            id="minimum≠8/20",
        ),
        pytest.param(
            _mut((("blocs", 0, "coefficient"), 2)),
            "regle.blocs[0].coefficient",
            "clé inconnue (clés admises : bloc, points, controle_continu, epreuves, minimum_points)",
            id="bloc-cle-inconnue",
        ),
        pytest.param(
            _mut((("blocs", 0, "epreuves"), _SUPPRIME)),
            "regle.blocs[0].epreuves",
            "champ obligatoire manquant",
            id="bloc-cle-manquante",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle",), [])),
            "regle.evaluation_professionnelle",
            "doit être un objet",
            id="pro-liste",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 2, "points"), 40)),
            "regle.evaluation_professionnelle.points",
            "250 ≠ somme des points des composantes (240)",
            id="pro-somme",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "minimum_points"), 300)),
            "regle.evaluation_professionnelle.minimum_points",
            "doit être ≤ points (250)",
            id="pro-minimum",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes"), "ecrit")),
            "regle.evaluation_professionnelle.composantes",
            "doit être une liste",
            id="pro-composantes-str",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 1, "code"), "ecrit")),
            "regle.evaluation_professionnelle.composantes[1].code",
            "code « ecrit » en double (déjà en composantes[0])",
            id="composante-double",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 1, "libelle"), 5)),
            "regle.evaluation_professionnelle.composantes[1].libelle",
            "doit être une chaîne",
            id="composante-libelle",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 0, "points"), -125)),
            "regle.evaluation_professionnelle.composantes[0].points",
            "doit être un entier ≥ 0",
            id="composante-points",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 0, "poids"), 1)),
            "regle.evaluation_professionnelle.composantes[0].poids",
            "clé inconnue (clés admises : code, libelle, points)",
            id="composante-cle",
        ),
        pytest.param(
            _mut((("total_points",), 1100)),
            "regle.total_points",
            "1100 ≠ somme des points des blocs (750) + évaluation professionnelle (250) = 1000",
            id="total-somme",
        ),
        pytest.param(
            _mut((("note_eliminatoire_sur_20",), 21)),
            "regle.note_eliminatoire_sur_20",
            "doit être un nombre entre 0 et 20",
            id="elim-21",
        ),
        pytest.param(
            _mut((("note_eliminatoire_sur_20",), "8")),
            "regle.note_eliminatoire_sur_20",
            "doit être un nombre entre 0 et 20",
            id="elim-str",
        ),
        pytest.param(
            _mut((("note_eliminatoire_sur_20",), float("nan"))),
            "regle.note_eliminatoire_sur_20",
            "doit être un nombre entre 0 et 20",
            id="elim-nan",
        ),
        pytest.param(
            _mut((("note_conservation_sur_20",), True)),
            "regle.note_conservation_sur_20",
            "doit être un nombre entre 0 et 20",
            id="conservation-bool",
        ),
        pytest.param(
            _mut((("note_conservation_sur_20",), 7)),
            "regle.note_conservation_sur_20",
            "doit être ≥ note_eliminatoire_sur_20 (8)",
            id="conservation<elim",
        ),
        pytest.param(
            _mut((("rattrapages_par_bloc",), -1)),
            "regle.rattrapages_par_bloc",
            "doit être un entier entre 0 et 20",
            id="rattrapages",
        ),
        pytest.param(
            _mut((("rattrapages_par_bloc",), 21)),
            "regle.rattrapages_par_bloc",
            "doit être un entier entre 0 et 20",
            id="rattrapages>max",
        ),
        pytest.param(
            _mut((("validite_blocs_annees",), 0)),
            "regle.validite_blocs_annees",
            "doit être un entier entre 1 et 100",
            id="validite",
        ),
        pytest.param(
            _mut((("validite_blocs_annees",), 8000)),
            "regle.validite_blocs_annees",
            "doit être un entier entre 1 et 100",
            id="validite>max",
        ),
        pytest.param(
            _mut((("absence_non_justifiee",), "moitie")),
            "regle.absence_non_justifiee",
            "valeur inconnue « moitie » (attendu : zero)",
            id="absence",
        ),
        pytest.param(
            _mut((("fraude",), None)),
            "regle.fraude",
            "valeur inconnue None (attendu : aucun_bloc)",
            id="fraude-none",
        ),
        pytest.param(
            _mut((("fraude",), "annulation")),
            "regle.fraude",
            "valeur inconnue « annulation » (attendu : aucun_bloc)",
            id="fraude-str",
        ),
        pytest.param(
            _mut((("penalites_absence",), {"taux_min": 0})),
            "regle.penalites_absence",
            "doit être une liste",
            id="penalites-dict",
        ),
        pytest.param(
            _mut((("penalites_absence", 1, "taux_min"), 2)),
            "regle.penalites_absence[1].taux_min",
            "2 < taux_max de la tranche précédente (2,5) : tranches non ordonnées ou qui se chevauchent",
            id="penalites-chevauchement",
        ),
        pytest.param(
            _mut(
                (("penalites_absence", 0), {"taux_min": 2.5, "taux_max": 5, "penalite_pourcent": 10}),
                (("penalites_absence", 1), {"taux_min": 0, "taux_max": 2.5, "penalite_pourcent": 5}),
            ),
            "regle.penalites_absence[1].taux_min",
            "0 < taux_max de la tranche précédente (5) : tranches non ordonnées ou qui se chevauchent",
            id="penalites-desordre",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "taux_max"), 0)),
            "regle.penalites_absence[0].taux_max",
            "doit être > taux_min (0)",
            id="tranche-vide",
        ),
        pytest.param(
            _mut((("penalites_absence", 2, "taux_max"), 2)),
            "regle.penalites_absence[2].taux_max",
            "doit être > taux_min (5)",
            id="tranche-inversee",
        ),
        pytest.param(
            _mut((("penalites_absence", 2, "taux_max"), 120)),
            "regle.penalites_absence[2].taux_max",
            "doit être un nombre entre 0 et 100",
            id="taux>100",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "taux_min"), -1)),
            "regle.penalites_absence[0].taux_min",
            "doit être un nombre entre 0 et 100",
            id="taux<0",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "penalite_pourcent"), 150)),
            "regle.penalites_absence[0].penalite_pourcent",
            "doit être un nombre entre 0 et 100",
            id="pourcent>100",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "penalite_pourcent"), "5 %")),
            "regle.penalites_absence[0].penalite_pourcent",
            "doit être un nombre entre 0 et 100",
            id="pourcent-str",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "sur"), "tuteur")),
            "regle.penalites_absence[0].sur",
            "clé inconnue (clés admises : taux_min, taux_max, penalite_pourcent)",
            id="penalite-cle",
        ),
        pytest.param(
            _mut((("penalites_absence", 0, "taux_max"), _SUPPRIME)),
            "regle.penalites_absence[0].taux_max",
            "champ obligatoire manquant",
            id="penalite-manque",
        ),
        pytest.param(
            _mut((("evaluation_professionnelle", "composantes", 2, "code"), "entreprise")),
            "regle.penalites_absence",
            "des pénalités d'absence exigent une composante « tuteur » dans evaluation_professionnelle.composantes",
            id="penalites-sans-tuteur",
        ),
        pytest.param(
            _mut((("bonus",), 10)),
            "regle.bonus",
            f"clé inconnue (clés admises : {CLES_GRILLE})",
            id="cle-inconnue",
        ),
    ],
)
def test_parse_grid_errors(grille_data, mutation, path, message):
    with pytest.raises(RegleError) as exc:
        regle_parse(mutation(grille_data))
    assert (exc.value.path, exc.value.message) == (path, message)
    assert str(exc.value) == f"{path} : {message}"


@pytest.mark.parametrize("cle", [k for k in GRILLE_RNCP36390 if k != "type"])
def test_parse_grid_missing_key(grille_data, cle):
    del grille_data[cle]
    with pytest.raises(RegleError) as exc:
        regle_parse(grille_data)
    assert (exc.value.path, exc.value.message) == (f"regle.{cle}", "champ obligatoire manquant")


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ([], "regle", "doit être un objet"),
        ("toutes_capacites", "regle", "doit être un objet"),
        (None, "regle", "doit être un objet"),
        ({}, "regle.type", "champ obligatoire manquant"),
        (
            {"type": "points"},
            "regle.type",
            "type inconnu « points » (attendu : toutes_capacites, tous_blocs, grille_points)",
        ),
        ({"type": 3}, "regle.type", "type inconnu 3 (attendu : toutes_capacites, tous_blocs, grille_points)"),
        ({"type": "toutes_capacites", "seuil": 1}, "regle.seuil", "clé inconnue (clés admises : type)"),
        ({"type": "tous_blocs", "blocs": []}, "regle.blocs", "clé inconnue (clés admises : type)"),
        ({"type": "grille_points"}, "regle.total_points", "champ obligatoire manquant"),
    ],
)
def test_parse_shape_errors(data, path, message):
    with pytest.raises(RegleError) as exc:
        regle_parse(data)
    assert (exc.value.path, exc.value.message) == (path, message)


def test_dump_refuses_unknown_object():
    with pytest.raises(TypeError):
        regle_dump({"type": "tous_blocs"})  # type: ignore[arg-type]


# ============================================================================================
# Points grid: nominal case and thresholds
# ============================================================================================


def test_nominal_candidate_is_certified(grille):
    p = propose(grille, STRUCTURE_RNCP, candidat(), date_decision=DECISION)
    assert p.decision == Decision.CERTIFIE == "certifie"
    assert p.blocs_valides == frozenset(BLOCS)
    assert p.total_points == D(512) and p.total_max == 1000 and p.seuil_points == 500
    assert [b.code for b in p.blocs] == list(BLOCS)
    assert detail(p, BC01).points == D(130) and detail(p, BC01).note_sur_20 == D("10.40")
    assert detail(p, BC04).note_sur_20 == D("10.00")
    assert p.evaluation_professionnelle.points == D(129)
    assert p.raisons == [
        f"Bloc {BC01} : 130/250 (10,40/20) ≥ 125 (10/20) : bloc validé",
        f"Bloc {BC02} : 90/175 (10,29/20) ≥ 87,5 (10/20) : bloc validé",
        f"Bloc {BC03} : 88/175 (10,06/20) ≥ 87,5 (10/20) : bloc validé",
        f"Bloc {BC04} : 75/150 (10,00/20) ≥ 75 (10/20) : bloc validé",
        "Note tuteur 25/50, aucune absence non justifiée → 25/50",
        "Évaluation professionnelle 129/250 (10,32/20) ≥ 125 (Écrit (rapport) 64/125, Oral (soutenance) 40/75, Évaluation tuteur 25/50)",
        "Total 512/1000 ≥ 500",
        "Certification totale",
    ]


def test_propose_is_deterministic_and_leaves_inputs_untouched(grille):
    resultats = candidat(taux=D("3.2"))
    avant = candidat(taux=D("3.2"))
    p1 = propose(grille, STRUCTURE_RNCP, resultats, date_decision=DECISION)
    p2 = propose(grille, STRUCTURE_RNCP, resultats, date_decision=DECISION)
    assert p1 == p2
    assert resultats == avant


def _aller_retour(objet):
    return pickle.loads(pickle.dumps(objet))  # noqa: S301 - our own bytes, just produced


def test_inputs_and_proposition_can_be_pickled_and_deep_copied(grille):
    resultats = candidat(
        taux=D("3.2"), anterieurs=(BlocAcquisAnterieur(bloc=BC04, date_validation=date(2024, 1, 1)),)
    )
    for copie in (_aller_retour(resultats), copy.deepcopy(resultats)):
        assert copie == resultats
        assert isinstance(copie.blocs, MappingProxyType)
        assert isinstance(copie.evaluation_professionnelle.composantes, MappingProxyType)
    p = propose(grille, STRUCTURE_RNCP, resultats, date_decision=DECISION)
    assert _aller_retour(p) == p
    assert _aller_retour(grille) == grille


def test_inputs_are_read_only():
    resultats = candidat()
    with pytest.raises(TypeError):
        resultats.blocs[BC01] = ResultatBloc()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        resultats.fraude = True  # type: ignore[misc]


# total exactly at the seuil (BC01 at 124/250 < 10/20 but ≥ 8/20 is compensated) / one point under
SEUIL_EXACT = {BC01: (49, 75), BC02: (37, D("50.5")), BC03: (37, D("50.5")), BC04: (30, 45)}


@pytest.mark.parametrize(
    ("ecrit", "total", "decision"),
    [
        (D(65), D(500), Decision.CERTIFIE),
        (D(64), D(499), Decision.PARTIEL),
        (D("64.99"), D("499.99"), Decision.PARTIEL),
    ],
)
def test_total_threshold_inclusive(grille, ecrit, total, decision):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(SEUIL_EXACT, pro={"ecrit": ecrit, "oral": 37, "tuteur": 24}),
        date_decision=DECISION,
    )
    assert p.total_points == total
    assert p.decision == decision
    comparaison = "≥" if decision is Decision.CERTIFIE else "<"
    assert f"Total {number_fr(total)}/1000 {comparaison} 500" in p.raisons
    if decision is Decision.CERTIFIE:
        assert p.blocs_valides == frozenset(BLOCS)
        assert detail(p, BC01).valide and detail(p, BC01).rattrapage_possible is None
        assert (
            f"Bloc {BC01} : 124/250 (9,92/20), minimum 100 atteint, < 125 (10/20) : compensé par la certification totale"
            in p.raisons
        )
    else:
        assert p.blocs_valides == frozenset({BC02, BC03, BC04})
        assert not detail(p, BC01).valide and detail(p, BC01).rattrapage_possible is True
        assert (
            f"Bloc {BC01} : 124/250 (9,92/20) < 125 (10/20) : bloc non validé ; rattrapage possible"
            in p.raisons
        )
        assert p.raisons[-1] == f"Certification partielle : blocs validés {BC02}, {BC03}, {BC04}"


# Strong everywhere except the bloc under test, which sits around its eliminatory minimum.
FORT = {BC01: (90, 130), BC02: (60, 90), BC03: (60, 90), BC04: (50, 80)}
PRO_FORT = {"ecrit": 100, "oral": 60, "tuteur": 40}


@pytest.mark.parametrize("bloc", BLOCS)
@pytest.mark.parametrize(
    ("ecart", "eliminatoire"), [(D(0), False), (D("-0.01"), True), (D(-1), True), (D(1), False)]
)
def test_eliminatory_minimum_per_bloc(grille, bloc, ecart, eliminatoire):
    points = MINIMUM[bloc] + ecart
    blocs = avec(FORT, **{bloc: (0, points)})
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION)
    assert p.total_points >= 500
    d = detail(p, bloc)
    assert d.eliminatoire is eliminatoire
    if eliminatoire:
        assert p.decision == Decision.PARTIEL
        assert p.blocs_valides == frozenset(BLOCS) - {bloc}
        assert not d.valide
        assert any(
            r.startswith(f"Bloc {bloc} : {number_fr(points)}/{MAX[bloc]} (")
            and f"minimum {MINIMUM[bloc]} non atteint (note éliminatoire 8/20) : bloc non validé" in r
            for r in p.raisons
        )
    else:
        assert p.decision == Decision.CERTIFIE
        assert p.blocs_valides == frozenset(BLOCS)
        assert d.valide


def test_eliminatory_reason_matches_the_brief_example(grille):
    blocs = avec(FORT, **{BC03: (30, 39)})
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION)
    assert (
        f"Bloc {BC03} : 69/175 (7,89/20), minimum 70 non atteint (note éliminatoire 8/20) : bloc non validé"
        " ; rattrapage possible" in p.raisons
    )
    assert detail(p, BC03).note_sur_20 == D("7.89")
    assert p.decision == Decision.PARTIEL


def test_note_sur_20_rounds_half_up_but_never_decides(grille):
    # 99.99/250 = 7.9992/20 → shown 8,00 yet below the minimum 100.
    blocs = avec(FORT, **{BC01: (0, D("99.99"))})
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION)
    d = detail(p, BC01)
    assert d.note_sur_20 == D("8.00") and d.eliminatoire and p.decision == Decision.PARTIEL
    # 75.01/150 = 10.0013…/20 → 10,00
    blocs = avec(FORT, **{BC04: (0, D("75.01"))})
    assert detail(
        propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION), BC04
    ).note_sur_20 == D("10.00")
    blocs = avec(FORT, **{BC02: (0, D("87.59"))})  # 10.0102… → 10,01
    assert detail(
        propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION), BC02
    ).note_sur_20 == D("10.01")


@pytest.mark.parametrize(
    ("points", "maximum", "note"),
    [
        (D("50.10"), 400, D("2.51")),  # 2.505 → 2.51 (ROUND_HALF_UP; half-even would give 2.50)
        (D("50.30"), 400, D("2.52")),  # 2.515 → 2.52
        (D(69), 175, D("7.89")),  # 7.8857…
        (D(0), 250, D("0.00")),
        (D(250), 250, D("20.00")),
        (D(1), 0, None),
    ],
)
def test_note_sur_20_rounding_rule(points, maximum, note):
    assert _french._note_sur_20(points, maximum) == note


@pytest.mark.parametrize("bloc", BLOCS)
@pytest.mark.parametrize(("ecart", "valide"), [(D(0), True), (D("-0.01"), False), (D("0.01"), True)])
def test_conservation_threshold_per_bloc(grille, bloc, ecart, valide):
    """Without évaluation professionnelle there is no total certification: each bloc stands alone."""
    points = PLANCHER[bloc] + ecart
    blocs = avec(FORT, **{bloc: (0, points)})
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=None), date_decision=DECISION)
    assert p.decision == Decision.PARTIEL
    assert (bloc in p.blocs_valides) is valide
    assert detail(p, bloc).valide is valide
    comparaison = "≥" if valide else "<"
    assert any(
        r.startswith(f"Bloc {bloc} : {number_fr(points)}/{MAX[bloc]} (")
        and f"{comparaison} {number_fr(PLANCHER[bloc])} (10/20)" in r
        for r in p.raisons
    )


@pytest.mark.parametrize(
    ("pro", "atteinte"),
    [
        ({"ecrit": 50, "oral": 50, "tuteur": 25}, True),  # exactly 125
        ({"ecrit": D("49.99"), "oral": 50, "tuteur": 25}, False),  # 124.99
        ({"ecrit": 49, "oral": 50, "tuteur": 25}, False),  # 124
        ({"ecrit": 125, "oral": 75, "tuteur": 50}, True),
        ({"ecrit": 0, "oral": 0, "tuteur": 0}, False),
    ],
)
def test_evaluation_professionnelle_minimum_inclusive(grille, pro, atteinte):
    p = propose(grille, STRUCTURE_RNCP, candidat(FORT, pro=pro), date_decision=DECISION)
    assert p.total_points >= 500
    assert p.evaluation_professionnelle.atteinte is atteinte
    if atteinte:
        assert p.decision == Decision.CERTIFIE
    else:
        assert p.decision == Decision.PARTIEL and p.blocs_valides == frozenset(BLOCS)
        assert any(r.startswith("Évaluation professionnelle ") and "< minimum 125" in r for r in p.raisons)


def test_evaluation_professionnelle_reason_below_minimum(grille):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 50, "oral": 45, "tuteur": 25}),
        date_decision=DECISION,
    )
    assert (
        "Évaluation professionnelle 120/250 (9,60/20) < minimum 125 (Écrit (rapport) 50/125, Oral (soutenance) 45/75, Évaluation tuteur 25/50)"
        in p.raisons
    )


def test_all_below_conservation_means_ajourne(grille):
    faible = {BC01: (40, 60), BC02: (30, 40), BC03: (30, 40), BC04: (20, 30)}
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(faible, pro={"ecrit": 100, "oral": 60, "tuteur": 40}),
        date_decision=DECISION,
    )
    assert p.decision == Decision.AJOURNE == "ajourne"
    assert p.blocs_valides == frozenset()
    assert p.raisons[-1] == "Ajourné : aucun bloc validé"
    assert all(b.rattrapage_possible is True for b in p.blocs)


def test_average_above_ten_with_eliminatory_bloc_keeps_the_validated_blocs(grille):
    """Seed: moyenne ≥ 10 but a bloc < 8/20 → certification on the blocs ≥ 10/20 only."""
    blocs = {BC01: (100, 150), BC02: (70, 105), BC03: (10, 20), BC04: (30, 40)}
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(blocs, pro={"ecrit": 125, "oral": 75, "tuteur": 50}),
        date_decision=DECISION,
    )
    assert p.total_points == D(775)
    assert p.decision == Decision.PARTIEL
    assert p.blocs_valides == frozenset({BC01, BC02})
    assert "Total 775/1000 ≥ 500" in p.raisons


# ============================================================================================
# Absence penalties on the tuteur grade
# ============================================================================================


@pytest.mark.parametrize(
    ("taux", "penalite", "tuteur_apres"),
    [
        (None, D(0), D(40)),
        (D(0), D(0), D(40)),  # exactly 0 %: never absent, no penalty
        (D("0.01"), D(5), D(38)),
        (D(1), D(5), D(38)),
        (D("2.5"), D(5), D(38)),  # boundary 2.5 falls in the first range (taux_min < taux ≤ taux_max)
        (D("2.51"), D(10), D(36)),
        (D("3.2"), D(10), D(36)),
        (D(5), D(10), D(36)),  # boundary 5 → second range
        (D("5.001"), D(15), D(34)),
        (D(10), D(15), D(34)),  # boundary 10 → third range
        (D("10.01"), D(15), D(34)),  # beyond the grid: last range's penalty still applies
        (D(100), D(15), D(34)),
    ],
)
def test_penalty_ranges_and_boundaries(grille, taux, penalite, tuteur_apres):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 100, "oral": 60, "tuteur": 40}, taux=taux),
        date_decision=DECISION,
    )
    e = p.evaluation_professionnelle
    assert e.penalite_pourcent == penalite
    assert e.tuteur_avant_penalite == D(40)
    assert e.tuteur_apres_penalite == tuteur_apres
    assert e.points == D(160) + tuteur_apres
    assert e.taux_absence == (None if taux is None else taux)
    assert dict((c.code, c.points) for c in e.composantes)["tuteur"] == tuteur_apres
    assert e.calcul_tuteur in p.raisons


@pytest.mark.parametrize(
    ("taux", "calcul"),
    [
        (D("3.2"), "Note tuteur 40/50, taux d'absence 3,2 % → pénalité 10 % → 36/50"),
        (D("2.5"), "Note tuteur 40/50, taux d'absence 2,5 % → pénalité 5 % → 38/50"),
        (D(0), "Note tuteur 40/50, taux d'absence 0 % → aucune pénalité → 40/50"),
        (None, "Note tuteur 40/50, aucune absence non justifiée → 40/50"),
        (
            D(12),
            "Note tuteur 40/50, taux d'absence 12 % (au-delà de 10 %) → pénalité 15 % → 34/50 ; au-delà du barème,"
            " sanctions selon le règlement intérieur de l'établissement",
        ),
    ],
)
def test_penalty_computation_is_shown(grille, taux, calcul):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 100, "oral": 60, "tuteur": 40}, taux=taux),
        date_decision=DECISION,
    )
    assert p.evaluation_professionnelle.calcul_tuteur == calcul
    assert calcul in p.raisons


@pytest.mark.parametrize(
    ("tuteur", "taux", "apres"),
    [
        (D(37), D(1), D("35.15")),  # 37 × 0.95
        (D("10.30"), D(1), D("9.79")),  # 9.785 → 9.79 (ROUND_HALF_UP, not half-even 9.78)
        (D("33.33"), D(6), D("28.33")),  # 28.3305
        (D("33.35"), D(6), D("28.35")),  # 28.3475 → 28.35
        (D(50), D(4), D(45)),
        (D(0), D(8), D(0)),
    ],
)
def test_penalty_rounding_half_up_to_the_hundredth(grille, tuteur, taux, apres):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 100, "oral": 60, "tuteur": tuteur}, taux=taux),
        date_decision=DECISION,
    )
    assert p.evaluation_professionnelle.tuteur_apres_penalite == apres


def test_penalty_can_push_the_evaluation_below_its_minimum(grille):
    pro = {"ecrit": 63, "oral": 37, "tuteur": 25}  # 125 exactly
    sans = propose(grille, STRUCTURE_RNCP, candidat(FORT, pro=pro), date_decision=DECISION)
    avec_absence = propose(grille, STRUCTURE_RNCP, candidat(FORT, pro=pro, taux=D(1)), date_decision=DECISION)
    assert sans.decision == Decision.CERTIFIE
    assert avec_absence.evaluation_professionnelle.points == D("123.75")
    assert avec_absence.decision == Decision.PARTIEL
    assert "Note tuteur 25/50, taux d'absence 1 % → pénalité 5 % → 23,75/50" in avec_absence.raisons


def test_penalty_in_a_gap_between_ranges_is_zero(grille_data):
    grille_data["penalites_absence"][1]["taux_min"] = 3
    regle = regle_parse(grille_data)
    p = propose(
        regle,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 100, "oral": 60, "tuteur": 40}, taux=D("2.8")),
        date_decision=DECISION,
    )
    assert p.evaluation_professionnelle.penalite_pourcent == 0
    assert (
        p.evaluation_professionnelle.calcul_tuteur
        == "Note tuteur 40/50, taux d'absence 2,8 % → aucune pénalité → 40/50"
    )


@pytest.mark.parametrize(
    ("taux_min", "taux", "penalite"),
    [(0, D(0), D(0)), (0, D("0.5"), D(5)), (1, D(1), D(0)), (1, D("1.01"), D(5))],
)
def test_penalty_first_range_is_left_open(grille_data, taux_min, taux, penalite):
    grille_data["penalites_absence"][0]["taux_min"] = taux_min
    regle = regle_parse(grille_data)
    p = propose(regle, STRUCTURE_RNCP, candidat(FORT, pro=PRO_FORT, taux=taux), date_decision=DECISION)
    assert p.evaluation_professionnelle.penalite_pourcent == penalite


def test_penalite_absence_contient():
    tranche = PenaliteAbsence(taux_min=D("2.5"), taux_max=D(5), penalite_pourcent=D(10))
    assert [tranche.contient(D(t)) for t in ("2.5", "2.50001", "5", "5.00001")] == [False, True, True, False]


def test_tuteur_grade_missing(grille):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(FORT, pro={"ecrit": 100, "oral": 60}, taux=D(3)),
        date_decision=DECISION,
    )
    e = p.evaluation_professionnelle
    assert not e.complete and e.tuteur_avant_penalite is None and e.tuteur_apres_penalite is None
    assert e.calcul_tuteur == "Note tuteur non communiquée"
    assert p.decision == Decision.PARTIEL


# ============================================================================================
# Absences, non-presentation, incomplete results
# ============================================================================================


@pytest.mark.parametrize("epreuves", [None, 0])
def test_unjustified_absence_scores_zero_and_the_bloc_is_not_validated(grille, epreuves):
    resultats = ResultatsCandidat(
        blocs={
            **{
                c: ResultatBloc(controle_continu=D(cc), epreuves=D(ep))
                for c, (cc, ep) in FORT.items()
                if c != BC02
            },
            BC02: ResultatBloc(
                controle_continu=D(70),
                epreuves=None if epreuves is None else D(epreuves),
                absence_non_justifiee=True,
            ),
        },
        evaluation_professionnelle=ResultatEvaluationProfessionnelle(
            composantes={"ecrit": 100, "oral": 60, "tuteur": 40}
        ),
    )
    p = propose(grille, STRUCTURE_RNCP, resultats, date_decision=DECISION)
    d = detail(p, BC02)
    assert d.epreuves == D(0) and d.points == D(70) and d.note_sur_20 == D("8.00")
    assert not d.valide and not d.presente and not d.eliminatoire  # 70 = the minimum
    assert p.total_points == D(220 + 70 + 150 + 130 + 200)
    assert p.total_points >= 500
    assert p.decision == Decision.PARTIEL  # non-presentation withholds total certification
    assert p.blocs_valides == frozenset({BC01, BC03, BC04})
    assert (
        f"Bloc {BC02} : absence non justifiée à l'épreuve de validation, épreuves notées 0/105 ; 70/175 (8,00/20) :"
        " bloc non validé (non-présentation à l'épreuve) ; rattrapage possible" in p.raisons
    )


def test_unjustified_absence_can_make_the_bloc_eliminatory(grille):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(avec(FORT, **{BC01: (60, 0)}), pro=PRO_FORT, absents=(BC01,)),
        date_decision=DECISION,
    )
    d = detail(p, BC01)
    assert d.points == D(60) and d.eliminatoire and not d.valide
    assert (
        f"Bloc {BC01} : absence non justifiée à l'épreuve de validation, épreuves notées 0/150 ; 60/250 (4,80/20),"
        " minimum 100 non atteint (note éliminatoire 8/20) : bloc non validé ; rattrapage possible"
        in p.raisons
    )


def test_justified_absence_bloc_not_presented_withholds_total(grille):
    blocs = {BC01: (100, 150), BC02: (70, 105), BC03: (70, None), BC04: (60, 90)}
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(blocs, pro={"ecrit": 125, "oral": 75, "tuteur": 50}),
        date_decision=DECISION,
    )
    assert p.total_points == D(895)
    assert "Total 895/1000 ≥ 500" in p.raisons
    assert p.decision == Decision.PARTIEL
    assert p.blocs_valides == frozenset({BC01, BC02, BC04})
    d = detail(p, BC03)
    assert (
        not d.valide
        and not d.presente
        and not d.eliminatoire
        and d.points == D(70)
        and d.note_sur_20 == D("8.00")
    )
    assert (
        f"Bloc {BC03} : épreuves de validation non présentées : bloc non validé (points connus : 70/175)"
        " ; rattrapage possible" in p.raisons
    )


def test_bloc_without_any_result_is_not_presented(grille):
    blocs = {k: v for k, v in FORT.items() if k != BC04}
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT), date_decision=DECISION)
    d = detail(p, BC04)
    assert d.points is None and d.note_sur_20 is None and not d.valide
    assert p.decision == Decision.PARTIEL and p.blocs_valides == frozenset({BC01, BC02, BC03})
    assert f"Bloc {BC04} : non présenté (aucun résultat) : bloc non validé ; rattrapage possible" in p.raisons


def test_missing_controle_continu_means_incomplete(grille):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(avec(FORT, **{BC01: (None, 150)}), pro=PRO_FORT),
        date_decision=DECISION,
    )
    assert p.decision == Decision.PARTIEL and BC01 not in p.blocs_valides
    assert (
        f"Bloc {BC01} : contrôle continu non renseigné : bloc non validé (points connus : 150/250) ; rattrapage possible"
        in p.raisons
    )


def test_unjustified_absence_with_missing_controle_continu(grille):
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(avec(FORT, **{BC01: (None, None)}), pro=PRO_FORT, absents=(BC01,)),
        date_decision=DECISION,
    )
    assert (
        f"Bloc {BC01} : contrôle continu non renseigné ; absence non justifiée à l'épreuve de validation"
        " (épreuves notées 0/150) : bloc non validé (points connus : 0/250) ; rattrapage possible"
        in p.raisons
    )


@pytest.mark.parametrize(
    ("pro", "raison"),
    [
        (
            {"ecrit": 125, "oral": None, "tuteur": 50},
            "Évaluation professionnelle incomplète (Oral (soutenance) non présenté) : pas de certification totale",
        ),
        (
            {"ecrit": 125, "tuteur": 50},
            "Évaluation professionnelle incomplète (Oral (soutenance) non présenté) : pas de certification totale",
        ),
        (
            {"oral": 75, "tuteur": 50},
            "Évaluation professionnelle incomplète (Écrit (rapport) non présenté) : pas de certification totale",
        ),
        (None, "Évaluation professionnelle non présentée : pas de certification totale"),
        ({}, "Évaluation professionnelle non présentée : pas de certification totale"),
    ],
)
def test_incomplete_evaluation_professionnelle_keeps_the_blocs(grille, pro, raison):
    p = propose(grille, STRUCTURE_RNCP, candidat(FORT, pro=pro), date_decision=DECISION)
    assert p.decision == Decision.PARTIEL
    assert p.blocs_valides == frozenset(BLOCS)
    assert not p.evaluation_professionnelle.complete
    assert raison in p.raisons
    assert p.raisons[-1] == f"Certification partielle : blocs validés {BC01}, {BC02}, {BC03}, {BC04}"


def test_grid_without_evaluation_professionnelle(grille_data):
    grille_data.update(total_points=750, seuil_points=375, penalites_absence=[])
    grille_data["evaluation_professionnelle"] = {"points": 0, "minimum_points": 0, "composantes": []}
    regle = regle_parse(grille_data)
    p = propose(regle, STRUCTURE_RNCP, candidat(FORT, pro=None), date_decision=DECISION)
    assert p.decision == Decision.CERTIFIE
    assert p.evaluation_professionnelle.complete and p.evaluation_professionnelle.note_sur_20 is None
    assert "Évaluation professionnelle 0/0 ≥ 0" in p.raisons


# ============================================================================================
# Fraud
# ============================================================================================


def test_fraud_validates_nothing(grille):
    p = propose(grille, STRUCTURE_RNCP, candidat(FORT, pro=PRO_FORT, fraude=True), date_decision=DECISION)
    assert p.decision == Decision.AJOURNE
    assert p.blocs_valides == frozenset()
    assert p.raisons == ["Fraude constatée : aucun bloc validé"]
    assert all(not b.valide and b.motif == "fraude constatée : session invalidée" for b in p.blocs)
    assert all(b.rattrapage_possible is None for b in p.blocs)
    assert p.total_points == D(650 + 200)  # marks still shown


def test_fraud_does_not_take_up_carried_blocs(grille):
    anterieur = BlocAcquisAnterieur(bloc=BC01, date_validation=date(2024, 6, 30), points=D(150))
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(
            {k: v for k, v in FORT.items() if k != BC01}, pro=PRO_FORT, fraude=True, anterieurs=(anterieur,)
        ),
        date_decision=DECISION,
    )
    assert p.decision == Decision.AJOURNE and p.blocs_valides == frozenset()
    assert p.raisons == [
        "Fraude constatée : aucun bloc validé",
        f"Blocs acquis antérieurement ({BC01}) : non repris, la session étant invalidée",
    ]


# ============================================================================================
# Blocs carried from earlier attempts
# ============================================================================================


@pytest.mark.parametrize(
    ("validation", "decision_le", "reporte"),
    [
        (date(2020, 6, 30), date(2025, 6, 30), True),  # the 5th anniversary itself is inside
        (date(2020, 7, 1), date(2025, 6, 30), True),
        (date(2020, 6, 29), date(2025, 6, 30), False),  # one day late
        (date(2025, 6, 30), date(2025, 6, 30), True),  # validated the same day
        (date(2018, 1, 1), date(2025, 6, 30), False),
        (date(2020, 2, 29), date(2025, 2, 28), True),  # 29 February + 5 years → 28 February
        (date(2020, 2, 29), date(2025, 3, 1), False),
    ],
)
def test_carried_bloc_validity_window(grille, validation, decision_le, reporte):
    anterieur = BlocAcquisAnterieur(bloc=BC01, date_validation=validation, points=D(150))
    blocs = {k: v for k, v in FORT.items() if k != BC01}
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(blocs, pro=PRO_FORT, anterieurs=(anterieur,)),
        date_decision=decision_le,
    )
    d = detail(p, BC01)
    assert d.reporte is reporte and d.valide is reporte
    if reporte:
        assert p.decision == Decision.CERTIFIE
        assert d.points == D(150) and not d.presente
        assert p.total_points == D(150 + 430 + 200)
        fin = (
            validation.replace(year=validation.year + 5)
            if (validation.month, validation.day) != (2, 29)
            else date(2025, 2, 28)
        )
        assert (
            f"Bloc {BC01} : validé le {validation:%d/%m/%Y}, reporté (valable jusqu'au {fin:%d/%m/%Y}) : 150/250 (12,00/20)"
            in p.raisons
        )
    else:
        assert p.decision == Decision.PARTIEL and BC01 not in p.blocs_valides
        assert any(
            r.startswith(f"Bloc {BC01} : validé le {validation:%d/%m/%Y}, validité de 5 ans expirée le ")
            and r.endswith(" : non reporté")
            for r in p.raisons
        )
        assert (
            f"Bloc {BC01} : non présenté (aucun résultat) : bloc non validé ; rattrapage possible"
            in p.raisons
        )


def test_expired_carried_bloc_is_judged_on_this_attempt(grille):
    anterieur = BlocAcquisAnterieur(bloc=BC02, date_validation=date(2019, 5, 2), points=D(100))
    p = propose(
        grille, STRUCTURE_RNCP, candidat(FORT, pro=PRO_FORT, anterieurs=(anterieur,)), date_decision=DECISION
    )
    assert p.decision == Decision.CERTIFIE
    assert not detail(p, BC02).reporte and detail(p, BC02).points == D(150)
    assert (
        p.raisons[1]
        == f"Bloc {BC02} : validé le 02/05/2019, validité de 5 ans expirée le 02/05/2024 : non reporté"
    )
    assert p.raisons[2].startswith(f"Bloc {BC02} : 150/175")


def test_carried_bloc_without_points_counts_its_conservation_floor(grille):
    anterieur = BlocAcquisAnterieur(bloc=BC02, date_validation=date(2023, 6, 30))
    blocs = {k: v for k, v in NOMINAL.items() if k != BC02}
    p = propose(grille, STRUCTURE_RNCP, candidat(blocs, anterieurs=(anterieur,)), date_decision=DECISION)
    d = detail(p, BC02)
    assert d.points == D("87.5") and d.note_sur_20 == D("10.00") and d.valide and d.reporte
    assert p.total_points == D(512) - 90 + D("87.5")
    assert p.decision == Decision.CERTIFIE
    assert (
        f"Bloc {BC02} : validé le 30/06/2023, reporté (valable jusqu'au 30/06/2028) : points non communiqués,"
        " comptés au plancher de conservation 87,5/175 (10/20)" in p.raisons
    )


def test_all_blocs_carried_and_evaluation_passed_is_certified(grille):
    anterieurs = tuple(BlocAcquisAnterieur(bloc=c, date_validation=date(2022, 1, 15)) for c in BLOCS)
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat({}, pro={"ecrit": 65, "oral": 40, "tuteur": 20}, anterieurs=anterieurs),
        date_decision=DECISION,
    )
    assert p.total_points == D(375 + 125)
    assert p.decision == Decision.CERTIFIE and p.blocs_valides == frozenset(BLOCS)


def test_carried_blocs_alone_give_a_partial_certification(grille):
    anterieurs = (BlocAcquisAnterieur(bloc=BC04, date_validation=date(2022, 1, 15), points=D(120)),)
    p = propose(grille, STRUCTURE_RNCP, candidat({}, pro=None, anterieurs=anterieurs), date_decision=DECISION)
    assert p.decision == Decision.PARTIEL and p.blocs_valides == frozenset({BC04})
    assert p.raisons[-1] == f"Certification partielle : blocs validés {BC04}"


def test_carried_bloc_wins_over_results_of_this_session(grille):
    anterieur = BlocAcquisAnterieur(bloc=BC03, date_validation=date(2024, 6, 30), points=D(100))
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(avec(FORT, **{BC03: (0, 10)}), pro=PRO_FORT, anterieurs=(anterieur,)),
        date_decision=DECISION,
    )
    d = detail(p, BC03)
    assert d.valide and d.reporte and d.points == D(100) and not d.eliminatoire
    assert p.decision == Decision.CERTIFIE
    assert any(
        r.startswith(f"Bloc {BC03} : validé le 30/06/2024")
        and r.endswith("résultats de cette session ignorés")
        for r in p.raisons
    )


def test_carried_bloc_below_minimum_is_never_eliminatory(grille):
    """A previous (sovereign) jury validated it: it is not judged again."""
    anterieur = BlocAcquisAnterieur(bloc=BC01, date_validation=date(2024, 6, 30), points=D(90))
    blocs = {k: v for k, v in FORT.items() if k != BC01}
    p = propose(
        grille, STRUCTURE_RNCP, candidat(blocs, pro=PRO_FORT, anterieurs=(anterieur,)), date_decision=DECISION
    )
    assert not detail(p, BC01).eliminatoire and p.decision == Decision.CERTIFIE


# ============================================================================================
# Retakes
# ============================================================================================


@pytest.mark.parametrize(("tentative", "possible"), [(1, True), (2, False)])
def test_retake_availability(grille, tentative, possible):
    blocs = avec(FORT, **{BC02: (20, 30)})
    p = propose(
        grille,
        STRUCTURE_RNCP,
        candidat(blocs, pro=None, tentatives={BC02: tentative}),
        date_decision=DECISION,
    )
    d = detail(p, BC02)
    assert d.rattrapage_possible is possible
    suffixe = " ; rattrapage possible" if possible else " ; plus de rattrapage possible (1 par bloc)"
    assert (
        f"Bloc {BC02} : 50/175 (5,71/20), minimum 70 non atteint (note éliminatoire 8/20) : bloc non validé{suffixe}"
        in p.raisons
    )
    assert detail(p, BC01).rattrapage_possible is None  # validated


def test_retake_beyond_the_allowed_number_is_refused(grille):
    with pytest.raises(EntreeInvalide) as exc:
        propose(grille, STRUCTURE_RNCP, candidat(FORT, tentatives={BC02: 3}), date_decision=DECISION)
    assert str(exc.value) == f"resultats.blocs[{BC02}].tentative : 3 > 1 + rattrapages_par_bloc (1)"


# ============================================================================================
# Invalid inputs
# ============================================================================================


@pytest.mark.parametrize(
    ("fabrique", "path", "message"),
    [
        (
            lambda: ResultatBloc(epreuves=12.5),
            "ResultatBloc.epreuves",
            "doit être un entier ou un Decimal (float refusé)",
        ),
        (
            lambda: ResultatBloc(epreuves=True),
            "ResultatBloc.epreuves",
            "doit être un entier ou un Decimal (float refusé)",
        ),
        (
            lambda: ResultatBloc(controle_continu="12"),
            "ResultatBloc.controle_continu",
            "doit être un entier ou un Decimal (float refusé)",
        ),
        (lambda: ResultatBloc(epreuves=D(-1)), "ResultatBloc.epreuves", "doit être un nombre ≥ 0"),
        (lambda: ResultatBloc(epreuves=D("NaN")), "ResultatBloc.epreuves", "doit être un nombre ≥ 0"),
        (lambda: ResultatBloc(epreuves=D("12.345")), "ResultatBloc.epreuves", "au plus 2 décimales"),
        (
            lambda: ResultatBloc(epreuves=D(5), absence_non_justifiee=True),
            "ResultatBloc.epreuves",
            "doit être vide (ou 0) quand absence_non_justifiee est vrai",
        ),
        (lambda: ResultatBloc(tentative=0), "ResultatBloc.tentative", "doit être un entier ≥ 1"),
        (
            lambda: ResultatBloc(absence_non_justifiee=1),
            "ResultatBloc.absence_non_justifiee",
            "doit être un booléen",
        ),
        (
            lambda: ResultatEvaluationProfessionnelle(composantes={"ecrit": 10.5}),
            "ResultatEvaluationProfessionnelle.composantes[ecrit]",
            "doit être un entier ou un Decimal (float refusé)",
        ),
        (
            lambda: ResultatEvaluationProfessionnelle(composantes={}, taux_absence=D(101)),
            "ResultatEvaluationProfessionnelle.taux_absence",
            "doit être entre 0 et 100",
        ),
        (
            lambda: ResultatEvaluationProfessionnelle(composantes={}, taux_absence=3.2),
            "ResultatEvaluationProfessionnelle.taux_absence",
            "doit être un entier ou un Decimal (float refusé)",
        ),
        (
            lambda: BlocAcquisAnterieur(bloc=BC01, date_validation=datetime(2024, 1, 1)),
            "BlocAcquisAnterieur.date_validation",
            "doit être une date (sans heure)",
        ),
        (
            lambda: ResultatsCandidat(capacites={"1": "presque"}),
            "resultats.capacites[1]",
            "état inconnu 'presque' (attendu : acquis, non_acquis, absent)",
        ),
        (
            lambda: ResultatsCandidat(blocs={BC01: (1, 2)}),
            f"resultats.blocs[{BC01}]",
            "doit être un ResultatBloc",
        ),
        (lambda: ResultatsCandidat(fraude="non"), "resultats.fraude", "doit être un booléen"),
        (
            lambda: ResultatsCandidat(
                blocs_acquis_anterieurs=(
                    BlocAcquisAnterieur(bloc=BC01, date_validation=date(2024, 1, 1)),
                    BlocAcquisAnterieur(bloc=BC01, date_validation=date(2023, 1, 1)),
                )
            ),
            f"resultats.blocs_acquis_anterieurs[{BC01}]",
            "bloc en double",
        ),
        (
            lambda: Structure(blocs=(BlocStructure(code="A"), BlocStructure(code="A"))),
            "structure.blocs[A]",
            "code de bloc en double",
        ),
        (
            lambda: Structure(
                blocs=(BlocStructure(code="A", capacites=("1",)), BlocStructure(code="B", capacites=("1",)))
            ),
            "structure.blocs[B].capacites",
            "capacité « 1 » en double",
        ),
        (lambda: BlocStructure(code=""), "structure.blocs[].code", "doit être une chaîne non vide"),
    ],
)
def test_invalid_input_objects(fabrique, path, message):
    with pytest.raises(EntreeInvalide) as exc:
        fabrique()
    assert (exc.value.path, exc.value.message) == (path, message)


@pytest.mark.parametrize(
    ("resultats", "structure", "path", "message"),
    [
        (
            lambda: candidat(avec(FORT, INCONNU=(1, 1))),
            STRUCTURE_RNCP,
            "resultats.blocs[INCONNU]",
            "bloc inconnu de la règle",
        ),
        (
            lambda: candidat(avec(FORT, **{BC01: (101, 0)})),
            STRUCTURE_RNCP,
            f"resultats.blocs[{BC01}].controle_continu",
            "101 > maximum 100",
        ),
        (
            lambda: candidat(avec(FORT, **{BC02: (0, D("105.5"))})),
            STRUCTURE_RNCP,
            f"resultats.blocs[{BC02}].epreuves",
            "105,5 > maximum 105",
        ),
        (
            lambda: candidat(FORT, pro={"ecrit": 126, "oral": 0, "tuteur": 0}),
            STRUCTURE_RNCP,
            "resultats.evaluation_professionnelle.composantes[ecrit]",
            "126 > maximum 125",
        ),
        (
            lambda: candidat(FORT, pro={"memoire": 10}),
            STRUCTURE_RNCP,
            "resultats.evaluation_professionnelle.composantes[memoire]",
            "composante inconnue de la règle (attendu : ecrit, oral, tuteur)",
        ),
        (
            lambda: candidat(
                FORT, anterieurs=(BlocAcquisAnterieur(bloc="X", date_validation=date(2024, 1, 1)),)
            ),
            STRUCTURE_RNCP,
            "resultats.blocs_acquis_anterieurs[X]",
            "bloc inconnu de la structure",
        ),
        (
            lambda: candidat(
                FORT, anterieurs=(BlocAcquisAnterieur(bloc=BC01, date_validation=date(2025, 7, 1)),)
            ),
            STRUCTURE_RNCP,
            f"resultats.blocs_acquis_anterieurs[{BC01}].date_validation",
            "01/07/2025 postérieure à la date de décision 30/06/2025",
        ),
        (
            lambda: candidat(
                FORT,
                anterieurs=(BlocAcquisAnterieur(bloc=BC01, date_validation=date(2024, 1, 1), points=D(251)),),
            ),
            STRUCTURE_RNCP,
            f"resultats.blocs_acquis_anterieurs[{BC01}].points",
            "251 > maximum 250",
        ),
        (
            lambda: ResultatsCandidat(capacites={"1": EtatCapacite.ACQUIS}),
            STRUCTURE_RNCP,
            "resultats.capacites",
            "sans objet pour une règle « grille_points » (décision aux points)",
        ),
        (
            lambda: candidat(FORT),
            Structure(blocs=tuple(BlocStructure(code=c) for c in (BC01, BC02, BC03, "BC05"))),
            "structure.blocs",
            f"ne correspond pas aux blocs de la règle (manquants : {BC04} ; en trop : BC05)",
        ),
    ],
)
def test_inputs_contradicting_the_grid(grille, resultats, structure, path, message):
    with pytest.raises(EntreeInvalide) as exc:
        propose(grille, structure, resultats(), date_decision=DECISION)
    assert (exc.value.path, exc.value.message) == (path, message)


@pytest.mark.parametrize("date_decision", [datetime(2025, 6, 30, 12, 0), "2025-06-30", None])
def test_date_decision_must_be_a_date(grille, date_decision):
    with pytest.raises(EntreeInvalide) as exc:
        propose(grille, STRUCTURE_RNCP, candidat(), date_decision=date_decision)
    assert exc.value.path == "date_decision"


def test_propose_needs_keyword_date(grille):
    with pytest.raises(TypeError):
        propose(grille, STRUCTURE_RNCP, candidat(), DECISION)  # type: ignore[misc]


def test_constructors_are_keyword_only():
    with pytest.raises(TypeError):
        ResultatBloc(D(1), D(2))  # type: ignore[misc]
    with pytest.raises(TypeError):
        BlocStructure("A")  # type: ignore[misc]


def test_ints_are_accepted_and_stored_as_decimal():
    r = ResultatBloc(controle_continu=12, epreuves=D("13.50"))
    assert r.controle_continu == D(12) and isinstance(r.controle_continu, Decimal)
    e = ResultatEvaluationProfessionnelle(composantes={"ecrit": 10}, taux_absence=3)
    assert isinstance(e.composantes["ecrit"], Decimal) and isinstance(e.taux_absence, Decimal)


# ============================================================================================
# CQPM: every capacité acquired
# ============================================================================================

TOUTES = RegleToutesCapacites()
TOUS_BLOCS = RegleTousBlocs()


def test_cqpm_all_acquired_is_certified():
    resultats = ResultatsCandidat(capacites={c: EtatCapacite.ACQUIS for c in "12345"})
    p = propose(TOUTES, STRUCTURE_CQPM, resultats, date_decision=DECISION)
    assert p.decision == Decision.CERTIFIE
    assert p.blocs_valides == frozenset({"BLOC-UNIQUE"})
    assert p.raisons == ["Toutes les capacités sont acquises (5/5) : certification"]
    assert p.total_points is None and p.evaluation_professionnelle is None
    assert p.blocs[0].valide and p.blocs[0].capacites_non_acquises == ()


@pytest.mark.parametrize(
    ("etats", "raisons"),
    [
        (
            {"3": "non_acquis"},
            ["Capacité 3 : non acquise"],
        ),
        (
            {"4": "absent"},
            ["Capacité 4 : candidat absent"],
        ),
        (
            {"5": None},
            ["Capacité 5 : non évaluée"],
        ),
        (
            {"1": "non_acquis", "2": "absent", "5": None},
            ["Capacité 1 : non acquise", "Capacité 2 : candidat absent", "Capacité 5 : non évaluée"],
        ),
    ],
)
def test_cqpm_any_capacity_missing_is_ajourne_without_partial(etats, raisons):
    capacites = {c: "acquis" for c in "12345"}
    for code, etat in etats.items():
        if etat is None:
            del capacites[code]
        else:
            capacites[code] = etat
    p = propose(TOUTES, STRUCTURE_CQPM, ResultatsCandidat(capacites=capacites), date_decision=DECISION)
    assert p.decision == Decision.AJOURNE
    assert p.blocs_valides == frozenset()
    acquises = 5 - len(etats)
    assert p.raisons == [
        *raisons,
        f"{acquises}/5 capacités acquises : toutes sont exigées, pas de certification partielle : ajourné",
    ]
    assert p.blocs[0].capacites_non_acquises == tuple(sorted(etats))
    assert not p.blocs[0].valide


def test_cqpm_nothing_evaluated():
    p = propose(TOUTES, STRUCTURE_CQPM, ResultatsCandidat(), date_decision=DECISION)
    assert p.decision == Decision.AJOURNE and len(p.raisons) == 6


def test_cqpm_fraud():
    resultats = ResultatsCandidat(capacites={c: "acquis" for c in "12345"}, fraude=True)
    p = propose(TOUTES, STRUCTURE_CQPM, resultats, date_decision=DECISION)
    assert p.decision == Decision.AJOURNE and p.blocs_valides == frozenset()
    assert p.raisons == ["Fraude constatée : aucun bloc validé"]


@pytest.mark.parametrize(
    ("resultats", "structure", "path", "message"),
    [
        (
            lambda: ResultatsCandidat(capacites={"6": "acquis"}),
            STRUCTURE_CQPM,
            "resultats.capacites[6]",
            "capacité inconnue de la structure",
        ),
        (
            lambda: ResultatsCandidat(blocs={"BLOC-UNIQUE": ResultatBloc()}),
            STRUCTURE_CQPM,
            "resultats.blocs",
            "sans objet pour une règle « toutes_capacites » (pas de points)",
        ),
        (
            lambda: ResultatsCandidat(
                evaluation_professionnelle=ResultatEvaluationProfessionnelle(composantes={})
            ),
            STRUCTURE_CQPM,
            "resultats.evaluation_professionnelle",
            "sans objet pour une règle « toutes_capacites »",
        ),
        (
            lambda: ResultatsCandidat(
                blocs_acquis_anterieurs=(
                    BlocAcquisAnterieur(bloc="BLOC-UNIQUE", date_validation=date(2024, 1, 1)),
                )
            ),
            STRUCTURE_CQPM,
            "resultats.blocs_acquis_anterieurs",
            "sans objet pour une règle « toutes_capacites » : pas de validation partielle à reporter",
        ),
        (
            lambda: ResultatsCandidat(),
            Structure(blocs=(BlocStructure(code="BLOC-UNIQUE"),)),
            "structure.blocs[BLOC-UNIQUE].capacites",
            "un bloc sans capacité ne peut être jugé",
        ),
        (lambda: ResultatsCandidat(), Structure(blocs=()), "structure.blocs", "au moins un bloc attendu"),
    ],
)
def test_cqpm_invalid_inputs(resultats, structure, path, message):
    with pytest.raises(EntreeInvalide) as exc:
        propose(TOUTES, structure, resultats(), date_decision=DECISION)
    assert (exc.value.path, exc.value.message) == (path, message)


# ============================================================================================
# CQPI: every bloc acquired, a bloc when all its compétences are
# ============================================================================================


def _cqpi(non_acquises: dict[str, str | None] | None = None, **kwargs) -> ResultatsCandidat:
    capacites: dict[str, str] = {c: "acquis" for c in "123456789"}
    for code, etat in (non_acquises or {}).items():
        if etat is None:
            del capacites[code]
        else:
            capacites[code] = etat
    return ResultatsCandidat(capacites=capacites, **kwargs)


def test_cqpi_all_blocs_acquired_is_certified():
    p = propose(TOUS_BLOCS, STRUCTURE_CQPI, _cqpi(), date_decision=DECISION)
    assert p.decision == Decision.CERTIFIE
    assert p.blocs_valides == frozenset({"BC1", "BC2", "BC3", "BC4"})
    assert p.raisons == [
        "Bloc BC1 : acquis (3/3 compétences)",
        "Bloc BC2 : acquis (3/3 compétences)",
        "Bloc BC3 : acquis (2/2 compétences)",
        "Bloc BC4 : acquis (1/1 compétences)",
        "Tous les blocs sont acquis (4/4) : certification",
    ]


@pytest.mark.parametrize(
    ("non_acquises", "decision", "valides"),
    [
        ({"2": "non_acquis"}, Decision.PARTIEL, {"BC2", "BC3", "BC4"}),
        ({"9": "absent"}, Decision.PARTIEL, {"BC1", "BC2", "BC3"}),
        ({"7": None}, Decision.PARTIEL, {"BC1", "BC2", "BC4"}),
        ({"1": "non_acquis", "4": "non_acquis"}, Decision.PARTIEL, {"BC3", "BC4"}),
        ({"3": "non_acquis", "6": "absent", "8": None, "9": "non_acquis"}, Decision.AJOURNE, set()),
    ],
)
def test_cqpi_partial_and_ajourne(non_acquises, decision, valides):
    p = propose(TOUS_BLOCS, STRUCTURE_CQPI, _cqpi(non_acquises), date_decision=DECISION)
    assert p.decision == decision
    assert p.blocs_valides == frozenset(valides)
    for bloc in p.blocs:
        assert bloc.valide is (bloc.code in valides)
    if decision is Decision.PARTIEL:
        assert p.raisons[-1] == "Certification partielle : blocs validés " + ", ".join(sorted(valides))
    else:
        assert p.raisons[-1] == "Aucun bloc acquis : ajourné"


def test_cqpi_reason_lists_the_missing_competences():
    p = propose(
        TOUS_BLOCS,
        STRUCTURE_CQPI,
        _cqpi({"4": "non_acquis", "5": "absent", "6": None}),
        date_decision=DECISION,
    )
    assert (
        "Bloc BC2 : non acquis (0/3 compétences) : 4 (non acquise), 5 (candidat absent), 6 (non évaluée)"
        in p.raisons
    )
    assert detail(p, "BC2").capacites_non_acquises == ("4", "5", "6")


def test_cqpi_carried_blocs_never_expire_and_win():
    anterieur = BlocAcquisAnterieur(bloc="BC2", date_validation=date(1990, 3, 1))
    p = propose(
        TOUS_BLOCS,
        STRUCTURE_CQPI,
        _cqpi({"4": "non_acquis"}, blocs_acquis_anterieurs=(anterieur,)),
        date_decision=DECISION,
    )
    assert p.decision == Decision.CERTIFIE
    assert (
        "Bloc BC2 : acquis le 01/03/1990 (acquis antérieur reporté), résultats de cette session ignorés"
        in p.raisons
    )
    assert detail(p, "BC2").reporte


def test_cqpi_carried_bloc_alone():
    anterieur = BlocAcquisAnterieur(bloc="BC4", date_validation=date(2024, 3, 1))
    p = propose(
        TOUS_BLOCS,
        STRUCTURE_CQPI,
        ResultatsCandidat(blocs_acquis_anterieurs=(anterieur,)),
        date_decision=DECISION,
    )
    assert p.decision == Decision.PARTIEL and p.blocs_valides == frozenset({"BC4"})
    assert "Bloc BC4 : acquis le 01/03/2024 (acquis antérieur reporté)" in p.raisons


def test_cqpi_fraud():
    anterieur = BlocAcquisAnterieur(bloc="BC4", date_validation=date(2024, 3, 1))
    p = propose(
        TOUS_BLOCS,
        STRUCTURE_CQPI,
        _cqpi(fraude=True, blocs_acquis_anterieurs=(anterieur,)),
        date_decision=DECISION,
    )
    assert p.decision == Decision.AJOURNE and p.blocs_valides == frozenset()
    assert p.raisons == [
        "Fraude constatée : aucun bloc validé",
        "Blocs acquis antérieurement (BC4) : non repris, la session étant invalidée",
    ]


def test_cqpi_refuses_points():
    with pytest.raises(EntreeInvalide) as exc:
        propose(
            TOUS_BLOCS,
            STRUCTURE_CQPI,
            ResultatsCandidat(blocs={"BC1": ResultatBloc()}),
            date_decision=DECISION,
        )
    assert exc.value.message == "sans objet pour une règle « tous_blocs » (pas de points)"


def test_decision_values_are_the_documented_strings():
    assert [d.value for d in Decision] == ["certifie", "partiel", "ajourne"]
    assert [e.value for e in EtatCapacite] == ["acquis", "non_acquis", "absent"]
