"""A page's POST that calls a service: its refusal or its success, told to the user as a message."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.contrib import messages
from django.http import HttpRequest

from core.errors import ApplicationError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What the service did: ``ok`` and its result, or refused (``ok`` false, no result)."""

    ok: bool
    value: T | None = None


def service_outcome(request: HttpRequest, call: Callable[[], T], success: Callable[[T], str]) -> Outcome[T]:
    """Run ``call`` (a service call that may refuse): an ``ApplicationError`` becomes the page's
    error message; otherwise ``success(result)`` is its success message. The caller redirects."""
    try:
        value = call()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return Outcome(ok=False)
    messages.success(request, success(value))
    return Outcome(ok=True, value=value)
