"""Model validation with one message format: « Libellé du champ : message » per field, joined by
« ; », the first faulty field named for forms and API bodies."""

from django.core.exceptions import ValidationError
from django.db import models

from core.errors import ApplicationError


def _label(model: models.Model | None, name: str) -> str:
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a non-field key keeps its own name
        return name
    return str(getattr(field, "verbose_name", name)).capitalize()


def validation_error(exc: ValidationError, model: models.Model | None = None) -> ApplicationError:
    """``exc`` as one ``ApplicationError``: each field's messages prefixed with its label."""
    if not hasattr(exc, "error_dict"):
        return ApplicationError(" ; ".join(exc.messages))
    parts, first = [], None
    for name, errors in exc.message_dict.items():
        if name == "__all__":
            parts.extend(errors)
            continue
        first = first or name
        label = _label(model, name)
        parts.extend(f"{label} : {e[:1].lower()}{e[1:]}" for e in errors)
    return ApplicationError(" ; ".join(parts), field=first, extra={"fields": exc.message_dict})


def validate_model(obj: models.Model, *, exclude=None, **checks) -> None:
    """``obj.full_clean(exclude=…, **checks)``, its ``ValidationError`` raised as ``ApplicationError``."""
    try:
        obj.full_clean(exclude=exclude, **checks)
    except ValidationError as exc:
        raise validation_error(exc, obj) from exc
