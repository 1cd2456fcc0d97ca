"""issue 17 « The proof »: « The schema is published with examples for each operation (binary
responses described so that generated clients keep them) ». Walks ``/api/schema/``: every
operation has an example for its request body (when it has one) and for its success answer, each
example validates against its own schema, and binary answers are described."""

import copy
import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from core import schema_examples

METHODS = ("get", "post", "put", "patch", "delete")
JSON_LIKE = ("application/json", "multipart/", "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: ``nullable`` is a type that admits null."""
    if isinstance(node, dict):
        node = {k: _json_schema(v) for k, v in node.items() if k not in ("example", "discriminator")}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
            if "type" not in node and "enum" not in node:
                node = {"anyOf": [node, {"type": "null"}]}
        # OpenAPI's readOnly / writeOnly are annotations for JSON Schema: nothing to do.
        return node
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


def _bodies(operation):
    """(label, media type, media object) of the request body and each success answer."""
    for media_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
        yield "requête", media_type, media
    for code, answer in operation["responses"].items():
        if str(code).startswith("2"):
            content = answer.get("content")
            if content is None:
                yield f"réponse {code}", None, answer
            for media_type, media in (content or {}).items():
                yield f"réponse {code}", media_type, media | {"description": answer.get("description", "")}


def test_every_operation_has_examples_and_binaries_are_described(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 130
    missing, undescribed, with_examples = [], [], 0
    for name, operation in operations:
        complete = True
        for label, media_type, media in _bodies(operation):
            if media_type is None:  # 204: nothing to show
                continue
            if media_type.startswith(JSON_LIKE):
                value = ((media.get("examples") or {}).get("exemple") or {}).get("value")
                if value in (None, {}, []):
                    missing.append(f"{name} ({label}, {media_type})")
                    complete = False
            elif not (media.get("description") or operation.get("description") or operation.get("summary")):
                undescribed.append(f"{name} ({label}, {media_type})")
            elif media.get("schema", {}).get("type") != "string":  # a file: binary, or text (YAML)
                undescribed.append(f"{name} ({label}, {media_type}): not a file")
        with_examples += complete
    assert missing == [], "\n".join(missing)
    assert undescribed == []
    assert with_examples == len(operations)
    # No example field fell back on a placeholder: every field has a value from an app's registry.
    assert schema_examples.missing_values() == [], ", ".join(schema_examples.missing_values())


def test_every_example_validates_against_its_schema(schema):
    components = _json_schema(schema["components"])
    invalid = []
    for name, operation in _operations(schema):
        for label, media_type, media in _bodies(operation):
            if media_type is None or not media_type.startswith(JSON_LIKE):
                continue
            value = media["examples"]["exemple"]["value"]
            root = _json_schema(copy.deepcopy(media["schema"])) | {"components": components}
            validator = Draft202012Validator(root, format_checker=FormatChecker())
            for error in validator.iter_errors(value):
                where = "/".join(str(p) for p in error.absolute_path)
                invalid.append(f"{name} ({label}) {where}: {error.message[:160]}")
    assert invalid == [], "\n".join(invalid)


def test_examples_use_seed_data_and_no_internal_code(schema):
    text = json.dumps(schema["paths"], ensure_ascii=False)
    assert "RNCP36390" in text and "Léa" in text
    # No placeholder and no integer key of a référentiel's part in an example.
    for name, operation in _operations(schema):
        for _label, media_type, media in _bodies(operation):
            if media_type and media_type.startswith(JSON_LIKE):
                body = json.dumps(media["examples"]["exemple"]["value"])
                assert '"Exemple"' not in body, name
                assert '"modalite_id": 1' not in body and '"capacite_id": 1' not in body, name
