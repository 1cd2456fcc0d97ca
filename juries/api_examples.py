"""Example values of juries, decisions and signatures in the published schema
(``core.schema_examples``): the RNCP36390 jury of June 2026."""

from core.schema_examples import example_uuid

BLOCS_IDS = [example_uuid("bloc"), example_uuid("bloc RNCP36390BC02")]

VALUES = {
    "Jury.intitule": "Jury de délibération — juin 2026",
    "JuryCreateRequest.intitule": "Jury de délibération — juin 2026",
    "nom": "Roux",
    "prenom": "Claire",
    "metier": "Responsable des services généraux",
    "structure": "Groupe Seb, Écully",
    "annees_metier": "12.0",
    "annees_inactivite": "0.0",
    "conflit_interets": "Aucun lien avec les candidats ni leurs employeurs.",
    "decision": "certifie",
    "nouvelle_decision": "certifie",
    "decision_label": "Certifié(e)",
    "proposition": "certifie",
    "proposition_blocs": ["RNCP36390BC01", "RNCP36390BC02"],
    "blocs_valides": ["RNCP36390BC01", "RNCP36390BC02"],
    "blocs_valides_ids": BLOCS_IDS,
    "proposition_blocs_ids": BLOCS_IDS,
    "raisons": ["Tous les blocs sont acquis."],
    "details": {"total_points": 712, "seuil_points": 500},
    "contenu": "Procès-verbal du jury de délibération du 30 juin 2026.",
    "membre": "Claire Roux",
    "role": "president",
    "ip": "203.0.113.10",
    "second_facteur": "totp",
    "SignInputRequest.code": "123456",
    "progression": {"total": 24, "ready": 18, "pending": 6, "percent": 75},
}

_SIGNATAIRES = [
    {
        "signataire": example_uuid("signataire"),
        "certificateur": "CCI France",
        "document": "Parchemin",
        "certification": "RNCP36390",
        "qualite": "Le Président de la CCI dont dépend l'établissement de formation",
        "nom": "Claire Roux",
    }
]
_TRANSMISSION = {
    "etat": "transmis",
    "transmis_le": "2026-07-01T10:12:00+02:00",
    "emis_le": None,
    "retourne_le": None,
    "motif_retour": "",
}

ANSWERS = {
    "v1_o_juries_signataires_retrieve": _SIGNATAIRES,
    "v1_o_juries_signataires_create": _SIGNATAIRES,
    "v1_o_juries_transmission_retrieve": _TRANSMISSION,
    "v1_o_juries_transmission_create": _TRANSMISSION,
}
