"""Extension points of the dossier state machine, for the apps built on top of candidates.

Dependencies flow one way (referentiels ← candidates ← evaluations ← juries): candidates must
not import evaluations, yet ``pret_pour_jury`` needs evaluations' answer ("are all results
in?"). So later apps *register* guards and listeners here, typically from their
``AppConfig.ready()``::

    from candidates.hooks import register_readiness_guard

    @register_readiness_guard
    def results_complete(dossier) -> list[str]:
        missing = ...  # capacités without a validated result
        return [f"Résultat manquant pour la capacité {c.code}." for c in missing]

A guard receives the dossier and returns the reasons that block the transition (an empty
list when it has none). Every reason is shown to the user as is: write it in French, naming
what is missing. Listeners run inside the transition's transaction, after it is recorded.
"""

from collections.abc import Callable, Iterable

Guard = Callable[..., Iterable[str]]
Listener = Callable[..., object]  # what a listener returns is ignored

_GUARDS: dict[str, list[Guard]] = {}
_LISTENERS: list[Listener] = []


def register_transition_guard(to_status: str, guard: Guard | None = None):
    """Add a guard checked before any transition *to* ``to_status``. Usable as a decorator."""

    def add(fn: Guard) -> Guard:
        if fn not in _GUARDS.setdefault(to_status, []):
            _GUARDS[to_status].append(fn)
        return fn

    return add(guard) if guard is not None else add


def register_readiness_guard(guard: Guard) -> Guard:
    """Shortcut for the evaluations app: what must hold before ``pret_pour_jury``."""
    return register_transition_guard("pret_pour_jury", guard)


def unregister_transition_guard(to_status: str, guard: Guard) -> None:
    if guard in _GUARDS.get(to_status, []):
        _GUARDS[to_status].remove(guard)


def transition_guards(to_status: str) -> list[Guard]:
    return list(_GUARDS.get(to_status, []))


def register_transition_listener(listener: Listener) -> Listener:
    """Called as ``listener(dossier=..., from_status=..., to_status=..., by=...)`` after each transition."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def unregister_transition_listener(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def transition_listeners() -> list[Listener]:
    return list(_LISTENERS)


# --- object visibility ------------------------------------------------------------------------
# Admins and gestionnaires see every dossier of their centre. Other roles see only what the app
# that gives them work says (DESIGN.md, Roles: an évaluateur its assigned dossiers, a jury member
# the dossiers of its juries, a tuteur its own candidates). An app registers, per role, a function
# ``rule(membership) -> Q`` over ``Dossier``; a role with no rule sees no dossier.

FULL_ACCESS_ROLES = {"admin", "gestionnaire"}
_VISIBILITY: dict[str, list[Callable]] = {}


def register_dossier_visibility(role: str, rule: Callable | None = None):
    """Add a visibility rule for ``role``; rules of one role are OR-ed. Usable as a decorator."""

    def add(fn: Callable) -> Callable:
        if fn not in _VISIBILITY.setdefault(role, []):
            _VISIBILITY[role].append(fn)
        return fn

    return add(rule) if rule is not None else add


def dossier_visibility_rules(role: str) -> list[Callable]:
    return list(_VISIBILITY.get(role, []))


# --- RGPD -------------------------------------------------------------------------------------
# The apps built on candidates hold personal data of their own (results and comments, attendance
# and its justification, avis de l'entreprise, convocations). Each registers a section: ``export``
# returns the JSON-ready data it holds about a candidate (and the files to add to the archive);
# ``erase`` removes what the retention rule lets go, inside the erasure's transaction.


class RgpdSection:
    def __init__(self, name: str, export: Callable, erase: Callable):
        self.name, self.export, self.erase = name, export, erase


_RGPD: dict[str, RgpdSection] = {}


def register_rgpd_section(name: str, *, export: Callable, erase: Callable) -> None:
    """``export(candidate) -> (data, files)`` with ``files`` a list of ``(archive_name, bytes)``;
    ``erase(candidate, *, holder: bool) -> str`` returns what it did, for the audit trail."""
    _RGPD[name] = RgpdSection(name, export, erase)


def rgpd_sections() -> list[RgpdSection]:
    return list(_RGPD.values())


# --- the session filter of the candidate list ---------------------------------------------------
# Sessions d'examen belong to evaluations: it registers the list's choices and the condition on
# dossiers, so that the candidate list, its export and the API filter by session.


class SessionFilter:
    def __init__(self, choices: Callable, q: Callable):
        self.choices, self.q = choices, q


_SESSION_FILTER: list[SessionFilter] = []


def register_session_filter(*, choices: Callable, q: Callable) -> None:
    """``choices() -> [(public_id, label)]`` in the active centre; ``q(public_id) -> Q`` over ``Dossier``."""
    _SESSION_FILTER[:] = [SessionFilter(choices, q)]


def session_filter() -> SessionFilter | None:
    return _SESSION_FILTER[0] if _SESSION_FILTER else None
