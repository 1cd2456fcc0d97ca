"""Request tenancy: the organisation comes from the URL and is checked against membership.

``TenantMiddleware.process_view`` runs last among the middlewares' ``process_view`` hooks
(after CSRF), resolves ``org_slug`` for the caller — session user for pages, membership token
for the API — and calls the view inside ``tenant_context``. A non-member gets 404, never 403.
"""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.api import error_body
from organisations.selectors import membership_for, user_requires_mfa
from organisations.tenancy import tenant_context

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def _api_membership(self, request):
        from rest_framework.authentication import get_authorization_header

        from organisations.authentication import token_lookup

        header = get_authorization_header(request).split()
        if header and header[0].lower() == b"token" and len(header) == 2:
            token = token_lookup(header[1].decode(errors="replace"))
            if token is None:
                return None, JsonResponse(error_body("authentication_failed", "Jeton invalide ou révoqué."), status=401)
            request._api_token = token
            return token.membership, None
        return None, None

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org_slug")
        if slug is None:
            return None
        membership = None
        if _is_api(request):
            membership, error = self._api_membership(request)
            if error is not None:
                return error
            if membership is not None and membership.organisation.slug != slug:
                return JsonResponse(error_body("not_found", "Introuvable."), status=404)
        if membership is None:
            user = request.user
            if not user.is_authenticated:
                if _is_api(request):
                    return JsonResponse(
                        error_body("not_authenticated", "Authentification requise."), status=401,
                        headers={"WWW-Authenticate": "Token"},
                    )
                return redirect_to_login(request.get_full_path())
            try:
                membership = membership_for(user=user, slug=slug)
            except Http404:
                if _is_api(request):
                    return JsonResponse(error_body("not_found", "Introuvable."), status=404)
                raise
        request.membership = membership
        request.organisation = membership.organisation
        try:
            with tenant_context(membership.organisation):
                response = view_func(request, *view_args, **view_kwargs)
                # Template responses render lazily: render them while the scope is active.
                if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                    response = response.render()
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
        return response


class MfaRequiredMiddleware:
    """Members with a role listed in ``MFA_REQUIRED_ROLES`` must enrol a second factor first."""

    ALLOWED_PREFIXES = ("/comptes/", "/static/", "/invitation/", "/verifier/", "/api/", "/sante", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.session.get("mfa_ok")
        ):
            from allauth.mfa.models import Authenticator

            if user_requires_mfa(user, settings.MFA_REQUIRED_ROLES):
                if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                    return redirect(reverse("mfa_activate_totp") + "?obligatoire=1")
            request.session["mfa_ok"] = True
        return self.get_response(request)
