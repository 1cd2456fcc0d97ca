from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.urls import get_urlconf, is_valid_path

API_PREFIX = "/api/"

# The envelope of an answer under /api/ that no API view wrote (Django's own 404 page in DEBUG,
# a 413 from the upload limits, ...): code and French message per status.
_ENVELOPES = {
    400: ("bad_request", "Requête invalide."),
    403: ("permission_denied", "Vous n'avez pas le droit de faire cette action."),
    404: ("not_found", "Introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée sur cette adresse."),
    406: ("not_acceptable", "Le type demandé dans l'en-tête « Accept » ne peut pas être servi."),
    413: ("request_too_large", "Requête trop volumineuse."),
    415: ("unsupported_media_type", "Type de contenu non pris en charge."),
}


def not_found_message(request) -> str:
    """« Introuvable. », with the fix when the path only lacks its final slash."""
    path = request.path_info
    if not path.endswith("/") and is_valid_path(f"{path}/", get_urlconf()):
        return f"Introuvable : cette adresse se termine par « / » ({request.path}/)."
    return "Introuvable."


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, except that an API write to a path lacking its final slash gets the JSON 404
    (with the right address) instead of a redirect that would lose its body (or, in DEBUG, a
    RuntimeError page)."""

    def should_redirect_with_slash(self, request):
        if request.path_info.startswith(API_PREFIX) and request.method not in ("GET", "HEAD"):
            return False
        return super().should_redirect_with_slash(request)


class ApiErrorEnvelopeMiddleware:
    """Every error under /api/ has the documented shape ``{"error": {code, message, fields}}``,
    even the ones no API view answered (DEBUG's technical 404 page, a 413, ...)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        code, message = _ENVELOPES.get(
            response.status_code,
            (
                "server_error",
                "Erreur interne du serveur : l'équipe technique est prévenue. Réessayez plus tard.",
            )
            if response.status_code >= 500
            else ("error", "Requête refusée."),
        )
        if response.status_code == 404:
            message = not_found_message(request)
        envelope = JsonResponse(
            {"error": {"code": code, "message": message, "fields": {}}}, status=response.status_code
        )
        if response.has_header("Allow"):
            envelope["Allow"] = response["Allow"]
        return envelope


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends on every response (Django sets HSTS itself)."""

    CSP = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/api/schema/swagger", "/api/schema/redoc")):
            # The schema UIs load their bundles from the package's own static files.
            response.setdefault(
                "Content-Security-Policy",
                self.CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
            )
        else:
            response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not settings.DEBUG and getattr(request, "user", None) and request.user.is_authenticated:
            response.setdefault("Cache-Control", "private, no-store")
        return response


class NulCharacterMiddleware:
    """Refuse (400) a query string or form value holding a NUL character.

    PostgreSQL cannot store or compare text with NUL (psycopg raises before the query runs), and
    list filters read the query string directly, without the forms' null-character validator:
    one check here covers every page and API filter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") and _has_nul(request.GET):
            raise BadRequest("Caractère nul (0x00) refusé dans les paramètres de l'adresse.")
        # Page forms only: the CSRF check parses them anyway; the API's parsers read their own
        # bodies (DRF's fields refuse NUL themselves).
        if (
            request.method == "POST"
            and request.content_type in self.FORMS
            and not request.path.startswith("/api/")
            and _has_nul(request.POST)
        ):
            raise BadRequest("Caractère nul (0x00) refusé dans les champs du formulaire.")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())
