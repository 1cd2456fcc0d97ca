"""The client's address, as every rate limit and audit line must see it.

``X-Forwarded-For`` is a header anyone sets; only the entries appended by the proxies we run are
true. ``TRUSTED_PROXY_COUNT`` (environment, default 0: the application is reached directly) says
how many there are; the client is then the entry that many places from the right, and with 0 the
header is ignored (``REMOTE_ADDR``). The same number configures allauth
(``ALLAUTH_TRUSTED_PROXY_COUNT``) and DRF's throttles (``NUM_PROXIES``), so every throttle keys on
the same address.
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < count:
        # fewer entries than our own proxies append: the request did not come through them
        return remote
    return _valid(entries[-count]) or remote
