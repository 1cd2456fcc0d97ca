from django.apps import AppConfig


class JuriesConfig(AppConfig):
    name = "juries"
    verbose_name = "Jurys et délibérations"

    def ready(self) -> None:
        # The dashboard panel registers itself on import.
        from juries import dashboard  # noqa: F401
