"""The deliberation page's « Résultats par bloc » is rendered in Python (issue 19: the template
code was most of the page's time): the same markup as the template it replaced, value for value,
escaped and localised alike, on every shape the engine's details take."""

import re

import pytest
from django.template import Context, Template

from juries.templatetags.deliberation import resultats_par_bloc

# The template fragment the tag replaced (templates/juries/detail.html before issue 19).
TEMPLATE = """{% load documents_pdf %}          {% if details.blocs %}
          <details class="resultats-blocs"><summary>Résultats par bloc<span class="visually-hidden"> de {{ nom }}</span></summary>
            <table class="table table-compact">
              <caption class="visually-hidden">Résultats par bloc de {{ nom }}</caption>
              <thead><tr><th scope="col">Bloc</th><th scope="col">Résultat</th><th scope="col">Détail</th></tr></thead>
              <tbody>{% for b in details.blocs %}
                <tr><th scope="row">{{ b.code }}</th>
                  <td>{% if b.reporte %}<span class="badge badge-ok">acquis (report)</span>{% elif b.valide %}<span class="badge badge-ok">validé</span>{% elif not b.presente %}<span class="muted">non présenté</span>{% else %}<span class="badge badge-err">non validé</span>{% endif %}
                    {% if b.points_max %}<br><small>{{ b.points|fr_number }}/{{ b.points_max }} points{% if b.note_sur_20 is not None %} · {{ b.note_sur_20|fr_number }}/20{% endif %}</small>{% endif %}</td>
                  <td><small>{% if b.controle_continu is not None %}Contrôle continu : {{ b.controle_continu|fr_number }} · {% endif %}{% if b.epreuves is not None %}Épreuves : {{ b.epreuves|fr_number }}{% endif %}
                    {% if b.eliminatoire %}<br><strong>Note éliminatoire</strong>{% endif %}
                    {% if b.capacites_non_acquises %}<br>Capacités non acquises : {{ b.capacites_non_acquises|join:", " }}{% endif %}
                    {% if b.motif %}<br>{{ b.motif }}{% endif %}</small></td></tr>
              {% endfor %}
              {% with ep=details.evaluation_professionnelle %}{% if ep %}
                <tr><th scope="row">Évaluation professionnelle</th>
                  <td>{% if ep.atteinte %}<span class="badge badge-ok">atteinte</span>{% else %}<span class="badge badge-err">non atteinte</span>{% endif %}<br><small>{{ ep.points|fr_number }}/{{ ep.points_max }} points (minimum {{ ep.minimum_points }})</small></td>
                  <td><small>{% for c in ep.composantes %}{{ c.libelle }} : {{ c.points|fr_number }}/{{ c.points_max }}{% if not forloop.last %} · {% endif %}{% endfor %}</small></td></tr>
              {% endif %}{% endwith %}
              </tbody>
            </table>
          </details>
          {% endif %}
"""

DETAILS = [
    {
        "blocs": [
            {
                "code": "BC01",
                "valide": True,
                "presente": True,
                "points": "12.5",
                "points_max": 20,
                "note_sur_20": 12.5,
                "controle_continu": 11,
                "epreuves": "13.25",
                "capacites_non_acquises": ["C1", "C<2>"],
                "motif": "a & b",
            },
            {"code": "BC02", "reporte": True},
            {"code": "BC03", "presente": False, "points_max": 0},
            {"code": "BC04", "presente": True, "eliminatoire": True, "points_max": 10.5, "points": None},
        ],
        "evaluation_professionnelle": {
            "atteinte": False,
            "points": "30.5",
            "points_max": 40,
            "minimum_points": 20.5,
            "composantes": [
                {"libelle": "Oral", "points": 10, "points_max": 20},
                {"libelle": "É<crit>", "points": "20.5", "points_max": 20},
            ],
        },
    },
    {"blocs": [{"code": "BC01", "valide": False, "presente": True, "points": 0, "points_max": 20}]},
    {"blocs": [{"code": "X"}], "evaluation_professionnelle": {"atteinte": True}},
    {"blocs": []},
    {},
    None,
]


def _norm(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


@pytest.mark.parametrize("details", DETAILS)
@pytest.mark.parametrize("nom", ["DUPONT (Martin) Léa", "<script>x</script>"])
def test_the_tag_writes_what_the_template_wrote(details, nom):
    expected = Template(TEMPLATE).render(Context({"details": details, "nom": nom}))
    assert _norm(resultats_par_bloc(details, nom)) == _norm(expected)


def test_the_values_are_escaped():
    html = resultats_par_bloc(DETAILS[0], "<script>x</script>")
    assert "<script>" not in html and "C&lt;2&gt;" in html and "a &amp; b" in html and "É&lt;crit&gt;" in html
