"""PAdES seals on issued PDFs (pyHanko): tampering shows, and anyone can check it.

- :func:`ensure_dev_signing_identity` makes a self-signed demo identity once (EC P-256);
  production passes its own key/certificate paths (a qualified seal, an HSM later).
- :func:`seal_pdf` adds a PAdES baseline B-B signature (``/SubFilter /ETSI.CAdES.detached``),
  invisible, covering the whole file. The loaded signer is cached per process.
- :func:`verify_seal` checks integrity, the signature and the chain up to a trust root.

Verification uses pyHanko's synchronous wrappers: call it from synchronous code (views,
Celery tasks), not from inside a running asyncio event loop.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)

DEV_SUBJECT = "Plateforme de certification (démo)"
DEV_KEY_FILENAME = "dev-seal-key.pem"
DEV_CERT_FILENAME = "dev-seal-cert.pem"
SEAL_FIELD_NAME = "Sceau"
#: Space reserved for the CMS blob; skips pyHanko's dry-run size estimate (a second
#: signature per seal). An EC P-256 seal with its certificate takes ~1.5 KiB.
SIGNATURE_BYTES_RESERVED = 8192


@dataclass(frozen=True)
class SealStatus:
    """Outcome of :func:`verify_seal`.

    ``intact``: the signed bytes hash to the signed digest. ``valid``: intact, the signature is
    cryptographically valid, the signer chains to the trust root, and nothing was appended
    after sealing. ``signer``: the signing certificate's common name.
    """

    intact: bool
    valid: bool
    signer: str
    signed_at: dt.datetime | None
    trusted: bool = False
    modified_after_sealing: bool = False
    error: str | None = None


def ensure_dev_signing_identity(directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Create (once) a self-signed demo seal identity in ``directory``.

    Idempotent and safe under concurrent first calls (file lock); the key file is ``0600``.
    Returns ``(key_path, cert_path)``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / DEV_KEY_FILENAME
    cert_path = directory / DEV_CERT_FILENAME
    if key_path.is_file() and cert_path.is_file():
        return key_path, cert_path
    with open(directory / ".dev-seal.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if key_path.is_file() and cert_path.is_file():
            return key_path, cert_path
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_SUBJECT),
                x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_atomically(key_path, key_pem, mode=0o600)
        _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        logger.info("Created the demo seal identity in %s", directory)
    return key_path, cert_path


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_signers: dict[tuple, signers.SimpleSigner] = {}
_signers_lock = threading.Lock()


def _signer(key_path, cert_path, passphrase: str | bytes | None) -> signers.SimpleSigner:
    key_path, cert_path = Path(key_path), Path(cert_path)
    if isinstance(passphrase, str):
        passphrase = passphrase.encode()
    # The files' identity and mtime are part of the key: a rotated key is picked up.
    cache_key = (
        str(key_path.resolve()),
        str(cert_path.resolve()),
        key_path.stat().st_mtime_ns,
        cert_path.stat().st_mtime_ns,
        passphrase,
    )
    with _signers_lock:
        signer = _signers.get(cache_key)
        if signer is None:
            signer = signers.SimpleSigner.load(str(key_path), str(cert_path), key_passphrase=passphrase)
            if signer is None:
                raise ValueError(f"could not load the seal key/certificate {key_path}, {cert_path}")
            _signers.clear()  # at most one identity per process in practice
            _signers[cache_key] = signer
        return signer


def seal_pdf(
    pdf_bytes: bytes,
    *,
    key_path: str | os.PathLike[str],
    cert_path: str | os.PathLike[str],
    passphrase: str | bytes | None = None,
    reason: str = "Document scellé",
    location: str = "France",
) -> bytes:
    """Return ``pdf_bytes`` with an invisible PAdES B-B seal appended (incremental update)."""
    signer = _signer(key_path, cert_path, passphrase)
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return out.getvalue()


def verify_seal(pdf_bytes: bytes, *, trust_cert_path: str | os.PathLike[str]) -> SealStatus:
    """Check the (last) seal of ``pdf_bytes`` against the trust root at ``trust_cert_path``.

    Never raises for a damaged or unsigned document: it returns an invalid status with
    ``error`` set.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        logger.info("Seal check: unreadable PDF: %s", exc)
        return SealStatus(False, False, "", None, error=f"PDF illisible : {exc}")
    if not embedded:
        return SealStatus(False, False, "", None, error="aucun sceau dans le document")
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(trust_cert_path))],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    sig = embedded[-1]
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as exc:
        logger.info("Seal check failed: %s", exc)
        return SealStatus(False, False, "", None, error=f"sceau invalide : {exc}")
    try:
        signer = (
            status.signing_cert.subject.native.get("common_name")
            or status.signing_cert.subject.human_friendly
        )
    except Exception:  # pragma: no cover - unusual certificate subject
        signer = ""
    modified = status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(status.bottom_line and status.intact and status.valid and status.trusted and not modified)
    return SealStatus(
        intact=bool(status.intact),
        valid=valid,
        signer=signer,
        signed_at=status.signer_reported_dt,
        trusted=bool(status.trusted),
        modified_after_sealing=modified,
    )
