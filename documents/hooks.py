"""Extension points of issued documents, for the apps built on top of documents.

Dependencies flow one way (documents ← certificateur): documents must not import the
certificateur app, yet revoking or re-issuing a numbered document must revoke the Open Badges
credentials that carry it, and the document pages serve that credential. So the certificateur
app *registers* here, from its ``AppConfig.ready()`` (as ``candidates/hooks.py`` does for the
dossier state machine)::

    from documents import hooks

    hooks.register_revocation_listener(revoke_my_credentials)
    hooks.register_credential_provider(downloadable_credential)

and the juries app registers the *deriver* of the documents it issues (``JuriesConfig.ready()``):
a re-issue after a civil-status correction derives the document again from its jury.

A revocation listener is called as ``listener(document=..., reason=..., keep_current=...)``
inside the revocation's (or re-issue's) transaction; ``keep_current`` is true for a re-issue (the
current version's credential stays). The credential provider returns what the holder downloads
for a document, or raises ``ApplicationError`` explaining why there is none.
"""

from collections.abc import Callable
from typing import Protocol

from django.http import Http404

from core.errors import ApplicationError

RevocationListener = Callable[..., object]
CredentialProvider = Callable[..., dict]

_REVOCATION_LISTENERS: list[RevocationListener] = []
_CREDENTIAL_PROVIDERS: list[CredentialProvider] = []


def register_revocation_listener(listener: RevocationListener) -> RevocationListener:
    if listener not in _REVOCATION_LISTENERS:
        _REVOCATION_LISTENERS.append(listener)
    return listener


BasisListener = Callable[..., object]
_BASIS_LISTENERS: dict[str, BasisListener] = {}


def register_revocation_basis_listener(prefix: str, listener: BasisListener) -> BasisListener:
    """Who carries on once every revocation request of a basis starting with ``prefix`` is
    approved by the certificateur (the juries app for ``jury:``: a signed rectification)."""
    _BASIS_LISTENERS[prefix] = listener
    return listener


def revocation_basis_approved(*, basis: str, by) -> None:
    for prefix, listener in _BASIS_LISTENERS.items():
        if basis.startswith(prefix):
            listener(basis=basis, by=by)


def register_credential_provider(provider: CredentialProvider) -> CredentialProvider:
    """The one provider of downloadable credentials (a second registration replaces the first)."""
    _CREDENTIAL_PROVIDERS[:] = [provider]
    return provider


class Deriver(Protocol):
    """Who can derive a document again from its source (the juries app for its documents)."""

    def derivable(self, document) -> bool: ...

    def candidate(self, document): ...

    def context_derive(self, document, identity: dict) -> tuple[str, str, dict]: ...


_DERIVERS: list[Deriver] = []


def register_deriver(deriver: Deriver) -> Deriver:
    """The one deriver of documents (a second registration replaces the first)."""
    _DERIVERS[:] = [deriver]
    return deriver


def document_derivable(document) -> bool:
    """Whether ``document`` can be derived again from its source (no deriver: never)."""
    return bool(_DERIVERS) and _DERIVERS[0].derivable(document)


def document_candidate(document):
    """The candidate ``document`` was issued to, as its deriver knows it (``None`` otherwise)."""
    return _DERIVERS[0].candidate(document) if _DERIVERS else None


def document_context_derive(document, identity: dict) -> tuple[str, str, dict]:
    """``(holder_name, title, context)`` of ``document`` derived again (see ``Deriver``)."""
    if not _DERIVERS:
        raise ApplicationError("Ce document ne peut pas être dérivé à nouveau de sa source.")
    return _DERIVERS[0].context_derive(document, identity)


def document_revoked(*, document, reason: str, keep_current: bool = False) -> None:
    """Tell the listeners that ``document`` (all its versions, or all but the current one) is revoked."""
    for listener in _REVOCATION_LISTENERS:
        listener(document=document, reason=reason, keep_current=keep_current)


def document_credential(document) -> dict:
    """The credential the holder of ``document`` downloads; 404 when no app provides credentials."""
    if not _CREDENTIAL_PROVIDERS:
        raise Http404("Aucune attestation numérique pour ce document.")
    return _CREDENTIAL_PROVIDERS[0](document=document)
