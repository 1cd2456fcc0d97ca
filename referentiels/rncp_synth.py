"""Synthetic France compétences RNCP export (flux V4.1 shape) for tests and benchmarks.

Same element names and order as ``/work/shared/formats/rncp-fiches-sample.xml``. By default
the sizes are realistic, about 20 KB per fiche: 2 to 5 blocs of 3 to 8 capacités, written in
the four LISTE_COMPETENCES styles of the sample; long free texts; SI_JURY_*, publications and
statistics; tens of partenaires; one fiche in 100 with 400 partenaires, like RNCP37674; some
CDATA. Fiches are numbered ``RNCP9000000 + i`` (i from 0), so they never collide with real
fiches. The file is written fiche by fiche from pools of pre-rendered texts, so only one fiche
is in memory at a time. 25,000 realistic fiches (~500 MB) take about 8 s to write.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import date, timedelta

__all__ = ["FIRST_NUMBER", "synthetic_numero", "write_synthetic_export"]

FIRST_NUMBER = 9_000_000
BIG_FICHE_EVERY = 100  # every 100th fiche is a big one, like RNCP37674 (471 partenaires)

_VERBES = (
    "Analyser",
    "Concevoir",
    "Piloter",
    "Organiser",
    "Évaluer",
    "Rédiger",
    "Mettre en œuvre",
    "Contrôler",
    "Accompagner",
    "Élaborer",
    "Coordonner",
    "Développer",
    "Identifier",
    "Animer",
    "Établir",
    "Déployer",
    "Assurer",
    "Préparer",
    "Superviser",
    "Communiquer",
)
_NOMS = (
    "le plan d’action",
    "les besoins du client",
    "la démarche qualité",
    "les indicateurs de performance",
    "le budget prévisionnel",
    "les ressources humaines",
    "la stratégie commerciale",
    "le cahier des charges",
    "les risques professionnels",
    "la conformité réglementaire",
    "l’équipe projet",
    "les données de gestion",
    "la veille technologique",
    "les procédures internes",
    "le dialogue social",
    "la relation fournisseurs",
    "les outils numériques",
    "la politique RSE",
    "les processus de production",
    "la R&D",
)
_COMPLEMENTS = (
    "afin de garantir la satisfaction des parties prenantes",
    "en tenant compte des contraintes économiques et environnementales",
    "dans le respect de la législation en vigueur",
    "en mobilisant les méthodes et outils adaptés",
    "pour contribuer à la performance globale de l’organisation",
    "en s’appuyant sur une analyse des écarts constatés",
    "selon les orientations stratégiques de la direction",
    "en intégrant les enjeux d’accessibilité et d’inclusion des personnes en situation de handicap",
    "dans un contexte national et international",
    "en veillant à la sécurité des personnes et des biens",
)
_MOTS = (
    "le titulaire",
    "exerce",
    "au sein",
    "des entreprises",
    "de toute taille",
    "du secteur privé",
    "et public",
    "il contribue",
    "à la gestion",
    "des activités",
    "en lien avec",
    "la direction",
    "les équipes",
    "opérationnelles",
    "et les partenaires",
    "externes",
    "selon",
    "les procédures",
    "de l’établissement",
    "qualité",
    "sécurité",
    "environnement",
    "le cas échéant",
    "notamment",
    "l’évaluation",
    "des résultats",
    "obtenus",
    "et la proposition",
    "d’actions correctives",
)
_ABREGES = (
    ("TP", "Titre professionnel"),
    ("BTS", "Brevet de technicien supérieur"),
    ("CS", "Certificat de spécialisation"),
    ("DipViGrM", "Diplôme visé grade de master"),
    ("CQP", "Certificat de qualification professionnelle"),
    ("LP", "Licence Professionnelle"),
)
_NSF = (
    ("310", "Spécialités plurivalentes des échanges et de la gestion"),
    ("315t", "Etablissement de la paie"),
    ("326", "Informatique, traitement de l'information, réseaux de transmission"),
    ("312", "Commerce, vente"),
    ("331", "Santé"),
    ("250", "Spécialités pluritechnologiques mécanique-électricité"),
)
_ROME = (
    ("M1604", "Assistanat de direction"),
    ("M1501", "Assistanat en ressources humaines"),
    ("M1805", "Études et développement informatique"),
    ("D1402", "Relation commerciale grands comptes"),
    ("H1206", "Management et ingénierie études, recherche et développement industriel"),
)
_FORMACODES = (
    ("32054", "Gestion des organisations"),
    ("31090", "Développement web"),
    ("35014", "Secrétariat assistanat ressources humaines"),
    ("34054", "Gestion commerciale achats"),
    ("31045", "Cybersécurité"),
)
_DECRETS = ("PUBLICATION_DECRET_GENERAL", "PUBLICATION_DECRET_CREATION", "PUBLICATION_DECRET_AUTRE")
_JURYS = ("SI_JURY_FI", "SI_JURY_CA", "SI_JURY_FC", "SI_JURY_CQ", "SI_JURY_CL", "SI_JURY_VAE")


def synthetic_numero(i: int) -> str:
    """NUMERO_FICHE of the i-th synthetic fiche (0-based)."""
    return f"RNCP{FIRST_NUMBER + i}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unesc(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Gen:
    """Random choices over pools of pre-rendered, already escaped texts: each fiche is cheap."""

    def __init__(self, seed: int, certificateur: str = "") -> None:
        self.certificateur = certificateur
        self.rng = rng = random.Random(seed)
        self.capacites = [
            _esc(
                f"{rng.choice(_VERBES)} {rng.choice(_NOMS)} {rng.choice(_COMPLEMENTS)}"
                + (f", {' '.join(rng.sample(_MOTS, rng.randint(2, 8)))}" if rng.random() < 0.5 else "")
            )
            for _ in range(500)
        ]
        phrases = [" ".join(rng.choices(_MOTS, k=rng.randint(8, 22))).capitalize() + "." for _ in range(500)]
        # prose[k]: k sentences; paragraph breaks are runs of spaces, as in the real export.
        self.prose = {
            k: [
                _esc("    ".join(" ".join(chunk[j : j + 3]) for j in range(0, k, 3)))
                for chunk in (rng.sample(phrases, k) for _ in range(60))
            ]
            for k in range(1, 13)
        }
        self.dates = [
            (date(2015, 1, 1) + timedelta(days=rng.randrange(13 * 365))).strftime("%d/%m/%Y")
            for _ in range(2000)
        ]
        self.partenaires = [
            f"      <PARTENAIRE>\n        <NOM_PARTENAIRE>CENTRE DE FORMATION {k} &amp; ASSOCIES</NOM_PARTENAIRE>\n"
            f"        <SIRET_PARTENAIRE>{self.siret()}</SIRET_PARTENAIRE>\n"
            f"        <HABILITATION_PARTENAIRE>HABILITATION_{'FORMER' if k % 30 == 0 else 'ORGA_FORM'}"
            "</HABILITATION_PARTENAIRE>\n        <ETAT_HABILITATION>Actif</ETAT_HABILITATION>\n"
            + (f"        <DATE_ACTIF>{self.date()}</DATE_ACTIF>\n" if k % 3 else "")
            + f"        <DATE_DERNIERE_MODIFICATION_ETAT>{self.date()}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
            "      </PARTENAIRE>\n"
            for k in range(1000)
        ]

    def text(self, low: int, high: int) -> str:
        return self.rng.choice(self.prose[self.rng.randint(low, high)])

    def date(self) -> str:
        return self.rng.choice(self.dates)

    def siret(self) -> str:
        return str(self.rng.randrange(10**13, 10**14))

    def liste_competences(self, bloc: int, n: int) -> str:
        rng = self.rng
        caps = rng.sample(self.capacites, n)
        style = rng.randrange(4)
        if style == 0:  # coded, like RNCP34762: "A1C1. …      A1C2.…", sometimes after an introduction
            intro = "En mobilisant une analyse du contexte :    " if rng.random() < 0.3 else ""
            return intro + "      ".join(f"A{bloc}C{k}. {c}" for k, c in enumerate(caps, 1))
        if style == 1:  # bullets, like RNCP37488
            return "      ".join(f"* {c}" for c in caps)
        if style == 2:  # one sentence per line, like RNCP36612
            return "    ".join(f"{c}." for c in caps)
        return "  ".join(caps)  # like RNCP37674

    def code_list(self, container: str, item: str, pool: tuple[tuple[str, str], ...], high: int) -> str:
        items = "".join(
            f"      <{item}>\n        <CODE>{code}</CODE>\n        <LIBELLE>{_esc(libelle)}</LIBELLE>\n"
            f"      </{item}>\n"
            for code, libelle in self.rng.sample(pool, self.rng.randint(1, high))
        )
        return f"    <{container}>\n{items}    </{container}>\n"

    def partenaires_xml(self, n: int) -> str:
        first = self.rng.randrange(len(self.partenaires) - n)
        return "    <PARTENAIRES>\n" + "".join(self.partenaires[first : first + n]) + "    </PARTENAIRES>\n"

    def blocs_xml(
        self, numero: str, n_blocs: int, capacites: tuple[int, int], modalites: tuple[int, int]
    ) -> str:
        rng = self.rng
        out = ["    <BLOCS_COMPETENCES>\n"]
        for b in range(1, n_blocs + 1):
            out.append(
                f"      <BLOC_COMPETENCES>\n        <CODE>{numero}BC{b:02d}</CODE>\n"
                f"        <LIBELLE>{_esc(rng.choice(_VERBES))} {_esc(rng.choice(_NOMS))} (bloc {b})</LIBELLE>\n"
                f"        <LISTE_COMPETENCES>{self.liste_competences(b, rng.randint(*capacites))}"
                "</LISTE_COMPETENCES>\n"
                f"        <MODALITES_EVALUATION>{self.text(*modalites)}</MODALITES_EVALUATION>\n"
                "      </BLOC_COMPETENCES>\n"
            )
        out.append("    </BLOCS_COMPETENCES>\n")
        return "".join(out)

    def head(self, i: int, numero: str, full: bool) -> list[str]:
        """ID_FICHE … CERTIFICATEURS, in the sample's order."""
        rng = self.rng
        out = [
            f"  <FICHE>\n    <ID_FICHE>{900000 + i}</ID_FICHE>\n    <NUMERO_FICHE>{numero}</NUMERO_FICHE>\n"
        ]
        if rng.random() < 0.1:
            out.append(
                "    <NOUVELLES_CERTIFICATIONS>\n      <NOUVELLE_CERTIFICATION>\n"
                f"        <ID_FICHE_NOUVELLE_CERTIFICATION>RNCP{rng.randrange(30000, 40000)}"
                "</ID_FICHE_NOUVELLE_CERTIFICATION>\n      </NOUVELLE_CERTIFICATION>\n"
                "    </NOUVELLES_CERTIFICATIONS>\n"
            )
        if rng.random() < 0.5:
            out.append(
                "    <ANCIENNES_CERTIFICATIONS>\n      <ANCIENNE_CERTIFICATION>\n"
                f"        <ID_FICHE_ANCIENNE_CERTIFICATION>RNCP{rng.randrange(10000, 30000)}"
                "</ID_FICHE_ANCIENNE_CERTIFICATION>\n      </ANCIENNE_CERTIFICATION>\n"
                "    </ANCIENNES_CERTIFICATIONS>\n"
            )
        out.append(
            f"    <INTITULE>{_esc(rng.choice(_VERBES))} {_esc(rng.choice(_NOMS))} – parcours {i}</INTITULE>\n"
        )
        if rng.random() < 0.53:
            code, libelle = rng.choice(_ABREGES)
            out.append(
                f"    <ABREGE>\n      <CODE>{code}</CODE>\n      <LIBELLE>{libelle}</LIBELLE>\n    </ABREGE>\n"
            )
        out.append("    <ETAT_FICHE>Publiée</ETAT_FICHE>\n")
        out.append(self.code_list("FORMACODES", "FORMACODE", _FORMACODES, 5 if full else 1))
        niveau = rng.randint(3, 8)
        out.append(
            f"    <NOMENCLATURE_EUROPE>\n      <NIVEAU>NIV{niveau}</NIVEAU>\n"
            f"      <LIBELLE>Niveau {niveau}</LIBELLE>\n    </NOMENCLATURE_EUROPE>\n"
        )
        out.append(self.code_list("CODES_NSF", "NSF", _NSF, 3 if full else 1))
        out.append("    <CERTIFICATEURS>\n")
        for index in range(rng.randint(1, 2) if full else 1):
            siret = (
                f"        <SIRET_CERTIFICATEUR>{self.siret()}</SIRET_CERTIFICATEUR>\n"
                if rng.random() > 0.31
                else ""
            )
            nom = f"ORGANISME CERTIFICATEUR {rng.randrange(5000)}"
            if self.certificateur and index == 0:
                nom, siret = self.certificateur, ""  # the importing certificateur first (bench)
            out.append(
                f"      <CERTIFICATEUR>\n{siret}"
                f"        <NOM_CERTIFICATEUR>{nom}</NOM_CERTIFICATEUR>\n"
                "        <ETAT_CERTIFICATEUR>Actif</ETAT_CERTIFICATEUR>\n"
                f"        <DATE_DERNIERE_MODIFICATION_ETAT>{self.date()}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
                "      </CERTIFICATEUR>\n"
            )
        out.append("    </CERTIFICATEURS>\n")
        return out


def _fiche(g: _Gen, i: int) -> str:
    """A realistic fiche, every element of the sample in the sample's order."""
    rng = g.rng
    numero = synthetic_numero(i)
    de_droit = rng.random() < 0.45
    out = g.head(i, numero, full=True)
    w = out.append
    n_part = 400 if i % BIG_FICHE_EVERY == BIG_FICHE_EVERY - 1 else rng.choice((0, 0, 2, 5, 15))
    w(f"    <EXISTENCE_PARTENAIRES>{'Oui' if n_part else 'Non'}</EXISTENCE_PARTENAIRES>\n")
    if n_part:
        w(g.partenaires_xml(n_part))
    _fiche_texts(g, w)
    _fiche_jurys_decrets(g, w)
    debut = g.date()
    if not de_droit:
        w(
            f"    <DATE_DERNIER_JO>{g.date()}</DATE_DERNIER_JO>\n    <DATE_DECISION>{debut}</DATE_DECISION>\n"
            "    <DUREE_ENREGISTREMENT>5</DUREE_ENREGISTREMENT>\n"
        )
    _fiche_statistiques(g, w)
    w(f"    <LIEN_URL_DESCRIPTION>https://exemple.fr/certification/{numero}</LIEN_URL_DESCRIPTION>\n")
    w(f"    <DATE_FIN_ENREGISTREMENT>{g.date()}</DATE_FIN_ENREGISTREMENT>\n")
    if de_droit:
        w(f"    <DATE_EFFET>{debut}</DATE_EFFET>\n")
    w(
        f"    <TYPE_ENREGISTREMENT>Enregistrement {'de droit' if de_droit else 'sur demande'}</TYPE_ENREGISTREMENT>\n"
    )
    w(g.blocs_xml(numero, rng.randint(2, 5), (3, 8), (1, 5)))
    w(f"    <OBJECTIFS_CONTEXTE>{g.text(2, 8)}</OBJECTIFS_CONTEXTE>\n")
    w(f"    <ACTIF>{'Oui' if rng.random() < 0.8 else 'Non'}</ACTIF>\n")
    if rng.random() < 0.5:
        w(f"    <PREREQUIS_ENTREE_FORMATION>{g.text(1, 2)}</PREREQUIS_ENTREE_FORMATION>\n")
    if de_droit:
        w(f"    <DATE_DE_PUBLICATION>{g.date()}</DATE_DE_PUBLICATION>\n")
    _fiche_correspondances(g, w, numero)
    w("  </FICHE>\n")
    return "".join(out)


def _fiche_texts(g: _Gen, w: Callable[[str], object]) -> None:
    """Activités visées, capacités attestées, secteurs, emplois, codes ROME."""
    rng = g.rng
    activites = (
        "Les principales activités sont :        "
        + "      ".join(f"* {c}" for c in rng.sample(g.capacites, rng.randint(4, 10)))
        + "    "
        + g.text(2, 8)
    )
    if rng.random() < 0.1:  # some free texts are CDATA in the real export
        w(f"    <ACTIVITES_VISEES><![CDATA[{_unesc(activites)}]]></ACTIVITES_VISEES>\n")
    else:
        w(f"    <ACTIVITES_VISEES>{activites}</ACTIVITES_VISEES>\n")
    capacites = "Les compétences attestées sont les suivantes :       " + "      ".join(
        f"C{k}. {c}" for k, c in enumerate(rng.sample(g.capacites, rng.randint(4, 12)), 1)
    )
    w(f"    <CAPACITES_ATTESTEES>{capacites}</CAPACITES_ATTESTEES>\n")
    w(f"    <SECTEURS_ACTIVITE>{g.text(1, 4)}</SECTEURS_ACTIVITE>\n")
    w(f"    <TYPE_EMPLOI_ACCESSIBLES>{g.text(1, 2)}</TYPE_EMPLOI_ACCESSIBLES>\n")
    w(g.code_list("CODES_ROME", "ROME", _ROME, 5))


def _fiche_jurys_decrets(g: _Gen, w: Callable[[str], object]) -> None:
    """The juries by access route, the overseas accessibility, the decrees published at the JO."""
    rng = g.rng
    for jury in _JURYS:
        if rng.random() < 0.8:
            w(
                f"    <{jury}>\n      <ACTIF>Oui</ACTIF>\n      <COMPOSITION>- 1 Président (personnalité qualifiée)"
                f"    - 2 professionnels qualifiés du secteur d’activité</COMPOSITION>\n    </{jury}>\n"
            )
        else:
            w(f"    <{jury}>\n      <ACTIF>Non</ACTIF>\n    </{jury}>\n")
    w(
        "    <ACCESSIBLE_NOUVELLE_CALEDONIE>Non</ACCESSIBLE_NOUVELLE_CALEDONIE>\n"
        "    <ACCESSIBLE_POLYNESIE_FRANCAISE>Non</ACCESSIBLE_POLYNESIE_FRANCAISE>\n"
    )
    for decret in _DECRETS:
        jo = g.date()
        w(
            f"    <{decret}>\n      <PUBLICATION_JO>\n        <TITRE>Arrêté du {jo} portant enregistrement"
            " au répertoire national des certifications professionnelles.</TITRE>\n"
            f"        <DATE_PUBLICATION_JO>{jo}</DATE_PUBLICATION_JO>\n      </PUBLICATION_JO>\n    </{decret}>\n"
        )


def _fiche_statistiques(g: _Gen, w: Callable[[str], object]) -> None:
    rng = g.rng
    w("    <STATISTIQUES_PROMOTIONS>\n")
    for annee in (2019, 2018):
        w(
            f"      <STATISTIQUES_PROMOTION>\n        <ANNEE>{annee}</ANNEE>\n"
            f"        <NOMBRE_CERTIFIES>{rng.randrange(300)}</NOMBRE_CERTIFIES>\n"
            f"        <NOMBRE_CERTIFIES_VAE>{rng.randrange(10)}</NOMBRE_CERTIFIES_VAE>\n"
            f"        <TAUX_INSERTION_GLOBAL_6MOIS>{rng.randrange(100)}</TAUX_INSERTION_GLOBAL_6MOIS>\n"
            f"        <TAUX_INSERTION_METIER_2ANS>{rng.randrange(100)}</TAUX_INSERTION_METIER_2ANS>\n"
            "      </STATISTIQUES_PROMOTION>\n"
        )
    w("    </STATISTIQUES_PROMOTIONS>\n")


def _fiche_correspondances(g: _Gen, w: Callable[[str], object], numero: str) -> None:
    """One fiche in five maps its first bloc to another fiche's."""
    rng = g.rng
    if rng.random() < 0.2:
        autre = f"RNCP{rng.randrange(10000, 30000)}"
        w(
            "    <CORRESPONDANCES>\n      <CORRESPONDANCE>\n        <SOURCE>\n          <BLOC_COMPETENCES>\n"
            f"            <CODE>{numero}BC01</CODE>\n          </BLOC_COMPETENCES>\n        </SOURCE>\n"
            f"        <DESTINATION>\n          <NUMERO_FICHE>{autre}</NUMERO_FICHE>\n"
            f"          <BLOC_COMPETENCES>\n            <CODE>{autre}BC01</CODE>\n          </BLOC_COMPETENCES>\n"
            "        </DESTINATION>\n      </CORRESPONDANCE>\n    </CORRESPONDANCES>\n"
        )


def _compact_fiche(g: _Gen, i: int) -> str:
    """Same order, ~20 elements (one bloc), short texts: ~1 KB, for fast memory tests."""
    rng = g.rng
    numero = synthetic_numero(i)
    niveau = rng.randint(3, 8)
    n_part = 25 if i % BIG_FICHE_EVERY == BIG_FICHE_EVERY - 1 else 0
    return "".join(
        (
            f"  <FICHE>\n    <ID_FICHE>{900000 + i}</ID_FICHE>\n    <NUMERO_FICHE>{numero}</NUMERO_FICHE>\n"
            f"    <INTITULE>{_esc(rng.choice(_VERBES))} {_esc(rng.choice(_NOMS))} – parcours {i}</INTITULE>\n"
            "    <ETAT_FICHE>Publiée</ETAT_FICHE>\n"
            f"    <NOMENCLATURE_EUROPE>\n      <NIVEAU>NIV{niveau}</NIVEAU>\n"
            f"      <LIBELLE>Niveau {niveau}</LIBELLE>\n    </NOMENCLATURE_EUROPE>\n"
            "    <CERTIFICATEURS>\n      <CERTIFICATEUR>\n"
            f"        <SIRET_CERTIFICATEUR>{g.siret()}</SIRET_CERTIFICATEUR>\n"
            f"        <NOM_CERTIFICATEUR>ORGANISME CERTIFICATEUR {rng.randrange(5000)}</NOM_CERTIFICATEUR>\n"
            "        <ETAT_CERTIFICATEUR>Actif</ETAT_CERTIFICATEUR>\n"
            f"        <DATE_DERNIERE_MODIFICATION_ETAT>{g.date()}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
            "      </CERTIFICATEUR>\n    </CERTIFICATEURS>\n"
            f"    <EXISTENCE_PARTENAIRES>{'Oui' if n_part else 'Non'}</EXISTENCE_PARTENAIRES>\n",
            g.partenaires_xml(n_part) if n_part else "",
            f"    <DATE_FIN_ENREGISTREMENT>{g.date()}</DATE_FIN_ENREGISTREMENT>\n"
            "    <TYPE_ENREGISTREMENT>Enregistrement de droit</TYPE_ENREGISTREMENT>\n",
            g.blocs_xml(numero, 1, (2, 4), (1, 1)),
            f"    <ACTIF>{'Oui' if rng.random() < 0.8 else 'Non'}</ACTIF>\n"
            f"    <DATE_DE_PUBLICATION>{g.date()}</DATE_DE_PUBLICATION>\n  </FICHE>\n",
        )
    )


def write_synthetic_export(
    path: str | os.PathLike[str],
    n_fiches: int,
    *,
    seed: int = 0,
    compact: bool = False,
    certificateur: str = "",
) -> None:
    """Write ``n_fiches`` synthetic fiches (``RNCP9000000`` …) to ``path``, streaming to disk.

    Deterministic for a given ``seed``. Realistic sizes by default (see the module docstring).
    ``compact=True`` writes small fiches in the same element order: about 20 elements, one bloc
    of 2 to 4 capacités, short texts, and one fiche in 100 with 25 partenaires (~1.3 KB per
    fiche). It is for memory tests that must parse tens of thousands of fiches quickly.
    ``certificateur`` names the first certificateur of every full fiche (so that an import by
    that organisation takes them all); by default they are random organisations.
    """
    g = _Gen(seed, certificateur)
    make = _compact_fiche if compact else _fiche
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>\n")
        for i in range(n_fiches):
            out.write(make(g, i))
        out.write("</FICHES>\n")
