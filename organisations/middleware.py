"""Request tenancy: the organisation comes from the URL and is checked against membership.

``TenantMiddleware.process_view`` runs last among the middlewares' ``process_view`` hooks
(after CSRF), resolves ``org_slug`` for the caller — session user for pages, membership token
for the API — and calls the view inside ``tenant_context``. A non-member gets 404, never 403.
"""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.api import error_body
from organisations.selectors import membership_for, memberships_of, user_requires_mfa
from organisations.tenancy import pinning, request_transaction, tenant_context

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def _api_membership(self, request, slug, pinned):
        from rest_framework.authentication import get_authorization_header

        from organisations.authentication import token_lookup

        header = get_authorization_header(request).split()
        if header and header[0].lower() == b"token" and len(header) == 2:
            token = token_lookup(header[1].decode(errors="replace"), pin_slug=slug)
            if token is None:
                return None, JsonResponse(
                    error_body("authentication_failed", "Jeton invalide ou révoqué."), status=401
                )
            request._api_token = token
            if token.membership.organisation.slug == slug:
                pinned(token, token.membership.organisation)
            return token.membership, None
        return None, None

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org_slug")
        if slug is None:
            return None
        # One transaction for the request: the query that reads the caller's membership also
        # pins the tenant setting (organisations.tenancy.pinning), tenant_context sets nothing.
        try:
            with request_transaction() as pinned:
                return self._run(request, slug, pinned, view_func, view_args, view_kwargs)
        except (OperationalError, InterfaceError):
            # The database went away mid-request (restart, failover, terminated connection): the
            # tenant transaction has rolled back as a whole. Pages get the 500 page; the API a
            # clear, retryable 503 in its error format.
            if not _is_api(request):
                raise
            logger.exception("Database unavailable during %s %s", request.method, request.path)
            return JsonResponse(
                error_body(
                    "unavailable",
                    "La base de données est momentanément indisponible : rien n'a été enregistré. Réessayez.",
                ),
                status=503,
                headers={"Retry-After": "5"},
            )

    def _run(self, request, slug, pinned, view_func, view_args, view_kwargs):
        membership = None
        if _is_api(request):
            membership, error = self._api_membership(request, slug, pinned)
            if error is not None:
                return error
            if membership is not None and membership.organisation.slug != slug:
                return JsonResponse(error_body("not_found", "Introuvable."), status=404)
        if membership is None:
            user = request.user
            if not user.is_authenticated:
                if _is_api(request):
                    return JsonResponse(
                        error_body("not_authenticated", "Authentification requise."),
                        status=401,
                        headers={"WWW-Authenticate": "Token"},
                    )
                return redirect_to_login(request.get_full_path())
            if _is_api(request):
                try:
                    membership = membership_for(user=user, slug=slug, pin=True)
                except Http404:
                    return JsonResponse(error_body("not_found", "Introuvable."), status=404)
                pinned(membership, membership.organisation)
            else:
                # Pages: one query loads every membership of the user, the one for this URL and
                # the organisation switcher's list (organisations.context_processors.tenancy),
                # and pins the tenant setting to this URL's organisation.
                # The user too: pages record the membership's user in the audit trail.
                request.my_memberships = list(pinning(memberships_of(user).select_related("user"), slug=slug))
                membership = next((m for m in request.my_memberships if m.organisation.slug == slug), None)
                if membership is None:
                    raise Http404
                pinned(membership, membership.organisation)
        request.membership = membership
        request.organisation = membership.organisation
        with tenant_context(membership.organisation):
            response = view_func(request, *view_args, **view_kwargs)
            # Template responses render lazily: render them while the scope is active.
            if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                response = response.render()
        return response


def _has_totp(user) -> bool:
    """The user has a second factor: an authenticator app (TOTP) or a passkey (WebAuthn)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def _token_authenticated(request) -> bool:
    """The call carries a well-formed ``Authorization: Token <key>`` header.

    Such a call is authenticated by the token alone (an invalid key is a 401, never a fallback
    on the session), and tokens are created from the account pages, which already required the
    second factor of roles that need one: token calls keep working without a TOTP check here.
    A malformed header does not count, so it cannot be used to skip the check on a session.
    """
    from rest_framework.authentication import get_authorization_header

    header = get_authorization_header(request).split()
    return len(header) == 2 and header[0].lower() == b"token"


MFA_REQUIRED_MESSAGE = (
    "Votre rôle exige une double authentification : activez une application d'authentification "
    "(TOTP) depuis la page « Sécurité » de votre compte avant d'utiliser l'API."
)


MFA_REQUIRED_PAGE_MESSAGE = "Double authentification requise : activez-la depuis la page « Sécurité »."


def _is_navigation(request) -> bool:
    """The browser is loading a page the user asked for (not an asset, a prefetch or an htmx call).

    Browsers say so in ``Sec-Fetch-Dest`` (``document``) and mark speculative loads with
    ``Sec-Purpose``/``Purpose: prefetch``; clients that send neither (tests, curl) count as pages.
    """
    if request.headers.get("HX-Request"):
        return False
    if "prefetch" in request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose") == "prefetch":
        return False
    dest = request.headers.get("Sec-Fetch-Dest")
    return dest is None or dest in ("document", "iframe")


class MfaRequiredMiddleware:
    """Members with a role listed in ``MFA_REQUIRED_ROLES`` must enrol a second factor first.

    Pages redirect to the enrolment page; session-authenticated API calls get a 403 in the API
    error format; the Django admin (platform staff) requires a TOTP of every staff user.
    """

    # Public or enrolment paths: reachable before the second factor is set up.
    ALLOWED_PREFIXES = (
        "/comptes/",
        "/static/",
        "/invitation/",
        "/verifier/",
        "/api/v1/verifier/",
        "/api/schema/",
        "/sante",
        "/ping",
        "/favicon.ico",
        "/robots.txt",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Public paths and token calls first: they need no session or user (no query to load them).
        if request.path.startswith(self.ALLOWED_PREFIXES) or (
            _is_api(request) and _token_authenticated(request)
        ):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if request.path.startswith("/admin/"):
            # Staff have no membership role to look at: every staff user needs a TOTP, checked on
            # each admin request (low traffic) rather than through the session flag below.
            if user.is_staff and not _has_totp(user):
                return redirect(reverse("mfa_activate_totp") + "?obligatoire=1")
            return self.get_response(request)
        is_api = _is_api(request)
        if not request.session.get("mfa_ok"):
            if user_requires_mfa(user, settings.MFA_REQUIRED_ROLES) and not _has_totp(user):
                if is_api:
                    return JsonResponse(error_body("mfa_required", MFA_REQUIRED_MESSAGE), status=403)
                if not _is_navigation(request):
                    # An image, a script, a prefetch or an htmx call: never sent to the enrolment
                    # page (it is not a page the user asked for), a plain refusal instead.
                    return HttpResponseForbidden(
                        MFA_REQUIRED_PAGE_MESSAGE, content_type="text/plain; charset=utf-8"
                    )
                return redirect(reverse("mfa_activate_totp") + "?obligatoire=1")
            request.session["mfa_ok"] = True
        return self.get_response(request)
