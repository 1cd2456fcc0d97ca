from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation only: open sign-up is closed."""

    def is_open_for_signup(self, request) -> bool:
        return False
