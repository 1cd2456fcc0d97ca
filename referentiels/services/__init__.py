"""Writes on the national catalogue: import, export, versioning, publication, habilitations.

Every write is atomic and checks the version is a draft; the database trigger of migration
0002 backs this up for any other path.
"""

from referentiels.services.editing import (
    MODALITE_FIELDS,
    bloc_create,
    bloc_delete,
    bloc_update,
    capacite_update,
    modalites_set,
    referentiel_regle_update,
    regle_check,
)
from referentiels.services.export import (
    referentiel_export,
)
from referentiels.services.habilitations import (
    habilitation_end,
    habilitation_grant,
)
from referentiels.services.imports import (
    HEADER_FIELDS,
    referentiel_import,
    referentiel_import_check,
    referentiels_create_many,
    referentiels_replace_drafts_many,
)
from referentiels.services.registration import (
    NSF_PATTERN,
    NUMERO_PATTERN,
    enregistrement_check,
    enregistrement_delete,
    enregistrement_set,
)
from referentiels.services.versions import (
    composition_check,
    referentiel_composition_update,
    referentiel_delete,
    referentiel_new_version,
    referentiel_publish,
    referentiel_update,
)

__all__ = [
    "composition_check",
    "referentiel_composition_update",
    "HEADER_FIELDS",
    "MODALITE_FIELDS",
    "NSF_PATTERN",
    "NUMERO_PATTERN",
    "bloc_create",
    "bloc_delete",
    "bloc_update",
    "capacite_update",
    "enregistrement_check",
    "enregistrement_delete",
    "enregistrement_set",
    "habilitation_end",
    "habilitation_grant",
    "modalites_set",
    "referentiel_delete",
    "referentiel_export",
    "referentiel_import",
    "referentiel_import_check",
    "referentiel_new_version",
    "referentiel_publish",
    "referentiel_regle_update",
    "referentiel_update",
    "referentiels_create_many",
    "referentiels_replace_drafts_many",
    "regle_check",
]
