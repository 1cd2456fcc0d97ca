"""The guard ``pret_pour_jury`` needs: every result the règle reads is in and validated."""

from evaluations.models import Resultat


def missing_results(dossier) -> list[str]:
    from referentiels.regles import regle_parse

    regle = regle_parse(dossier.referentiel.regle)
    blocs = [db.bloc for db in dossier.blocs_vises.filter(acquis_anterieur=False).select_related("bloc")]
    results = list(Resultat.objects.filter(dossier=dossier).select_related("capacite", "bloc"))
    reasons = []
    if regle.type == "grille_points":
        done = {r.bloc_id for r in results if r.kind == Resultat.Kind.BLOC and r.valide}
        reasons += [f"Bloc {b.code} : résultat non validé." for b in blocs if b.pk not in done]
        comps = {r.composante for r in results if r.kind == Resultat.Kind.COMPOSANTE and r.valide}
        reasons += [
            f"Évaluation professionnelle, {c.libelle.lower()} : note non validée."
            for c in regle.evaluation_professionnelle.composantes
            if c.code not in comps
        ]
    else:
        from referentiels.models import Capacite

        done = {r.capacite_id for r in results if r.kind == Resultat.Kind.CAPACITE and r.valide}
        for cap in Capacite.objects.filter(bloc__in=blocs).order_by("bloc__order", "order"):
            if cap.pk not in done:
                reasons.append(f"Capacité {cap.code} : résultat non validé.")
    return reasons


def results_complete(dossier) -> list[str]:
    return missing_results(dossier)
