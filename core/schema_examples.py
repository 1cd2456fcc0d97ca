"""An example for every operation of the published schema (request body and success answer).

One mechanism for the whole API: each app declares, in its ``api_examples.py``, the example
values of the fields its serializers show — ``VALUES = {"field": value, "Component.field":
value}`` (the component's own entry first; a value is used only where it has the field's shape)
and, for the few answers the schema leaves free-form, ``ANSWERS = {operation_id: value}`` — taken from the seeds (RNCP36390, the CQPM, their
blocs and capacités) and plausible French data, never an internal code. The postprocessing hook
below builds each operation's examples from its schema with those values, so an example always
has the shape its schema describes (``tests/api/test_schema_examples.py`` validates each one).
A field no app gives a value for falls back on its type and is listed by ``missing_values()``:
the test requires that list to be empty, so a new field comes with its example value.
Binary answers (PDF, ZIP, CSV…) carry no JSON example: their description says what they are.
"""

import uuid
from importlib import import_module
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

NAMESPACE = uuid.UUID("5f0d9a44-8a3c-4c43-9d1e-6f1f4f0a7c11")
MAX_DEPTH = 8
# Component-name endings that name the same object (a request's or a page's shape).
SUFFIXES = ("Request", "Detail", "Input", "Create", "Update", "Read", "Row", "Summary")

_values: dict[str, Any] = {}
_answers: dict[str, Any] = {}
_missing: set[str] = set()
_loaded = False


def register(values: dict[str, Any], answers: dict[str, Any] | None = None) -> None:
    _values.update(values)
    _answers.update(answers or {})


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "api_examples"):
                module = import_module(f"{config.name}.api_examples")
                register(module.VALUES, getattr(module, "ANSWERS", {}))


def missing_values() -> list[str]:
    return sorted(_missing)


def _object_name(component: str) -> str:
    name = component.removeprefix("Patched")
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name.lower()


def example_uuid(name: str) -> str:
    """The same id for the same object wherever it appears (a dossier's ``id`` and ``dossier``)."""
    return str(uuid.uuid5(NAMESPACE, name.lower()))


class _Builder:
    def __init__(self, components: dict):
        self.components = components

    def resolve(self, schema: dict) -> tuple[dict, str | None]:
        name = None
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.components.get(name, {})
        return schema, name

    def value(self, schema: dict, *, component: str | None, field: str | None, depth: int = 0):
        schema, ref_name = self.resolve(schema)
        if ref_name:
            component = ref_name
        if depth > MAX_DEPTH:
            return None
        for key in (f"{component}.{field}", field) if field else ():
            if key in _values and self.fits(_values[key], schema):
                return _values[key]
        for combinator in ("allOf", "oneOf", "anyOf"):
            if schema.get(combinator):
                merged = {k: v for k, v in schema.items() if k != combinator}
                first, first_name = self.resolve(schema[combinator][0])
                return self.value(
                    {**first, **merged}, component=first_name or component, field=field, depth=depth + 1
                )
        if "enum" in schema:
            choices = [c for c in schema["enum"] if c not in (None, "")]
            return choices[0] if choices else schema["enum"][0]
        if "example" in schema:
            return schema["example"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.object(schema, component=component, field=field, depth=depth)
        if kind == "array":
            item = self.value(schema.get("items", {}), component=component, field=field, depth=depth + 1)
            return [] if item is None else [item]
        return self.scalar(schema, component=component, field=field)

    def fits(self, value, schema: dict) -> bool:
        """A registry value is used where it has the field's shape (``decision`` is a choice on
        a jury decision, an id on a rectification)."""
        schema, _name = self.resolve(schema)
        for combinator in ("allOf", "oneOf", "anyOf"):
            if schema.get(combinator):
                return any(self.fits(value, part) for part in schema[combinator])
        if value is None:
            return bool(schema.get("nullable"))
        if isinstance(value, dict) and schema.get("properties"):
            return False  # a described object is built field by field
        if "enum" in schema:
            return value in schema["enum"]
        kind = schema.get("type")
        expected: Any = {
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "array": list,
            "object": dict,
        }.get(kind or ("object" if "properties" in schema else ""))
        if expected is None:
            return True
        if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
            return False
        if kind == "string" and schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                return False
        if kind == "array" and value:
            return self.fits(value[0], schema.get("items", {}))
        if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict) and value:
            return self.fits(next(iter(value.values())), schema["additionalProperties"])
        return True

    def object(self, schema: dict, *, component: str | None, field: str | None, depth: int) -> dict:
        out = {}
        for name, prop in (schema.get("properties") or {}).items():
            if name == "id" and self.resolve(prop)[0].get("format") == "uuid":
                out[name] = _values.get(f"{component}.id") or example_uuid(_object_name(component or ""))
                continue
            out[name] = self.value(prop, component=component, field=name, depth=depth + 1)
        if not out and field:  # a free-form object: its value comes from the registry
            _missing.add(f"{component}.{field}")
        return out

    def scalar(self, schema: dict, *, component: str | None, field: str | None):
        kind, fmt = schema.get("type"), schema.get("format")
        if fmt == "uuid":
            return example_uuid((field or "objet").removesuffix("_id"))
        if fmt == "date":
            return "2026-06-15"
        if fmt == "date-time":
            return "2026-06-15T09:30:00+02:00"
        if fmt == "email":
            return "lea.durand@example.fr"
        if fmt == "uri":
            return "https://certification.example.fr/"
        if fmt == "binary":
            return _values.get(field or "", "(contenu du fichier)")
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            low = schema.get("minimum", 0)
            return max(low, 1) if schema.get("maximum", 1) >= 1 else low
        if schema.get("maxLength") == 0:
            return ""
        _missing.add(f"{component}.{field}")
        return "Exemple"


def schema_example(schema: dict, components: dict, *, component: str | None = None):
    _load()
    return _Builder(components).value(schema, component=component, field=None)


def add_examples(result, generator, request, public):
    """Postprocessing hook: an example on every JSON request body and success answer."""
    _load()
    components = result.get("components", {}).get("schemas", {})
    builder = _Builder(components)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            bodies = [(False, (operation.get("requestBody") or {}).get("content") or {})]
            for code, answer in (operation.get("responses") or {}).items():
                if str(code).startswith("2"):
                    bodies.append((True, answer.get("content") or {}))
            for is_answer, content in bodies:
                for media_type, media in content.items():
                    if media_type.startswith(("application/json", "multipart/", "application/x-www-form")):
                        if is_answer and operation.get("operationId") in _answers:
                            # A free-form answer (statistics, a credential): the app's own example.
                            value = _answers[operation["operationId"]]
                        else:
                            value = builder.value(media.get("schema", {}), component=None, field=None)
                        media["examples"] = {"exemple": {"summary": "Exemple", "value": value}}
    return result


__all__ = ["add_examples", "example_uuid", "missing_values", "register", "schema_example"]
