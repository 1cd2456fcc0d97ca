"""The guard ``pret_pour_jury`` needs: every result the règle reads is in and validated, and no
double-marking disagreement is left unresolved. ``readiness_reasons`` answers for many dossiers
in a constant number of queries (the per-session readiness view)."""

from collections import defaultdict

from candidates.models import DossierBloc
from evaluations.models import Correction, CorrectionResolution, Resultat
from referentiels.models import Capacite
from referentiels.regles import RegleGrillePoints, RegleTousBlocs, regle_parse


def missing_results(dossier) -> list[str]:
    return readiness_reasons([dossier], double_marking=False)[dossier.pk]


def double_marking_issues(dossier_ids, *, epreuve=None) -> list[tuple[int, str, str]]:
    """``(dossier_id, cible, message)`` for every double-marked target still open: a second
    correction awaited, or two corrections that disagree without the commission's resolution."""
    corrections = Correction.objects.filter(
        dossier_id__in=list(dossier_ids), epreuve__double_correction=True
    ).select_related("epreuve")
    resolutions = CorrectionResolution.objects.filter(dossier_id__in=list(dossier_ids))
    if epreuve is not None:
        corrections, resolutions = corrections.filter(epreuve=epreuve), resolutions.filter(epreuve=epreuve)
    resolved = {(r.epreuve_id, r.dossier_id, r.cible) for r in resolutions}
    groups: dict[tuple, list[Correction]] = defaultdict(list)
    for c in corrections:
        groups[(c.epreuve_id, c.dossier_id, c.cible)].append(c)
    issues = []
    for (epreuve_id, dossier_id, cible), items in sorted(
        groups.items(), key=lambda kv: (kv[0][1], kv[1][0].epreuve.date, kv[0][2])
    ):
        if (epreuve_id, dossier_id, cible) in resolved:
            continue
        intitule = items[0].epreuve.intitule
        values = sorted({c.valeur for c in items})
        if len(values) > 1:
            issues.append(
                (
                    dossier_id,
                    cible,
                    f"Double correction en désaccord — {intitule}, {cible} ({' / '.join(values)}) : à résoudre par la commission.",
                )
            )
        elif len(items) < 2:
            issues.append(
                (
                    dossier_id,
                    cible,
                    f"Double correction incomplète — {intitule}, {cible} : seconde correction attendue.",
                )
            )
    return issues


def readiness_reasons(dossiers, *, double_marking: bool = True) -> dict[int, list[str]]:
    """Why each dossier is not ready for the jury (empty list = ready), in 4–7 queries for any number."""
    dossiers = list(dossiers)
    ids = [d.pk for d in dossiers]
    blocs: dict[int, list] = defaultdict(list)
    for db in (
        DossierBloc.objects.filter(dossier_id__in=ids, acquis_anterieur=False)
        .select_related("bloc")
        .order_by("bloc__order")
    ):
        blocs[db.dossier_id].append(db.bloc)
    results: dict[int, list[Resultat]] = defaultdict(list)
    for r in Resultat.objects.filter(dossier_id__in=ids, valide=True).only(
        "dossier_id", "kind", "capacite_id", "bloc_id", "composante", "valide"
    ):
        results[r.dossier_id].append(r)
    bloc_ids = {b.pk for items in blocs.values() for b in items}
    capacites: dict[int, list] = defaultdict(list)
    for cap in Capacite.objects.filter(bloc_id__in=bloc_ids).order_by("bloc__order", "order"):
        capacites[cap.bloc_id].append(cap)
    from evaluations.entretiens import latest_conclusions

    entretiens = None  # read once, only if a dossier needs it (CQPI)
    regles = {}
    out: dict[int, list[str]] = {}
    for d in dossiers:
        if d.referentiel_id not in regles:
            regles[d.referentiel_id] = regle_parse(d.referentiel.regle)
        regle = regles[d.referentiel_id]
        mine = results[d.pk]
        reasons = []
        if isinstance(regle, RegleGrillePoints):
            done = {r.bloc_id for r in mine if r.kind == Resultat.Kind.BLOC}
            reasons += [f"Bloc {b.code} : résultat non validé." for b in blocs[d.pk] if b.pk not in done]
            comps = {r.composante for r in mine if r.kind == Resultat.Kind.COMPOSANTE}
            # seed 004: an exempted candidate (« positionnement effectué en amont ») has none
            reasons += [
                f"Évaluation professionnelle, {c.libelle.lower()} : note non validée."
                for c in regle.evaluation_professionnelle.composantes
                if c.code not in comps and not d.exemption_epreuve_pro
            ]
        else:
            done = {r.capacite_id for r in mine if r.kind == Resultat.Kind.CAPACITE}
            mot = d.referentiel.mot_capacite.capitalize()
            for b in blocs[d.pk]:
                reasons += [
                    f"{mot} {cap.code} : résultat non validé."
                    for cap in capacites[b.pk]
                    if cap.pk not in done
                ]
            if isinstance(regle, RegleTousBlocs):
                if entretiens is None:
                    entretiens = latest_conclusions(ids)
                # Seed 003: each compétence by « Observation en situation de travail » and
                # « Entretien avec les membres du jury d'évaluation » — both recorded.
                reasons += [
                    f"{mot} {cap.code} : entretien avec le jury d'évaluation non enregistré."
                    for b in blocs[d.pk]
                    for cap in capacites[b.pk]
                    if (d.pk, cap.pk) not in entretiens
                ]
        out[d.pk] = reasons
    if double_marking and ids:
        for dossier_id, _cible, message in double_marking_issues(ids):
            out[dossier_id].append(message)
    return out


def results_complete(dossier) -> list[str]:
    return readiness_reasons([dossier])[dossier.pk]
