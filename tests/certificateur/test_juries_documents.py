"""Juries, PVs and parchemins seen by the certificateur across centres; CQPM transmission bundle."""

import datetime as dt
import io
import zipfile

import pytest
from pypdf import PdfReader

from certificateur.oversight import oversight_context
from certificateur.selectors import jury_and_document_figures, oversight_juries
from documents.examples import PARCHEMIN, PROCES_VERBAL
from documents.models import DocumentKind, IssuedDocument
from documents.services import document_render, document_request, document_revoke
from juries.models import Decision, Jury, JuryMember
from organisations.tenancy import tenant_context


def sit_epreuve(org, referentiel, dossier, *, jury=None, intitule="Soutenance"):
    """``dossier`` sat an épreuve whose émargement is rendered; before ``jury`` when given."""
    from evaluations.documents import emargement_request
    from evaluations.models import Epreuve, InscriptionEpreuve, SessionExamen

    with tenant_context(org):
        session = SessionExamen.objects.create(organisation=org, intitule="Session", referentiel=referentiel)
        epreuve = Epreuve.objects.create(
            organisation=org,
            session=session,
            intitule=intitule,
            date=dt.date(2024, 12, 2),
            heure_debut=dt.time(9),
            duree_minutes=60,
            lieu="Lyon",
        )
        InscriptionEpreuve.objects.create(organisation=org, epreuve=epreuve, dossier=dossier)
        document_render(emargement_request(epreuve))
        if jury is not None:
            Decision.objects.create(
                organisation=org, jury=jury, dossier=dossier, proposition="certifie", decision="certifie"
            )
    return epreuve


def make_jury(org, referentiel, *, date=dt.date(2025, 6, 20), with_pv=True, parchemin_for=None):
    """A signed jury of ``org`` with two members, its PV rendered, optionally a parchemin."""
    with tenant_context(org):
        jury = Jury.objects.create(
            organisation=org,
            referentiel=referentiel,
            intitule=f"Jury {referentiel.code}",
            date=date,
            lieu="Lyon",
            date_dernier_examen=date,
            status=Jury.Status.SIGNE,
        )
        JuryMember.objects.create(
            organisation=org,
            jury=jury,
            email="p@test.local",
            nom="Roux",
            prenom="Paul",
            role=JuryMember.Role.PRESIDENT,
            personnalite_qualifiee=True,
            structure="ACME",
        )
        JuryMember.objects.create(
            organisation=org,
            jury=jury,
            email="m@test.local",
            nom="Moreau",
            prenom="Inès",
            role=JuryMember.Role.PROFESSIONNEL,
            metier="Gestionnaire",
        )
        if with_pv:
            pv = document_request(
                organisation=org,
                kind=DocumentKind.PROCES_VERBAL,
                certificateur=None,
                idempotency_key=f"jury:{jury.public_id}:pv",
                group_key=jury.group_key,
                title=f"Procès-verbal — {jury.intitule}",
                context=PROCES_VERBAL,
                issued_on=date,
                render=False,
            )
            document_render(pv)
        if parchemin_for is not None:
            document_request(
                organisation=org,
                kind=DocumentKind.PARCHEMIN,
                certificateur=referentiel.certificateur,
                idempotency_key=f"jury:{jury.public_id}:p:{parchemin_for}",
                group_key=jury.group_key,
                holder_name=parchemin_for,
                title=referentiel.intitule,
                context=PARCHEMIN | {"code_certification": referentiel.code},
                issued_on=date,
                render=False,
            )
    return jury


@pytest.fixture
def juries(world, org_a, org_b):
    return {
        "a_rncp": make_jury(org_a, world["rncp"], parchemin_for="Léa ALPHA"),
        "b_rncp": make_jury(org_b, world["rncp"], date=dt.date(2024, 12, 5), parchemin_for="Léa ECHO"),
        "a_cqpm": make_jury(org_a, world["cqpm"], date=dt.date(2025, 1, 10)),
    }


def test_certificateur_sees_both_centres_juries_and_pvs_only_its_own(juries, world):
    rows = oversight_juries(certificateur=world["cci"])
    assert {r["jury"].pk for r in rows} == {juries["a_rncp"].pk, juries["b_rncp"].pk}
    assert all(r["pv"] is not None and r["nb_membres"] == 2 for r in rows)
    uimm = oversight_juries(certificateur=world["uimm"])
    assert [r["jury"].pk for r in uimm] == [juries["a_cqpm"].pk]
    assert uimm[0]["transmission"] and uimm[0]["echeance"] == dt.date(2025, 4, 10) and uimm[0]["en_retard"]
    with oversight_context(world["cci"]):  # the CQPM jury's PV is not CCI's: invisible in SQL too
        groups = set(IssuedDocument.objects.values_list("group_key", flat=True))
    assert juries["a_cqpm"].group_key not in groups


def test_parchemins_issued_and_revoked_per_year(juries, world, org_b, bob):
    with tenant_context(org_b):
        doc = IssuedDocument.objects.get(kind=DocumentKind.PARCHEMIN)
        document_revoke(document=doc, by=bob, reason="Erreur d'état civil")
    figures = jury_and_document_figures(certificateur=world["cci"])
    assert figures[("RNCP36390", 2025)] == {
        "juries": 1,
        "juries_signes": 1,
        "parchemins": 1,
        "parchemins_revoques": 0,
    }
    assert figures[("RNCP36390", 2024)]["parchemins_revoques"] == 1
    assert ("CQPM-attache-gestion", 2025) not in figures


def test_pv_download_from_another_centre(juries, world, cci_user, uimm_user, client_for):
    with tenant_context(juries["b_rncp"].organisation):
        pv = IssuedDocument.objects.get(kind=DocumentKind.PROCES_VERBAL)
    client = client_for(cci_user)
    page = client.get(f"/o/{world['cci'].slug}/supervision/").content.decode()
    assert "Télécharger le PV" in page and "Centre B" in page
    response = client.get(f"/o/{world['cci'].slug}/supervision/proces-verbaux/{pv.public_id}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Procès-verbal" in text or "PROCÈS-VERBAL" in text.upper()
    other = client_for(uimm_user).get(
        f"/o/{world['uimm'].slug}/supervision/proces-verbaux/{pv.public_id}.pdf"
    )
    assert other.status_code == 404


def test_cqpm_transmission_bundle(juries, world, org_a, org_b, uimm_user, cci_user, client_for):
    jury = juries["a_cqpm"]
    # Delta (centre A) sat an épreuve before this jury: its émargement, filed by the evaluations
    # app under the épreuve, travels in the bundle; Hotel's (centre B, no seat on it) does not.
    sit_epreuve(org_a, world["cqpm"], world["a4"], jury=jury)
    with tenant_context(org_b):
        hotel = world["uimm_dossiers"][1]
    sit_epreuve(org_b, world["cqpm"], hotel, intitule="Autre épreuve")
    response = client_for(uimm_user).get(
        f"/o/{world['uimm'].slug}/supervision/jurys/{jury.public_id}/transmission.zip"
    )
    assert response.status_code == 200
    names = sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert [n.split("/", 1)[1] for n in names] == [
        "01-proces-verbal.pdf",
        "02-composition-du-jury.csv",
        "03-emargement-01.pdf",
        "04-certificat-de-conformite.pdf",
        "LISEZMOI.txt",
    ]
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    emargement = "".join(p.extract_text() for p in PdfReader(io.BytesIO(zf.read(names[2]))).pages)
    assert "Soutenance" in emargement and "Autre épreuve" not in emargement
    assert "Feuilles d'émargement : 1" in zf.read(names[4]).decode()
    composition = zf.read(names[1]).decode("utf-8-sig")
    assert "Roux;Paul;Président(e)" in composition
    conformite = PdfReader(io.BytesIO(zf.read(names[3])))
    text = conformite.pages[0].extract_text()
    assert "Certificat de conformité" in text and "10/04/2025" in text
    # Not UIMM's jury → 404 for CCI
    assert (
        client_for(cci_user)
        .get(f"/o/{world['cci'].slug}/supervision/jurys/{jury.public_id}/transmission.zip")
        .status_code
        == 404
    )


def test_recorded_transmission_is_no_longer_late(juries, world, uimm_user, cci_user, client_for, api_for):
    jury = juries["a_cqpm"]
    with tenant_context(jury.organisation):
        Jury.objects.filter(pk=jury.pk).update(frozen_at=dt.datetime(2025, 1, 10, 18, tzinfo=dt.UTC))
    base = f"/api/v1/o/{world['uimm'].slug}/supervision/jurys/{jury.public_id}/transmission/"
    api = api_for(uimm_user)
    state = api.get(base).json()
    assert state["en_retard"] is True and state["transmis_le"] is None and state["echeance"] == "2025-04-10"
    page = client_for(uimm_user)
    html = page.get(f"/o/{world['uimm'].slug}/supervision/").content.decode()
    assert "échue" in html and "Marquer transmis" in html
    # the page button records it (a date before the jury is refused)
    url = f"/o/{world['uimm'].slug}/supervision/jurys/{jury.public_id}/transmis/"
    page.post(url, {"transmis_le": "01/01/2025"})
    assert oversight_juries(certificateur=world["uimm"])[0]["en_retard"]
    response = page.post(url, {"transmis_le": "02/04/2025"}, follow=True)
    assert "Transmission enregistrée le 02/04/2025" in response.content.decode()
    row = oversight_juries(certificateur=world["uimm"])[0]
    assert row["transmis_le"] == dt.date(2025, 4, 2) and not row["en_retard"]
    html = page.get(f"/o/{world['uimm'].slug}/supervision/").content.decode()
    assert "transmis le 02/04/2025" in html and "échue" not in html
    # the API records (or corrects) it too
    state = api.post(base, {"transmis_le": "2025-04-03"}, format="json").json()
    assert state["transmis_le"] == "2025-04-03" and state["en_retard"] is False
    assert api.post(base, {"transmis_le": "2999-01-01"}, format="json").status_code == 400
    # another certificateur's jury → 404; a RNCP jury needs no transmission → 400
    assert (
        api_for(cci_user)
        .post(
            f"/api/v1/o/{world['cci'].slug}/supervision/jurys/{jury.public_id}/transmission/",
            {},
            format="json",
        )
        .status_code
        == 404
    )
    rncp = juries["a_rncp"]
    assert (
        api_for(cci_user)
        .post(
            f"/api/v1/o/{world['cci'].slug}/supervision/jurys/{rncp.public_id}/transmission/",
            {},
            format="json",
        )
        .status_code
        == 400
    )
