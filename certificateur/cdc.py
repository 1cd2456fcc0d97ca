"""Accrochage CDC: declaring certification holders to the Caisse des Dépôts.

Pure Python (lxml only, no Django). Four entry points:

* :func:`build_flux` writes one XML "flux" (one certificateur per file) following the CDC
  schema ``cdc-certifications-v1.1.2.xsd`` (namespace ``urn:cdc:cpf:pc5:schema:1.0.0``);
* :func:`validate_flux` validates any flux against that XSD and lists the issues
  (line, element path, libxml2 message, French summary, idTechnique of the passage);
* :func:`check_declarable` lists, in French, why one passage cannot be declared, so that the
  caller shows those reasons instead of producing a file the CDC rejects;
* :func:`parse_rapport` reads the CDC "accusé de traitement" (processing report).

The dataclasses mirror the XSD element by element. Conventions:

* ``None`` on an element that is *optional* (``minOccurs="0"``) omits it;
* ``None`` on an element that is *mandatory and nillable* writes ``xsi:nil="true"``
  (``dateFinValidite``, ``scoring``, ``mentionValidee``, ``modaliteAcces``, ``nomUsage``,
  ``moisNaissance``, ``jourNaissance``, ``codePostal`` of ``codePostalNaissance``);
* ``None`` on an element that is mandatory and *not* nillable makes the passage
  non-declarable (see :func:`check_declarable`); :func:`build_flux` refuses it.

Strings are NFC-normalised and stripped before being measured and written (the XSD lengths are
in characters). Elements are written in the XSD declaration order (the XSD uses ``xsd:all``,
so the order is not enforced, but the official example follows it).

Rapport shape accepted by :func:`parse_rapport` (the CDC publishes no schema for it; this is
the shape of a real report dumped in ``qm124/accrochage_cpf``)::

    <rapport xmlns[:ns2]="urn:cdc:cpf:pc5:rapport:schema">   root: no namespace or that one
      <nomFichier>…</nomFichier>          optional, at most once
      <idFlux>…</idFlux>                  mandatory, once
      <idTraitement>…</idTraitement>      optional, at most once
      <PassagesKO>                         optional, at most once (absent = no KO)
        <passage>                          0..n
          <idTechnique>…</idTechnique>    mandatory, once
          <messageErreur>…</messageErreur> 0..1 \\ at least one of the two, non-empty
          <codeErreur>…</codeErreur>       0..1 /
        </passage>
      </PassagesKO>
      <PassagesOK>                         optional, at most once (absent = no OK)
        <idTechnique>…</idTechnique>      0..n
      </PassagesOK>
    </rapport>

Children may be unqualified or in the rapport namespace (the real dump declares the namespace
with a ``ns2`` prefix and leaves the elements unqualified). Children may come in any order.
Anything else (other element, other namespace, text in a container, a DOCTYPE, an entity, an
idTechnique both OK and KO) is refused with :class:`RapportInvalide`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from lxml import etree

__all__ = [
    "CDC_NS",
    "RAPPORT_NS",
    "XSI_NS",
    "DEFAULT_XSD_PATH",
    "XSD_1_1_5_PATH",
    "MAX_PASSAGES_PAR_FLUX",
    "TypeCertification",
    "NatureDeposant",
    "ObtentionCertification",
    "ModalitePassageExamen",
    "NiveauCECRL",
    "Mention",
    "ModaliteAcces",
    "VoieAccesVAE",
    "InitiativeInscription",
    "Sexe",
    "ResultatNumerique",
    "NiveauNumeriqueEuropeen",
    "ModalitesInscription",
    "Titulaire",
    "DossierFormation",
    "PassageCertification",
    "Certification",
    "Certificateur",
    "Flux",
    "CdcIssue",
    "CdcFluxError",
    "PassageKO",
    "Rapport",
    "RapportInvalide",
    "make_id_technique",
    "check_declarable",
    "check_flux",
    "build_flux",
    "validate_flux",
    "load_schema",
    "parse_rapport",
]

CDC_NS = "urn:cdc:cpf:pc5:schema:1.0.0"
RAPPORT_NS = "urn:cdc:cpf:pc5:rapport:schema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DEFAULT_XSD_PATH = Path(__file__).resolve().parent / "xsd" / "cdc-certifications-v1.1.2.xsd"
#: XSD 1.1.5 as far as it is known (flux/action CREATION | SUPPRESSION): see the file's header.
XSD_1_1_5_PATH = Path(__file__).resolve().parent / "xsd" / "cdc-certifications-v1.1.5-reconstitue.xsd"
#: FAQ CDC: at most 200 000 passages per file (and 200 MB).
MAX_PASSAGES_PAR_FLUX = 200_000
MAX_FLUX_BYTES = 200 * 1024 * 1024

_NSMAP = {"cpf": CDC_NS, "xsi": XSI_NS}
_NIL = f"{{{XSI_NS}}}nil"


# --------------------------------------------------------------------------- enumerations


class TypeCertification(StrEnum):
    """``certification/type``: free string 1..255 in the XSD, RNCP or RS in practice."""

    RNCP = "RNCP"
    RS = "RS"


class NatureDeposant(StrEnum):
    CERTIFICATEUR = "CERTIFICATEUR"
    TIERS_CONFIANCE = "TIERS_CONFIANCE"


class ObtentionCertification(StrEnum):
    PAR_ADMISSION = "PAR_ADMISSION"
    PAR_SCORING = "PAR_SCORING"


class ModalitePassageExamen(StrEnum):
    A_DISTANCE = "A_DISTANCE"
    EN_PRESENTIEL = "EN_PRESENTIEL"
    MIXTE = "MIXTE"


class NiveauCECRL(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    INSUFFISANT = "INSUFFISANT"


class Mention(StrEnum):
    SANS_MENTION = "SANS_MENTION"
    MENTION_ASSEZ_BIEN = "MENTION_ASSEZ_BIEN"
    MENTION_BIEN = "MENTION_BIEN"
    MENTION_TRES_BIEN = "MENTION_TRES_BIEN"
    MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY = "MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY"


class ModaliteAcces(StrEnum):
    FORMATION_INITIALE_HORS_APPRENTISSAGE = "FORMATION_INITIALE_HORS_APPRENTISSAGE"
    FORMATION_INITIALE_APPRENTISSAGE = "FORMATION_INITIALE_APPRENTISSAGE"
    FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION = (
        "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION"
    )
    FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION = "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION"
    VAE = "VAE"
    EQUIVALENCE_DIPLOME_ETRANGER = "EQUIVALENCE_DIPLOME_ETRANGER"
    CANDIDAT_LIBRE = "CANDIDAT_LIBRE"


class VoieAccesVAE(StrEnum):
    """Written in element ``voieAccessVAE`` (sic, double "s" in the XSD)."""

    CONGES_VAE = "CONGES_VAE"
    VAE_CLASSIQUE = "VAE_CLASSIQUE"


class InitiativeInscription(StrEnum):
    CERTIFIE = "CERTIFIE"
    OF = "OF"
    POLE_EMPLOI = "POLE_EMPLOI"
    EMPLOYEUR = "EMPLOYEUR"
    AUTRE = "AUTRE"


class Sexe(StrEnum):
    M = "M"
    F = "F"


# --------------------------------------------------------------------------- dataclasses


@dataclass(kw_only=True)
class ResultatNumerique:
    """``niveauNumeriqueEuropeen/resultats/resultat``: every child optional."""

    niveau: int | None = None  # 1..8
    domaine_competence_id: str | None = None  # exactly 1 character
    competence_id: str | None = None  # exactly 1 character


@dataclass(kw_only=True)
class NiveauNumeriqueEuropeen:
    score_general: int | None = None  # 1..1000
    resultats: list[ResultatNumerique] = field(default_factory=list)  # empty: element omitted


@dataclass(kw_only=True)
class ModalitesInscription:
    modalite_acces: ModaliteAcces | str | None = None  # mandatory, nillable
    voie_acces_vae: VoieAccesVAE | str | None = None  # optional (element voieAccessVAE)
    initiative_inscription: InitiativeInscription | str | None = None  # optional
    date_inscription: date | None = None  # optional


@dataclass(kw_only=True)
class Titulaire:
    """``identificationTitulaire/titulaire`` (the holder identified by civil status).

    Birth place is the XSD choice ``codeCommuneNaissance``: ``codeInseeNaissance/codeInsee``
    when ``code_insee_naissance`` is set (it wins when both are set), otherwise
    ``codePostalNaissance/codePostal`` with ``code_postal_naissance`` or ``xsi:nil`` (born
    abroad / unknown).
    """

    nom_naissance: str | None  # mandatory 1..60
    prenom1: str | None  # mandatory 1..60
    annee_naissance: int | None  # mandatory 1900..2099
    sexe: Sexe | str | None  # mandatory M | F
    nom_usage: str | None = None  # mandatory, nillable 1..60
    prenom2: str | None = None  # optional 1..60
    prenom3: str | None = None  # optional 1..60
    mois_naissance: int | None = None  # mandatory, nillable 1..12
    jour_naissance: int | None = None  # mandatory, nillable 1..31
    code_insee_naissance: str | None = None  # exactly 5 characters (COG commune)
    code_postal_naissance: str | None = None  # 1..9, nillable
    libelle_commune_naissance: str | None = None  # optional 1..60
    code_pays_naissance: str | None = None  # optional, exactly 3 characters
    libelle_pays_naissance: str | None = None  # optional 1..60
    commentaires_men: str | None = None  # optional 1..250


@dataclass(kw_only=True)
class DossierFormation:
    """``identificationTitulaire/dossierFormation``: holder identified by a CPF dossier."""

    id_dossier: str | None  # 1..13 (n° de dossier CPF)
    nom_titulaire: str | None  # 1..30
    prenom1_titulaire: str | None  # 1..20


@dataclass(kw_only=True)
class PassageCertification:
    """One holder for one certification (``passageCertification``)."""

    id_technique: str  # 1..255, stable: key of the CDC report; see make_id_technique()
    date_debut_validite: date | None  # mandatory: date de délivrance / délibération
    identification: Titulaire | DossierFormation | None
    obtention_certification: ObtentionCertification | str = ObtentionCertification.PAR_ADMISSION
    donnee_certifiee: bool = True
    date_fin_validite: date | None = None  # mandatory, nillable: nil = validité permanente
    modalites_inscription: ModalitesInscription = field(default_factory=ModalitesInscription)
    url_preuve: str | None = None  # optional 1..255
    libelle_option: str | None = None  # optional 1..255
    date_debut_examen: date | None = None  # optional
    date_fin_examen: date | None = None  # optional
    modalite_passage_examen: ModalitePassageExamen | str | None = None  # optional
    code_postal_centre_examen: str | None = None  # optional 1..9
    presence_niveau_langue_euro: bool = False  # mandatory
    niveau_langue_europeen: NiveauCECRL | str | None = None  # optional
    presence_niveau_numerique_euro: bool = False  # mandatory
    niveau_numerique_europeen: NiveauNumeriqueEuropeen | None = None  # optional
    scoring: str | None = None  # mandatory, nillable 1..255
    mention_validee: Mention | str | None = None  # mandatory, nillable
    verbatim: str | None = None  # optional 1..255


@dataclass(kw_only=True)
class Certification:
    type: TypeCertification | str  # "RNCP" | "RS"
    code: str  # "RNCP19117" | "RS5875"
    passages: list[PassageCertification]  # 1..n
    nature_deposant: NatureDeposant | str | None = None  # optional


@dataclass(kw_only=True)
class Certificateur:
    id_client: str  # exactly 8 characters (given by the CDC at onboarding)
    id_contrat: str  # 1..20


def _new_id_flux() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(kw_only=True)
class Flux:
    """One file: one emetteur, exactly one certificateur, 1..n certifications."""

    emetteur_id_client: str  # exactly 8 characters (the certificateur itself, or its Déposant)
    certificateur: Certificateur
    certifications: list[Certification]
    id_flux: str = field(default_factory=_new_id_flux)  # 1..50, UUID recommended
    horodatage: datetime = field(default_factory=_now)  # timezone-aware, no fraction
    # XSD 1.1.5 only: "CREATION" | "SUPPRESSION" (withdrawal of passages already declared).
    # None writes no element: the file stays a valid 1.1.2 flux.
    action: str | None = None


@dataclass(frozen=True)
class CdcIssue:
    """One XSD validation (or XML syntax) problem."""

    line: int
    path: str | None  # libxml2 element path, e.g. /cpf:flux/.../cpf:passageCertification[2]/...
    element: str | None  # local name of the element concerned
    message: str  # libxml2 message (English)
    reason_fr: str  # short French explanation
    id_technique: str | None = None  # idTechnique of the enclosing passage, when there is one

    def __str__(self) -> str:
        where = f"ligne {self.line}"
        if self.id_technique:
            where += f", passage {self.id_technique}"
        return f"{where} ({self.element or '?'}) : {self.reason_fr} [{self.message}]"


class CdcFluxError(ValueError):
    """The flux cannot be built: non-declarable data, or (should not happen) an XSD failure."""

    def __init__(self, reasons: Sequence[str], issues: Sequence[CdcIssue] = ()):
        self.reasons = list(reasons)
        self.issues = list(issues)
        lines = self.reasons + [str(i) for i in self.issues]
        super().__init__("Flux CDC non conforme :\n- " + "\n- ".join(lines))


@dataclass(frozen=True)
class PassageKO:
    id_technique: str
    message: str  # messageErreur ("" when the report only gives a code)
    code: str | None = None  # codeErreur, when present


@dataclass(frozen=True)
class Rapport:
    id_flux: str
    nom_fichier: str | None
    id_traitement: str | None
    ok: tuple[str, ...]  # idTechnique accepted, in report order, without duplicates
    ko: tuple[PassageKO, ...]  # rejected, in report order (an id may carry several errors)

    @property
    def ids_ok(self) -> frozenset[str]:
        return frozenset(self.ok)

    @property
    def ids_ko(self) -> frozenset[str]:
        return frozenset(p.id_technique for p in self.ko)

    def erreurs(self, id_technique: str) -> list[str]:
        return [p.message or (p.code or "") for p in self.ko if p.id_technique == id_technique]


class RapportInvalide(ValueError):
    """The bytes are not a CDC processing report of the accepted shape."""


# --------------------------------------------------------------------------- helpers

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_CODE_CERTIF_RE = {"RNCP": re.compile(r"^RNCP\d+$"), "RS": re.compile(r"^RS\d+$")}
_ID_TECHNIQUE_NS = uuid.UUID("5d8f2f0e-6b7c-4c1e-9a51-6a3c0c2d1f00")


def make_id_technique(*parts: object) -> str:
    """A stable idTechnique (UUID5) from stable parts, e.g. ``(org_pk, candidat_pk, "RNCP36612")``.

    Same parts, same id: re-sending a KO passage keeps its key. Never build it from mutable data
    (names, dates), otherwise a correction would create a new passage at the CDC.
    """
    if not parts:
        raise ValueError("make_id_technique: au moins une partie est requise")
    return str(uuid.uuid5(_ID_TECHNIQUE_NS, "\x1f".join(str(p) for p in parts)))


def _norm(value: str | None) -> str | None:
    """NFC + strip; ``None`` and blank become ``None``."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _enum_value(value: object) -> str | None:
    if value is None:
        return None
    return str(value.value if isinstance(value, StrEnum) else value).strip() or None


def _check_text(
    reasons: list[str],
    label: str,
    value: str | None,
    *,
    max_len: int,
    required: bool = False,
    exact: bool = False,
) -> None:
    text = _norm(value)
    if text is None:
        if required:
            reasons.append(f"{label} manquant(e)")
        return
    if _XML_ILLEGAL.search(text):
        reasons.append(f"{label} : caractère de contrôle interdit")
    if exact and len(text) != max_len:
        reasons.append(f"{label} : {max_len} caractères attendus ({len(text)} reçus)")
    elif len(text) > max_len:
        reasons.append(f"{label} trop long(ue) ({len(text)} caractères, {max_len} au maximum)")


def _check_enum(
    reasons: list[str], label: str, value: object, enum: type[StrEnum], *, required=False
) -> None:
    text = _enum_value(value)
    if text is None:
        if required:
            reasons.append(f"{label} manquant(e)")
        return
    if text not in {e.value for e in enum}:
        allowed = ", ".join(e.value for e in enum)
        reasons.append(f"{label} invalide : « {text} » (valeurs admises : {allowed})")


def _check_date(reasons: list[str], label: str, value: object, *, required: bool = False) -> bool:
    """True when the value is a usable date."""
    if value is None:
        if required:
            reasons.append(f"{label} manquante")
        return False
    if isinstance(value, datetime) or not isinstance(value, date):
        reasons.append(f"{label} : une date (sans heure) est attendue")
        return False
    if not 1900 <= value.year <= 2099:
        reasons.append(f"{label} hors de la plage admise (années 1900 à 2099)")
        return False
    return True


def _check_int(reasons: list[str], label: str, value: object, lo: int, hi: int) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        reasons.append(f"{label} invalide : nombre entier attendu")
        return False
    if not lo <= value <= hi:
        reasons.append(f"{label} invalide : {value} (de {lo} à {hi})")
        return False
    return True


def _check_bool(reasons: list[str], label: str, value: object) -> None:
    if not isinstance(value, bool):
        reasons.append(f"{label} : vrai/faux attendu")


# --------------------------------------------------------------------------- check_declarable


def _check_titulaire(t: Titulaire, reasons: list[str], date_delivrance: date | None) -> None:
    _check_text(reasons, "Nom de naissance", t.nom_naissance, max_len=60, required=True)
    _check_text(reasons, "Nom d'usage", t.nom_usage, max_len=60)
    _check_text(reasons, "Premier prénom", t.prenom1, max_len=60, required=True)
    _check_text(reasons, "Deuxième prénom", t.prenom2, max_len=60)
    _check_text(reasons, "Troisième prénom", t.prenom3, max_len=60)
    if _norm(t.prenom3) and not _norm(t.prenom2):
        reasons.append("Troisième prénom renseigné sans deuxième prénom")

    annee_ok = mois_ok = jour_ok = False
    if t.annee_naissance is None:
        reasons.append("Année de naissance manquante")
    else:
        annee_ok = _check_int(reasons, "Année de naissance", t.annee_naissance, 1900, 2099)
    if t.mois_naissance is not None:
        mois_ok = _check_int(reasons, "Mois de naissance", t.mois_naissance, 1, 12)
    if t.jour_naissance is not None:
        jour_ok = _check_int(reasons, "Jour de naissance", t.jour_naissance, 1, 31)
        if t.mois_naissance is None:
            reasons.append("Jour de naissance renseigné sans le mois")
    annee, mois, jour = t.annee_naissance, t.mois_naissance, t.jour_naissance
    if annee_ok and mois_ok and jour_ok and annee is not None and mois is not None and jour is not None:
        try:
            naissance = date(annee, mois, jour)
        except ValueError:
            reasons.append(
                f"Date de naissance inexistante ({t.jour_naissance:02d}/{t.mois_naissance:02d}/{t.annee_naissance})"
            )
        else:
            if isinstance(date_delivrance, date) and naissance > date_delivrance:
                reasons.append("Date de naissance postérieure à la date de délivrance")
    elif (
        annee_ok and annee is not None and isinstance(date_delivrance, date) and annee > date_delivrance.year
    ):
        reasons.append("Année de naissance postérieure à la date de délivrance")

    sexe = _enum_value(t.sexe)
    if sexe is None:
        reasons.append("Sexe manquant (M ou F)")
    elif sexe not in ("M", "F"):
        reasons.append(f"Sexe invalide : « {sexe} » (M ou F attendu)")

    insee = _norm(t.code_insee_naissance)
    postal = _norm(t.code_postal_naissance)
    if insee is not None:
        if not _INSEE_RE.match(insee):
            reasons.append(f"Code commune INSEE invalide : « {insee} » (5 caractères, ex. 31555 ou 2A004)")
    elif postal is not None:
        _check_text(reasons, "Code postal de naissance", postal, max_len=9)
    elif _norm(t.code_pays_naissance) is None and _norm(t.libelle_pays_naissance) is None:
        reasons.append("Lieu de naissance manquant (code commune INSEE, code postal ou pays de naissance)")
    _check_text(reasons, "Commune de naissance", t.libelle_commune_naissance, max_len=60)
    _check_text(reasons, "Code pays de naissance", t.code_pays_naissance, max_len=3, exact=True)
    _check_text(reasons, "Pays de naissance", t.libelle_pays_naissance, max_len=60)
    _check_text(reasons, "Commentaires MEN", t.commentaires_men, max_len=250)


def _check_dossier(d: DossierFormation, reasons: list[str]) -> None:
    _check_text(reasons, "Numéro de dossier de formation", d.id_dossier, max_len=13, required=True)
    _check_text(
        reasons, "Nom du titulaire (dossier de formation)", d.nom_titulaire, max_len=30, required=True
    )
    _check_text(
        reasons, "Prénom du titulaire (dossier de formation)", d.prenom1_titulaire, max_len=20, required=True
    )


def check_declarable(passage: PassageCertification) -> list[str]:
    """Reasons, in French, why this passage cannot be declared to the CDC (empty list: OK).

    Covers every XSD constraint on a passage (presence, lengths, enumerations, ranges, date
    patterns) plus a few consistency rules the XSD cannot express (impossible birth date, day
    without month, presence flags without level, PAR_SCORING without score, end before start,
    VAE route without VAE access, birth after delivery).
    """
    r: list[str] = []
    _check_text(r, "Identifiant technique", passage.id_technique, max_len=255, required=True)
    if passage.id_technique is not None and str(passage.id_technique) != _norm(passage.id_technique):
        r.append("Identifiant technique : espaces en début ou fin interdits")
    _check_text(r, "URL de preuve", passage.url_preuve, max_len=255)
    _check_text(r, "Libellé de l'option", passage.libelle_option, max_len=255)
    _check_enum(r, "Mode d'obtention", passage.obtention_certification, ObtentionCertification, required=True)
    _check_bool(r, "Donnée certifiée", passage.donnee_certifiee)

    debut_ex = _check_date(r, "Date de début d'examen", passage.date_debut_examen)
    fin_ex = _check_date(r, "Date de fin d'examen", passage.date_fin_examen)
    if debut_ex and fin_ex and passage.date_fin_examen < passage.date_debut_examen:  # type: ignore[operator]
        r.append("Date de fin d'examen antérieure à la date de début d'examen")
    _check_enum(r, "Modalité de passage de l'examen", passage.modalite_passage_examen, ModalitePassageExamen)
    _check_text(r, "Code postal du centre d'examen", passage.code_postal_centre_examen, max_len=9)

    debut = _check_date(
        r, "Date de début de validité (date de délivrance)", passage.date_debut_validite, required=True
    )
    fin = _check_date(r, "Date de fin de validité", passage.date_fin_validite)
    if debut and fin and passage.date_fin_validite < passage.date_debut_validite:  # type: ignore[operator]
        r.append("Date de fin de validité antérieure à la date de délivrance")

    _check_bool(r, "Présence du niveau de langue européen", passage.presence_niveau_langue_euro)
    _check_enum(r, "Niveau de langue européen", passage.niveau_langue_europeen, NiveauCECRL)
    has_langue = _enum_value(passage.niveau_langue_europeen) is not None
    if passage.presence_niveau_langue_euro is True and not has_langue:
        r.append("Niveau de langue européen manquant alors que sa présence est déclarée")
    if passage.presence_niveau_langue_euro is False and has_langue:
        r.append("Niveau de langue européen renseigné mais présence non déclarée")

    _check_bool(r, "Présence du niveau numérique européen", passage.presence_niveau_numerique_euro)
    num = passage.niveau_numerique_europeen
    if passage.presence_niveau_numerique_euro is True and num is None:
        r.append("Niveau numérique européen manquant alors que sa présence est déclarée")
    if passage.presence_niveau_numerique_euro is False and num is not None:
        r.append("Niveau numérique européen renseigné mais présence non déclarée")
    if num is not None:
        if num.score_general is not None:
            _check_int(r, "Score général numérique", num.score_general, 1, 1000)
        for i, res in enumerate(num.resultats, start=1):
            if res.niveau is not None:
                _check_int(r, f"Résultat numérique {i} : niveau", res.niveau, 1, 8)
            _check_text(
                r, f"Résultat numérique {i} : domaine", res.domaine_competence_id, max_len=1, exact=True
            )
            _check_text(r, f"Résultat numérique {i} : compétence", res.competence_id, max_len=1, exact=True)

    _check_text(r, "Score", passage.scoring, max_len=255)
    if _enum_value(passage.obtention_certification) == "PAR_SCORING" and _norm(passage.scoring) is None:
        r.append("Score manquant pour une obtention par scoring")
    _check_enum(r, "Mention", passage.mention_validee, Mention)

    mi = passage.modalites_inscription
    if mi is None:
        r.append("Modalités d'inscription manquantes")
    else:
        _check_enum(r, "Modalité d'accès", mi.modalite_acces, ModaliteAcces)
        _check_enum(r, "Voie d'accès VAE", mi.voie_acces_vae, VoieAccesVAE)
        if _enum_value(mi.voie_acces_vae) is not None and _enum_value(mi.modalite_acces) != "VAE":
            r.append("Voie d'accès VAE renseignée alors que la modalité d'accès n'est pas VAE")
        _check_enum(r, "Initiative de l'inscription", mi.initiative_inscription, InitiativeInscription)
        _check_date(r, "Date d'inscription", mi.date_inscription)

    ident = passage.identification
    if isinstance(ident, Titulaire):
        _check_titulaire(ident, r, passage.date_debut_validite if debut else None)
    elif isinstance(ident, DossierFormation):
        _check_dossier(ident, r)
    else:
        r.append("Identification du titulaire manquante (état civil ou dossier de formation)")

    _check_text(r, "Verbatim", passage.verbatim, max_len=255)
    return r


def check_flux(flux: Flux) -> list[str]:
    """Reasons why the file as a whole cannot be built (header, certifications, passages).

    Passage-level reasons are prefixed with ``Passage <idTechnique> :``.
    """
    r: list[str] = []
    _check_text(r, "Identifiant du flux", flux.id_flux, max_len=50, required=True)
    h = flux.horodatage
    offset = h.utcoffset() if isinstance(h, datetime) else None
    if not isinstance(h, datetime):
        r.append("Horodatage : date-heure attendue")
    elif offset is None:
        r.append("Horodatage sans fuseau horaire")
    elif not 1900 <= h.year <= 2099:
        r.append("Horodatage hors de la plage admise (années 1900 à 2099)")
    elif offset.total_seconds() % 60 or abs(offset.total_seconds()) >= 20 * 3600:
        r.append("Horodatage : décalage horaire non représentable")
    _check_text(
        r, "Identifiant client de l'émetteur", flux.emetteur_id_client, max_len=8, exact=True, required=True
    )
    c = flux.certificateur
    if c is None:
        r.append("Certificateur manquant")
    else:
        _check_text(
            r, "Identifiant client du certificateur", c.id_client, max_len=8, exact=True, required=True
        )
        _check_text(r, "Identifiant de contrat du certificateur", c.id_contrat, max_len=20, required=True)
    if not flux.certifications:
        r.append("Aucune certification dans le flux")
    seen: set[str] = set()
    total = 0
    for cert in flux.certifications:
        type_ = _enum_value(cert.type)
        code = _norm(cert.code)
        label = f"Certification {code or '?'}"
        _check_enum(r, f"{label} : type", cert.type, TypeCertification, required=True)
        _check_text(r, f"{label} : code", cert.code, max_len=100, required=True)
        if type_ in _CODE_CERTIF_RE and code and not _CODE_CERTIF_RE[type_].match(code):
            r.append(f"{label} : code incohérent avec le type {type_} (ex. {type_}12345)")
        _check_enum(r, f"{label} : nature du déposant", cert.nature_deposant, NatureDeposant)
        if not cert.passages:
            r.append(f"{label} : aucun passage")
        for p in cert.passages:
            total += 1
            pid = p.id_technique
            if pid in seen:
                r.append(f"Passage {pid} : identifiant technique en double dans le flux")
            seen.add(pid)
            r.extend(f"Passage {pid or '?'} : {reason}" for reason in check_declarable(p))
    if total > MAX_PASSAGES_PAR_FLUX:
        r.append(f"Trop de passages dans un seul fichier ({total}, {MAX_PASSAGES_PAR_FLUX} au maximum)")
    return r


# --------------------------------------------------------------------------- build_flux


def _sub(parent: etree._Element, name: str, value: object = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{CDC_NS}}}{name}")
    if value is not None:
        el.text = value if isinstance(value, str) else str(value)
    return el


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, int):
        return str(value)
    text = _norm(value)  # type: ignore[arg-type]
    assert text is not None
    return text


def _opt(parent: etree._Element, name: str, value: object) -> None:
    """Optional element (minOccurs=0): omitted when the value is None/blank."""
    if value is None or (isinstance(value, str) and _norm(value) is None):
        return
    _sub(parent, name, _fmt(value))


def _req(parent: etree._Element, name: str, value: object) -> None:
    """Mandatory element, not nillable (check_declarable guarantees a value)."""
    _sub(parent, name, _fmt(value))


def _nillable(parent: etree._Element, name: str, value: object) -> None:
    """Mandatory nillable element: xsi:nil="true" when the value is missing."""
    if value is None or (isinstance(value, str) and _norm(value) is None):
        _sub(parent, name).set(_NIL, "true")
    else:
        _sub(parent, name, _fmt(value))


def _build_passage(parent: etree._Element, p: PassageCertification) -> None:
    el = _sub(parent, "passageCertification")
    _req(el, "idTechnique", p.id_technique)
    _opt(el, "urlPreuve", p.url_preuve)
    _opt(el, "libelleOption", p.libelle_option)
    _req(el, "obtentionCertification", p.obtention_certification)
    _req(el, "donneeCertifiee", p.donnee_certifiee)
    _opt(el, "dateDebutExamen", p.date_debut_examen)
    _opt(el, "dateFinExamen", p.date_fin_examen)
    _opt(el, "modalitePassageExamen", p.modalite_passage_examen)
    _opt(el, "codePostalCentreExamen", p.code_postal_centre_examen)
    _req(el, "dateDebutValidite", p.date_debut_validite)
    _nillable(el, "dateFinValidite", p.date_fin_validite)
    _req(el, "presenceNiveauLangueEuro", p.presence_niveau_langue_euro)
    _opt(el, "niveauLangueEuropeen", p.niveau_langue_europeen)
    _req(el, "presenceNiveauNumeriqueEuro", p.presence_niveau_numerique_euro)
    num = p.niveau_numerique_europeen
    if num is not None:
        n_el = _sub(el, "niveauNumeriqueEuropeen")
        _opt(n_el, "scoreGeneral", num.score_general)
        if num.resultats:
            rs_el = _sub(n_el, "resultats")
            for res in num.resultats:
                r_el = _sub(rs_el, "resultat")
                _opt(r_el, "niveau", res.niveau)
                _opt(r_el, "domaineCompetenceId", res.domaine_competence_id)
                _opt(r_el, "competenceId", res.competence_id)
    _nillable(el, "scoring", p.scoring)
    _nillable(el, "mentionValidee", p.mention_validee)

    mi = p.modalites_inscription
    mi_el = _sub(el, "modalitesInscription")
    _nillable(mi_el, "modaliteAcces", mi.modalite_acces)
    _opt(mi_el, "voieAccessVAE", mi.voie_acces_vae)
    _opt(mi_el, "initiativeInscription", mi.initiative_inscription)
    _opt(mi_el, "dateInscription", mi.date_inscription)

    id_el = _sub(el, "identificationTitulaire")
    ident = p.identification
    if isinstance(ident, DossierFormation):
        d_el = _sub(id_el, "dossierFormation")
        _req(d_el, "idDossier", ident.id_dossier)
        _req(d_el, "nomTitulaire", ident.nom_titulaire)
        _req(d_el, "prenom1Titulaire", ident.prenom1_titulaire)
    else:
        t = ident
        assert isinstance(t, Titulaire)
        t_el = _sub(id_el, "titulaire")
        _req(t_el, "nomNaissance", t.nom_naissance)
        _nillable(t_el, "nomUsage", t.nom_usage)
        _req(t_el, "prenom1", t.prenom1)
        _opt(t_el, "prenom2", t.prenom2)
        _opt(t_el, "prenom3", t.prenom3)
        _req(t_el, "anneeNaissance", t.annee_naissance)
        _nillable(t_el, "moisNaissance", t.mois_naissance)
        _nillable(t_el, "jourNaissance", t.jour_naissance)
        _req(t_el, "sexe", t.sexe)
        ccn = _sub(t_el, "codeCommuneNaissance")
        if _norm(t.code_insee_naissance) is not None:
            _req(_sub(ccn, "codeInseeNaissance"), "codeInsee", t.code_insee_naissance)
        else:
            _nillable(_sub(ccn, "codePostalNaissance"), "codePostal", t.code_postal_naissance)
        _opt(t_el, "libelleCommuneNaissance", t.libelle_commune_naissance)
        _opt(t_el, "codePaysNaissance", t.code_pays_naissance)
        _opt(t_el, "libellePaysNaissance", t.libelle_pays_naissance)
        _opt(t_el, "commentairesMEN", t.commentaires_men)
    _opt(el, "verbatim", p.verbatim)


def build_flux(
    flux: Flux, *, validate: bool = True, xsd_path: str | Path | None = None, indent: bool = True
) -> bytes:
    """Serialise ``flux`` as CDC XML (UTF-8, with declaration, indented unless ``indent=False``).

    The whole tree is built in memory: about 3 KB of XML and 12 s per 20 000 fully filled
    passages; the CDC accepts up to 200 000 passages / 200 MB per file, send big batches with
    ``indent=False`` or split them.

    Raises :class:`CdcFluxError` when :func:`check_flux` finds reasons (the caller should have
    filtered passages with :func:`check_declarable` first), or when ``validate`` is true and the
    produced document does not pass the XSD (a bug in this module if it ever happens).
    """
    reasons = check_flux(flux)
    if reasons:
        raise CdcFluxError(reasons)

    root = etree.Element(f"{{{CDC_NS}}}flux", nsmap=_NSMAP)
    _req(root, "idFlux", flux.id_flux)
    _sub(root, "horodatage", flux.horodatage.replace(microsecond=0).isoformat())
    if flux.action is not None:
        if flux.action not in ("CREATION", "SUPPRESSION"):
            raise CdcFluxError([f"Action de flux inconnue : « {flux.action} » (CREATION ou SUPPRESSION)"])
        _sub(root, "action", flux.action)
        xsd_path = xsd_path or XSD_1_1_5_PATH
    em = _sub(root, "emetteur")
    _req(em, "idClient", flux.emetteur_id_client)
    cert_el = _sub(_sub(em, "certificateurs"), "certificateur")
    _req(cert_el, "idClient", flux.certificateur.id_client)
    _req(cert_el, "idContrat", flux.certificateur.id_contrat)
    certs_el = _sub(cert_el, "certifications")
    for cert in flux.certifications:
        c_el = _sub(certs_el, "certification")
        _req(c_el, "type", cert.type)
        _req(c_el, "code", cert.code)
        _opt(c_el, "natureDeposant", cert.nature_deposant)
        ps_el = _sub(c_el, "passageCertifications")
        for p in cert.passages:
            _build_passage(ps_el, p)

    if indent:
        etree.indent(root, space="  ")
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8") + b"\n"
    if validate:
        issues = validate_flux(data, xsd_path)
        if issues:
            raise CdcFluxError([], issues)
    if len(data) > MAX_FLUX_BYTES:
        raise CdcFluxError(
            [f"Fichier trop volumineux ({len(data)} octets, 200 Mo au maximum) : scinder le flux"]
        )
    return data


# --------------------------------------------------------------------------- validate_flux


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@lru_cache(maxsize=4)
def _load_schema(path: str) -> etree.XMLSchema:
    doc = etree.parse(path, _safe_parser())
    return etree.XMLSchema(doc)


def load_schema(xsd_path: str | Path | None = None) -> etree.XMLSchema:
    """The compiled XSD (cached per resolved path)."""
    return _load_schema(str(Path(xsd_path or DEFAULT_XSD_PATH).resolve()))


# The validator's error_log is per schema object: serialise validations on it.
_VALIDATION_LOCK = threading.Lock()

_FR_RULES: tuple[tuple[str, str], ...] = (
    ("Missing child element", "élément obligatoire manquant"),
    ("This element is not expected", "élément inattendu ou en double"),
    ("[facet 'enumeration']", "valeur hors de la liste autorisée"),
    ("[facet 'pattern']", "format invalide"),
    ("[facet 'length']", "longueur incorrecte"),
    ("[facet 'minLength']", "valeur vide ou trop courte"),
    ("[facet 'maxLength']", "valeur trop longue"),
    ("[facet 'minInclusive']", "valeur trop petite"),
    ("[facet 'maxInclusive']", "valeur trop grande"),
    ("'nilled'", "élément marqué xsi:nil mais avec un contenu"),
    ("is not nillable", "xsi:nil interdit sur cet élément"),
    ("is not a valid value of the atomic type", "valeur invalide pour le type attendu"),
    ("is not a valid value of the local atomic type", "valeur invalide pour le type attendu"),
    ("Character content other than whitespace is not allowed", "texte interdit dans cet élément"),
    ("No matching global declaration", "élément racine inconnu (espace de noms ?)"),
)


def _reason_fr(message: str) -> str:
    for needle, fr in _FR_RULES:
        if needle in message:
            m = re.search(r"Expected is(?: one of)? \( (.+?) \)", message)
            if m and needle in ("Missing child element", "This element is not expected"):
                attendus = m.group(1).replace(f"{{{CDC_NS}}}", "")
                return f"{fr} (attendu : {attendus})"
            return fr
    return "non conforme au schéma CDC"


def _local(path: str | None) -> str | None:
    if not path:
        return None
    last = path.rsplit("/", 1)[-1]
    last = last.split("[", 1)[0]
    return last.rsplit(":", 1)[-1] or None


_PASSAGE_IN_PATH = re.compile(
    r"/(?:[\w.-]+:)?certification(?:\[(\d+)\])?"
    r"/(?:[\w.-]+:)?passageCertifications/(?:[\w.-]+:)?passageCertification(?:\[(\d+)\])?(?:/|$)"
)


class _PassageLocator:
    """idTechnique of the passage an error path points into, in O(1) per issue.

    libxml2 paths look like ``…/cpf:certification[2]/cpf:passageCertifications/
    cpf:passageCertification[17]/…``; walking the tree with ``getpath()`` would be quadratic on
    200 000 passages, so the indices are read from the path instead.
    """

    def __init__(self, root: etree._Element):
        self._root = root
        self._certs: list[etree._Element] | None = None
        self._passages: dict[int, list[etree._Element]] = {}

    def __call__(self, path: str | None) -> str | None:
        m = _PASSAGE_IN_PATH.search(path or "")
        if not m:
            return None
        ci, pi = int(m.group(1) or 1) - 1, int(m.group(2) or 1) - 1
        if self._certs is None:
            self._certs = self._root.findall(
                "cpf:emetteur/cpf:certificateurs/cpf:certificateur/cpf:certifications/cpf:certification",
                namespaces={"cpf": CDC_NS},
            )
        if not 0 <= ci < len(self._certs):
            return None
        if ci not in self._passages:
            self._passages[ci] = self._certs[ci].findall(
                "cpf:passageCertifications/cpf:passageCertification", namespaces={"cpf": CDC_NS}
            )
        passages = self._passages[ci]
        if not 0 <= pi < len(passages):
            return None
        id_el = passages[pi].find(f"{{{CDC_NS}}}idTechnique")
        if id_el is None:
            return None
        return (id_el.text or "").strip() or None


def _syntax_issue(exc: etree.XMLSyntaxError) -> CdcIssue:
    line = exc.lineno or (exc.position[0] if exc.position else 0) or 0
    return CdcIssue(line, None, None, str(exc), "XML mal formé")


def validate_flux(xml_bytes: bytes, xsd_path: str | Path | None = None) -> list[CdcIssue]:
    """XSD issues of a flux (empty list: valid). Never raises on bad input.

    Malformed XML gives one issue (``reason_fr`` "XML mal formé"); a DOCTYPE is refused (the CDC
    schema has no use for it and it is the XXE vector).
    """
    schema = load_schema(xsd_path)
    try:
        doc = etree.fromstring(xml_bytes, _safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        return [_syntax_issue(exc)]
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        return [CdcIssue(1, None, None, "DOCTYPE present", "DOCTYPE interdit dans un flux CDC")]
    with _VALIDATION_LOCK:
        schema.validate(doc)
        errors = list(schema.error_log)
    if not errors:
        return []
    locate = _PassageLocator(doc.getroot())
    issues = []
    for e in errors:
        issues.append(
            CdcIssue(
                line=e.line,
                path=e.path,
                element=_local(e.path),
                message=e.message,
                reason_fr=_reason_fr(e.message),
                id_technique=locate(e.path),
            )
        )
    return issues


# --------------------------------------------------------------------------- parse_rapport

_RAPPORT_NAMESPACES = (None, RAPPORT_NS)


def _rapport_name(el: etree._Element) -> str:
    """Local name of a report element; refuses foreign namespaces and non-elements."""
    if not isinstance(el.tag, str):
        raise RapportInvalide(f"Ligne {el.sourceline} : contenu inattendu (entité ou nœud non élément)")
    qn = etree.QName(el)
    if qn.namespace not in _RAPPORT_NAMESPACES:
        raise RapportInvalide(
            f"Ligne {el.sourceline} : élément <{qn.localname}> dans l'espace de noms « {qn.namespace} » ;"
            f" attendu : aucun ou « {RAPPORT_NS} »"
        )
    return qn.localname


def _leaf_text(el: etree._Element, name: str) -> str:
    if len(el):
        raise RapportInvalide(f"Ligne {el.sourceline} : <{name}> ne doit contenir que du texte")
    return (el.text or "").strip()


def _no_text(el: etree._Element, name: str) -> None:
    if (el.text or "").strip() or any((c.tail or "").strip() for c in el):
        raise RapportInvalide(f"Ligne {el.sourceline} : texte inattendu dans <{name}>")


def _children(el: etree._Element, name: str, allowed: Iterable[str]) -> list[tuple[str, etree._Element]]:
    _no_text(el, name)
    allowed = tuple(allowed)
    out = []
    for child in el:
        cname = _rapport_name(child)
        if cname not in allowed:
            raise RapportInvalide(
                f"Ligne {child.sourceline} : élément <{cname}> inattendu dans <{name}>"
                f" (admis : {', '.join(allowed)})"
            )
        out.append((cname, child))
    return out


def _single(items: list[tuple[str, etree._Element]], name: str, parent: str, *, required: bool):
    found = [el for n, el in items if n == name]
    if len(found) > 1:
        raise RapportInvalide(f"Ligne {found[1].sourceline} : <{name}> en double dans <{parent}>")
    if not found:
        if required:
            raise RapportInvalide(f"<{name}> manquant dans <{parent}>")
        return None
    return found[0]


def parse_rapport(xml_bytes: bytes) -> Rapport:
    """Parse a CDC "accusé de traitement" (see the module docstring for the accepted shape).

    Raises :class:`RapportInvalide` with a French message on anything else. The parser resolves
    no entity, loads no DTD, uses no network; any DOCTYPE is refused.
    """
    if not isinstance(xml_bytes, bytes | bytearray):
        raise RapportInvalide("Le rapport doit être fourni en octets (fichier XML brut)")
    if not xml_bytes.strip():
        raise RapportInvalide("Rapport vide")
    try:
        root = etree.fromstring(bytes(xml_bytes), _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise RapportInvalide(f"Rapport XML mal formé : {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise RapportInvalide("Rapport refusé : DOCTYPE/entités interdits dans un accusé de traitement")

    if not isinstance(root.tag, str) or etree.QName(root).localname != "rapport":
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise RapportInvalide(
            f"Ce n'est pas un accusé de traitement CDC : racine <{name}>, <rapport> attendu"
        )
    _rapport_name(root)

    items = _children(root, "rapport", ("nomFichier", "idFlux", "idTraitement", "PassagesKO", "PassagesOK"))
    id_flux_el = _single(items, "idFlux", "rapport", required=True)
    id_flux = _leaf_text(id_flux_el, "idFlux")
    if not id_flux:
        raise RapportInvalide(f"Ligne {id_flux_el.sourceline} : <idFlux> vide")
    nom_el = _single(items, "nomFichier", "rapport", required=False)
    trt_el = _single(items, "idTraitement", "rapport", required=False)
    ko_el = _single(items, "PassagesKO", "rapport", required=False)
    ok_el = _single(items, "PassagesOK", "rapport", required=False)

    ok: list[str] = []
    if ok_el is not None:
        for _, id_el in _children(ok_el, "PassagesOK", ("idTechnique",)):
            value = _leaf_text(id_el, "idTechnique")
            if not value:
                raise RapportInvalide(f"Ligne {id_el.sourceline} : <idTechnique> vide dans <PassagesOK>")
            if value not in ok:
                ok.append(value)

    ko: list[PassageKO] = []
    if ko_el is not None:
        for _, p_el in _children(ko_el, "PassagesKO", ("passage",)):
            fields = _children(p_el, "passage", ("idTechnique", "messageErreur", "codeErreur"))
            id_el = _single(fields, "idTechnique", "passage", required=True)
            id_tech = _leaf_text(id_el, "idTechnique")
            if not id_tech:
                raise RapportInvalide(f"Ligne {id_el.sourceline} : <idTechnique> vide dans <PassagesKO>")
            msg_el = _single(fields, "messageErreur", "passage", required=False)
            code_el = _single(fields, "codeErreur", "passage", required=False)
            message = _leaf_text(msg_el, "messageErreur") if msg_el is not None else ""
            code = (_leaf_text(code_el, "codeErreur") or None) if code_el is not None else None
            if not message and not code:
                raise RapportInvalide(
                    f"Ligne {p_el.sourceline} : passage KO {id_tech} sans <messageErreur> ni <codeErreur>"
                )
            ko.append(PassageKO(id_tech, " ".join(message.split()), code))

    both = sorted(set(ok) & {p.id_technique for p in ko})
    if both:
        raise RapportInvalide(f"Rapport incohérent : passage(s) à la fois OK et KO : {', '.join(both)}")

    return Rapport(
        id_flux=id_flux,
        nom_fichier=_leaf_text(nom_el, "nomFichier") or None if nom_el is not None else None,
        id_traitement=_leaf_text(trt_el, "idTraitement") or None if trt_el is not None else None,
        ok=tuple(ok),
        ko=tuple(ko),
    )
