from django.apps import AppConfig


class JuriesConfig(AppConfig):
    name = "juries"
    verbose_name = "Jurys et délibérations"

    def ready(self) -> None:
        # The dashboard panel registers itself on import.
        from candidates.hooks import register_dossier_visibility
        from documents.visibility import register_document_visibility
        from juries import dashboard  # noqa: F401
        from juries.visibility import documents_of_jury_member, dossiers_of_jury_member

        register_dossier_visibility("jury", dossiers_of_jury_member)
        register_document_visibility("jury", documents_of_jury_member)
        from candidates.hooks import register_transition_guard
        from candidates.models import Dossier
        from juries.sanctions import sanction_guard

        register_transition_guard(Dossier.Status.INSCRIT, sanction_guard)
