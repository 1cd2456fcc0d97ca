"""Example contexts, one per kind: the data contract of each template, with realistic values.

``document_request(kind=..., context=EXAMPLES[kind]["context"], holder_name=..., title=...)``
renders a complete document. Tests, previews and the benchmark use them; the jury app builds
the same shapes from its own data. Dates are ISO strings (``DjangoJSONEncoder`` turns ``date``
objects into them); templates print them ``dd/mm/yyyy``.
"""

CENTRE = {
    "nom": "CCI Campus Lyon Métropole",
    "adresse": ["Place de la Bourse", "69002 Lyon"],
    "telephone": "04 72 40 58 58",
    "email": "certification@cci-campus-lyon.example",
}

RNCP36390 = {
    "intitule": "Assistant(e) de gestion et d’administration d’entreprise – Office Manager junior",
    "code": "RNCP36390",
    "niveau": "Niveau 5 (CEC 5)",
}

PARCHEMIN = {
    "certificateur": "CCI France",
    "nom_commercial": "Réseau des écoles de la CCI",
    "nature": "Certification professionnelle",
    "civilite_titulaire": "Madame",
    "naissance": "née le 03/02/1998 à Lyon (69)",
    "intitule": RNCP36390["intitule"],
    "niveau": "5",
    "niveau_cec": "5",
    "repertoire": "RNCP",
    "code_certification": "RNCP36390",
    "numero_enregistrement": "RNCP36390",
    "enregistrement": "Certification enregistrée au Répertoire national des certifications professionnelles "
    "sous le numéro RNCP36390 par décision du directeur général de France compétences en date du "
    "29/03/2022, pour une durée de 3 ans.",
    "codes_nsf": "324 Secrétariat, bureautique",
    "lieu": "Lyon",
    "date_deliberation": "2026-06-12",
    "signataires": [
        ["Le Président de CCI France", "Alexandre Martin"],
        ["Le Président de la CCI Lyon Métropole", "Claire Dubois"],
    ],
}

CERTIFICAT_BLOC = {
    **PARCHEMIN,
    "nature": "Certificat de bloc de compétences",
    "civilite_titulaire": "Monsieur",
    "naissance": "né le 21/07/2000 à Bron (69)",
    "bloc_code": "RNCP36390BC02",
    "bloc_intitule": "Gérer la relation clients et fournisseurs et assurer le suivi administratif des ventes",
}

ATTESTATION = {
    "objet": "Attestation de suivi de formation",
    "emetteur": CENTRE,
    "certificateur": "CCI France",
    "certification": RNCP36390,
    "civilite_titulaire": "Monsieur",
    "naissance": "né le 14/11/2001 à Villeurbanne (69)",
    "formation": {
        "date_debut": "2025-09-01",
        "date_fin": "2026-06-12",
        "duree_heures": 455,
        "modalite": "en alternance",
    },
    "resultat": "À l'issue de la délibération du jury du 12/06/2026, la certification n'a pas été obtenue.",
    "blocs_acquis": [
        {
            "code": "RNCP36390BC01",
            "intitule": "Assurer la gestion administrative et financière courante",
            "date": "2026-06-12",
        },
    ],
    "competences_acquises": [
        "Organiser et suivre les agendas et les déplacements",
        "Rédiger des écrits professionnels",
    ],
    "lieu": "Lyon",
    "signataire": {"qualite": "Directrice du campus", "nom": "Nathalie Perrin"},
}

CONVOCATION = {
    "reference": "CONV-2026-0412",
    "emetteur": CENTRE,
    "civilite_titulaire": "Madame",
    "destinataire": {"adresse": ["12 rue des Tanneurs", "Appartement 4", "69007 Lyon"]},
    "certification": RNCP36390,
    "epreuves": [
        {
            "intitule": "Bloc 1 — Étude de cas",
            "modalite": "Épreuve écrite",
            "date": "2026-06-02",
            "heure": "09:00",
            "duree": "3 h 20 (dont tiers-temps)",
            "lieu": "CCI Campus Lyon",
            "salle": "Salle B204",
            "adresse": ["Place de la Bourse", "69002 Lyon"],
        },
        {
            "intitule": "Bloc 2 — Présentation de projet et soutenance",
            "modalite": "Oral",
            "date": "2026-06-04",
            "heure": "14:30",
            "duree": "40 min",
            "lieu": "CCI Campus Lyon",
            "salle": "Salle C102",
            "adresse": [],
        },
    ],
    "amenagements": ["Tiers-temps (+ 1/3 de la durée des épreuves écrites)", "Salle au rez-de-chaussée"],
    "pieces": ["Pièce d'identité en cours de validité", "Convocation", "Rapport d'activité (2 exemplaires)"],
    "lieu": "Lyon",
    "signataire": {"qualite": "Responsable des certifications", "nom": "Karim Benali"},
}

EMARGEMENT = {
    "reference": "EMARG-2026-0031",
    "emetteur": CENTRE,
    "certification": RNCP36390,
    "session": {
        "intitule": "Bloc 1 — Étude de cas (écrit)",
        "date": "2026-06-02",
        "horaires": "9 h – 12 h",
        "lieu": "CCI Campus Lyon",
        "salle": "Salle B204",
    },
    "creneaux": ["Arrivée", "Départ"],
    "candidats": [
        {"nom": "BERTRAND Lucas", "numero": "D-2026-0101"},
        {"nom": "DIALLO Aminata", "numero": "D-2026-0102", "amenagement": "Tiers-temps"},
        {"nom": "FONTAINE Chloé", "numero": "D-2026-0103"},
        {"nom": "GARCIA Hugo", "numero": "D-2026-0104"},
        {"nom": "LEFÈVRE-DURAND Camille", "numero": "D-2026-0105"},
        {"nom": "NGUYEN Thi Mai", "numero": "D-2026-0106", "amenagement": "Secrétaire"},
    ],
    "surveillants": [
        {"nom": "Paul Roux", "qualite": "Surveillant"},
        {"nom": "Inès Moreau", "qualite": "Surveillante"},
    ],
    "lieu": "Lyon",
}

PROCES_VERBAL = {
    "reference": "PV-2026-0042",
    "emetteur": CENTRE,
    "certificateur": "CCI France",
    "certification": {**RNCP36390, "version": 1},
    "jury": {
        "nom": "Jury de certification — session de juin 2026",
        "date": "2026-06-12",
        "heure": "14 h",
        "lieu": "CCI Campus Lyon, salle du conseil",
    },
    "membres": [
        {
            "nom": "Hélène Garnier",
            "role": "Présidente",
            "qualite": "Personnalité qualifiée, DRH, Groupe Serin",
        },
        {"nom": "Marc Lambert", "role": "Professionnel", "qualite": "Office manager, Atelier Lambert"},
        {
            "nom": "Sofia Haddad",
            "role": "Professionnelle",
            "qualite": "Assistante de direction, Biotech Rhône",
        },
        {"nom": "Jean Petit", "role": "Représentant", "qualite": "CCI France (n'a pas formé les candidats)"},
    ],
    "candidats": [
        {
            "nom": "LEFÈVRE-DURAND Camille",
            "dossier": "D-2026-0105",
            "decision": "Certifiée",
            "decision_code": "certifie",
            "blocs_valides": ["BC01", "BC02", "BC03", "BC04"],
            "resultat": "712/1000",
            "motivation": "",
        },
        {
            "nom": "GARCIA Hugo",
            "dossier": "D-2026-0104",
            "decision": "Validation partielle",
            "decision_code": "partiel",
            "blocs_valides": ["BC01", "BC03"],
            "resultat": "468/1000",
            "motivation": "Bloc 2 : 69/175, minimum 70 non atteint.",
        },
        {
            "nom": "NGUYEN Thi Mai",
            "dossier": "D-2026-0106",
            "decision": "Certifiée",
            "decision_code": "certifie",
            "blocs_valides": ["BC01", "BC02", "BC03", "BC04"],
            "resultat": "498/1000",
            "deroge": True,
            "proposition": "Validation partielle",
            "motivation": "Le jury retient l'évaluation professionnelle (16/20) et l'avis très favorable de l'entreprise.",
        },
        {
            "nom": "BERTRAND Lucas",
            "dossier": "D-2026-0101",
            "decision": "Ajourné",
            "decision_code": "ajourne",
            "blocs_valides": [],
            "resultat": "0/1000",
            "motivation": "Absence non justifiée aux épreuves.",
        },
    ],
    "observations": "Séance ouverte à 14 h et levée à 16 h 30, quorum atteint.",
    "content_hash": "9f2b6c1e8a4d7f3b5e0c2a9d8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
    "signatures": [
        {
            "nom": "Marc Lambert",
            "role": "Professionnel",
            "signed_at": "2026-06-12T16:41:09+02:00",
            "hash": "9f2b6c1e8a4d7f3b5e0c2a9d8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
        },
        {
            "nom": "Sofia Haddad",
            "role": "Professionnelle",
            "signed_at": "2026-06-12T16:43:51+02:00",
            "hash": "9f2b6c1e8a4d7f3b5e0c2a9d8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
        },
        {
            "nom": "Jean Petit",
            "role": "Représentant",
            "signed_at": "2026-06-12T16:45:02+02:00",
            "hash": "9f2b6c1e8a4d7f3b5e0c2a9d8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
        },
        {
            "nom": "Hélène Garnier",
            "role": "Présidente",
            "signed_at": "2026-06-12T16:52:30+02:00",
            "hash": "9f2b6c1e8a4d7f3b5e0c2a9d8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
        },
    ],
    "lieu": "Lyon",
}

PV_INCIDENT = {
    "reference": "INC-2026-0007",
    "emetteur": CENTRE,
    "certification": RNCP36390,
    "session": {
        "intitule": "Bloc 1 — Étude de cas (écrit)",
        "date": "2026-06-02",
        "lieu": "CCI Campus Lyon, salle B204",
    },
    "incident": {
        "nature": "Suspicion de fraude",
        "heure": "10 h 15",
        "description": "Un téléphone allumé a été trouvé sous la copie du candidat.\nLe candidat a reconnu l'avoir consulté.",
        "mesures": "Le téléphone a été confisqué jusqu'à la fin de l'épreuve ; le candidat a terminé l'épreuve.",
    },
    "observations_candidat": "Le candidat déclare avoir regardé l'heure.",
    "temoins": [{"nom": "Paul Roux", "qualite": "surveillant"}],
    "signataires": [["Le surveillant", "Paul Roux"], ["La responsable de session", "Inès Moreau"]],
    "lieu": "Lyon",
}

#: kind → (holder_name, title, context)
EXAMPLES: dict[str, tuple[str, str, dict]] = {
    "parchemin": ("Camille Lefèvre-Durand", RNCP36390["intitule"], PARCHEMIN),
    "certificat_bloc": ("Hugo Garcia", f"Bloc RNCP36390BC02 — {RNCP36390['intitule']}", CERTIFICAT_BLOC),
    "attestation": ("Lucas Bertrand", "Attestation de suivi de formation", ATTESTATION),
    "convocation": ("Camille Lefèvre-Durand", "Convocation aux épreuves", CONVOCATION),
    "emargement": ("", "Feuille d'émargement — Bloc 1, 02/06/2026", EMARGEMENT),
    "proces_verbal": ("", "Procès-verbal — jury du 12/06/2026", PROCES_VERBAL),
    "pv_incident": ("Hugo Garcia", "Procès-verbal d'incident", PV_INCIDENT),
}
