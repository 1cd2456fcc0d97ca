"""Example values of issued documents and their verification in the published schema
(``core.schema_examples``): a parchemin of RNCP36390."""

VALUES = {
    "title": "Parchemin — Assistant(e) de gestion et d'administration d'entreprise",
    "holder_name": "Léa Durand",
    "number": "CCI-2026-000123",
    "verification_code": "K7Q2-9XHD-M4PA",
    "Verification.code": "K7Q2-9XHD-M4PA",
    "status_label": "Délivré",
    "kind_label": "Parchemin",
    "JuryDocumentRow.kind": "parchemin",
    "JuryDocumentRow.status": "ready",
    "DemandeReedition.status": "en_attente",
    "DemandeRevocation.status": "pending",
    "DemandeRevocation.reason": "Parchemin délivré sur une décision rectifiée par le jury.",
    "DemandeRevocation.category": "erreur",
    "DemandeRevocation.certificateur": "CCI France",
    "DemandeRevocation.decided_at": None,
    "DemandeRevocation.decision_note": "",
    "ReadinessRow.status": "inscrit",
    "certification": "Assistant(e) de gestion et d'administration d'entreprise",
    "certification_type": "RNCP",
    "niveau": "5",
    "download_url": "https://certification.example.fr/o/cci-lyon/documents/telecharger/",
    "group_key": "jury-juin-2026",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "idempotency_key": "parchemin-durand-2026",
    "last_error": "",
    "revocation_reason": "",
    "context": {"certification": "Assistant(e) de gestion et d'administration d'entreprise"},
    "total": 24,
    "ready": 18,
    "pending": 6,
    "rendering": 0,
    "failed": 0,
    "revoked": 0,
    "percent": 75,
}

ANSWERS = {
    # Open Badges 3.0 (a W3C verifiable credential), as the holder downloads it.
    "v1_o_documents_credential_retrieve": {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"type": ["Profile"], "name": "CCI France"},
        "validFrom": "2026-07-01T10:00:00+02:00",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "type": ["Achievement"],
                "name": "Assistant(e) de gestion et d'administration d'entreprise - Office Manager junior",
            },
        },
    },
}
