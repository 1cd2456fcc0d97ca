"""Rattrapage: a new attempt keeps the validated blocs; the référentiel's window and retake count apply."""

import datetime as dt

import pytest
from django.utils import timezone

from candidates import services
from candidates.models import Dossier, DossierBloc
from core.errors import ApplicationError
from tests.builders import pret_dossier

S = Dossier.Status


def partiel(alice, rncp, acquired=("RNCP36390BC01", "RNCP36390BC02"), day=None, **kw):
    dossier = pret_dossier(alice, rncp, **kw)
    return services.dossier_deliberate(
        dossier=dossier, by=alice, decision="partiel", blocs_acquis=list(acquired), date=day
    )


def test_retake_carries_validated_blocs(in_a, alice, rncp):
    first = partiel(alice, rncp)
    retake = services.dossier_rattrapage_open(dossier=first, by=alice)
    assert (retake.attempt, retake.previous_attempt_id, retake.status) == (2, first.pk, S.BROUILLON)
    rows = {
        db.bloc.code: (db.acquis, db.acquis_anterieur)
        for db in DossierBloc.objects.filter(dossier=retake).select_related("bloc")
    }
    assert rows == {
        "RNCP36390BC01": (True, True),
        "RNCP36390BC02": (True, True),
        "RNCP36390BC03": (False, False),
        "RNCP36390BC04": (False, False),
    }
    # Modalités are carried for the blocs to retake only, so the retake can be inscrit at once.
    assert services.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice).status == S.INSCRIT
    assert (
        retake.transitions.order_by("at", "pk").first().reason
        == "Rattrapage de la tentative 1 : RNCP36390BC03, RNCP36390BC04"
    )


def test_retake_refused_past_the_validity_window(in_a, alice, rncp):
    first = partiel(alice, rncp, day=dt.date(2019, 6, 20))
    with pytest.raises(ApplicationError) as exc:
        services.dossier_rattrapage_open(dossier=first, by=alice)
    assert exc.value.message == (
        "Délai de rattrapage dépassé : le règlement de RNCP36390 permet de repasser les blocs dans les 5 ans suivant "
        "la première délibération (20/06/2019), soit jusqu'au 20/06/2024."
    )
    assert not Dossier.objects.filter(previous_attempt=first).exists()


def test_retake_allowed_on_the_last_day_of_the_window(in_a, alice, rncp):
    today = timezone.localdate()
    first = partiel(
        alice,
        rncp,
        day=today.replace(year=today.year - 5) if not (today.month == 2 and today.day == 29) else today,
    )
    assert services.dossier_rattrapage_open(dossier=first, by=alice).attempt == 2


def test_second_retake_of_a_bloc_is_refused(in_a, alice, rncp):
    first = partiel(alice, rncp)
    retake = services.dossier_rattrapage_open(dossier=first, by=alice)
    for step in (S.INSCRIT, S.EN_EVALUATION):
        retake = services.dossier_transition(dossier=retake, to=step, by=alice)
    from candidates.models import Piece
    from tests.builders import pdf_upload

    services.piece_upload(dossier=retake, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=pdf_upload())
    retake = services.dossier_transition(dossier=retake, to=S.PRET_POUR_JURY, by=alice)
    retake = services.dossier_deliberate(
        dossier=retake, by=alice, decision="partiel", blocs_acquis=["RNCP36390BC03"]
    )
    with pytest.raises(ApplicationError) as exc:
        services.dossier_rattrapage_open(dossier=retake, by=alice)
    assert exc.value.message == (
        "Rattrapage refusé : le règlement de RNCP36390 n'autorise que 1 rattrapage(s) par bloc — "
        "RNCP36390BC04 (déjà repassé 1 fois)."
    )


def test_retake_refused_when_certified_or_twice(in_a, alice, rncp, cqpm):
    certified = pret_dossier(alice, cqpm)
    certified = services.dossier_deliberate(
        dossier=certified, by=alice, decision="certifie", blocs_acquis=["BLOC-UNIQUE"]
    )
    with pytest.raises(
        ApplicationError,
        match="Un rattrapage s'ouvre après une délibération en validation partielle ou un ajournement",
    ):
        services.dossier_rattrapage_open(dossier=certified, by=alice)
    first = partiel(alice, rncp)
    services.dossier_rattrapage_open(dossier=first, by=alice)
    with pytest.raises(ApplicationError, match="Un rattrapage a déjà été ouvert pour cette tentative"):
        services.dossier_rattrapage_open(dossier=first, by=alice)


def test_cqpm_without_limits_can_retake(in_a, alice, cqpm):
    first = services.dossier_deliberate(dossier=pret_dossier(alice, cqpm), by=alice, decision="ajourne")
    retake = services.dossier_rattrapage_open(dossier=first, by=alice)
    assert retake.blocs_vises.get().acquis is False
