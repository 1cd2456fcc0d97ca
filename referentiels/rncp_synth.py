"""Synthetic France compétences RNCP export (flux V4.1 shape) for tests and benchmarks.

Same element names and order as ``/work/shared/formats/rncp-fiches-sample.xml``; realistic
sizes (several blocs per fiche, long free texts, tens of partenaires, a big fiche with
400 partenaires every 100 fiches, some CDATA). Fiches are numbered ``RNCP9000000 + i``
(i from 0) so they never collide with real fiches. The file is written fiche by fiche: nothing
but one fiche is held in memory, and 25,000 fiches take a few seconds.
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from typing import NamedTuple

__all__ = ["FIRST_NUMBER", "write_synthetic_export", "synthetic_numero"]

FIRST_NUMBER = 9_000_000
BIG_FICHE_EVERY = 100  # every 100th fiche is a big one, like RNCP37674 (471 partenaires)


class _Profile(NamedTuple):
    blocs: tuple[int, int]  # min, max blocs per fiche
    capacites: tuple[int, int]  # capacités per bloc
    modalites: tuple[int, int]  # sentences of MODALITES_EVALUATION
    activites: tuple[int, int]  # bullets of ACTIVITES_VISEES
    prose: tuple[int, int]  # sentences of the other free texts
    attestees: tuple[int, int]  # coded lines of CAPACITES_ATTESTEES
    partenaires: tuple[int, ...]  # drawn from
    big_partenaires: int
    codes: int  # max FORMACODE / NSF / ROME
    full: bool  # SECTEURS_ACTIVITE, SI_JURY_*, PUBLICATION_DECRET_*, STATISTIQUES_PROMOTIONS, ...


_REALISTIC = _Profile((2, 5), (3, 8), (1, 5), (4, 10), (2, 8), (4, 12), (0, 0, 2, 5, 15), 400, 5, True)
# Same element order, only the elements the reader keeps, short texts: ~10 times smaller.
_COMPACT = _Profile((2, 3), (2, 4), (1, 1), (1, 2), (1, 1), (2, 3), (0, 0, 1, 2), 40, 1, False)

_VERBES = (
    "Analyser", "Concevoir", "Piloter", "Organiser", "Évaluer", "Rédiger", "Mettre en œuvre",
    "Contrôler", "Accompagner", "Élaborer", "Coordonner", "Développer", "Identifier", "Animer",
    "Établir", "Déployer", "Assurer", "Préparer", "Superviser", "Communiquer",
)
_NOMS = (
    "le plan d’action", "les besoins du client", "la démarche qualité", "les indicateurs de performance",
    "le budget prévisionnel", "les ressources humaines", "la stratégie commerciale", "le cahier des charges",
    "les risques professionnels", "la conformité réglementaire", "l’équipe projet", "les données de gestion",
    "la veille technologique", "les procédures internes", "le dialogue social", "la relation fournisseurs",
    "les outils numériques", "la politique RSE", "les processus de production", "la R&D",
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
    "le titulaire", "exerce", "au sein", "des entreprises", "de toute taille", "du secteur privé",
    "et public", "il contribue", "à la gestion", "des activités", "en lien avec", "la direction",
    "les équipes", "opérationnelles", "et les partenaires", "externes", "selon", "les procédures",
    "de l’établissement", "qualité", "sécurité", "environnement", "le cas échéant", "notamment",
    "l’évaluation", "des résultats", "obtenus", "et la proposition", "d’actions correctives",
)
_ABREGES = (
    ("TP", "Titre professionnel"), ("BTS", "Brevet de technicien supérieur"),
    ("CS", "Certificat de spécialisation"), ("DipViGrM", "Diplôme visé grade de master"),
    ("CQP", "Certificat de qualification professionnelle"), ("LP", "Licence Professionnelle"),
)
_NSF = (
    ("310", "Spécialités plurivalentes des échanges et de la gestion"), ("315t", "Etablissement de la paie"),
    ("326", "Informatique, traitement de l'information, réseaux de transmission"),
    ("312", "Commerce, vente"), ("331", "Santé"), ("250", "Spécialités pluritechnologiques mécanique-électricité"),
)
_ROME = (
    ("M1604", "Assistanat de direction"), ("M1501", "Assistanat en ressources humaines"),
    ("M1805", "Études et développement informatique"), ("D1402", "Relation commerciale grands comptes"),
    ("H1206", "Management et ingénierie études, recherche et développement industriel"),
)
_FORMACODES = (
    ("32054", "Gestion des organisations"), ("31090", "Développement web"),
    ("35014", "Secrétariat assistanat ressources humaines"), ("34054", "Gestion commerciale achats"),
    ("31045", "Cybersécurité"),
)
_DECRETS = ("PUBLICATION_DECRET_GENERAL", "PUBLICATION_DECRET_CREATION", "PUBLICATION_DECRET_AUTRE")
_JURYS = ("SI_JURY_FI", "SI_JURY_CA", "SI_JURY_FC", "SI_JURY_CQ", "SI_JURY_CL", "SI_JURY_VAE")


def synthetic_numero(i: int) -> str:
    """NUMERO_FICHE of the i-th synthetic fiche (0-based)."""
    return f"RNCP{FIRST_NUMBER + i}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


class _Gen:
    """Pools of pre-rendered (already escaped) texts, so that each fiche is cheap to write."""

    def __init__(self, seed: int, profile: _Profile) -> None:
        self.profile = profile
        self.rng = rng = random.Random(seed)
        self.capacites = [
            _esc(
                f"{rng.choice(_VERBES)} {rng.choice(_NOMS)} {rng.choice(_COMPLEMENTS)}"
                + (f", {' '.join(rng.choice(_MOTS) for _ in range(rng.randint(2, 8)))}" if rng.random() < 0.5 else "")
            )
            for _ in range(500)
        ]
        phrases = [
            " ".join(rng.choice(_MOTS) for _ in range(rng.randint(8, 22))).capitalize() + "."
            for _ in range(500)
        ]
        # prose[k]: k sentences, with paragraph breaks rendered as runs of spaces like the real export
        self.prose = {
            k: [_esc("    ".join(" ".join(rng.sample(phrases, k)[j : j + 3]) for j in range(0, k, 3)))
                for _ in range(60)]
            for k in range(1, 13)
        }
        self.partenaires = [
            f"      <PARTENAIRE>\n        <NOM_PARTENAIRE>CENTRE DE FORMATION {k} &amp; ASSOCIES</NOM_PARTENAIRE>\n"
            f"        <SIRET_PARTENAIRE>{self.siret()}</SIRET_PARTENAIRE>\n"
            "        <HABILITATION_PARTENAIRE>HABILITATION_ORGA_FORM</HABILITATION_PARTENAIRE>\n"
            "        <ETAT_HABILITATION>Actif</ETAT_HABILITATION>\n"
            + (f"        <DATE_ACTIF>{_fr(self.date(2020, 2026))}</DATE_ACTIF>\n" if k % 3 else "")
            + f"        <DATE_DERNIERE_MODIFICATION_ETAT>{_fr(self.date(2020, 2026))}"
            "</DATE_DERNIERE_MODIFICATION_ETAT>\n      </PARTENAIRE>\n"
            for k in range(1000)
        ]
        self.dates = [self.date() for _ in range(1000)]

    def text(self, low: int, high: int) -> str:
        return self.rng.choice(self.prose[self.rng.randint(low, high)])

    def count(self, bounds: tuple[int, int]) -> int:
        return self.rng.randint(*bounds)

    def date(self, start: int = 2015, end: int = 2028) -> date:
        return date(start, 1, 1) + timedelta(days=self.rng.randrange((end - start) * 365))

    def liste_competences(self, bloc: int, n: int) -> str:
        rng = self.rng
        caps = rng.sample(self.capacites, n)
        style = rng.randrange(4)
        if style == 0:  # coded, like RNCP34762: "A1C1. …      A1C2.…"
            intro = "En mobilisant une analyse du contexte :    " if rng.random() < 0.3 else ""
            return intro + "      ".join(f"A{bloc}C{k}. {c}" for k, c in enumerate(caps, 1))
        if style == 1:  # bullets, like RNCP37488
            return "      ".join(f"* {c}" for c in caps)
        if style == 2:  # one sentence per line, like RNCP36612
            return "    ".join(f"{c}." for c in caps)
        return "  ".join(caps)  # like RNCP37674

    def siret(self) -> str:
        return f"{self.rng.randrange(10**13, 10**14)}"


def _fiche(g: _Gen, i: int) -> str:  # noqa: C901 - one linear template
    rng = g.rng
    numero = synthetic_numero(i)
    de_droit = rng.random() < 0.45
    out: list[str] = []
    w = out.append
    w("  <FICHE>\n")
    w(f"    <ID_FICHE>{900000 + i}</ID_FICHE>\n")
    w(f"    <NUMERO_FICHE>{numero}</NUMERO_FICHE>\n")
    if rng.random() < 0.1:
        w("    <NOUVELLES_CERTIFICATIONS>\n      <NOUVELLE_CERTIFICATION>\n")
        w(f"        <ID_FICHE_NOUVELLE_CERTIFICATION>RNCP{rng.randrange(30000, 40000)}"
          "</ID_FICHE_NOUVELLE_CERTIFICATION>\n")
        w("      </NOUVELLE_CERTIFICATION>\n    </NOUVELLES_CERTIFICATIONS>\n")
    if rng.random() < 0.5:
        w("    <ANCIENNES_CERTIFICATIONS>\n      <ANCIENNE_CERTIFICATION>\n")
        w(f"        <ID_FICHE_ANCIENNE_CERTIFICATION>RNCP{rng.randrange(10000, 30000)}"
          "</ID_FICHE_ANCIENNE_CERTIFICATION>\n")
        w("      </ANCIENNE_CERTIFICATION>\n    </ANCIENNES_CERTIFICATIONS>\n")
    w(f"    <INTITULE>{_esc(rng.choice(_VERBES))} {_esc(rng.choice(_NOMS))} – parcours {i}</INTITULE>\n")
    if rng.random() < 0.53:
        code, libelle = rng.choice(_ABREGES)
        w(f"    <ABREGE>\n      <CODE>{code}</CODE>\n      <LIBELLE>{libelle}</LIBELLE>\n    </ABREGE>\n")
    w("    <ETAT_FICHE>Publiée</ETAT_FICHE>\n    <FORMACODES>\n")
    pr = g.profile
    for code, libelle in rng.sample(_FORMACODES, rng.randint(1, pr.codes)):
        w(f"      <FORMACODE>\n        <CODE>{code}</CODE>\n        <LIBELLE>{libelle}</LIBELLE>\n"
          "      </FORMACODE>\n")
    w("    </FORMACODES>\n")
    niveau = rng.randint(3, 8)
    w(f"    <NOMENCLATURE_EUROPE>\n      <NIVEAU>NIV{niveau}</NIVEAU>\n"
      f"      <LIBELLE>Niveau {niveau}</LIBELLE>\n    </NOMENCLATURE_EUROPE>\n")
    w("    <CODES_NSF>\n")
    for code, libelle in rng.sample(_NSF, rng.randint(1, min(3, pr.codes))):
        w(f"      <NSF>\n        <CODE>{code}</CODE>\n        <LIBELLE>{_esc(libelle)}</LIBELLE>\n      </NSF>\n")
    w("    </CODES_NSF>\n    <CERTIFICATEURS>\n")
    for _ in range(rng.randint(1, 2)):
        w("      <CERTIFICATEUR>\n")
        if rng.random() > 0.31:
            w(f"        <SIRET_CERTIFICATEUR>{g.siret()}</SIRET_CERTIFICATEUR>\n")
        w(f"        <NOM_CERTIFICATEUR>ORGANISME CERTIFICATEUR {rng.randrange(5000)}</NOM_CERTIFICATEUR>\n"
          "        <ETAT_CERTIFICATEUR>Actif</ETAT_CERTIFICATEUR>\n"
          f"        <DATE_DERNIERE_MODIFICATION_ETAT>{_fr(g.date())}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
          "      </CERTIFICATEUR>\n")
    w("    </CERTIFICATEURS>\n")
    n_part = pr.big_partenaires if i % BIG_FICHE_EVERY == BIG_FICHE_EVERY - 1 else rng.choice(pr.partenaires)
    w(f"    <EXISTENCE_PARTENAIRES>{'Oui' if n_part else 'Non'}</EXISTENCE_PARTENAIRES>\n")
    if n_part:
        w("    <PARTENAIRES>\n")
        first = rng.randrange(len(g.partenaires) - n_part)
        out.extend(g.partenaires[first : first + n_part])
        w("    </PARTENAIRES>\n")
    activites = "Les principales activités sont :        " + "      ".join(
        f"* {c}" for c in rng.sample(g.capacites, g.count(pr.activites))
    ) + "    " + g.text(*pr.prose)
    if rng.random() < 0.1:  # some free texts are CDATA in the real export
        raw = activites.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        w(f"    <ACTIVITES_VISEES><![CDATA[{raw}]]></ACTIVITES_VISEES>\n")
    else:
        w(f"    <ACTIVITES_VISEES>{activites}</ACTIVITES_VISEES>\n")
    capacites = "Les compétences attestées sont les suivantes :       " + "      ".join(
        f"C{k}. {c}" for k, c in enumerate(rng.sample(g.capacites, g.count(pr.attestees)), 1)
    )
    w(f"    <CAPACITES_ATTESTEES>{capacites}</CAPACITES_ATTESTEES>\n")
    if pr.full:
        w(f"    <SECTEURS_ACTIVITE>{g.text(*pr.prose)}</SECTEURS_ACTIVITE>\n")
        w(f"    <TYPE_EMPLOI_ACCESSIBLES>{g.text(1, 2)}</TYPE_EMPLOI_ACCESSIBLES>\n")
    w("    <CODES_ROME>\n")
    for code, libelle in rng.sample(_ROME, rng.randint(1, pr.codes)):
        w(f"      <ROME>\n        <CODE>{code}</CODE>\n        <LIBELLE>{libelle}</LIBELLE>\n      </ROME>\n")
    w("    </CODES_ROME>\n")
    for jury in _JURYS if pr.full else ():
        if rng.random() < 0.8:
            w(f"    <{jury}>\n      <ACTIF>Oui</ACTIF>\n      <COMPOSITION>- 1 Président (personnalité qualifiée)"
              f"    - 2 professionnels qualifiés du secteur d’activité</COMPOSITION>\n    </{jury}>\n")
        else:
            w(f"    <{jury}>\n      <ACTIF>Non</ACTIF>\n    </{jury}>\n")
    w("    <ACCESSIBLE_NOUVELLE_CALEDONIE>Non</ACCESSIBLE_NOUVELLE_CALEDONIE>\n"
      "    <ACCESSIBLE_POLYNESIE_FRANCAISE>Non</ACCESSIBLE_POLYNESIE_FRANCAISE>\n")
    for decret in _DECRETS if pr.full else ():
        jo = g.date(2005, 2024)
        w(f"    <{decret}>\n      <PUBLICATION_JO>\n        <TITRE>Arrêté du {_fr(jo)} portant enregistrement"
          " au répertoire national des certifications professionnelles.</TITRE>\n"
          f"        <DATE_PUBLICATION_JO>{_fr(jo)}</DATE_PUBLICATION_JO>\n      </PUBLICATION_JO>\n"
          f"    </{decret}>\n")
    debut = g.date(2018, 2025)
    if not de_droit:
        w(f"    <DATE_DERNIER_JO>{_fr(g.date(2010, 2018))}</DATE_DERNIER_JO>\n"
          f"    <DATE_DECISION>{_fr(debut)}</DATE_DECISION>\n"
          "    <DUREE_ENREGISTREMENT>5</DUREE_ENREGISTREMENT>\n")
    if pr.full:
        w("    <STATISTIQUES_PROMOTIONS>\n")
    for annee in (2019, 2018) if pr.full else ():
        w(f"      <STATISTIQUES_PROMOTION>\n        <ANNEE>{annee}</ANNEE>\n"
          f"        <NOMBRE_CERTIFIES>{rng.randrange(300)}</NOMBRE_CERTIFIES>\n"
          f"        <NOMBRE_CERTIFIES_VAE>{rng.randrange(10)}</NOMBRE_CERTIFIES_VAE>\n"
          f"        <TAUX_INSERTION_GLOBAL_6MOIS>{rng.randrange(100)}</TAUX_INSERTION_GLOBAL_6MOIS>\n"
          f"        <TAUX_INSERTION_METIER_2ANS>{rng.randrange(100)}</TAUX_INSERTION_METIER_2ANS>\n"
          "      </STATISTIQUES_PROMOTION>\n")
    if pr.full:
        w("    </STATISTIQUES_PROMOTIONS>\n")
    w(f"    <LIEN_URL_DESCRIPTION>https://exemple.fr/certification/{numero}</LIEN_URL_DESCRIPTION>\n")
    w(f"    <DATE_FIN_ENREGISTREMENT>{_fr(debut + timedelta(days=5 * 365))}</DATE_FIN_ENREGISTREMENT>\n")
    if de_droit:
        w(f"    <DATE_EFFET>{_fr(debut)}</DATE_EFFET>\n")
    w(f"    <TYPE_ENREGISTREMENT>Enregistrement {'de droit' if de_droit else 'sur demande'}"
      "</TYPE_ENREGISTREMENT>\n    <BLOCS_COMPETENCES>\n")
    for b in range(1, g.count(pr.blocs) + 1):
        w(f"      <BLOC_COMPETENCES>\n        <CODE>{numero}BC{b:02d}</CODE>\n"
          f"        <LIBELLE>{_esc(rng.choice(_VERBES))} {_esc(rng.choice(_NOMS))} (bloc {b})</LIBELLE>\n"
          f"        <LISTE_COMPETENCES>{g.liste_competences(b, g.count(pr.capacites))}</LISTE_COMPETENCES>\n"
          f"        <MODALITES_EVALUATION>{g.text(*pr.modalites)}</MODALITES_EVALUATION>\n"
          "      </BLOC_COMPETENCES>\n")
    w("    </BLOCS_COMPETENCES>\n")
    w(f"    <OBJECTIFS_CONTEXTE>{g.text(*pr.prose)}</OBJECTIFS_CONTEXTE>\n")
    w(f"    <ACTIF>{'Oui' if rng.random() < 0.8 else 'Non'}</ACTIF>\n")
    if pr.full and rng.random() < 0.5:
        w(f"    <PREREQUIS_ENTREE_FORMATION>{g.text(1, 2)}</PREREQUIS_ENTREE_FORMATION>\n")
    if de_droit:
        w(f"    <DATE_DE_PUBLICATION>{_fr(debut - timedelta(days=60))}</DATE_DE_PUBLICATION>\n")
    if pr.full and rng.random() < 0.2:
        autre = f"RNCP{rng.randrange(10000, 30000)}"
        w(f"    <CORRESPONDANCES>\n      <CORRESPONDANCE>\n        <SOURCE>\n          <BLOC_COMPETENCES>\n"
          f"            <CODE>{numero}BC01</CODE>\n          </BLOC_COMPETENCES>\n        </SOURCE>\n"
          f"        <DESTINATION>\n          <NUMERO_FICHE>{autre}</NUMERO_FICHE>\n"
          f"          <BLOC_COMPETENCES>\n            <CODE>{autre}BC01</CODE>\n          </BLOC_COMPETENCES>\n"
          "        </DESTINATION>\n      </CORRESPONDANCE>\n    </CORRESPONDANCES>\n")
    w("  </FICHE>\n")
    return "".join(out)


def write_synthetic_export(
    path: str | os.PathLike[str], n_fiches: int, *, seed: int = 0, compact: bool = False
) -> None:
    """Write ``n_fiches`` synthetic fiches (``RNCP9000000`` …) to ``path``, streaming to disk.

    Deterministic for a given ``seed``. Realistic sizes by default (~20 KB per fiche: 2-5 blocs
    of 3-8 capacités in the four LISTE_COMPETENCES styles of the sample, long free texts,
    partenaires, one fiche in 100 with 400 partenaires). ``compact=True`` writes the same
    element order but only the elements the reader keeps, with short texts and lists (~2 KB
    per fiche, one fiche in 100 with 40 partenaires), for fast memory/throughput tests.
    """
    g = _Gen(seed, _COMPACT if compact else _REALISTIC)
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>\n")
        for i in range(n_fiches):
            out.write(_fiche(g, i))
        out.write("</FICHES>\n")
