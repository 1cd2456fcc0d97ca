"""Results exports of a certificateur, CSV and XLSX, columns in ``selectors.EXPORT_COLUMNS``.

CSV: UTF-8 with BOM, ``;`` separator, one header line (what French spreadsheet software opens
as is). XLSX: one sheet « Résultats », same header. Documented in docs/certificateur-exports.md.
"""

import io

from certificateur.selectors import EXPORT_COLUMNS
from core.exports import csv_writer, xlsx_append

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for _key, header, _doc in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _h, _d in EXPORT_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Résultats")
    xlsx_append(sheet, [header for _key, header, _doc in EXPORT_COLUMNS])
    for row in rows:
        xlsx_append(sheet, [row[key] for key, _h, _d in EXPORT_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render(rows: list[dict], fmt: str) -> bytes:
    return to_xlsx(rows) if fmt == "xlsx" else to_csv(rows)
