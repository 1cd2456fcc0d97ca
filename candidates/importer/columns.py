"""The import file's columns, their aliases and the values a cell may take."""

import re
import unicodedata

from candidates.models import (
    Dossier,
)

MANDATORY = ("nom_naissance", "prenom1", "sexe", "date_naissance", "referentiel", "voie_acces")
OPTIONAL = (
    "civilite",
    "nom_usage",
    "prenom2",
    "prenom3",
    "commune_naissance",
    "code_insee_naissance",
    "code_pays_naissance",
    "pays_naissance",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
    "statut",
    "date_inscription",
    "blocs",
    "tiers_temps",
    "amenagement_note",
    "entreprise_siret",
    "entreprise_raison_sociale",
    "tuteur_nom",
    "tuteur_prenom",
    "tuteur_email",
)
COLUMNS = MANDATORY + OPTIONAL
ALIASES = {
    "nom": "nom_naissance",
    "nom_de_naissance": "nom_naissance",
    "prenom": "prenom1",
    "premier_prenom": "prenom1",
    "date_de_naissance": "date_naissance",
    "naissance": "date_naissance",
    "code_referentiel": "referentiel",
    "voie_d_acces": "voie_acces",
    "code_insee": "code_insee_naissance",
    "siret": "entreprise_siret",
    "raison_sociale": "entreprise_raison_sociale",
    "tiers_temps_": "tiers_temps",
}
# Candidate model field → column, to name the column in error messages.
FIELD_COLUMN = {
    "naissance_annee": "date_naissance",
    "naissance_mois": "date_naissance",
    "naissance_jour": "date_naissance",
    "naissance_commune": "commune_naissance",
    "naissance_code_insee": "code_insee_naissance",
    "naissance_pays_code": "code_pays_naissance",
    "naissance_pays": "pays_naissance",
}
MAX_ERRORS_KEPT = 500
PREVIEW_ROWS = 20


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower().strip()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return ALIASES.get(text, text)


VOIES = (
    {_key(label): value for value, label in Dossier.VoieAcces.choices}
    | {_key(value): value for value in Dossier.VoieAcces.values}
    | {
        "formation_initiale": Dossier.VoieAcces.FORMATION_INITIALE,
        "apprentissage": Dossier.VoieAcces.APPRENTISSAGE,
        "formation_continue": Dossier.VoieAcces.FORMATION_CONTINUE,
        "contrat_de_professionnalisation": Dossier.VoieAcces.CONTRAT_PRO,
        "contrat_pro": Dossier.VoieAcces.CONTRAT_PRO,
        "vae": Dossier.VoieAcces.VAE,
        "candidat_libre": Dossier.VoieAcces.CANDIDAT_LIBRE,
        "equivalence": Dossier.VoieAcces.EQUIVALENCE,
        # Job seekers in training follow formation continue (France compétences' list).
        "demandeur_d_emploi": Dossier.VoieAcces.FORMATION_CONTINUE,
    }
)
STATUTS = (
    {_key(v): v for v in Dossier.StatutProfessionnel.values}
    | {_key(label): value for value, label in Dossier.StatutProfessionnel.choices}
    | {"salarie_e": "salarie", "apprenti_e": "apprenti"}
)
CIVILITES = {"m": "M", "m_": "M", "monsieur": "M", "mr": "M", "mme": "MME", "madame": "MME", "mme_": "MME"}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux", ""}
