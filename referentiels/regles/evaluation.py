"""The évaluation professionnelle of a points grid: composantes, tuteur penalty, its reason (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from core.numbers import number_fr
from referentiels.regles._french import _fmt2, _note_sur_20
from referentiels.regles.model import (
    _CENT,
    _CENTIEME,
    CODE_TUTEUR,
    MOTIFS_RECEVABLES,
    DetailComposante,
    DetailEvaluationProfessionnelle,
    RegleGrillePoints,
    ResultatEvaluationProfessionnelle,
)

_RATTRAPAGE_JUSTIFIE = (
    "épreuve de rattrapage proposée dans un délai de 6 mois après demande écrite du candidat"
)


def _evaluation_professionnelle(
    regle: RegleGrillePoints, resultat: ResultatEvaluationProfessionnelle | None, *, exempte: bool = False
) -> DetailEvaluationProfessionnelle:
    e = regle.evaluation_professionnelle
    if exempte:
        # seed 004: « Les salariés et demandeurs d'emploi qui bénéficient d'un positionnement
        # effectué en amont de la formation, peuvent être exemptés d'épreuve professionnelle. »
        return DetailEvaluationProfessionnelle(
            composantes=tuple(
                DetailComposante(code=c.code, libelle=c.libelle, points=None, points_max=c.points)
                for c in e.composantes
            ),
            complete=False,
            tuteur_avant_penalite=None,
            taux_absence=None,
            penalite_pourcent=Decimal(0),
            tuteur_apres_penalite=None,
            calcul_tuteur="",
            points=Decimal(0),
            points_max=e.points,
            minimum_points=e.minimum_points,
            note_sur_20=None,
            atteinte=False,
            exemptee=True,
        )
    saisies: Mapping[str, Decimal | None] = resultat.composantes if resultat is not None else {}
    absences = resultat.absences if resultat is not None else frozenset()
    justifiees: Mapping[str, str] = resultat.absences_justifiees if resultat is not None else {}
    taux = resultat.taux_absence if resultat is not None else None
    tuteur_avant = tuteur_apres = None
    penalite = Decimal(0)
    calcul = ""
    composantes: list[DetailComposante] = []
    for c in e.composantes:
        points = saisies.get(c.code)
        if c.code == CODE_TUTEUR:
            tuteur_avant = points
            if points is None:
                calcul = "Note tuteur non communiquée"
            else:
                penalite, calcul, points = _penalite_tuteur(regle, points, c.points, taux)
            tuteur_apres = points
        composantes.append(
            DetailComposante(
                code=c.code,
                libelle=c.libelle,
                points=points,
                points_max=c.points,
                absent=c.code in absences,
                absence_justifiee=justifiees.get(c.code, ""),
            )
        )
    # A grid without composantes needs no result; otherwise every composante must be presented.
    complete = (resultat is not None or not composantes) and all(c.points is not None for c in composantes)
    total = sum((c.points for c in composantes if c.points is not None), Decimal(0))
    return DetailEvaluationProfessionnelle(
        composantes=tuple(composantes),
        complete=complete,
        tuteur_avant_penalite=tuteur_avant,
        taux_absence=taux,
        penalite_pourcent=penalite,
        tuteur_apres_penalite=tuteur_apres,
        calcul_tuteur=calcul,
        points=total,
        points_max=e.points,
        minimum_points=e.minimum_points,
        note_sur_20=_note_sur_20(total, e.points),
        atteinte=complete and total >= e.minimum_points,
    )


def _penalite_tuteur(
    regle: RegleGrillePoints, note: Decimal, maximum: int, taux: Decimal | None
) -> tuple[Decimal, str, Decimal]:
    """(penalty %, computation shown, grade after penalty rounded to 0.01 ROUND_HALF_UP)."""
    debut = f"Note tuteur {number_fr(note)}/{maximum}"
    if taux is None:
        return Decimal(0), f"{debut}, aucune absence non justifiée → {number_fr(note)}/{maximum}", note
    tranche = next((t for t in regle.penalites_absence if t.contient(taux)), None)
    au_dela = False
    if tranche is None and regle.penalites_absence and taux > regle.penalites_absence[-1].taux_max:
        tranche = regle.penalites_absence[-1]
        au_dela = True
    if tranche is None:
        return (
            Decimal(0),
            f"{debut}, taux d'absence {number_fr(taux)} % → aucune pénalité → {number_fr(note)}/{maximum}",
            note,
        )
    penalite = tranche.penalite_pourcent
    apres = (note * (_CENT - penalite) / _CENT).quantize(_CENTIEME, rounding=ROUND_HALF_UP)
    calcul = f"{debut}, taux d'absence {number_fr(taux)} %"
    if au_dela:
        calcul += f" (au-delà de {number_fr(tranche.taux_max)} %)"
    calcul += f" → pénalité {number_fr(penalite)} % → {number_fr(apres)}/{maximum}"
    if au_dela:
        calcul += " ; au-delà du barème, sanctions selon le règlement intérieur de l'établissement"
    return penalite, calcul, apres


def _raison_evaluation(e: DetailEvaluationProfessionnelle) -> str:
    if e.exemptee:
        return (
            "Évaluation professionnelle : exempté (positionnement effectué en amont de la formation),"
            " la moyenne générale se lit sur les blocs seuls"
        )
    if not e.complete:
        absents = [c.libelle for c in e.composantes if c.absent]
        justifies = [
            f"{c.libelle} (absence justifiée : {MOTIFS_RECEVABLES[c.absence_justifiee]})"
            for c in e.composantes
            if c.absence_justifiee
        ]
        if justifies and not absents:
            return (
                f"Évaluation professionnelle : {', '.join(justifies)} — {_RATTRAPAGE_JUSTIFIE} ;"
                " pas de certification totale d'ici là, les blocs d'au moins 10/20 sont conservés"
            )
        if absents:
            # seed 004: « la non remise de rapport dans les délais fixés ou la non-présentation à
            # la soutenance, induisent la non-obtention du diplôme mais il conserve le bénéfice
            # des blocs pour lesquels il a obtenu la moyenne »
            return (
                f"Évaluation professionnelle : {', '.join(absents)} — non présenté sans motif recevable : "
                "non-obtention du diplôme, les blocs d'au moins 10/20 sont conservés"
            )
        manquantes = [c.libelle for c in e.composantes if c.points is None]
        if len(manquantes) == len(e.composantes):
            return "Évaluation professionnelle non présentée : pas de certification totale"
        return f"Évaluation professionnelle incomplète ({', '.join(manquantes)} non présenté) : pas de certification totale"
    detail = ", ".join(
        f"{c.libelle} {number_fr(c.points)}/{c.points_max}" for c in e.composantes if c.points is not None
    )
    note = f" ({_fmt2(e.note_sur_20)}/20)" if e.note_sur_20 is not None else ""
    comparaison = "≥" if e.atteinte else "< minimum"
    texte = f"Évaluation professionnelle {number_fr(e.points)}/{e.points_max}{note} {comparaison} {e.minimum_points}"
    if detail:
        texte += f" ({detail})"
    return texte
