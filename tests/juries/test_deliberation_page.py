"""The deliberation page by pages (500-candidate juries): filters by proposition and decision,
numbered page links, row forms that come back to the page and filters they were posted from."""

import re

import pytest
from django.urls import reverse

from juries import services, views
from organisations.tenancy import tenant_context
from tests.juries.conftest import JURY_DATE, compose_rncp, grade_rncp, ready_dossier, sign_all

PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


@pytest.fixture
def jury5(org_a, alice, referentiels, panel, monkeypatch):
    """A jury in deliberation with 5 candidates (the 4th proposed partiel), 2 rows per page."""
    monkeypatch.setattr(views, "DECISIONS_PER_PAGE", 2)
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury pages", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossiers = []
        for i in range(5):
            grade = (lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40)) if i == 3 else None
            dossiers.append(ready_dossier(alice, rncp, nom_naissance=f"Cand{i}", grade=grade))
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
        services.jury_open(jury=jury, by=alice)
        decisions = list(jury.decisions.select_related("dossier").order_by("order", "pk"))
    return jury, decisions


def _url(org, jury, query=""):
    return reverse("jury_detail", kwargs={"org_slug": org.slug, "jury_id": jury.public_id}) + query


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="d-([0-9a-f-]+)" class="decision-row">', html)


def test_pages_filters_and_links(org_a, jury5, panel, client_for):
    jury, decisions = jury5
    client = client_for(panel["pro1@test.local"][0])
    html = client.get(_url(org_a, jury)).content.decode()
    assert _rows(html) == [str(d.public_id) for d in decisions[:2]]
    assert "(5, 5 à décider)" in html  # the whole jury, not the page
    assert 'href="?page=2#candidats">Page 2</a>' in html and 'href="?page=3#candidats">Page 3</a>' in html
    assert '<span aria-current="page">Page 1</span>' in html
    # one reversed prefix per page: the row links and form actions are still the routes' URLs
    first = decisions[0]
    dossier_url = reverse(
        "dossier_detail", kwargs={"org_slug": org_a.slug, "dossier_id": first.dossier.public_id}
    )
    decision_url = reverse(
        "jury_decision",
        kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id, "decision_id": first.public_id},
    )
    assert f'href="{dossier_url}"' in html and f'action="{decision_url}"' in html

    html = client.get(_url(org_a, jury, "?page=3")).content.decode()
    assert _rows(html) == [str(decisions[4].public_id)]
    html = client.get(_url(org_a, jury, "?page=99")).content.decode()  # out of range: the last page
    assert _rows(html) == [str(decisions[4].public_id)]

    html = client.get(_url(org_a, jury, "?proposition=partiel")).content.decode()
    assert _rows(html) == [str(decisions[3].public_id)]
    assert "Validation partielle (1)" in html and "Certifié (4)" in html
    html = client.get(_url(org_a, jury, "?proposition=nimporte&decision=quoi")).content.decode()
    assert _rows(html) == [str(d.public_id) for d in decisions[:2]]  # unknown filters are ignored


def test_decisions_come_back_to_their_page_and_filters(org_a, jury5, panel, client_for):
    jury, decisions = jury5
    client = client_for(panel["pro1@test.local"][0])
    base = _url(org_a, jury)
    post = reverse(
        "jury_decision",
        kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id, "decision_id": decisions[2].public_id},
    )
    # from the "à décider" filter, page 2: back there, on the row
    r = client.post(post, {"accept": "1", "retour": "decision=a_decider&page=2"})
    assert (
        r.status_code == 302
        and r["Location"] == f"{base}?decision=a_decider&page=2#d-{decisions[2].public_id}"
    )
    html = client.get(_url(org_a, jury, "?decision=a_decider")).content.decode()
    assert str(decisions[2].public_id) not in _rows(html) and "À décider (4)" in html
    html = client.get(_url(org_a, jury, "?decision=certifie")).content.decode()
    assert _rows(html) == [str(decisions[2].public_id)]
    # a forged "retour" keeps only the known filters and a page number
    post4 = reverse(
        "jury_decision",
        kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id, "decision_id": decisions[4].public_id},
    )
    r = client.post(post4, {"accept": "1", "retour": "page=x&next=https://evil.example&decision=quoi"})
    assert r["Location"] == f"{base}#d-{decisions[4].public_id}"
    # without "retour" (another client): the page that shows the row
    r = client.post(post4, {"accept": "1"})
    assert r["Location"] == f"{base}?page=3#d-{decisions[4].public_id}"
    page = client.get(r["Location"]).content.decode()
    assert str(decisions[4].public_id) in _rows(page)


def test_accept_all_and_rectification_cover_every_page(org_a, alice, jury5, panel, client_for):
    jury, decisions = jury5
    pro = client_for(panel["pro1@test.local"][0])
    html = pro.get(_url(org_a, jury)).content.decode()
    assert "Accepter les 5 propositions restantes" in html
    pro.post(reverse("jury_accept_all", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id}))
    with tenant_context(org_a):
        assert not jury.decisions.filter(decision="").exists()
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
        sign_all(pv, panel)
    html = client_for(alice).get(_url(org_a, jury)).content.decode()
    select = html[html.index('id="rect-decision"') :]
    select = select[: select.index("</select>")]
    assert all(f'value="{d.public_id}"' in select for d in decisions)
    assert "CAND0" in select and "(Certifié)" in select
