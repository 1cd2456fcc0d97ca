"""« Ajouter à mon portefeuille numérique »: OpenID for Verifiable Credential Issuance 1.0,
pre-authorized code flow, for the Open Badges 3.0 credential of a parchemin or certificat de bloc.

The platform (``SITE_URL``) is the credential issuer and its own authorization server. The
credential is the same VC-JWT as the download (``jwt_vc_json``: EdDSA, the certificateur's
Ed25519 key, ``kid`` in the JWKS at ``/.well-known/jwks.json``), bound to the wallet's key:
``credentialSubject.id`` and ``sub`` are the holder's ``did:jwk``.

1. The candidate creates an offer (:func:`offer_create`): a pre-authorized code valid
   ``OFFER_TTL``, single use, bound to one document, and a 6-digit PIN (``tx_code``) shown on
   the page only; the offer is an ``openid-credential-offer://`` link and its QR code.
2. The wallet exchanges the code and the PIN at the token endpoint (:func:`token_exchange`) for
   an access token and a ``c_nonce`` (both valid ``TOKEN_TTL``). ``MAX_PIN_FAILURES`` wrong PINs
   burn the offer.
3. The wallet proves possession of its key (a ``openid4vci-proof+jwt`` signed by the key in its
   ``jwk`` header, ``aud`` = the issuer, ``nonce`` = the ``c_nonce``, fresh ``iat``) at the
   credential endpoint (:func:`credential_request`) and receives one credential; the token is
   then spent.

Only hashes are stored (:class:`~espace_candidat.models.WalletOffer`). The code and the token
start with the centre's public id so that the wallet's requests, which name no centre, are
answered inside that centre's ``tenant_context``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import jwt
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from espace_candidat.models import WalletOffer
from organisations.models import Organisation
from organisations.services import audit_record
from organisations.tenancy import tenant_context

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION_ID = "OpenBadgeCredential_jwt_vc_json"
CREDENTIAL_FORMAT = "jwt_vc_json"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
PROOF_TYPE = "openid4vci-proof+jwt"
OFFER_SCHEME = "openid-credential-offer://"
#: the wallet's key: Ed25519 (EdDSA) or P-256 (ES256)
PROOF_ALGORITHMS = {"EdDSA": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
OFFER_TTL = dt.timedelta(minutes=10)
TOKEN_TTL = dt.timedelta(minutes=5)
#: a proof older than this (or dated in the future beyond the skew) is refused
PROOF_MAX_AGE = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(seconds=60)
PIN_LENGTH = 6
MAX_PIN_FAILURES = 3
#: an offer is deleted this long after it stopped working (its code, and its access token if it
#: was exchanged): the audit log keeps the offer and the issuance, the credential its own row
OFFER_RETENTION = dt.timedelta(days=7)


class WalletError(Exception):
    """An OAuth / OpenID4VCI error answer: ``error`` code, French description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def issuer_url() -> str:
    return settings.SITE_URL.rstrip("/")


def _url(name: str) -> str:
    return issuer_url() + reverse(name)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pin_hash(code_hash: str, pin: str) -> str:
    key = hashlib.sha256(b"wallet-tx-code\x1f" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{code_hash}:{pin}".encode(), hashlib.sha256).hexdigest()


def _secret(organisation: Organisation) -> str:
    """An opaque value: the centre's public id, a dot, 256 random bits."""
    return f"{organisation.public_id.hex}.{secrets.token_urlsafe(32)}"


def _organisation_of(value: str) -> Organisation | None:
    prefix, _, rest = value.partition(".")
    if not rest or len(value) > 200:
        return None
    try:
        public_id = uuid.UUID(hex=prefix)
    except ValueError:
        return None
    return Organisation.objects.filter(public_id=public_id).first()


# --- metadata ----------------------------------------------------------------------------------


def issuer_metadata() -> dict:
    """``/.well-known/openid-credential-issuer`` (OpenID4VCI 1.0 § 12.2)."""
    display = [{"name": "Attestation de certification (Open Badges 3.0)", "locale": "fr-FR"}]
    return {
        "credential_issuer": issuer_url(),
        "credential_endpoint": _url("oid4vci_credential"),
        "nonce_endpoint": _url("oid4vci_nonce"),
        "display": [{"name": "Plateforme de certification professionnelle", "locale": "fr-FR"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": CREDENTIAL_FORMAT,
                "scope": "OpenBadgeCredential",
                "cryptographic_binding_methods_supported": ["did:jwk", "jwk"],
                "credential_signing_alg_values_supported": ["EdDSA"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": sorted(PROOF_ALGORITHMS)}
                },
                "credential_definition": {"type": CREDENTIAL_TYPE},
                # 1.0 puts the display under credential_metadata; earlier drafts beside the format
                "credential_metadata": {"display": display},
                "display": display,
            }
        },
    }


def authorization_server_metadata() -> dict:
    """``/.well-known/oauth-authorization-server`` (RFC 8414): the token endpoint of the grant."""
    return {
        "issuer": issuer_url(),
        "token_endpoint": _url("oid4vci_token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- 1. the offer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    offer: WalletOffer
    uri: str  # openid-credential-offer://?credential_offer=… (by value: the link)
    uri_by_reference: str  # …?credential_offer_uri=… (by reference: a QR code four times smaller)
    pin: str  # shown once on the page, never stored


def offer_create(*, document, user) -> Offer:
    """A one-time credential offer for ``document`` (inside its centre's ``tenant_context``); earlier
    offers of the same document not yet exchanged stop working."""
    from certificateur.credentials import document_subject

    if document.is_revoked:
        raise ApplicationError("Ce document est révoqué : il ne peut pas être ajouté à un portefeuille.")
    document_subject(document)  # a parchemin or certificat de bloc carrying its certification code
    now = timezone.now()
    code = _secret(document.organisation)
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))
    with transaction.atomic():
        WalletOffer.objects.filter(document=document, user=user, redeemed_at__isnull=True).update(
            expires_at=now
        )
        code_hash = _sha256(code)
        offer = WalletOffer.objects.create(
            organisation=document.organisation,
            document=document,
            user=user,
            code_hash=code_hash,
            tx_code_hash=_pin_hash(code_hash, pin),
            expires_at=now + OFFER_TTL,
        )
        audit_record(
            actor=user,
            action="portefeuille.offre",
            obj=offer,
            message=f"Offre d'ajout au portefeuille : {document.get_kind_display()} {document.number}",
        )
    payload = json.dumps(offer_body(code), separators=(",", ":"), ensure_ascii=False)
    return Offer(
        offer=offer,
        uri=f"{OFFER_SCHEME}?credential_offer={quote(payload, safe='')}",
        uri_by_reference=f"{OFFER_SCHEME}?credential_offer_uri={quote(offer_url(code), safe='')}",
        pin=pin,
    )


def offer_body(code: str) -> dict:
    """The credential offer (OpenID4VCI 1.0 § 4.1.1) of a pre-authorized code."""
    return {
        "credential_issuer": issuer_url(),
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": PIN_LENGTH,
                    "description": "Le code à 6 chiffres affiché dans votre espace candidat",
                },
            }
        },
    }


def offer_url(code: str) -> str:
    return issuer_url() + reverse("oid4vci_offer", kwargs={"code": code})


def offer_by_reference(code: str) -> dict:
    """The offer behind ``credential_offer_uri`` (a short QR code): only while it can be redeemed."""
    organisation = _organisation_of(code)
    if organisation is None:
        raise WalletError("invalid_request", "Offre inconnue, expirée ou déjà utilisée.", 404)
    with tenant_context(organisation):
        usable = WalletOffer.objects.filter(
            code_hash=_sha256(code), redeemed_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()
    if not usable:
        raise WalletError("invalid_request", "Offre inconnue, expirée ou déjà utilisée.", 404)
    return offer_body(code)


def offers_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the active centre's offers that stopped working more than ``OFFER_RETENTION`` ago
    (inside its ``tenant_context``, like every tenant write); returns how many went."""
    cutoff = (now or timezone.now()) - OFFER_RETENTION
    old = WalletOffer.objects.filter(expires_at__lt=cutoff).filter(
        Q(token_expires_at__isnull=True) | Q(token_expires_at__lt=cutoff)
    )
    with transaction.atomic():
        deleted = old.delete()[1].get(WalletOffer._meta.label, 0)
        if deleted:
            audit_record(
                actor=None,
                action="portefeuille.purge",
                message=f"{deleted} offre(s) d'ajout au portefeuille expirée(s) depuis plus de "
                f"{OFFER_RETENTION.days} jours supprimée(s)",
            )
    return deleted


# --- 2. the token endpoint ---------------------------------------------------------------------


def token_exchange(*, grant_type: str, code: str, tx_code: str | None) -> dict:
    """The token response (RFC 6749 § 5.1 + ``c_nonce``), or WalletError (§ 5.2 codes)."""
    if not grant_type:
        raise WalletError("invalid_request", "Paramètre grant_type manquant.")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise WalletError("unsupported_grant_type", "Seul le code pré-autorisé est accepté.")
    if not code:
        raise WalletError("invalid_request", "Paramètre pre-authorized_code manquant.")
    organisation = _organisation_of(code)
    invalid = WalletError("invalid_grant", "Code pré-autorisé inconnu, expiré ou déjà utilisé.")
    if organisation is None:
        raise invalid
    with tenant_context(organisation):
        offer = (
            WalletOffer.objects.select_for_update()
            .select_related("document")
            .filter(code_hash=_sha256(code))
            .first()
        )
        now = timezone.now()
        if offer is None or offer.redeemed_at is not None or offer.expires_at <= now:
            raise invalid
        if offer.tx_code_hash:
            if not tx_code:
                raise WalletError(
                    "invalid_request", "Le code PIN (tx_code) est obligatoire pour cette offre."
                )
            wrong_pin = not hmac.compare_digest(offer.tx_code_hash, _pin_hash(offer.code_hash, tx_code))
            if wrong_pin:  # counted (committed), then refused outside the transaction
                offer.tx_code_failures += 1
                if offer.tx_code_failures >= MAX_PIN_FAILURES:
                    offer.expires_at = now  # too many tries: the offer is burnt
                offer.save(update_fields=["tx_code_failures", "expires_at"])
        else:
            wrong_pin = False
        if not wrong_pin:
            token, nonce = _grant(offer, organisation, now)
    if wrong_pin:
        raise WalletError("invalid_grant", "Code PIN erroné.")
    seconds = int(TOKEN_TTL.total_seconds())
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": seconds,
        "c_nonce": nonce,
        "c_nonce_expires_in": seconds,
    }


def _grant(offer: WalletOffer, organisation: Organisation, now: dt.datetime) -> tuple[str, str]:
    if offer.document.is_revoked:
        raise WalletError("invalid_grant", "Ce document a été révoqué : il ne peut plus être ajouté.")
    token, nonce = _secret(organisation), secrets.token_urlsafe(24)
    offer.redeemed_at = now
    offer.token_hash = _sha256(token)
    offer.token_expires_at = now + TOKEN_TTL
    offer.nonce_hash = _sha256(nonce)
    offer.save(update_fields=["redeemed_at", "token_hash", "token_expires_at", "nonce_hash"])
    return token, nonce


# --- 3. the credential endpoint ----------------------------------------------------------------


def _nonce_mac(value: str) -> str:
    key = hashlib.sha256(b"wallet-nonce\x1f" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def fresh_nonce(now: dt.datetime | None = None) -> dict:
    """The nonce endpoint's answer (OpenID4VCI 1.0 § 7): a ``c_nonce`` that proves its own origin
    and age (time, random, HMAC), valid ``TOKEN_TTL``; nothing is stored. The token response
    carries a stored one too, for the wallets of the earlier drafts."""
    stamp = int((now or timezone.now()).timestamp())
    value = f"{stamp}.{secrets.token_urlsafe(12)}"
    return {"c_nonce": f"{value}.{_nonce_mac(value)}"}


def _nonce_valid(nonce: str, *, nonce_hash: str, now: dt.datetime) -> bool:
    if nonce_hash and hmac.compare_digest(_sha256(nonce), nonce_hash):
        return True  # the one given with the access token
    value, _, mac = nonce.rpartition(".")
    stamp = value.partition(".")[0]
    if not (mac and stamp.isdigit() and hmac.compare_digest(_nonce_mac(value), mac)):
        return False
    issued = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
    return now - TOKEN_TTL <= issued <= now + CLOCK_SKEW


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def did_jwk(jwk: dict) -> str:
    """``did:jwk`` of a public key: base64url of its JSON with the public members only."""
    members = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    public = {k: jwk[k] for k in members}
    return "did:jwk:" + _b64u(json.dumps(public, separators=(",", ":"), sort_keys=True).encode())


def _proof_jwt(body: dict) -> str:
    proofs = body.get("proofs")
    if proofs is not None:  # 1.0: {"proofs": {"jwt": ["…"]}}
        values = proofs.get("jwt") if isinstance(proofs, dict) else None
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise WalletError("invalid_proof", "Une seule preuve de type jwt est attendue.")
        return values[0]
    proof = body.get("proof")  # earlier drafts: {"proof": {"proof_type": "jwt", "jwt": "…"}}
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt" and isinstance(proof.get("jwt"), str):
        return proof["jwt"]
    raise WalletError("invalid_proof", "Preuve de possession de la clé manquante.")


def proof_verify(proof: str, *, nonce_hash: str, now: dt.datetime) -> str:
    """The holder's did:jwk once the proof of possession checks out, else WalletError."""
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as exc:
        raise WalletError("invalid_proof", "Preuve illisible.") from exc
    if header.get("typ") != PROOF_TYPE:
        raise WalletError("invalid_proof", f"En-tête typ attendu : {PROOF_TYPE}.")
    alg, jwk = header.get("alg"), header.get("jwk")
    if alg not in PROOF_ALGORITHMS:
        raise WalletError("invalid_proof", "Algorithme de preuve non accepté (EdDSA ou ES256).")
    if not isinstance(jwk, dict) or "d" in jwk or (jwk.get("kty"), jwk.get("crv")) != PROOF_ALGORITHMS[alg]:
        raise WalletError("invalid_proof", "La clé publique (jwk) de la preuve manque ou ne convient pas.")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
        claims = jwt.decode(
            proof,
            key.key,
            algorithms=[alg],
            audience=issuer_url(),
            options={"require": ["aud", "iat"], "verify_iat": False},
        )
    except jwt.InvalidAudienceError as exc:
        raise WalletError("invalid_proof", "La preuve n'est pas destinée à cet émetteur (aud).") from exc
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise WalletError("invalid_proof", "Signature de la preuve invalide.") from exc
    iat = claims.get("iat")
    if not isinstance(iat, int | float):
        raise WalletError("invalid_proof", "Date de la preuve (iat) invalide.")
    issued = dt.datetime.fromtimestamp(iat, tz=dt.UTC)
    if issued > now + CLOCK_SKEW or issued < now - PROOF_MAX_AGE:
        raise WalletError("invalid_proof", "Preuve trop ancienne ou datée dans le futur.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not _nonce_valid(nonce, nonce_hash=nonce_hash, now=now):
        raise WalletError(
            "invalid_nonce", "Le nonce de la preuve est inconnu ou expiré : demandez-en un nouveau."
        )
    return did_jwk(jwk)


def _bearer_offer(authorization: str, now: dt.datetime) -> tuple[Organisation, str]:
    scheme, _, token = authorization.partition(" ")
    invalid = WalletError("invalid_token", "Jeton d'accès manquant, inconnu, expiré ou déjà utilisé.", 401)
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid
    organisation = _organisation_of(token.strip())
    if organisation is None:
        raise invalid
    return organisation, _sha256(token.strip())


def credential_request(*, authorization: str, body: object) -> dict:
    """The credential response (``credentials``, and ``credential`` for earlier drafts' wallets)."""
    from certificateur.credentials import credential_for_holder

    now = timezone.now()
    organisation, token_hash = _bearer_offer(authorization, now)
    with tenant_context(organisation):
        offer = (
            WalletOffer.objects.select_for_update(of=("self",))
            .select_related("document", "document__organisation", "document__certificateur", "user")
            .filter(token_hash=token_hash)
            .first()
        )
        if (
            offer is None
            or offer.issued_at is not None
            or offer.token_expires_at is None
            or offer.token_expires_at <= now
        ):
            raise WalletError("invalid_token", "Jeton d'accès inconnu, expiré ou déjà utilisé.", 401)
        if not isinstance(body, dict):
            raise WalletError("invalid_credential_request", "Le corps de la requête doit être un objet JSON.")
        configuration = body.get("credential_configuration_id")
        if configuration is None and body.get("format") is not None:  # earlier drafts
            types = (body.get("credential_definition") or {}).get("type") or []
            if body.get("format") == CREDENTIAL_FORMAT and "OpenBadgeCredential" in types:
                configuration = CONFIGURATION_ID
        if configuration is None:
            raise WalletError("invalid_credential_request", "credential_configuration_id manquant.")
        if configuration != CONFIGURATION_ID:
            raise WalletError(
                "unknown_credential_configuration", "Seule l'attestation Open Badges est proposée."
            )
        holder = proof_verify(_proof_jwt(body), nonce_hash=offer.nonce_hash, now=now)
        document = offer.document
        if document.is_revoked:
            raise WalletError("credential_request_denied", "Ce document a été révoqué : aucune attestation.")
        try:
            credential = credential_for_holder(document=document, holder_id=holder)
        except ApplicationError as exc:
            raise WalletError("credential_request_denied", exc.message) from exc
        offer.issued_at = now
        offer.holder_id = holder
        offer.credential = credential
        offer.nonce_hash = ""
        offer.save(update_fields=["issued_at", "holder_id", "credential", "nonce_hash"])
        audit_record(
            actor=offer.user,
            action="portefeuille.attestation",
            obj=offer,
            message=(
                f"Attestation remise au portefeuille : {document.get_kind_display()} {document.number}, "
                f"clé {holder[:40]}…"
            ),
        )
        token = credential.token
    return {"credentials": [{"credential": token}], "credential": token}
