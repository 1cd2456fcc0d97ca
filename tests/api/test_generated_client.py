"""issue 17: a client generated from /api/schema/ by openapi-python-client keeps every operation —
binary downloads (PV, parchemins, ZIP, émargement, pièces, export RGPD) included."""

import pytest

from tests.api.generated_client import generate, warnings_of


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return generate(schema, tmp_path_factory.mktemp("client"))


def test_generated_client_has_no_warning(generated):
    # Today: 5 warnings « Unsupported content_type application/pdf … response will be omitted ».
    _package, output = generated
    assert warnings_of(output) == []


def test_downloads_are_files_in_the_generated_client(generated):
    package, _output = generated
    from importlib import import_module

    for module in (
        "v1_o_documents_download_retrieve",
        "v1_o_documents_zip_retrieve",
        "v1_o_epreuves_emargement_retrieve",
        "v1_o_pieces_retrieve",
        "v1_o_candidates_rgpd_export_retrieve",
        "v1_o_supervision_resultats_export_retrieve",
        "v1_o_supervision_accrochage_flux_xml_retrieve",
    ):
        api = import_module(f"{package.__name__}.api.v1.{module}")
        assert api.sync_detailed.__annotations__["return"].__args__[0].__name__ == "File", module
