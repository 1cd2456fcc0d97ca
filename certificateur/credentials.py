"""Open Badges 3.0 verifiable credentials, as VC-JWT signed with the certificateur's Ed25519 key.

Format (OB 3.0 § "VC-JWT proof format", W3C VC data model): a compact JWS, header
``{"alg": "EdDSA", "typ": "JWT", "kid": <key id>}``, payload with the registered claims
``iss`` (issuer profile URL), ``jti`` (credential id), ``sub`` (holder), ``nbf``/``iat`` and the
credential itself under ``vc`` (``@context``, ``type: [VerifiableCredential,
OpenBadgeCredential]``, ``credentialSubject.achievement``, ``credentialStatus`` as a
``BitstringStatusListEntry``). EdDSA/Ed25519 comes from ``cryptography`` through PyJWT.

Verification is offline: :func:`credential_verify` needs only the token and the JWKS published
at ``/.well-known/jwks.json`` (every key, retired ones included, so old credentials verify).
Revocation: the certificateur's status list (``/credentials/statut/<uuid>``), itself a signed
VC-JWT whose ``encodedList`` is the GZIP-compressed, base64url bitstring (bit 0 = first bit
of the first byte), one bit per credential.

The subject is generic (:class:`CredentialSubject`): today a certified dossier, later the
parchemin or certificat de bloc of the documents layer, named by ``subject_ref``.
"""

import base64
import datetime as dt
import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certificateur.models import SigningKey, StatusList, VerifiableCredential
from certificateur.oversight import oversight_context
from core.errors import ApplicationError
from documents.models import DocumentKind
from organisations.models import Organisation

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


class CredentialInvalid(ValueError):
    pass


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fernet() -> Fernet:
    secret = getattr(settings, "VC_KEY_ENCRYPTION_SECRET", "") or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"vc-signing-keys\x1f" + secret.encode()).digest()))


def _url(name: str, **kwargs) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


def issuer_id(certificateur: Organisation) -> str:
    return _url("vc_issuer", certificateur_id=certificateur.public_id)


# --- keys -------------------------------------------------------------------------------------


@transaction.atomic
def signing_key_for(certificateur: Organisation) -> SigningKey:
    """The certificateur's active key, created on first use."""
    if certificateur.kind != Organisation.Kind.CERTIFICATEUR:
        raise CredentialInvalid(f"{certificateur} n'est pas un certificateur : pas de clé de signature.")
    Organisation.objects.select_for_update().get(pk=certificateur.pk)  # one creator at a time
    key = SigningKey.objects.filter(certificateur=certificateur, retired_at__isnull=True).first()
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SigningKey.objects.create(
        certificateur=certificateur,
        kid=f"{certificateur.slug}-{_b64u(hashlib.sha256(raw_public).digest()[:9])}",
        public_key=_b64u(raw_public),
        private_key_encrypted=_fernet().encrypt(raw_private),
    )


def _private_key(key: SigningKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_fernet().decrypt(bytes(key.private_key_encrypted)))


def jwk_of(key: SigningKey) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "alg": "EdDSA", "use": "sig"}


def jwks() -> dict:
    """The published key set: every certificateur's keys (retired ones verify old credentials)."""
    return {"keys": [jwk_of(k) for k in SigningKey.objects.order_by("kid")]}


def _public_key_from_jwks(keyset: dict, kid: str) -> Ed25519PublicKey:
    for k in keyset.get("keys", []):
        if k.get("kid") == kid and k.get("kty") == "OKP" and k.get("crv") == "Ed25519":
            return Ed25519PublicKey.from_public_bytes(_b64u_decode(k["x"]))
    raise CredentialInvalid(f"Clé « {kid} » absente du jeu de clés publié.")


def sign(payload: dict, key: SigningKey) -> str:
    return jwt.encode(payload, _private_key(key), algorithm="EdDSA", headers={"kid": key.kid, "typ": "JWT"})


def credential_verify(token: str, keyset: dict) -> dict:
    """The verified payload, or CredentialInvalid (bad signature, unknown key, malformed)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "EdDSA":
            raise CredentialInvalid("Algorithme de signature inattendu.")
        public = _public_key_from_jwks(keyset, header.get("kid", ""))
        return jwt.decode(token, public, algorithms=["EdDSA"], options={"verify_aud": False})
    except jwt.PyJWTError as exc:
        raise CredentialInvalid(f"Signature ou jeton invalide : {exc}") from exc


# --- status list --------------------------------------------------------------------------------


def status_list_for(certificateur: Organisation) -> StatusList:
    status_list, _ = StatusList.objects.get_or_create(certificateur=certificateur)
    return status_list


def _allocate_index(certificateur: Organisation) -> tuple[StatusList, int]:
    status_list = status_list_for(certificateur)
    status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
    if status_list.next_index >= status_list.size:
        raise CredentialInvalid("Liste de statut pleine : agrandir la liste avant d'émettre.")
    index = status_list.next_index
    status_list.next_index += 1
    status_list.save(update_fields=["next_index"])
    return status_list, index


def encode_bitstring(revoked: set[int], size: int) -> str:
    bits = bytearray(size // 8)
    for i in revoked:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + _b64u(gzip.compress(bytes(bits), mtime=0))


def decode_bitstring(encoded: str) -> bytes:
    return gzip.decompress(_b64u_decode(encoded.removeprefix("u")))


def is_revoked(encoded_list: str, index: int) -> bool:
    bits = decode_bitstring(encoded_list)
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(certificateur: Organisation) -> str:
    """The signed status list (VC-JWT). Reads revocations across centres, read-only."""
    status_list = status_list_for(certificateur)
    with oversight_context(certificateur):
        revoked = set(
            VerifiableCredential.objects.filter(
                certificateur=certificateur, revoked_at__isnull=False
            ).values_list("status_index", flat=True)
        )
    url = _url("vc_status_list", list_id=status_list.public_id)
    now = timezone.now()
    vc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(certificateur),
        "validFrom": now.isoformat(timespec="seconds"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked, status_list.size),
        },
    }
    payload = {
        "iss": vc["issuer"],
        "jti": url,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "vc": vc,
    }
    return sign(payload, signing_key_for(certificateur))


# --- credentials --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialSubject:
    """What a credential asserts, independent of where it comes from (dossier, parchemin…)."""

    subject_ref: str  # "dossier:<uuid>", later "document:<uuid>"
    kind: str  # VerifiableCredential.Kind
    holder_name: str  # "Léa Durand"
    achievement_code: str  # RNCP36390, or a bloc code
    achievement_name: str  # exact intitulé
    certification_code: str  # RNCP36390 (the fiche, for a bloc too)
    date_delivrance: dt.date
    niveau: str = ""  # "Niveau 5"
    document_number: str = ""  # parchemin number when bound to one
    holder_id: str = ""  # the holder's key (did:jwk) when issued to a wallet (OpenID4VCI)


def credential_payload(
    *,
    subject: CredentialSubject,
    certificateur: Organisation,
    status_list: StatusList,
    index: int,
    credential_id: str,
    issued_at: dt.datetime,
) -> dict:
    # The day of issue starts at midnight where it was issued (the project's time zone, Paris):
    # midnight UTC of a Paris date lies in the future between 23:00 and 00:00 UTC (nbf refused).
    valid_from = min(
        dt.datetime.combine(subject.date_delivrance, dt.time(), tzinfo=timezone.get_default_timezone()),
        issued_at,
    ).astimezone(dt.UTC)
    achievement = {
        "id": f"{settings.SITE_URL.rstrip('/')}/certifications/{subject.achievement_code}",
        "type": ["Achievement"],
        "achievementType": "Diploma"
        if subject.kind == VerifiableCredential.Kind.PARCHEMIN
        else "Certificate",
        "name": subject.achievement_name,
        "description": (
            f"Certification {subject.certification_code}"
            if subject.kind == VerifiableCredential.Kind.PARCHEMIN
            else f"Bloc {subject.achievement_code} de la certification {subject.certification_code}"
        ),
        "criteria": {"narrative": "Décision du jury de certification."},
        "humanCode": subject.achievement_code,
    }
    if subject.niveau:
        achievement["fieldOfStudy"] = subject.niveau
    vc: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(certificateur), "type": ["Profile"], "name": certificateur.name},
        "validFrom": valid_from.isoformat(timespec="seconds"),
        "name": subject.achievement_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": subject.holder_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{_url('vc_status_list', list_id=status_list.public_id)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": _url("vc_status_list", list_id=status_list.public_id),
        },
    }
    if subject.holder_id:
        vc["credentialSubject"] = {"id": subject.holder_id, **vc["credentialSubject"]}
    if subject.document_number:
        vc["credentialSubject"]["achievement"]["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": subject.document_number, "identifierType": "identifier"}
        ]
    return {
        "iss": vc["issuer"]["id"],
        "jti": credential_id,
        "sub": subject.holder_id or subject.holder_name,
        "nbf": int(valid_from.timestamp()),
        "iat": int(issued_at.timestamp()),
        "vc": vc,
    }


@transaction.atomic
def credential_issue(
    *, centre: Organisation, certificateur: Organisation, subject: CredentialSubject
) -> VerifiableCredential:
    """Sign and record a credential for a holder of ``centre`` (inside the centre's tenant_context).

    Idempotent per (subject_ref, kind, achievement): issuing twice returns the first one.
    """
    existing = VerifiableCredential.objects.filter(
        organisation=centre,
        subject_ref=subject.subject_ref,
        kind=subject.kind,
        referentiel_code=subject.achievement_code,
    ).first()
    if existing is not None:
        return existing
    key = signing_key_for(certificateur)
    status_list, index = _allocate_index(certificateur)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    now = timezone.now()
    payload = credential_payload(
        subject=subject,
        certificateur=certificateur,
        status_list=status_list,
        index=index,
        credential_id=credential_id,
        issued_at=now,
    )
    return VerifiableCredential.objects.create(
        organisation=centre,
        certificateur=certificateur,
        signing_key=key,
        kind=subject.kind,
        subject_ref=subject.subject_ref,
        referentiel_code=subject.achievement_code,
        titulaire=subject.holder_name,
        status_index=index,
        token=sign(payload, key),
    )


def credential_revoke(*, credential: VerifiableCredential, reason: str) -> VerifiableCredential:
    """Flip the credential's bit in the status list (inside the centre's tenant_context)."""
    if not reason.strip():
        from core.errors import ApplicationError

        raise ApplicationError("Le motif de révocation est obligatoire.", field="reason")
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.revocation_reason = reason.strip()[:300]
        credential.save(update_fields=["revoked_at", "revocation_reason"])
    return credential


def credentials_for_dossier(*, dossier) -> list[VerifiableCredential]:
    """Issue the credentials a deliberated dossier earns: one parchemin, or one per acquired bloc.

    Runs in the dossier's centre context. Until parchemins exist the subject is the dossier.
    """
    referentiel = dossier.referentiel
    c = dossier.candidate
    holder = f"{c.prenom1} {c.nom_usage or c.nom_naissance}"
    base = {
        "subject_ref": f"dossier:{dossier.public_id}",
        "holder_name": holder,
        "certification_code": referentiel.code,
        "date_delivrance": dossier.date_deliberation or timezone.localdate(),
        "niveau": referentiel.niveau_national,
    }
    subjects = []
    if dossier.decision == "certifie":
        subjects.append(
            CredentialSubject(
                kind=VerifiableCredential.Kind.PARCHEMIN,
                achievement_code=referentiel.code,
                achievement_name=referentiel.intitule,
                **base,
            )
        )
    elif dossier.decision == "partiel":
        for db in dossier.blocs_vises.filter(acquis=True).select_related("bloc"):
            if db.bloc.implicite:
                continue
            subjects.append(
                CredentialSubject(
                    kind=VerifiableCredential.Kind.BLOC,
                    achievement_code=db.bloc.code,
                    achievement_name=db.bloc.intitule[:200],
                    **base,
                )
            )
    return [
        credential_issue(centre=dossier.organisation, certificateur=referentiel.certificateur, subject=s)
        for s in subjects
    ]


def credential_json(credential: VerifiableCredential) -> dict:
    """The decoded credential (unverified view of our own token) for display."""
    payload = json.loads(_b64u_decode(credential.token.split(".")[1]))
    return payload["vc"]


# --- credentials of issued documents (parchemins, certificats de bloc) -----------------------------


def _document_kinds() -> dict:

    return {
        DocumentKind.PARCHEMIN: VerifiableCredential.Kind.PARCHEMIN,
        DocumentKind.CERTIFICAT_BLOC: VerifiableCredential.Kind.BLOC,
    }


def document_subject_ref(document) -> str:
    """``document:<uuid>``; a re-issued version (civil-status correction) is a new subject."""
    ref = f"document:{document.public_id}"
    return ref if document.version <= 1 else f"{ref}:v{document.version}"


def document_subject(document, *, holder_id: str = "") -> CredentialSubject:
    """What the credential of a parchemin or certificat de bloc asserts (ApplicationError when the
    document has none: another kind, or no certification code)."""
    kind = _document_kinds().get(document.kind)
    if kind is None:
        raise ApplicationError(
            "Seuls les parchemins et les certificats de bloc ont une attestation numérique."
        )
    ctx = document.context or {}
    code = str(ctx.get("code_certification") or "")
    if kind == VerifiableCredential.Kind.BLOC:
        achievement_code = str(ctx.get("bloc_code") or "")
        achievement_name = str(ctx.get("bloc_intitule") or document.title)
    else:
        achievement_code, achievement_name = code, str(ctx.get("intitule") or document.title)
    if not code or not achievement_code or document.certificateur_id is None:
        raise ApplicationError(
            "Ce document ne porte pas le code de sa certification : attestation impossible."
        )
    niveau = str(ctx.get("niveau") or "")
    ref = document_subject_ref(document)
    if holder_id:
        ref = f"{ref}#holder-{hashlib.sha256(holder_id.encode()).hexdigest()[:16]}"
    return CredentialSubject(
        subject_ref=ref,
        kind=kind,
        holder_name=document.holder_name[:200],
        achievement_code=achievement_code[:100],
        achievement_name=achievement_name[:200],
        certification_code=code,
        date_delivrance=document.issued_on,
        niveau=f"Niveau {niveau}" if niveau and not niveau.lower().startswith("niveau") else niveau,
        document_number=document.number or "",
        holder_id=holder_id,
    )


def credential_for_document(*, document) -> VerifiableCredential:
    """The Open Badges credential of a parchemin or certificat de bloc, issued on first request.

    Runs in the document's centre context; idempotent (one credential per document version).
    A revoked document keeps the credential it had (the status list says revoked) but never
    gets a new one.
    """
    if _document_kinds().get(document.kind) is None:
        document_subject(document)  # raises: not a kind with a credential
    existing = VerifiableCredential.objects.filter(
        organisation_id=document.organisation_id, subject_ref=document_subject_ref(document)
    ).first()
    if existing is not None:
        return existing
    if document.is_revoked:
        raise ApplicationError("Ce document est révoqué : aucune attestation numérique ne peut être émise.")
    return credential_issue(
        centre=document.organisation, certificateur=document.certificateur, subject=document_subject(document)
    )


def credential_for_holder(*, document, holder_id: str) -> VerifiableCredential:
    """The credential of ``document`` bound to a wallet's key (``credentialSubject.id`` and ``sub``
    = ``holder_id``, a did:jwk), with its own status-list bit; one per document version and key.

    Runs in the document's centre context. Revoking the document revokes it with the others
    (its ``subject_ref`` starts with the document's); a revoked document never gets one.
    """
    if document.is_revoked:
        raise ApplicationError("Ce document est révoqué : aucune attestation numérique ne peut être émise.")
    if not holder_id:
        raise ApplicationError("La clé du portefeuille est obligatoire.")
    return credential_issue(
        centre=document.organisation,
        certificateur=document.certificateur,
        subject=document_subject(document, holder_id=holder_id),
    )


def credentials_revoke_for_document(*, document, reason: str, keep_current: bool = False) -> int:
    """Revoke the credentials of ``document`` (all its versions, or all but the current one after a
    re-issue); the certificateur's status list then says so. Returns how many were revoked."""
    refs = VerifiableCredential.objects.filter(
        organisation_id=document.organisation_id,
        subject_ref__startswith=f"document:{document.public_id}",
        revoked_at__isnull=True,
    )
    if keep_current:  # the current version's credential and its wallet copies stay
        current = document_subject_ref(document)
        refs = refs.exclude(subject_ref=current).exclude(subject_ref__startswith=f"{current}#")
    count = 0
    for credential in refs:
        credential_revoke(credential=credential, reason=reason)
        count += 1
    return count


def credential_download(credential: VerifiableCredential) -> dict:
    """What the holder downloads: the VC-JWT (what a wallet imports) and its decoded credential."""
    return {
        "format": "vc+jwt",
        "id": credential_json(credential)["id"],
        "titulaire": credential.titulaire,
        "revoked": credential.revoked_at is not None,
        "jwt": credential.token,
        "credential": credential_json(credential),
        "jwks": _url("vc_jwks"),
    }
