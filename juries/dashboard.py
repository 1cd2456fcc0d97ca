"""Dashboard panel: juries in progress and the 6-week results publication deadlines."""

from juries.models import Jury
from organisations.dashboard import register_panel
from organisations.roles import has_capability


@register_panel
def juries_panel(membership):
    if membership.organisation.kind != "centre" or not has_capability(membership.role, "juries.view"):
        return None
    from juries.selectors import deadlines, jury_list

    juries = jury_list(membership=membership)
    per_status = {value: 0 for value, _ in Jury.Status.choices}
    for value in juries.values_list("status", flat=True):
        per_status[value] += 1
    return {
        "template": "juries/dashboard_panel.html",
        "per_status": [(value, label, per_status[value]) for value, label in Jury.Status.choices],
        "deadlines": deadlines(membership=membership)[:8],
    }
