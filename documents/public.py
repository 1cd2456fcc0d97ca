"""Public verification: ``/verifier/`` and ``/verifier/<code>``, anonymous and rate limited.

These views read only ``VerificationRecord`` (the national registry written by the services);
they never enter a tenant context, so row-level security keeps every other table out of reach.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.clientip import client_ip
from documents import selectors
from documents.models import format_code, normalise_code

#: Requests per minute and per client address (pages); the API uses DRF's "verification" scope.
RATE_LIMIT_PER_MINUTE = getattr(settings, "VERIFICATION_RATE_PER_MINUTE", 30)


def _client_ip(request) -> str:
    # X-Forwarded-For is forgeable: only the entries of our own TRUSTED_PROXY_COUNT proxies count.
    return client_ip(request) or "inconnu"


def rate_limited(request, *, scope: str = "verifier", limit: int | None = None) -> bool:
    """Fixed one-minute window per client address, counted in the shared cache."""
    limit = limit or RATE_LIMIT_PER_MINUTE
    window = int(time.time() // 60)
    key = f"ratelimit:{scope}:{_client_ip(request)}:{window}"
    cache.add(key, 0, timeout=70)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=70)
        count = 1
    return count > limit


def _too_many(request):
    response = render(request, "documents/ui/verifier_limit.html", status=429)
    response["Retry-After"] = "60"
    return response


@never_cache
@require_GET
def verification_form(request):
    if rate_limited(request):
        return _too_many(request)
    code = request.GET.get("code", "")
    if code:
        normalised = normalise_code(code)
        if normalised:
            return redirect("verification_page", code=format_code(normalised))
    return render(request, "documents/ui/verifier.html", {"code": code})


@never_cache
@require_GET
def verification_page(request, code):
    if rate_limited(request):
        return _too_many(request)
    try:
        record = selectors.verification_get(code=code)
    except Http404:
        return render(request, "documents/ui/verifier.html", {"code": code, "not_found": True}, status=404)
    return render(request, "documents/ui/verifier.html", {"code": code, "record": record})
