"""What the evaluations pages share: a service error on its form field, a PDF answer."""

from django.http import HttpResponse

from core.errors import ApplicationError


def form_error(form, exc: ApplicationError) -> None:
    """Show ``exc`` on its field when the form has it, else as a form-wide error."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """``data`` as an inline PDF named ``filename``."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def validateur(referentiel) -> str:
    """Who validates the results in the seed's words: the « commission d'évaluation » of a CQPM
    (seeds 000–002), the « jury d'évaluation » of a CQPI (seed 003); seed 004 names neither."""
    return {"CQPM": "commission d'évaluation", "CQPI": "jury d'évaluation"}.get(referentiel.kind, "")
