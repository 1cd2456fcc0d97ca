"""Issue 20: the candidate's page names each bloc by its code AND its intitulé, in the natural
order of the codes (results, contrôle continu, rattrapage) — a code alone tells the candidate
nothing."""

from django.test import Client
from django.urls import reverse

from core.natural import natural_key
from espace_candidat import selectors
from espace_candidat.models import CandidateAccess
from juries import services as js
from tests.espace_candidat.conftest import invite


def _page(client, org, dossier, name="espace_dossier"):
    return client.get(reverse(name, kwargs={"org_slug": org.slug, "dossier_id": dossier.public_id}))


def test_results_and_rattrapage_name_each_bloc(sitting, alice, org_a):
    jury, admis, partiel = sitting
    js.jury_results_publish(jury=jury, by=alice)
    invite(org_a, partiel.candidate, alice)
    client = Client()
    client.force_login(CandidateAccess.objects.get(candidate=partiel.candidate).user)
    blocs = list(partiel.referentiel.blocs.all())
    page = _page(client, org_a, partiel).content.decode()
    positions = []
    for bloc in blocs:
        shown = f"{bloc.code} — {bloc.intitule}".replace("'", "&#x27;")
        assert shown in page, shown
        positions.append(page.index(shown))
    assert positions == sorted(positions)  # BC01, BC02, BC03, BC04
    failed = partiel.referentiel.blocs.get(code="RNCP36390BC02")
    rattrapage = page.split('id="rattrapage"', 1)[1]
    assert f"{failed.code} — {failed.intitule}".replace("'", "&#x27;") in rattrapage
    form = _page(client, org_a, partiel, "espace_rattrapage").content.decode()
    assert f"<li>{failed.code} — {failed.intitule}".replace("'", "&#x27;") in form


def test_bloc_rows_are_in_natural_order_with_their_intitule(sitting, alice):
    """BC2 before BC10, whatever order the rows come in; the implicit bloc is not shown."""
    jury, admis, partiel = sitting
    blocs = list(partiel.referentiel.blocs.all())
    rows = [{"code": b.code, "valide": True} for b in reversed(blocs)] + [
        {"code": "HORS-REF", "valide": False}
    ]
    named = selectors._named_blocs(partiel, rows)
    assert [r["code"] for r in named] == sorted([b.code for b in blocs] + ["HORS-REF"], key=natural_key)
    assert {r["code"]: r["intitule"] for r in named}[blocs[0].code] == blocs[0].intitule
    assert [r["code"] for r in selectors.continuous_assessment(partiel)] == sorted(
        (b.code for b in blocs), key=natural_key
    )
