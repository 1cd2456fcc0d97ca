"""What evaluations asks of the apps above it, without importing them (import-linter layers).

The jury decides on a fraud suspicion recorded by a PV d'incident (seed 004); the decision and the
sanction it records live in ``juries`` (above evaluations), which registers its decider from its
``AppConfig.ready()``::

    from evaluations.hooks import register_fraud_decider

    register_fraud_decider(fraude_statuer)

The results page calls :func:`fraud_decide`, which returns what the decider returns (the sanction
recorded, or None when the fraud is not retained).
"""

from collections.abc import Callable
from typing import Any

from core.errors import ApplicationError

FraudDecider = Callable[..., Any]

_DECIDERS: list[FraudDecider] = []


def register_fraud_decider(decider: FraudDecider) -> FraudDecider:
    if decider not in _DECIDERS:
        _DECIDERS.append(decider)
    return decider


def fraud_decide(**kwargs: Any) -> Any:
    if not _DECIDERS:
        raise ApplicationError("La décision sur une fraude n'est pas disponible.")
    return _DECIDERS[-1](**kwargs)
