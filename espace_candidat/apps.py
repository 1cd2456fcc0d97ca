from django.apps import AppConfig


class EspaceCandidatConfig(AppConfig):
    name = "espace_candidat"
    verbose_name = "Espace candidat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from espace_candidat import signals  # noqa: F401 - registers the listeners
