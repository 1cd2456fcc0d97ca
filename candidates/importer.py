"""Bulk import of candidates and dossiers from CSV or XLSX: validate everything, then write everything.

A file is read into rows, every row is checked (per-cell errors carry the row number as the
user sees it — the header is row 1 — and the column name), duplicates are looked for inside
the file and among the centre's candidates, and only when no error is left are the rows
written, in one transaction, with bulk inserts. Reads are constant in queries whatever the
number of rows: référentiels, habilitations, entreprises, tuteurs and known candidates are
loaded once.

Columns (header names are matched without case or accents; ``*`` = mandatory):
``nom_naissance*``, ``prenom1*``, ``sexe*`` (M/F), ``date_naissance*`` (jj/mm/aaaa, aaaa-mm-jj,
or aaaa when only the year is known), ``referentiel*`` (code, e.g. RNCP36390), ``voie_acces*``,
then optional ``civilite``, ``nom_usage``, ``prenom2``, ``prenom3``, ``commune_naissance``,
``code_insee_naissance``, ``code_pays_naissance``, ``pays_naissance``, ``email``, ``telephone``,
``adresse``, ``code_postal``, ``ville``, ``statut``, ``date_inscription``, ``blocs`` (codes
separated by ``;``, empty = all), ``tiers_temps`` (oui/non), ``amenagement_note``,
``entreprise_siret``, ``entreprise_raison_sociale``, ``tuteur_nom``, ``tuteur_prenom``,
``tuteur_email``.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from candidates.models import (
    Candidate,
    Dossier,
    DossierBloc,
    DossierModalite,
    DossierTransition,
    Entreprise,
    Tuteur,
)
from candidates.validators import siret_is_valid
from core.errors import ApplicationError
from core.exports import csv_writer
from organisations.tenancy import current_organisation
from referentiels.models import Bloc, Referentiel
from referentiels.selectors import habilitation_list, referentiel_list

MANDATORY = ("nom_naissance", "prenom1", "sexe", "date_naissance", "referentiel", "voie_acces")
OPTIONAL = (
    "civilite",
    "nom_usage",
    "prenom2",
    "prenom3",
    "commune_naissance",
    "code_insee_naissance",
    "code_pays_naissance",
    "pays_naissance",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
    "statut",
    "date_inscription",
    "blocs",
    "tiers_temps",
    "amenagement_note",
    "entreprise_siret",
    "entreprise_raison_sociale",
    "tuteur_nom",
    "tuteur_prenom",
    "tuteur_email",
)
COLUMNS = MANDATORY + OPTIONAL
ALIASES = {
    "nom": "nom_naissance",
    "nom_de_naissance": "nom_naissance",
    "prenom": "prenom1",
    "premier_prenom": "prenom1",
    "date_de_naissance": "date_naissance",
    "naissance": "date_naissance",
    "code_referentiel": "referentiel",
    "voie_d_acces": "voie_acces",
    "code_insee": "code_insee_naissance",
    "siret": "entreprise_siret",
    "raison_sociale": "entreprise_raison_sociale",
    "tiers_temps_": "tiers_temps",
}
# Candidate model field → column, to name the column in error messages.
FIELD_COLUMN = {
    "naissance_annee": "date_naissance",
    "naissance_mois": "date_naissance",
    "naissance_jour": "date_naissance",
    "naissance_commune": "commune_naissance",
    "naissance_code_insee": "code_insee_naissance",
    "naissance_pays_code": "code_pays_naissance",
    "naissance_pays": "pays_naissance",
}
MAX_ERRORS_KEPT = 500
PREVIEW_ROWS = 20


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower().strip()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return ALIASES.get(text, text)


VOIES = (
    {_key(label): value for value, label in Dossier.VoieAcces.choices}
    | {_key(value): value for value in Dossier.VoieAcces.values}
    | {
        "formation_initiale": Dossier.VoieAcces.FORMATION_INITIALE,
        "apprentissage": Dossier.VoieAcces.APPRENTISSAGE,
        "formation_continue": Dossier.VoieAcces.FORMATION_CONTINUE,
        "contrat_de_professionnalisation": Dossier.VoieAcces.CONTRAT_PRO,
        "contrat_pro": Dossier.VoieAcces.CONTRAT_PRO,
        "vae": Dossier.VoieAcces.VAE,
        "candidat_libre": Dossier.VoieAcces.CANDIDAT_LIBRE,
        "equivalence": Dossier.VoieAcces.EQUIVALENCE,
        # Job seekers in training follow formation continue (France compétences' list).
        "demandeur_d_emploi": Dossier.VoieAcces.FORMATION_CONTINUE,
    }
)
STATUTS = (
    {_key(v): v for v in Dossier.StatutProfessionnel.values}
    | {_key(label): value for value, label in Dossier.StatutProfessionnel.choices}
    | {"salarie_e": "salarie", "apprenti_e": "apprenti"}
)
CIVILITES = {"m": "M", "m_": "M", "monsieur": "M", "mr": "M", "mme": "MME", "madame": "MME", "mme_": "MME"}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux", ""}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PlannedRow:
    row: int
    identity: tuple
    candidate: Candidate
    existing: Candidate | None
    referentiel: Referentiel
    bloc_ids: list[int]
    dossier_fields: dict
    siret: str = ""
    entreprise_name: str = ""
    tuteur: dict = field(default_factory=dict)
    duplicate_of: Candidate | None = None
    choice: str = ""


# What to do with a row whose candidate already exists in the centre (same name, first name
# and birth date): chosen per row in the preview, carried to the confirmed import.
MERGE, CREATE, SKIP = "fusionner", "creer", "ignorer"
DUPLICATE_CHOICES = {
    MERGE: "rattacher au candidat existant",
    CREATE: "créer un nouveau candidat",
    SKIP: "ignorer la ligne",
}


@dataclass
class Report:
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    rows: list[PlannedRow] = field(default_factory=list)
    # One entry per row matching an existing candidate: row, who, whether a merge is possible
    # and the choice made so far ("" = still to choose).
    duplicates: list[dict] = field(default_factory=list)

    def preview(self) -> list[dict]:
        return [
            {
                "row": p.row,
                "candidat": f"{p.candidate.nom_naissance} {p.candidate.prenom1}",
                "naissance": p.candidate.naissance_date_affichee,
                "referentiel": p.referentiel.code,
                "blocs": len(p.bloc_ids),
                "action": self._action(p),
            }
            for p in self.rows[:PREVIEW_ROWS]
        ]

    def _action(self, planned: PlannedRow) -> str:
        if planned.existing:
            return "rattaché au candidat existant"
        if planned.duplicate_of and not planned.choice:
            return "doublon : choix à faire"
        return "nouveau candidat"


# --- reading -------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Defaults of the import's size guards (settings ``CANDIDATE_IMPORT_MAX_ROWS`` and
# ``CANDIDATE_IMPORT_MAX_UNCOMPRESSED_BYTES``): an XLSX is a zip, and a few kilobytes can
# inflate to gigabytes, so its declared content is measured before openpyxl opens it.
MAX_ROWS_DEFAULT = 50_000
MAX_UNCOMPRESSED_BYTES_DEFAULT = 100 * 1024 * 1024


def _max_rows() -> int:

    return int(getattr(settings, "CANDIDATE_IMPORT_MAX_ROWS", MAX_ROWS_DEFAULT))


def _too_many_rows(limit: int) -> ApplicationError:
    shown = f"{limit:_}".replace("_", " ")
    return ApplicationError(
        f"Fichier trop long : au plus {shown} lignes de candidats par import "
        "(découpez le fichier en plusieurs imports).",
        field="file",
    )


def _xlsx_check_size(data: bytes) -> None:
    """Refuse a workbook whose members inflate beyond the cap (zip bomb), before it is parsed:
    declared sizes first, then every member actually inflated in bounded chunks."""
    from django.conf import settings

    from core.archives import check_archive

    limit = int(getattr(settings, "CANDIDATE_IMPORT_MAX_UNCOMPRESSED_BYTES", MAX_UNCOMPRESSED_BYTES_DEFAULT))
    check_archive(data, label="Classeur XLSX", max_total=limit)


#: Columns read from a workbook (``CANDIDATE_IMPORT_MAX_COLUMNS``): the import's columns are a few
#: tens; a sheet declaring more (``<dimension ref="A1:ALL49000"/>``) would make openpyxl pad every
#: row to that width, so it is refused from its declaration, before any cell is read.
MAX_COLUMNS_DEFAULT = 200


def _xlsx_check_dimension(sheet, limit: int) -> int:
    """The number of columns to read; refuses a sheet declaring too many rows or columns."""
    from django.conf import settings

    max_columns = int(getattr(settings, "CANDIDATE_IMPORT_MAX_COLUMNS", MAX_COLUMNS_DEFAULT))
    declared_columns = sheet.max_column or 0  # read-only: the sheet's <dimension>, nothing parsed yet
    declared_rows = sheet.max_row or 0
    if declared_columns > max_columns:
        raise ApplicationError(
            f"Classeur XLSX refusé : la feuille déclare {declared_columns} colonnes, au plus {max_columns} "
            "sont lues (supprimez les colonnes inutiles ou exportez en CSV).",
            field="file",
        )
    if declared_rows > limit + 1:
        raise _too_many_rows(limit)
    return min(declared_columns, max_columns) if declared_columns else max_columns


def read_rows(data: bytes, file_format: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as strings; raises ``ApplicationError`` for an unreadable or oversized file."""
    limit = _max_rows()
    if file_format == "xlsx":
        from openpyxl import load_workbook

        _xlsx_check_size(data)
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types on a corrupt file
            raise ApplicationError(
                f"Classeur XLSX illisible : {exc.__class__.__name__}.", field="file"
            ) from exc
        try:
            sheet = workbook.worksheets[0]
            max_columns = _xlsx_check_dimension(sheet, limit)
            rows: list[list[str]] = []
            # a sheet without a declared dimension is still read at most ``max_columns`` wide
            for row in sheet.iter_rows(values_only=True, max_col=max_columns):
                width = len(row) if any(row) else 0  # ``any`` runs in C: blank rows cost nothing
                while width and row[width - 1] in (None, ""):
                    width -= 1
                row = row[:width]
                if len(rows) > limit:  # header + ``limit`` data rows; blank formatted rows are dropped
                    if any(v not in (None, "") for v in row):
                        raise _too_many_rows(limit)
                    continue
                rows.append([_cell(v) for v in row])
        finally:
            workbook.close()
    else:
        text = None
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise ApplicationError(
                "Fichier CSV à l'encodage illisible : enregistrez le fichier en UTF-8.", field="file"
            )
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        rows = []
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if len(rows) > limit:
                if any(c.strip() for c in row):
                    raise _too_many_rows(limit)
                continue
            rows.append([c.strip() for c in row])
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ApplicationError(
            "Le fichier est vide : la première ligne doit contenir les noms de colonnes.", field="file"
        )
    return rows[0], rows[1:]


# --- checking ------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper().strip()


def _parse_date(text: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_birth(text: str) -> tuple[int, int | None, int | None] | str:
    """(year, month, day) or an error message."""
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return (year, None, None) if 1900 <= year <= 2099 else f"année « {text} » hors de 1900–2099"
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text) or None
    if m:
        day, month, year = (int(x) for x in m.groups())
    else:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not m:
            return f"« {text} » n'est pas une date (jj/mm/aaaa)"
        year, month, day = (int(x) for x in m.groups())
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return f"« {text} » n'existe pas au calendrier"
    if born > timezone.localdate():
        return f"« {text} » est dans le futur"
    if year < 1900:
        return f"« {text} » est antérieure à 1900"
    return year, month, day


class Checker:
    """Loads the centre's reference data once, then checks rows one by one."""

    def __init__(self, *, merge_duplicates: bool):
        self.organisation = current_organisation()
        self.merge = merge_duplicates
        self.referentiels = {
            r.code: r for r in referentiel_list(organisation=self.organisation, status="published")
        }
        self.habilitations = list(habilitation_list(organisation=self.organisation))
        self.blocs: dict[int, dict[str, int]] = {}
        for bloc in Bloc.objects.filter(referentiel__in=[r.pk for r in self.referentiels.values()]).only(
            "pk", "code", "referentiel_id"
        ):
            self.blocs.setdefault(bloc.referentiel_id, {})[bloc.code] = bloc.pk
        self.entreprises = {e.siret: e for e in Entreprise.objects.all()}
        self.tuteurs = {t.email: t for t in Tuteur.objects.all()}
        self.known: dict[tuple, Candidate] = {}
        for c in Candidate.objects.filter(erased_at__isnull=True):
            self.known.setdefault(self.identity(c), c)
        self.open_dossiers = set(
            Dossier.objects.exclude(status__in=[Dossier.Status.DELIBERE, Dossier.Status.ABANDON]).values_list(
                "candidate_id", "referentiel__code"
            )
        )

    @staticmethod
    def identity(c: Candidate) -> tuple:
        return (
            _fold(c.nom_naissance),
            _fold(c.prenom1),
            c.naissance_annee,
            c.naissance_mois,
            c.naissance_jour,
        )

    def habilitated(self, code: str, day: dt.date) -> bool:
        return any(h.referentiel_code == code and h.is_valid_on(day) for h in self.habilitations)

    def check(self, row_number: int, values: dict[str, str], errors: list[RowError]) -> PlannedRow | None:
        err_count = len(errors)

        def error(column: str, message: str) -> None:
            errors.append(RowError(row_number, column, message))

        for column in MANDATORY:
            if not values.get(column):
                error(column, "valeur obligatoire manquante")
        birth = _parse_birth(values["date_naissance"]) if values.get("date_naissance") else None
        if isinstance(birth, str):
            error("date_naissance", f"date de naissance invalide : {birth}")
            birth = None
        sexe = values.get("sexe", "").upper()[:1]
        if values.get("sexe") and sexe not in ("M", "F"):
            error("sexe", f"« {values['sexe']} » : M ou F attendu")
        civilite = CIVILITES.get(_key(values.get("civilite", "")) or "", None)
        if values.get("civilite") and civilite is None:
            error("civilite", f"« {values['civilite']} » : M. ou Mme attendu")
        civilite = civilite or ("MME" if sexe == "F" else "M")
        year, month, day = birth if birth else (1900, None, None)
        candidate = Candidate(
            organisation=self.organisation,
            civilite=civilite,
            sexe=sexe if sexe in ("M", "F") else "M",
            nom_naissance=values.get("nom_naissance", "").upper(),
            nom_usage=values.get("nom_usage", "").upper(),
            prenom1=values.get("prenom1", ""),
            prenom2=values.get("prenom2", ""),
            prenom3=values.get("prenom3", ""),
            naissance_annee=year,
            naissance_mois=month,
            naissance_jour=day,
            naissance_commune=values.get("commune_naissance", ""),
            naissance_code_insee=values.get("code_insee_naissance", "").upper(),
            naissance_pays_code=values.get("code_pays_naissance", "").upper(),
            naissance_pays=values.get("pays_naissance", ""),
            email=values.get("email", "").lower(),
            telephone=values.get("telephone", ""),
            adresse=values.get("adresse", ""),
            code_postal=values.get("code_postal", ""),
            ville=values.get("ville", ""),
        )
        try:
            candidate.clean_fields(exclude=["organisation"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = FIELD_COLUMN.get(name, name)
                if values.get(column):  # missing mandatory values are already reported
                    error(column, " ".join(messages))
        # Référentiel, voie d'accès, dates, blocs.
        code = values.get("referentiel", "")
        referentiel = self.referentiels.get(code)
        if code and referentiel is None:
            error("referentiel", f"référentiel inconnu ou non habilité pour ce centre : « {code} »")
        voie = VOIES.get(_key(values.get("voie_acces", "")))
        if values.get("voie_acces") and voie is None:
            error(
                "voie_acces",
                f"voie d'accès inconnue : « {values['voie_acces']} » (ex. apprentissage, formation continue, VAE)",
            )
        statut = STATUTS.get(_key(values.get("statut", ""))) if values.get("statut") else ""
        if statut is None:
            error(
                "statut", f"statut inconnu : « {values['statut']} » (salarié, apprenti, demandeur d'emploi…)"
            )
        inscription: dt.date | None = timezone.localdate()
        if values.get("date_inscription"):
            inscription = _parse_date(values["date_inscription"])
            if inscription is None:
                error("date_inscription", f"« {values['date_inscription']} » n'est pas une date (jj/mm/aaaa)")
        if referentiel is not None and inscription and not self.habilitated(referentiel.code, inscription):
            error("referentiel", f"pas d'habilitation pour {referentiel.code} au {inscription:%d/%m/%Y}")
        bloc_ids: list[int] = []
        if referentiel is not None:
            codes = self.blocs.get(referentiel.pk, {})
            wanted = [c.strip() for c in re.split(r"[;,|]", values.get("blocs", "")) if c.strip()]
            unknown = [c for c in wanted if c not in codes]
            if unknown:
                error("blocs", f"bloc(s) inconnu(s) dans {referentiel.code} : {', '.join(unknown)}")
            bloc_ids = [codes[c] for c in wanted if c in codes] or list(codes.values())
        tiers = values.get("tiers_temps", "").lower()
        if tiers not in YES | NO:
            error("tiers_temps", f"« {values['tiers_temps']} » : oui ou non attendu")
        # Entreprise and tuteur.
        siret = values.get("entreprise_siret", "").replace(" ", "")
        if siret and not siret_is_valid(siret):
            error(
                "entreprise_siret",
                f"SIRET « {siret} » invalide : "
                + (
                    "14 chiffres attendus"
                    if not re.fullmatch(r"\d{14}", siret)
                    else "la clé de contrôle ne correspond pas, un chiffre est sans doute mal recopié"
                ),
            )
        elif siret and siret not in self.entreprises and not values.get("entreprise_raison_sociale"):
            error("entreprise_raison_sociale", "raison sociale obligatoire pour une entreprise nouvelle")
        tuteur_email = values.get("tuteur_email", "").lower()
        if tuteur_email:
            try:
                validate_email(tuteur_email)
            except ValidationError:
                error("tuteur_email", f"adresse e-mail invalide : « {tuteur_email} »")
            if tuteur_email not in self.tuteurs and not (
                values.get("tuteur_nom") and values.get("tuteur_prenom")
            ):
                error("tuteur_nom", "nom et prénom du tuteur obligatoires pour un tuteur nouveau")
        elif values.get("tuteur_nom"):
            error("tuteur_email", "adresse e-mail du tuteur obligatoire")
        if len(errors) > err_count:
            return None
        assert referentiel is not None  # mandatory column: a row without one has an error above
        return PlannedRow(
            row=row_number,
            identity=self.identity(candidate),
            candidate=candidate,
            existing=None,
            referentiel=referentiel,
            bloc_ids=bloc_ids,
            siret=siret,
            entreprise_name=values.get("entreprise_raison_sociale", ""),
            tuteur={
                "email": tuteur_email,
                "nom": values.get("tuteur_nom", "").upper(),
                "prenom": values.get("tuteur_prenom", ""),
            }
            if tuteur_email
            else {},
            dossier_fields={
                "voie_acces": voie,
                "statut_professionnel": statut or "",
                "date_inscription": inscription,
                "amenagement_tiers_temps": tiers in YES and tiers != "",
                "amenagement_note": values.get("amenagement_note", ""),
            },
        )


def check_file(
    data: bytes,
    file_format: str,
    *,
    merge_duplicates: bool,
    choices: dict[int, str] | None = None,
    progress=None,
) -> Report:
    """Dry run: every problem of the file, nothing written.

    A row whose candidate already exists is listed in ``report.duplicates``; what happens to it
    is ``choices[row]`` (:data:`MERGE`, :data:`CREATE`, :data:`SKIP`), by default a merge when
    ``merge_duplicates`` and the merge is possible. ``choices`` None is the preview: a row still
    without choice is no error yet. With ``choices`` (the confirmed import) it is one.
    """
    header, rows = read_rows(data, file_format)
    report = Report(total_rows=len(rows))
    columns = [_key(h) for h in header]
    missing = [c for c in MANDATORY if c not in columns]
    for column in missing:
        report.errors.append(RowError(1, column, "colonne obligatoire absente de l'en-tête"))
    unknown = [h for h, c in zip(header, columns, strict=True) if c and c not in COLUMNS]
    for name in unknown:
        report.warnings.append(RowError(1, name, "colonne inconnue, ignorée"))
    if missing:
        return report
    if not rows:
        report.errors.append(RowError(2, "", "aucune ligne de données"))
        return report
    checker = Checker(merge_duplicates=merge_duplicates)
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(rows):
        row_number = index + 2
        if not any(raw):
            continue
        values = {c: (raw[i] if i < len(raw) else "") for i, c in enumerate(columns) if c in COLUMNS}
        planned = checker.check(row_number, values, report.errors)
        if progress and index % 500 == 0:
            progress(index)
        if planned is None:
            continue
        same = seen.get(planned.identity + (planned.referentiel.code,))
        if same:
            report.errors.append(
                RowError(
                    row_number,
                    "nom_naissance",
                    f"doublon dans le fichier : même candidat et même référentiel qu'à la ligne {same}",
                )
            )
            continue
        seen[planned.identity + (planned.referentiel.code,)] = row_number
        existing = checker.known.get(planned.identity)
        if existing is not None and not _duplicate(
            report, checker, planned, existing, merge_duplicates, choices
        ):
            continue
        report.rows.append(planned)
    return report


def _duplicate(report, checker, planned, existing, merge_duplicates, choices) -> bool:
    """Record a row matching an existing candidate and apply its choice; False drops the row."""
    row = planned.row
    who = f"{existing.nom_naissance} {existing.prenom1} né(e) le {existing.naissance_date_affichee}"
    mergeable = (existing.pk, planned.referentiel.code) not in checker.open_dossiers
    if choices is None:
        choice = MERGE if merge_duplicates and mergeable else ""
    else:
        choice = choices.get(row, "")
    report.duplicates.append(
        {
            "row": row,
            "candidat": f"{planned.candidate.nom_naissance} {planned.candidate.prenom1}",
            "naissance": planned.candidate.naissance_date_affichee,
            "referentiel": planned.referentiel.code,
            "candidat_existant": str(existing.public_id),
            "existant": who,
            "fusion_possible": mergeable,
            "choix": choice,
        }
    )
    planned.duplicate_of, planned.choice = existing, choice
    if choice == SKIP:
        report.warnings.append(RowError(row, "nom_naissance", f"doublon de {who} : ligne ignorée"))
        return False
    if choice == CREATE:
        report.warnings.append(
            RowError(row, "nom_naissance", f"{who} existe déjà : un nouveau candidat homonyme sera créé")
        )
        return True
    if choice == MERGE:
        if not mergeable:
            report.errors.append(
                RowError(
                    row,
                    "referentiel",
                    f"{who} a déjà un dossier en cours pour {planned.referentiel.code} : "
                    "impossible de rattacher, créez un nouveau candidat ou ignorez la ligne",
                )
            )
            return False
        planned.existing = existing
        report.warnings.append(
            RowError(row, "nom_naissance", f"{who} existe déjà : le dossier lui sera rattaché")
        )
        return True
    if choices is not None:
        report.errors.append(
            RowError(
                row,
                "nom_naissance",
                f"doublon : {who} existe déjà dans le centre ; choisissez fusionner, creer ou ignorer",
            )
        )
        return False
    report.warnings.append(
        RowError(row, "nom_naissance", f"{who} existe déjà : choisissez rattacher, créer ou ignorer")
    )
    return True


# --- writing -------------------------------------------------------------------------------


@transaction.atomic
def write_rows(report: Report, *, by_user) -> dict:
    """Create candidates, entreprises, tuteurs and dossiers (brouillon) of a clean report, in bulk."""
    if report.errors:
        raise ApplicationError("Le fichier contient des erreurs : rien n'a été importé.")
    undecided = [p.row for p in report.rows if p.duplicate_of and not p.choice]
    if undecided:
        raise ApplicationError(
            f"Doublons sans choix (lignes {', '.join(map(str, undecided))}) : rien n'a été importé."
        )
    organisation = current_organisation()
    entreprises = {e.siret: e for e in Entreprise.objects.all()}
    new_entreprises = {}
    for p in report.rows:
        if p.siret and p.siret not in entreprises and p.siret not in new_entreprises:
            new_entreprises[p.siret] = Entreprise(
                organisation=organisation, siret=p.siret, raison_sociale=p.entreprise_name[:200]
            )
    Entreprise.objects.bulk_create(new_entreprises.values())
    entreprises.update(new_entreprises)
    tuteurs = {t.email: t for t in Tuteur.objects.all()}
    new_tuteurs = {}
    for p in report.rows:
        email = p.tuteur.get("email")
        if email and email not in tuteurs and email not in new_tuteurs:
            new_tuteurs[email] = Tuteur(
                organisation=organisation,
                email=email,
                nom=p.tuteur["nom"][:60],
                prenom=p.tuteur["prenom"][:60],
                entreprise=entreprises.get(p.siret),
            )
    Tuteur.objects.bulk_create(new_tuteurs.values())
    tuteurs.update(new_tuteurs)
    by_identity: dict[tuple, Candidate] = {}
    for p in report.rows:
        if p.existing is None and p.identity not in by_identity:
            by_identity[p.identity] = p.candidate
    Candidate.objects.bulk_create(by_identity.values(), batch_size=1000)
    dossiers = []
    for p in report.rows:
        candidate = p.existing or by_identity[p.identity]
        dossiers.append(
            Dossier(
                organisation=organisation,
                candidate=candidate,
                referentiel=p.referentiel,
                created_by=by_user,
                entreprise=entreprises.get(p.siret),
                tuteur=tuteurs.get(p.tuteur.get("email", "")),
                **p.dossier_fields,
            )
        )
    Dossier.objects.bulk_create(dossiers, batch_size=1000)
    DossierTransition.objects.bulk_create(
        [
            DossierTransition(
                organisation=organisation,
                dossier=d,
                from_status="",
                to_status=Dossier.Status.BROUILLON,
                by=by_user,
                reason="Import",
            )
            for d in dossiers
        ],
        batch_size=1000,
    )
    DossierBloc.objects.bulk_create(
        [
            DossierBloc(organisation=organisation, dossier=d, bloc_id=b)
            for d, p in zip(dossiers, report.rows, strict=True)
            for b in p.bloc_ids
        ],
        batch_size=2000,
    )
    # A capacité with a single allowed modalité gets it, as when building a dossier by hand.
    single = _single_modalites([p.referentiel.pk for p in report.rows])
    DossierModalite.objects.bulk_create(
        [
            DossierModalite(organisation=organisation, dossier=d, capacite_id=cap, modalite_id=mod)
            for d, p in zip(dossiers, report.rows, strict=True)
            for b in p.bloc_ids
            for cap, mod in single.get(b, [])
        ],
        batch_size=2000,
    )
    return {
        "candidats_crees": len(by_identity),
        "candidats_rattaches": sum(1 for p in report.rows if p.existing),
        "lignes_ignorees": sum(1 for d in report.duplicates if d["choix"] == SKIP),
        "dossiers_crees": len(dossiers),
        "entreprises_creees": len(new_entreprises),
        "tuteurs_crees": len(new_tuteurs),
    }


def _single_modalites(referentiel_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """bloc id → [(capacité id, its only allowed modalité id)]."""
    from candidates.services import allowed_modalites

    out: dict[int, list[tuple[int, int]]] = {}
    blocs = Bloc.objects.filter(referentiel__in=set(referentiel_ids)).prefetch_related(
        "modalites", "capacites__modalites"
    )
    for bloc in blocs:
        for capacite in bloc.capacites.all():
            capacite.bloc = bloc
            allowed = allowed_modalites(capacite)
            if len(allowed) == 1:
                out.setdefault(bloc.pk, []).append((capacite.pk, allowed[0].pk))
    return out


def template_csv() -> str:
    """A model file: the header and one example row."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    example = {
        "nom_naissance": "DUPONT",
        "prenom1": "Marie",
        "sexe": "F",
        "date_naissance": "14/03/1998",
        "referentiel": "RNCP36390",
        "voie_acces": "apprentissage",
        "civilite": "Mme",
        "commune_naissance": "Ajaccio",
        "code_insee_naissance": "2A004",
        "code_pays_naissance": "FRA",
        "pays_naissance": "France",
        "email": "marie.dupont@example.org",
        "statut": "apprenti",
        "date_inscription": timezone.localdate().strftime("%d/%m/%Y"),
        "blocs": "",
        "tiers_temps": "non",
        "entreprise_siret": "73282932000074",
        "entreprise_raison_sociale": "Exemple SA",
        "tuteur_nom": "MARTIN",
        "tuteur_prenom": "Paul",
        "tuteur_email": "paul.martin@example.org",
    }
    writer.writerow([example.get(c, "") for c in COLUMNS])
    return out.getvalue()
