"""Example values of the caller, memberships and the audit trail in the published schema
(``core.schema_examples``)."""

VALUES = {
    "first_name": "Claire",
    "last_name": "Roux",
    "organisation": "cci-lyon",
    "organisation_name": "CCI Lyon Métropole",
    "organisation_kind": "centre",
    "action": "dossier.transition",
    "message": "Dossier de Léa Durand : inscrit.",
    "object_type": "dossier",
    "object_id": "7c4e1f0a-2b9d-5e8f-a1c3-4d6b8e0f2a13",
    "description": "Système d'information de l'école",
}
