"""The engine's inputs for many dossiers in a constant number of queries, a dossier's results and their reading."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from evaluations.models import (
    AvisEntreprise,
    InscriptionEpreuve,
    Resultat,
    SuiviDossier,
)
from referentiels.models import Bloc, Referentiel
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


def _carried_points(dossiers, carried, regles) -> dict[tuple[int, str], Decimal]:
    """``{(dossier_id, bloc code): points}`` of the blocs a retake carries under a points grid:
    the bloc's complete validated mark (contrôle continu + épreuves) in the latest earlier attempt
    of the same candidate for the same référentiel. Seed 004 keeps « le bénéfice des blocs pour
    lesquels il a obtenu la moyenne »: the jury counts their real points, not a floor. One query,
    only when some dossier carries a bloc under a points grid."""
    wanted = [
        d
        for d in dossiers
        if carried.get(d.pk) and regles[d.referentiel_id] is not None and regles[d.referentiel_id].par_points
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
    best: dict[tuple, list[tuple[int, Decimal]]] = defaultdict(list)
    for candidate_id, referentiel_id, attempt, code, cc, ep in rows:
        assert cc is not None and ep is not None  # filtered above
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
    Each règle is parsed once per référentiel and the rows are read as plain values, not model instances: for a jury of 500 this is most of the engine's time.
    """

    dossiers = list(dossiers)
    ids = [d.pk for d in dossiers]
    referentiel_ids = {d.referentiel_id for d in dossiers}
    regles = {
        rid: regle_parse(regle)
        for rid, regle in Referentiel.objects.filter(pk__in=referentiel_ids).values_list("pk", "regle")
    }
    structures = _structures(referentiel_ids)
    by_dossier = _result_rows(ids, validated_only=validated_only)
    suivis = {
        row[0]: row[1:]
        for row in SuiviDossier.objects.filter(dossier_id__in=ids).values_list(
            "dossier_id", "taux_absence", "fraude", "fraude_en_attente", "periode_absente", "periode_motif"
        )
    }
    carried, portefeuilles_of = _carried_and_portefeuilles(ids)
    carried_points = _carried_points(dossiers, carried, regles)
    out = {}
    for d in dossiers:
        regle = regles[d.referentiel_id]
        anterieurs = tuple(
            BlocAcquisAnterieur(bloc=code, date_validation=acquis_le, points=carried_points.get((d.pk, code)))
            for code, acquis_le in carried[d.pk]
            if acquis_le
        )
        out[d.pk] = EngineInput(
            regle=regle,
            structure=structures[d.referentiel_id],
            resultats=_resultats_candidat(
                d,
                regle,
                by_dossier[d.pk],
                suivis.get(d.pk, (None, False, False, False, "")),
                portefeuilles=portefeuilles_of[d.pk],
                anterieurs=anterieurs,
            ),
        )
    return out


def _result_rows(ids: list[int], *, validated_only: bool) -> dict[int, list[tuple]]:
    """Each dossier's result rows as plain values (kind, etat, capacité, bloc, marks, absences)."""
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
        "absence_motif",
        "cc_absence_non_justifiee",
        "cc_absence_motif",
    ):
        by_dossier[row[0]].append(row[1:])
    return by_dossier


def _carried_and_portefeuilles(ids: list[int]) -> tuple[dict[int, list[tuple]], dict[int, list[str]]]:
    """(blocs carried from an earlier validation: (code, acquis_le); blocs announced as a portefeuille)."""
    carried: dict[int, list[tuple]] = defaultdict(list)
    portefeuilles_of: dict[int, list[str]] = defaultdict(list)
    for dossier_id, bloc_code, acquis_le, anterieur, portefeuille in (
        DossierBloc.objects.filter(dossier_id__in=ids)
        .filter(Q(acquis_anterieur=True) | Q(portefeuille=True))
        .values_list("dossier_id", "bloc__code", "acquis_le", "acquis_anterieur", "portefeuille")
    ):
        if anterieur:
            carried[dossier_id].append((bloc_code, acquis_le))
        elif portefeuille:
            portefeuilles_of[dossier_id].append(bloc_code)
    return carried, portefeuilles_of


def _resultats_candidat(
    d: Dossier,
    regle: Regle,
    rows: list[tuple],
    suivi: tuple,
    *,
    portefeuilles: list[str],
    anterieurs: tuple[BlocAcquisAnterieur, ...],
) -> ResultatsCandidat:
    """The engine's ``ResultatsCandidat`` of one dossier from its rows, its suivi and its carried blocs."""
    capacites, blocs, composantes, absences, justifiees = _read_rows(d, rows, portefeuilles)
    taux_absence, fraude, fraude_en_attente, periode_absente, periode_motif = suivi
    evaluation_pro = None
    par_points = bool(regle is not None and regle.par_points)
    exempte = bool(par_points and d.exemption_epreuve_pro)
    if par_points:
        for code in portefeuilles:  # announced but not yet marked: a fact too
            if code not in blocs:
                blocs[code] = ResultatBloc(tentative=d.attempt, portefeuille=True)
        if exempte:
            # the exemption stands in for the évaluation professionnelle: none is read
            composantes, absences, justifiees = {}, set(), {}
        elif composantes or taux_absence is not None:
            evaluation_pro = ResultatEvaluationProfessionnelle(
                composantes=composantes,
                taux_absence=taux_absence,
                absences=frozenset(absences),
                absences_justifiees=justifiees,
            )
        capacites = {}
    else:
        blocs = {}
    return ResultatsCandidat(
        capacites=capacites,
        blocs=blocs,
        evaluation_professionnelle=evaluation_pro,
        fraude=fraude,
        fraude_suspectee=fraude_en_attente,
        blocs_acquis_anterieurs=anterieurs,
        reprise=d.reprise if par_points and d.attempt > 1 else "",
        exemption_epreuve_professionnelle=exempte,
        periode_entreprise_absente=bool(par_points and periode_absente),
        periode_entreprise_justifiee=periode_motif if par_points and not periode_absente else "",
    )


def _read_rows(d: Dossier, rows: list[tuple], portefeuilles: list[str]) -> tuple[dict, dict, dict, set, dict]:
    """(capacités, blocs, composantes, composantes absent, composantes justified) of one dossier's rows."""
    capacites: dict = {}
    blocs: dict = {}
    composantes: dict = {}
    absences: set = set()
    justifiees: dict = {}
    for (
        kind,
        etat,
        capacite,
        bloc,
        controle_continu,
        epreuves,
        absence,
        composante,
        points,
        motif,
        cc_absence,
        cc_motif,
    ) in rows:
        if kind == Resultat.Kind.CAPACITE and etat:
            capacites[capacite] = etat
        elif kind == Resultat.Kind.BLOC:
            blocs[bloc] = ResultatBloc(
                controle_continu=controle_continu,
                epreuves=epreuves,
                absence_non_justifiee=absence,
                absence_justifiee=motif,
                cc_absence_non_justifiee=cc_absence,
                cc_absence_justifiee=cc_motif,
                tentative=d.attempt,
                portefeuille=bloc in portefeuilles,
            )
        elif kind == Resultat.Kind.COMPOSANTE:
            composantes[composante] = None if absence else points
            if absence:  # the engine receives the absence itself, never a 0
                absences.add(composante)
            elif motif:  # justified (seed 004's motifs recevables)
                justifiees[composante] = motif
    return capacites, blocs, composantes, absences, justifiees


def resultats_of(dossier: Dossier):
    return Resultat.objects.filter(dossier=dossier).select_related(
        "capacite", "bloc", "evaluateur", "valide_par"
    )


FIELD_LABELS = {
    "etat": "état",
    "controle_continu": "contrôle continu",
    "epreuves": "épreuves",
    "points": "points",
    "absence_non_justifiee": "absence non justifiée",
    "absence_motif": "absence justifiée par",
    "cc_absence_non_justifiee": "absence injustifiée au contrôle continu",
    "cc_absence_motif": "absence au contrôle continu justifiée par",
    "commentaire": "commentaire",
    "criteres_observes": "critères observés",
    "valide": "validation",
    "motivation_commission": "motivation de la commission",
    "commission_membres": "membres de la commission",
}


def _change_value(field: str, value: str) -> str:
    if field == "etat":
        return dict(Resultat.Etat.choices).get(value, value) if value else ""
    if field in ("absence_motif", "cc_absence_motif"):
        return dict(InscriptionEpreuve.Motif.choices).get(value, value) if value else ""
    if field in ("valide", "absence_non_justifiee", "cc_absence_non_justifiee"):
        return {"True": "oui", "False": "non"}.get(value, value)
    if field in ("controle_continu", "epreuves", "points") and value:
        return value.replace(".", ",")
    return value


def dossier_results_view(*, dossier) -> dict:
    """A dossier's results with their history and the engine's current reading (penalty shown)."""

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
