"""The names of a person's identity fields, in one place (no project import).

The candidate's record, its RGPD export, its API and form, and the civil status a document's
re-issue may correct all name these fields; each reads them here rather than listing them again.
"""

#: Title, sex and names, as a document prints them.
NAME_FIELDS = ("civilite", "sexe", "nom_naissance", "nom_usage", "prenom1", "prenom2", "prenom3")
#: The civil status a re-issue may correct (issue 13, point 5): names, birth date, birth town.
CIVIL_STATUS_FIELDS = (
    *NAME_FIELDS,
    "naissance_annee",
    "naissance_mois",
    "naissance_jour",
    "naissance_commune",
)
#: The coded place of birth (INSEE commune, country).
BIRTH_PLACE_CODE_FIELDS = ("naissance_code_insee", "naissance_pays_code", "naissance_pays")
#: How to reach the person.
CONTACT_FIELDS = ("email", "telephone", "adresse", "code_postal", "ville")
#: A candidate's identity fields: civil status, coded place of birth, contact.
PERSON_FIELDS = (*CIVIL_STATUS_FIELDS, *BIRTH_PLACE_CODE_FIELDS, *CONTACT_FIELDS)
