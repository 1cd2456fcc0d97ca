"""Dashboard panel: dossiers per status and per référentiel, drawn server-side as SVG bars."""

from candidates.models import Dossier
from organisations.dashboard import register_panel
from organisations.roles import has_capability

STATUS_BADGES = {
    "brouillon": "",
    "inscrit": "badge-info",
    "en_evaluation": "badge-info",
    "pret_pour_jury": "badge-warn",
    "delibere": "badge-ok",
    "abandon": "badge-err",
}


def bars(
    rows: list[tuple[str, int]], *, width: int = 300, bar_height: int = 22, label_width: int = 130
) -> dict:
    """Geometry of a horizontal bar chart (the template draws it)."""
    top = max((n for _label, n in rows), default=0) or 1
    span = width - label_width - 40
    return {
        "width": width,
        "height": len(rows) * (bar_height + 6) + 4,
        "bars": [
            {
                "label": label,
                "n": n,
                "y": i * (bar_height + 6) + 2,
                "w": max(2, round(span * n / top)) if n else 0,
                "text_y": i * (bar_height + 6) + 2 + round(bar_height * 0.7),
                "x": label_width,
                "label_x": label_width - 6,
                "value_x": label_width + (max(2, round(span * n / top)) if n else 0) + 6,
                "h": bar_height,
            }
            for i, (label, n) in enumerate(rows)
        ],
    }


@register_panel
def dossiers_panel(membership):
    if membership.organisation.kind != "centre" or not has_capability(membership.role, "candidates.view"):
        return None
    from candidates.selectors import dossier_counts

    counts = dossier_counts(actor=membership)
    per_status = [(label, counts["per_status"].get(value, 0)) for value, label in Dossier.Status.choices]
    per_referentiel = [(row["referentiel__code"], row["n"]) for row in counts["per_referentiel"]]
    return {
        "template": "candidates/dashboard_panel.html",
        "total": sum(n for _l, n in per_status),
        "status_chart": bars(per_status),
        "referentiel_chart": bars(per_referentiel),
        "per_status": [
            (value, label, counts["per_status"].get(value, 0)) for value, label in Dossier.Status.choices
        ],
    }
