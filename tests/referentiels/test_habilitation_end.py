"""Ending a habilitation: the certificateur that granted it sets its last day (page and API)."""

import datetime as dt

import pytest
from django.utils import timezone

from organisations.roles import Role
from referentiels.models import Habilitation
from referentiels.selectors import habilitation_valid_for
from referentiels.services import habilitation_grant
from tests.conftest import make_member

START = dt.date(2024, 1, 1)


@pytest.fixture
def cci_staff(cci):
    return make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")


@pytest.fixture
def habilitation(seeds, cci, org_a):
    return habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=START)


@pytest.fixture
def centre_user(habilitation, org_a):
    return make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test")


def _url(habilitation, slug="cci-france"):
    return f"/o/{slug}/referentiels/habilitations/{habilitation.public_id}/fin/"


def test_page_ends_the_habilitation_and_the_centre_loses_the_referentiel(
    cci_staff, habilitation, centre_user, seeds, client_for
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    page = client_for(cci_staff).get("/o/cci-france/referentiels/habilitations/").content.decode()
    assert _url(habilitation) in page and "Mettre fin" in page
    response = client_for(cci_staff).post(_url(habilitation), {"date_fin": yesterday.strftime("%d/%m/%Y")})
    assert response.status_code == 302
    habilitation.refresh_from_db()
    assert habilitation.date_fin == yesterday
    ref = seeds["rncp36390.json"]
    assert habilitation_valid_for(centre=habilitation.centre, referentiel=ref, on=yesterday)
    assert not habilitation_valid_for(centre=habilitation.centre, referentiel=ref, on=timezone.localdate())
    client = client_for(centre_user)
    assert f"/referentiels/{ref.public_id}/" not in client.get("/o/centre-a/referentiels/").content.decode()
    assert client.get(f"/o/centre-a/referentiels/{ref.public_id}/").status_code == 404


def test_end_date_later_keeps_access_until_then(cci_staff, habilitation, client_for, seeds):
    end = timezone.localdate() + dt.timedelta(days=10)
    response = client_for(cci_staff).post(_url(habilitation), {"date_fin": end.isoformat()}, follow=True)
    assert f"fin le {end:%d/%m/%Y}" in response.content.decode()
    ref = seeds["rncp36390.json"]
    assert habilitation_valid_for(centre=habilitation.centre, referentiel=ref, on=end)
    assert not habilitation_valid_for(
        centre=habilitation.centre, referentiel=ref, on=end + dt.timedelta(days=1)
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ("2023-12-31", "La date de fin (31/12/2023) précède le début de l&#x27;habilitation (01/01/2024)."),
        ("31/02/2025", "Date de fin invalide : saisissez-la au format jj/mm/aaaa."),
        ("", "Indiquez la date de fin de l&#x27;habilitation."),
    ],
)
def test_page_bad_date_gives_a_message_and_writes_nothing(
    cci_staff, habilitation, client_for, value, message
):
    response = client_for(cci_staff).post(_url(habilitation), {"date_fin": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html
    assert Habilitation.objects.get(pk=habilitation.pk).date_fin is None


def test_page_refused_to_another_certificateur_and_to_a_centre(
    habilitation, certificateurs, centre_user, client_for
):
    uimm_staff = make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test")
    assert (
        client_for(uimm_staff).post(_url(habilitation, "uimm"), {"date_fin": "2025-01-01"}).status_code == 404
    )
    assert (
        client_for(centre_user).post(_url(habilitation, "centre-a"), {"date_fin": "2025-01-01"}).status_code
        == 403
    )
    assert (
        client_for(centre_user).get("/o/centre-a/referentiels/habilitations/").content.decode().count("/fin/")
        == 0
    )
    assert Habilitation.objects.get(pk=habilitation.pk).date_fin is None


def test_api_ends_the_habilitation(cci_staff, habilitation, api_for):
    url = f"/api/v1/referentiels/habilitations/{habilitation.public_id}/end"
    response = api_for(cci_staff).post(url, {"date_fin": "2025-06-30"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["date_fin"] == "2025-06-30" and response.json()["id"] == str(
        habilitation.public_id
    )
    assert Habilitation.objects.get(pk=habilitation.pk).date_fin == dt.date(2025, 6, 30)


def test_api_bad_date_and_refusals_write_nothing(
    cci_staff, habilitation, certificateurs, centre_user, api_for
):
    url = f"/api/v1/referentiels/habilitations/{habilitation.public_id}/end"
    response = api_for(cci_staff).post(url, {"date_fin": "2023-12-31"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "précède le début" in error["message"] and "date_fin" in error["fields"]
    assert api_for(cci_staff).post(url, {"date_fin": "demain"}, format="json").status_code == 400
    uimm_staff = make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test")
    assert api_for(uimm_staff).post(url, {"date_fin": "2025-01-01"}, format="json").status_code == 404
    assert api_for(centre_user).post(url, {"date_fin": "2025-01-01"}, format="json").status_code == 403
    unknown = "/api/v1/referentiels/habilitations/00000000-0000-4000-8000-000000000000/end"
    assert api_for(cci_staff).post(unknown, {"date_fin": "2025-01-01"}, format="json").status_code == 404
    assert Habilitation.objects.get(pk=habilitation.pk).date_fin is None
