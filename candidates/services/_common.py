"""What the candidates services share: the actor's user, dates in French, validation with messages naming each field."""

import datetime as dt

from django.core.exceptions import ValidationError

from candidates.models import Dossier
from core.errors import ApplicationError

S = Dossier.Status


def _user(by):
    return getattr(by, "user", by)


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def _validation_error(exc: ValidationError) -> ApplicationError:
    """One message naming each field, and the first field for forms and API bodies."""
    if hasattr(exc, "error_dict"):
        parts, first = [], None
        for field, errors in exc.message_dict.items():
            first = first or (field if field != "__all__" else None)
            parts.extend(errors if field == "__all__" else [f"{field} : {e}" for e in errors])
        return ApplicationError(" ; ".join(parts), field=first, extra={"fields": exc.message_dict})
    return ApplicationError(" ; ".join(exc.messages))


def _save(obj, *, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    obj.save()
