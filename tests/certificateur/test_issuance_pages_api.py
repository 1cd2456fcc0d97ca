"""Pages and API of « who issues and who signs » (issue 13, point 1): the certificateur's rules,
the centre's own signatory, « PV reçus » (review, bulk issue, return). Bad input: a French message,
nothing written.

Seed 004: « Le parchemin sera signé par le Président de CCI France et le Président de la CCI dont
dépend l'établissement de formation. »
"""

import pytest

from documents.models import CentreSignatoryName, IssuanceRule, IssuanceSignatory, IssuedDocument
from juries.models import PvTransmission
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.certificateur.test_issuance import SIGNATORIES, committed, configure_seed_004, signed_jury
from tests.conftest import make_member


def centre_admin(org):
    """The centre's administrator, second factor enrolled (required for an admin)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    admin = make_member(org, Role.ADMIN, "directeur@centre.test")
    TOTP.activate(admin.user, generate_totp_secret())
    return admin


RULE = {
    "kind": "parchemin",
    "issuer": "certificateur",
    "referentiel_code": "RNCP36390",
    "signataires": SIGNATORIES,
}


def test_api_rules_create_list_delete_and_refuse_bad_input(cci, staff, api_for):
    api = api_for(staff)
    url = f"/api/v1/o/{cci.slug}/supervision/emission/regles/"
    for body, message in (
        ({**RULE, "kind": "convocation"}, "Document"),
        ({**RULE, "kind": "attestation"}, "établissement"),
        ({**RULE, "referentiel_code": "RNCP99999"}, "inconnue"),
        ({**RULE, "signataires": [{"title": "Le Président de CCI France"}]}, "indiquez son nom"),
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 400, response.content
        assert message in response.json()["error"]["message"]
    assert not IssuanceRule.objects.exists()
    created = api.post(url, RULE, format="json")
    assert created.status_code == 201, created.content
    assert [s["title"] for s in created.json()["signataires"]] == [s["title"] for s in SIGNATORIES]
    listed = api.get(url).json()
    assert len(listed) == 1 and listed[0]["issuer"] == "certificateur"
    assert api.delete(f"{url}{listed[0]['id']}/").status_code == 204
    assert not IssuanceRule.objects.exists()


def test_rules_page_saves_and_keeps_the_form_on_error(cci, staff, client_for):
    client = client_for(staff)
    url = f"/o/{cci.slug}/supervision/emission/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Émission des documents et signataires" in page.content.decode()
    bad = client.post(
        url,
        {
            "kind": "parchemin",
            "issuer": "certificateur",
            "referentiel_code": "RNCP36390",
            "titre_0": "Le Président de CCI France",
        },
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "indiquez son nom" in body
    assert 'value="Le Président de CCI France"' in body  # the typed title is kept
    assert not IssuanceRule.objects.exists()
    ok = client.post(
        url,
        {
            "kind": "parchemin",
            "issuer": "certificateur",
            "referentiel_code": "RNCP36390",
            "titre_0": "Le Président de CCI France",
            "nom_0": "Alain Démo-Président",
            "renseigne_par_0": "certificateur",
            "titre_1": "Le Président de la CCI dont dépend l'établissement de formation",
            "renseigne_par_1": "centre",
        },
    )
    assert ok.status_code == 302
    rule = IssuanceRule.objects.get()
    assert [(s.title, s.name, s.named_by) for s in rule.signatories.all()] == [
        ("Le Président de CCI France", "Alain Démo-Président", "certificateur"),
        ("Le Président de la CCI dont dépend l'établissement de formation", "", "centre"),
    ]
    assert "Alain Démo-Président" in client.get(url).content.decode()


def test_centre_names_its_signatory_on_page_and_api(org_a, cci, staff, client_for, api_for):
    configure_seed_004(cci, staff)
    admin = centre_admin(org_a)
    signatory = IssuanceSignatory.objects.filter(named_by="centre", rule__kind="parchemin").get()
    client = client_for(admin)
    page = client.get(f"/o/{org_a.slug}/jurys/signataires/")
    assert page.status_code == 200
    assert "Le Président de la CCI dont dépend l&#x27;établissement de formation" in page.content.decode()
    bad = client.post(
        f"/o/{org_a.slug}/jurys/signataires/", {"signataire": str(signatory.public_id), "nom": " "}
    )
    assert bad.status_code == 400 and "Indiquez le nom" in bad.content.decode()
    unknown = client.post(f"/o/{org_a.slug}/jurys/signataires/", {"signataire": "pas-un-id", "nom": "X"})
    assert unknown.status_code == 400 and "Signataire inconnu" in unknown.content.decode()
    with tenant_context(org_a):
        assert not CentreSignatoryName.objects.exists()
    ok = client.post(
        f"/o/{org_a.slug}/jurys/signataires/",
        {"signataire": str(signatory.public_id), "nom": "Brigitte Démo-Lyon"},
    )
    assert ok.status_code == 302
    api = api_for(admin)
    rows = api.get(f"/api/v1/o/{org_a.slug}/juries/signataires/").json()
    # one row for the person who signs CCI France's parchemins and certificats de bloc
    assert [(r["qualite"], r["nom"]) for r in rows] == [(signatory.title, "Brigitte Démo-Lyon")]
    changed = api.post(
        f"/api/v1/o/{org_a.slug}/juries/signataires/",
        {"signataire": str(signatory.public_id), "nom": "Brigitte Démo-Lyon-Bis"},
        format="json",
    )
    assert changed.status_code == 200
    with tenant_context(org_a):
        assert set(CentreSignatoryName.objects.values_list("name", flat=True)) == {"Brigitte Démo-Lyon-Bis"}
    # a gestionnaire does not name the centre's president
    gestionnaire = make_member(org_a, Role.GESTIONNAIRE, "g2@centre.test")
    assert api_for(gestionnaire).get(f"/api/v1/o/{org_a.slug}/juries/signataires/").status_code == 403


def test_received_pvs_pages_issue_in_bulk_and_return(org_a, alice, rncp, panel, cci, staff, client_for):
    configure_seed_004(cci, staff)
    admin = centre_admin(org_a)
    with tenant_context(org_a):
        for s in IssuanceSignatory.objects.filter(named_by="centre"):
            CentreSignatoryName.objects.create(organisation=org_a, signatory=s, name="Brigitte Démo-Lyon")
    jury = signed_jury(org_a, alice, rncp, panel)
    with tenant_context(org_a):
        t = PvTransmission.objects.get(jury=jury)
    # the centre sees its PV transmitted
    centre_page = client_for(admin).get(f"/o/{org_a.slug}/jurys/{jury.public_id}/").content.decode()
    assert "Transmission au certificateur" in centre_page and "Transmis au certificateur" in centre_page
    client = client_for(staff)
    listing = client.get(f"/o/{cci.slug}/supervision/pv-recus/").content.decode()
    assert "Jury de juin" in listing and "1 certifié(s)" in listing
    detail = client.get(f"/o/{cci.slug}/supervision/pv-recus/{t.public_id}/").content.decode()
    assert "Le Président de CCI France" in detail and "Brigitte Démo-Lyon" in detail
    empty = client.post(f"/o/{cci.slug}/supervision/pv-recus/", {})
    assert empty.status_code == 400 and "Choisissez au moins un procès-verbal" in empty.content.decode()
    no_reason = client.post(f"/o/{cci.slug}/supervision/pv-recus/{t.public_id}/retourner/", {"motif": ""})
    assert no_reason.status_code == 400 and "Indiquez le motif" in no_reason.content.decode()
    with tenant_context(org_a):
        assert PvTransmission.objects.get(pk=t.pk).status == "transmis"
    with committed():
        issued = client.post(f"/o/{cci.slug}/supervision/pv-recus/", {"transmissions": [str(t.public_id)]})
    assert issued.status_code == 302
    progress = client.get(f"/o/{cci.slug}/supervision/pv-recus/{t.public_id}/", HTTP_HX_REQUEST="true")
    assert "Documents émis" in progress.content.decode() and "barre-emission" in progress.content.decode()
    with tenant_context(org_a):
        assert IssuedDocument.objects.filter(
            group_key=jury.group_key, kind="parchemin", status="ready"
        ).exists()


def test_api_received_pvs_issue_and_return(org_a, alice, rncp, panel, cci, staff, api_for):
    configure_seed_004(cci, staff)
    jury = signed_jury(org_a, alice, rncp, panel)
    with tenant_context(org_a):
        t = PvTransmission.objects.get(jury=jury)
    api = api_for(staff)
    base = f"/api/v1/o/{cci.slug}/supervision/pv-recus/"
    rows = api.get(base).json()["results"]
    assert [r["id"] for r in rows] == [str(t.public_id)] and rows[0]["decisions"] == {"certifie": 1}
    detail = api.get(f"{base}{t.public_id}/").json()
    assert detail["noms_manquants"] == ["Le Président de la CCI dont dépend l'établissement de formation"]
    refused = api.post(f"{base}emettre/", {"transmissions": [str(t.public_id)]}, format="json")
    assert refused.status_code == 400 and "nom non renseigné" in refused.json()["error"]["message"]
    assert api.post(f"{base}emettre/", {"transmissions": ["x"]}, format="json").status_code == 400
    returned = api.post(
        f"{base}{t.public_id}/retourner/", {"motif": "Signataire du centre à nommer."}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == "retourne"
    # the centre sees the reason and transmits again through its API
    centre_api = api_for(alice)
    state = centre_api.get(f"/api/v1/o/{org_a.slug}/juries/{jury.public_id}/transmission/").json()
    assert state["etat"] == "retourne" and state["motif_retour"] == "Signataire du centre à nommer."
    again = centre_api.post(
        f"/api/v1/o/{org_a.slug}/juries/{jury.public_id}/transmission/", {}, format="json"
    )
    assert again.status_code == 200 and again.json()["etat"] == "transmis"


@pytest.mark.parametrize("path", ["supervision/pv-recus/", "supervision/emission/"])
def test_centre_staff_never_see_the_certificateur_pages(org_a, alice, client_for, path):
    assert client_for(alice).get(f"/o/{org_a.slug}/{path}").status_code == 404


def test_received_pvs_are_paged_with_the_filter_kept(
    org_a, alice, rncp, cci, staff, client_for, api_for, monkeypatch
):
    """« PV reçus » had a silent cap (200 rows): every PV is reachable, page by page, in its state."""
    import datetime as dt

    from django.utils import timezone

    from certificateur import issuance
    from juries import services

    monkeypatch.setattr(issuance, "RECEIVED_PER_PAGE", 2)
    with tenant_context(org_a):
        for i in range(5):
            jury = services.jury_create(
                by=alice, referentiel=rncp, intitule=f"Jury {i}", date=dt.date(2026, 6, 1), lieu="Lyon"
            )
            PvTransmission.objects.create(
                organisation=org_a,
                jury=jury,
                certificateur=cci,
                transmitted_at=timezone.now() - dt.timedelta(days=i),
                **(
                    {"status": "retourne", "returned_at": timezone.now(), "return_reason": "À corriger."}
                    if i == 4
                    else {}
                ),
            )
    client = client_for(staff)
    url = f"/o/{cci.slug}/supervision/pv-recus/"
    seen = []
    for number in (1, 2):
        body = client.get(f"{url}?etat=transmis&page={number}").content.decode()
        seen += [f"Jury {i}" for i in range(5) if f">Jury {i}</a>" in body]
        assert f"Page {number} sur 2" in body and "4 résultats" in body
    assert seen == ["Jury 0", "Jury 1", "Jury 2", "Jury 3"]  # newest first, the returned one filtered out
    assert "etat=transmis&amp;page=2" in client.get(f"{url}?etat=transmis").content.decode()
    api = api_for(staff)
    first = api.get(f"/api/v1/o/{cci.slug}/supervision/pv-recus/?etat=transmis").json()
    assert first["count"] == 4 and [r["jury"] for r in first["results"]] == ["Jury 0", "Jury 1"]
    assert "etat=transmis" in first["next"]
    second = api.get(first["next"]).json()
    assert [r["jury"] for r in second["results"]] == ["Jury 2", "Jury 3"] and second["next"] is None


def test_the_certificateur_edits_its_signatories_after_a_centre_named_one(org_a, cci, staff):
    """Seed 004's two signatories; a centre named « le Président de la CCI dont dépend
    l'établissement ». The certificateur then edits its rule: a signatory kept at its place keeps the
    centre's name; a signatory removed takes it along, although the certificateur cannot read the
    centre's rows (before: a foreign-key error at commit, the rule could no longer be changed)."""
    from django.db import connection

    from certificateur import issuance
    from juries.issuance import centre_signatory_name_set

    with connection.cursor() as cursor:  # foreign keys checked at once, as the commit would
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    configure_seed_004(cci, staff)
    admin = centre_admin(org_a)
    signatory = IssuanceSignatory.objects.get(named_by="centre", rule__kind="parchemin")
    with tenant_context(org_a):
        centre_signatory_name_set(
            by=admin, signatory_public_id=signatory.public_id, name="Brigitte Démo-Lyon"
        )
    renamed = [{**SIGNATORIES[0], "name": "Claire Démo-Présidente"}, SIGNATORIES[1]]
    with tenant_context(cci):
        rule = issuance.issuance_rule_set(certificateur=cci, by=staff, **{**RULE, "signataires": renamed})
    assert [(s.title, s.name) for s in rule.signatories.all()] == [
        ("Le Président de CCI France", "Claire Démo-Présidente"),
        ("Le Président de la CCI dont dépend l'établissement de formation", ""),
    ]
    with tenant_context(org_a):
        assert CentreSignatoryName.objects.get(signatory=signatory).name == "Brigitte Démo-Lyon"
    with tenant_context(cci):
        rule = issuance.issuance_rule_set(certificateur=cci, by=staff, **{**RULE, "signataires": renamed[:1]})
    assert [s.title for s in rule.signatories.all()] == ["Le Président de CCI France"]
    with tenant_context(org_a):
        # the certificat de bloc's rule still names the centre's president: that name stays
        assert list(CentreSignatoryName.objects.values_list("signatory__rule__kind", flat=True)) == [
            "certificat_bloc"
        ]
    with tenant_context(cci):
        bloc_rule = IssuanceRule.objects.get(certificateur=cci, kind="certificat_bloc")
        issuance.issuance_rule_delete(rule=bloc_rule, by=staff)
    with tenant_context(org_a):
        assert not CentreSignatoryName.objects.exists()
