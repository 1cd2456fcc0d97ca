"""The « Lot » label of an épreuve's document batches (``evaluations:epreuve:<uuid>:<kind>``),
registered with documents."""

import uuid

from documents.batch_labels import key_uuid
from evaluations.models import Epreuve

KINDS = {"convocations": "Convocations", "emargement": "Feuilles d'émargement"}


def epreuve_batch_labels(keys: list[str]) -> dict[str, str]:
    wanted: dict[str, uuid.UUID] = {}
    for key in keys:
        parts = key.split(":")
        if len(parts) == 4 and parts[1] == "epreuve" and (pk := key_uuid(parts[2])) is not None:
            wanted[key] = pk
    if not wanted:
        return {}
    found = {
        e.public_id: e
        for e in Epreuve.objects.filter(public_id__in=wanted.values()).select_related("session__referentiel")
    }
    labels = {}
    for key, pk in wanted.items():
        if pk in found:
            e = found[pk]
            kind = KINDS.get(key.rsplit(":", 1)[1], "Documents")
            labels[key] = f"{kind} — {e.intitule} du {e.date:%d/%m/%Y} ({e.session.referentiel.code})"
    return labels
