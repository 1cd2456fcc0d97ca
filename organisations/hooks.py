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
