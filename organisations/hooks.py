"""Extension points of organisations, for the apps built on top of it.

The invitation form pre-fills the name the centre already typed for the invited address (a jury
member of a composition, a tuteur), but organisations sits below the apps that hold those names.
They register a *name provider* from their ``AppConfig.ready()``: ``provider(email)`` returns
``{"first_name", "last_name"}`` or None, and runs inside the organisation's tenant context. The
apps registered last (the higher layers: juries after candidates) are asked first.
"""

from collections.abc import Callable

NameProvider = Callable[[str], dict | None]

_NAME_PROVIDERS: list[NameProvider] = []


def register_known_name_provider(provider: NameProvider) -> NameProvider:
    if provider not in _NAME_PROVIDERS:
        _NAME_PROVIDERS.insert(0, provider)
    return provider


def known_name(email: str) -> dict:
    """The name typed for ``email`` by the first provider that knows it ({} when none does)."""
    for provider in _NAME_PROVIDERS:
        found = provider(email)
        if found:
            return found
    return {}


class ApiReplay(Exception):  # noqa: N818 - not an error: the answer to send instead of running the view
    """Raised by a POST interceptor to answer with ``response`` instead of running the view (a
    retried create answered with its first response)."""

    def __init__(self, response):
        self.response = response


class PostInterceptor:
    """What the organisation API runs around every POST (the integrations app's Idempotency-Key):
    ``begin(request, organisation)`` before the view returns a token (or None, or raises
    ``ApiReplay``); ``finish(token, response)`` after it, with that token when not None."""

    def begin(self, request, organisation): ...

    def finish(self, token, response) -> None: ...


_POST_INTERCEPTORS: list[PostInterceptor] = []


def register_post_interceptor(interceptor: PostInterceptor) -> PostInterceptor:
    """The one interceptor of the organisation API's POSTs (a second registration replaces the first)."""
    _POST_INTERCEPTORS[:] = [interceptor]
    return interceptor


def api_post_begin(request, organisation):
    return _POST_INTERCEPTORS[0].begin(request, organisation) if _POST_INTERCEPTORS else None


def api_post_finish(token, response) -> None:
    if _POST_INTERCEPTORS and token is not None:
        _POST_INTERCEPTORS[0].finish(token, response)
