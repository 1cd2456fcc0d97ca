"""The error handlers (config/urls.py): French pages, JSON for the API."""

from django.core.exceptions import BadRequest
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from core.api import error_body
from core.middleware import not_found_message


def favicon(request):
    """``/favicon.ico``: browsers ask for it on their own, logged in or not, enrolled or not."""
    from django.contrib.staticfiles import finders
    from django.http import FileResponse

    return FileResponse(
        open(finders.find("img/favicon.ico"), "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=604800"},
    )


# Error handlers (config/urls.py): pages get the French templates (templates/404.html, …); the
# API keeps its JSON error format even for URLs no API view answers.


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else "Requête invalide."
    if _is_api(request):
        return JsonResponse(error_body("bad_request", message), status=400)
    if request.headers.get("HX-Request"):
        # htmx shows it in the page's alert region (static/js/app.js), not a whole page.
        return HttpResponse(message, content_type="text/plain; charset=utf-8", status=400)
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse(error_body("not_found", not_found_message(request)), status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return JsonResponse(
            error_body("permission_denied", "Vous n'avez pas le droit de faire cette action."), status=403
        )
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            error_body(
                "server_error",
                "Erreur interne du serveur : l'équipe technique est prévenue. Réessayez plus tard.",
            ),
            status=500,
        )
    return defaults.server_error(request)
