"""API plumbing shared by every app: pagination and the single error format.

Every error body is ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.pagination import EstimatedCountPaginator


class KeysetPagination(CursorPagination):
    """``?cursor=`` pages: newest first, each page found from the previous page's last row
    (no OFFSET, no COUNT), so walking a large list costs the same on page 1 and page 1000 and
    never skips or repeats a row when rows are added meanwhile."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):
        return self.ordering


class Pagination(PageNumberPagination):
    """Every list: numbered pages where people browse — ``count`` exact up to 1,000 rows, the
    planner's estimate beyond, and ``count_is_estimate`` says which (core/pagination.py) — or
    keyset pages (``?cursor=``, empty to start, then the ``next`` link) for integrations walking
    a large list; in keyset mode ``count`` is null (not counted)."""

    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = EstimatedCountPaginator

    def paginate_queryset(self, queryset, request, view=None):
        self._keyset = None
        if KeysetPagination.cursor_query_param in request.query_params:
            self._keyset = KeysetPagination()
            self._keyset.page_size = self.get_page_size(request)
            return self._keyset.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if getattr(self, "_keyset", None) is not None:
            return Response(
                {
                    "count": None,
                    "count_is_estimate": False,
                    "next": self._keyset.get_next_link(),
                    "previous": self._keyset.get_previous_link(),
                    "results": data,
                }
            )
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_estimate": self.page.paginator.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "nombre total de lignes (null en pagination par curseur)",
        }
        response["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": "vrai quand count est une estimation (plus de 1 000 lignes)",
        }
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": KeysetPagination.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "pagination par curseur : vide pour la première page, puis le curseur du lien "
                "« next » (plus récent d'abord, sans compte total)",
                "schema": {"type": "string"},
            },
        ]


class ContentNegotiation(DefaultContentNegotiation):
    """A download view declares ``binary_media_types`` (what its GET answers, e.g. PDF): its
    ``Accept`` is checked against them — ``application/pdf``, ``application/*`` or ``*/*`` (or no
    header) pass, ``application/json`` alone is refused (406) since the answer is not JSON — and
    its errors stay in the JSON envelope. Every other view negotiates as DRF does."""

    def select_renderer(self, request, renderers, format_suffix=None):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        binary = getattr(view, "binary_media_types", None)
        if not binary or request.method not in ("GET", "HEAD"):
            return super().select_renderer(request, renderers, format_suffix)
        json_renderer = next((r for r in renderers if isinstance(r, JSONRenderer)), renderers[0])
        accepted = [
            media_range.split(";")[0].strip()
            for media_range in (request.META.get("HTTP_ACCEPT") or "*/*").split(",")
        ]
        for media_range in accepted:
            if any(_media_matches(media_type, media_range) for media_type in binary):
                return json_renderer, json_renderer.media_type
        raise exceptions.NotAcceptable(
            f"Cette adresse renvoie un fichier ({', '.join(binary)}) : demandez ce type dans "
            "l'en-tête « Accept » (ou */*)."
        )


def _media_matches(media_type: str, media_range: str) -> bool:
    kind, _, sub = media_type.partition("/")
    range_kind, _, range_sub = media_range.partition("/")
    return range_kind in ("*", kind) and range_sub in ("*", sub, "")


def _fields_from(detail) -> dict:
    if isinstance(detail, dict):
        return {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, RecursionError):
        # A request body nested deeper than the parsers (json, yaml) can recurse: refuse it as
        # malformed input rather than answer 500.
        return Response(
            error_body(
                "parse_error", "Données trop profondément imbriquées : simplifiez la structure envoyée."
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ApplicationError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body("invalid", exc.message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Introuvable.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied("Vous n'avez pas le droit de faire cette action.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _fields_from(detail)
        if isinstance(detail, list):
            message = "; ".join(str(d) for d in detail)
        else:
            message = "Données invalides : " + ", ".join(f"{k} — {' '.join(v)}" for k, v in fields.items())
        response.data = error_body("invalid", message, fields)
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(str(code), str(detail))
    return response
