from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Évaluations"

    def ready(self) -> None:
        from candidates.hooks import register_readiness_guard
        from evaluations.readiness import results_complete

        register_readiness_guard(results_complete)
        from candidates.hooks import register_dossier_visibility
        from evaluations.visibility import dossiers_of_evaluateur

        register_dossier_visibility("evaluateur", dossiers_of_evaluateur)
        from candidates.hooks import register_rgpd_section
        from evaluations import dashboard  # noqa: F401 - registers the dashboard panel
        from evaluations.rgpd import evaluations_erase, evaluations_export

        register_rgpd_section("evaluations", export=evaluations_export, erase=evaluations_erase)
        from candidates.hooks import register_session_filter
        from evaluations.selectors import session_filter_choices, session_filter_q

        register_session_filter(choices=session_filter_choices, q=session_filter_q)
        from candidates.hooks import register_transition_listener
        from evaluations.retakes import carry_retake_parts, carry_tuteur_grade

        register_transition_listener(carry_tuteur_grade)
        register_transition_listener(carry_retake_parts)
        from evaluations.avis_auto import request_at_inscription

        register_transition_listener(request_at_inscription)
        from documents.batch_labels import register_batch_labeller
        from evaluations.batch_labels import epreuve_batch_labels

        register_batch_labeller("evaluations", epreuve_batch_labels)
        from evaluations import grants

        grants.connect()
