"""The rules engine on seed 004's parcours paragraphs (RNCP36390 règlement d'examen): exemption of
the épreuve professionnelle, portefeuille de preuves, période en entreprise, rattrapage and
redoublement, with their boundaries. Each test quotes the sentence it checks."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from referentiels.regles import (
    BlocAcquisAnterieur,
    BlocStructure,
    EntreeInvalide,
    ResultatBloc,
    ResultatEvaluationProfessionnelle,
    ResultatsCandidat,
    Structure,
    propose,
    regle_parse,
)

SEED = json.loads((Path(__file__).parents[2] / "referentiels/seeds/rncp36390.json").read_text())
REGLE = regle_parse(SEED["regle"])
CODES = ("RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC03", "RNCP36390BC04")
STRUCTURE = Structure(blocs=tuple(BlocStructure(code=c) for c in CODES))
DAY = dt.date(2026, 6, 30)
# 10/20 on every bloc exactly: 125 + 87.5 + 87.5 + 75 = 375 = 10/20 of the blocs' 750 points
HALF = {
    "RNCP36390BC01": (Decimal(50), Decimal(75)),
    "RNCP36390BC02": (Decimal(35), Decimal("52.5")),
    "RNCP36390BC03": (Decimal(35), Decimal("52.5")),
    "RNCP36390BC04": (Decimal(30), Decimal(45)),
}
PRO = ResultatEvaluationProfessionnelle(
    composantes={"ecrit": Decimal(100), "oral": Decimal(60), "tuteur": Decimal(40)}
)


def _blocs(marks=HALF, **kw):
    return {code: ResultatBloc(controle_continu=cc, epreuves=ep, **kw) for code, (cc, ep) in marks.items()}


def _propose(**resultats):
    return propose(REGLE, STRUCTURE, ResultatsCandidat(**resultats), date_decision=DAY)


# --- exemption of the épreuve professionnelle ----------------------------------------------------


def test_exempted_candidate_is_certified_at_10_on_the_blocs_alone():
    """« Les salariés et demandeurs d'emploi qui bénéficient d'un positionnement effectué en amont de
    la formation, peuvent être exemptés d'épreuve professionnelle. » — « La certification totale
    est délivrée si le candidat obtient 10 de moyenne générale »: read on the blocs, 375/750."""
    p = _propose(blocs=_blocs(), exemption_epreuve_professionnelle=True)
    assert p.decision == "certifie"
    assert (p.total_points, p.total_max, p.seuil_points) == (Decimal(375), 750, 375)
    assert p.evaluation_professionnelle is not None and p.evaluation_professionnelle.exemptee
    assert any("exempté (positionnement effectué en amont" in r for r in p.raisons)


def test_exempted_candidate_at_374_99_is_not_certified():
    """Boundary: 9,99/20 of moyenne générale is not « 10 de moyenne générale »."""
    marks = dict(HALF, RNCP36390BC04=(Decimal(30), Decimal("44.99")))
    p = _propose(blocs=_blocs(marks), exemption_epreuve_professionnelle=True)
    assert p.total_points == Decimal("374.99")
    assert p.decision == "partiel"
    assert "RNCP36390BC04" not in p.blocs_valides  # 74.99/150 < 10/20
    assert "Total 374,99/750 < 375" in p.raisons


def test_exempted_candidate_still_needs_every_bloc_above_the_eliminatory_mark():
    """« sous réserve de ne pas avoir obtenu une note inférieure à 8/20 sur l'un des […] blocs
    (note éliminatoire) »: the exemption waives the épreuve professionnelle, nothing else."""
    marks = dict(
        HALF, RNCP36390BC01=(Decimal(100), Decimal(150)), RNCP36390BC02=(Decimal(30), Decimal("39.99"))
    )
    p = _propose(blocs=_blocs(marks), exemption_epreuve_professionnelle=True)
    assert p.total_points >= 375
    assert p.decision == "partiel"
    assert p.blocs[1].eliminatoire


def test_exemption_with_professional_marks_is_an_input_error():
    """The exemption stands in for the évaluation professionnelle: both at once contradict."""
    with pytest.raises(EntreeInvalide, match="exempté d'épreuve professionnelle"):
        ResultatsCandidat(
            blocs=_blocs(), evaluation_professionnelle=PRO, exemption_epreuve_professionnelle=True
        )


def test_without_exemption_the_professional_evaluation_is_required():
    """« une note d'évaluation professionnelle d'au moins 10/20 »: no exemption, no title without it."""
    p = _propose(blocs=_blocs())
    assert p.decision == "partiel"
    assert p.total_max == 1000


# --- période en entreprise ----------------------------------------------------------------------


def test_no_period_in_company_withholds_the_title_and_keeps_the_blocs():
    """« l'absence de période en entreprise […] induisent la non-obtention du diplôme mais il
    conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne, soit 10/20 »."""
    marks = dict(HALF, RNCP36390BC03=(Decimal(35), Decimal("52.49")))  # 87,49 < 87,5
    p = _propose(blocs=_blocs(marks), evaluation_professionnelle=PRO, periode_entreprise_absente=True)
    assert p.decision == "partiel"
    assert sorted(p.blocs_valides) == ["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"]
    assert any(r.startswith("Période en entreprise non effectuée sans motif recevable") for r in p.raisons)
    # the same results with the period done: certified (the fact alone made the difference)
    assert _propose(blocs=_blocs(marks), evaluation_professionnelle=PRO).decision == "certifie"


def test_justified_missed_period_offers_a_make_up():
    """« Motifs recevables de non-présentation aux évaluations de bloc et à l'évaluation
    professionnelle : Certificat médical […] Dans ces seuls cas une épreuve de rattrapage sera
    proposée au candidat dans un délai de 6 mois après demande écrite du candidat. »"""
    p = _propose(blocs=_blocs(), evaluation_professionnelle=PRO, periode_entreprise_justifiee="arret_travail")
    assert p.decision == "partiel"
    assert any("arrêt de travail" in r and "6 mois après demande écrite" in r for r in p.raisons)


def test_period_motive_must_be_receivable():
    with pytest.raises(EntreeInvalide, match="motif recevable"):
        ResultatsCandidat(periode_entreprise_justifiee="panne de réveil")


# --- portefeuille de preuves --------------------------------------------------------------------


def test_portefeuille_mark_stands_for_the_bloc_epreuves():
    """« Les candidats salariés peuvent, dans le cadre de la validation d'un bloc de compétences,
    substituer les épreuves de blocs par un portefeuille de preuves à présenter à un jury »."""
    blocs = _blocs()
    blocs["RNCP36390BC02"] = ResultatBloc(
        controle_continu=Decimal(35), epreuves=Decimal("52.5"), portefeuille=True
    )
    p = _propose(blocs=blocs, evaluation_professionnelle=PRO)
    assert p.decision == "certifie"
    detail = p.blocs[1]
    assert detail.portefeuille and detail.motif.startswith(
        "épreuves remplacées par un portefeuille de preuves"
    )


def test_portefeuille_not_presented_means_no_title():
    """No title without what the seed requires: the portefeuille replaces the épreuves, it is not
    a dispensation from them."""
    blocs = _blocs()
    blocs["RNCP36390BC02"] = ResultatBloc(controle_continu=Decimal(70), portefeuille=True)
    p = _propose(blocs=blocs, evaluation_professionnelle=PRO)
    assert p.decision == "partiel"
    assert "RNCP36390BC02" not in p.blocs_valides
    assert "portefeuille de preuves non présenté au jury" in p.blocs[1].motif


# --- rattrapage, redoublement, carried blocs ----------------------------------------------------


def test_rattrapage_and_redoublement_are_named_in_the_reasons():
    """« Dans le cadre d'un redoublement : le candidat suit les modules du ou des blocs non-validés
    et repasse toutes les évaluations de modules suivis et les évaluations de blocs de l'année
    concernée. » — « Dans le cadre d'une présentation aux épreuves de rattrapage : le candidat
    repasse uniquement les évaluations de blocs et conserve le bénéfice de sa note de tuteur »."""
    carried = tuple(
        BlocAcquisAnterieur(
            bloc=c, date_validation=dt.date(2025, 6, 30), points=Decimal(140 if i == 0 else 100)
        )
        for i, c in enumerate(CODES[:2])
    )
    retaken = {
        c: ResultatBloc(controle_continu=cc, epreuves=ep, tentative=2)
        for c, (cc, ep) in HALF.items()
        if c in CODES[2:]
    }
    for reprise, mot in (
        ("rattrapage", "note du tuteur est conservée"),
        ("redoublement", "modules des blocs non validés"),
    ):
        p = _propose(
            blocs=retaken, evaluation_professionnelle=PRO, blocs_acquis_anterieurs=carried, reprise=reprise
        )
        assert mot in p.raisons[0]
        assert p.decision == "certifie"


def test_a_reprise_retakes_blocs_at_attempt_two():
    """« repasser les blocs non validés, une seule fois par bloc »: a reprise is attempt 2."""
    with pytest.raises(EntreeInvalide, match="tentative ≥ 2"):
        _propose(blocs=_blocs(), evaluation_professionnelle=PRO, reprise="redoublement")
    with pytest.raises(EntreeInvalide, match="rattrapages_par_bloc"):
        _propose(
            blocs={
                c: ResultatBloc(controle_continu=cc, epreuves=ep, tentative=3) for c, (cc, ep) in HALF.items()
            },
            evaluation_professionnelle=PRO,
            reprise="rattrapage",
        )


def test_unknown_reprise_is_refused():
    with pytest.raises(EntreeInvalide, match="resultats.reprise"):
        ResultatsCandidat(reprise="session de septembre")


@pytest.mark.parametrize(
    ("day", "carried"),
    [(dt.date(2026, 6, 30), True), (dt.date(2026, 7, 1), False)],
)
def test_carried_bloc_counts_its_real_points_within_five_years(day, carried):
    """« Le candidat a la possibilité de repasser les blocs non validés […] dans un délai de 5 ans »:
    a bloc validated on 30/06/2021 still counts on 30/06/2026 with its real points (140/250), not
    on 01/07/2026."""
    anterieur = BlocAcquisAnterieur(
        bloc="RNCP36390BC01", date_validation=dt.date(2021, 6, 30), points=Decimal(140)
    )
    blocs = {
        c: ResultatBloc(controle_continu=cc, epreuves=ep, tentative=2)
        for c, (cc, ep) in HALF.items()
        if c != "RNCP36390BC01"
    }
    p = propose(
        REGLE,
        STRUCTURE,
        ResultatsCandidat(
            blocs=blocs,
            evaluation_professionnelle=PRO,
            blocs_acquis_anterieurs=(anterieur,),
            reprise="rattrapage",
        ),
        date_decision=day,
    )
    assert p.blocs[0].reporte is carried
    if carried:
        assert p.blocs[0].points == Decimal(140)
        assert p.total_points == Decimal("590")  # 140 + 87,5 + 87,5 + 75 + 200
    else:
        assert p.blocs[0].points is None
        assert any("expirée le 30/06/2026 : non reporté" in r for r in p.raisons)


@pytest.mark.parametrize(("epreuves", "valide"), [(Decimal("52.49"), False), (Decimal("52.5"), True)])
def test_bloc_kept_at_exactly_10_of_20(epreuves, valide):
    """« il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne, soit 10/20 » —
    87,49/175 (9,99/20) is not kept, 87,50/175 (10,00/20) is."""
    blocs = _blocs()
    blocs["RNCP36390BC02"] = ResultatBloc(controle_continu=Decimal(35), epreuves=epreuves)
    p = _propose(blocs=blocs)  # no évaluation professionnelle: never certified, blocs kept
    assert ("RNCP36390BC02" in p.blocs_valides) is valide
    # the display rounds 9,9989 to 10,00; it never decides
    assert p.blocs[1].note_sur_20 == Decimal("10.00")
