"""Reading a CSV or XLSX file into rows of strings, under the size guards (zip bomb, rows, columns)."""

import csv
import datetime as dt
import io

from django.conf import settings

from core.errors import ApplicationError


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
