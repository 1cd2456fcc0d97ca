"""Human labels for document batches (the « Lot » filter), instead of their internal keys such as
``evaluations:epreuve:<uuid>:convocations``: two queries for any number of batches."""

import uuid

KINDS = {"convocations": "Convocations", "emargement": "Feuilles d'émargement"}


def _uuid(text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def batch_labels(keys) -> dict[str, str]:
    from evaluations.models import Epreuve
    from juries.models import Jury

    juries, epreuves = {}, {}
    for key in keys:
        parts = key.split(":")
        if len(parts) == 2 and parts[0] == "jury" and _uuid(parts[1]):
            juries[key] = _uuid(parts[1])
        elif len(parts) == 4 and parts[:2] == ["evaluations", "epreuve"] and _uuid(parts[2]):
            epreuves[key] = _uuid(parts[2])
    labels = {}
    if juries:
        found = {j.public_id: j for j in Jury.objects.filter(public_id__in=juries.values())}
        for key, pk in juries.items():
            if pk in found:
                j = found[pk]
                labels[key] = f"Jury « {j.intitule} » du {j.date:%d/%m/%Y}"
    if epreuves:
        found = {
            e.public_id: e
            for e in Epreuve.objects.filter(public_id__in=epreuves.values()).select_related(
                "session__referentiel"
            )
        }
        for key, pk in epreuves.items():
            if pk in found:
                e = found[pk]
                kind = KINDS.get(key.rsplit(":", 1)[1], "Documents")
                labels[key] = f"{kind} — {e.intitule} du {e.date:%d/%m/%Y} ({e.session.referentiel.code})"
    return {key: labels.get(key, "Autre lot") for key in keys}
