"""The dossier's parcours (seed 004) read from the candidates API: rattrapage or redoublement and
its courrier, the exemption d'épreuve professionnelle, the portefeuille de preuves per bloc —
read-only there (recorded through ``~/dossiers/{id}/parcours/``)."""

import datetime as dt

from candidates.models import Dossier
from evaluations import dispositions
from organisations.tenancy import tenant_context
from tests.builders import pdf_upload
from tests.evaluations.conftest import inscribed_dossier


def test_dossier_api_shows_the_parcours_read_only(org_a, alice, referentiels, api_for):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
        Dossier.objects.filter(pk=dossier.pk).update(
            statut_professionnel=Dossier.StatutProfessionnel.SALARIE,
            reprise="rattrapage",
            reprise_courrier_le=dt.date(2026, 2, 10),
        )
        dossier.refresh_from_db()
        dispositions.exemption_record(
            dossier=dossier,
            by=alice,
            positionnement_le=dossier.date_inscription,
            justification="Positionnement : 4 ans d'assistanat de direction",
            uploaded_file=pdf_upload("positionnement.pdf"),
        )
        dispositions.portefeuille_record(
            dossier=dossier,
            by=alice,
            bloc="RNCP36390BC02",
            fin_parcours=dt.date(2025, 12, 30),
            presentation_le=dt.date(2026, 4, 30),
            justification="Service RH structuré",
            evaluateur="Mme Lenoir (CCI, hors formation)",
            uploaded_file=pdf_upload("portefeuille.pdf"),
        )
        dossier.refresh_from_db()
        exemption_piece = str(dossier.exemption_piece.public_id)
        portefeuille_piece = str(
            dossier.blocs_vises.get(bloc__code="RNCP36390BC02").portefeuille_piece.public_id
        )
    api = api_for(alice)
    detail = api.get(f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/").json()
    assert detail["reprise"] == "rattrapage" and detail["reprise_courrier_le"] == "2026-02-10"
    assert detail["exemption_epreuve_professionnelle"] is True
    assert detail["exemption_justification"] == "Positionnement : 4 ans d'assistanat de direction"
    assert detail["exemption_piece"] == exemption_piece
    blocs = {b["code"]: b for b in detail["blocs"]}
    assert blocs["RNCP36390BC02"]["portefeuille"] is True
    assert blocs["RNCP36390BC02"]["portefeuille_presentation_le"] == "2026-04-30"
    assert blocs["RNCP36390BC02"]["portefeuille_evaluateur"] == "Mme Lenoir (CCI, hors formation)"
    assert blocs["RNCP36390BC02"]["portefeuille_piece"] == portefeuille_piece
    assert (
        blocs["RNCP36390BC01"]["portefeuille"] is False
        and blocs["RNCP36390BC01"]["portefeuille_piece"] is None
    )
    row = next(
        d
        for d in api.get("/api/v1/o/centre-a/dossiers/").json()["results"]
        if d["id"] == str(dossier.public_id)
    )
    assert row["exemption_epreuve_professionnelle"] is True and row["reprise"] == "rattrapage"
    # read-only: a PATCH of the dossier does not change the parcours
    api.patch(
        f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/",
        {"reprise": "", "exemption_epreuve_professionnelle": False},
        format="json",
    )
    with tenant_context(org_a):
        dossier.refresh_from_db()
        assert dossier.reprise == "rattrapage" and dossier.exemption_epreuve_pro
