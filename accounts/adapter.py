import time

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation only: open sign-up is closed."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        """The address behind our ``TRUSTED_PROXY_COUNT`` proxies (``core.clientip``): rate limits
        per address key on it; a forged or short ``X-Forwarded-For`` never raises."""
        from core.clientip import client_ip

        return client_ip(request) or "inconnu"

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Sensitive account actions (second factor, password, e-mail) ask for the password again
        only when the user last proved who they are more than ``ACCOUNT_REAUTHENTICATION_TIMEOUT``
        seconds ago: logging in counts, so enrolling the second factor right after the first login
        does not ask for the password a second time (allauth counts only re-authentications)."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not recently_authenticated()


def recently_authenticated() -> bool:
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.core import context

    request = context.request
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    if not records:
        return False
    return time.time() - max(r["at"] for r in records) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
