"""The certificateur's export lists the blocs acquis in natural order (issue 14, point 7: « codes
sorted naturally (1, 2 … 10) in every grid, list, export and PDF »), whatever their text order or
their stored order."""

import csv
import io

from openpyxl import load_workbook

from candidates.models import DossierBloc
from certificateur.selectors import export_rows
from organisations.tenancy import tenant_context
from referentiels.models import Bloc


def test_blocs_acquis_are_exported_in_natural_order(world, cci_user, client_for, org_a):
    rncp = world["rncp"]
    # a référentiel of ten blocs or more: codes whose text order (1, 10, 2, 3) is not the natural one,
    # stored in the reverse of both
    renamed = {
        "RNCP36390BC01": "BLOC1",
        "RNCP36390BC02": "BLOC10",
        "RNCP36390BC03": "BLOC2",
        "RNCP36390BC04": "BLOC3",
    }
    for i, (old, new) in enumerate(renamed.items()):
        Bloc.objects.filter(referentiel=rncp, code=old).update(code=new, order=10 - i)
    with tenant_context(org_a):
        assert DossierBloc.objects.filter(dossier=world["a1"], acquis=True).count() == 4
    rows = {r["nom_naissance"]: r for r in export_rows(certificateur=world["cci"])}
    assert rows["Alpha"]["blocs_acquis"] == "BLOC1; BLOC2; BLOC3; BLOC10"
    client = client_for(cci_user)
    text = client.get(f"/o/{world['cci'].slug}/supervision/export.csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = lines[0].index("blocs_acquis")
    assert [r[column] for r in lines[1:] if r[5] == "Alpha"] == ["BLOC1; BLOC2; BLOC3; BLOC10"]
    sheet = load_workbook(
        io.BytesIO(client.get(f"/o/{world['cci'].slug}/supervision/export.xlsx").content)
    ).active
    values = list(sheet.values)
    column = list(values[0]).index("blocs_acquis")
    assert "BLOC1; BLOC2; BLOC3; BLOC10" in {row[column] for row in values[1:]}
