"""Natural order of codes in the evaluations' lists (issue 14, point 7): the contrôle continu
rows of the results page follow the référentiel's blocs (1, 2, 3, 4), the messages naming blocs
sort their codes naturally."""

from core.natural import natural_sorted
from evaluations import controle_continu
from tests.evaluations.conftest import inscribed_dossier


def test_cc_rows_follow_the_blocs_order(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    codes = [row["bloc"].code for row in controle_continu.cc_rows(dossier)]
    assert codes == natural_sorted(codes) == [f"RNCP36390BC0{i}" for i in range(1, 5)]


def test_natural_sorted_is_not_text_order():
    assert natural_sorted(["BC10", "BC2", "BC1"]) == ["BC1", "BC2", "BC10"]
    assert sorted(["BC10", "BC2", "BC1"]) != ["BC1", "BC2", "BC10"]
