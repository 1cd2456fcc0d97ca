"""The five seed référentiels (referentiels/seeds/*.json) against the documents they transcribe.

Plain pytest: no Django import, the files are read with the json module. Every count below was
made on the source documents (/work/shared/seeds/00[0-4]_*.txt); see referentiels/seeds/README.md
for the judgement calls.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "referentiels" / "seeds"

FILES = {
    "cqpm-attache-gestion": "000",
    "cqpm-management-equipes": "001",
    "cqpm-responsable-affaires": "002",
    "cqpi-assistant": "003",
    "rncp36390": "004",
}

TOP_KEYS = [
    "format",
    "code",
    "kind",
    "version",
    "intitule",
    "certificateur",
    "niveau_national",
    "niveau_europeen",
    "codes_nsf",
    "codes_rome",
    "objectif",
    "date_enregistrement",
    "date_fin_enregistrement",
    "blocs",
    "activites",
    "regle",
]
BLOC_KEYS = ["code", "intitule", "implicite", "modalites", "capacites"]
CAPACITE_KEYS = ["code", "intitule", "conditions", "criteres", "modalites"]
CRITERE_KEYS = ["texte", "groupe"]
MODALITE_KEYS = ["type", "intitule", "duree_minutes", "points", "forme", "notes"]
ACTIVITE_KEYS = ["code", "intitule", "capacites"]
MODALITE_TYPES = {
    "situation_professionnelle_reelle",
    "presentation_projets",
    "situation_reconstituee",
    "avis_entreprise",
    "entretien",
    "etude_de_cas",
    "epreuve_orale",
    "portefeuille_preuves",
    "controle_continu",
    "memoire_soutenance",
    "observation",
    "document_ecrit",
}
FORMES = {"", "ecrit", "oral", "pratique"}


def load(name):
    return json.loads((SEEDS / f"{name}.json").read_text(encoding="utf-8"))


def capacites(data):
    return [c for b in data["blocs"] for c in b["capacites"]]


def criteres(data):
    return [k for c in capacites(data) for k in c["criteres"]]


def capacite(data, code):
    (cap,) = [c for c in capacites(data) if c["code"] == code]
    return cap


def modalites(data):
    return [m for b in data["blocs"] for m in b["modalites"]] + [
        m for c in capacites(data) for m in c["modalites"]
    ]


# --------------------------------------------------------------------------- every file


@pytest.fixture(params=sorted(FILES))
def seed(request):
    return request.param, load(request.param)


def test_all_five_files_present():
    assert sorted(p.stem for p in SEEDS.glob("*.json")) == sorted(FILES)


def test_format_marker_and_key_order(seed):
    _, data = seed
    assert data["format"] == "certif-referentiel/1"
    assert list(data) == TOP_KEYS
    assert list(data["certificateur"]) == ["nom", "siret"]
    assert isinstance(data["version"], int) and data["version"] >= 1
    assert data["kind"] in {"CQPM", "CQPI", "CQP", "RNCP", "RS"}
    assert data["niveau_europeen"] in {"", "NIV3", "NIV4", "NIV5", "NIV6", "NIV7", "NIV8"}
    for bloc in data["blocs"]:
        assert list(bloc) == BLOC_KEYS
        for cap in bloc["capacites"]:
            assert list(cap) == CAPACITE_KEYS
            assert cap["intitule"] and isinstance(cap["conditions"], str)
            for crit in cap["criteres"]:
                assert list(crit) == CRITERE_KEYS
                assert crit["texte"] and crit["texte"] == crit["texte"].strip()
    for mod in modalites(data):
        assert list(mod) == MODALITE_KEYS
        assert mod["type"] in MODALITE_TYPES
        assert mod["forme"] in FORMES
        assert mod["points"] is None or isinstance(mod["points"], int)
        assert mod["duree_minutes"] is None or isinstance(mod["duree_minutes"], int)
    for act in data["activites"]:
        assert list(act) == ACTIVITE_KEYS
    for code in data["codes_nsf"] + data["codes_rome"]:
        assert list(code) == ["code", "libelle"]


def test_canonical_serialisation(seed):
    """Export → import → export is byte-identical: 2-space indent, no ASCII escaping, final newline."""
    name, data = seed
    raw = (SEEDS / f"{name}.json").read_text(encoding="utf-8")
    assert raw == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_no_conversion_artefacts(seed):
    _, data = seed
    raw = json.dumps(data, ensure_ascii=False)
    for artefact in ("<", ">", "**", "☐", "checkbox", "\\t", "  "):
        assert artefact not in raw, artefact


def test_codes_unique(seed):
    _, data = seed
    bloc_codes = [b["code"] for b in data["blocs"]]
    cap_codes = [c["code"] for c in capacites(data)]
    act_codes = [a["code"] for a in data["activites"]]
    assert len(bloc_codes) == len(set(bloc_codes))
    assert len(cap_codes) == len(set(cap_codes))
    assert len(act_codes) == len(set(act_codes))


def test_activites_reference_existing_capacites(seed):
    _, data = seed
    cap_codes = {c["code"] for c in capacites(data)}
    for act in data["activites"]:
        assert act["capacites"], act["code"]
        assert set(act["capacites"]) <= cap_codes, act["code"]


def test_every_capacite_has_criteres(seed):
    _, data = seed
    for cap in capacites(data):
        assert cap["criteres"], cap["code"]


# --------------------------------------------------------------------------- CQPM


@pytest.mark.parametrize(
    "name, intitule, per_capacite, n_modalites",
    [
        ("cqpm-attache-gestion", "Attaché(e) de gestion dans une structure de direction", [3, 4, 4, 4, 4], 4),
        ("cqpm-management-equipes", "Management d'équipe(s) autonome(s)", [4, 4, 4, 4, 4, 4, 4, 4, 5, 4], 2),
        ("cqpm-responsable-affaires", "Responsable d'affaires", [9, 7, 6, 8, 7, 8, 3], 2),
    ],
)
def test_cqpm_structure(name, intitule, per_capacite, n_modalites):
    data = load(name)
    assert data["kind"] == "CQPM"
    assert data["code"] == "CQPM-" + name.removeprefix("cqpm-")
    assert data["intitule"] == intitule
    assert data["certificateur"] == {"nom": "UIMM", "siret": None}
    assert data["regle"] == {"type": "toutes_capacites"}
    assert data["activites"] == []
    assert (data["niveau_national"], data["niveau_europeen"]) == ("", "")
    assert data["codes_nsf"] == data["codes_rome"] == []
    assert data["date_enregistrement"] is None and data["date_fin_enregistrement"] is None
    (bloc,) = data["blocs"]
    assert bloc["code"] == "BLOC-UNIQUE" and bloc["implicite"] is True
    assert [c["code"] for c in bloc["capacites"]] == [str(i) for i in range(1, len(per_capacite) + 1)]
    assert [len(c["criteres"]) for c in bloc["capacites"]] == per_capacite
    assert len(bloc["modalites"]) == n_modalites
    assert all(c["modalites"] == [] for c in bloc["capacites"])
    assert all(c["conditions"] for c in bloc["capacites"])


def test_cqpm_attache_gestion_texts():
    data = load("cqpm-attache-gestion")
    assert len(capacites(data)) == 5 and len(criteres(data)) == 19
    c1 = capacite(data, "1")
    assert c1["intitule"] == (
        "Organiser et coordonner sur un plan administratif les activités de son responsable et celles du service"
    )
    assert c1["conditions"] == (
        "A partir des besoins du service (ou de l'entreprise), dans le cadre de l'activité courante de ce service"
    )
    assert c1["criteres"][0] == {
        "texte": "Les données nécessaires à l'activité sont préparées, disponibles, à jour et conservées de "
        "manière à être exploitables aux échéances fixées et dans les meilleures conditions.",
        "groupe": "",
    }
    assert c1["criteres"][-1]["texte"] == (
        "Le suivi de l'activité est assuré efficacement et dans les délais nécessaires par tout moyen adapté "
        "(compte rendus de réunion, notes de synthèse, ...)."
    )
    c5 = capacite(data, "5")
    assert (
        c5["intitule"]
        == "Assurer l'interface avec les interlocuteurs internes et externes du service et son responsable"
    )
    assert c5["criteres"][-1]["texte"] == (
        "Un compte rendu régulier au responsable du service (ou de l'entreprise) est réalisé."
    )
    assert [m["type"] for m in modalites(data)] == [
        "situation_professionnelle_reelle",
        "presentation_projets",
        "situation_reconstituee",
        "avis_entreprise",
    ]
    assert data["objectif"].startswith("Le (la) titulaire de la qualification collabore avec le dirigeant")
    assert data["objectif"].endswith(
        "5) Assurer l'interface avec les interlocuteurs internes et externes du service et son responsable"
    )


def test_cqpm_management_equipes_texts():
    data = load("cqpm-management-equipes")
    assert len(capacites(data)) == 10 and len(criteres(data)) == 41
    assert capacite(data, "2")["conditions"] == (
        "A partir d'au minimum 2 cas significatifs d'aléas ou d'événements de nature différente, "
        "survenant dans l'horizon du planning."
    )
    assert capacite(data, "9")["conditions"] == (
        "A partir d'au minimum deux situations professionnelles courantes de management."
    )
    # capacité 7: two checkboxes share the first table row
    c7 = capacite(data, "7")
    assert c7["criteres"][0]["texte"] == (
        "Le potentiel et les projets d'évolution de chaque collaborateur sont repérés et formulés au cours "
        "d'un entretien formel."
    )
    assert c7["criteres"][1]["texte"] == (
        "Un plan d'objectifs personnalisé est défini avec chaque collaborateur et proposé à la hiérarchie."
    )
    c10 = capacite(data, "10")
    assert c10["intitule"] == "Conduire les projets d'évolution de son secteur"
    assert c10["criteres"][0]["texte"] == (
        "La participation à des groupes projet dans le secteur ou interservices montre la contribution aux "
        "propositions, solutions, idées nouvelles."
    )
    assert c10["criteres"][-1]["texte"] == (
        "La mise en œuvre de plans d'actions montre la prise en compte des spécificités d'organisation de "
        "l'entreprise et des facteurs humains dans les équipes (induire le changement, motiver, faire "
        "adhérer, faciliter l'appropriation, ...)."
    )
    assert [m["type"] for m in modalites(data)] == ["presentation_projets", "avis_entreprise"]


RES = "En termes de résultats"
MET = "En termes de méthodes et justification des moyens employés"
PROC = "En termes de respect des procédures et instructions"


def test_cqpm_responsable_affaires_groups():
    data = load("cqpm-responsable-affaires")
    assert len(capacites(data)) == 7 and len(criteres(data)) == 48
    per_group = [Counter(k["groupe"] for k in c["criteres"]) for c in capacites(data)]
    assert per_group == [
        {RES: 5, MET: 4},
        {RES: 3, MET: 3, PROC: 1},
        {RES: 2, MET: 2, PROC: 2},
        {RES: 2, MET: 5, PROC: 1},
        {RES: 2, MET: 4, PROC: 1},
        {RES: 1, MET: 6, PROC: 1},
        {RES: 1, MET: 2},
    ]
    # groups come in document order inside each capacité
    order = {RES: 0, MET: 1, PROC: 2}
    for cap in capacites(data):
        ranks = [order[k["groupe"]] for k in cap["criteres"]]
        assert ranks == sorted(ranks), cap["code"]


def test_cqpm_responsable_affaires_texts():
    data = load("cqpm-responsable-affaires")
    c1 = capacite(data, "1")
    assert c1["intitule"] == "Développer et gérer un portefeuille clients"
    assert c1["conditions"] == (
        "A partir d'un portefeuille clients\n"
        "En relation avec les différents services de l'entreprise (services d'études et de méthodes...)\n"
        "A partir des outils, méthodes et moyens mis à disposition"
    )
    assert c1["criteres"][0] == {
        "texte": "La relation avec les clients du portefeuille est préservée.",
        "groupe": RES,
    }
    # sub-bullets stay inside the critère text
    assert c1["criteres"][4] == {
        "texte": "La décision de répondre à une consultation est justifiée et argumentée :\n"
        "• La prestation attendue par le client ou le prospect est cohérente avec les activités de l'entreprise ;\n"
        "• Le client est solvable ;\n"
        "• Les risques techniques et économiques sont restreints ;\n"
        "• ...",
        "groupe": RES,
    }
    assert c1["criteres"][-1]["texte"] == (
        "L'opportunité de répondre à la consultation est évaluée conformément aux directives générales de "
        "l'entreprise :\n"
        "• Les risques techniques et économiques pris sur une affaire sont mesurés et validés à partir des "
        "outils mis à disposition par l'entreprise\n"
        "• La solvabilité du client est vérifiée en mobilisant le concours du service financier de l'entreprise"
    )
    assert capacite(data, "4")["intitule"] == (
        "Coordonner les différentes interventions internes et externes nécessaires à la réalisation de la prestation"
    )
    c7 = capacite(data, "7")
    assert c7["conditions"].startswith(
        "A partir de :\n• l'ensemble des éléments de définition de l'affaire\n"
    )
    assert c7["criteres"][0] == {
        "texte": "Le retour d'expérience est réalisé conformément aux exigences de traçabilité des interventions",
        "groupe": RES,
    }
    assert c7["criteres"][-1] == {
        "texte": "Des propositions d'amélioration sont apportées et justifiées.",
        "groupe": MET,
    }
    assert (
        sum(k["texte"].count("\n• ") for k in criteres(data)) == 37
    )  # 41 "•" in the document, 4 in conditions


# --------------------------------------------------------------------------- CQPI


def test_cqpi_assistant_structure():
    data = load("cqpi-assistant")
    assert data["kind"] == "CQPI"
    assert data["code"] == "CQPI-assistant"
    assert data["intitule"] == "Assistant(e)"
    assert data["certificateur"] == {
        "nom": "Commission Paritaire Nationale Emploi Formation Intersecteur Papier-Carton",
        "siret": None,
    }
    assert data["regle"] == {"type": "tous_blocs"}
    assert data["codes_rome"] == [
        {"code": "M1604", "libelle": "Assistanat de direction"},
        {"code": "M1605", "libelle": "Assistanat technique et administratif"},
        {"code": "M1607", "libelle": "Secrétariat"},
    ]
    assert data["codes_nsf"] == [] and data["niveau_national"] == ""
    assert data["activites"] == []
    assert [b["code"] for b in data["blocs"]] == ["BC1", "BC2", "BC3", "BC4"]
    assert [b["intitule"] for b in data["blocs"]] == [
        "Suivi, coordination des informations et production de documents professionnels",
        "Organisation des activités",
        "Suivi des projets ou des dossiers et traitement des aléas",
        "Communication avec différents interlocuteurs",
    ]
    assert all(not b["implicite"] for b in data["blocs"])
    assert [[c["code"] for c in b["capacites"]] for b in data["blocs"]] == [
        ["1", "2", "3"],
        ["4", "5", "6"],
        ["7", "8"],
        ["9"],
    ]
    assert [len(c["criteres"]) for c in capacites(data)] == [4, 14, 12, 8, 10, 8, 6, 7, 11]
    assert len(criteres(data)) == 80
    assert all(k["groupe"] == "" for k in criteres(data))
    assert [[m["type"] for m in b["modalites"]] for b in data["blocs"]] == [
        ["observation", "entretien"],
        ["observation", "entretien"],
        ["document_ecrit", "entretien"],
        ["observation", "entretien"],
    ]


def test_cqpi_assistant_texts():
    data = load("cqpi-assistant")
    assert [c["intitule"] for c in capacites(data)] == [
        "Réaliser la production de documents professionnels",
        "Coordonner des informations liées à l'activité d'un manager, d'une équipe ou d'un service",
        "Réaliser le suivi administratif ou budgétaire d'un service, d'une équipe",
        "Organiser et planifier ses activités, les activités d'un manager, d'une équipe ou d'un service",
        "Gérer les ressources matérielles d'un service ou d'une équipe",
        "Organiser des réunions ou des événements",
        "Préparer et suivre la planification et le déroulement d'un projet ou d'un dossier",
        "Mettre en œuvre une méthodologie de traitement des aléas",
        "Communiquer avec différents interlocuteurs internes ou externes",
    ]
    c1 = capacite(data, "1")
    assert c1["criteres"][0]["texte"] == (
        "L'ensemble des informations nécessaires à la production d'un document est identifié, recherché à "
        "l'aide de média appropriés et vérifié\n"
        "Les interlocuteurs pertinents sont sollicités afin d'obtenir les informations nécessaires à la "
        "production de document"
    )
    assert c1["criteres"][-1]["texte"] == (
        "Les documents sont rédigés de façon précise et claire et sont conformes aux exigences de l'entreprise\n"
        "Ils sont complets et sont exploitables\n"
        "Le vocabulaire ou la langue est adapté."
    )
    # page break: compétence 2 continues on the next page, compétence 3 starts with the documents comptables
    c2 = capacite(data, "2")
    assert c2["criteres"][-1]["texte"] == (
        "Les dysfonctionnements pouvant être résolus rapidement sont identifiés et traités dans les délais. "
        "Une intervention des services spécialisés est sollicitée à bon escient."
    )
    c3 = capacite(data, "3")
    assert (
        c3["criteres"][0]["texte"] == "Les différents documents comptables ou administratifs sont identifiés."
    )
    assert c3["criteres"][-1]["texte"] == (
        "Les écarts sont identifiés et les interlocuteurs pertinents sont alertés dans les délais."
    )
    c5 = capacite(data, "5")
    assert c5["criteres"][0]["texte"] == (
        "Les stocks de consommables sont suivis avec régularité à l'aide d'un outil de suivi. "
        "Les besoins en consommables sont anticipés."
    )
    c9 = capacite(data, "9")
    assert c9["criteres"][0]["texte"] == (
        "L'interlocuteur est accueilli dans le respect de la distance professionnelle nécessaire, de la "
        "discrétion et des règles de courtoisie"
    )
    assert c9["criteres"][-1]["texte"] == (
        "L'accueil des nouveaux arrivants est préparé, les besoins en outils et ressources matérielles sont "
        "anticipés. Le bureau, les outils et ressources matérielles sont préparés."
    )
    bc3 = data["blocs"][2]["modalites"]
    assert bc3[0]["intitule"] == (
        "Renseignement par le candidat d'un document écrit sur le suivi de projets ou de dossiers qu'il a réalisé"
    )
    assert bc3[0]["forme"] == "ecrit"
    entretien_bc1 = data["blocs"][0]["modalites"][1]
    assert entretien_bc1["notes"].count("\n• ") == 9


# --------------------------------------------------------------------------- RNCP36390


RNCP_BLOCS = ["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC03", "RNCP36390BC04"]


def test_rncp36390_structure():
    data = load("rncp36390")
    assert data["kind"] == "RNCP" and data["code"] == "RNCP36390"
    assert (
        data["intitule"] == "Assistant(e) de gestion et d'administration d'entreprise - Office Manager junior"
    )
    assert data["certificateur"] == {"nom": "CCI France", "siret": None}
    assert [b["code"] for b in data["blocs"]] == RNCP_BLOCS
    assert [b["intitule"] for b in data["blocs"]] == [
        "Participer à l'optimisation du fonctionnement interne de l'unité/service sur les plans administratif "
        "et organisationnel",
        "Opérer le suivi administratif et des conditions de travail du personnel de l'unité/service",
        "Préparer et suivre les éléments de gestion comptable et budgétaire de l'unité/service",
        "Participer au développement commercial de l'unité/service",
    ]
    assert [[c["code"] for c in b["capacites"]] for b in data["blocs"]] == [
        [
            "C.1.1.1",
            "C.1.1.2",
            "C.1.2.1",
            "C.1.2.2",
            "C.1.2.3",
            "C.1.2.4",
            "C.1.3.1",
            "C.1.4.1",
            "C.1.5.1",
            "C.1.5.2",
        ],
        ["C.2.1.1", "C.2.2.1", "C.2.2.2", "C.2.3.1", "C.2.4.1", "C.2.5.1", "C.2.5.2"],
        ["C.3.1.1", "C.3.1.2", "C.3.1.3", "C.3.2.1", "C.3.2.2", "C.3.3.1", "C.3.4.1", "C.3.4.2"],
        ["C.4.1.1", "C.4.2.1", "C.4.3.1", "C.4.3.2", "C.4.4.1", "C.4.4.2", "C.4.5.1"],
    ]
    assert len(capacites(data)) == 32
    # critères shared by several compétences ("En relation avec les compétences X & Y") are repeated
    # under each of them: 92 distinct critères, 124 entries
    assert [[len(c["criteres"]) for c in b["capacites"]] for b in data["blocs"]] == [
        [7, 7, 4, 4, 4, 2, 7, 4, 3, 2],
        [3, 3, 3, 5, 5, 2, 1],
        [5, 5, 2, 2, 2, 3, 4, 3],
        [9, 7, 3, 4, 3, 3, 3],
    ]
    assert len(criteres(data)) == 124
    assert len({(k["texte"], k["groupe"]) for k in criteres(data)}) == 92
    assert [len(b["modalites"]) for b in data["blocs"]] == [5, 4, 3, 5]
    assert all(c["modalites"] == [] and c["conditions"] == "" for c in capacites(data))
    assert (data["niveau_national"], data["codes_nsf"], data["codes_rome"]) == ("", [], [])


def test_rncp36390_activites():
    data = load("rncp36390")
    acts = {a["code"]: a for a in data["activites"]}
    # A.3.2 does not appear in the document
    assert list(acts) == [
        "A.1.1",
        "A.1.2",
        "A.1.3",
        "A.1.4",
        "A.1.5",
        "A.2.1",
        "A.2.2",
        "A.2.3",
        "A.2.4",
        "A.2.5",
        "A.3.1",
        "A.3.3",
        "A.3.4",
        "A.4.1",
        "A.4.2",
        "A.4.3",
        "A.4.4",
        "A.4.5",
    ]
    assert acts["A.1.1"]["intitule"] == (
        "La contribution à l'élaboration, la mise en œuvre et l'amélioration des procédures fonctionnelles "
        "et administratives de l'unité/service"
    )
    assert acts["A.1.1"]["capacites"] == ["C.1.1.1", "C.1.1.2"]
    assert acts["A.1.2"]["capacites"] == ["C.1.2.1", "C.1.2.2", "C.1.2.3", "C.1.2.4"]
    assert acts["A.3.1"]["capacites"] == ["C.3.1.1", "C.3.1.2", "C.3.1.3"]
    assert (
        acts["A.4.5"]["intitule"] == "Le suivi et le reporting de l'activité commerciale de l'unité/service"
    )
    assert acts["A.4.5"]["capacites"] == ["C.4.5.1"]
    # every activité is linked to the compétences numbered after it (A.x.y -> C.x.y.z)
    for code, act in acts.items():
        assert all(c.startswith("C" + code[1:] + ".") for c in act["capacites"])
    linked = {c for a in acts.values() for c in a["capacites"]}
    assert {c["code"] for c in capacites(data)} - linked == {"C.3.2.1", "C.3.2.2"}


def test_rncp36390_texts():
    data = load("rncp36390")
    c111 = capacite(data, "C.1.1.1")
    assert c111["intitule"].startswith(
        "Organiser les procédures fonctionnelles et administratives de l'unité/service, en veillant"
    )
    assert c111["criteres"][0] == {
        "texte": "la raison d'être, l'objectif et le champ d'application de la procédure sont clairement "
        "exposés et mis en perspective,",
        "groupe": "Pertinence et qualité de la procédure élaborée",
    }
    assert (
        c111["criteres"][-1]["groupe"]
        == "Pertinence de la proposition d'amélioration d'une procédure existante"
    )
    assert capacite(data, "C.1.1.2")["criteres"] == c111["criteres"]
    c152 = capacite(data, "C.1.5.2")
    assert c152["criteres"][0]["texte"].startswith(
        "le document est formellement parfaitement exécuté :\n- traitement de texte (respect des règles"
    )
    assert c152["criteres"][-1]["texte"] == (
        "le document est sur le fond parfaitement exécuté (fidélité et clarté de l'information restituée)."
    )
    c231 = capacite(data, "C.2.3.1")
    assert c231["criteres"][0] == {
        "texte": "Les actions permettant le suivi des salariés dans des conditions spécifiques de travail à "
        "distance sont mises en œuvre.",
        "groupe": "",
    }
    assert c231["criteres"][-1]["texte"] == (
        "La tenue des indicateurs et la mise en œuvre des actions de suivi permet le repérage de toute "
        "situation de détresse des salariés, notamment dans un contexte de travail à distance."
    )
    assert capacite(data, "C.3.3.1")["criteres"][-1]["texte"] == (
        "les différentes TVA – déductibles, collectées et en attente – sont identifiées de façon correcte et "
        "la déclaration est établie conformément et en conséquence."
    )
    c421 = capacite(data, "C.4.2.1")
    assert [k["groupe"] for k in c421["criteres"]] == ["Qualité de l'entretien de prospection"] * 7
    assert c421["criteres"][-1]["texte"] == (
        "l'entretien est conclu par une prise de congé, débouchant sur une prise de rendez-vous."
    )
    c451 = capacite(data, "C.4.5.1")
    assert c451["intitule"].startswith("Produire le reporting de l'activité commerciale de l'unité/service")
    assert c451["criteres"][-1]["texte"] == (
        "la restitution des données et leur visualisation permet de mesurer l'évolution de l'activité "
        "commerciale selon différentes périodicités."
    )


def test_rncp36390_modalites():
    data = load("rncp36390")
    types = [[m["type"] for m in b["modalites"]] for b in data["blocs"]]
    assert types == [
        [
            "controle_continu",
            "situation_professionnelle_reelle",
            "etude_de_cas",
            "etude_de_cas",
            "portefeuille_preuves",
        ],
        ["controle_continu", "etude_de_cas", "etude_de_cas", "portefeuille_preuves"],
        ["controle_continu", "etude_de_cas", "portefeuille_preuves"],
        ["controle_continu", "etude_de_cas", "epreuve_orale", "epreuve_orale", "portefeuille_preuves"],
    ]
    cc_points = [b["modalites"][0]["points"] for b in data["blocs"]]
    assert cc_points == [100, 70, 70, 60]
    durees = [[m["duree_minutes"] for m in b["modalites"]] for b in data["blocs"]]
    assert durees == [
        [None, None, 180, 180, None],
        [None, 180, 120, None],
        [None, 210, None],
        [None, 150, None, None, None],
    ]
    bc4 = data["blocs"][3]["modalites"]
    assert [m["points"] for m in bc4[1:4]] == [60, 20, 10]
    assert sum(m["points"] for m in bc4[1:4]) == 90
    assert data["blocs"][1]["modalites"][2]["points"] == 45
    assert data["blocs"][2]["modalites"][1]["points"] == 105


def test_rncp36390_regle():
    regle = load("rncp36390")["regle"]
    assert list(regle) == [
        "type",
        "total_points",
        "seuil_points",
        "blocs",
        "evaluation_professionnelle",
        "note_eliminatoire_sur_20",
        "note_conservation_sur_20",
        "rattrapages_par_bloc",
        "validite_blocs_annees",
        "absence_non_justifiee",
        "penalites_absence",
        "fraude",
    ]
    assert regle["type"] == "grille_points"
    assert (regle["total_points"], regle["seuil_points"]) == (1000, 500)
    assert regle["blocs"] == [
        {
            "bloc": "RNCP36390BC01",
            "points": 250,
            "controle_continu": 100,
            "epreuves": 150,
            "minimum_points": 100,
        },
        {
            "bloc": "RNCP36390BC02",
            "points": 175,
            "controle_continu": 70,
            "epreuves": 105,
            "minimum_points": 70,
        },
        {
            "bloc": "RNCP36390BC03",
            "points": 175,
            "controle_continu": 70,
            "epreuves": 105,
            "minimum_points": 70,
        },
        {
            "bloc": "RNCP36390BC04",
            "points": 150,
            "controle_continu": 60,
            "epreuves": 90,
            "minimum_points": 60,
        },
    ]
    for b in regle["blocs"]:
        assert b["controle_continu"] + b["epreuves"] == b["points"]
        assert b["minimum_points"] * 20 == b["points"] * 8  # minimum = 8/20
    ep = regle["evaluation_professionnelle"]
    assert (ep["points"], ep["minimum_points"]) == (250, 125)
    assert ep["composantes"] == [
        {"code": "ecrit", "libelle": "Écrit", "points": 125},
        {"code": "oral", "libelle": "Oral", "points": 75},
        {"code": "tuteur", "libelle": "Évaluation tuteur", "points": 50},
    ]
    assert sum(b["points"] for b in regle["blocs"]) + ep["points"] == regle["total_points"]
    assert (regle["note_eliminatoire_sur_20"], regle["note_conservation_sur_20"]) == (8, 10)
    assert (regle["rattrapages_par_bloc"], regle["validite_blocs_annees"]) == (1, 5)
    assert regle["absence_non_justifiee"] == "zero"
    assert regle["penalites_absence"] == [
        {"taux_min": 0, "taux_max": 2.5, "penalite_pourcent": 5},
        {"taux_min": 2.5, "taux_max": 5, "penalite_pourcent": 10},
        {"taux_min": 5, "taux_max": 10, "penalite_pourcent": 15},
    ]
    assert regle["fraude"] == "aucun_bloc"
    assert set(RNCP_BLOCS) == {b["bloc"] for b in regle["blocs"]}
