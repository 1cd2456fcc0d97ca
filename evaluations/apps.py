from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Évaluations"

    def ready(self) -> None:
        from candidates.hooks import register_readiness_guard
        from evaluations.readiness import results_complete

        register_readiness_guard(results_complete)
        from evaluations import dashboard  # noqa: F401 - registers the dashboard panel
