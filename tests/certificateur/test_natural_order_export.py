"""The certificateur's export lists the blocs acquis in natural order (issue 14, point 7: « codes
sorted naturally (1, 2 … 10) in every grid, list, export and PDF »), whatever their text order or
their stored order."""

import csv
import io

from openpyxl import load_workbook

from certificateur.selectors import export_rows
from organisations.tenancy import tenant_context
from tests.builders import rncp_unpadded_blocs
from tests.certificateur.conftest import make_dossier

NATURAL = "RNCP99999BC1; RNCP99999BC2; RNCP99999BC3; RNCP99999BC10"


def test_blocs_acquis_are_exported_in_natural_order(world, cci_user, client_for, org_a):
    ref = rncp_unpadded_blocs(world["cci"])
    assert [b.code for b in ref.blocs.order_by("order")][:2] == ["RNCP99999BC1", "RNCP99999BC10"]
    with tenant_context(org_a):
        make_dossier(org_a, ref, nom="Kilo")
    rows = {r["nom_naissance"]: r for r in export_rows(certificateur=world["cci"])}
    assert rows["Kilo"]["blocs_acquis"] == NATURAL
    client = client_for(cci_user)
    text = client.get(f"/o/{world['cci'].slug}/supervision/export.csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = lines[0].index("blocs_acquis")
    assert [r[column] for r in lines[1:] if r[5] == "Kilo"] == [NATURAL]
    sheet = load_workbook(
        io.BytesIO(client.get(f"/o/{world['cci'].slug}/supervision/export.xlsx").content)
    ).active
    values = list(sheet.values)
    column = list(values[0]).index("blocs_acquis")
    assert NATURAL in {row[column] for row in values[1:]}
