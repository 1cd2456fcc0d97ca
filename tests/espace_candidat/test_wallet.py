"""« Ajouter à mon portefeuille numérique » (issue 20: « their Open Badges 3.0 credential to download
or add to a wallet »): OpenID4VCI 1.0, pre-authorized code flow.

The wallet below is written here, against the protocol only: it generates its key with
``cryptography``, reads the offer from the candidate's page, discovers the endpoints from the
published metadata, exchanges the code and the PIN, proves possession of its key and checks the
credential's signature with the certificateur's public key from the JWKS — by hand, with
``cryptography``, not with the platform's code.
"""

import base64
import html
import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificateur.credentials import is_revoked
from certificateur.models import VerifiableCredential
from espace_candidat.models import CandidateAccess, WalletOffer
from juries import services as js
from organisations.models import AuditEvent
from organisations.tenancy import tenant_context
from tests.espace_candidat.conftest import invite

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Wallet:
    """A minimal OpenID4VCI wallet: one key pair, an HTTP client without any session."""

    def __init__(self, alg: str = "EdDSA", address: str = "10.20.0.1"):
        self.alg = alg
        self.http = Client(REMOTE_ADDR=address)
        if alg == "EdDSA":
            self.private = Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": b64u(numbers.x.to_bytes(32, "big")),
                "y": b64u(numbers.y.to_bytes(32, "big")),
            }

    def metadata(self) -> tuple[dict, dict]:
        """The issuer's and its authorization server's metadata (read once, like a wallet)."""
        if not hasattr(self, "_metadata"):
            issuer = self.http.get("/.well-known/openid-credential-issuer")
            server = self.http.get("/.well-known/oauth-authorization-server")
            assert issuer.status_code == 200 and server.status_code == 200
            assert issuer["Content-Type"].startswith("application/json")
            self._metadata = (issuer.json(), server.json())
        return self._metadata

    def token(self, code: str, pin: str | None, *, grant_type: str = PRE_AUTH):
        _, server = self.metadata()
        data = {"grant_type": grant_type, "pre-authorized_code": code}
        if pin is not None:
            data["tx_code"] = pin
        return self.http.post(
            urlparse(server["token_endpoint"]).path,
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
        )

    def proof(
        self, nonce: str, *, aud: str | None = None, iat: int | None = None, typ: str | None = None, key=None
    ):
        claims = {"aud": aud or settings.SITE_URL.rstrip("/"), "iat": iat or int(time.time()), "nonce": nonce}
        headers = {"typ": typ or "openid4vci-proof+jwt", "jwk": self.jwk}
        return jwt.encode(claims, key or self.private, algorithm=self.alg, headers=headers)

    def credential(self, access_token: str, proof: str, *, body: dict | None = None):
        issuer, _ = self.metadata()
        payload = body or {
            "credential_configuration_id": next(iter(issuer["credential_configurations_supported"])),
            "proofs": {"jwt": [proof]},
        }
        return self.http.post(
            urlparse(issuer["credential_endpoint"]).path,
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {access_token}",
        )


def offer_from_page(page_html: str) -> tuple[dict, str]:
    """The credential offer (from the ``openid-credential-offer://`` link) and the PIN on the page."""
    uri = html.unescape(re.search(r'href="(openid-credential-offer://[^"]+)"', page_html).group(1))
    offer = json.loads(parse_qs(urlparse(uri).query)["credential_offer"][0])
    pin = re.search(r'<p class="pin"[^>]*>(\d+)</p>', page_html).group(1)
    return offer, pin


def verify_with_jwks(token: str, jwks: dict) -> dict:
    """Check a VC-JWT's EdDSA signature with the published key, by hand; return its payload."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64u_decode(header_b64))
    assert header["alg"] == "EdDSA"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64u_decode(key["x"]))
    public.verify(b64u_decode(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if forged
    return json.loads(b64u_decode(payload_b64))


@pytest.fixture
def published(sitting, alice, org_a):
    """The admis candidate signed in, the jury published, their parchemin issued and rendered."""
    from documents.models import IssuedDocument
    from juries.documents import jury_documents_issue
    from tests.documents.conftest import render_now

    jury, admis, partiel = sitting
    invite(org_a, admis.candidate, alice)
    jury_documents_issue(jury=jury)
    js.jury_results_publish(jury=jury, by=alice)
    parchemin = render_now(
        IssuedDocument.objects.get(kind="parchemin", idempotency_key__contains=str(admis.public_id))
    )
    client = Client()
    client.force_login(CandidateAccess.objects.get(candidate=admis.candidate).user)
    return client, admis, parchemin


def offer_url(org, document) -> str:
    return reverse("espace_wallet_offer", kwargs={"org_slug": org.slug, "document_id": document.public_id})


def make_offer(client, org, document) -> tuple[dict, str]:
    page = client.post(offer_url(org, document))
    assert page.status_code == 200, page.content[:500]
    return offer_from_page(page.content.decode())


def redeem(wallet, offer, pin) -> dict:
    grant = offer["grants"][PRE_AUTH]
    response = wallet.token(grant["pre-authorized_code"], pin)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_wallet_receives_the_credential_bound_to_its_key(published, org_a, alg):
    client, admis, parchemin = published
    dossier_page = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    ).content.decode()
    assert (
        "Ajouter à mon portefeuille numérique" in dossier_page and offer_url(org_a, parchemin) in dossier_page
    )
    page = client.post(offer_url(org_a, parchemin))
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "<svg" in text and "Code PIN" in text and "expire à" in text
    offer, pin = offer_from_page(text)
    assert re.fullmatch(r"\d{6}", pin)
    wallet = Wallet(alg)
    issuer, server = wallet.metadata()
    assert offer["credential_issuer"] == issuer["credential_issuer"] == settings.SITE_URL.rstrip("/")
    assert server["pre-authorized_grant_anonymous_access_supported"] is True
    configuration = issuer["credential_configurations_supported"][offer["credential_configuration_ids"][0]]
    assert configuration["format"] == "jwt_vc_json"
    assert configuration["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert offer["grants"][PRE_AUTH]["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "Le code à 6 chiffres affiché dans votre espace candidat",
    }
    # nothing but hashes: neither the code nor the PIN is in the database
    code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
    with tenant_context(org_a):
        row = WalletOffer.objects.get()
    assert code not in json.dumps([str(v) for v in row.__dict__.values()]) and pin not in row.tx_code_hash

    token = redeem(wallet, offer, pin)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 300 and token["c_nonce"]
    response = wallet.credential(token["access_token"], wallet.proof(token["c_nonce"]))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    vc_jwt = response.json()["credentials"][0]["credential"]
    payload = verify_with_jwks(vc_jwt, client.get("/.well-known/jwks.json").json())
    # bound to the wallet's key: did:jwk of exactly its public JWK
    holder = payload["vc"]["credentialSubject"]["id"]
    assert payload["sub"] == holder and holder.startswith("did:jwk:")
    assert json.loads(b64u_decode(holder.removeprefix("did:jwk:"))) == wallet.jwk
    assert payload["vc"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["vc"]["credentialSubject"]["achievement"]["humanCode"] == "RNCP36390"
    assert payload["vc"]["issuer"]["id"].endswith(str(parchemin.certificateur.public_id))
    # a forged credential fails the same check
    head, body, sig = vc_jwt.split(".")
    forged = json.loads(b64u_decode(body))
    forged["vc"]["credentialSubject"]["id"] = "did:jwk:autre"
    with pytest.raises(InvalidSignature):
        verify_with_jwks(
            f"{head}.{b64u(json.dumps(forged).encode())}.{sig}", client.get("/.well-known/jwks.json").json()
        )
    # recorded: the credential row (own status bit), the spent offer, the audit
    with tenant_context(org_a):
        row = WalletOffer.objects.get()
        assert row.issued_at is not None and row.holder_id == holder and row.credential.token == vc_jwt
        assert row.credential.subject_ref.startswith(f"document:{parchemin.public_id}#holder-")
        assert (
            AuditEvent.objects.filter(action="portefeuille.attestation", object_id=str(row.public_id)).count()
            == 1
        )
        assert AuditEvent.objects.filter(action="portefeuille.offre").count() == 1
    # the token is spent: a second credential is refused
    again = wallet.credential(token["access_token"], wallet.proof(token["c_nonce"]))
    assert again.status_code == 401 and again.json()["error"] == "invalid_token"
    assert 'Bearer error="invalid_token"' in again["WWW-Authenticate"]


def _state(org):
    with tenant_context(org):
        offer = WalletOffer.objects.get()
        return {
            "redeemed": offer.redeemed_at,
            "token": offer.token_hash,
            "issued": offer.issued_at,
            "credentials": VerifiableCredential.objects.filter(subject_ref__contains="#holder-").count(),
            "audit": AuditEvent.objects.filter(action="portefeuille.attestation").count(),
        }


def test_token_endpoint_refuses_bad_codes_and_pins(published, org_a):
    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
    wallet = Wallet()
    before = _state(org_a)
    wrong_pin = "000000" if pin != "000000" else "111111"
    cases = [
        ((code, pin), {"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ((code, pin), {"grant_type": ""}, 400, "invalid_request"),
        (("", pin), {}, 400, "invalid_request"),
        ((code[:-2] + "xx", pin), {}, 400, "invalid_grant"),  # unknown code
        (("pas-un-code", pin), {}, 400, "invalid_grant"),
        ((code, None), {}, 400, "invalid_request"),  # the PIN is required
        ((code, wrong_pin), {}, 400, "invalid_grant"),
    ]
    for (c, p), kwargs, status, error in cases:
        response = wallet.token(c, p, **kwargs)
        assert (response.status_code, response.json()["error"]) == (status, error), (c, p, kwargs)
        assert response.json()["error_description"]  # a French sentence
        assert response["Cache-Control"] == "no-store"
    assert _state(org_a) == before  # nothing redeemed, no token
    # the right PIN still works (one wrong try so far), then the code is spent: replay refused
    redeem(wallet, offer, pin)
    replay = wallet.token(code, pin)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    # a form body only (RFC 6749): JSON refused
    response = wallet.http.post(
        "/oid4vci/token", json.dumps({"grant_type": PRE_AUTH}), content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_three_wrong_pins_burn_the_offer(published, org_a):
    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
    wallet = Wallet()
    wrong = [f"{(int(pin) + i) % 1000000:06d}" for i in (1, 2, 3)]
    for w in wrong:
        assert wallet.token(code, w).json()["error"] == "invalid_grant"
    response = wallet.token(code, pin)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert _state(org_a)["token"] is None


def test_expired_offer_and_superseded_offer_refused(published, org_a):
    client, _admis, parchemin = published
    first, first_pin = make_offer(client, org_a, parchemin)
    second, second_pin = make_offer(client, org_a, parchemin)  # the first stops working
    wallet = Wallet()
    response = wallet.token(first["grants"][PRE_AUTH]["pre-authorized_code"], first_pin)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    with tenant_context(org_a):
        WalletOffer.objects.filter(redeemed_at__isnull=True).update(
            expires_at=timezone.now() - timezone.timedelta(seconds=1)
        )
    response = wallet.token(second["grants"][PRE_AUTH]["pre-authorized_code"], second_pin)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    with tenant_context(org_a):
        assert not WalletOffer.objects.filter(redeemed_at__isnull=False).exists()


def test_credential_endpoint_refuses_bad_proofs_and_writes_nothing(published, org_a):
    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    wallet = Wallet()
    token = redeem(wallet, offer, pin)
    nonce, access = token["c_nonce"], token["access_token"]
    intruder = Ed25519PrivateKey.generate()
    before = _state(org_a)
    cases = [
        (wallet.proof("un-autre-nonce"), "invalid_nonce"),
        (wallet.proof(nonce, aud="https://ailleurs.example"), "invalid_proof"),
        (wallet.proof(nonce, key=intruder), "invalid_proof"),  # signed by another key than its jwk
        (wallet.proof(nonce, iat=int(time.time()) - 3600), "invalid_proof"),  # stale
        (wallet.proof(nonce, iat=int(time.time()) + 3600), "invalid_proof"),  # from the future
        (wallet.proof(nonce, typ="JWT"), "invalid_proof"),
        ("pas.un.jwt", "invalid_proof"),
    ]
    for proof, error in cases:
        response = wallet.credential(access, proof)
        assert (response.status_code, response.json()["error"]) == (400, error), (proof, response.content)
    # a private key in the header, no proof, an unknown configuration, a body that is not an object
    leaked = dict(wallet.jwk, d=b64u(b"0" * 32))
    bad_header = jwt.encode(
        {"aud": settings.SITE_URL.rstrip("/"), "iat": int(time.time()), "nonce": nonce},
        wallet.private,
        algorithm="EdDSA",
        headers={"typ": "openid4vci-proof+jwt", "jwk": leaked},
    )
    for body, error in [
        (
            {
                "credential_configuration_id": "OpenBadgeCredential_jwt_vc_json",
                "proofs": {"jwt": [bad_header]},
            },
            "invalid_proof",
        ),
        ({"credential_configuration_id": "OpenBadgeCredential_jwt_vc_json"}, "invalid_proof"),
        (
            {"credential_configuration_id": "PermisDeConduire", "proofs": {"jwt": [wallet.proof(nonce)]}},
            "unknown_credential_configuration",
        ),
        ({"proofs": {"jwt": [wallet.proof(nonce)]}}, "invalid_credential_request"),
    ]:
        response = wallet.credential(access, "", body=body)
        assert (response.status_code, response.json()["error"]) == (400, error), body
    # no or a wrong bearer token
    for authorization in ("", "Bearer ", "Bearer " + access[:-3] + "abc", "Basic " + access):
        response = wallet.http.post(
            "/oid4vci/credential",
            json.dumps({"credential_configuration_id": "OpenBadgeCredential_jwt_vc_json"}),
            content_type="application/json",
            **({"HTTP_AUTHORIZATION": authorization} if authorization else {}),
        )
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token"), authorization
    assert _state(org_a) == before  # no credential, nothing spent, no audit
    # the earlier (draft 13) request shape is understood too
    response = wallet.credential(
        access,
        "",
        body={
            "format": "jwt_vc_json",
            "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "proof": {"proof_type": "jwt", "jwt": wallet.proof(nonce)},
        },
    )
    assert response.status_code == 200 and response.json()["credential"]
    assert _state(org_a)["credentials"] == 1


def test_revoked_document_is_neither_offered_nor_issued(published, org_a, alice):
    from documents.services import document_revoke

    client, admis, parchemin = published
    # revoked between the token and the credential: refused
    offer, pin = make_offer(client, org_a, parchemin)
    wallet = Wallet()
    token = redeem(wallet, offer, pin)
    # and an offer made before the revocation, not yet redeemed: its code is refused
    later, later_pin = make_offer(client, org_a, parchemin)
    with tenant_context(org_a):
        document_revoke(document=parchemin, by=alice, reason="Erreur matérielle")
    response = wallet.credential(token["access_token"], wallet.proof(token["c_nonce"]))
    assert (response.status_code, response.json()["error"]) == (400, "credential_request_denied")
    response = wallet.token(later["grants"][PRE_AUTH]["pre-authorized_code"], later_pin)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert "révoqué" in response.json()["error_description"]
    # no new offer either: the page says why, nothing created
    with tenant_context(org_a):
        count = WalletOffer.objects.count()
    page = client.post(offer_url(org_a, parchemin))
    assert page.status_code == 409 and "révoqué" in page.content.decode()
    dossier_page = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": admis.public_id})
    ).content.decode()
    assert offer_url(org_a, parchemin) not in dossier_page
    with tenant_context(org_a):
        assert WalletOffer.objects.count() == count
        assert not VerifiableCredential.objects.filter(subject_ref__contains="#holder-").exists()


def test_revoking_the_document_revokes_the_wallet_copy(published, org_a, alice):
    from certificateur.credentials import status_list_credential
    from documents.services import document_revoke

    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    wallet = Wallet()
    token = redeem(wallet, offer, pin)
    vc_jwt = wallet.credential(token["access_token"], wallet.proof(token["c_nonce"])).json()["credential"]
    status = json.loads(b64u_decode(vc_jwt.split(".")[1]))["vc"]["credentialStatus"]
    with tenant_context(org_a):
        document_revoke(document=parchemin, by=alice, reason="Erreur matérielle")
    status_list = jwt.decode(
        status_list_credential(parchemin.certificateur), options={"verify_signature": False}
    )
    assert is_revoked(status_list["vc"]["credentialSubject"]["encodedList"], int(status["statusListIndex"]))


def test_offer_is_the_candidates_own_document_only(published, org_a, alice, sitting):
    from documents.models import IssuedDocument

    client, _admis, _parchemin = published
    _jury, _admis, partiel = sitting
    other = IssuedDocument.objects.filter(idempotency_key__contains=str(partiel.public_id)).first()
    assert client.post(offer_url(org_a, other)).status_code == 404
    staff = Client()
    staff.force_login(alice.user)
    assert staff.post(offer_url(org_a, _parchemin)).status_code == 403
    assert client.get(offer_url(org_a, _parchemin)).status_code == 405
    with tenant_context(org_a):
        assert not WalletOffer.objects.exists()


def test_public_endpoints_are_rate_limited(db):
    wallet = Wallet(address="10.20.0.99")
    answers = [wallet.token("x.y", "123456").status_code for _ in range(31)]
    assert answers[:30] == [400] * 30 and answers[30] == 429
    other = Wallet(address="10.20.0.98")
    assert other.token("x.y", "123456").status_code == 400  # per client address


def test_wallet_offer_table_is_under_row_level_security(published, org_a, org_b):
    client, _admis, parchemin = published
    make_offer(client, org_a, parchemin)
    with tenant_context(org_b):
        assert not WalletOffer.objects.exists()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM espace_candidat_walletoffer")
            assert cursor.fetchone()[0] == 0


def test_reissue_keeps_the_current_wallet_copy_and_revokes_the_others(published, org_a):
    """A re-issue (civil-status correction) revokes the earlier versions' credentials but keeps the
    current one's: a wallet copy of the current version stays valid, one of the earlier goes."""
    from certificateur.credentials import credentials_revoke_for_document

    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    wallet = Wallet()
    token = redeem(wallet, offer, pin)
    assert wallet.credential(token["access_token"], wallet.proof(token["c_nonce"])).status_code == 200
    with tenant_context(org_a):
        copy = VerifiableCredential.objects.get(subject_ref__contains="#holder-")
        assert credentials_revoke_for_document(document=parchemin, reason="Réédition", keep_current=True) == 0
        copy.refresh_from_db()
        assert copy.revoked_at is None
        parchemin.version = 2  # the re-issued version is now the current one
        assert credentials_revoke_for_document(document=parchemin, reason="Réédition", keep_current=True) == 1
        copy.refresh_from_db()
        assert copy.revoked_at is not None


# one request of each step, measured on the published world. The metadata reads nothing; the
# credential is the certificateur's first: its key and its status list are created (+ 5 queries).
PINNED_QUERIES = {
    "metadata": 0,
    "offer": 21,
    "token": 5,
    "credential": 21,
}  # per-request set-up merged (issue 19)


def test_query_counts_of_the_wallet_flow(published, org_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _admis, parchemin = published
    wallet = Wallet()
    counts = {}
    with CaptureQueriesContext(connection) as ctx:
        wallet.metadata()
    counts["metadata"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        offer, pin = make_offer(client, org_a, parchemin)
    counts["offer"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        token = redeem(wallet, offer, pin)
    counts["token"] = len(ctx)
    proof = wallet.proof(token["c_nonce"])
    with CaptureQueriesContext(connection) as ctx:
        assert wallet.credential(token["access_token"], proof).status_code == 200
    counts["credential"] = len(ctx)
    assert counts == PINNED_QUERIES


def test_nonce_endpoint_for_wallets_of_the_final_version(published, org_a):
    """OpenID4VCI 1.0 moved the c_nonce to a nonce endpoint: the wallet asks it there, right
    before the proof. A tampered or stale nonce from it is refused like an unknown one."""
    from espace_candidat.wallet import fresh_nonce

    client, _admis, parchemin = published
    offer, pin = make_offer(client, org_a, parchemin)
    wallet = Wallet()
    issuer, _ = wallet.metadata()
    token = redeem(wallet, offer, pin)
    nonce_path = urlparse(issuer["nonce_endpoint"]).path
    answer = wallet.http.post(nonce_path)
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    nonce = answer.json()["c_nonce"]
    assert nonce != token["c_nonce"]
    stale = fresh_nonce(timezone.now() - timezone.timedelta(minutes=6))["c_nonce"]
    tampered = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    before = _state(org_a)
    for bad in (stale, tampered, nonce.split(".", 1)[1]):
        response = wallet.credential(token["access_token"], wallet.proof(bad))
        assert (response.status_code, response.json()["error"]) == (400, "invalid_nonce"), bad
    assert _state(org_a) == before
    assert wallet.http.get(nonce_path).status_code == 405
    response = wallet.credential(token["access_token"], wallet.proof(nonce))
    assert response.status_code == 200, response.content


def test_qr_code_carries_the_offer_by_reference(published, org_a):
    """The QR code carries ``credential_offer_uri`` (≈ 150 characters instead of ≈ 600: a QR code a
    phone reads from a screen); the wallet fetches the same offer there, only while it is usable."""
    from documents.qr import qr_svg

    client, _admis, parchemin = published
    page = client.post(offer_url(org_a, parchemin)).content.decode()
    offer, pin = offer_from_page(page)
    uri = html.unescape(re.search(r'data-offer-uri="([^"]+)"', page).group(1))
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=") and len(uri) < 200
    svg = re.search(r'<div class="wallet-qr"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert re.search(r' d="([^"]+)"', svg).group(1) == re.search(r' d="([^"]+)"', qr_svg(uri)).group(1)
    reference = parse_qs(urlparse(uri).query)["credential_offer_uri"][0]
    assert reference.startswith(settings.SITE_URL.rstrip("/") + "/oid4vci/offres/")
    wallet = Wallet()
    fetched = wallet.http.get(urlparse(reference).path)
    assert fetched.status_code == 200 and fetched["Cache-Control"] == "no-store"
    assert fetched.json() == offer
    assert wallet.http.get(urlparse(reference).path[:-3] + "abc").status_code == 404
    redeem(wallet, offer, pin)
    spent = wallet.http.get(urlparse(reference).path)
    assert spent.status_code == 404 and spent.json()["error"] == "invalid_request"


def _issue_through_a_wallet(client, org, document) -> WalletOffer:
    """The full flow once: offer, code exchanged, credential handed over; the offer row."""
    offer, pin = make_offer(client, org, document)
    wallet = Wallet()
    token = redeem(wallet, offer, pin)
    response = wallet.credential(token["access_token"], wallet.proof(token["c_nonce"]))
    assert response.status_code == 200, response.content
    with tenant_context(org):
        return WalletOffer.objects.get(issued_at__isnull=False)


def test_daily_purge_deletes_only_offers_expired_for_more_than_seven_days(published, org_a, org_b, settings):
    """Old offers go, in each centre's own tenant; recent, valid or recently exchanged ones stay;
    the audit trail of the issuance and the credential itself outlive the offer."""
    from espace_candidat.tasks import wallet_offers_purge, wallet_offers_purge_dispatch
    from espace_candidat.wallet import offer_create

    beat = settings.CELERY_BEAT_SCHEDULE["portefeuille-offres-purge"]
    assert beat["task"] == "espace_candidat.tasks.wallet_offers_purge_dispatch"
    assert beat["schedule"].hour == {3}  # daily
    client, admis, parchemin = published
    issued = _issue_through_a_wallet(client, org_a, parchemin)
    user = CandidateAccess.objects.get(candidate=admis.candidate).user
    now = timezone.now()
    day = timezone.timedelta(days=1)
    with tenant_context(org_a):
        rows = {}
        for name in ("old", "six_days", "exchanged_recently", "valid"):
            rows[name] = offer_create(document=parchemin, user=user).offer
        ages = {
            "old": {"expires_at": now - 8 * day},
            "six_days": {"expires_at": now - 6 * day},
            "exchanged_recently": {
                "expires_at": now - 9 * day,
                "redeemed_at": now - 9 * day,
                "token_expires_at": now - 2 * day,
            },
            "valid": {"expires_at": now + timezone.timedelta(minutes=5)},
        }
        for name, values in ages.items():
            WalletOffer.objects.filter(pk=rows[name].pk).update(**values)
        WalletOffer.objects.filter(pk=issued.pk).update(
            created_at=now - 30 * day, expires_at=now - 30 * day, token_expires_at=now - 30 * day
        )
        credential_pk = issued.credential_id
    # another centre's task sees none of them (row-level security, its own tenant)
    assert wallet_offers_purge(organisation_id=org_b.pk) == 0
    with tenant_context(org_a):
        assert WalletOffer.objects.count() == 5
    assert wallet_offers_purge_dispatch() >= 2  # one task per active centre (A and B)
    with tenant_context(org_a):
        kept = set(WalletOffer.objects.values_list("pk", flat=True))
        assert kept == {rows["six_days"].pk, rows["exchanged_recently"].pk, rows["valid"].pk}
        assert VerifiableCredential.objects.filter(pk=credential_pk).exists()
        assert AuditEvent.objects.filter(
            action="portefeuille.attestation", object_id=str(issued.public_id)
        ).exists()
        purge = AuditEvent.objects.get(action="portefeuille.purge")
        assert purge.message.startswith("2 offre(s)")
    # nothing left to do the next day
    assert wallet_offers_purge(organisation_id=org_a.pk) == 0


def test_rgpd_export_lists_the_wallet_history_and_the_identity_requests(published, org_a, alice):
    """« télécharger mes données »: the wallet offers (dates, document number, never a hash) and
    the identity correction requests with their state; the erasure removes the offers."""
    import io
    import zipfile

    from candidates.rgpd import candidate_erase
    from espace_candidat.models import IdentityCorrection

    client, admis, parchemin = published
    issued = _issue_through_a_wallet(client, org_a, parchemin)
    make_offer(client, org_a, parchemin)  # a second offer, never used
    with tenant_context(org_a):
        # asked and refused before the jury signed (the request path is closed since)
        IdentityCorrection.objects.create(
            organisation=org_a,
            candidate=admis.candidate,
            changes={"prenom2": "Marie"},
            commentaire="Oubli",
            status=IdentityCorrection.Status.REFUSEE,
            reponse="Pièce d'identité illisible",
            decided_at=timezone.now(),
        )
        hashes = [
            h
            for o in WalletOffer.objects.all()
            for h in (o.code_hash, o.tx_code_hash, o.token_hash, o.nonce_hash)
            if h
        ]
    response = client.get(reverse("espace_rgpd", kwargs={"org_slug": org_a.slug}))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read("donnees.json").decode()
    section = json.loads(text)["espace_candidat"]
    history = section["portefeuille_numerique"]
    assert [h["numero_du_document"] for h in history] == [parchemin.number, parchemin.number]
    assert history[0]["document"] == parchemin.get_kind_display()
    assert history[0]["code_echange_le"] and history[0]["attestation_remise_le"]
    assert history[0]["offre_valable_jusqu_au"] and history[0]["offre_creee_le"]
    assert history[1]["code_echange_le"] is None and history[1]["attestation_remise_le"] is None
    assert hashes and not [h for h in hashes if h in text]
    [request] = section["demandes_de_correction_d_identite"]
    assert request["etat"] == "Refusée" and request["reponse_du_centre"] == "Pièce d'identité illisible"
    assert request["corrections_demandees"] == {"prenom2": "Marie"} and request["traitee_le"]
    assert "portefeuille numérique" in archive.read("LISEZMOI.txt").decode()

    with tenant_context(org_a):
        candidate_erase(candidate=admis.candidate, by=alice, reason="Demande du candidat")
        assert not WalletOffer.objects.exists()
        assert VerifiableCredential.objects.filter(pk=issued.credential_id).exists()
        request_row = IdentityCorrection.objects.get(candidate=admis.candidate)
        assert request_row.changes == {} and request_row.commentaire == ""
        assert request_row.status == "refusee"
        erased = AuditEvent.objects.get(action="candidate.erase")
        assert "2 offre(s) de portefeuille supprimée(s)" in erased.message
