"""Open Badges 3.0 credentials: signed with the certificateur's Ed25519 key, verified offline
with the published JWKS, broken by one changed byte, revoked through the status list."""

import base64
import json

import pytest
from django.test import Client

from certificateur.credentials import (
    CredentialInvalid,
    credential_revoke,
    credential_verify,
    credentials_for_dossier,
    is_revoked,
    signing_key_for,
)
from certificateur.models import SigningKey
from organisations.tenancy import tenant_context


@pytest.fixture
def issued(world, org_a):
    with tenant_context(org_a):
        return credentials_for_dossier(dossier=world["a1"])[0]


def _payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_credential_verifies_with_the_published_key(issued, world):
    keyset = Client().get("/.well-known/jwks.json").json()
    assert keyset["keys"][0]["crv"] == "Ed25519" and keyset["keys"][0]["kid"].startswith("cci-france-")
    payload = credential_verify(issued.token, keyset)
    vc = payload["vc"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in vc["@context"]
    assert vc["issuer"]["name"] == "CCI France"
    assert vc["credentialSubject"]["achievement"]["humanCode"] == "RNCP36390"
    assert vc["credentialSubject"]["achievement"]["achievementType"] == "Diploma"
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert payload["sub"] == "Léa Alpha"


def test_one_changed_byte_breaks_it(issued):
    keyset = Client().get("/.well-known/jwks.json").json()
    header, body, signature = issued.token.split(".")
    claims = _payload(issued.token)
    claims["sub"] = "Léa Alphb"  # one byte of the holder's name
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(CredentialInvalid):
        credential_verify(f"{header}.{forged_body}.{signature}", keyset)
    raw = bytearray(issued.token.encode())
    raw[len(header) + 5] ^= 0x01  # flip one bit inside the encoded payload
    with pytest.raises(CredentialInvalid):
        credential_verify(raw.decode(errors="replace"), keyset)
    sig = bytearray(base64.urlsafe_b64decode(signature + "=="))
    sig[0] ^= 0xFF
    bad_sig = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    with pytest.raises(CredentialInvalid):
        credential_verify(f"{header}.{body}.{bad_sig}", keyset)


def test_another_certificateur_key_does_not_verify(issued, world):
    signing_key_for(world["uimm"])
    keyset = Client().get("/.well-known/jwks.json").json()
    uimm_only = {"keys": [k for k in keyset["keys"] if k["kid"].startswith("uimm-")]}
    with pytest.raises(CredentialInvalid):
        credential_verify(issued.token, uimm_only)


def test_revocation_shows_in_the_signed_status_list(issued, world, org_a, org_b):
    with tenant_context(org_b):
        other = credentials_for_dossier(dossier=world["b1"])[0]
    assert other.status_index != issued.status_index
    status_url = _payload(issued.token)["vc"]["credentialStatus"]["statusListCredential"]
    path = status_url.split("://", 1)[1].split("/", 1)[1]
    keyset = Client().get("/.well-known/jwks.json").json()

    def revoked(credential):
        token = Client().get("/" + path).content.decode()
        encoded = credential_verify(token, keyset)["vc"]["credentialSubject"]["encodedList"]
        return is_revoked(encoded, credential.status_index)

    assert not revoked(issued) and not revoked(other)
    with tenant_context(org_a):
        credential_revoke(credential=issued, reason="Fraude constatée après délivrance")
    assert revoked(issued) and not revoked(other)


def test_issue_is_idempotent_and_partial_gives_bloc_certificates(world, org_a):
    with tenant_context(org_a):
        first = credentials_for_dossier(dossier=world["a1"])
        assert credentials_for_dossier(dossier=world["a1"]) == first
        charlie = next(d for d in world["cci_dossiers"] if d.decision == "partiel")
        blocs = credentials_for_dossier(dossier=charlie)
        assert [c.kind for c in blocs] == ["bloc"]
        assert (
            _payload(blocs[0].token)["vc"]["credentialSubject"]["achievement"]["achievementType"]
            == "Certificate"
        )


def test_private_key_is_stored_encrypted(issued):
    key = SigningKey.objects.get()
    assert len(bytes(key.private_key_encrypted)) > 32 and b"PRIVATE" not in bytes(key.private_key_encrypted)


def test_certificateur_sees_credentials_of_all_centres_read_only(issued, world, org_b, cci_user, client_for):
    with tenant_context(org_b):
        credentials_for_dossier(dossier=world["b1"])
    page = client_for(cci_user).get(f"/o/{world['cci'].slug}/supervision/attestations-numeriques/")
    html = page.content.decode()
    assert "Centre A" in html and "Centre B" in html


# --- credentials of parchemins and certificats de bloc, downloaded by the centre ---------------


@pytest.fixture
def parchemin(world, org_a):
    from tests.documents.conftest import issue

    return issue(org_a, world["cci"], "parchemin", key="vc:parchemin", holder="Léa ALPHA", group="jury:vc")


def _status_of(credential_token: str, keyset: dict) -> bool:
    status = credential_verify(credential_token, keyset)["vc"]["credentialStatus"]
    path = status["statusListCredential"].split("://", 1)[1].split("/", 1)[1]
    encoded = credential_verify(Client().get("/" + path).content.decode(), keyset)["vc"]["credentialSubject"]
    return is_revoked(encoded["encodedList"], int(status["statusListIndex"]))


def test_centre_downloads_the_credential_of_a_parchemin_page_and_api(
    parchemin, world, alice, bob, client_for, api_for
):
    page_url = f"/o/centre-a/documents/{parchemin.public_id}/attestation-numerique/"
    api_url = f"/api/v1/o/centre-a/documents/{parchemin.public_id}/credential"
    response = client_for(alice).get(page_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert f"attestation-numerique-{parchemin.number}.json" in response["Content-Disposition"]
    data = response.json()
    keyset = Client().get("/.well-known/jwks.json").json()
    vc = credential_verify(data["jwt"], keyset)["vc"]
    assert vc["credentialSubject"]["achievement"]["humanCode"] == "RNCP36390"
    assert vc["credentialSubject"]["achievement"]["otherIdentifier"][0]["identifier"] == parchemin.number
    assert data["titulaire"] == "Léa ALPHA" and data["revoked"] is False
    # the API gives the same credential (issued once)
    assert api_for(alice).get(api_url).json()["jwt"] == data["jwt"]
    detail = client_for(alice).get(f"/o/centre-a/documents/{parchemin.public_id}/").content.decode()
    assert "attestation-numerique/" not in detail  # not rendered yet: no link
    # another centre: 404 under its own slug and under A's
    assert client_for(bob).get(page_url).status_code == 404
    assert client_for(bob).get(page_url.replace("centre-a", "centre-b")).status_code == 404
    assert api_for(bob).get(api_url).status_code == 404
    assert api_for(bob).get(api_url.replace("centre-a", "centre-b")).status_code == 404


def test_detail_page_links_the_credential_of_a_ready_bloc_certificate(world, org_a, alice, client_for):
    from tests.documents.conftest import issue, render_now

    bloc = render_now(issue(org_a, world["cci"], "certificat_bloc", key="vc:bloc", group="jury:vc"))
    detail = client_for(alice).get(f"/o/centre-a/documents/{bloc.public_id}/").content.decode()
    assert f"/o/centre-a/documents/{bloc.public_id}/attestation-numerique/" in detail
    data = client_for(alice).get(f"/o/centre-a/documents/{bloc.public_id}/attestation-numerique/").json()
    achievement = data["credential"]["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certificate" and achievement["humanCode"] == "RNCP36390BC02"


def test_revoking_the_document_revokes_its_credential(parchemin, world, org_a, alice, api_for):
    from documents.services import document_revoke
    from organisations.roles import Role
    from tests.conftest import make_member

    token = api_for(alice).get(f"/api/v1/o/centre-a/documents/{parchemin.public_id}/credential").json()["jwt"]
    keyset = Client().get("/.well-known/jwks.json").json()
    assert _status_of(token, keyset) is False
    admin = make_member(org_a, Role.ADMIN, "admin-vc@test.local")
    with tenant_context(org_a):
        document_revoke(document=parchemin, by=admin, reason="Fraude constatée après délivrance")
    assert _status_of(token, keyset) is True
    data = api_for(alice).get(f"/api/v1/o/centre-a/documents/{parchemin.public_id}/credential").json()
    assert data["revoked"] is True and data["jwt"] == token


def test_no_credential_is_issued_for_a_revoked_document_or_an_attestation(world, org_a, alice, api_for):
    from documents.services import document_revoke
    from organisations.roles import Role
    from tests.conftest import make_member
    from tests.documents.conftest import issue

    attestation = issue(org_a, world["cci"], "attestation", key="vc:att", group="jury:vc")
    api = api_for(alice)
    assert api.get(f"/api/v1/o/centre-a/documents/{attestation.public_id}/credential").status_code == 400
    parchemin = issue(org_a, world["cci"], "parchemin", key="vc:rev", holder="Paul REVOQUE", group="jury:vc")
    with tenant_context(org_a):
        document_revoke(
            document=parchemin,
            by=make_member(org_a, Role.ADMIN, "adm2@test.local"),
            reason="Erreur de saisie",
        )
    assert api.get(f"/api/v1/o/centre-a/documents/{parchemin.public_id}/credential").status_code == 400


def test_reissue_supersedes_the_credential_of_the_previous_version(world, org_a, alice, api_for):
    from documents.services import document_reissue
    from organisations.roles import Role
    from tests.conftest import make_member
    from tests.documents.conftest import issue, render_now

    document = render_now(issue(org_a, world["cci"], "parchemin", key="vc:reissue", holder="Léa ALFA"))
    api = api_for(alice)
    url = f"/api/v1/o/centre-a/documents/{document.public_id}/credential"
    first = api.get(url).json()["jwt"]
    with tenant_context(org_a):
        document_reissue(
            document=document,
            by=make_member(org_a, Role.ADMIN, "adm3@test.local"),
            reason="Correction de l'état civil",
            context_changes={"holder_name": "Léa ALPHA"},
        )
    keyset = Client().get("/.well-known/jwks.json").json()
    assert _status_of(first, keyset) is True
    second = api.get(url).json()
    assert second["titulaire"] == "Léa ALPHA" and _status_of(second["jwt"], keyset) is False
