"""Example values of the certificateur's oversight and accrochage in the published schema
(``core.schema_examples``)."""

VALUES = {
    # « PV reçus » (seed 004: the signed PV is transmitted to CCI France, which issues)
    "Received.jury": "Jury de délibération — juin 2026",
    "Received.return_reason": "",
    "Received.decisions": {"certifie": 18, "partiel": 4, "ajourne": 2},
    "Signatory.name": "Paul Roux",
    # « Approbations »: a civil-status correction (re-issue) a centre asks CCI France to approve
    "Approval.category": "",
    "Approval.decision_note": "",
    "Approval.document": {
        "kind": "parchemin",
        "number": "CCI-FRANCE-2026-000123",
        "holder_name": "Léa Durand",
    },
    "Approval.requested_by": "Élodie Devaux",
    "ApprovalChange.value": "Léah",
    "SignatoryRequest.name": "Paul Roux",
    "Passage.message": "Passage accepté par la Caisse des dépôts.",
    "titulaire": "Léa Durand",
    "id_technique": "CCI-2026-000123",
    "flux": "flux-2026-06-30.xml",
    "id_flux": "FLUX-20260630-01",
    "id_traitement": "TRT-20260701-0042",
    "status_display": "Terminé",
    "nb_envois": 2,
    "nb_passages": 15,
    "nb_ok": 14,
    "nb_ko": 1,
    "numero_envoi": 2,
}

_TRANSMISSION = {
    "jury": "3f1c2a54-7d2e-5b8a-9c41-0e6f3d2b1a77",
    "centre": "cci-lyon",
    "certification": "CQPM-attache-gestion",
    "date": "2026-06-30",
    "transmission_requise": True,
    "echeance": "2026-07-15",
    "transmis_le": "2026-07-03",
    "en_retard": False,
}

ANSWERS = {
    "v1_o_supervision_figures_retrieve": {
        "per_certification": [
            {"code": "RNCP36390", "annee": 2026, "dossiers": 48, "certifie": 39, "partiel": 6, "ajourne": 3}
        ],
        "per_centre": [
            {
                "centre": {"slug": "cci-lyon", "name": "CCI Lyon Métropole"},
                "dossiers": 48,
                "delibere": 48,
                "certifie": 39,
            }
        ],
        "per_status": {"inscrit": 12, "certifie": 39},
        "per_voie": {"FORMATION_INITIALE_APPRENTISSAGE": 30, "VAE": 9},
        "habilitations": {
            "RNCP36390": [
                {"centre": "cci-lyon", "date_debut": "2024-01-01", "date_fin": None, "active": True}
            ]
        },
    },
    "v1_o_supervision_renouvellement_retrieve": [
        {"code": "RNCP36390", "annee": 2026, "nombre_certifies": 39, "nombre_certifies_vae": 9}
    ],
    "v1_o_supervision_resultats_retrieve": {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "centre": "CCI Lyon Métropole",
                "certification": "RNCP36390",
                "nom": "Durand",
                "prenom": "Léa",
                "decision": "Certifié(e)",
                "blocs_acquis": "RNCP36390BC01; RNCP36390BC02; RNCP36390BC03; RNCP36390BC04",
            }
        ],
    },
    "v1_o_supervision_accrochage_synchroniser_create": {"crees": 12, "mis_a_jour": 3, "a_declarer": 15},
    "v1_o_supervision_accrochage_flux_create": {
        "id": "8d7f6e5a-4b3c-5d2e-9f10-2a3b4c5d6e7f",
        "id_flux": "FLUX-20260630-01",
        "passages": 15,
        "refused": [
            {
                "id_technique": "CCI-2026-000124",
                "titulaire": "Marc Petit",
                "reasons": ["Date de naissance absente."],
            }
        ],
    },
    "v1_o_supervision_accrochage_rapports_create": {
        "flux": "FLUX-20260630-01",
        "accepted": ["CCI-2026-000123"],
        "rejected": [{"id_technique": "CCI-2026-000125", "message": "Numéro de sécurité sociale invalide."}],
        "unknown": [],
        "ignored": [],
    },
    "v1_o_supervision_attestations_numeriques_retrieve": [
        {
            "id": "1b2c3d4e-5f60-5a7b-8c9d-0e1f2a3b4c5d",
            "centre": "cci-lyon",
            "kind": "parchemin",
            "certification": "RNCP36390",
            "titulaire": "Léa Durand",
            "status_index": 17,
            "issued_at": "2026-07-01T10:00:00+02:00",
            "revoked_at": None,
        }
    ],
    "v1_o_supervision_jurys_transmission_retrieve": _TRANSMISSION,
    "v1_o_supervision_jurys_transmission_create": _TRANSMISSION,
}
