"""The published OpenAPI schema admits the values the API really renders (found by schemathesis:
``tests/security/test_fuzz_api.py``): blank model fields, null relations, local times."""

import jsonschema
import pytest
from drf_spectacular.settings import spectacular_settings


@pytest.fixture(scope="module")
def components():
    return spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)


def _validator(schema, component, prop):
    sub = {"$ref": f"#/components/schemas/{component}/properties/{prop}", "components": schema["components"]}
    return jsonschema.Draft7Validator(sub, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    "component, prop, values",
    [
        ("DossierSummary", "decision", ["", "certifie"]),
        ("Dossier", "statut_professionnel", ["", "apprenti"]),
        ("Transition", "from_status", ["", "inscrit"]),
        ("Candidate", "email", ["", "lea@example.fr"]),
        ("CandidateList", "email", ["", "lea@example.fr"]),
        ("Convocation", "email", ["", "lea@example.fr"]),
        ("AvisCapacite", "avis", ["", "favorable"]),
        ("Avis", "prolongations", [0, 2]),
        ("Tuteur", "entreprise", [None, "6182c7cd-ab06-4ad7-96e0-de724347a3c4"]),
        ("Document", "certificateur", [None, "cci-france"]),
        ("Epreuve", "heure_debut", ["09:00:00", "14:30"]),
    ],
)
def test_rendered_values_conform(components, component, prop, values):
    validator = _validator(components, component, prop)
    for value in values:
        if value is None:  # OpenAPI 3.0 "nullable", which JSON Schema draft 7 does not read
            assert components["components"]["schemas"][component]["properties"][prop].get("nullable")
            continue
        assert not list(validator.iter_errors(value)), (component, prop, value)
    if None not in values:  # and still refuses what the API never renders
        assert list(validator.iter_errors("pas un e-mail" if "email" in prop else "zzz")), (component, prop)
