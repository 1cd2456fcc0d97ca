"""The deliberation page's « Résultats par bloc » of one candidate, rendered in Python.

The page shows 50 candidates, each with a table of its blocs (about fifteen values a bloc): as
template code that was most of the page's time (issue 19, « pages near their floor »: thousands
of variable lookups per page). The markup is the one the template wrote, value for value; the
values are escaped and localised as ``{{ … }}`` does it.
"""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from core.numbers import number_fr

register = template.Library()


def _text(data: dict, key: str) -> str:
    """``{{ data.key }}``: '' when the key is missing, else the localised, escaped value."""
    if key not in data:
        return ""
    return conditional_escape(localize(data[key]))


def _number(data: dict, key: str) -> str:
    """``{{ data.key|fr_number }}``."""
    return conditional_escape(number_fr(data.get(key)))


def _bloc_row(b: dict, *, bloc_implicite: bool, mot_capacites: str) -> str:
    if b.get("reporte"):
        state = '<span class="badge badge-ok">acquis (report)</span>'
    elif b.get("valide"):
        state = '<span class="badge badge-ok">validé</span>'
    elif not b.get("presente"):
        state = '<span class="muted">non présenté</span>'
    else:
        state = '<span class="badge badge-err">non validé</span>'
    points = ""
    if b.get("points_max"):
        sur_20 = f" · {_number(b, 'note_sur_20')}/20" if b.get("note_sur_20") is not None else ""
        points = f"<br><small>{_number(b, 'points')}/{_text(b, 'points_max')} points{sur_20}</small>"
    detail = ""
    if b.get("controle_continu") is not None:
        detail += f"Contrôle continu : {_number(b, 'controle_continu')} · "
    if b.get("epreuves") is not None:
        detail += f"Épreuves : {_number(b, 'epreuves')}"
    eliminatoire = "<br><strong>Note éliminatoire</strong>" if b.get("eliminatoire") else ""
    capacites = ""
    if b.get("capacites_non_acquises"):
        codes = ", ".join(conditional_escape(c) for c in b["capacites_non_acquises"])
        capacites = f"<br>{conditional_escape(mot_capacites.capitalize())} non acquises : {codes}"
    motif = f"<br>{_text(b, 'motif')}" if b.get("motif") else ""
    extra = "\n                    ".join((eliminatoire, capacites, motif))
    # a référentiel whose single bloc is implicit (CQPM, CQPI) speaks of its capacités, never of a bloc
    entete = f"Toutes les {conditional_escape(mot_capacites)}" if bloc_implicite else _text(b, "code")
    return (
        f'\n                <tr><th scope="row">{entete}</th>\n'
        f"                  <td>{state}\n                    {points}</td>\n"
        f"                  <td><small>{detail}\n                    {extra}</small></td></tr>\n              "
    )


def _evaluation_professionnelle(ep: dict) -> str:
    atteinte = (
        '<span class="badge badge-ok">atteinte</span>'
        if ep.get("atteinte")
        else '<span class="badge badge-err">non atteinte</span>'
    )
    composantes = " · ".join(
        f"{_text(c, 'libelle')} : {_number(c, 'points')}/{_text(c, 'points_max')}"
        for c in ep.get("composantes") or []
    )
    return (
        '\n                <tr><th scope="row">Évaluation professionnelle</th>\n'
        f"                  <td>{atteinte}<br><small>{_number(ep, 'points')}/{_text(ep, 'points_max')} points "
        f"(minimum {_text(ep, 'minimum_points')})</small></td>\n"
        f"                  <td><small>{composantes}</small></td></tr>\n              "
    )


@register.simple_tag
def resultats_par_bloc(details, nom, bloc_implicite=False, mot_capacites="capacités") -> str:
    """The ``<details class="resultats-blocs">`` of a decision (``details``: its JSON), or ''.
    ``bloc_implicite``: the référentiel has one implicit bloc (CQPM, CQPI): no bloc vocabulary."""
    if not isinstance(details, dict) or not details.get("blocs"):
        return ""
    rows = "".join(
        _bloc_row(b, bloc_implicite=bloc_implicite, mot_capacites=mot_capacites) for b in details["blocs"]
    )
    ep = details.get("evaluation_professionnelle")
    if ep:
        rows += _evaluation_professionnelle(ep)
    titre = "Résultats" if bloc_implicite else "Résultats par bloc"
    colonne = mot_capacites.capitalize() if bloc_implicite else "Bloc"
    return format_html(
        '<details class="resultats-blocs"><summary>{}<span class="visually-hidden"> de {}</span></summary>\n'
        '            <table class="table table-compact">\n'
        '              <caption class="visually-hidden">{} de {}</caption>\n'
        '              <thead><tr><th scope="col">{}</th><th scope="col">Résultat</th><th scope="col">Détail</th></tr></thead>\n'
        "              <tbody>{}\n              </tbody>\n            </table>\n          </details>",
        titre,
        nom,
        titre,
        nom,
        colonne,
        mark_safe(rows),  # noqa: S308 - every value above went through conditional_escape
    )
