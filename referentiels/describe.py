"""The règle d'obtention in plain French, for pages and documents."""

from referentiels.regles import RegleGrillePoints, RegleTousBlocs, RegleToutesCapacites, regle_parse


def _n(value) -> str:
    text = f"{value}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def regle_describe(regle_data: dict, bloc_labels: dict[str, str] | None = None) -> list[str]:
    """Sentences describing how results become a decision."""
    labels = bloc_labels or {}
    regle = regle_parse(regle_data)
    if isinstance(regle, RegleToutesCapacites):
        return [
            "La certification est obtenue lorsque toutes les capacités professionnelles sont acquises.",
            "Il n'y a pas de validation partielle : une capacité non acquise entraîne l'ajournement.",
        ]
    if isinstance(regle, RegleTousBlocs):
        return [
            "La certification est obtenue lorsque tous les blocs de compétences sont acquis.",
            "Un bloc est acquis lorsque toutes ses compétences sont acquises ; les blocs acquis sont validés séparément (validation partielle).",
        ]
    assert isinstance(regle, RegleGrillePoints)
    lines = [
        f"Certification obtenue à {_n(regle.seuil_points)} points sur {_n(regle.total_points)}, sous réserve des minima suivants :",
    ]
    for b in regle.blocs:
        name = labels.get(b.bloc, b.bloc)
        lines.append(
            f"{name} : {_n(b.points)} points ({_n(b.controle_continu)} de contrôle continu + {_n(b.epreuves)} d'épreuves), "
            f"minimum {_n(b.minimum_points)} points ({_n(regle.note_eliminatoire_sur_20)}/20, note éliminatoire)."
        )
    ep = regle.evaluation_professionnelle
    parts = " + ".join(f"{c.libelle} {_n(c.points)}" for c in ep.composantes)
    lines.append(
        f"Évaluation professionnelle : {_n(ep.points)} points ({parts}), minimum {_n(ep.minimum_points)} points."
    )
    lines.append(
        f"Un bloc obtenu avec au moins {_n(regle.note_conservation_sur_20)}/20 est validé et conservé "
        f"{regle.validite_blocs_annees} ans ; {regle.rattrapages_par_bloc} rattrapage(s) par bloc."
    )
    if regle.absence_non_justifiee == "zero":
        lines.append("Une absence non justifiée à une épreuve vaut zéro.")
    if regle.penalites_absence:
        bands = " ; ".join(
            f"de {_n(p.taux_min)} à {_n(p.taux_max)} % du temps de formation : −{_n(p.penalite_pourcent)} %"
            for p in regle.penalites_absence
        )
        lines.append(f"Pénalités d'absence appliquées à la note du tuteur — {bands}.")
    if regle.fraude == "aucun_bloc":
        lines.append("En cas de fraude avérée, la session est invalidée : aucun bloc n'est validé.")
    return lines
