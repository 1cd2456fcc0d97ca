"""Bad référentiel input is a precise 400 / CommandError naming the element, never a 500."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from organisations.roles import Role
from referentiels.models import Referentiel
from referentiels.seeds import seed_path
from tests.conftest import make_member

MODALITE = {
    "type": "entretien",
    "intitule": "",
    "duree_minutes": None,
    "points": None,
    "forme": "",
    "notes": "",
}


def _seed() -> dict:
    return json.loads(seed_path("rncp36390.json").read_text())


def _with_points(value):
    doc = _seed()
    doc["blocs"][0]["modalites"] = [dict(MODALITE, points=value)]
    return doc


def _with_duration(value):
    doc = _seed()
    doc["blocs"][1]["capacites"][0]["modalites"] = [dict(MODALITE, duree_minutes=value)]
    return doc


def _with_version(value):
    doc = _seed()
    doc["version"] = value
    return doc


def _with_list_code():
    doc = _seed()
    doc["activites"][0]["capacites"] = [doc["activites"][0]["capacites"][0], ["C.1.1.2"]]
    return doc


BAD = [
    pytest.param(json.dumps(_with_points(2**31)), "blocs[0].modalites[0].points", "trop grand", id="points"),
    pytest.param(
        json.dumps(_with_duration(10**30)),
        "blocs[1].capacites[0].modalites[0].duree_minutes",
        "trop grand",
        id="duree",
    ),
    pytest.param(json.dumps(_with_version(2**31)), "élément version", "trop grand", id="version"),
    pytest.param(
        json.dumps(_with_list_code()), "activites[0].capacites[1]", "chaîne de caractères", id="code-liste"
    ),
    pytest.param("[" * 100_000 + "]" * 100_000, "document", "imbrication trop profonde", id="json-profond"),
]


@pytest.fixture
def cci_staff(cci):
    return make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")


def test_the_valid_document_imports(cci_staff, api_for):
    upload = SimpleUploadedFile("ok.json", json.dumps(_with_points(2**31 - 1)).encode())
    response = api_for(cci_staff).post("/api/v1/referentiels/import", {"fichier": upload}, format="multipart")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("text", "where", "what"), BAD)
def test_api_import_refuses_bad_input_precisely(text, where, what, cci_staff, api_for):
    upload = SimpleUploadedFile("mauvais.json", text.encode())
    response = api_for(cci_staff).post("/api/v1/referentiels/import", {"fichier": upload}, format="multipart")
    assert response.status_code == 400, response.content[:500]
    message = response.json()["error"]["fields"]["fichier"][0]
    assert message.startswith("mauvais.json, ") and where in message and what in message, message
    assert Referentiel.objects.count() == 0


@pytest.mark.parametrize(("text", "where", "what"), BAD)
def test_command_refuses_bad_input_precisely(text, where, what, cci, tmp_path):
    path = tmp_path / "mauvais.json"
    path.write_text(text)
    with pytest.raises(CommandError) as raised:
        call_command("import_referentiel", str(path), certificateur="cci-france")
    assert where in str(raised.value) and what in str(raised.value)
    assert Referentiel.objects.count() == 0


def test_deeply_nested_yaml_is_a_format_error(cci, tmp_path):
    path = tmp_path / "profond.yaml"
    path.write_text("[" * 3000 + "]" * 3000)
    with pytest.raises(CommandError, match="imbrication trop profonde"):
        call_command("import_referentiel", str(path), certificateur="cci-france")
