from types import SimpleNamespace

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
        from documents.batch_labels import register_batch_labeller
        from juries.batch_labels import jury_batch_labels

        register_batch_labeller("jury", jury_batch_labels)
        from juries.selectors import jury_member_known_name
        from organisations.hooks import register_known_name_provider

        register_known_name_provider(jury_member_known_name)
        register_document_visibility("jury", documents_of_jury_member)
        from candidates.hooks import register_transition_guard
        from candidates.models import Dossier
        from juries.sanctions import sanction_guard

        register_transition_guard(Dossier.Status.INSCRIT, sanction_guard)
        from evaluations.hooks import register_fraud_decider
        from juries.sanctions import fraude_statuer

        register_fraud_decider(fraude_statuer)

        # A re-issue after a civil-status correction derives a jury's document again from its jury.
        from documents import hooks as document_hooks
        from juries import documents as jury_documents

        document_hooks.register_deriver(
            SimpleNamespace(
                derivable=jury_documents.document_derivable,
                candidate=jury_documents.document_candidate,
                context_derive=jury_documents.document_context_derive,
            )
        )
        # A rectification's revocations the certificateur approved: revoke the rest, issue again.
        document_hooks.register_revocation_basis_listener(
            "jury:", jury_documents.rectification_basis_approved
        )
