from organisations.roles import capabilities_of


def tenancy(request):
    membership = getattr(request, "membership", None)
    # Organisation pages: TenantMiddleware loaded them with the request's membership.
    memberships = getattr(request, "my_memberships", None)
    if memberships is None:
        memberships = []
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            from organisations.selectors import memberships_of

            memberships = list(memberships_of(request.user))
    # a candidate's memberships are their own space (« Mon espace candidat »), not organisations to switch to
    has_espace = any(m.role == "candidat" for m in memberships)
    return {
        "membership": membership,
        "organisation": getattr(request, "organisation", None),
        "my_memberships": [m for m in memberships if m.role != "candidat"],
        "has_espace": has_espace,
        "caps": capabilities_of(membership.role) if membership else frozenset(),
    }
