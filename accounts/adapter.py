from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation only: open sign-up is closed."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        """The address behind our ``TRUSTED_PROXY_COUNT`` proxies (``core.clientip``): rate limits
        per address key on it; a forged or short ``X-Forwarded-For`` never raises."""
        from core.clientip import client_ip

        return client_ip(request) or "inconnu"
