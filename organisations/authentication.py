"""Token authentication bound to a membership: ``Authorization: Token <key>``."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from organisations.models import ApiToken
from organisations.tenancy import pinning


def token_lookup(key: str, pin_slug: str | None = None) -> ApiToken | None:
    """The live token of ``key``; with ``pin_slug`` (in ``request_transaction``) the same query
    pins the tenant setting when the token's organisation is that one (tenancy.pinning)."""
    tokens = ApiToken.objects.all()
    if pin_slug is not None:
        tokens = pinning(tokens, slug=pin_slug, path="membership__")
    return (
        tokens.select_related("membership__user", "membership__organisation")
        .filter(
            key_hash=ApiToken.hash_key(key),
            revoked_at__isnull=True,
            membership__is_active=True,
            membership__user__is_active=True,
            # A deactivated organisation's tokens stop working with it (as its members' pages do).
            membership__organisation__is_active=True,
        )
        .first()
    )


class MembershipTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("En-tête Authorization invalide : « Token <clé> » attendu.")
        cached = getattr(request._request, "_api_token", None)
        key = header[1].decode(errors="replace")
        token = cached if cached is not None else token_lookup(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Jeton invalide ou révoqué.")
        if cached is None and (
            token.last_used_at is None or (timezone.now() - token.last_used_at).seconds > 300
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.membership.user, token

    def authenticate_header(self, request):
        return self.keyword
