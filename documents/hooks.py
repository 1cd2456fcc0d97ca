"""Extension points of issued documents, for the apps built on top of documents.

Dependencies flow one way (documents ← certificateur): documents must not import the
certificateur app, yet revoking or re-issuing a numbered document must revoke the Open Badges
credentials that carry it, and the document pages serve that credential. So the certificateur
app *registers* here, from its ``AppConfig.ready()`` (as ``candidates/hooks.py`` does for the
dossier state machine)::

    from documents import hooks

    hooks.register_revocation_listener(revoke_my_credentials)
    hooks.register_credential_provider(downloadable_credential)

A revocation listener is called as ``listener(document=..., reason=..., keep_current=...)``
inside the revocation's (or re-issue's) transaction; ``keep_current`` is true for a re-issue (the
current version's credential stays). The credential provider returns what the holder downloads
for a document, or raises ``ApplicationError`` explaining why there is none.
"""

from collections.abc import Callable

from django.http import Http404

RevocationListener = Callable[..., object]
CredentialProvider = Callable[..., dict]

_REVOCATION_LISTENERS: list[RevocationListener] = []
_CREDENTIAL_PROVIDERS: list[CredentialProvider] = []


def register_revocation_listener(listener: RevocationListener) -> RevocationListener:
    if listener not in _REVOCATION_LISTENERS:
        _REVOCATION_LISTENERS.append(listener)
    return listener


def register_credential_provider(provider: CredentialProvider) -> CredentialProvider:
    """The one provider of downloadable credentials (a second registration replaces the first)."""
    _CREDENTIAL_PROVIDERS[:] = [provider]
    return provider


def document_revoked(*, document, reason: str, keep_current: bool = False) -> None:
    """Tell the listeners that ``document`` (all its versions, or all but the current one) is revoked."""
    for listener in _REVOCATION_LISTENERS:
        listener(document=document, reason=reason, keep_current=keep_current)


def document_credential(document) -> dict:
    """The credential the holder of ``document`` downloads; 404 when no app provides credentials."""
    if not _CREDENTIAL_PROVIDERS:
        raise Http404("Aucune attestation numérique pour ce document.")
    return _CREDENTIAL_PROVIDERS[0](document=document)
