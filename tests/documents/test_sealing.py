"""PAdES seals: demo identity, sealing, verification, tamper detection."""

from __future__ import annotations

import datetime as dt
import io
import re
import stat

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from documents import sealing
from documents.rendering import get_renderer
from documents.samples import SAMPLE_PARCHEMIN, sample_parchemin_html
from documents.sealing import SealStatus, ensure_dev_signing_identity, seal_pdf, verify_seal


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return ensure_dev_signing_identity(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def parchemin_pdf() -> bytes:
    return get_renderer().render_pdf(sample_parchemin_html(), stylesheet="parchemin")


@pytest.fixture(scope="module")
def sealed(parchemin_pdf, identity) -> bytes:
    key_path, cert_path = identity
    return seal_pdf(parchemin_pdf, key_path=key_path, cert_path=cert_path)


def test_dev_identity_is_created_once(tmp_path):
    key_path, cert_path = ensure_dev_signing_identity(tmp_path / "id")
    key_bytes, cert_bytes = key_path.read_bytes(), cert_path.read_bytes()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert ensure_dev_signing_identity(tmp_path / "id") == (key_path, cert_path)
    assert (key_path.read_bytes(), cert_path.read_bytes()) == (key_bytes, cert_bytes)

    cert = x509.load_pem_x509_certificate(cert_bytes)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "Plateforme de certification (démo)"
    assert cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=365)


def test_sealed_parchemin_verifies(sealed, identity, parchemin_pdf):
    _, cert_path = identity
    status = verify_seal(sealed, trust_cert_path=cert_path)
    assert isinstance(status, SealStatus)
    assert status.intact and status.trusted and status.valid, status
    assert not status.modified_after_sealing
    assert status.signer == "Plateforme de certification (démo)"
    assert status.signed_at is not None
    assert abs(status.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)

    # Incremental update: the original bytes are untouched and the text is still there.
    assert sealed.startswith(parchemin_pdf)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(sealed)).pages)
    assert SAMPLE_PARCHEMIN["titulaire"] in text
    assert b"/ETSI.CAdES.detached" in sealed
    assert b"/Reason (Document scell" in sealed or b"/Reason <" in sealed


def _stream_offsets(pdf: bytes) -> list[int]:
    return [
        m.end() for m in re.finditer(rb"stream\r?\n", pdf) if not pdf[m.start() - 3 : m.start()] == b"end"
    ]


def test_flipping_one_byte_of_the_signed_content_breaks_the_seal(sealed, parchemin_pdf, identity):
    _, cert_path = identity
    offsets = _stream_offsets(parchemin_pdf)
    assert offsets
    for position in (offsets[0] + 10, offsets[len(offsets) // 2] + 3, offsets[-1] + 1):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        status = verify_seal(bytes(tampered), trust_cert_path=cert_path)
        assert not status.intact, position
        assert not status.valid, position


def test_changing_a_visible_string_breaks_the_seal(identity):
    key_path, cert_path = identity
    pdf = get_renderer().render_pdf(
        "<html><head><title>Parchemin Camille</title></head><body><p>x</p></body></html>"
    )
    sealed = seal_pdf(pdf, key_path=key_path, cert_path=cert_path)
    assert b"Parchemin Camille" in sealed  # the title sits in /Info, uncompressed
    forged = sealed.replace(b"Parchemin Camille", b"Parchemin Camilla", 1)
    assert len(forged) == len(sealed)
    status = verify_seal(forged, trust_cert_path=cert_path)
    assert (status.intact, status.valid) == (False, False)


def test_appending_after_the_seal_is_reported(sealed, identity):
    _, cert_path = identity
    status = verify_seal(sealed + b"\n%%ajout apres scellement\n", trust_cert_path=cert_path)
    assert status.intact
    assert status.modified_after_sealing
    assert not status.valid


def test_other_trust_root_is_not_trusted(sealed, tmp_path):
    _, other_cert = ensure_dev_signing_identity(tmp_path / "other")
    status = verify_seal(sealed, trust_cert_path=other_cert)
    assert status.intact
    assert not status.trusted
    assert not status.valid


@pytest.mark.parametrize("payload", [b"", b"not a pdf at all", b"%PDF-1.7\n%%EOF\n"])
def test_garbage_or_unsigned_input_is_invalid_without_raising(payload, identity):
    _, cert_path = identity
    status = verify_seal(payload, trust_cert_path=cert_path)
    assert (status.intact, status.valid) == (False, False)
    assert status.error


def test_unsigned_pdf_is_reported(parchemin_pdf, identity):
    _, cert_path = identity
    status = verify_seal(parchemin_pdf, trust_cert_path=cert_path)
    assert not status.valid and status.error == "aucun sceau dans le document"


def test_signer_is_loaded_once_per_process(identity, parchemin_pdf):
    key_path, cert_path = identity
    first = sealing._signer(key_path, cert_path, None)
    seal_pdf(parchemin_pdf, key_path=key_path, cert_path=cert_path)
    assert sealing._signer(key_path, cert_path, None) is first


def test_passphrase_protected_key(tmp_path, parchemin_pdf):
    from cryptography.hazmat.primitives import serialization

    key_path, cert_path = ensure_dev_signing_identity(tmp_path / "id")
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted-key.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    sealed = seal_pdf(parchemin_pdf, key_path=encrypted, cert_path=cert_path, passphrase="s3cret")  # noqa: S106
    assert verify_seal(sealed, trust_cert_path=cert_path).valid
