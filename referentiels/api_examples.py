"""Example values of the catalogue's fields in the published schema (``core.schema_examples``):
the seed RNCP36390 (CCI France), its first bloc and capacité."""

from core.schema_examples import example_uuid

INTITULE_RNCP = "Assistant(e) de gestion et d'administration d'entreprise - Office Manager junior"
INTITULE_BLOC = (
    "Participer à l'optimisation du fonctionnement interne de l'unité/service sur les plans "
    "administratif et organisationnel"
)
INTITULE_CAPACITE = (
    "Organiser les procédures fonctionnelles et administratives de l'unité/service, en veillant à "
    "leur application dans le respect des consignes établies avec son(es) responsable(s)."
)

VALUES = {
    "referentiel": "RNCP36390",
    "referentiel_code": "RNCP36390",
    "certification_code": "RNCP36390",
    "code_certification": "RNCP36390",
    "Referentiel.code": "RNCP36390",
    "ReferentielDetail.code": "RNCP36390",
    "Referentiel.intitule": INTITULE_RNCP,
    "ReferentielDetail.intitule": INTITULE_RNCP,
    "certificateur": "cci-france",
    "certificateur_nom": "CCI France",
    "niveau_national": "5",
    "niveau_europeen": "5",
    "Bloc.code": "RNCP36390BC01",
    "PublishedBloc.code": "RNCP36390BC01",
    "DossierBloc.code": "RNCP36390BC01",
    "Bloc.intitule": INTITULE_BLOC,
    "DossierBloc.intitule": INTITULE_BLOC,
    "Capacite.code": "C.1.1.1",
    "Capacite.intitule": INTITULE_CAPACITE,
    "CommissionRow.intitule": INTITULE_CAPACITE,
    "Critere.texte": "La procédure est documentée et formalisée.",
    "Critere.groupe": "Pertinence et qualité de la procédure élaborée",
    "Modalite.intitule": "Points de contrôle continu",
    "bloc": "RNCP36390BC01",
    "blocs": ["RNCP36390BC01", "RNCP36390BC02"],
    "capacite": "C.1.1.1",
    "capacites": ["C.1.1.1"],
    "Nsf.code": "324",
    "NsfRequest.code": "324",
    "libelle": "Secrétariat, bureautique",
    "numero": "RNCP36390",
    "repertoire": "RNCP",
    "mention": "Certification enregistrée au RNCP sous le n° 36390",
    "reference_jo": "Décision de France compétences du 25 mai 2022",
    "source": "France compétences",
    "centre": "cci-lyon",
    "note": "Habilitation accordée pour le site de Lyon Part-Dieu.",
    "fiches": ["RNCP36390"],
    "numeros": ["RNCP36390"],
    "fichier": "rncp36390.json",
    "status_display": "Terminé",
    "preview": {"total": 1, "referentiels": [{"code": "RNCP36390", "version": 1, "action": "créé"}]},
    "Regle.regle": {
        "type": "grille_points",
        "total_points": 1000,
        "seuil_points": 500,
        "blocs": [
            {
                "bloc": "RNCP36390BC01",
                "points": 250,
                "controle_continu": 100,
                "epreuves": 150,
                "minimum_points": 100,
            }
        ],
    },
    "RegleRequest.regle": {
        "type": "grille_points",
        "total_points": 1000,
        "seuil_points": 500,
        "blocs": [
            {
                "bloc": "RNCP36390BC01",
                "points": 250,
                "controle_continu": 100,
                "epreuves": 150,
                "minimum_points": 100,
            }
        ],
    },
    # RNCP36390's default (seed 004, §7): what the family gives when the version has no rules of its own
    "CompositionJury.composition_jury": {},
    "CompositionJuryRequest.composition_jury": {"observateurs_admis": False},
    "CompositionJury.appliquee": {
        "libelle": "Jury de certification CCI France (RNCP36390)",
        "roles": {"president": 1, "professionnel": 2, "representant": 1},
        "minimum_votants": 4,
        "president_personnalite_qualifiee": True,
        "representant_sans_formation": True,
        "paritaire": False,
        "annees_metier_min": 1,
        "inactivite_max_annees": 3,
        "observateurs_admis": True,
        "delai_publication_semaines": 6,
        "notes_epreuves_confidentielles": True,
        "texte": "4 personnes : 1 président, personnalité qualifiée du monde économique ; 2 professionnels "
        "qualifiés représentatifs du métier cible ; 1 représentant de l'établissement n'ayant pas formé "
        "les apprenants. Observateur admis. Chaque membre a exercé ou encadré le métier cible au moins "
        "1 an et n'est pas inactif depuis plus de 3 ans.",
    },
    "Regle.description": "Certification obtenue avec au moins 500 points sur 1 000, chaque bloc au minimum requis.",
    "modalite": "controle_continu",
    "modalite_id": example_uuid("modalite"),
    "capacite_id": example_uuid("capacite"),
    "capacite_ids": [example_uuid("capacite")],
    "bloc_id": example_uuid("bloc"),
    "DossierBloc.id": example_uuid("bloc"),
    "PublishedBloc.id": example_uuid("bloc"),
    "ImportResult.referentiels": [
        {"code": "RNCP36390", "version": 1, "action": "créé", "blocs": 4, "capacites": 32}
    ],
    "ImportResult.ignorees": [
        {
            "code": "RNCP12345",
            "intitule": "Fiche d'un autre certificateur",
            "raison": "Certificateur différent",
        }
    ],
    "progress": {"percent": 40, "fiches": 120},
    "ReferentielDetail.document": {
        "format": "certif-referentiel/1",
        "code": "RNCP36390",
        "kind": "RNCP",
        "version": 1,
        "intitule": INTITULE_RNCP,
        "blocs": [{"code": "RNCP36390BC01", "intitule": INTITULE_BLOC, "capacites": [{"code": "C.1.1.1"}]}],
    },
    "duree_ans": 5,
    "total_ignorees": 1,
    "habilitations": 3,
}

ANSWERS = {
    # The exchange format certif-referentiel/1 (the same text as ?format=yaml).
    "v1_referentiels_export_retrieve": VALUES["ReferentielDetail.document"],
}
