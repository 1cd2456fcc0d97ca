"""The référentiel exchange format ``certif-referentiel/1`` (``docs/referentiel-format.md``).

``document_parse(text, filename)`` reads JSON or YAML and checks the whole structure,
raising ``FormatError`` that names the file, the line (syntax errors) or the element path
(``blocs[1].capacites[3].criteres[0].texte``) and what is wrong. ``document_dumps`` writes
the canonical JSON (or YAML) text, so export → import → export is byte-identical.
Nothing here touches the database: the services do, atomically.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import yaml

from core import safeyaml
from core.errors import ApplicationError
from referentiels.jury_composition import composition_parse
from referentiels.regles import RegleError, RegleGrillePoints, regle_parse

FORMAT = "certif-referentiel/1"
KINDS = ("CQPM", "CQPI", "CQP", "RNCP", "RS")
MODALITE_TYPES = (
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
)
FORMES = ("", "ecrit", "oral", "pratique")

TOP_KEYS = (
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
)
BLOC_KEYS = ("code", "intitule", "implicite", "modalites", "capacites")
CAPACITE_KEYS = ("code", "intitule", "conditions", "criteres", "modalites")
CRITERE_KEYS = ("texte", "groupe")
#: Optional top-level keys: written only when set, so documents without them stay byte-identical.
TOP_OPTIONAL_KEYS = ("composition_jury",)
MODALITE_KEYS = ("type", "intitule", "duree_minutes", "points", "forme", "notes")
#: Optional keys of a modalité: written only when true, so documents without them stay byte-identical.
MODALITE_OPTIONAL_KEYS = ("double_correction",)
ACTIVITE_KEYS = ("code", "intitule", "capacites")
CODE_LIBELLE_KEYS = ("code", "libelle")
#: Integers are stored in PostgreSQL ``integer`` columns: anything larger is refused here, with
#: the element named, instead of failing in the database.
MAX_INT = 2**31 - 1


@dataclass
class FormatError(Exception):
    filename: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}, {self.where} : {self.message}"


class _Checker:
    def __init__(self, filename: str):
        self.filename = filename

    def fail(self, path: str, message: str):
        raise FormatError(self.filename, f"élément {path}" if path else "document", message)

    def obj(self, value: Any, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "un objet est attendu")
        missing = [k for k in keys if k not in value]
        if missing:
            self.fail(path, f"champ(s) manquant(s) : {', '.join(missing)}")
        unknown = [k for k in value if k not in keys and k not in optional]
        if unknown:
            self.fail(path, f"champ(s) inconnu(s) : {', '.join(map(str, unknown))}")
        return value

    def text(self, value: Any, path: str, *, required: bool = True, max_length: int | None = None) -> str:
        if not isinstance(value, str):
            self.fail(path, "une chaîne de caractères est attendue")
        if required and not value.strip():
            self.fail(path, "ne doit pas être vide")
        if max_length and len(value) > max_length:
            self.fail(path, f"{len(value)} caractères, au plus {max_length}")
        return value

    def optional_int(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(path, "un entier positif ou null est attendu")
        if value > MAX_INT:
            self.fail(path, f"{value} est trop grand (au plus {MAX_INT})")
        return value

    def date(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(path, "une date AAAA-MM-JJ ou null est attendue")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            self.fail(path, f"date invalide « {value} » (attendu AAAA-MM-JJ)")
        return value

    def items(self, value: Any, path: str) -> list:
        if not isinstance(value, list):
            self.fail(path, "une liste est attendue")
        return value

    def modalite(self, value: Any, path: str) -> None:
        m = self.obj(value, path, MODALITE_KEYS, optional=MODALITE_OPTIONAL_KEYS)
        if m["type"] not in MODALITE_TYPES:
            self.fail(f"{path}.type", f"type de modalité inconnu « {m['type']} »")
        self.text(m["intitule"], f"{path}.intitule", required=False)
        self.optional_int(m["duree_minutes"], f"{path}.duree_minutes")
        self.optional_int(m["points"], f"{path}.points")
        if m["forme"] not in FORMES:
            self.fail(f"{path}.forme", f"forme inconnue « {m['forme']} » (écrit, oral, pratique ou vide)")
        self.text(m["notes"], f"{path}.notes", required=False)
        if not isinstance(m.get("double_correction", False), bool):
            self.fail(f"{path}.double_correction", "true ou false est attendu (clé omise = false)")


def modalite_check(data: Any, path: str, filename: str = "modalités") -> dict:
    """Check one modalité as the importer does (``FormatError`` names ``path`` and the field)."""
    _Checker(filename).modalite(data, path)
    return data


def document_check(data: Any, filename: str = "référentiel") -> dict:
    """Check a parsed document completely; raise ``FormatError`` on the first problem."""
    try:
        return _document_check(data, filename)
    except RecursionError:
        raise _too_deep(filename) from None


def _too_deep(filename: str) -> FormatError:
    return FormatError(
        filename, "document", "imbrication trop profonde (listes ou objets imbriqués à l'excès)"
    )


def _document_check(data: Any, filename: str) -> dict:
    c = _Checker(filename)
    doc = c.obj(data, "", TOP_KEYS, optional=TOP_OPTIONAL_KEYS)
    _header_check(c, doc)
    bloc_codes, capacite_codes = _blocs_check(c, doc)
    _activites_check(c, doc, capacite_codes)
    _regle_check(c, doc, bloc_codes)
    _composition_check(c, doc)
    return doc


def _header_check(c: _Checker, doc: dict) -> None:
    if doc["format"] != FORMAT:
        c.fail("format", f"« {doc['format']} » n'est pas un format connu (attendu {FORMAT})")
    c.text(doc["code"], "code", max_length=60)
    if doc["kind"] not in KINDS:
        c.fail("kind", f"type de certification inconnu « {doc['kind']} » (attendu : {', '.join(KINDS)})")
    if not isinstance(doc["version"], int) or isinstance(doc["version"], bool) or doc["version"] < 1:
        c.fail("version", "un entier ≥ 1 est attendu")
    if doc["version"] > MAX_INT:
        c.fail("version", f"{doc['version']} est trop grand (au plus {MAX_INT})")
    c.text(doc["intitule"], "intitule", max_length=800)
    cert = c.obj(doc["certificateur"], "certificateur", ("nom", "siret"))
    c.text(cert["nom"], "certificateur.nom", max_length=300)
    if cert["siret"] is not None and (
        not isinstance(cert["siret"], str)
        or not (cert["siret"].isascii() and cert["siret"].isdigit())
        or len(cert["siret"]) != 14
    ):
        c.fail("certificateur.siret", "14 chiffres ou null attendus")
    c.text(doc["niveau_national"], "niveau_national", required=False, max_length=20)
    c.text(doc["niveau_europeen"], "niveau_europeen", required=False, max_length=10)
    for key in ("codes_nsf", "codes_rome"):
        for i, item in enumerate(c.items(doc[key], key)):
            entry = c.obj(item, f"{key}[{i}]", CODE_LIBELLE_KEYS)
            c.text(entry["code"], f"{key}[{i}].code")
            c.text(entry["libelle"], f"{key}[{i}].libelle", required=False)
    c.text(doc["objectif"], "objectif", required=False)
    c.date(doc["date_enregistrement"], "date_enregistrement")
    c.date(doc["date_fin_enregistrement"], "date_fin_enregistrement")


def _blocs_check(c: _Checker, doc: dict) -> tuple[set[str], set[str]]:
    """The blocs and their capacités; returns (bloc codes, capacité codes)."""
    blocs = c.items(doc["blocs"], "blocs")
    if not blocs:
        c.fail("blocs", "au moins un bloc est attendu")
    bloc_codes: set[str] = set()
    capacite_codes: set[str] = set()
    for b, bloc in enumerate(blocs):
        path = f"blocs[{b}]"
        c.obj(bloc, path, BLOC_KEYS)
        code = c.text(bloc["code"], f"{path}.code", max_length=60)
        if code in bloc_codes:
            c.fail(f"{path}.code", f"code de bloc en double « {code} »")
        bloc_codes.add(code)
        c.text(bloc["intitule"], f"{path}.intitule")
        if not isinstance(bloc["implicite"], bool):
            c.fail(f"{path}.implicite", "true ou false attendu")
        for m, modalite in enumerate(c.items(bloc["modalites"], f"{path}.modalites")):
            c.modalite(modalite, f"{path}.modalites[{m}]")
        capacites = c.items(bloc["capacites"], f"{path}.capacites")
        if not capacites:
            c.fail(f"{path}.capacites", "au moins une capacité est attendue")
        for k, capacite in enumerate(capacites):
            _capacite_check(c, capacite, f"{path}.capacites[{k}]", capacite_codes)
    return bloc_codes, capacite_codes


def _capacite_check(c: _Checker, capacite: Any, cpath: str, capacite_codes: set[str]) -> None:
    c.obj(capacite, cpath, CAPACITE_KEYS)
    ccode = c.text(capacite["code"], f"{cpath}.code", max_length=60)
    if ccode in capacite_codes:
        c.fail(f"{cpath}.code", f"code de capacité en double « {ccode} »")
    capacite_codes.add(ccode)
    c.text(capacite["intitule"], f"{cpath}.intitule")
    c.text(capacite["conditions"], f"{cpath}.conditions", required=False)
    for r, critere in enumerate(c.items(capacite["criteres"], f"{cpath}.criteres")):
        c.obj(critere, f"{cpath}.criteres[{r}]", CRITERE_KEYS)
        c.text(critere["texte"], f"{cpath}.criteres[{r}].texte")
        c.text(critere["groupe"], f"{cpath}.criteres[{r}].groupe", required=False, max_length=200)
    for m, modalite in enumerate(c.items(capacite["modalites"], f"{cpath}.modalites")):
        c.modalite(modalite, f"{cpath}.modalites[{m}]")


def _activites_check(c: _Checker, doc: dict, capacite_codes: set[str]) -> None:
    activite_codes: set[str] = set()
    for a, activite in enumerate(c.items(doc["activites"], "activites")):
        apath = f"activites[{a}]"
        c.obj(activite, apath, ACTIVITE_KEYS)
        acode = c.text(activite["code"], f"{apath}.code", max_length=60)
        if acode in activite_codes:
            c.fail(f"{apath}.code", f"code d'activité en double « {acode} »")
        activite_codes.add(acode)
        c.text(activite["intitule"], f"{apath}.intitule")
        for i, code in enumerate(c.items(activite["capacites"], f"{apath}.capacites")):
            c.text(code, f"{apath}.capacites[{i}]")
            if code not in capacite_codes:
                c.fail(f"{apath}.capacites[{i}]", f"capacité inconnue « {code} »")


def _regle_check(c: _Checker, doc: dict, bloc_codes: set[str]) -> None:
    """The règle parses, and a points grid names exactly the référentiel's blocs."""
    try:
        regle = regle_parse(doc["regle"])
    except RegleError as exc:
        c.fail(exc.path, exc.message)
        regle = None
    if isinstance(regle, RegleGrillePoints):  # only a grid names its blocs
        grid_blocs = {b.bloc for b in regle.blocs}
        if grid_blocs != bloc_codes:
            c.fail(
                "regle.blocs",
                f"les blocs de la grille ({', '.join(sorted(grid_blocs))}) ne correspondent pas aux blocs du référentiel ({', '.join(sorted(bloc_codes))})",
            )


def _composition_check(c: _Checker, doc: dict) -> None:
    """The jury's composition rules (optional): checked as the référentiel's page checks them."""
    if "composition_jury" not in doc:
        return
    try:
        composition_parse(doc["composition_jury"], code=doc["code"], kind=doc["kind"])
    except ApplicationError as exc:
        where = exc.extra.get("path", "composition_jury")
        prefix = f"{where} : "
        message = exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message
        c.fail("composition_jury" if where == "composition_jury" else f"composition_jury.{where}", message)


def document_parse(text: str | bytes, filename: str) -> dict:
    """Parse JSON or YAML (by extension, else by content) and check it."""
    try:
        return _document_parse(text, filename)
    except RecursionError:
        # json, yaml and the checks all recurse: a deeply nested document is a format error.
        raise _too_deep(filename) from None


def _document_parse(text: str | bytes, filename: str) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(filename, f"octet {exc.start}", "le fichier n'est pas en UTF-8") from None
    is_yaml = filename.lower().endswith((".yaml", ".yml"))
    if is_yaml:
        try:
            data = safeyaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else "document"
            raise FormatError(filename, where, f"YAML invalide ({getattr(exc, 'problem', exc)})") from None
        data = _dates_to_text(data)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(
                filename, f"ligne {exc.lineno}, colonne {exc.colno}", f"JSON invalide ({exc.msg})"
            ) from None
    return document_check(data, filename)


def _dates_to_text(value: Any) -> Any:
    # YAML reads 2022-04-01 as a date; the format carries ISO strings.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    return value


def document_dumps(doc: dict, *, fmt: str = "json") -> str:
    if fmt == "yaml":
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000)
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
