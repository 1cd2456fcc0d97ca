"""Which issued documents a member may see, on top of the ``documents.view`` capability.

Admins and gestionnaires see every document of their centre. Any other role sees only what
the app that gives it work registers: ``rule(membership) -> Q`` over ``IssuedDocument`` (the
juries app: a jury member sees the documents of the juries they sit on). A role with no rule
sees no document, so a new role never inherits the whole centre's parchemins by accident.
"""

from collections.abc import Callable

from django.db.models import Q

from core.actors import Actor

FULL_ACCESS_ROLES = frozenset({"admin", "gestionnaire"})
_RULES: dict[str, list[Callable]] = {}


def register_document_visibility(role: str, rule: Callable) -> Callable:
    """Add a rule for ``role``; rules of one role are OR-ed."""
    if rule not in _RULES.setdefault(role, []):
        _RULES[role].append(rule)
    return rule


def visible_documents_q(actor: Actor) -> Q | None:
    """What ``actor`` (a membership) may see of the centre's documents; ``None`` = everything."""
    if getattr(actor, "role", None) in FULL_ACCESS_ROLES:
        return None
    q = Q(pk__in=[])
    for rule in _RULES.get(getattr(actor, "role", ""), []):
        q |= rule(actor)
    return q
