"""The main navigation: (label, url name, capability, kinds). Apps append their entries here."""

from django.urls import NoReverseMatch, reverse

from organisations.roles import has_capability

NAV: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("Tableau de bord", "dashboard", "organisation.view", ("centre", "certificateur")),
    ("Référentiels", "referentiel_list", "referentiels.view", ("centre", "certificateur")),
    ("Candidats", "candidate_list", "candidates.view", ("centre",)),
    ("Sessions d'examen", "session_list", "sessions.manage", ("centre",)),
    ("Mes évaluations", "evaluator_workspace", "results.record", ("centre",)),
    ("Avis entreprise", "avis_list", "avis.give", ("centre",)),
    ("Jurys", "jury_list", "juries.view", ("centre",)),
    ("Documents", "document_list", "documents.view", ("centre",)),
    ("Demandes des candidats", "espace_centre_requests", "demandes.manage", ("centre",)),
    ("Suivi des certifiés", "espace_centre_suivi", "suivi.view", ("centre",)),
    ("Signataires", "centre_signatories", "signataires.manage", ("centre",)),
    ("Supervision", "oversight", "oversight.view", ("certificateur",)),
    ("PV reçus", "received_pvs", "oversight.issue", ("certificateur",)),
    ("Membres", "members", "members.view", ("centre", "certificateur")),
    ("Jetons API", "tokens", "tokens.manage", ("centre", "certificateur")),
    ("Webhooks", "webhooks", "webhooks.manage", ("centre", "certificateur")),
    ("Journal", "audit", "audit.view", ("centre", "certificateur")),
]


def nav_for(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    items = []
    for label, url_name, capability, kinds in NAV:
        if membership.organisation.kind not in kinds or not has_capability(membership.role, capability):
            continue
        try:
            url = reverse(url_name, kwargs={"org_slug": membership.organisation.slug})
        except NoReverseMatch:
            continue  # the app providing this page is not installed yet
        active = request.path == url if url_name == "dashboard" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    # Nested entries (« PV reçus » under « Supervision »): only the closest one is current.
    current = [i for i in items if i["active"]]
    if len(current) > 1:
        closest = max(current, key=lambda i: len(i["url"]))
        for item in current:
            item["active"] = item is closest
    return items


def navigation(request):
    return {"nav": nav_for(request)}
