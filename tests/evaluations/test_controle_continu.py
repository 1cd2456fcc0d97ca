"""Contrôle continu per bloc (seed 004): entered by the centre on the results page and by import,
each part of a bloc result its own value.

Seed 004, « Procédure d'évaluation des modules de formation » : « Les épreuves d'évaluation des
modules de formation sont conçues et gérées par les centres de formation sous forme de contrôles
continus. » Grille de synthèse : Bloc 1 « 100 pts » of contrôle continu, « 150 pts » of épreuves.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from evaluations import controle_continu
from evaluations.models import Resultat, ResultatChange
from evaluations.services import epreuve_candidats_add, epreuve_create, resultat_record, session_create
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import inscribed_dossier

BC1, BC2 = "RNCP36390BC01", "RNCP36390BC02"


def _bloc(ref, code):
    return ref.blocs.get(code=code)


def _session(alice, ref, dossiers, bloc=BC1):
    session = session_create(by=alice, referentiel=ref, intitule="Session juin", lieu="Lyon")
    epreuve = epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas bloc 1",
        bloc=_bloc(ref, bloc),
        modalite=None,
        date=dt.date(2026, 6, 10),
        heure_debut=dt.time(9),
        duree_minutes=180,
        lieu="Lyon",
    )
    epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=dossiers)
    return session


def test_cc_alone_never_erases_the_epreuves_mark(in_a, alice, referentiels):
    """« Each part of a bloc result is its own value »: the centre's contrôle continu written
    after the évaluateur's épreuve mark leaves that mark as it is."""
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    resultat_record(dossier=dossier, by=alice, bloc=_bloc(ref, BC1), epreuves=80)
    r = controle_continu.cc_record(dossier=dossier, bloc=_bloc(ref, BC1), by=alice, valeur="60,5")
    assert (r.controle_continu, r.epreuves) == (Decimal("60.5"), Decimal("80"))


def test_cc_is_bounded_by_the_grid_and_writes_nothing_when_wrong(in_a, alice, referentiels):
    """Grille de synthèse : « Bloc 1 … 100 pts » de contrôle continu."""
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    with pytest.raises(ApplicationError, match="au plus 100"):
        controle_continu.cc_record_many(dossier=dossier, by=alice, valeurs={BC1: "100,01", BC2: "50"})
    assert not Resultat.objects.filter(dossier=dossier).exists()  # BC2 was fine, yet nothing written
    assert controle_continu.cc_record_many(dossier=dossier, by=alice, valeurs={BC1: "100", BC2: ""}) == 1
    rows = {r["bloc"].code: r for r in controle_continu.cc_rows(dossier)}
    assert [r["max"] for r in rows.values()] == [100, 70, 70, 60]
    assert rows[BC1]["valeur"] == Decimal("100") and rows[BC2]["valeur"] is None


def test_results_page_enters_cc_and_keeps_the_epreuves(in_a, alice, referentiels, client_for, org_a):
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    resultat_record(dossier=dossier, by=alice, bloc=_bloc(ref, BC1), epreuves=90)
    client = client_for(alice)
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    page = client.get(url).content.decode()
    assert "Bloc RNCP36390BC01 — contrôle continu (sur 100)" in page
    response = client.post(
        url, {"action": "controle_continu", f"cc-{BC1}": "72", f"cc-{BC2}": ""}, follow=True
    )
    assert "Contrôle continu enregistré (1 bloc(s) modifié(s))" in response.content.decode()
    with tenant_context(org_a):
        r = Resultat.objects.get(dossier=dossier, bloc__code=BC1)
        assert (r.controle_continu, r.epreuves) == (Decimal("72"), Decimal("90"))
        assert ResultatChange.objects.filter(resultat=r, field="controle_continu").exists()
    response = client.post(url, {"action": "controle_continu", f"cc-{BC1}": "douze"}, follow=True)
    assert "n&#x27;est pas un nombre" in response.content.decode()
    page = client.get(url).content.decode()
    assert "Contrôle continu 72 · épreuves 90" in page
    assert "controle_continu :" not in page  # the history speaks French, not field names


def _csv(rows):
    return ("\n".join(";".join(r) for r in rows)).encode()


def test_session_import_dry_run_then_write(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    d1 = inscribed_dossier(alice, ref)
    d2 = inscribed_dossier(alice, ref, prenom1="Hugo", nom_naissance="Martin")
    session = _session(alice, ref, [d1, d2])
    template = controle_continu.template_csv(session)
    assert template.splitlines()[0] == (
        "\ufeffdossier;nom;prénom;Bloc RNCP36390BC01 (sur 100);Bloc RNCP36390BC02 (sur 70);"
        "Bloc RNCP36390BC03 (sur 70);Bloc RNCP36390BC04 (sur 60)"
    )
    resultat_record(dossier=d1, by=alice, bloc=_bloc(ref, BC1), epreuves=120)
    header = ["dossier", "nom", "prénom", "Bloc RNCP36390BC01 (sur 100)", "Bloc RNCP36390BC02 (sur 70)"]
    good = _csv(
        [header, [str(d1.public_id), "Durand", "Léa", "61", "40,5"], [str(d2.public_id), "", "", "", "70"]]
    )
    report = controle_continu.session_import(
        session=session, by=alice, data=good, file_format="csv", dry_run=True
    )
    assert not report.errors and not report.written and report.changed == 3
    assert report.rows[0].changes == ["Bloc RNCP36390BC01 : — → 61", "Bloc RNCP36390BC02 : — → 40,5"]
    assert Resultat.objects.get(dossier=d1, bloc__code=BC1).controle_continu is None  # dry run
    bad = _csv(
        [
            header,
            [str(d1.public_id), "", "", "61", "71"],
            ["nimporte", "", "", "1", ""],
            [str(d2.public_id), "", "", "-1", ""],
        ]
    )
    report = controle_continu.session_import(
        session=session, by=alice, data=bad, file_format="csv", dry_run=False
    )
    assert [(r.line, r.error) for r in report.errors] == [
        (2, "Bloc RNCP36390BC02 : Contrôle continu : 71 points, au plus 70."),
        (3, "Dossier « nimporte » inconnu de cette session."),
        (4, "Bloc RNCP36390BC01 : Les points ne peuvent pas être négatifs."),
    ]
    assert not Resultat.objects.filter(dossier__in=[d1, d2], controle_continu__isnull=False).exists()
    report = controle_continu.session_import(
        session=session, by=alice, data=good, file_format="csv", dry_run=False
    )
    assert report.written
    r = Resultat.objects.get(dossier=d1, bloc__code=BC1)
    assert (r.controle_continu, r.epreuves) == (Decimal("61"), Decimal("120"))  # épreuves untouched
    assert Resultat.objects.get(dossier=d2, bloc__code=BC2).controle_continu == Decimal("70")


def test_session_import_xlsx_and_unknown_columns(in_a, alice, referentiels):
    import io

    from openpyxl import Workbook

    ref = referentiels["rncp"]
    d1 = inscribed_dossier(alice, ref)
    session = _session(alice, ref, [d1])
    wb = Workbook()
    wb.active.append(["dossier", "Bloc RNCP36390BC04"])
    wb.active.append([str(d1.public_id), 59.5])
    out = io.BytesIO()
    wb.save(out)
    report = controle_continu.session_import(
        session=session, by=alice, data=out.getvalue(), file_format="xlsx", dry_run=False
    )
    assert report.written
    assert Resultat.objects.get(dossier=d1, bloc__code="RNCP36390BC04").controle_continu == Decimal("59.5")
    report = controle_continu.session_import(
        session=session,
        by=alice,
        data=_csv([["dossier", "Bloc 9"], [str(d1.public_id), "1"]]),
        file_format="csv",
        dry_run=True,
    )
    assert report.error.startswith("Colonne(s) inconnue(s) : « Bloc 9 »")


def test_session_page_import(in_a, alice, referentiels, client_for, org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ref = referentiels["rncp"]
    d1 = inscribed_dossier(alice, ref)
    session = _session(alice, ref, [d1])
    client = client_for(alice)
    url = reverse(
        "session_controle_continu", kwargs={"org_slug": org_a.slug, "session_id": session.public_id}
    )
    assert client.get(url + "?format=csv").content.decode().startswith("\ufeffdossier;nom;prénom;")
    data = _csv([["dossier", "Bloc RNCP36390BC01"], [str(d1.public_id), "101"]])
    response = client.post(url, {"action": "verifier", "file": SimpleUploadedFile("cc.csv", data)})
    assert response.status_code == 400
    assert "au plus 100" in response.content.decode()
    data = _csv([["dossier", "Bloc RNCP36390BC01"], [str(d1.public_id), "99"]])
    response = client.post(
        url, {"action": "importer", "file": SimpleUploadedFile("cc.csv", data)}, follow=True
    )
    assert "Contrôle continu importé : 1 note(s) modifiée(s)." in response.content.decode()
    with tenant_context(org_a):
        assert Resultat.objects.get(dossier=d1, bloc__code=BC1).controle_continu == Decimal("99")


def test_evaluateur_grid_has_a_cc_column_and_each_part_keeps_the_other(in_a, alice, referentiels):
    from evaluations import selectors
    from evaluations.services import epreuve_cibles, epreuve_mark

    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    session = _session(alice, ref, [dossier])
    epreuve = session.epreuves.get()
    cibles = epreuve_cibles(epreuve)
    assert [(c["libelle"], c["max"]) for c in cibles] == [
        ("Contrôle continu RNCP36390BC01", 100),
        ("Épreuves RNCP36390BC01", 150),
    ]
    epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible="RNCP36390BC01", valeur="120")
    epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible="cc:RNCP36390BC01", valeur="75,5")
    r = Resultat.objects.get(dossier=dossier, bloc__code=BC1)
    assert (r.controle_continu, r.epreuves) == (Decimal("75.5"), Decimal("120"))
    with pytest.raises(ApplicationError, match="au plus 100"):
        epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible="cc:RNCP36390BC01", valeur="101")
    grid = selectors.epreuve_grid(epreuve=epreuve, user=alice.user)
    [row] = selectors.epreuve_grid_rows(grid=grid, ids=grid.ids)
    assert [c.value for c in row.cells] == ["75.50", "120.00"]


def test_capacites_in_natural_order_on_the_grid(in_a, alice, referentiels):
    """The issue: « The grid orders capacités as text (1, 10, 2, 3 …): an évaluateur marked
    capacité 8 instead of 9 »."""
    from core.natural import natural_sorted
    from evaluations.models import Epreuve
    from evaluations.services import epreuve_cibles

    assert natural_sorted(["10", "2", "1", "C.1.10.1", "C.1.2.1", "9"]) == [
        "1",
        "2",
        "9",
        "10",
        "C.1.2.1",
        "C.1.10.1",
    ]
    cqpm = referentiels["cqpm"]
    session = session_create(by=alice, referentiel=cqpm, intitule="Juin", lieu="Paris")
    epreuve = epreuve_create(
        session=session,
        by=alice,
        intitule="Situation",
        capacites=["5", "1", "3"],
        date=dt.date(2026, 6, 10),
        heure_debut=dt.time(9),
        duree_minutes=60,
        lieu="Paris",
    )
    Epreuve.objects.filter(pk=epreuve.pk).update(capacites=["5", "1", "3"])
    epreuve.refresh_from_db()
    assert [c["code"] for c in epreuve_cibles(epreuve)] == ["1", "3", "5"]


def test_import_template_lists_the_blocs_in_natural_code_order(in_a, alice, referentiels):
    """Codes sorted naturally in every export (issue 14): blocs coded BC1, BC10, BC2, BC3 (stored
    in that order) come out 1, 2, 3, 10 in the import template."""
    import datetime as _dt

    from referentiels.services import habilitation_grant
    from tests.builders import rncp_unpadded_blocs

    ref = rncp_unpadded_blocs(referentiels["rncp"].certificateur)
    habilitation_grant(
        certificateur=ref.certificateur, centre=in_a, code=ref.code, date_debut=_dt.date(2024, 1, 1)
    )
    session = _session(alice, ref, [inscribed_dossier(alice, ref)], bloc="RNCP99999BC1")
    assert controle_continu.template_csv(session).splitlines()[0] == (
        "\ufeffdossier;nom;prénom;Bloc RNCP99999BC1 (sur 100);Bloc RNCP99999BC2 (sur 70);"
        "Bloc RNCP99999BC3 (sur 60);Bloc RNCP99999BC10 (sur 70)"
    )
