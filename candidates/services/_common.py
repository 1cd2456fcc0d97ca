"""What the candidates services share: the dossier statuses, validate-then-save."""

from candidates.models import Dossier
from core.validation import validate_model

S = Dossier.Status


def _save(obj, *, exclude=None) -> None:
    validate_model(obj, exclude=exclude)
    obj.save()
