"""Editing a draft on the page: blocs, modalités, règle d'obtention (certificateur owner only)."""

import copy

import pytest

from core.errors import ApplicationError
from organisations.roles import Role
from referentiels.models import Bloc, Capacite, Modalite, Referentiel
from referentiels.services import (
    bloc_create,
    bloc_delete,
    bloc_update,
    modalites_set,
    referentiel_export,
    referentiel_new_version,
    referentiel_publish,
    referentiel_regle_update,
)
from tests.conftest import make_member

PUBLISHED = "il ne peut plus être modifié"
MODALITE = {
    "type": "entretien",
    "intitule": "Entretien final",
    "duree_minutes": 30,
    "points": 20,
    "forme": "oral",
    "notes": "",
}


@pytest.fixture
def cci_staff(cci):
    return make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")


@pytest.fixture
def draft(seeds, cci):
    return referentiel_new_version(referentiel=seeds["rncp36390.json"], by=cci)


@pytest.fixture
def cqpm_draft(seeds, certificateurs):
    return referentiel_new_version(referentiel=seeds["cqpm-attache-gestion.json"], by=certificateurs["uimm"])


def _snapshot(referentiel):
    return referentiel_export(referentiel=Referentiel.objects.get(pk=referentiel.pk))


# --- services ------------------------------------------------------------------------------


def test_bloc_update_renames_moves_and_keeps_its_grid_line(draft, cci):
    bloc = Bloc.objects.get(referentiel=draft, code="RNCP36390BC02")
    bloc_update(bloc=bloc, by=cci, code="BC02-bis", intitule="Gestion revue", position=1)
    doc = _snapshot(draft)
    assert [b["code"] for b in doc["blocs"]] == [
        "BC02-bis",
        "RNCP36390BC01",
        "RNCP36390BC03",
        "RNCP36390BC04",
    ]
    assert doc["blocs"][0]["intitule"] == "Gestion revue" and doc["blocs"][0]["capacites"]
    assert [line["bloc"] for line in doc["regle"]["blocs"]][1] == "BC02-bis"
    draft.refresh_from_db()
    referentiel_publish(referentiel=draft, by=cci)  # still a valid référentiel


def test_bloc_update_bad_input_writes_nothing(draft, cci):
    before = _snapshot(draft)
    bloc = Bloc.objects.get(referentiel=draft, code="RNCP36390BC02")
    with pytest.raises(ApplicationError, match="Un autre bloc porte déjà le code « RNCP36390BC01 »") as err:
        bloc_update(bloc=bloc, by=cci, code="RNCP36390BC01", intitule="x")
    assert err.value.field == "code"
    with pytest.raises(ApplicationError, match="intitulé du bloc est obligatoire"):
        bloc_update(bloc=bloc, by=cci, code="X", intitule="  ")
    with pytest.raises(ApplicationError, match="Position invalide : entre 1 et 4"):
        bloc_update(bloc=bloc, by=cci, code="X", intitule="Y", position=9)
    assert _snapshot(draft) == before


def test_bloc_create_and_delete(cqpm_draft, certificateurs):
    uimm = certificateurs["uimm"]
    bloc = bloc_create(
        referentiel=cqpm_draft,
        by=uimm,
        code="B2",
        intitule="Deuxième bloc",
        capacite_code="C99",
        capacite_intitule="Nouvelle capacité",
    )
    doc = _snapshot(cqpm_draft)
    assert [b["code"] for b in doc["blocs"]] == ["BLOC-UNIQUE", "B2"]
    assert doc["blocs"][1]["capacites"][0]["code"] == "C99"
    with pytest.raises(ApplicationError, match="Une capacité porte déjà le code « C99 »"):
        bloc_create(
            referentiel=cqpm_draft,
            by=uimm,
            code="B3",
            intitule="x",
            capacite_code="C99",
            capacite_intitule="y",
        )
    modalites_set(referentiel=cqpm_draft, by=uimm, bloc=bloc, modalites=[MODALITE])
    bloc_delete(bloc=bloc, by=uimm)
    assert (
        _snapshot(cqpm_draft)["blocs"][0]["code"] == "BLOC-UNIQUE"
        and len(_snapshot(cqpm_draft)["blocs"]) == 1
    )
    assert (
        not Capacite.objects.filter(code="C99").exists()
        and not Modalite.objects.filter(bloc_id=bloc.pk).exists()
    )
    with pytest.raises(ApplicationError, match="au moins un bloc"):
        bloc_delete(bloc=Bloc.objects.get(referentiel=cqpm_draft), by=uimm)


def test_a_new_bloc_in_a_points_grid_blocks_publication_until_the_regle_has_it(draft, cci):
    bloc_create(
        referentiel=draft,
        by=cci,
        code="BC05",
        intitule="Bloc 5",
        capacite_code="C.5.1",
        capacite_intitule="Une compétence",
    )
    with pytest.raises(Exception, match="regle.blocs"):
        referentiel_publish(referentiel=draft, by=cci)


def test_modalites_set_replaces_and_bad_input_names_the_row(draft, cci):
    capacite = Capacite.objects.get(referentiel=draft, code="C.1.1.1")
    modalites_set(
        referentiel=draft,
        by=cci,
        capacite=capacite,
        modalites=[MODALITE, {**MODALITE, "type": "etude_de_cas", "forme": "ecrit"}],
    )
    assert [(m.type, m.forme, m.duree_minutes) for m in capacite.modalites.all()] == [
        ("entretien", "oral", 30),
        ("etude_de_cas", "ecrit", 30),
    ]
    before = _snapshot(draft)
    with pytest.raises(ApplicationError, match="Modalité n° 2 : type de modalité inconnu « chant »") as err:
        modalites_set(
            referentiel=draft, by=cci, capacite=capacite, modalites=[MODALITE, {**MODALITE, "type": "chant"}]
        )
    assert err.value.field == "type"
    with pytest.raises(
        ApplicationError, match="Modalité n° 1 : un entier positif ou null est attendu"
    ) as err:
        modalites_set(referentiel=draft, by=cci, capacite=capacite, modalites=[{**MODALITE, "points": -3}])
    assert err.value.field == "points"
    assert _snapshot(draft) == before


def test_regle_update_uses_the_importers_validation(draft, cqpm_draft, cci, certificateurs):
    referentiel_regle_update(referentiel=cqpm_draft, by=certificateurs["uimm"], regle={"type": "tous_blocs"})
    assert Referentiel.objects.get(pk=cqpm_draft.pk).regle == {"type": "tous_blocs"}
    regle = copy.deepcopy(draft.regle)
    regle["seuil_points"] = 1200
    with pytest.raises(
        ApplicationError, match=r"regle.seuil_points : doit être ≤ total_points \(1000\)"
    ) as err:
        referentiel_regle_update(referentiel=draft, by=cci, regle=regle)
    assert err.value.field == "regle"
    regle = copy.deepcopy(draft.regle)
    regle["blocs"] = regle["blocs"][:3]
    with pytest.raises(ApplicationError, match="regle.total_points"):
        referentiel_regle_update(referentiel=draft, by=cci, regle=regle)
    with pytest.raises(ApplicationError, match="regle.type : type inconnu « au_choix »"):
        referentiel_regle_update(referentiel=draft, by=cci, regle={"type": "au_choix"})
    assert Referentiel.objects.get(pk=draft.pk).regle == draft.regle


def test_every_edit_is_refused_on_a_published_version(seeds, cci):
    ref = seeds["rncp36390.json"]
    bloc = Bloc.objects.filter(referentiel=ref).first()
    before = _snapshot(ref)
    attempts = [
        lambda: bloc_update(bloc=bloc, by=cci, code="X", intitule="Y"),
        lambda: bloc_create(
            referentiel=ref, by=cci, code="X", intitule="Y", capacite_code="Z", capacite_intitule="W"
        ),
        lambda: bloc_delete(bloc=bloc, by=cci),
        lambda: modalites_set(referentiel=ref, by=cci, bloc=bloc, modalites=[]),
        lambda: referentiel_regle_update(referentiel=ref, by=cci, regle={"type": "tous_blocs"}),
    ]
    for attempt in attempts:
        with pytest.raises(ApplicationError, match=PUBLISHED):
            attempt()
    assert _snapshot(ref) == before


def test_another_certificateur_cannot_edit(draft, certificateurs):
    bloc = Bloc.objects.filter(referentiel=draft).first()
    with pytest.raises(ApplicationError, match="autre certificateur"):
        bloc_update(bloc=bloc, by=certificateurs["uimm"], code="X", intitule="Y")
    with pytest.raises(ApplicationError, match="autre certificateur"):
        referentiel_regle_update(referentiel=draft, by=certificateurs["uimm"], regle={"type": "tous_blocs"})


# --- pages ---------------------------------------------------------------------------------


def _base(ref):
    return f"/o/cci-france/referentiels/{ref.public_id}"


def test_blocs_page_edits_and_refuses_bad_input(draft, cci_staff, client_for):
    client = client_for(cci_staff)
    page = client.get(f"{_base(draft)}/blocs/")
    assert page.status_code == 200 and 'for="b1_code"' in page.content.decode()
    response = client.post(
        f"{_base(draft)}/blocs/",
        {
            "action": "update",
            "bloc": "RNCP36390BC04",
            "code": "RNCP36390BC04",
            "intitule": "Nouvel intitulé",
            "position": "1",
        },
    )
    assert response.status_code == 302
    assert Bloc.objects.get(referentiel=draft, code="RNCP36390BC04").order == 0
    before = _snapshot(draft)
    response = client.post(
        f"{_base(draft)}/blocs/",
        {"action": "update", "bloc": "RNCP36390BC04", "code": "RNCP36390BC01", "intitule": "x"},
    )
    assert (
        response.status_code == 400
        and "Un autre bloc porte déjà le code « RNCP36390BC01 »" in response.content.decode()
    )
    response = client.post(f"{_base(draft)}/blocs/", {"action": "create", "code": "", "intitule": "x"})
    assert response.status_code == 400 and "Ce champ est obligatoire" in response.content.decode()
    assert _snapshot(draft) == before
    response = client.post(f"{_base(draft)}/blocs/", {"action": "delete", "bloc": "RNCP36390BC04"})
    assert (
        response.status_code == 302
        and not Bloc.objects.filter(referentiel=draft, code="RNCP36390BC04").exists()
    )


def test_edit_pages_on_a_published_version_say_why_and_write_nothing(seeds, cci_staff, client_for):
    ref = seeds["rncp36390.json"]
    client = client_for(cci_staff)
    before = _snapshot(ref)
    for path, data in [
        ("blocs/", {"action": "update", "bloc": "RNCP36390BC01", "code": "X", "intitule": "Y"}),
        ("modalites/?bloc=RNCP36390BC01", {"m-TOTAL_FORMS": "0", "m-INITIAL_FORMS": "0"}),
        ("regle/", {"regle": "type: tous_blocs"}),
        ("jury/", {"composition_jury": "minimum_votants: 5"}),
    ]:
        response = client.post(f"{_base(ref)}/{path}", data, follow=True)
        assert response.redirect_chain[-1][0] == f"{_base(ref)}/"
        assert (
            "est publié : il ne peut plus être modifié. Créez une nouvelle version."
            in response.content.decode()
        )
    assert _snapshot(ref) == before


def test_edit_pages_refused_to_a_centre_and_another_certificateur(draft, certificateurs, org_a, client_for):
    from referentiels.services import habilitation_grant

    habilitation_grant(
        certificateur=certificateurs["cci-france"],
        centre=org_a,
        code="RNCP36390",
        date_debut=draft.created_at.date(),
    )
    gest = client_for(make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test"))
    for path in ("blocs/", "modalites/", "regle/", "jury/"):
        assert gest.get(f"/o/centre-a/referentiels/{draft.public_id}/{path}").status_code == 403
    uimm = client_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    for path in ("blocs/", "modalites/", "regle/", "jury/"):
        assert uimm.get(f"/o/uimm/referentiels/{draft.public_id}/{path}").status_code == 404
        assert (
            uimm.post(
                f"/o/uimm/referentiels/{draft.public_id}/{path}", {"regle": "type: tous_blocs"}
            ).status_code
            == 404
        )


def _formset(rows):
    data = {"m-TOTAL_FORMS": str(len(rows)), "m-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"m-{i}-{k}": "" if v is None else v for k, v in row.items()})
    return data


def test_modalites_page(draft, cci_staff, client_for):
    client = client_for(cci_staff)
    overview = client.get(f"{_base(draft)}/modalites/").content.decode()
    assert "?capacite=C.1.1.1" in overview and "?bloc=RNCP36390BC01" in overview
    url = f"{_base(draft)}/modalites/?capacite=C.1.1.1"
    page = client.get(url).content.decode()
    assert 'id="id_m-0-type"' in page and "Situation professionnelle réelle" in page
    response = client.post(url, _formset([MODALITE, dict.fromkeys(MODALITE, "")]))  # an empty extra row
    assert response.status_code == 302
    assert [
        (m.type, m.points) for m in Capacite.objects.get(referentiel=draft, code="C.1.1.1").modalites.all()
    ] == [("entretien", 20)]
    before = _snapshot(draft)
    response = client.post(url, _formset([{**MODALITE, "duree_minutes": "-5"}]))
    assert response.status_code == 400 and "supérieure ou égale à 0" in response.content.decode()
    response = client.post(url, _formset([{**MODALITE, "type": ""}]))
    assert response.status_code == 400 and "Choisissez le type de cette modalité" in response.content.decode()
    assert _snapshot(draft) == before
    bloc_url = f"{_base(draft)}/modalites/?bloc=RNCP36390BC01"
    n = len(before["blocs"][0]["modalites"])
    data = _formset([{**MODALITE, "DELETE": "on"}] + [MODALITE] * (n - 1))
    assert client.post(bloc_url, data).status_code == 302
    assert Modalite.objects.filter(bloc__referentiel=draft, bloc__code="RNCP36390BC01").count() == n - 1


def test_regle_page_preview_errors_and_save(cqpm_draft, certificateurs, client_for):
    client = client_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    url = f"/o/uimm/referentiels/{cqpm_draft.public_id}/regle/"
    page = client.get(url).content.decode()
    assert "type: toutes_capacites" in page and "toutes les capacités professionnelles sont acquises" in page
    preview = client.post(url, {"regle": "type: tous_blocs", "apercu": "1"}, HTTP_HX_REQUEST="true")
    html = preview.content.decode()
    assert (
        preview.status_code == 200
        and "<html" not in html
        and "tous les blocs de compétences sont acquis" in html
    )
    assert Referentiel.objects.get(pk=cqpm_draft.pk).regle == {"type": "toutes_capacites"}
    bad = client.post(url, {"regle": "type: grille_points\ntotal_points: 10"})
    assert (
        bad.status_code == 400 and "regle.seuil_points : champ obligatoire manquant" in bad.content.decode()
    )
    bad = client.post(url, {"regle": "type: [tous"})
    assert bad.status_code == 400 and "ligne 1" in bad.content.decode()
    assert Referentiel.objects.get(pk=cqpm_draft.pk).regle == {"type": "toutes_capacites"}
    assert client.post(url, {"regle": '{"type": "tous_blocs"}'}).status_code == 302
    assert Referentiel.objects.get(pk=cqpm_draft.pk).regle == {"type": "tous_blocs"}


def test_api_regle_update(cqpm_draft, seeds, certificateurs, org_a, api_for):
    staff = make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test")
    api = api_for(staff)
    url = f"/api/v1/referentiels/{cqpm_draft.public_id}/regle"
    response = api.put(url, {"regle": {"type": "tous_blocs"}}, format="json")
    assert response.status_code == 200, response.content
    assert (
        response.json()["regle"] == {"type": "tous_blocs"}
        and "blocs de compétences" in response.json()["description"][0]
    )
    response = api.put(url, {"regle": {"type": "grille_points", "total_points": 10}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "regle.seuil_points : champ obligatoire manquant"
    assert "regle" in response.json()["error"]["fields"]
    published = seeds["cqpm-attache-gestion.json"]
    response = api.put(
        f"/api/v1/referentiels/{published.public_id}/regle", {"regle": {"type": "tous_blocs"}}, format="json"
    )
    assert response.status_code == 400 and PUBLISHED in response.json()["error"]["message"]
    other = make_member(certificateurs["cci-france"], Role.CERTIFICATEUR, "staff@cci.test")
    assert api_for(other).put(url, {"regle": {"type": "tous_blocs"}}, format="json").status_code == 404
    assert Referentiel.objects.get(pk=cqpm_draft.pk).regle == {"type": "tous_blocs"}
    assert Referentiel.objects.get(pk=published.pk).regle == {"type": "toutes_capacites"}
