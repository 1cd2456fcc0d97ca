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
  keeping them: run it first, then :func:`iter_fiches` for the writing pass.

Checked per fiche: NUMERO_FICHE present and ``RNCP\\d+`` / ``RS\\d+``; NUMERO_FICHE unique in the
file (the error names both lines); INTITULE present; ID_FICHE integer; every date ``JJ/MM/AAAA``
and real; ACTIF / EXISTENCE_PARTENAIRES ``Oui``/``Non``; each BLOC_COMPETENCES has a CODE and a
LIBELLE, codes unique in the fiche. With ``numeros``, fiches not selected are only checked for
NUMERO_FICHE (presence, format, uniqueness) and are never built.

Security: no DTD is loaded, no entity is resolved, no network access; a document carrying a
DOCTYPE (internal subset or external DTD) is refused outright, so XXE / entity expansion is
impossible. ``huge_tree`` lifts libxml2's size limits for the big daily export.

Memory: ``iterparse`` on ``end`` events of ``FICHE``; each FICHE is converted to plain dataclasses,
then cleared and removed from the tree with its preceding siblings, so memory does not grow with
the file. Duplicate detection keeps, per number, only the line of the first occurrence in a
sparse ``array`` (4 bytes per number in touched ranges of 1,024 numbers).
"""

from __future__ import annotations

import html
import os
import re
from array import array
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


def _text(el: etree._Element) -> str:
    """Verbatim text of a leaf element (CDATA merged, comments removed by the parser)."""
    if len(el):
        return "".join(el.itertext())
    return el.text or ""


class _SeenNumeros:
    """First line of each NUMERO_FICHE, in sparse 1,024-slot arrays (near-constant memory)."""

    CHUNK = 1024
    __slots__ = ("_chunks",)

    def __init__(self) -> None:
        self._chunks: dict[tuple[str, int], array] = {}

    def check_and_add(self, prefix: str, number: int, line: int) -> int:
        """Record ``line`` for the number; return the line already recorded (0 if new)."""
        key, slot = (prefix, number // self.CHUNK), number % self.CHUNK
        chunk = self._chunks.get(key)
        if chunk is None:
            chunk = self._chunks[key] = array("I", bytes(4 * self.CHUNK))
        previous = chunk[slot]
        if not previous:
            chunk[slot] = min(max(line, 1), 0xFFFFFFFF)
        return previous


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

    def date(self, el: etree._Element, field_path: str) -> date | None:
        raw = _text(el).strip()
        if not raw:
            return None
        if _DATE_RE.fullmatch(raw):
            try:
                return date(int(raw[6:]), int(raw[3:5]), int(raw[:2]))
            except ValueError:
                pass
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
            code = item.find("CODE")
            libelle = item.find("LIBELLE")
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
                    when = self.date(child, f"CERTIFICATEURS/CERTIFICATEUR[{i}]/{tag}")
                elif isinstance(tag, str):
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
                    date_actif = self.date(child, f"PARTENAIRES/PARTENAIRE[{i}]/{tag}")
                elif tag == "DATE_DERNIERE_MODIFICATION_ETAT":
                    date_modif = self.date(child, f"PARTENAIRES/PARTENAIRE[{i}]/{tag}")
                elif isinstance(tag, str):
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
            path = f"BLOCS_COMPETENCES/BLOC_COMPETENCES[{i}]"
            values: dict[str, str] = {}
            for child in item:
                if isinstance(child.tag, str):
                    values[child.tag] = _text(child)
            code = values.get("CODE", "").strip()
            intitule = values.get("LIBELLE", "")
            line = item.sourceline or 0
            if not code:
                self.error(item, f"{path}/CODE", f"CODE manquant dans {path}")
                continue
            if not intitule.strip():
                self.error(item, f"{path}/LIBELLE", f"LIBELLE manquant dans le bloc {code}")
                continue
            if code in seen:
                self.error(
                    item, f"{path}/CODE", f"bloc {code} en double dans la fiche (lignes {seen[code]} et {line})"
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

    _VERBATIM = {
        "ACTIVITES_VISEES": "activites_visees",
        "CAPACITES_ATTESTEES": "capacites_attestees",
        "OBJECTIFS_CONTEXTE": "objectifs_contexte",
    }
    _STRIPPED = {"ETAT_FICHE": "etat_fiche", "TYPE_ENREGISTREMENT": "type_enregistrement"}
    _DATES = {
        "DATE_DE_PUBLICATION": "date_publication",
        "DATE_DECISION": "date_decision",
        "DATE_EFFET": "date_effet",
        "DATE_FIN_ENREGISTREMENT": "date_fin_enregistrement",
        "DATE_LIMITE_DELIVRANCE": "date_limite_delivrance",
        "DATE_DERNIER_JO": "date_dernier_jo",
    }
    _BOOLS = {"ACTIF": "actif", "EXISTENCE_PARTENAIRES": "existence_partenaires"}

    def read(self, elem: etree._Element) -> Fiche:
        fiche = Fiche(numero_fiche=self.numero or "", intitule="", sourceline=elem.sourceline or 0)
        has_intitule = False
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag in self._VERBATIM:
                setattr(fiche, self._VERBATIM[tag], _text(child))
            elif tag in self._DATES:
                setattr(fiche, self._DATES[tag], self.date(child, tag))
            elif tag in self._STRIPPED:
                setattr(fiche, self._STRIPPED[tag], _text(child).strip())
            elif tag in self._BOOLS:
                setattr(fiche, self._BOOLS[tag], self.oui_non(child, tag))
            elif tag == "INTITULE":
                fiche.intitule = _text(child)
                has_intitule = bool(fiche.intitule.strip())
            elif tag == "ID_FICHE":
                fiche.id_fiche = self.integer(child, tag)
            elif tag == "ABREGE":
                code = child.find("CODE")
                libelle = child.find("LIBELLE")
                abrege = CodeLibelle(
                    _text(code).strip() if code is not None else "",
                    _text(libelle) if libelle is not None else "",
                )
                fiche.abrege = abrege if (abrege.code or abrege.libelle) else None
            elif tag == "NOMENCLATURE_EUROPE":
                niveau = child.find("NIVEAU")
                value = _text(niveau).strip() if niveau is not None else ""
                fiche.niveau_europeen = "" if value.upper() == "AUCUN" else value
            elif tag == "CODES_NSF":
                fiche.codes_nsf = self.code_libelles(child, "NSF")
            elif tag == "CODES_ROME":
                fiche.codes_rome = self.code_libelles(child, "ROME")
            elif tag == "FORMACODES":
                fiche.formacodes = self.code_libelles(child, "FORMACODE")
            elif tag == "CERTIFICATEURS":
                fiche.certificateurs = self.certificateurs(child)
            elif tag == "PARTENAIRES":
                fiche.partenaires = self.partenaires(child)
            elif tag == "BLOCS_COMPETENCES":
                fiche.blocs = self.blocs(child)
            elif tag == "NOUVELLES_CERTIFICATIONS":
                fiche.nouvelles_certifications = self.numeros(
                    child, "NOUVELLE_CERTIFICATION", "ID_FICHE_NOUVELLE_CERTIFICATION"
                )
            elif tag == "ANCIENNES_CERTIFICATIONS":
                fiche.anciennes_certifications = self.numeros(
                    child, "ANCIENNE_CERTIFICATION", "ID_FICHE_ANCIENNE_CERTIFICATION"
                )
        if not has_intitule:
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


def _check_document(elem: etree._Element, filename: str) -> None:
    tree = elem.getroottree()
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise RncpError(
            "DOCTYPE interdit (DTD et entités refusées dans un export RNCP)", filename=filename, line=1
        )
    root = tree.getroot()
    if root.tag != "FICHES":
        raise RncpError(
            f"élément racine FICHES attendu, trouvé {root.tag}", filename=filename, line=root.sourceline
        )


def _parse(
    source: Source,
    numeros: Iterable[str] | None,
    report: Callable[[RncpError], None],
) -> Iterator[Fiche]:
    filename = _source_name(source)
    wanted = None if numeros is None else frozenset(n.strip() for n in numeros)
    seen = _SeenNumeros()
    etree.clear_error_log()
    context = etree.iterparse(source, **_PARSE_OPTIONS)
    index = 0
    checked = False
    try:
        for _event, elem in context:
            if not checked:
                _check_document(elem, filename)
                checked = True
            index += 1
            parent = elem.getparent()
            line = elem.sourceline or 0
            if parent is None or parent.getparent() is not None:
                raise RncpError(
                    f"FICHE inattendue dans {parent.tag if parent is not None else '?'} "
                    "(attendu directement sous FICHES)",
                    filename=filename,
                    line=line,
                )
            fiche = _handle_fiche(elem, filename, index, line, wanted, seen, report)
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


def _handle_fiche(
    elem: etree._Element,
    filename: str,
    index: int,
    line: int,
    wanted: frozenset[str] | None,
    seen: _SeenNumeros,
    report: Callable[[RncpError], None],
) -> Fiche | None:
    numero_el = elem.find("NUMERO_FICHE")
    numero = _text(numero_el).strip() if numero_el is not None else ""
    match = _NUMERO_RE.fullmatch(numero)
    if not match:
        id_el = elem.find("ID_FICHE")
        ident = _text(id_el).strip() if id_el is not None else ""
        label = f"n° {index}" + (f" (ID_FICHE {ident})" if ident else "")
        if not numero:
            detail = "NUMERO_FICHE manquant"
        else:
            detail = f"NUMERO_FICHE invalide « {numero} » (attendu RNCP ou RS suivi de chiffres)"
        report(
            RncpError(
                detail,
                filename=filename,
                line=(numero_el.sourceline if numero_el is not None else None) or line,
                fiche=label,
                element="FICHE",
                field="NUMERO_FICHE",
            )
        )
        return None
    previous = seen.check_and_add(match.group(1), int(match.group(2)), line)
    if previous:
        report(
            RncpError(
                f"NUMERO_FICHE {numero} en double (FICHE ligne {previous} et FICHE ligne {line})",
                filename=filename,
                line=line,
                fiche=numero,
                element="FICHE",
                field="NUMERO_FICHE",
            )
        )
        return None
    if wanted is not None and numero not in wanted:
        return None
    reader = _FicheReader(filename, numero, numero)
    fiche = reader.read(elem)
    if reader.errors:
        for error in reader.errors:
            report(error)
        return None
    return fiche


def _raise(error: RncpError) -> None:
    raise error


def iter_fiches(source: Source, *, numeros: Iterable[str] | None = None) -> Iterator[Fiche]:
    """Yield the fiches of an RNCP/RS export one by one, in file order.

    ``source`` is a path or a binary file object. ``numeros`` restricts the fiches built and
    yielded (e.g. ``{"RNCP36612"}``); the others are skipped after their NUMERO_FICHE is checked.
    Raises :class:`RncpError` at the first problem (see module docstring).
    """
    return _parse(source, numeros, _raise)


def validate(
    source: Source, numeros: Iterable[str] | None = None, *, max_errors: int = 200
) -> list[RncpError]:
    """Read the whole export and return its errors (``[]`` when valid), at most ``max_errors``.

    Malformed XML stops the reading (it is then the last error). Nothing is kept in memory but
    the errors.
    """
    errors: list[RncpError] = []

    class _Enough(Exception):
        pass

    def collect(error: RncpError) -> None:
        errors.append(error)
        if len(errors) >= max_errors:
            raise _Enough

    try:
        for _fiche in _parse(source, numeros, collect):
            pass
    except _Enough:
        pass
    except RncpError as error:  # DOCTYPE / root / structure: fatal
        errors.append(error)
    return errors


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
_NUM_RE = re.compile(r"(?P<code>\d{1,2}(?:\.\d{1,2})*)(?:[.)]|\s*[-–:])\s*(?=\S)|(?P<code2>\d{1,2}(?:\.\d{1,2})+)\s+(?=\S)")
_BULLET_RE = re.compile(r"[-–—•*·▪◦●■□➢➤►→✓]\s*(?=\S)")
_ACRONYM_RE = re.compile(r"[A-Z0-9]{2,}\b")
_ENDS_SENTENCE = tuple(".;:!?)»\"’")


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
        return "bullet", "", line[match.end() :]
    return "plain", "", line


def _clean(text: str) -> str:
    return " ".join(text.split()).rstrip(" ;,")


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
