"""The « Lot » label of a jury's document batch (``jury:<uuid>``), registered with documents."""

import uuid

from documents.batch_labels import key_uuid
from juries.models import Jury


def jury_batch_labels(keys: list[str]) -> dict[str, str]:
    wanted: dict[str, uuid.UUID] = {}
    for key in keys:
        parts = key.split(":")
        if len(parts) == 2 and (pk := key_uuid(parts[1])) is not None:
            wanted[key] = pk
    if not wanted:
        return {}
    found = {j.public_id: j for j in Jury.objects.filter(public_id__in=wanted.values())}
    return {
        key: f"Jury « {found[pk].intitule} » du {found[pk].date:%d/%m/%Y}"
        for key, pk in wanted.items()
        if pk in found
    }
