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

The package, by step: ``columns`` (the columns and the values a cell may take), ``reading``
(file → rows, size guards), ``checking`` (rows → ``Report``), ``report`` (what a check yields),
``writing`` (a clean report → rows in the database; the CSV template). Callers import from
``candidates.importer``; patch a name in the submodule that looks it up.
"""

from candidates.importer.checking import Checker, check_file
from candidates.importer.columns import (
    ALIASES,
    CIVILITES,
    COLUMNS,
    FIELD_COLUMN,
    MANDATORY,
    MAX_ERRORS_KEPT,
    NO,
    OPTIONAL,
    PREVIEW_ROWS,
    STATUTS,
    VOIES,
    YES,
)
from candidates.importer.reading import (
    MAX_COLUMNS_DEFAULT,
    MAX_ROWS_DEFAULT,
    MAX_UNCOMPRESSED_BYTES_DEFAULT,
    read_rows,
)
from candidates.importer.report import CREATE, DUPLICATE_CHOICES, MERGE, SKIP, PlannedRow, Report, RowError
from candidates.importer.writing import template_csv, write_rows

__all__ = [
    "ALIASES",
    "CIVILITES",
    "COLUMNS",
    "CREATE",
    "DUPLICATE_CHOICES",
    "FIELD_COLUMN",
    "MANDATORY",
    "MAX_COLUMNS_DEFAULT",
    "MAX_ERRORS_KEPT",
    "MAX_ROWS_DEFAULT",
    "MAX_UNCOMPRESSED_BYTES_DEFAULT",
    "MERGE",
    "NO",
    "OPTIONAL",
    "PREVIEW_ROWS",
    "SKIP",
    "STATUTS",
    "VOIES",
    "YES",
    "Checker",
    "PlannedRow",
    "Report",
    "RowError",
    "check_file",
    "read_rows",
    "template_csv",
    "write_rows",
]
