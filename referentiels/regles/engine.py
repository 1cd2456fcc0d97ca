"""``propose``: the proposed decision for one candidate, its details and its reasons in French (pure, deterministic)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, localcontext

from core.dates import add_years, date_fr
from core.numbers import number_fr
from referentiels.regles._french import _fmt2, _note_sur_20
from referentiels.regles.evaluation import (
    _RATTRAPAGE_JUSTIFIE,
    _evaluation_professionnelle,
    _raison_evaluation,
)
from referentiels.regles.model import (
    _CONTEXTE,
    _VINGT,
    MOTIFS_RECEVABLES,
    REPRISES,
    BlocAcquisAnterieur,
    BlocGrille,
    BlocStructure,
    Decision,
    DetailBloc,
    DetailEvaluationProfessionnelle,
    EntreeInvalide,
    EtatCapacite,
    Proposition,
    Regle,
    RegleGrillePoints,
    RegleTousBlocs,
    RegleToutesCapacites,
    ResultatBloc,
    ResultatsCandidat,
    Structure,
)

# --------------------------------------------------------------------------------------------
# propose
# --------------------------------------------------------------------------------------------


def propose(
    regle: Regle, structure: Structure, resultats: ResultatsCandidat, *, date_decision: date
) -> Proposition:
    """Propose a decision for one candidate (pure, deterministic; see the module docstring).

    ``regle`` comes from ``regle_parse``; ``structure`` lists the référentiel's blocs (for
    ``grille_points``, exactly the grid's blocs); ``resultats`` holds this attempt's results;
    ``date_decision`` (a ``date``) decides whether earlier blocs are still valid. Raises
    ``EntreeInvalide`` when the inputs contradict the règle or the structure.
    """
    if not isinstance(date_decision, date) or isinstance(date_decision, datetime):
        raise EntreeInvalide("date_decision", "doit être une date (datetime.date, sans heure)")
    if not isinstance(structure, Structure):
        raise EntreeInvalide("structure", "doit être une Structure")
    if not isinstance(resultats, ResultatsCandidat):
        raise EntreeInvalide("resultats", "doit être un ResultatsCandidat")
    codes = set(structure.codes_blocs())
    for anterieur in resultats.blocs_acquis_anterieurs:
        p = f"resultats.blocs_acquis_anterieurs[{anterieur.bloc}]"
        if anterieur.bloc not in codes:
            raise EntreeInvalide(p, "bloc inconnu de la structure")
        if anterieur.date_validation > date_decision:
            raise EntreeInvalide(
                f"{p}.date_validation",
                f"{date_fr(anterieur.date_validation)} postérieure à la date de décision {date_fr(date_decision)}",
            )
    with localcontext(_CONTEXTE):
        if isinstance(regle, RegleGrillePoints):
            proposition = _propose_grille(regle, structure, resultats, date_decision)
        elif isinstance(regle, RegleToutesCapacites | RegleTousBlocs):
            proposition = _propose_capacites(regle, structure, resultats)
        else:
            raise TypeError(f"règle inconnue : {regle!r}")
    if resultats.fraude_suspectee and not resultats.fraude:
        # seed 004: the surveillant's PV d'incident is a suspicion; « Tout candidat dont la fraude
        # est avérée » — only the jury's decision makes it a fraud.
        proposition = replace(
            proposition, raisons=[_RAISON_SUSPICION, *proposition.raisons], incident_en_attente=True
        )
    return proposition


_LIBELLE_ETAT = {
    EtatCapacite.NON_ACQUIS: "non acquise",
    EtatCapacite.ABSENT: "candidat absent",
    None: "non évaluée",
}
_RAISON_FRAUDE = "Fraude constatée : aucun bloc validé"
_RAISON_SUSPICION = (
    "Procès-verbal d'incident pour fraude : en attente de la décision du jury sur l'incident"
    " (fraude avérée : session invalidée, aucun bloc validé)"
)
_RAISON_REPRISE = {
    "rattrapage": (
        "Rattrapage : seules les évaluations de blocs sont repassées, la note du tuteur est conservée"
        " pour l'évaluation professionnelle"
    ),
    "redoublement": (
        "Redoublement : les modules des blocs non validés sont suivis à nouveau, leurs évaluations"
        " (contrôle continu) et les évaluations de blocs de l'année sont repassées"
    ),
}
assert set(_RAISON_REPRISE) == set(REPRISES) - {""}


def _propose_capacites(
    regle: RegleToutesCapacites | RegleTousBlocs, structure: Structure, resultats: ResultatsCandidat
) -> Proposition:
    _verifie_entrees_capacites(regle, structure, resultats)
    if resultats.fraude:
        return _propose_capacites_fraude(structure, resultats)
    if isinstance(regle, RegleToutesCapacites):
        return _propose_toutes_capacites(structure, resultats)
    return _propose_tous_blocs(structure, resultats)


def _verifie_entrees_capacites(
    regle: RegleToutesCapacites | RegleTousBlocs, structure: Structure, resultats: ResultatsCandidat
) -> None:
    """Raise ``EntreeInvalide`` when the results or the structure do not fit a capacités règle."""
    nom = regle.type
    if resultats.blocs:
        raise EntreeInvalide("resultats.blocs", f"sans objet pour une règle « {nom} » (pas de points)")
    if resultats.evaluation_professionnelle is not None:
        raise EntreeInvalide("resultats.evaluation_professionnelle", f"sans objet pour une règle « {nom} »")
    if isinstance(regle, RegleToutesCapacites) and resultats.blocs_acquis_anterieurs:
        raise EntreeInvalide(
            "resultats.blocs_acquis_anterieurs",
            "sans objet pour une règle « toutes_capacites » : pas de validation partielle à reporter",
        )
    if not structure.blocs:
        raise EntreeInvalide("structure.blocs", "au moins un bloc attendu")
    for bloc in structure.blocs:
        if not bloc.capacites:
            raise EntreeInvalide(
                f"structure.blocs[{bloc.code}].capacites", "un bloc sans capacité ne peut être jugé"
            )
    connues = set(structure.codes_capacites())
    for code in resultats.capacites:
        if code not in connues:
            raise EntreeInvalide(f"resultats.capacites[{code}]", "capacité inconnue de la structure")


def _manquantes(bloc: BlocStructure, resultats: ResultatsCandidat) -> tuple[str, ...]:
    """The bloc's capacités not acquired in these results."""
    return tuple(c for c in bloc.capacites if resultats.capacites.get(c) is not EtatCapacite.ACQUIS)


def _liste_manquantes(codes: tuple[str, ...], resultats: ResultatsCandidat) -> str:
    return ", ".join(f"{c} ({_LIBELLE_ETAT[resultats.capacites.get(c)]})" for c in codes)


def _propose_capacites_fraude(structure: Structure, resultats: ResultatsCandidat) -> Proposition:
    details = tuple(
        DetailBloc(
            code=b.code,
            valide=False,
            capacites_non_acquises=_manquantes(b, resultats),
            motif="fraude constatée : session invalidée",
        )
        for b in structure.blocs
    )
    raisons = [_RAISON_FRAUDE]
    if resultats.blocs_acquis_anterieurs:
        anciens = ", ".join(a.bloc for a in resultats.blocs_acquis_anterieurs)
        raisons.append(f"Blocs acquis antérieurement ({anciens}) : non repris, la session étant invalidée")
    return Proposition(decision=Decision.AJOURNE, blocs_valides=frozenset(), blocs=details, raisons=raisons)


def _propose_toutes_capacites(structure: Structure, resultats: ResultatsCandidat) -> Proposition:
    toutes = structure.codes_capacites()
    non_acquises = tuple(c for c in toutes if resultats.capacites.get(c) is not EtatCapacite.ACQUIS)
    raisons = [f"Capacité {c} : {_LIBELLE_ETAT[resultats.capacites.get(c)]}" for c in non_acquises]
    details = tuple(
        DetailBloc(
            code=b.code,
            valide=not non_acquises,
            capacites_non_acquises=_manquantes(b, resultats),
            motif=(
                "toutes les capacités sont acquises"
                if not _manquantes(b, resultats)
                else f"capacités non acquises : {_liste_manquantes(_manquantes(b, resultats), resultats)}"
            ),
        )
        for b in structure.blocs
    )
    acquises = len(toutes) - len(non_acquises)
    if not non_acquises:
        raisons.append(f"Toutes les capacités sont acquises ({acquises}/{len(toutes)}) : certification")
        return Proposition(
            decision=Decision.CERTIFIE,
            blocs_valides=frozenset(structure.codes_blocs()),
            blocs=details,
            raisons=raisons,
        )
    raisons.append(
        f"{acquises}/{len(toutes)} capacités acquises : toutes sont exigées, pas de certification partielle"
        " : ajourné"
    )
    return Proposition(decision=Decision.AJOURNE, blocs_valides=frozenset(), blocs=details, raisons=raisons)


def _propose_tous_blocs(structure: Structure, resultats: ResultatsCandidat) -> Proposition:
    anterieurs = {a.bloc: a for a in resultats.blocs_acquis_anterieurs}
    raisons = []
    details_list: list[DetailBloc] = []
    valides: list[str] = []
    for bloc in structure.blocs:
        anterieur = anterieurs.get(bloc.code)
        if anterieur is not None:
            motif = f"acquis le {date_fr(anterieur.date_validation)} (acquis antérieur reporté)"
            if any(c in resultats.capacites for c in bloc.capacites):
                motif += ", résultats de cette session ignorés"
            details_list.append(
                DetailBloc(code=bloc.code, valide=True, reporte=True, presente=False, motif=motif)
            )
            valides.append(bloc.code)
        else:
            absentes = _manquantes(bloc, resultats)
            n = len(bloc.capacites)
            if absentes:
                motif = f"non acquis ({n - len(absentes)}/{n} compétences) : {_liste_manquantes(absentes, resultats)}"
            else:
                motif = f"acquis ({n}/{n} compétences)"
                valides.append(bloc.code)
            details_list.append(
                DetailBloc(code=bloc.code, valide=not absentes, capacites_non_acquises=absentes, motif=motif)
            )
        raisons.append(f"Bloc {bloc.code} : {motif}")
    if len(valides) == len(structure.blocs):
        decision = Decision.CERTIFIE
        raisons.append(f"Tous les blocs sont acquis ({len(valides)}/{len(valides)}) : certification")
    elif valides:
        decision = Decision.PARTIEL
        raisons.append(f"Certification partielle : blocs validés {', '.join(valides)}")
    else:
        decision = Decision.AJOURNE
        raisons.append("Aucun bloc acquis : ajourné")
    return Proposition(
        decision=decision, blocs_valides=frozenset(valides), blocs=tuple(details_list), raisons=raisons
    )


@dataclass(frozen=True, kw_only=True)
class _Faits:
    """Internal: what was established about one bloc of a points grid, before the decision."""

    ligne: BlocGrille
    plancher: Decimal
    reporte: BlocAcquisAnterieur | None
    expire: BlocAcquisAnterieur | None
    fin_validite: date | None
    resultats_ignores: bool
    controle_continu: Decimal | None
    epreuves: Decimal | None
    absence_non_justifiee: bool
    absence_justifiee: str
    cc_absence_non_justifiee: bool
    cc_absence_justifiee: str
    complet: bool
    points: Decimal | None
    eliminatoire: bool
    conserve: bool
    tentative: int
    portefeuille: bool = False

    @property
    def presente(self) -> bool:
        return self.complet and not self.absence_non_justifiee

    @property
    def validable(self) -> bool:
        """Validated whatever the total: carried, or presented with ≥ note de conservation."""
        return self.reporte is not None or (self.presente and self.conserve)


def _propose_grille(
    regle: RegleGrillePoints, structure: Structure, resultats: ResultatsCandidat, date_decision: date
) -> Proposition:
    _verifie_blocs_grille(regle, structure, resultats)
    _verifie_evaluation_grille(regle, resultats)
    faits = [_faits_bloc(regle, ligne, resultats, date_decision) for ligne in regle.blocs]
    exempte = resultats.exemption_epreuve_professionnelle
    evaluation = _evaluation_professionnelle(regle, resultats.evaluation_professionnelle, exempte=exempte)
    total = sum((f.points for f in faits if f.points is not None), Decimal(0)) + evaluation.points
    total_max, seuil = _bareme_grille(regle, exempte=exempte)
    decision, valides = _decision_grille(regle, faits, resultats, evaluation, total_atteint=total >= seuil)

    details: list[DetailBloc] = []
    raisons_blocs: list[str] = []
    for f in faits:
        detail, lignes = _rendu_bloc(regle, f, decision, fraude=resultats.fraude)
        details.append(detail)
        raisons_blocs.extend(lignes)

    if resultats.fraude:
        raisons = _raisons_grille_fraude(faits)
    else:
        raisons = _raisons_grille(
            resultats,
            evaluation,
            raisons_blocs,
            decision,
            valides,
            total=total,
            total_max=total_max,
            seuil=seuil,
        )
    return Proposition(
        decision=decision,
        blocs_valides=frozenset(valides),
        blocs=tuple(details),
        raisons=raisons,
        total_points=total,
        total_max=total_max,
        seuil_points=seuil,
        evaluation_professionnelle=evaluation,
    )


def _verifie_blocs_grille(
    regle: RegleGrillePoints, structure: Structure, resultats: ResultatsCandidat
) -> None:
    """Raise ``EntreeInvalide`` when the structure or the bloc results contradict the grid."""
    codes_regle = [b.bloc for b in regle.blocs]
    codes_structure = structure.codes_blocs()
    if set(codes_structure) != set(codes_regle):
        manquants = [c for c in codes_regle if c not in codes_structure]
        en_trop = [c for c in codes_structure if c not in codes_regle]
        raise EntreeInvalide(
            "structure.blocs",
            "ne correspond pas aux blocs de la règle"
            f" (manquants : {', '.join(manquants) or '—'} ; en trop : {', '.join(en_trop) or '—'})",
        )
    if resultats.capacites:
        raise EntreeInvalide(
            "resultats.capacites", "sans objet pour une règle « grille_points » (décision aux points)"
        )
    for code, resultat in resultats.blocs.items():
        p = f"resultats.blocs[{code}]"
        if code not in codes_regle:
            raise EntreeInvalide(p, "bloc inconnu de la règle")
        ligne = regle.bloc(code)
        for nom, valeur, maximum in (
            ("controle_continu", resultat.controle_continu, ligne.controle_continu),
            ("epreuves", resultat.epreuves, ligne.epreuves),
        ):
            if valeur is not None and valeur > maximum:
                raise EntreeInvalide(f"{p}.{nom}", f"{number_fr(valeur)} > maximum {maximum}")
        if resultat.tentative > 1 + regle.rattrapages_par_bloc:
            raise EntreeInvalide(
                f"{p}.tentative",
                f"{resultat.tentative} > 1 + rattrapages_par_bloc ({regle.rattrapages_par_bloc})",
            )
        if resultats.reprise and resultat.tentative < 2:
            raise EntreeInvalide(
                f"{p}.tentative", f"un {resultats.reprise} repasse le bloc : tentative ≥ 2 attendue"
            )


def _verifie_evaluation_grille(regle: RegleGrillePoints, resultats: ResultatsCandidat) -> None:
    """Raise ``EntreeInvalide`` when carried points or evaluation composantes exceed the grid."""
    for anterieur in resultats.blocs_acquis_anterieurs:
        maximum = regle.bloc(anterieur.bloc).points
        if anterieur.points is not None and anterieur.points > maximum:
            raise EntreeInvalide(
                f"resultats.blocs_acquis_anterieurs[{anterieur.bloc}].points",
                f"{number_fr(anterieur.points)} > maximum {maximum}",
            )
    composantes_regle = regle.evaluation_professionnelle.composantes
    if resultats.evaluation_professionnelle is not None:
        par_code = {c.code: c for c in composantes_regle}
        for code, valeur in resultats.evaluation_professionnelle.composantes.items():
            p = f"resultats.evaluation_professionnelle.composantes[{code}]"
            if code not in par_code:
                raise EntreeInvalide(p, f"composante inconnue de la règle (attendu : {', '.join(par_code)})")
            if valeur is not None and valeur > par_code[code].points:
                raise EntreeInvalide(p, f"{number_fr(valeur)} > maximum {par_code[code].points}")


def _bareme_grille(regle: RegleGrillePoints, *, exempte: bool) -> tuple[int, int | Decimal]:
    """(total maximum, seuil) of the grid, on the blocs alone when the candidate is exempted."""
    total_max: int = regle.total_points
    seuil: int | Decimal = regle.seuil_points
    if exempte:
        # « peuvent être exemptés d'épreuve professionnelle » : the « 10 de moyenne générale » is
        # read on the blocs alone (their points, the same proportion of the seuil: 375/750).
        total_max = sum(b.points for b in regle.blocs)
        seuil = Decimal(regle.seuil_points) * total_max / regle.total_points
        if seuil == seuil.to_integral_value():
            seuil = int(seuil)
    return total_max, seuil


def _decision_grille(
    regle: RegleGrillePoints,
    faits: list[_Faits],
    resultats: ResultatsCandidat,
    evaluation: DetailEvaluationProfessionnelle,
    *,
    total_atteint: bool,
) -> tuple[Decision, list[str]]:
    """The decision and the validated blocs, from the facts established on each bloc."""
    if resultats.fraude:
        return Decision.AJOURNE, []
    periode_manquante = resultats.periode_entreprise_absente or bool(resultats.periode_entreprise_justifiee)
    certifie = (
        all(f.reporte is not None or f.presente for f in faits)
        and not any(f.eliminatoire for f in faits)
        and (evaluation.atteinte or resultats.exemption_epreuve_professionnelle)
        and not periode_manquante
        and total_atteint
    )
    if certifie:
        return Decision.CERTIFIE, [b.bloc for b in regle.blocs]
    valides = [f.ligne.bloc for f in faits if f.validable]
    return (Decision.PARTIEL if valides else Decision.AJOURNE), valides


def _raisons_grille_fraude(faits: list[_Faits]) -> list[str]:
    raisons = [_RAISON_FRAUDE]
    anciens = [f.ligne.bloc for f in faits if f.reporte is not None]
    if anciens:
        raisons.append(
            f"Blocs acquis antérieurement ({', '.join(anciens)}) : non repris, la session étant invalidée"
        )
    return raisons


def _raisons_grille(
    resultats: ResultatsCandidat,
    evaluation: DetailEvaluationProfessionnelle,
    raisons_blocs: list[str],
    decision: Decision,
    valides: list[str],
    *,
    total: Decimal,
    total_max: int,
    seuil: int | Decimal,
) -> list[str]:
    """The reasons of a grid decision without fraud: blocs, evaluation, période, total, outcome."""
    raisons: list[str] = []
    if resultats.reprise:
        raisons.append(_RAISON_REPRISE[resultats.reprise])
    raisons.extend(raisons_blocs)
    if evaluation.calcul_tuteur:
        raisons.append(evaluation.calcul_tuteur)
    raisons.append(_raison_evaluation(evaluation))
    if resultats.periode_entreprise_absente:
        # seed 004: « l'absence de période en entreprise […] induisent la non-obtention du
        # diplôme mais il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne »
        raisons.append(
            "Période en entreprise non effectuée sans motif recevable : non-obtention du diplôme,"
            " les blocs d'au moins 10/20 sont conservés"
        )
    elif resultats.periode_entreprise_justifiee:
        motif_periode = MOTIFS_RECEVABLES[resultats.periode_entreprise_justifiee]
        raisons.append(
            f"Période en entreprise non effectuée (absence justifiée : {motif_periode}) —"
            f" {_RATTRAPAGE_JUSTIFIE} ; pas de certification totale d'ici là, les blocs d'au moins"
            " 10/20 sont conservés"
        )
    comparaison = "≥" if total >= seuil else "<"
    raisons.append(f"Total {number_fr(total)}/{total_max} {comparaison} {number_fr(seuil)}")
    if decision is Decision.CERTIFIE:
        raisons.append("Certification totale")
    elif decision is Decision.PARTIEL:
        raisons.append(f"Certification partielle : blocs validés {', '.join(valides)}")
    else:
        raisons.append("Ajourné : aucun bloc validé")
    return raisons


def _faits_bloc(
    regle: RegleGrillePoints, ligne: BlocGrille, resultats: ResultatsCandidat, date_decision: date
) -> _Faits:
    plancher = regle.note_conservation_sur_20 * ligne.points / _VINGT
    anterieur = next((a for a in resultats.blocs_acquis_anterieurs if a.bloc == ligne.bloc), None)
    reporte = expire = None
    fin_validite = None
    if anterieur is not None:
        fin_validite = add_years(anterieur.date_validation, regle.validite_blocs_annees)
        if date_decision <= fin_validite:
            reporte = anterieur
        else:
            expire = anterieur
    resultat = resultats.blocs.get(ligne.bloc)
    if reporte is not None:
        points = reporte.points if reporte.points is not None else plancher
        return _Faits(
            ligne=ligne,
            plancher=plancher,
            reporte=reporte,
            expire=None,
            fin_validite=fin_validite,
            resultats_ignores=resultat is not None,
            controle_continu=None,
            epreuves=None,
            absence_non_justifiee=False,
            absence_justifiee="",
            cc_absence_non_justifiee=False,
            cc_absence_justifiee="",
            complet=False,
            points=points,
            eliminatoire=False,
            conserve=True,
            tentative=1,
        )
    if resultat is None:
        resultat = ResultatBloc()
    # seed 004: « Toute absence injustifiée à une évaluation de contrôle continu est sanctionnée
    # par l'attribution d'un zéro à l'épreuve » — the engine gives the zero, the caller the fact
    controle_continu = Decimal(0) if resultat.cc_absence_non_justifiee else resultat.controle_continu
    epreuves = Decimal(0) if resultat.absence_non_justifiee else resultat.epreuves
    complet = controle_continu is not None and epreuves is not None
    connus = [v for v in (controle_continu, epreuves) if v is not None]
    points_bloc: Decimal | None = sum(connus, Decimal(0)) if connus else None
    eliminatoire = complet and points_bloc is not None and points_bloc < ligne.minimum_points
    conserve = (
        complet
        and points_bloc is not None
        and points_bloc * _VINGT >= regle.note_conservation_sur_20 * ligne.points
    )
    return _Faits(
        ligne=ligne,
        plancher=plancher,
        reporte=None,
        expire=expire,
        fin_validite=fin_validite,
        resultats_ignores=False,
        controle_continu=controle_continu,
        epreuves=epreuves,
        absence_non_justifiee=resultat.absence_non_justifiee,
        absence_justifiee=resultat.absence_justifiee,
        cc_absence_non_justifiee=resultat.cc_absence_non_justifiee,
        cc_absence_justifiee=resultat.cc_absence_justifiee,
        complet=complet,
        points=points_bloc,
        eliminatoire=eliminatoire,
        conserve=conserve,
        tentative=resultat.tentative,
        portefeuille=resultat.portefeuille,
    )


def _rendu_bloc(
    regle: RegleGrillePoints, f: _Faits, decision: Decision, *, fraude: bool
) -> tuple[DetailBloc, list[str]]:
    """The DetailBloc of one bloc and its reason lines, once the decision is known."""
    ligne = f.ligne
    code = ligne.bloc
    lignes: list[str] = []
    if f.expire is not None and f.fin_validite is not None:
        lignes.append(
            f"Bloc {code} : validé le {date_fr(f.expire.date_validation)}, validité de"
            f" {regle.validite_blocs_annees} ans expirée le {date_fr(f.fin_validite)} : non reporté"
        )
    note = _note_sur_20(f.points, ligne.points) if f.points is not None else None
    marque = (
        f"{number_fr(f.points)}/{ligne.points} ({_fmt2(note)}/20)"
        if f.points is not None and note is not None
        else ""
    )

    rattrapage: bool | None = None
    if f.reporte is not None:
        motif = _motif_reporte(regle, f, marque)
        valide = True
    else:
        valide = f.validable or decision is Decision.CERTIFIE
        motif = _motif_complet(regle, f, decision, marque) if f.complet else _motif_incomplet(f)
        if not valide:
            motif, rattrapage = _suite_rattrapage(regle, f, motif)
    if f.portefeuille and f.reporte is None:
        # seed 004: « Les candidats salariés peuvent […] substituer les épreuves de blocs par un
        # portefeuille de preuves à présenter à un jury »
        motif = "épreuves remplacées par un portefeuille de preuves ; " + motif
    if fraude:
        valide = False
        rattrapage = None
        motif = "fraude constatée : session invalidée"
    lignes.append(f"Bloc {code} : {motif}")
    detail = DetailBloc(
        code=code,
        valide=valide,
        reporte=f.reporte is not None,
        presente=f.reporte is None and f.presente,
        controle_continu=f.controle_continu,
        epreuves=f.epreuves,
        points=f.points,
        points_max=ligne.points,
        note_sur_20=note,
        eliminatoire=f.eliminatoire,
        rattrapage_possible=rattrapage,
        motif=motif,
        portefeuille=f.portefeuille and f.reporte is None,
    )
    return detail, lignes


def _motif_reporte(regle: RegleGrillePoints, f: _Faits, marque: str) -> str:
    """The motif of a bloc carried from an earlier, still valid, validation."""
    assert f.reporte is not None and f.fin_validite is not None
    motif = (
        f"validé le {date_fr(f.reporte.date_validation)}, reporté (valable jusqu'au"
        f" {date_fr(f.fin_validite)})"
    )
    if f.reporte.points is not None:
        motif += f" : {marque}"
    else:
        motif += (
            f" : points non communiqués, comptés au plancher de conservation"
            f" {number_fr(f.plancher)}/{f.ligne.points} ({number_fr(regle.note_conservation_sur_20)}/20)"
        )
    if f.resultats_ignores:
        motif += " ; résultats de cette session ignorés"
    return motif


def _motif_incomplet(f: _Faits) -> str:
    """The motif of a bloc whose contrôle continu or épreuves are missing."""
    ligne = f.ligne
    manque = []
    if f.controle_continu is None and f.epreuves is None and f.portefeuille:
        manque.append("contrôle continu non renseigné ; portefeuille de preuves non présenté au jury")
    elif f.controle_continu is None and f.epreuves is None:
        manque.append("non présenté (aucun résultat)")
    else:
        if f.cc_absence_justifiee:
            manque.append(
                f"contrôle continu non présenté (absence justifiée : {MOTIFS_RECEVABLES[f.cc_absence_justifiee]})"
            )
        elif f.controle_continu is None:
            manque.append("contrôle continu non renseigné")
        if f.absence_justifiee:
            manque.append(
                f"épreuves de validation non présentées (absence justifiée : {MOTIFS_RECEVABLES[f.absence_justifiee]})"
            )
        elif f.epreuves is None and f.portefeuille:
            manque.append("portefeuille de preuves non présenté au jury")
        elif f.epreuves is None:
            manque.append("épreuves de validation non présentées")
    if f.cc_absence_non_justifiee:
        manque.append(
            f"absence injustifiée au contrôle continu, sanctionnée par un zéro (0/{ligne.controle_continu})"
        )
    if f.absence_non_justifiee:
        manque.append(f"absence non justifiée à l'épreuve de validation (épreuves notées 0/{ligne.epreuves})")
    motif = " ; ".join(manque) + " : bloc non validé"
    if f.points is not None:
        motif = f"{motif} (points connus : {number_fr(f.points)}/{ligne.points})"
    return motif


def _motif_complet(regle: RegleGrillePoints, f: _Faits, decision: Decision, marque: str) -> str:
    """The motif of a bloc presented in full: its points against the minimum and the plancher."""
    ligne = f.ligne
    cons = number_fr(regle.note_conservation_sur_20)
    prefixe = ""
    if f.cc_absence_non_justifiee:
        prefixe = f"absence injustifiée au contrôle continu, sanctionnée par un zéro (0/{ligne.controle_continu}) ; "
    if f.absence_non_justifiee:
        prefixe += f"absence non justifiée à l'épreuve de validation, épreuves notées 0/{ligne.epreuves} ; "
    if f.eliminatoire:
        motif = (
            f"{marque}, minimum {ligne.minimum_points} non atteint (note éliminatoire"
            f" {number_fr(regle.note_eliminatoire_sur_20)}/20) : bloc non validé"
        )
    elif f.absence_non_justifiee:
        motif = f"{marque} : bloc non validé (non-présentation à l'épreuve)"
    elif f.conserve:
        motif = f"{marque} ≥ {number_fr(f.plancher)} ({cons}/20) : bloc validé"
    elif decision is Decision.CERTIFIE:
        motif = (
            f"{marque}, minimum {ligne.minimum_points} atteint, < {number_fr(f.plancher)} ({cons}/20) :"
            " compensé par la certification totale"
        )
    else:
        motif = f"{marque} < {number_fr(f.plancher)} ({cons}/20) : bloc non validé"
    return prefixe + motif


def _suite_rattrapage(regle: RegleGrillePoints, f: _Faits, motif: str) -> tuple[str, bool]:
    """(motif completed, rattrapage possible) for a bloc not validated."""
    if f.absence_justifiee or f.cc_absence_justifiee:
        # seed 004: « Dans ces seuls cas une épreuve de rattrapage sera proposée au candidat
        # dans un délai de 6 mois après demande écrite du candidat. »
        return motif + " ; " + _RATTRAPAGE_JUSTIFIE, True
    if f.tentative <= regle.rattrapages_par_bloc:
        return motif + " ; rattrapage possible", True
    return motif + f" ; plus de rattrapage possible ({regle.rattrapages_par_bloc} par bloc)", False
