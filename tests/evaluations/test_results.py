"""Results per capacité / bloc / composante, their history, validation and the engine's inputs."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from candidates.models import Dossier
from candidates.services import dossier_transition
from core.errors import ApplicationError
from evaluations.models import ResultatChange
from evaluations.readiness import missing_results
from evaluations.selectors import engine_inputs
from evaluations.services import resultat_record, resultat_validate, suivi_update
from referentiels.regles import propose
from tests.builders import RNCP_FULL, rncp_results
from tests.evaluations.conftest import inscribed_dossier


def test_cqpm_results_feed_the_engine(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["cqpm"])
    for cap in referentiels["cqpm"].capacites.all():
        resultat_validate(
            resultat=resultat_record(dossier=dossier, by=alice, capacite=cap, etat="acquis"), by=alice
        )
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.EN_EVALUATION  # first result moved it
    assert missing_results(dossier) == []
    inputs = engine_inputs([dossier])[dossier.pk]
    assert (
        propose(
            inputs.regle, inputs.structure, inputs.resultats, date_decision=dossier.date_inscription
        ).decision
        == "certifie"
    )


def test_rncp_points_feed_the_engine_with_penalty(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    rncp_results(dossier, alice, blocs=RNCP_FULL)
    suivi_update(dossier=dossier, by=alice, taux_absence="3.2")
    inputs = engine_inputs([dossier])[dossier.pk]
    proposition = propose(
        inputs.regle, inputs.structure, inputs.resultats, date_decision=dossier.date_inscription
    )
    assert proposition.total_points == Decimal(
        "611"
    )  # blocs 140 + 100 + 90 + 85, then 100 + 60 + 36 (40 − 10 %)
    assert proposition.decision == "certifie"


def test_bad_input_is_refused_and_writes_nothing(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    bloc = referentiels["rncp"].blocs.get(code="RNCP36390BC01")
    with pytest.raises(ApplicationError, match="au plus 150"):
        resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu=10, epreuves=151)
    with pytest.raises(ApplicationError, match="n'est pas un nombre"):
        resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu="douze", epreuves=1)
    with pytest.raises(ApplicationError, match="Composante inconnue"):
        resultat_record(dossier=dossier, by=alice, composante="danse", points=1)
    other = referentiels["cqpm"].capacites.first()
    with pytest.raises(ApplicationError, match="points par bloc"):
        resultat_record(dossier=dossier, by=alice, capacite=other, etat="acquis")
    assert dossier.resultats.count() == 0


def test_results_are_frozen_outside_evaluation(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["cqpm"])
    dossier_transition(dossier=dossier, to=Dossier.Status.ABANDON, by=alice, reason="départ")
    with pytest.raises(ApplicationError, match="figés"):
        resultat_record(
            dossier=dossier, by=alice, capacite=referentiels["cqpm"].capacites.first(), etat="acquis"
        )


def test_history_is_kept_and_append_only(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["cqpm"])
    cap = referentiels["cqpm"].capacites.first()
    r = resultat_record(dossier=dossier, by=alice, capacite=cap, etat="non_acquis")
    resultat_validate(resultat=r, by=alice)
    r = resultat_record(dossier=dossier, by=alice, capacite=cap, etat="acquis", reason="Erreur de saisie")
    assert r.valide is False  # a change needs a new validation
    changes = list(ResultatChange.objects.filter(resultat=r).values_list("field", "old", "new"))
    assert ("etat", "non_acquis", "acquis") in changes and ("valide", "True", "False") in changes
    with (
        pytest.raises(DatabaseError, match="historique"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE evaluations_resultatchange SET new = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM evaluations_resultatchange")


def test_readiness_guard_blocks_until_results_are_validated(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    rncp_results(dossier, alice, blocs=RNCP_FULL, validate=False)
    with pytest.raises(ApplicationError) as exc:
        dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice)
    assert "Bloc RNCP36390BC01 : résultat non validé." in exc.value.message
    for r in dossier.resultats.all():
        resultat_validate(resultat=r, by=alice)
    assert (
        dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice).status
        == "pret_pour_jury"
    )


def test_engine_inputs_query_count_is_constant(in_a, alice, referentiels, django_assert_num_queries):
    dossiers = [inscribed_dossier(alice, referentiels["rncp"], nom_naissance=f"N{i}") for i in range(3)]
    for d in dossiers:
        rncp_results(d, alice, blocs=RNCP_FULL)
    ids = [d.pk for d in dossiers]
    # Seven queries whatever the number of dossiers: the dossiers, their référentiels' règles,
    # blocs, capacités, results, suivis, carried blocs.
    with django_assert_num_queries(7):
        engine_inputs(Dossier.objects.filter(pk__in=ids[:1]))
    with django_assert_num_queries(7):
        engine_inputs(Dossier.objects.filter(pk__in=ids))
