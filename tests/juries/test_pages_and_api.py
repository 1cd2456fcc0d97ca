"""Pages and API of juries: the whole journey through the API, object rules, 404 across tenants, query counts."""

import pytest
from django.contrib import admin
from django.urls import reverse

from juries import services
from juries.models import Jury
from organisations.tenancy import tenant_context
from tests.juries.conftest import JURY_DATE, RNCP_PANEL, compose_rncp, grade_rncp, ready_dossier, totp_code

PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


def _api(org, jury=None, *rest):
    base = f"/api/v1/o/{org.slug}/juries/"
    if jury is None:
        return base
    return base + f"{jury.public_id}/" + "".join(f"{p}/" for p in rest)


@pytest.fixture
def composed(org_a, alice, referentiels, panel):
    with tenant_context(org_a):
        rncp = referentiels["rncp"]
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury API", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossiers = [
            ready_dossier(alice, rncp, nom_naissance="Admis"),
            ready_dossier(
                alice,
                rncp,
                nom_naissance="Partiel",
                grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
            ),
        ]
    return jury, dossiers


def test_api_journey_with_override_and_signatures(org_a, alice, composed, panel, api_for):
    jury, dossiers = composed
    gest = api_for(alice)
    r = gest.post(
        _api(org_a, jury, "dossiers"), {"dossiers": [str(d.public_id) for d in dossiers]}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert {x["proposition"] for x in r.json()} == {"certifie", "partiel"}
    assert gest.post(_api(org_a, jury, "open"), format="json").status_code == 200

    pro = api_for(panel["pro1@test.local"][0])
    decisions = pro.get(_api(org_a, jury, "decisions")).json()["results"]
    by_name = {d["candidat"].split()[0]: d for d in decisions}
    r = pro.post(
        _api(org_a, jury, "decisions", by_name["PARTIEL"]["id"]), {"decision": "certifie"}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["fields"]["motivation"]
    r = pro.post(
        _api(org_a, jury, "decisions", by_name["PARTIEL"]["id"]),
        {"decision": "certifie", "motivation": "Avis de l'entreprise excellent."},
        format="json",
    )
    assert r.status_code == 200 and r.json()["derogation"] is True
    assert (
        pro.post(
            _api(org_a, jury, "decisions", by_name["ADMIS"]["id"]), {"accept": True}, format="json"
        ).status_code
        == 200
    )
    # a gestionnaire does not deliberate (role table)
    assert (
        gest.post(
            _api(org_a, jury, "decisions", by_name["ADMIS"]["id"]), {"accept": True}, format="json"
        ).status_code
        == 403
    )

    pres = api_for(panel["presidente@test.local"][0])
    pv = pres.post(_api(org_a, jury, "close"), format="json").json()
    for email, *_ in RNCP_PANEL[1:] + RNCP_PANEL[:1]:
        membership, secret = panel[email]
        r = api_for(membership).post(
            _api(org_a, jury, "proces-verbaux", pv["id"], "signatures"),
            {"code": totp_code(secret)},
            format="json",
        )
        assert r.status_code == 201, r.json()
        assert r.json()["sha256"] == pv["sha256"]
    assert gest.get(_api(org_a, jury)).json()["status"] == "signe"

    # frozen: the API refuses any change
    r = pro.post(
        _api(org_a, jury, "decisions", by_name["ADMIS"]["id"]),
        {"decision": "ajourne", "motivation": "x"},
        format="json",
    )
    assert r.status_code == 400 and "figée" in r.json()["error"]["message"]
    # results: published only after the PV is complete, épreuves marks kept confidential (RNCP36390)
    assert gest.get(_api(org_a, jury, "results")).status_code == 400
    assert gest.post(_api(org_a, jury, "publish"), format="json").status_code == 200
    results = gest.get(_api(org_a, jury, "results")).json()
    assert all("epreuves" not in b and "controle_continu" in b for r in results for b in r["blocs"])


def test_jury_member_sees_only_their_juries(org_a, alice, composed, client_for, api_for, referentiels):
    jury, _ = composed
    with tenant_context(org_a):
        other = services.jury_create(
            by=alice, referentiel=referentiels["rncp"], intitule="Autre jury", date=JURY_DATE, lieu="Paris"
        )
    from tests.juries.conftest import jury_user

    outsider, _secret = jury_user(org_a, "autre-jure@test.local")
    api = api_for(outsider)
    assert [j["intitule"] for j in api.get(_api(org_a)).json()["results"]] == []
    assert api.get(_api(org_a, jury)).status_code == 404
    client = client_for(outsider)
    assert (
        client.get(
            reverse("jury_detail", kwargs={"org_slug": org_a.slug, "jury_id": other.public_id})
        ).status_code
        == 404
    )


def test_other_organisation_gets_404(org_a, org_b, bob, composed, client_for, api_for):
    jury, _ = composed
    assert api_for(bob).get(_api(org_a, jury)).status_code == 404
    assert (
        client_for(bob)
        .get(reverse("jury_detail", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id}))
        .status_code
        == 404
    )
    # bob in his own organisation cannot reach A's jury by its id either
    assert api_for(bob).get(_api(org_b, jury)).status_code == 404


def test_page_lists_composition_failures_and_refuses_to_open(org_a, alice, referentiels, client_for):
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=referentiels["rncp"], intitule="Jury incomplet", date=JURY_DATE, lieu="Lyon"
        )
    client = client_for(alice)
    url = reverse("jury_detail", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id})
    page = client.get(url).content.decode()
    assert "Le jury ne peut pas encore siéger" in page and "Il faut 1 président" in page
    response = client.post(
        reverse("jury_open", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id}), follow=True
    )
    assert "Le jury ne peut pas siéger" in response.content.decode()
    with tenant_context(org_a):
        assert Jury.objects.get(pk=jury.pk).status == "composition"


def test_member_added_without_account_is_invited_with_jury_role(
    org_a, alice, referentiels, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    """Issue 16 (separation of duties): « only an admin invites or grants `jury` and `admin`; a
    jury's members can be seated only by an admin ». The gestionnaire's POST is refused (nothing
    sent nor written); the administrator's adds the member and invites them with the jury role."""
    from tests.conftest import make_member
    from tests.documents.conftest import with_totp

    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=referentiels["rncp"], intitule="Jury", date=JURY_DATE, lieu="Lyon"
        )
    fields = {
        "email": "nouveau.jure@example.fr",
        "prenom": "Paul",
        "nom": "Nouveau",
        "role": "professionnel",
        "annees_metier": "4",
        "annees_inactivite": "0",
    }
    url = reverse("jury_member_add", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id})
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(url, fields)
    assert response.status_code == 403
    assert mailoutbox == []
    with tenant_context(org_a):
        assert not jury.members.exists()
    admin = with_totp(make_member(org_a, "admin", "admin-a@test.local"))
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, fields, follow=True)
    assert "Paul Nouveau ajouté(e) au jury." in response.content.decode()
    assert len(mailoutbox) == 1 and "Membre de jury" in mailoutbox[0].body
    page = client.get(
        reverse("jury_detail", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id})
    ).content.decode()
    assert "Paul Nouveau n&#x27;a pas encore accepté son invitation" in page


def test_list_query_count_is_constant(
    org_a, alice, referentiels, api_for, client_for, django_assert_max_num_queries
):
    with tenant_context(org_a):
        for i in range(6):
            services.jury_create(
                by=alice, referentiel=referentiels["rncp"], intitule=f"Jury {i}", date=JURY_DATE, lieu="Lyon"
            )
    api = api_for(alice)
    with django_assert_max_num_queries(12):
        assert api.get(_api(org_a)).json()["count"] == 6
    client = client_for(alice)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("jury_list", kwargs={"org_slug": org_a.slug})).status_code == 200


def test_tenant_tables_are_not_in_the_admin():
    assert not any(model._meta.app_label == "juries" for model in admin.site._registry)


def test_dashboard_shows_the_publication_deadline(org_a, alice, composed, client_for):
    jury, _ = composed
    page = client_for(alice).get(reverse("dashboard", kwargs={"org_slug": org_a.slug})).content.decode()
    assert "Publication des résultats" in page and "24/07/2026" in page  # 12/06/2026 + 6 weeks


def test_jury_member_reaches_only_the_documents_of_their_juries(
    org_a, alice, composed, panel, client_for, api_for, cci_docs
):
    """A juror sees the documents (pages and API) of the juries they sit on; any other → 404."""
    from tests.documents.conftest import issue, render_now
    from tests.juries.conftest import jury_user

    jury, _ = composed  # pro1 sits on it
    mine = render_now(issue(org_a, cci_docs, key="mine", holder="Léa Mine", group=jury.group_key))
    theirs = render_now(issue(org_a, cci_docs, key="theirs", holder="Paul Autre", group="jury:autre-jury"))
    juror, _ = panel["pro1@test.local"]
    outsider, _ = jury_user(org_a, "sur-aucun-jury@test.local")
    for membership, visible, hidden in ((juror, mine, theirs), (outsider, None, mine)):
        client, api = client_for(membership), api_for(membership)
        page = client.get("/o/centre-a/documents/").content.decode()
        listed = {d["id"] for d in api.get("/api/v1/o/centre-a/documents/").json()["results"]}
        assert hidden.holder_name not in page and str(hidden.public_id) not in listed
        for url in (
            f"/o/centre-a/documents/{hidden.public_id}/",
            f"/o/centre-a/documents/{hidden.public_id}/telecharger/",
            f"/o/centre-a/documents/archive/?groupe={hidden.group_key}",
            f"/o/centre-a/documents/progression/?groupe={hidden.group_key}",
        ):
            assert client.get(url).status_code == 404, url
        for url in (
            f"/api/v1/o/centre-a/documents/{hidden.public_id}/",
            f"/api/v1/o/centre-a/documents/{hidden.public_id}/download",
            f"/api/v1/o/centre-a/documents/zip?group_key={hidden.group_key}",
            f"/api/v1/o/centre-a/documents/progress?group_key={hidden.group_key}",
        ):
            assert api.get(url).status_code == 404, url
        if visible is not None:
            assert visible.holder_name in page and str(visible.public_id) in listed
            assert client.get(f"/o/centre-a/documents/{visible.public_id}/telecharger/").status_code == 200
            assert api.get(f"/api/v1/o/centre-a/documents/{visible.public_id}/download").status_code == 200
    # the centre's managers still see everything
    listed = {d["id"] for d in api_for(alice).get("/api/v1/o/centre-a/documents/").json()["results"]}
    assert {str(mine.public_id), str(theirs.public_id)} <= listed


@pytest.fixture
def cci_docs(referentiels):
    return referentiels["rncp"].certificateur
