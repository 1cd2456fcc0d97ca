"""Every transition of the dossier state machine, allowed and refused, with the user's message."""

import datetime as dt

import pytest

from candidates import hooks, services
from candidates.models import Dossier, DossierTransition, Piece
from core.errors import ApplicationError
from tests.builders import pdf_upload, pret_dossier
from tests.candidates.conftest import make_dossier

S = Dossier.Status


def move(dossier, to, by, reason=""):
    return services.dossier_transition(dossier=dossier, to=to, by=by, reason=reason)


def test_full_path_is_recorded_with_who_when_why(in_a, alice, cqpm):
    dossier = pret_dossier(alice, cqpm)
    dossier = services.dossier_deliberate(
        dossier=dossier, by=alice, decision="certifie", blocs_acquis=["BLOC-UNIQUE"], reason="Jury du 12/06"
    )
    assert (dossier.status, dossier.decision) == (S.DELIBERE, "certifie")
    steps = list(
        DossierTransition.objects.filter(dossier=dossier).values_list("from_status", "to_status", "by__email")
    )
    assert steps == [
        ("", "brouillon", "alice@test.local"),
        ("brouillon", "inscrit", "alice@test.local"),
        ("inscrit", "en_evaluation", "alice@test.local"),
        ("en_evaluation", "pret_pour_jury", "alice@test.local"),
        ("pret_pour_jury", "delibere", "alice@test.local"),
    ]
    assert DossierTransition.objects.filter(dossier=dossier).last().reason == "Jury du 12/06"
    assert dossier.blocs_vises.get().acquis


def test_inscrit_refused_without_modalites(in_a, alice, rncp):
    dossier = make_dossier(alice, rncp, plan=False)
    with pytest.raises(ApplicationError) as exc:
        move(dossier, S.INSCRIT, alice)
    assert exc.value.message.startswith(
        "Passage « Inscrit » impossible : Modalité d'évaluation à choisir pour : C.1.1.1"
    )
    assert Dossier.objects.get(pk=dossier.pk).status == S.BROUILLON


def test_inscrit_refused_without_habilitation_on_inscription_date(in_a, alice, rncp):
    dossier = make_dossier(alice, rncp)
    # The habilitation starts on 01/01/2024: move the inscription before it.
    Dossier.objects.filter(pk=dossier.pk).update(date_inscription=dt.date(2023, 6, 1))
    dossier.refresh_from_db()
    with pytest.raises(
        ApplicationError, match=r"Le centre n'a pas d'habilitation valide pour RNCP36390 au 01/06/2023"
    ):
        move(dossier, S.INSCRIT, alice)


def test_dossier_creation_refused_without_habilitation(in_a, alice, rncp):
    from tests.candidates.conftest import make_candidate

    with pytest.raises(ApplicationError, match=r"n'est pas habilité pour RNCP36390 au 01/06/2023"):
        services.dossier_create(
            by=alice,
            candidate=make_candidate(alice),
            referentiel=rncp,
            voie_acces="VAE",
            date_inscription=dt.date(2023, 6, 1),
        )


def test_inscrit_refused_when_no_bloc(in_a, alice, rncp):
    with pytest.raises(ApplicationError, match="Choisissez au moins un bloc"):
        make_dossier(alice, rncp, blocs=[])


def test_inscrit_allowed_with_some_blocs(in_a, alice, rncp):
    bloc = rncp.blocs.get(code="RNCP36390BC02")
    dossier = make_dossier(alice, rncp, blocs=[bloc])
    assert move(dossier, S.INSCRIT, alice).status == S.INSCRIT
    assert list(dossier.blocs_vises.values_list("bloc__code", flat=True)) == ["RNCP36390BC02"]


def test_en_evaluation_refused_before_inscription_date(in_a, alice, cqpm):
    future = dt.date.today() + dt.timedelta(days=10)
    dossier = move(make_dossier(alice, cqpm, date_inscription=future), S.INSCRIT, alice)
    with pytest.raises(
        ApplicationError, match=rf"La date d'inscription \({future:%d/%m/%Y}\) n'est pas encore atteinte"
    ):
        move(dossier, S.EN_EVALUATION, alice)


def test_pret_pour_jury_refused_without_rapport(in_a, alice, cqpm):
    dossier = make_dossier(alice, cqpm)
    # The CQPM's first allowed modalité is "situation réelle"; choose "présentation de projets" for one capacité.
    from candidates.selectors import dossier_grid

    row = dossier_grid(dossier=dossier)[0]
    projet = next(m for m in row.capacites[0].allowed if m.type == "presentation_projets")
    services.dossier_plan_update(
        dossier=dossier, by=alice, blocs=None, modalites={row.capacites[0].capacite.pk: projet.pk}
    )
    dossier = move(move(dossier, S.INSCRIT, alice), S.EN_EVALUATION, alice)
    with pytest.raises(
        ApplicationError, match=r"Passage « Prêt pour le jury » impossible : Pièce manquante : rapport"
    ):
        move(dossier, S.PRET_POUR_JURY, alice)


def test_readiness_hook_blocks_pret_pour_jury(in_a, alice, cqpm):
    def results_missing(dossier):
        return ["Résultat manquant pour la capacité 1."]

    hooks.register_readiness_guard(results_missing)
    try:
        dossier = make_dossier(alice, cqpm)
        dossier = move(move(dossier, S.INSCRIT, alice), S.EN_EVALUATION, alice)
        with pytest.raises(ApplicationError) as exc:
            move(dossier, S.PRET_POUR_JURY, alice)
        assert "Résultat manquant pour la capacité 1." in exc.value.message
        assert exc.value.extra["reasons"] == ["Résultat manquant pour la capacité 1."]
    finally:
        hooks.unregister_transition_guard("pret_pour_jury", results_missing)


def test_listener_sees_each_transition(in_a, alice, cqpm):
    seen = []

    def listener(*, dossier, from_status, to_status, by):
        seen.append((from_status, to_status))

    hooks.register_transition_listener(listener)
    try:
        move(make_dossier(alice, cqpm), S.INSCRIT, alice)
    finally:
        hooks.unregister_transition_listener(listener)
    assert seen == [("brouillon", "inscrit")]


@pytest.mark.parametrize(
    "path, to, message",
    [
        ([], S.EN_EVALUATION, "Un dossier « Brouillon » ne peut pas passer « En évaluation »."),
        ([], S.PRET_POUR_JURY, "Un dossier « Brouillon » ne peut pas passer « Prêt pour le jury »."),
        ([], S.DELIBERE, "Un dossier « Brouillon » ne peut pas passer « Délibéré »."),
        ([S.INSCRIT], S.PRET_POUR_JURY, "Un dossier « Inscrit » ne peut pas passer « Prêt pour le jury »."),
        ([S.INSCRIT], S.DELIBERE, "Un dossier « Inscrit » ne peut pas passer « Délibéré »."),
        (
            [S.INSCRIT, S.EN_EVALUATION],
            S.INSCRIT,
            "Un dossier « En évaluation » ne peut pas passer « Inscrit ».",
        ),
        (
            [S.INSCRIT, S.EN_EVALUATION],
            S.DELIBERE,
            "Un dossier « En évaluation » ne peut pas passer « Délibéré ».",
        ),
        (
            [S.INSCRIT, S.EN_EVALUATION],
            S.BROUILLON,
            "Un dossier « En évaluation » ne peut pas passer « Brouillon ».",
        ),
        ([], "publie", "État inconnu : « publie »."),
        (
            [S.INSCRIT, S.EN_EVALUATION, S.PRET_POUR_JURY],
            S.INSCRIT,
            "Un dossier « Prêt pour le jury » ne peut pas passer « Inscrit ».",
        ),
        (
            [S.INSCRIT, S.EN_EVALUATION, S.PRET_POUR_JURY],
            S.BROUILLON,
            "Un dossier « Prêt pour le jury » ne peut pas passer « Brouillon ».",
        ),
        ([S.DELIBERE], S.ABANDON, "Un dossier « Délibéré » ne peut pas passer « Abandon »."),
        ([S.DELIBERE], S.EN_EVALUATION, "Un dossier « Délibéré » ne peut pas passer « En évaluation »."),
        ([S.DELIBERE], S.PRET_POUR_JURY, "Un dossier « Délibéré » ne peut pas passer « Prêt pour le jury »."),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(in_a, alice, cqpm, path, to, message):
    if path == [S.DELIBERE]:
        dossier = services.dossier_deliberate(
            dossier=pret_dossier(alice, cqpm), by=alice, decision="ajourne", blocs_acquis=[], reason="Jury"
        )
    else:
        dossier = make_dossier(alice, cqpm)
    for step in path if path != [S.DELIBERE] else []:
        if step == S.PRET_POUR_JURY:
            services.piece_upload(
                dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=pdf_upload()
            )
        dossier = move(dossier, step, alice)
    with pytest.raises(ApplicationError) as exc:
        move(dossier, to, alice)
    assert message in exc.value.message
    assert Dossier.objects.get(pk=dossier.pk).status == (path[-1] if path else S.BROUILLON)


def test_delibere_goes_through_the_jury(in_a, alice, cqpm):
    dossier = pret_dossier(alice, cqpm)
    with pytest.raises(ApplicationError, match="La délibération se fait par le jury"):
        move(dossier, S.DELIBERE, alice)


@pytest.mark.parametrize("start", [[], [S.INSCRIT], [S.INSCRIT, S.EN_EVALUATION]])
def test_abandon_needs_a_reason_and_closes(in_a, alice, cqpm, start):
    dossier = make_dossier(alice, cqpm)
    for step in start:
        dossier = move(dossier, step, alice)
    with pytest.raises(ApplicationError, match="Indiquez le motif pour passer le dossier « Abandon »"):
        move(dossier, S.ABANDON, alice)
    dossier = move(dossier, S.ABANDON, alice, reason="Démission")
    assert dossier.status == S.ABANDON
    with pytest.raises(ApplicationError, match="Un dossier « Abandon » ne peut pas passer « Inscrit »"):
        move(dossier, S.INSCRIT, alice)


def test_abandon_from_pret_pour_jury(in_a, alice, cqpm):
    dossier = pret_dossier(alice, cqpm)
    assert move(dossier, S.ABANDON, alice, reason="Absent").status == S.ABANDON


def test_corrections_need_a_reason(in_a, alice, cqpm):
    dossier = move(make_dossier(alice, cqpm), S.INSCRIT, alice)
    with pytest.raises(ApplicationError, match="Indiquez le motif pour passer le dossier « Brouillon »"):
        move(dossier, S.BROUILLON, alice)
    assert move(dossier, S.BROUILLON, alice, reason="Erreur de modalité").status == S.BROUILLON
    dossier = pret_dossier(alice, cqpm)
    with pytest.raises(ApplicationError, match="Indiquez le motif pour passer le dossier « En évaluation »"):
        move(dossier, S.EN_EVALUATION, alice)
    assert (
        move(dossier, S.EN_EVALUATION, alice, reason="Complément demandé par le jury").status
        == S.EN_EVALUATION
    )


def test_plan_frozen_once_inscrit(in_a, alice, rncp):
    dossier = move(make_dossier(alice, rncp), S.INSCRIT, alice)
    with pytest.raises(ApplicationError, match="ne se modifient qu'en brouillon"):
        services.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites={})


def test_modalite_must_be_allowed(in_a, alice, rncp, cqpm):
    dossier = make_dossier(alice, rncp, plan=False)
    capacite = rncp.capacites.first()
    foreign = cqpm.modalites.first()
    with pytest.raises(
        ApplicationError, match=f"La modalité choisie pour la capacité {capacite.code} n'est pas permise"
    ):
        services.dossier_plan_update(
            dossier=dossier, by=alice, blocs=None, modalites={capacite.pk: foreign.pk}
        )


@pytest.mark.parametrize(
    "decision, blocs, message",
    [
        (
            "certifie",
            ["RNCP36390BC01"],
            "« Certifié » exige tous les blocs visés ; non acquis : RNCP36390BC02, RNCP36390BC03, RNCP36390BC04.",
        ),
        ("partiel", [], "Une validation partielle exige au moins un bloc acquis."),
        (
            "ajourne",
            ["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC03", "RNCP36390BC04"],
            "Un candidat ajourné n'acquiert aucun bloc",
        ),
        ("mention", [], "Décision inconnue"),
        ("partiel", ["BC9"], "Bloc non visé par ce dossier : BC9"),
    ],
)
def test_deliberation_must_match_the_blocs(in_a, alice, rncp, decision, blocs, message):
    dossier = pret_dossier(alice, rncp)
    with pytest.raises(ApplicationError) as exc:
        services.dossier_deliberate(dossier=dossier, by=alice, decision=decision, blocs_acquis=blocs)
    assert message in exc.value.message
    assert Dossier.objects.get(pk=dossier.pk).status == S.PRET_POUR_JURY


def test_partial_validation_may_hold_every_bloc(in_a, alice, rncp):
    # RNCP36390: every bloc kept at ≥ 10/20 but the évaluation professionnelle under its minimum.
    dossier = pret_dossier(alice, rncp)
    every = ["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC03", "RNCP36390BC04"]
    services.dossier_deliberate(dossier=dossier, by=alice, decision="partiel", blocs_acquis=every)
    dossier.refresh_from_db()
    assert (dossier.status, dossier.decision) == (S.DELIBERE, "partiel")
    assert dossier.blocs_vises.filter(acquis=True).count() == 4


def test_deliberation_only_from_pret_pour_jury(in_a, alice, rncp):
    dossier = make_dossier(alice, rncp)
    with pytest.raises(ApplicationError, match="Seul un dossier prêt pour le jury peut être délibéré"):
        services.dossier_deliberate(dossier=dossier, by=alice, decision="ajourne")


@pytest.mark.parametrize("plan", ["none", "partial", "full", "no_bloc"])
def test_the_page_s_plan_snapshot_gives_the_guard_s_own_answer(in_a, alice, rncp, plan):
    """The dossier page passes the plan its grid has read to the guards (issue 19: no second read
    of the same rows): the blockers are those the guard finds reading the rows itself."""
    from candidates.models import DossierBloc, DossierModalite
    from candidates.selectors import dossier_grid, grid_plan_snapshot

    dossier = make_dossier(alice, rncp, plan=plan != "none")
    if plan == "partial":
        DossierModalite.objects.filter(dossier=dossier).order_by("pk").first().delete()
    if plan == "no_bloc":
        DossierBloc.objects.filter(dossier=dossier).delete()
    own = services.dossier_transition_blockers(dossier=dossier, to=S.INSCRIT)
    snapshot = grid_plan_snapshot(dossier_grid(dossier=dossier))
    assert services.dossier_transition_blockers(dossier=dossier, to=S.INSCRIT, plan=snapshot) == own
    if plan == "full":
        assert own == []
    else:
        assert own
