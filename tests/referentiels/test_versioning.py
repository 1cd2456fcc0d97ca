"""Versioning holes: a published version's activité ↔ capacités links are frozen in the database,
and exactly one version of a code is published."""

import json

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import ApplicationError
from referentiels.models import Activite, Capacite, Referentiel
from referentiels.seeds import seed_path
from referentiels.services import referentiel_import, referentiel_new_version, referentiel_publish


def _doc(version: int) -> dict:
    doc = json.loads(seed_path("rncp36390.json").read_text())
    doc["version"] = version
    return doc


@pytest.fixture
def published(cci):
    ref = referentiel_import(doc=_doc(1), certificateur=cci)
    return referentiel_publish(referentiel=ref, by=cci)


def _refused(action):
    with pytest.raises(IntegrityError, match="capacités de ses activités"), transaction.atomic():
        action()


def test_published_activite_capacites_links_are_frozen(published):
    activite = Activite.objects.filter(referentiel=published).first()
    linked = activite.capacites.first()
    other = Capacite.objects.filter(referentiel=published).exclude(pk__in=activite.capacites.all()).first()
    _refused(lambda: activite.capacites.remove(linked))
    _refused(lambda: activite.capacites.add(other))
    _refused(lambda: activite.capacites.clear())
    table = Activite.capacites.through._meta.db_table

    def raw_update():
        with connection.cursor() as cursor:
            sql = f"UPDATE {table} SET capacite_id = %s WHERE activite_id = %s"  # noqa: S608 - table name from the model
            cursor.execute(sql, [other.pk, activite.pk])

    _refused(raw_update)
    assert linked in activite.capacites.all() and other not in activite.capacites.all()


def test_a_draft_cannot_link_a_published_capacite(published, cci):
    draft = referentiel_new_version(referentiel=published, by=cci)
    activite = Activite.objects.filter(referentiel=draft).first()
    _refused(lambda: activite.capacites.add(Capacite.objects.filter(referentiel=published).first()))


def test_draft_links_stay_editable(published, cci):
    draft = referentiel_new_version(referentiel=published, by=cci)
    activite = Activite.objects.filter(referentiel=draft).first()
    activite.capacites.clear()
    activite.capacites.add(*Capacite.objects.filter(referentiel=draft)[:2])
    assert activite.capacites.count() == 2


def test_publishing_a_higher_version_archives_the_published_one(published, cci):
    v2 = referentiel_publish(referentiel=referentiel_import(doc=_doc(2), certificateur=cci), by=cci)
    assert dict(Referentiel.objects.values_list("version", "status")) == {1: "archived", 2: "published"}
    assert v2.status == "published"


def test_publishing_a_lower_numbered_draft_is_refused(cci):
    referentiel_publish(referentiel=referentiel_import(doc=_doc(2), certificateur=cci), by=cci)
    v1 = referentiel_import(doc=_doc(1), certificateur=cci)
    with pytest.raises(ApplicationError, match="v2 est déjà publiée"):
        referentiel_publish(referentiel=v1, by=cci)
    assert dict(Referentiel.objects.values_list("version", "status")) == {1: "draft", 2: "published"}


def test_the_database_keeps_one_published_version_per_code(published, cci):
    v2 = referentiel_import(doc=_doc(2), certificateur=cci)
    with pytest.raises(IntegrityError, match="referentiel_one_published_per_code"), transaction.atomic():
        Referentiel.objects.filter(pk=v2.pk).update(status="published", published_at=published.published_at)
