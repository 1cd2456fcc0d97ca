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
    for bloc in Bloc.objects.filter(referentiel_id__in=referentiel_ids).prefetch_related("capacites").order_by("order"):
        blocs[bloc.referentiel_id].append(bloc)
    return {
        rid: Structure(
            blocs=tuple(
                BlocStructure(code=b.code, intitule=b.intitule, capacites=tuple(c.code for c in b.capacites.all())) for b in items
            )
        )
        for rid, items in blocs.items()
    }


def engine_inputs(dossiers: Iterable[Dossier], *, validated_only: bool = True) -> dict[int, EngineInput]:
    """For each dossier: its règle, the référentiel's structure (every bloc, so that a total
    certification needs them all) and its validated results, carried blocs included."""
    dossiers = list(dossiers)
    ids = [d.pk for d in dossiers]
    referentiels = {d.referentiel_id: d.referentiel for d in dossiers}
    structures = _structures(set(referentiels))
    results = Resultat.objects.filter(dossier_id__in=ids).select_related("capacite", "bloc")
    if validated_only:
        results = results.filter(valide=True)
    by_dossier: dict[int, list[Resultat]] = defaultdict(list)
    for r in results:
        by_dossier[r.dossier_id].append(r)
    suivis = {s.dossier_id: s for s in SuiviDossier.objects.filter(dossier_id__in=ids)}
    carried: dict[int, list] = defaultdict(list)
    from candidates.models import DossierBloc

    for db in DossierBloc.objects.filter(dossier_id__in=ids, acquis_anterieur=True).select_related("bloc"):
        carried[db.dossier_id].append(db)
    out = {}
    for d in dossiers:
        regle = regle_parse(d.referentiel.regle)
        capacites, blocs, composantes = {}, {}, {}
        for r in by_dossier[d.pk]:
            if r.kind == Resultat.Kind.CAPACITE and r.etat:
                capacites[r.capacite.code] = r.etat
            elif r.kind == Resultat.Kind.BLOC:
                blocs[r.bloc.code] = ResultatBloc(
                    controle_continu=r.controle_continu, epreuves=r.epreuves, absence_non_justifiee=r.absence_non_justifiee,
                    tentative=d.attempt,
                )
            elif r.kind == Resultat.Kind.COMPOSANTE:
                composantes[r.composante] = r.points
        suivi = suivis.get(d.pk)
        evaluation_pro = None
        if getattr(regle, "type", "") == "grille_points":
            if composantes or (suivi and suivi.taux_absence is not None):
                evaluation_pro = ResultatEvaluationProfessionnelle(
                    composantes=composantes, taux_absence=suivi.taux_absence if suivi else None
                )
            capacites = {}
        else:
            blocs = {}
        anterieurs = tuple(
            BlocAcquisAnterieur(bloc=db.bloc.code, date_validation=db.acquis_le) for db in carried[d.pk] if db.acquis_le
        )
        out[d.pk] = EngineInput(
            regle=regle,
            structure=structures[d.referentiel_id],
            resultats=ResultatsCandidat(
                capacites=capacites, blocs=blocs, evaluation_professionnelle=evaluation_pro,
                fraude=bool(suivi and suivi.fraude), blocs_acquis_anterieurs=anterieurs,
            ),
        )
    return out


def resultats_of(dossier: Dossier):
    return Resultat.objects.filter(dossier=dossier).select_related("capacite", "bloc", "evaluateur", "valide_par")
