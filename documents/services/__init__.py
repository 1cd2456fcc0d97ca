"""Writes on issued documents: request (numbering), render, revoke, re-issue, batches, ZIP.

The jury app (and any other) calls these; none of them knows about juries. Every function runs
inside ``tenant_context`` (a request or a ``TenantTask``).

Guarantees:
- **gap-free numbers**: a number is taken from the certificateur's yearly counter under a row
  lock, inside the issuing transaction; if that transaction rolls back, so does the counter;
- **idempotency**: one ``idempotency_key`` per organisation is one document and at most one
  number, whatever the retries; rendering a ready document does nothing;
- **determinism**: ``context`` holds everything a template needs, so a re-render shows the
  same content (only the seal's time differs).
"""

from documents.services.downloads import (
    documents_zip,
)
from documents.services.numbering import (
    REQUIRED_CONTEXT,
    RESERVED_CONTEXT_KEYS,
    document_request,
    issuing_body,
    reference_take,
    verification_url,
)
from documents.services.reissue_requests import (
    PIECE_MAX_BYTES,
    PIECE_TYPES,
    reissue_request_create,
    reissue_request_decide,
)
from documents.services.rendering import (
    MAX_ATTEMPTS,
    STYLESHEETS,
    document_html,
    document_pdf,
    document_render,
    document_render_claim,
    document_render_failed,
    documents_render_batch,
    documents_stale_requeue,
)
from documents.services.revocation import (
    CIVIL_STATUS_KEYS,
    document_reissue,
    document_revoke,
)

__all__ = [
    "CIVIL_STATUS_KEYS",
    "MAX_ATTEMPTS",
    "PIECE_MAX_BYTES",
    "PIECE_TYPES",
    "REQUIRED_CONTEXT",
    "RESERVED_CONTEXT_KEYS",
    "STYLESHEETS",
    "document_html",
    "document_pdf",
    "document_reissue",
    "document_render",
    "document_render_claim",
    "document_render_failed",
    "document_request",
    "document_revoke",
    "documents_render_batch",
    "documents_stale_requeue",
    "documents_zip",
    "issuing_body",
    "reference_take",
    "reissue_request_create",
    "reissue_request_decide",
    "verification_url",
]
