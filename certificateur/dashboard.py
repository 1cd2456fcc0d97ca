"""Dashboard panel of a certificateur: the oversight headline figures, linking to the page."""

from organisations.dashboard import register_panel
from organisations.roles import has_capability


@register_panel
def oversight_panel(membership):
    organisation = membership.organisation
    if not organisation.is_certificateur or not has_capability(membership.role, "oversight.view"):
        return None
    from certificateur.selectors import cdc_passage_counts, oversight_figures

    return {
        "template": "certificateur/dashboard_panel.html",
        "totals": oversight_figures(certificateur=organisation)["totals"],
        "cdc": cdc_passage_counts(),
    }
