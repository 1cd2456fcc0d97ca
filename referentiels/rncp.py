"""Streaming reader for the France compétences RNCP / RS open-data export (flux V4.1).

Pure Python + lxml, no Django import: the Django importer builds on top of it.

Element names follow the real export (see /work/shared/formats/README.md and
rncp-fiches-sample.xml)::

    FICHES/VERSION_FLUX
    FICHES/FICHE/{ID_FICHE, NUMERO_FICHE, INTITULE, ABREGE/{CODE,LIBELLE}, ETAT_FICHE, ACTIF,
                  TYPE_ENREGISTREMENT, NOMENCLATURE_EUROPE/NIVEAU, CODES_NSF/NSF, CODES_ROME/ROME,
                  FORMACODES/FORMACODE, CERTIFICATEURS/CERTIFICATEUR, PARTENAIRES/PARTENAIRE,
                  ACTIVITES_VISEES, CAPACITES_ATTESTEES, OBJECTIFS_CONTEXTE,
                  BLOCS_COMPETENCES/BLOC_COMPETENCES/{CODE, LIBELLE, LISTE_COMPETENCES, MODALITES_EVALUATION},
                  NOUVELLES_CERTIFICATIONS/..., ANCIENNES_CERTIFICATIONS/..., DATE_*}

``CORRESPONDANCES/CORRESPONDANCE/{SOURCE,DESTINATION}/BLOC_COMPETENCES`` only carry bloc *codes*
of equivalences: they are not bloc definitions and are ignored, as is the ``NUMERO_FICHE`` of a
``DESTINATION`` (only the direct child ``FICHE/NUMERO_FICHE`` identifies a fiche).

Value conventions
-----------------
* Identifiers, codes, enumerations, dates, Oui/Non and integers are stripped of surrounding
  whitespace. Intitulés, libellés and free texts are kept verbatim (the XML text, entities decoded,
  CDATA merged): ``BlocCompetences.code`` / ``.intitule`` are exactly the XML values.
* Dates ``JJ/MM/AAAA`` become ``datetime.date``; an absent or empty date element gives ``None``.
* ``Oui`` / ``Non`` become ``True`` / ``False``; absent gives ``None``.
* ``niveau_europeen`` is ``"NIV3"`` … ``"NIV8"``, or ``""`` when absent or ``AUCUN`` (RS fiches).

Errors
------
Every problem is an :class:`RncpError` whose message names the file, the line (and column for
malformed XML), the fiche and the element/field, e.g.
``fiches.xml, ligne 120, FICHE RNCP37674 : date invalide « 31/02/2024 » dans
DATE_FIN_ENREGISTREMENT (attendu JJ/MM/AAAA)``.

* :func:`iter_fiches` raises the first error it meets. Fiches already yielded were valid, but the
  file is not: a caller writing inside one transaction simply lets the exception roll it back.
* :func:`validate` reads the whole file and returns every error (capped), building fiches without
  keeping them. :class:`Checked` is the same reading yielding the valid fiches as it goes: the
  importer validates and writes in one pass, and rolls back when the file had an error.

Checked per fiche: NUMERO_FICHE present and ``RNCP\\d+`` / ``RS\\d+``; NUMERO_FICHE unique in the
file (the error names both lines: the first one is found by re-reading the file, for a path or a
seekable file object); INTITULE present; ID_FICHE integer; every date ``JJ/MM/AAAA``
and real; ACTIF / EXISTENCE_PARTENAIRES ``Oui``/``Non``; each BLOC_COMPETENCES has a CODE and a
LIBELLE, codes unique in the fiche. With ``numeros``, fiches not selected are only checked for
NUMERO_FICHE (presence, format, uniqueness) and are never built.

Security: no DTD is loaded, no entity is resolved (``resolve_entities=False``), no network access
(``no_network=True``), and a document carrying a DOCTYPE (internal subset or external DTD) is
refused outright: the prolog is scanned before parsing, and the parsed document's docinfo is
checked again. XXE and entity expansion ("billion laughs") are therefore impossible; an entity
reference without a DOCTYPE is malformed XML. ``huge_tree`` lifts libxml2's size limits for the
big daily export.

Memory: ``iterparse`` on ``end`` events of ``FICHE``; each FICHE is converted to plain dataclasses,
then cleared and removed from the tree with its preceding siblings, so memory does not grow with
the file. Duplicate detection keeps one bit per number (sparse bitmaps of 1 KB per range of
8,192 numbers), so Python memory stays flat too.
"""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, NamedTuple

from lxml import etree

__all__ = [
    "BlocCompetences",
    "Capacite",
    "Certificateur",
    "CodeLibelle",
    "Fiche",
    "Partenaire",
    "RncpError",
    "iter_fiches",
    "split_competences",
    "validate",
]

Source = str | os.PathLike[str] | IO[bytes]


# --------------------------------------------------------------------------- data


class Capacite(NamedTuple):
    """A capacité split from LISTE_COMPETENCES; a plain ``(code, intitule)`` tuple."""

    code: str
    intitule: str


@dataclass(frozen=True, slots=True)
class CodeLibelle:
    """ABREGE, NSF, ROME, FORMACODE: ``code`` stripped, ``libelle`` verbatim."""

    code: str
    libelle: str


@dataclass(frozen=True, slots=True)
class Certificateur:
    siret: str  # "" when SIRET_CERTIFICATEUR is absent (~31 % of rows)
    nom: str
    etat: str  # Actif | Inactif
    date_modification_etat: date | None  # DATE_DERNIERE_MODIFICATION_ETAT
    nom_commercial: str = ""
    site_internet: str = ""


@dataclass(frozen=True, slots=True)
class Partenaire:
    nom: str
    siret: str
    habilitation: str  # HABILITATION_FORMER | HABILITATION_ORGANISER | HABILITATION_ORGA_FORM
    etat: str  # ETAT_HABILITATION: Actif | Inactif | Supprimé
    date_actif: date | None
    date_modification_etat: date | None


@dataclass(slots=True)
class BlocCompetences:
    code: str  # exactly as in the XML, e.g. "RNCP36612BC01"
    intitule: str  # LIBELLE, exactly as in the XML
    liste_competences: str = ""  # raw LISTE_COMPETENCES
    modalites_evaluation: str = ""  # raw MODALITES_EVALUATION
    capacites: list[Capacite] = field(default_factory=list)  # split_competences(liste_competences)
    sourceline: int = 0


@dataclass(slots=True)
class Fiche:
    numero_fiche: str  # "RNCP36612" | "RS5000"
    intitule: str
    id_fiche: int | None = None
    abrege: CodeLibelle | None = None
    etat_fiche: str = ""
    actif: bool | None = None
    type_enregistrement: str = ""
    niveau_europeen: str = ""  # "NIV3".."NIV8" or ""
    codes_nsf: list[CodeLibelle] = field(default_factory=list)
    codes_rome: list[CodeLibelle] = field(default_factory=list)
    formacodes: list[CodeLibelle] = field(default_factory=list)
    certificateurs: list[Certificateur] = field(default_factory=list)
    existence_partenaires: bool | None = None
    partenaires: list[Partenaire] = field(default_factory=list)
    activites_visees: str = ""
    capacites_attestees: str = ""
    objectifs_contexte: str = ""
    date_publication: date | None = None  # DATE_DE_PUBLICATION (fiches de droit)
    date_decision: date | None = None  # fiches sur demande
    date_effet: date | None = None
    date_fin_enregistrement: date | None = None
    date_limite_delivrance: date | None = None
    date_dernier_jo: date | None = None
    duree_enregistrement: int | None = None  # DUREE_ENREGISTREMENT (years, fiches sur demande)
    publication_jo: str = ""  # PUBLICATION_DECRET_CREATION (or _GENERAL)/PUBLICATION_JO/TITRE
    blocs: list[BlocCompetences] = field(default_factory=list)
    nouvelles_certifications: list[str] = field(default_factory=list)  # numéros replacing this one
    anciennes_certifications: list[str] = field(default_factory=list)  # numéros replaced by this one
    sourceline: int = 0  # line of <FICHE>

    @property
    def repertoire(self) -> str:
        """``"RNCP"`` or ``"RS"``."""
        return "RS" if self.numero_fiche.startswith("RS") else "RNCP"


# --------------------------------------------------------------------------- errors


class RncpError(ValueError):
    """A format error in an RNCP/RS export, located in the file.

    ``str(error)`` is the full French message; the parts are kept as attributes:
    ``filename``, ``line``, ``column`` (malformed XML only), ``fiche`` (numéro, or ``"n° 3"``
    when the numéro itself is missing), ``element`` (e.g. ``"FICHE"``), ``field`` (e.g.
    ``"DATE_FIN_ENREGISTREMENT"`` or ``"PARTENAIRES/PARTENAIRE[2]/DATE_ACTIF"``) and ``detail``.
    """

    def __init__(
        self,
        detail: str,
        *,
        filename: str,
        line: int | None = None,
        column: int | None = None,
        fiche: str | None = None,
        element: str | None = None,
        field: str | None = None,
    ) -> None:
        self.detail = detail
        self.filename = filename
        self.line = line
        self.column = column
        self.fiche = fiche
        self.element = element
        self.field = field
        where = [filename]
        if line:
            where.append(f"ligne {line}")
        if column:
            where.append(f"colonne {column}")
        if fiche is not None:
            where.append(f"FICHE {fiche}")
        elif element:
            where.append(element)
        super().__init__(f"{', '.join(where)} : {detail}")

    def __reduce__(self):  # picklable (e.g. through Celery) despite keyword-only arguments
        keywords = {
            "filename": self.filename,
            "line": self.line,
            "column": self.column,
            "fiche": self.fiche,
            "element": self.element,
            "field": self.field,
        }
        return (functools.partial(RncpError, **keywords), (self.detail,))


# --------------------------------------------------------------------------- parsing helpers

_NUMERO_RE = re.compile(r"(RNCP|RS)(\d+)")
_DATE_RE = re.compile(r"\d{2}/\d{2}/\d{4}", re.ASCII)
_PARSE_OPTIONS = {
    "events": ("end",),
    "tag": "FICHE",
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": True,
    "remove_comments": True,
    "remove_pis": True,
}


def _source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source))
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) else "<flux>"


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """First direct child named ``tag`` (C-level filter: cheaper than ``find``)."""
    return next(el.iterchildren(tag), None)


def _text(el: etree._Element) -> str:
    """Verbatim text of a leaf element (CDATA merged, comments removed by the parser)."""
    if len(el):
        return "".join(el.itertext())
    return el.text or ""


class _SeenNumeros:
    """Set of NUMERO_FICHE as sparse bitmaps: 1 KB per range of 8,192 numbers, whatever the count.

    Only membership is kept (not the line of the first occurrence): memory stays flat however
    long the file. The first line of a duplicate is found again by re-reading the file, which
    only happens on that error path (see :func:`_first_lines`).
    """

    CHUNK = 8192
    __slots__ = ("_chunks",)

    def __init__(self) -> None:
        self._chunks: dict[tuple[str, int], bytearray] = {}

    def add(self, prefix: str, number: int) -> bool:
        """Record the number; return ``False`` when it was already there."""
        key, slot = (prefix, number // self.CHUNK), number % self.CHUNK
        chunk = self._chunks.get(key)
        if chunk is None:
            chunk = self._chunks[key] = bytearray(self.CHUNK // 8)
        byte, bit = slot >> 3, 1 << (slot & 7)
        if chunk[byte] & bit:
            return False
        chunk[byte] |= bit
        return True


class _FicheReader:
    """Converts one FICHE element into a :class:`Fiche`, collecting field errors."""

    def __init__(self, filename: str, label: str, numero: str | None) -> None:
        self.filename = filename
        self.label = label
        self.numero = numero
        self.errors: list[RncpError] = []

    def error(self, el: etree._Element | None, field_path: str, detail: str, line: int = 0) -> None:
        self.errors.append(
            RncpError(
                detail,
                filename=self.filename,
                line=(el.sourceline if el is not None else None) or line or None,
                fiche=self.label,
                element="FICHE",
                field=field_path,
            )
        )

    # -- values

    def date(self, el: etree._Element, tag: str, parent: str = "", index: int = 0) -> date | None:
        """``parent``/``index`` locate a nested date (``PARTENAIRES/PARTENAIRE[2]/DATE_ACTIF``);
        the path string is only built for an error."""
        raw = _text(el).strip()
        if not raw:
            return None
        if _DATE_RE.fullmatch(raw):
            try:
                return date(int(raw[6:]), int(raw[3:5]), int(raw[:2]))
            except ValueError:
                pass
        field_path = f"{parent}[{index}]/{tag}" if parent else tag
        self.error(el, field_path, f"date invalide « {raw} » dans {field_path} (attendu JJ/MM/AAAA)")
        return None

    def oui_non(self, el: etree._Element, field_path: str) -> bool | None:
        raw = _text(el).strip()
        if raw == "Oui":
            return True
        if raw == "Non":
            return False
        if not raw:
            return None
        self.error(el, field_path, f"valeur invalide « {raw} » dans {field_path} (attendu Oui ou Non)")
        return None

    def integer(self, el: etree._Element, field_path: str) -> int | None:
        raw = _text(el).strip()
        if not raw:
            return None
        if raw.isascii() and raw.isdigit():
            return int(raw)
        self.error(el, field_path, f"valeur invalide « {raw} » dans {field_path} (attendu un entier)")
        return None

    @staticmethod
    def code_libelles(container: etree._Element, item_tag: str) -> list[CodeLibelle]:
        result = []
        for item in container.iterchildren(item_tag):
            code = _child(item, "CODE")
            libelle = _child(item, "LIBELLE")
            result.append(
                CodeLibelle(
                    _text(code).strip() if code is not None else "",
                    _text(libelle) if libelle is not None else "",
                )
            )
        return result

    @staticmethod
    def numeros(container: etree._Element, item_tag: str, value_tag: str) -> list[str]:
        result = []
        for item in container.iterchildren(item_tag):
            for value in item.iterchildren(value_tag):
                text = _text(value).strip()
                if text:
                    result.append(text)
        return result

    # -- sub-records

    def certificateurs(self, container: etree._Element) -> list[Certificateur]:
        result = []
        for i, item in enumerate(container.iterchildren("CERTIFICATEUR"), 1):
            values: dict[str, str] = {}
            when = None
            for child in item:
                tag = child.tag
                if tag == "DATE_DERNIERE_MODIFICATION_ETAT":
                    when = self.date(child, tag, "CERTIFICATEURS/CERTIFICATEUR", i)
                else:
                    values[tag] = _text(child)
            result.append(
                Certificateur(
                    siret=values.get("SIRET_CERTIFICATEUR", "").strip(),
                    nom=values.get("NOM_CERTIFICATEUR", ""),
                    etat=values.get("ETAT_CERTIFICATEUR", "").strip(),
                    date_modification_etat=when,
                    nom_commercial=values.get("NOM_COMMERCIAL", ""),
                    site_internet=values.get("SITE_INTERNET", "").strip(),
                )
            )
        return result

    def partenaires(self, container: etree._Element) -> list[Partenaire]:
        result = []
        for i, item in enumerate(container.iterchildren("PARTENAIRE"), 1):
            values: dict[str, str] = {}
            date_actif = date_modif = None
            for child in item:
                tag = child.tag
                if tag == "DATE_ACTIF":
                    date_actif = self.date(child, tag, "PARTENAIRES/PARTENAIRE", i)
                elif tag == "DATE_DERNIERE_MODIFICATION_ETAT":
                    date_modif = self.date(child, tag, "PARTENAIRES/PARTENAIRE", i)
                else:
                    values[tag] = _text(child)
            result.append(
                Partenaire(
                    nom=values.get("NOM_PARTENAIRE", ""),
                    siret=values.get("SIRET_PARTENAIRE", "").strip(),
                    habilitation=values.get("HABILITATION_PARTENAIRE", "").strip(),
                    etat=values.get("ETAT_HABILITATION", "").strip(),
                    date_actif=date_actif,
                    date_modification_etat=date_modif,
                )
            )
        return result

    def blocs(self, container: etree._Element) -> list[BlocCompetences]:
        result = []
        seen: dict[str, int] = {}
        for i, item in enumerate(container.iterchildren("BLOC_COMPETENCES"), 1):
            values: dict[str, str] = {}
            for child in item:
                values[child.tag] = _text(child)  # comments/PIs are removed by the parser
            code = values.get("CODE", "").strip()
            intitule = values.get("LIBELLE", "")
            line = item.sourceline or 0
            path = "" if code and intitule.strip() else f"BLOCS_COMPETENCES/BLOC_COMPETENCES[{i}]"
            if not code:
                self.error(item, f"{path}/CODE", f"CODE manquant dans {path}")
                continue
            if not intitule.strip():
                self.error(item, f"{path}/LIBELLE", f"LIBELLE manquant dans le bloc {code}")
                continue
            if code in seen:
                self.error(
                    item,
                    f"BLOCS_COMPETENCES/BLOC_COMPETENCES[{i}]/CODE",
                    f"bloc {code} en double dans la fiche (lignes {seen[code]} et {line})",
                )
                continue
            seen[code] = line
            liste = values.get("LISTE_COMPETENCES", "")
            result.append(
                BlocCompetences(
                    code=code,
                    intitule=intitule,
                    liste_competences=liste,
                    modalites_evaluation=values.get("MODALITES_EVALUATION", ""),
                    capacites=split_competences(liste),
                    sourceline=line,
                )
            )
        return result

    # -- the fiche

    # One dict lookup per child element; unknown elements (SI_JURY_*, STATISTIQUES_*…) are skipped.
    _FIELDS: dict[str, tuple[str, str]] = {
        "ACTIVITES_VISEES": ("text", "activites_visees"),
        "CAPACITES_ATTESTEES": ("text", "capacites_attestees"),
        "OBJECTIFS_CONTEXTE": ("text", "objectifs_contexte"),
        "INTITULE": ("text", "intitule"),
        "ETAT_FICHE": ("strip", "etat_fiche"),
        "TYPE_ENREGISTREMENT": ("strip", "type_enregistrement"),
        "DATE_DE_PUBLICATION": ("date", "date_publication"),
        "DATE_DECISION": ("date", "date_decision"),
        "DATE_EFFET": ("date", "date_effet"),
        "DATE_FIN_ENREGISTREMENT": ("date", "date_fin_enregistrement"),
        "DATE_LIMITE_DELIVRANCE": ("date", "date_limite_delivrance"),
        "DATE_DERNIER_JO": ("date", "date_dernier_jo"),
        "DUREE_ENREGISTREMENT": ("int", "duree_enregistrement"),
        "PUBLICATION_DECRET_CREATION": ("jo", "publication_jo"),
        "PUBLICATION_DECRET_GENERAL": ("jo", "publication_jo"),
        "ACTIF": ("bool", "actif"),
        "EXISTENCE_PARTENAIRES": ("bool", "existence_partenaires"),
        "ID_FICHE": ("int", "id_fiche"),
        "CODES_NSF": ("codes:NSF", "codes_nsf"),
        "CODES_ROME": ("codes:ROME", "codes_rome"),
        "FORMACODES": ("codes:FORMACODE", "formacodes"),
        "ABREGE": ("abrege", "abrege"),
        "NOMENCLATURE_EUROPE": ("niveau", "niveau_europeen"),
        "CERTIFICATEURS": ("certificateurs", "certificateurs"),
        "PARTENAIRES": ("partenaires", "partenaires"),
        "BLOCS_COMPETENCES": ("blocs", "blocs"),
        "NOUVELLES_CERTIFICATIONS": ("nouvelles", "nouvelles_certifications"),
        "ANCIENNES_CERTIFICATIONS": ("anciennes", "anciennes_certifications"),
    }

    def read(self, elem: etree._Element) -> Fiche:
        fiche = Fiche(numero_fiche=self.numero or "", intitule="", sourceline=elem.sourceline or 0)
        fields = self._FIELDS
        for child in elem:
            tag = child.tag  # each access builds a new str: read it once
            spec = fields.get(tag)
            if spec is None:
                continue
            kind, attr = spec
            value: object
            if kind == "text":
                value = _text(child)
            elif kind == "strip":
                value = _text(child).strip()
            elif kind == "date":
                value = self.date(child, tag)
            elif kind == "bool":
                value = self.oui_non(child, tag)
            elif kind == "int":
                value = self.integer(child, tag)
            elif kind.startswith("codes:"):
                value = self.code_libelles(child, kind[6:])
            elif kind == "abrege":
                code, libelle = _child(child, "CODE"), _child(child, "LIBELLE")
                abrege = CodeLibelle(
                    _text(code).strip() if code is not None else "",
                    _text(libelle) if libelle is not None else "",
                )
                value = abrege if (abrege.code or abrege.libelle) else None
            elif kind == "jo":
                if tag == "PUBLICATION_DECRET_GENERAL" and fiche.publication_jo:
                    continue  # the création's arrêté is the more precise reference
                jo = _child(child, "PUBLICATION_JO")
                titre = _child(jo, "TITRE") if jo is not None else None
                value = " ".join(_text(titre).split()) if titre is not None else ""
            elif kind == "niveau":
                niveau = _child(child, "NIVEAU")
                value = _text(niveau).strip() if niveau is not None else ""
                value = "" if value.upper() == "AUCUN" else value
            elif kind == "certificateurs":
                value = self.certificateurs(child)
            elif kind == "partenaires":
                value = self.partenaires(child)
            elif kind == "blocs":
                value = self.blocs(child)
            elif kind == "nouvelles":
                value = self.numeros(child, "NOUVELLE_CERTIFICATION", "ID_FICHE_NOUVELLE_CERTIFICATION")
            else:  # anciennes
                value = self.numeros(child, "ANCIENNE_CERTIFICATION", "ID_FICHE_ANCIENNE_CERTIFICATION")
            setattr(fiche, attr, value)
        if not fiche.intitule.strip():
            self.error(None, "INTITULE", "INTITULE manquant", line=elem.sourceline or 0)
        return fiche


# --------------------------------------------------------------------------- main loop


def _syntax_error(exc: etree.XMLSyntaxError, filename: str) -> RncpError:
    line, column = exc.position if exc.position else (0, 0)
    message = exc.msg or str(exc)
    entries = [e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR and e.line > 0]
    if entries:  # lxml's own position is (0, 0) for some errors; libxml2's log is precise
        first = entries[0]
        line, column, message = first.line, first.column, first.message
    if not line:
        return RncpError(f"XML mal formé ou vide ({message})", filename=filename)
    # lxml appends ", line L, column C" to some messages: the position is given separately.
    message = re.sub(r",? line \d+, column \d+.*$", "", message)
    return RncpError(f"XML mal formé : {message}", filename=filename, line=line, column=column or None)


_PROLOG_BYTES = 1 << 16
_ROOT_START_RE = re.compile(rb"<[A-Za-z_:]")


class _Prepended:
    """A binary stream whose first bytes were already read (to inspect the prolog)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._stream.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._stream.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data


def _refuse_doctype(source: Source, filename: str) -> Source:
    """Refuse a DOCTYPE found in the prolog before libxml2 sees it; return what to parse.

    libxml2 would refuse entity-expansion bombs anyway ("amplification factor"), and no entity is
    resolved, but a precise message is better. A DOCTYPE the scan misses (prolog beyond 64 KB,
    UTF-16 file) is still refused by :func:`_check_document`.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            head = handle.read(_PROLOG_BYTES)
        parsed: Source = source
    else:
        head = source.read(_PROLOG_BYTES)
        parsed = _Prepended(head, source)  # type: ignore[assignment]
    root = _ROOT_START_RE.search(head)
    prolog = head[: root.start()] if root else head
    position = prolog.find(b"<!DOCTYPE")
    if position >= 0:
        raise RncpError(_DOCTYPE_MESSAGE, filename=filename, line=prolog.count(b"\n", 0, position) + 1)
    return parsed


_DOCTYPE_MESSAGE = "DOCTYPE interdit (DTD et entités refusées dans un export RNCP)"


def _check_document(elem: etree._Element, filename: str) -> None:
    tree = elem.getroottree()
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise RncpError(_DOCTYPE_MESSAGE, filename=filename, line=1)
    root = tree.getroot()
    if root.tag != "FICHES":
        raise RncpError(
            f"élément racine FICHES attendu, trouvé {root.tag}", filename=filename, line=root.sourceline
        )


def _open_position(source: Source) -> int | None:
    """Start offset of a seekable file object (to re-read it for duplicates), else ``None``."""
    if isinstance(source, str | os.PathLike):
        return 0
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _first_lines(source: Source, start: int | None, wanted: set[str]) -> dict[str, int]:
    """Re-read the file and return the line of the first FICHE of each numéro in ``wanted``."""
    found: dict[str, int] = {}
    if start is None:
        return found
    try:
        if not isinstance(source, str | os.PathLike):
            source.seek(start)
        options = {**_PARSE_OPTIONS, "tag": "NUMERO_FICHE"}
        for _event, elem in etree.iterparse(source, **options):
            fiche = elem.getparent()
            if fiche is None or fiche.tag != "FICHE":
                continue  # e.g. CORRESPONDANCE/DESTINATION/NUMERO_FICHE
            numero = (elem.text or "").strip()
            if numero in wanted and numero not in found:
                found[numero] = fiche.sourceline or 0
                if len(found) == len(wanted):
                    break
            root = fiche.getparent()
            if root is not None:
                while fiche.getprevious() is not None:
                    del root[0]
    except (etree.XMLSyntaxError, OSError, ValueError):
        pass
    return found


def _duplicate_error(filename: str, numero: str, line: int, first_line: int | None) -> RncpError:
    first = f"FICHE ligne {first_line}" if first_line else "une FICHE plus haut (ligne non relue)"
    return RncpError(
        f"NUMERO_FICHE {numero} en double : {first} et FICHE ligne {line}",
        filename=filename,
        line=line,
        fiche=numero,
        element="FICHE",
        field="NUMERO_FICHE",
    )


def _parse(
    source: Source,
    numeros: Iterable[str] | None,
    report: Callable[[RncpError], None],
    duplicates: list[tuple[str, int]] | None = None,
) -> Iterator[Fiche]:
    """The streaming loop. Errors go to ``report`` (which may raise); duplicates go to
    ``duplicates`` when given (resolved later in one re-reading), else are reported at once."""
    filename = _source_name(source)
    wanted = None if numeros is None else frozenset(n.strip() for n in numeros)
    start = _open_position(source)
    seen = _SeenNumeros()
    etree.clear_error_log()
    context = etree.iterparse(_refuse_doctype(source, filename), **_PARSE_OPTIONS)
    index = 0
    checked = False
    try:
        for _event, elem in context:
            if not checked:
                _check_document(elem, filename)
                checked = True
            index += 1
            line = elem.sourceline or 0
            parent = elem.getparent()
            if parent is None or parent.getparent() is not None:
                raise RncpError(
                    f"FICHE inattendue dans {parent.tag if parent is not None else '?'} "
                    "(attendue directement sous FICHES)",
                    filename=filename,
                    line=line,
                )
            fiche = None
            numero = _check_numero(elem, filename, index, line, report)
            if numero is not None:
                prefix, number = _NUMERO_RE.fullmatch(numero).groups()  # type: ignore[union-attr]
                if not seen.add(prefix, int(number)):
                    if duplicates is not None:
                        duplicates.append((numero, line))
                    else:
                        first = _first_lines(source, start, {numero}).get(numero)
                        report(_duplicate_error(filename, numero, line, first))
                elif wanted is None or numero in wanted:
                    reader = _FicheReader(filename, numero, numero)
                    fiche = reader.read(elem)
                    for error in reader.errors:
                        report(error)
                    if reader.errors:
                        fiche = None
            # Free the subtree and everything before it: the tree never holds more than one FICHE.
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:
                del parent[0]
            if fiche is not None:
                yield fiche
        root = context.root
        if not checked and root is not None:
            _check_document(root, filename)
    except etree.XMLSyntaxError as exc:
        report(_syntax_error(exc, filename))


def _check_numero(
    elem: etree._Element, filename: str, index: int, line: int, report: Callable[[RncpError], None]
) -> str | None:
    """The fiche's own NUMERO_FICHE (direct child) if present and well-formed, else report."""
    numero_el = _child(elem, "NUMERO_FICHE")
    numero = _text(numero_el).strip() if numero_el is not None else ""
    if _NUMERO_RE.fullmatch(numero):
        return numero
    id_el = _child(elem, "ID_FICHE")
    ident = _text(id_el).strip() if id_el is not None else ""
    if not numero:
        detail = "NUMERO_FICHE manquant"
    else:
        detail = f"NUMERO_FICHE invalide « {numero} » (attendu RNCP ou RS suivi de chiffres)"
    report(
        RncpError(
            detail,
            filename=filename,
            line=(numero_el.sourceline if numero_el is not None else None) or line,
            fiche=f"n° {index}" + (f" (ID_FICHE {ident})" if ident else ""),
            element="FICHE",
            field="NUMERO_FICHE",
        )
    )
    return None


def _raise(error: RncpError) -> None:
    raise error


def iter_fiches(source: Source, *, numeros: Iterable[str] | None = None) -> Iterator[Fiche]:
    """Yield the fiches of an RNCP/RS export one by one, in file order.

    ``source`` is a path or a binary file object. ``numeros`` restricts the fiches built and
    yielded (e.g. ``{"RNCP36612"}``); the others are skipped once their NUMERO_FICHE is checked.
    Raises :class:`RncpError` at the first problem (see the module docstring).
    """
    return _parse(source, numeros, _raise)


class _TooManyErrors(Exception):
    pass


class Checked:
    """One reading that both validates the export and yields its fiches: iterate it for the valid
    fiches (in file order; a fiche with an error is not yielded and the reading goes on), watch
    :attr:`failed`, then read :attr:`errors` once the iteration is over — the same list, in the
    same order, as :func:`validate` returns. A caller writing inside one transaction stops writing
    when :attr:`failed` turns true and rolls back at the end: the file is read once, not twice.
    """

    def __init__(self, source: Source, numeros: Iterable[str] | None = None, *, max_errors: int = 200):
        self.source = source
        self.numeros = numeros
        self.max_errors = max_errors
        self._errors: list[RncpError] = []
        self._duplicates: list[tuple[str, int]] = []
        self.errors: list[RncpError] = []  # final, once the iteration is over

    @property
    def failed(self) -> bool:
        return bool(self._errors or self._duplicates)

    def __iter__(self) -> Iterator[Fiche]:
        errors, duplicates = self._errors, self._duplicates
        filename = _source_name(self.source)
        start = _open_position(self.source)

        def collect(error: RncpError) -> None:
            errors.append(error)
            if len(errors) + len(duplicates) >= self.max_errors:
                raise _TooManyErrors

        try:
            yield from _parse(self.source, self.numeros, collect, duplicates)
        except _TooManyErrors:
            pass
        except RncpError as error:  # DOCTYPE, root element, misplaced FICHE: fatal
            errors.append(error)
        final = list(errors)
        if duplicates:
            first = _first_lines(self.source, start, {numero for numero, _line in duplicates})
            final.extend(_duplicate_error(filename, n, line, first.get(n)) for n, line in duplicates)
        final.sort(key=lambda error: error.line or 0)
        self.errors = final[: self.max_errors]


def validate(
    source: Source, numeros: Iterable[str] | None = None, *, max_errors: int = 200
) -> list[RncpError]:
    """Read the whole export; return its errors sorted by line (``[]`` when valid).

    Collects up to ``max_errors`` errors; malformed XML stops the reading. Fiches are built
    (so that every field is checked) but not kept: memory stays flat. Duplicated numéros are
    resolved at the end by re-reading the file once, to name the line of the first occurrence.
    (:class:`Checked` is the same reading, yielding the fiches as it goes.)
    """
    checked = Checked(source, numeros, max_errors=max_errors)
    for _fiche in checked:
        pass
    return checked.errors


# --------------------------------------------------------------------------- compétences

_HTML_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_HTML_LI_RE = re.compile(r"<li\b[^<>]*>", re.IGNORECASE)
_HTML_BREAK_RE = re.compile(r"</?(?:br|p|div|ul|ol|li|h[1-6]|tr|table|blockquote)\b[^<>]*/?>", re.IGNORECASE)
# "A1C1.", "A5.C1.", "C1 :", "C.1.1.1", "BC01.C2 -", "CP3)", "A2C10 " — a code made of capitals and
# digits (at least one digit) followed by a separator or a space, then the intitulé.
_CODE_RE = re.compile(
    r"(?P<code>[A-Z]{1,4}\.?\d{1,3}(?:[.\-]?[A-Z]{0,4}\.?\d{1,3})*)(?:\s*[.:)\-–]\s*|\s+)(?=\S)"
)
# "1. ", "2) ", "3 - ", "1.2. ", "1.2 "
_NUM_RE = re.compile(
    r"(?P<code>\d{1,2}(?:\.\d{1,2})*)(?:[.)]|\s*[-–:])\s*(?=\S)|(?P<code2>\d{1,2}(?:\.\d{1,2})+)\s+(?=\S)"
)
_BULLET_RE = re.compile(r"[-–—•*·▪◦●■□➢➤►→✓]\s*(?=\S)")
_SPACE_RUN_RE = re.compile(r" {2,}")
_ACRONYM_RE = re.compile(r"[A-Z0-9]{2,}\b")
_ENDS_SENTENCE = tuple('.;:!?)»"’')


def _to_lines(text: str) -> list[str]:
    if "<" in text and _HTML_TAG_RE.search(text):
        text = _HTML_LI_RE.sub("\n- ", text)
        text = _HTML_BREAK_RE.sub("\n", text)
        text = _HTML_TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    # A line break is a newline or a run of at least two spaces (str methods: much faster than re).
    for char in "\r\n\t\xa0\u202f":
        if char in text:
            text = text.replace(char, "  " if char in "\r\n" else " ")
    return [stripped for line in text.split("  ") if (stripped := line.strip())]


def _classify(line: str) -> tuple[str, str, str]:
    """Return ``(kind, code, body)`` with kind ``code`` | ``num`` | ``bullet`` | ``plain``."""
    match = _CODE_RE.match(line)
    if match:
        return "code", match.group("code"), line[match.end() :]
    match = _NUM_RE.match(line)
    if match:
        return "num", match.group("code") or match.group("code2"), line[match.end() :]
    match = _BULLET_RE.match(line)
    if match:
        body = line[match.end() :]
        kind, code, rest = _classify(body)  # "- C1 : …", "• 1. …": the code wins over the bullet
        return ("bullet", "", body) if kind in ("plain", "bullet") else (kind, code, rest)
    return "plain", "", line


def _clean(text: str) -> str:
    if "  " in text:  # lines come from _to_lines: no newline or tab left, only space runs
        text = _SPACE_RUN_RE.sub(" ", text)
    return text.strip().rstrip(" ;,")


def split_competences(text: str | None) -> list[Capacite]:
    """Split a LISTE_COMPETENCES free text into ``(code, intitulé)`` capacités.

    The export turns line breaks into runs of spaces (or newlines; HTML fragments are
    tolerated: ``<li>`` become bullets, ``<br>``/``<p>`` line breaks). Lines are recognised as:

    * coded: ``A1C1. …``, ``A5.C1. …``, ``C1 : …``, ``C.1.1 …`` → the code as written;
    * numbered: ``1. …``, ``2) …`` → ``"1"``, ``"2"``; bullets nested under numbered lines
      (``1. Titre * a * b 2. …``) give the bullets, coded ``"1.1"``, ``"1.2"``, ``"2.1"`` …;
    * bulleted: ``* …``, ``- …``, ``• …`` → numbered ``"1"``, ``"2"`` … in order;
    * plain lines, each starting with a capital (e.g. one sentence per line) → ``"1"``, ``"2"`` ….

    A line starting with a lower-case letter continues the previous one (a broken sentence);
    text before the first coded/numbered/bulleted line (an introduction ending with ``:``) is
    dropped. Returns ``[]`` when no list structure is found (a single paragraph); the raw text
    is always kept on the bloc.
    """
    if not text or not text.strip():
        return []
    lines: list[tuple[str, str, str]] = []
    for raw in _to_lines(text):
        kind, code, body = _classify(raw)
        if kind == "plain" and lines:
            previous = lines[-1]
            first = raw[0]
            if not first.isupper() or (
                _ACRONYM_RE.match(raw) and not previous[2].rstrip().endswith(_ENDS_SENTENCE)
            ):
                lines[-1] = (previous[0], previous[1], f"{previous[2]} {raw}")
                continue
        lines.append((kind, code, body))
    if not lines:
        return []

    counts = {"code": 0, "num": 0, "bullet": 0, "plain": 0}
    for kind, _code, _body in lines:
        counts[kind] += 1

    def usable(kind: str) -> bool:
        return counts[kind] >= 2 or (counts[kind] == 1 and lines[0][0] == kind)

    if usable("code"):
        return _items(lines, "code")
    if usable("num"):
        if counts["bullet"]:
            return _nested(lines)
        return _items(lines, "num")
    if usable("bullet") and counts["bullet"] >= 2:
        return _items(lines, "bullet")
    # Plain lines only: one capacité per line, if there are at least two (after an intro).
    if lines[0][0] == "plain" and lines[0][2].rstrip().endswith(":"):
        lines = lines[1:]
    if len(lines) >= 2 and all(kind == "plain" for kind, _c, _b in lines):
        return [Capacite(str(i), _clean(body)) for i, (_k, _c, body) in enumerate(lines, 1) if _clean(body)]
    return []


def _items(lines: list[tuple[str, str, str]], marker: str) -> list[Capacite]:
    """One capacité per ``marker`` line; other lines after it are appended to it."""
    items: list[list[str]] = []
    for kind, code, body in lines:
        if kind == marker:
            items.append([code or str(len(items) + 1), body])
        elif items:  # continuation (sub-bullets, notes) of the current capacité
            items[-1][1] += f" {body}"
        # else: introduction before the first item, dropped
    result = []
    for code, body in items:
        cleaned = _clean(body)
        if cleaned:
            result.append(Capacite(code, cleaned))
    return result


def _nested(lines: list[tuple[str, str, str]]) -> list[Capacite]:
    """Numbered headings with bullets under them: the bullets are the capacités (``n.k``)."""
    result: list[Capacite] = []
    heading: tuple[str, str] | None = None  # (code, body) of the current numbered line
    count = 0
    for kind, code, body in lines:
        if kind == "num":
            if heading is not None and count == 0 and _clean(heading[1]):
                result.append(Capacite(heading[0], _clean(heading[1])))
            heading, count = (code, body), 0
        elif kind == "bullet" and heading is not None:
            count += 1
            cleaned = _clean(body)
            if cleaned:
                result.append(Capacite(f"{heading[0]}.{count}", cleaned))
        elif result and heading is not None and count:
            last = result[-1]
            result[-1] = Capacite(last.code, _clean(f"{last.intitule} {body}"))
        elif heading is not None and not count:
            heading = (heading[0], f"{heading[1]} {body}")
    if heading is not None and count == 0 and _clean(heading[1]):
        result.append(Capacite(heading[0], _clean(heading[1])))
    return result
