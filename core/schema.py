"""OpenAPI generation hooks (drf-spectacular)."""

import inspect

from django_scopes import scopes_disabled
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ScopedSchemaGenerator(SchemaGenerator):
    """Tenant views build their querysets in ``get_queryset``; the generator only reads the
    queryset's model and never evaluates it, so the scope check is lifted while it runs."""

    def create_view(self, callback, method, request=None):
        # Tenant list views build their queryset from the request (organisation, URL ids) that
        # schema generation does not have: describe them with their serializer's model.
        view = super().create_view(callback, method, request)
        if getattr(view, "queryset", None) is None:
            meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
            model = getattr(meta, "model", None)
            if model is not None:
                view.queryset = model._default_manager.none()
        return view

    def get_schema(self, request=None, public=False):
        with scopes_disabled():
            return super().get_schema(request=request, public=public)


class AutoSchema(SpectacularAutoSchema):
    """Only a GET list is paginated: a POST on a list view (inscriptions, jury dossiers) answers a
    plain array, which the schema described as a page (a generated client then failed to read it)."""

    def _get_paginator(self):
        if self.method != "GET":
            return None
        return super()._get_paginator()

    # Descriptions come from a class's own docstring, not one it inherits: every operation was
    # described as « Base of every /api/v1/o/<org_slug>/… view » and every model by the
    # InlineEnums mixin's notes — in English, about the code, in the integrator's client.
    def get_description(self):
        method = getattr(self.view, self.method.lower(), None)
        if method is not None and method.__doc__:
            return super().get_description()
        own = type(self.view).__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if not type(serializer).__dict__.get("__doc__") and "description" in schema:
            del schema["description"]
        return schema


class MembershipTokenScheme(OpenApiAuthenticationExtension):
    target_class = "organisations.authentication.MembershipTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "« Token <clé> » — jeton lié à une adhésion (organisation + rôle).",
        }


# "" is not ``format: email``: a blank e-mail (a candidate without one, a convocation not sent)
# is published as the one other value.
BLANK_OR_EMAIL = {"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]}

# DRF renders a ``TimeField`` as a local ISO 8601 time ("09:00:00", microseconds when set); JSON
# Schema's ``format: time`` is RFC 3339's full-time, which requires an offset ("09:00:00Z").
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "example": "09:00:00",
    "description": "heure locale (HH:MM[:SS])",
}


@extend_schema_field(BLANK_OR_EMAIL)
class EmailOrBlankField(serializers.EmailField):
    """An e-mail address, or "" where the model's field is ``blank=True``."""


@extend_schema_field(LOCAL_TIME)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without offset, as DRF reads and renders it."""


class KnownFieldsSerializer(serializers.Serializer):
    """An input serializer that refuses the keys it does not declare (400 naming each one) instead
    of ignoring them: a PATCH of a fixed or misspelled field must not answer 200 unchanged.
    ``fixed_fields`` maps a field that exists but cannot change to the reason given."""

    fixed_fields: dict[str, str] = {}

    def to_internal_value(self, data):
        errors = {}
        if hasattr(data, "keys"):
            for key in data.keys():
                if key in self.fields and not self.fields[key].read_only:
                    continue
                name = str(key)[:50]
                errors[name] = [
                    self.fixed_fields.get(name) or f"Champ inconnu ou non modifiable : « {name} »."
                ]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if errors and isinstance(exc.detail, dict):
                exc.detail.update(errors)
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "Clé choisie par le client (un UUID par exemple) : une requête renvoyée avec la même clé "
        "dans les 24 h reçoit la première réponse (en-tête « Idempotent-Replayed: true ») au lieu "
        "de créer un doublon ; la même clé avec une autre requête est refusée (422)."
    ),
}


IDEMPOTENT_PREFIXES = ("/api/v1/o/", "/api/v1/referentiels/")


def idempotency_header(result, generator, request, public):
    """Postprocessing hook: every POST of an organisation's API and of the catalogue's takes
    ``Idempotency-Key``."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(IDEMPOTENT_PREFIXES) or "post" not in operations:
            continue
        parameters = operations["post"].setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(IDEMPOTENCY_PARAMETER)
    return result


def inline_enums(result, generator, request, public):
    """Postprocessing hook, after drf-spectacular's enum naming: a field whose schema is
    ``{"allOf": [<inline enum>], ...}`` (``candidates.serializers.InlineEnums`` wraps them so
    they keep no shared name) becomes the enum itself. Generators read a lone ``allOf`` with a
    title as an object: openapi-python-client made « Civilité » an empty model."""

    def walk(node):
        if isinstance(node, dict):
            parts = node.get("allOf")
            if (
                isinstance(parts, list)
                and len(parts) == 1
                and isinstance(parts[0], dict)
                and "enum" in parts[0]
            ):
                rest = {k: v for k, v in node.items() if k != "allOf"}
                node.clear()
                node.update({**parts[0], **rest})
                if node.get("nullable") and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result.get("components", {}))
    walk(result.get("paths", {}))
    return result


def json_request_bodies(result, generator, request, public):
    """Postprocessing hook: a body the API reads as JSON is published as JSON only. DRF's default
    parsers also take the same fields as a form, which the schema listed three times over; a
    generated client then offered three encodings of one model (and openapi-python-client's
    code for it did not even import). Uploads (multipart only) keep their form."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = (
                (operation.get("requestBody") or {}).get("content") if isinstance(operation, dict) else None
            )
            if content and "application/json" in content:
                for media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                    content.pop(media_type, None)
    return result
