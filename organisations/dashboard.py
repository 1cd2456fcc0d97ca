"""What each role's dashboard shows. Later apps add their panels through ``PANELS``."""

from collections.abc import Callable

# Each provider takes the membership and returns a dict for a panel, or None to skip.
PANELS: list[Callable] = []


def register_panel(provider: Callable) -> Callable:
    PANELS.append(provider)
    return provider


def dashboard_for(membership) -> dict:
    panels = [p for p in (provider(membership) for provider in PANELS) if p]
    return {"panels": panels}
