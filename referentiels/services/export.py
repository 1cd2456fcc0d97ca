"""Export of a version as its canonical document (certif-referentiel/1)."""

from referentiels.exchange import FORMAT
from referentiels.models import (
    Activite,
    Bloc,
    Modalite,
    Referentiel,
)


def _modalite_doc(m: Modalite) -> dict:
    doc = {
        "type": m.type,
        "intitule": m.intitule,
        "duree_minutes": m.duree_minutes,
        "points": m.points,
        "forme": m.forme,
        "notes": m.notes,
    }
    if m.double_correction:  # omitted when false: documents without it round-trip byte-identical
        doc["double_correction"] = True
    return doc


def referentiel_export(*, referentiel: Referentiel) -> dict:
    """The canonical document of a version (key order of the format), in a constant number of queries."""
    blocs = list(
        Bloc.objects.filter(referentiel=referentiel).prefetch_related(
            "modalites", "capacites__criteres", "capacites__modalites"
        )
    )
    activites = Activite.objects.filter(referentiel=referentiel).prefetch_related("capacites")
    return {
        "format": FORMAT,
        "code": referentiel.code,
        "kind": referentiel.kind,
        "version": referentiel.version,
        "intitule": referentiel.intitule,
        "certificateur": {"nom": referentiel.certificateur_nom, "siret": referentiel.certificateur_siret},
        "niveau_national": referentiel.niveau_national,
        "niveau_europeen": referentiel.niveau_europeen,
        "codes_nsf": referentiel.codes_nsf,
        "codes_rome": referentiel.codes_rome,
        "objectif": referentiel.objectif,
        "date_enregistrement": referentiel.date_enregistrement.isoformat()
        if referentiel.date_enregistrement
        else None,
        "date_fin_enregistrement": referentiel.date_fin_enregistrement.isoformat()
        if referentiel.date_fin_enregistrement
        else None,
        "blocs": [
            {
                "code": b.code,
                "intitule": b.intitule,
                "implicite": b.implicite,
                "modalites": [_modalite_doc(m) for m in b.modalites.all() if m.capacite_id is None],
                "capacites": [
                    {
                        "code": c.code,
                        "intitule": c.intitule,
                        "conditions": c.conditions,
                        "criteres": [{"texte": r.texte, "groupe": r.groupe} for r in c.criteres.all()],
                        "modalites": [_modalite_doc(m) for m in c.modalites.all()],
                    }
                    for c in b.capacites.all()
                ],
            }
            for b in blocs
        ],
        "activites": [
            {
                "code": a.code,
                "intitule": a.intitule,
                "capacites": [c.code for c in sorted(a.capacites.all(), key=lambda c: (c.bloc_id, c.order))],
            }
            for a in activites
        ],
        "regle": referentiel.regle,
        # optional: only a version with rules of its own carries them (the family's default otherwise)
        **({"composition_jury": referentiel.composition_jury} if referentiel.composition_jury else {}),
    }
