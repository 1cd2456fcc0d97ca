"""Oversight pages, exports and API: figures across centres, filters, 404 for everyone else."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from certificateur.selectors import EXPORT_COLUMNS, OversightFilters, oversight_figures, renewal_figures
from organisations.roles import Role
from tests.certificateur.conftest import make_dossier
from tests.conftest import make_member


def _routes(prefix_filter):
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return sorted(r for r in walk(get_resolver().url_patterns) if prefix_filter(r))


def _url(route, slug):
    import re
    import uuid

    def repl(m):
        conv, name = m.group(1), m.group(2)
        if name == "org_slug":
            return slug
        return {"uuid": str(uuid.uuid4()), "str": "csv"}.get(conv or "str", "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", repl, route)


CERTIF_ROUTES = _routes(lambda r: "/supervision/" in r)


def test_route_list_is_complete():
    assert any(r.startswith("o/") for r in CERTIF_ROUTES) and any(
        r.startswith("api/v1/") for r in CERTIF_ROUTES
    )
    assert len(CERTIF_ROUTES) >= 18


@pytest.mark.parametrize("route", CERTIF_ROUTES)
def test_centre_users_get_404_on_every_certificateur_url(route, world, org_a, alice, client_for, api_for):
    """A centre member, on their own centre's slug (admin included), never reaches these pages."""
    admin = make_member(org_a, Role.ADMIN, "admin-a@test.local")
    for member in (alice, admin):
        url = _url(route, org_a.slug)
        if route.startswith("api/"):
            api = api_for(member)
            for method in ("get", "post"):
                assert getattr(api, method)(url, {}, format="json").status_code == 404, (
                    member.role,
                    method,
                    url,
                )
        else:
            client = client_for(member)
            client.force_login(member.user)
            session = client.session
            session["mfa_ok"] = True
            session.save()
            for method in ("get", "post"):
                assert getattr(client, method)(url).status_code == 404, (member.role, method, url)


@pytest.mark.parametrize("route", CERTIF_ROUTES)
def test_other_certificateur_gets_404(route, world, cci_user, uimm_user, client_for):
    if route.startswith("api/"):
        return  # covered by the URL matrix (token bound to the other organisation)
    client = client_for(uimm_user)
    assert client.get(_url(route, world["cci"].slug)).status_code == 404


def test_figures_across_centres(world, org_a, org_b):
    figures = oversight_figures(certificateur=world["cci"])
    rows = {(r["code"], r["annee"]): r for r in figures["per_code_year"]}
    y2025, y2024 = rows[("RNCP36390", 2025)], rows[("RNCP36390", 2024)]
    assert (y2025["certifie"], y2025["certifie_vae"], y2025["partiel"], y2025["ajourne"]) == (2, 1, 1, 0)
    assert y2025["taux"] == pytest.approx(66.7)
    assert (y2024["certifie"], y2024["ajourne"], y2024["nb_centres"]) == (1, 1, 1)
    assert figures["totals"]["centres"] == 2 and figures["totals"]["dossiers"] == 6
    assert "CQPM-attache-gestion" not in {r["code"] for r in figures["per_code_year"]}
    per_centre = {c["centre"].slug: c for c in figures["per_centre"]}
    assert per_centre["centre-a"]["certifie"] == 2 and per_centre["centre-b"]["delibere"] == 2
    # blocs: 2025 → Alpha, Bravo all blocs, Charlie first bloc only
    first = world["rncp"].blocs.order_by("order").first().code
    bloc_2025 = next(b for b in figures["per_bloc_year"] if b["code"] == first and b["annee"] == 2025)
    assert (bloc_2025["acquis"], bloc_2025["n"]) == (3, 3)
    assert renewal_figures(certificateur=world["cci"]) == [
        {"code": "RNCP36390", "annee": 2025, "nombre_certifies": 2, "nombre_certifies_vae": 1},
        {"code": "RNCP36390", "annee": 2024, "nombre_certifies": 1, "nombre_certifies_vae": 0},
    ]


def test_filters_by_centre_and_period(world):
    by_centre = oversight_figures(certificateur=world["cci"], filters=OversightFilters(centre="centre-b"))
    assert by_centre["totals"]["dossiers"] == 3
    period = OversightFilters.from_params({"du": "01/01/2025", "au": "31/12/2025"})
    assert oversight_figures(certificateur=world["cci"], filters=period)["totals"]["certifies"] == 2
    assert OversightFilters.from_params({"du": "2025-01-01"}).errors == {"du": "Date à saisir en jj/mm/aaaa."}


def test_figures_in_constant_queries(world, org_a):
    with CaptureQueriesContext(connection) as few:
        oversight_figures(certificateur=world["cci"])
    with __import__("organisations.tenancy", fromlist=["tenant_context"]).tenant_context(org_a):
        for i in range(6):
            make_dossier(org_a, world["rncp"], nom=f"Extra{i}")
    with CaptureQueriesContext(connection) as many:
        oversight_figures(certificateur=world["cci"])
    assert len(many) == len(few) <= 12


def test_dashboard_page_shows_figures_and_svg(world, cci_user, client_for):
    response = client_for(cci_user).get(f"/o/{world['cci'].slug}/supervision/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Centre A" in html and "Centre B" in html and "<svg" in html
    assert "Réussite par bloc et par année" in html and "RNCP36390" in html
    assert "CQPM-attache-gestion" not in html
    # SVG coordinates are never localised ("16,4" would be read as per-glyph positions)
    import re

    assert not re.search(r'\b(?:x|y|width|height)="[0-9]+,[0-9]', html)


def test_dashboard_bad_period_is_explained(world, cci_user, client_for):
    response = client_for(cci_user).get(f"/o/{world['cci'].slug}/supervision/?du=2025")
    assert response.status_code == 400 and "jj/mm/aaaa" in response.content.decode()


def test_export_csv_and_xlsx(world, cci_user, client_for):
    client = client_for(cci_user)
    response = client.get(f"/o/{world['cci'].slug}/supervision/export.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [h for _k, h, _d in EXPORT_COLUMNS]
    assert sorted(r[5] for r in rows[1:]) == ["Alpha", "Bravo", "Charlie", "Echo", "Foxtrot", "Golf"]
    response = client.get(f"/o/{world['cci'].slug}/supervision/export.xlsx?centre=centre-a")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == [h for _k, h, _d in EXPORT_COLUMNS] and len(values) == 4


def test_export_columns_are_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "certificateur-exports.md").read_text()
    for _key, header, _desc in EXPORT_COLUMNS:
        assert f"`{header}`" in doc


def test_api_figures_results_and_files(world, cci_user, api_for):
    api = api_for(cci_user)
    base = f"/api/v1/o/{world['cci'].slug}/supervision"
    figures = api.get(f"{base}/figures/?centre=centre-a").json()
    assert figures["totals"]["dossiers"] == 4 - 1  # Alpha, Bravo, Charlie (Delta is UIMM's)
    assert api.get(f"{base}/renouvellement/").json()[0]["nombre_certifies"] == 2
    results = api.get(f"{base}/resultats/?page_size=2").json()
    assert results["count"] == 6 and len(results["results"]) == 2
    assert api.get(f"{base}/resultats/export/xlsx/").status_code == 200
    bad = api.get(f"{base}/figures/?au=demain")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {
        "au": ["Date à saisir en jj/mm/aaaa."]
    }


def test_dossier_page_read_only_and_404_for_other_certificateur(world, cci_user, uimm_user, client_for):
    a1 = world["a1"]
    client = client_for(cci_user)
    assert client.get(f"/o/{world['cci'].slug}/supervision/dossiers/{a1.public_id}/").status_code == 200
    # UIMM's own dossier is not CCI's to see
    assert (
        client.get(f"/o/{world['cci'].slug}/supervision/dossiers/{world['a4'].public_id}/").status_code == 404
    )
