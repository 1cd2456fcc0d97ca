"""Fixtures for the documents layer: a certificateur, an admin with MFA, issuing helpers."""

import io
import re
import unicodedata

import pytest
from allauth.mfa.models import Authenticator
from pypdf import PdfReader

from documents.examples import EXAMPLES
from organisations.models import Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.conftest import make_member


@pytest.fixture
def cci(db):
    """CCI France with its RNCP36390: a certificat de bloc names a real bloc of a real
    certification (database guard of documents 0003)."""
    from referentiels.demo import load_seed

    cci = Organisation.objects.create(
        kind="certificateur", slug="cci-france", name="CCI France", ville="Paris"
    )
    load_seed("rncp36390.json", cci)
    return cci


def with_totp(membership):
    """Admins must have a second factor before using pages (MfaRequiredMiddleware)."""
    Authenticator.objects.create(
        user=membership.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return membership


@pytest.fixture
def admin_a(org_a):
    return with_totp(make_member(org_a, Role.ADMIN, "admin-a@test.local"))


@pytest.fixture
def tuteur_a(org_a):
    return make_member(org_a, Role.TUTEUR, "tuteur-a@test.local")


def issue(org, cci, kind="parchemin", *, key=None, holder=None, group="jury:test", render=False, **overrides):
    """Request one document of ``kind`` in ``org`` from the example context."""
    from documents.services import document_request

    example_holder, title, context = EXAMPLES[kind]
    context = {**context, **overrides.pop("context", {})}
    with tenant_context(org):
        return document_request(
            organisation=org,
            kind=kind,
            certificateur=cci,
            idempotency_key=key if key is not None else f"{kind}:{holder or example_holder}",
            group_key=group,
            holder_name=holder if holder is not None else example_holder,
            title=title,
            context=context,
            render=render,
            **overrides,
        )


def render_now(document):
    """Run the rendering task in-process (as the worker would) and return the fresh row."""
    from documents.models import IssuedDocument
    from documents.tasks import document_render_task

    # throw=False: like a worker, follow the retry chain instead of raising the first Retry.
    document_render_task.apply(
        kwargs={"organisation_id": document.organisation_id, "document_id": document.pk}, throw=False
    )
    with tenant_context(document.organisation):
        return IssuedDocument.objects.get(pk=document.pk)


def read_file(document) -> bytes:
    from documents.models import private_storage

    with private_storage().open(document.file.name, "rb") as fh:
        return fh.read()


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
