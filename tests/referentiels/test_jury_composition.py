"""The jury's composition rules as data of the référentiel version (issue 18, point 3).

Seed 004 (RNCP36390 règlement d'examen, §7 « le jury de certification »): « Il est composé de 4
personnes quelle que soit la voie d'accès : - 1 Président de jury : personnalité qualifiée du monde
économique - 2 professionnels qualifiés du secteur d'activité, représentatifs du métier cible - 1
représentant de la CCI / établissement concerné n'ayant pas formé les apprenants »; « Les membres
du jury doivent avoir exercé ou encadré les métiers cibles pendant une durée minimale d'un an et ne
pas être en inactivité depuis plus de 3 ans. »
"""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction

from core.db_roles import as_owner
from core.errors import ApplicationError
from juries.rules import composition_failures, rules_for
from organisations.roles import Role
from referentiels.exchange import FormatError, document_check, document_dumps, document_parse
from referentiels.jury_composition import (
    CQPM,
    DEFAULT,
    RNCP36390,
    composition_describe,
    composition_of,
    composition_parse,
)
from referentiels.models import Referentiel
from referentiels.services import (
    referentiel_composition_update,
    referentiel_export,
    referentiel_import,
    referentiel_new_version,
    referentiel_publish,
)
from tests.conftest import make_member


def _member(role, **kw):
    base = dict(
        prenom="Pierre",
        nom=role.title(),
        role=role,
        email=f"{role}@x.test",
        personnalite_qualifiee=role == "president",
        a_forme_candidats=False,
        college="",
        annees_metier=Decimal(5),
        annees_inactivite=Decimal(0),
        conflit_interets="",
    )
    base.update(kw)
    return SimpleNamespace(**base)


SEED_JURY = [
    _member("president"),
    _member("professionnel"),
    _member("professionnel", nom="B"),
    _member("representant"),
]


# --- the typed parse (no database) ----------------------------------------------------------------


def test_absent_rules_are_the_family_default_as_the_code_had_them():
    # « Il est composé de 4 personnes quelle que soit la voie d'accès » (seed 004, RNCP36390)
    rncp = composition_parse({}, code="RNCP36390", kind="RNCP")
    assert rncp == RNCP36390
    assert rncp.roles == {"president": 1, "professionnel": 2, "representant": 1} and rncp.minimum_votants == 4
    # « pendant une durée minimale d'un an et ne pas être en inactivité depuis plus de 3 ans »
    assert (rncp.annees_metier_min, rncp.inactivite_max_annees) == (Decimal(1), Decimal(3))
    assert composition_parse(None, code="CQPM-0042", kind="CQPM") == CQPM
    assert composition_parse({}, code="RNCP99999", kind="RNCP") == DEFAULT
    # the stored data of the migration is the default itself: same rules either way
    assert composition_parse(RNCP36390.as_data(), code="RNCP36390", kind="RNCP") == RNCP36390
    assert composition_parse(CQPM.as_data(), code="CQPM-0042", kind="CQPM") == CQPM


def test_keys_given_override_the_family_default_only_where_given():
    rules = composition_parse(
        {"roles": {"president": 1, "professionnel": 3, "representant": 1}, "minimum_votants": 5},
        code="RNCP36390",
        kind="RNCP",
    )
    assert rules.minimum_votants == 5 and rules.roles["professionnel"] == 3
    assert rules.president_personnalite_qualifiee and rules.inactivite_max_annees == Decimal(3)
    # the seed's jury of 4 no longer sits under these rules: the check reads the data
    assert "Il faut 3 professionnels du métier ; le jury en compte 2." in composition_failures(
        rules, SEED_JURY
    )
    assert composition_failures(RNCP36390, SEED_JURY) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("4 personnes", "composition_jury : un objet est attendu"),
        ({"membres": 4}, "composition_jury : clé inconnue « membres »"),
        ({"minimum_votants": "quatre"}, "minimum_votants : un nombre entier est attendu, pas « quatre »."),
        ({"minimum_votants": 0}, "minimum_votants : entre 1 et 30 (0 donné)."),
        ({"minimum_votants": True}, "minimum_votants : un nombre entier est attendu"),
        ({"paritaire": "oui"}, "paritaire : oui ou non (true / false) est attendu, pas « oui »."),
        ({"roles": {"jure": 2}}, "roles.jure : rôle inconnu « jure »"),
        ({"roles": {"president": 2}}, "roles.president : un jury a exactement 1 président"),
        ({"roles": {"president": 1, "professionnel": -1}}, "roles.professionnel : entre 0 et 30 (-1 donné)."),
        ({"annees_metier_min": "un an"}, "annees_metier_min : un nombre d'années est attendu (ou null)"),
        ({"inactivite_max_annees": 80}, "inactivite_max_annees : entre 0 et 50 ans (80 donné)."),
        ({"delai_publication_semaines": 0}, "delai_publication_semaines : entre 1 et 52 (0 donné)."),
        ({"libelle": 12}, "libelle : un texte est attendu."),
        (
            {"roles": {"president": 1, "professionnel": 1, "representant": 1}, "minimum_votants": 4},
            "minimum_votants : les rôles comptent 3 votant(s), moins que le minimum de 4 : aucun jury ne pourrait siéger.",
        ),
    ],
)
def test_bad_rules_are_refused_in_french_naming_the_key(data, message):
    with pytest.raises(ApplicationError) as err:
        composition_parse(data, code="RNCP36390", kind="RNCP")
    assert message in err.value.message and err.value.field == "composition_jury"


def test_the_rules_read_in_french():
    lines = composition_describe(RNCP36390)
    assert (
        "Membres votants par rôle : 1 président, 2 professionnels du métier, 1 représentant de l'établissement."
        in lines
    )
    assert "Le président est une personnalité qualifiée du monde économique." in lines
    assert "Aucun membre n'est inactif depuis plus de 3 an(s)." in lines
    # « La divulgation des résultats doit avoir lieu 6 semaines au plus tard après la date du dernier examen »
    assert "Résultats publiés au plus tard 6 semaines après le dernier examen." in lines


# --- stored on the version, edited by the certificateur --------------------------------------------


@pytest.fixture
def draft(seeds, certificateurs):
    return referentiel_new_version(referentiel=seeds["rncp36390.json"], by=certificateurs["cci-france"])


def test_the_certificateur_edits_a_drafts_rules_and_the_jury_check_follows(draft, certificateurs):
    cci = certificateurs["cci-france"]
    assert rules_for(draft) == RNCP36390
    referentiel_composition_update(
        referentiel=draft,
        by=cci,
        composition={"minimum_votants": 5, "roles": {"president": 1, "professionnel": 3, "representant": 1}},
    )
    draft.refresh_from_db()
    assert draft.composition_jury == {
        "minimum_votants": 5,
        "roles": {"president": 1, "professionnel": 3, "representant": 1},
    }
    assert rules_for(draft).minimum_votants == 5
    # a new version carries the rules over (they travel in the exchange format)
    referentiel_publish(referentiel=draft, by=cci)
    successor = referentiel_new_version(referentiel=draft, by=cci)
    assert successor.version == draft.version + 1
    assert composition_of(Referentiel.objects.get(pk=successor.pk)).roles["professionnel"] == 3


def test_bad_rules_write_nothing_and_a_published_version_is_not_edited(draft, seeds, certificateurs):
    cci = certificateurs["cci-france"]
    before = Referentiel.objects.get(pk=draft.pk).composition_jury
    with pytest.raises(ApplicationError, match="roles.president : un jury a exactement 1 président"):
        referentiel_composition_update(referentiel=draft, by=cci, composition={"roles": {"president": 0}})
    assert Referentiel.objects.get(pk=draft.pk).composition_jury == before
    with pytest.raises(ApplicationError, match="il ne peut plus être modifié"):
        referentiel_composition_update(referentiel=seeds["rncp36390.json"], by=cci, composition={})
    with pytest.raises(ApplicationError):
        referentiel_composition_update(referentiel=draft, by=certificateurs["uimm"], composition={})


def _base(ref):
    return f"/o/cci-france/referentiels/{ref.public_id}"


def test_the_page_shows_previews_saves_and_refuses_bad_input(draft, certificateurs, client_for):
    client = client_for(make_member(certificateurs["cci-france"], Role.CERTIFICATEUR, "staff@cci.test"))
    detail = client.get(f"{_base(draft)}/").content.decode()
    assert "Composition du jury" in detail and "Au moins 4 membres votants." in detail
    page = client.get(f"{_base(draft)}/jury/")
    assert page.status_code == 200 and "Membres votants par rôle" in page.content.decode()
    preview = client.post(f"{_base(draft)}/jury/", {"composition_jury": "minimum_votants: 3", "apercu": "1"})
    assert preview.status_code == 200 and "Au moins 3 membres votants." in preview.content.decode()
    assert Referentiel.objects.get(pk=draft.pk).composition_jury == {}  # a preview writes nothing
    bad = client.post(f"{_base(draft)}/jury/", {"composition_jury": "minimum_votants: zéro"})
    assert bad.status_code == 400
    assert "minimum_votants : un nombre entier est attendu, pas « zéro »." in bad.content.decode()
    unreadable = client.post(f"{_base(draft)}/jury/", {"composition_jury": "roles: [president"})
    assert unreadable.status_code == 400 and "texte illisible" in unreadable.content.decode()
    assert Referentiel.objects.get(pk=draft.pk).composition_jury == {}
    saved = client.post(
        f"{_base(draft)}/jury/",
        {"composition_jury": "minimum_votants: 5\nroles: {president: 1, professionnel: 3, representant: 1}"},
    )
    assert saved.status_code == 302
    assert Referentiel.objects.get(pk=draft.pk).composition_jury["minimum_votants"] == 5
    assert "Au moins 5 membres votants." in client.get(f"{_base(draft)}/").content.decode()


# --- in the exchange format and the API ----------------------------------------------------------


def test_the_rules_travel_in_the_exchange_format_and_round_trip(draft, certificateurs):
    cci = certificateurs["cci-france"]
    assert "composition_jury" not in referentiel_export(referentiel=draft)  # the family's default: no key
    rules = {"minimum_votants": 5, "roles": {"president": 1, "professionnel": 3, "representant": 1}}
    referentiel_composition_update(referentiel=draft, by=cci, composition=rules)
    doc = referentiel_export(referentiel=Referentiel.objects.get(pk=draft.pk))
    assert doc["composition_jury"] == rules
    text = document_dumps(doc, fmt="yaml")
    doc = document_parse(text, "rncp36390.yaml")
    doc["version"] = 99
    copy = referentiel_import(doc=doc, certificateur=cci)
    assert Referentiel.objects.get(pk=copy.pk).composition_jury == rules
    assert composition_of(copy).minimum_votants == 5
    exported = referentiel_export(referentiel=Referentiel.objects.get(pk=copy.pk))
    assert document_dumps({**exported, "version": draft.version}, fmt="yaml") == text


@pytest.mark.parametrize(
    "rules, where, message",
    [
        ({"roles": {"president": 0}}, "composition_jury.roles.president", "un jury a exactement 1 président"),
        ({"quorum": 3}, "composition_jury", "clé inconnue « quorum »"),
        ({"minimum_votants": "quatre"}, "composition_jury.minimum_votants", "un nombre entier est attendu"),
    ],
)
def test_bad_rules_in_a_document_are_refused_naming_the_key_and_nothing_is_written(
    draft, certificateurs, rules, where, message
):
    doc = {**referentiel_export(referentiel=draft), "version": 98, "composition_jury": rules}
    with pytest.raises(FormatError) as error:
        document_check(doc)
    assert error.value.where == f"élément {where}" and message in error.value.message
    before = Referentiel.objects.count()
    with pytest.raises(FormatError):
        referentiel_import(doc=doc, certificateur=certificateurs["cci-france"])
    assert Referentiel.objects.count() == before


def test_the_api_reads_and_replaces_a_drafts_rules_and_refuses_bad_ones(
    draft, seeds, certificateurs, api_for
):
    api = api_for(make_member(certificateurs["cci-france"], Role.CERTIFICATEUR, "staff@cci.test"))
    url = f"/api/v1/referentiels/{draft.public_id}/composition-jury"
    read = api.get(url)
    assert read.status_code == 200, read.content
    assert read.json()["composition_jury"] == {} and read.json()["appliquee"]["minimum_votants"] == 4
    bad = api.put(url, {"composition_jury": {"roles": {"president": 2}}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == (
        "roles.president : un jury a exactement 1 président (il signe le procès-verbal en dernier)."
    )
    assert Referentiel.objects.get(pk=draft.pk).composition_jury == {}
    saved = api.put(url, {"composition_jury": {"observateurs_admis": False}}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["composition_jury"] == {"observateurs_admis": False}
    assert saved.json()["appliquee"]["observateurs_admis"] is False
    assert saved.json()["appliquee"]["roles"] == {"president": 1, "professionnel": 2, "representant": 1}
    published = seeds["rncp36390.json"]
    refused = api.put(
        f"/api/v1/referentiels/{published.public_id}/composition-jury",
        {"composition_jury": {}},
        format="json",
    )
    assert refused.status_code == 400 and "il ne peut plus être modifié" in refused.json()["error"]["message"]
    other = api_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    assert other.put(url, {"composition_jury": {}}, format="json").status_code == 404
    assert Referentiel.objects.get(pk=draft.pk).composition_jury == {"observateurs_admis": False}


# --- the migration's fill ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_every_existing_version_with_its_familys_rules(seeds):
    """Published versions included (their guard trigger is disabled for the fill only)."""
    fill = importlib.import_module("referentiels.migrations.0008_referentiel_composition_jury").fill
    rncp, cqpm = seeds["rncp36390.json"], seeds["cqpm-attache-gestion.json"]
    assert rncp.status == cqpm.status == "published"
    with as_owner(), connection.schema_editor() as editor:
        fill(django_apps, editor)
    rncp.refresh_from_db(), cqpm.refresh_from_db()
    assert rncp.composition_jury == RNCP36390.as_data() and composition_of(rncp) == RNCP36390
    assert cqpm.composition_jury == CQPM.as_data() and composition_of(cqpm) == CQPM
    others = Referentiel.objects.exclude(code="RNCP36390").exclude(kind="CQPM")
    assert all(r.composition_jury == DEFAULT.as_data() for r in others)
    # the guard is back: a published version still refuses any change
    with pytest.raises(IntegrityError, match="il ne peut plus être modifié"), transaction.atomic():
        Referentiel.objects.filter(pk=rncp.pk).update(composition_jury={})
